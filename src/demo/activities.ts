/**
 * Background traffic: what people, CI workflows and workloads do on an ordinary day.
 * Each function returns one record for a given time; the caller decides how many and when.
 */

import {
  APPS, BUCKETS, CI_ROLES, ENDPOINTS, FUNCTIONS, OFFICE_IPS, PEOPLE, POC_USER, PROD, REGION_APP, RESEARCH, SHARED,
  botoUA, bucket, kmsKeyArn, oidcProvider, type AppRole, type Person, type Tool,
} from './catalog.js';
import {
  appCaller, awsDate, ciCaller, iamUserCaller, iamUserConsoleCaller, personCaller, personIp, serviceCaller,
  viaServiceCaller, webIdentityUser, type Caller, type Emitter, type Rec,
} from './records.js';
import { hash32, hashChars, weighted, type Rng, type Weighted } from './rng.js';
import {
  bedrockAgentRuntime, bedrockConsoleish, bedrockInvoke, cloudtrailCall, consoleLogin, denyRecord, ec2Describe, ec2Run, ec2Terminate,
  ecrCall, getCallerIdentity, iamCall, kmsCloudTrail, kmsForS3, kmsService, lambdaInvoke, lambdaMgmt, MODEL_TABLES,
  pickModel, s3Data, s3Mgmt, smCall, smCreateTrainingJob, smInvokeEndpoint, stsServiceAssume, CPU_TYPES, GPU_TYPES,
} from './services.js';

const HOUR = 3_600_000;

/** How busy people are at a local hour (0–1). */
export function workCurve(localHour: number): number {
  const h = ((localHour % 24) + 24) % 24;
  if (h < 7) return 0.01;
  if (h < 8) return 0.1;
  if (h < 9) return 0.45;
  if (h < 12) return 1;
  if (h < 13) return 0.65;
  if (h < 17) return 1;
  if (h < 18) return 0.6;
  if (h < 20) return 0.2;
  if (h < 23) return 0.1;
  return 0.03;
}

/** Weekday factor at a local time (Saturday and Sunday are quiet). */
export function weekdayFactor(t: number, tz: number): number {
  const day = Math.floor((t + tz * HOUR) / 86_400_000);
  const dow = (day + 4) % 7;
  return dow === 0 || dow === 6 ? 0.07 : 1;
}

/** How active a person is at time t. */
export function personActivity(p: Person, t: number): number {
  const localHour = Math.floor((((t + p.tz * HOUR) % 86_400_000) + 86_400_000) % 86_400_000 / HOUR);
  return p.weight * workCurve(localHour) * weekdayFactor(t, p.tz);
}

function pickPerson(rng: Rng, t: number): Person {
  let total = 0;
  const w = PEOPLE.map((p) => {
    const a = personActivity(p, t) + 0.002;
    total += a;
    return a;
  });
  let x = rng.next() * total;
  for (let i = 0; i < PEOPLE.length; i++) {
    x -= w[i]!;
    if (x < 0) return PEOPLE[i]!;
  }
  return PEOPLE[PEOPLE.length - 1]!;
}

function pickAccount(rng: Rng, p: Person): string {
  const accounts = Object.keys(p.sso);
  return rng.chance(0.7) ? accounts[0]! : rng.pick(accounts);
}

type HumanOp =
  | 'bedrockRuntime' | 'bedrockControl' | 'bedrockAgent' | 'smDescribe' | 'smList' | 'smTrain' | 'smHpo' | 'smNotebook'
  | 'smDomain' | 'smModelOps' | 'smInvoke' | 's3Data' | 's3Mgmt' | 'ec2Describe' | 'ec2Run' | 'ec2Terminate' | 'iamRead'
  | 'iamWrite' | 'sts' | 'cloudtrail' | 'lambda' | 'ecr' | 'login';

const HUMAN_BASE: Array<[HumanOp, Record<Person['focus'], number>]> = [
  ['bedrockRuntime', { ml: 10, data: 6, platform: 1, security: 0.3, manager: 1.5 }],
  ['bedrockControl', { ml: 4, data: 2, platform: 1.5, security: 2.5, manager: 2 }],
  ['bedrockAgent', { ml: 0.8, data: 0.4, platform: 0, security: 0, manager: 0 }],
  ['smDescribe', { ml: 6, data: 8, platform: 0.5, security: 0, manager: 0.3 }],
  ['smList', { ml: 3, data: 3, platform: 1, security: 1, manager: 2 }],
  ['smTrain', { ml: 0.5, data: 0.6, platform: 0, security: 0, manager: 0 }],
  ['smHpo', { ml: 0.05, data: 0.08, platform: 0, security: 0, manager: 0 }],
  ['smNotebook', { ml: 0.1, data: 0.4, platform: 0, security: 0, manager: 0 }],
  ['smDomain', { ml: 0.2, data: 0.5, platform: 0, security: 0, manager: 0.05 }],
  ['smModelOps', { ml: 0.4, data: 0.05, platform: 0.05, security: 0, manager: 0 }],
  ['smInvoke', { ml: 0.5, data: 0.2, platform: 0, security: 0, manager: 0 }],
  ['s3Data', { ml: 4, data: 7, platform: 2, security: 0.5, manager: 0.5 }],
  ['s3Mgmt', { ml: 0.7, data: 0.7, platform: 1, security: 2, manager: 0.6 }],
  ['ec2Describe', { ml: 2, data: 1, platform: 6, security: 3, manager: 1 }],
  ['ec2Run', { ml: 0.15, data: 0.05, platform: 0.2, security: 0, manager: 0 }],
  ['ec2Terminate', { ml: 0.12, data: 0.03, platform: 0.15, security: 0, manager: 0 }],
  ['iamRead', { ml: 0.3, data: 0.1, platform: 2, security: 4, manager: 0.5 }],
  ['iamWrite', { ml: 0, data: 0, platform: 0.08, security: 0.02, manager: 0 }],
  ['sts', { ml: 1.5, data: 1.5, platform: 1.5, security: 1.5, manager: 0.5 }],
  ['cloudtrail', { ml: 0, data: 0, platform: 0.5, security: 5, manager: 0.2 }],
  ['lambda', { ml: 0.8, data: 0.1, platform: 1, security: 0.3, manager: 0.1 }],
  ['ecr', { ml: 0.3, data: 0, platform: 0.8, security: 0.2, manager: 0 }],
  ['login', { ml: 0.5, data: 0.5, platform: 0.5, security: 0.5, manager: 1.2 }],
];

const HUMAN_TABLES = new Map<Person['focus'], Weighted<HumanOp>>(
  (['ml', 'data', 'platform', 'security', 'manager'] as const).map((f) => [f, weighted(HUMAN_BASE.map(([op, w]) => [op, w[f]] as [HumanOp, number]).filter(([, w]) => w > 0))]),
);

const HUMAN_BUCKETS: Record<Person['focus'], string[]> = {
  ml: ['acme-ml-training-data', `sagemaker-us-east-1-${RESEARCH.id}`, 'acme-model-artifacts', 'acme-datasets-prod', 'acme-ml-scratch-usw2'],
  data: ['acme-ml-training-data', 'acme-ml-scratch-usw2', `sagemaker-us-east-1-${RESEARCH.id}`, 'acme-datasets-prod', 'acme-datasets-eu'],
  platform: ['acme-logs', 'acme-web-assets', 'acme-model-artifacts', 'acme-dr-backups-apse2'],
  security: ['acme-logs', 'acme-ml-training-data'],
  manager: ['acme-datasets-prod', 'acme-web-assets'],
};

/** One event by a person during their day; about 2 % are denied by IAM. */
export function humanEvent(e: Emitter, t: number): Rec {
  const r = humanCall(e, t);
  return e.rng.chance(0.02) ? denyRecord(r, (r.userIdentity as Rec).arn as string) : r;
}

function humanCall(e: Emitter, t: number): Rec {
  const rng = e.rng;
  const p = pickPerson(rng, t);
  const account = pickAccount(rng, p);
  let region = rng.chance(p.regionShare) ? p.region : 'us-east-1';
  let tool: Tool = rng.pickW(p.tools);
  const op = rng.pickW(HUMAN_TABLES.get(p.focus)!);
  const nonSm = (x: Tool): Tool => (x === 'sagemaker-sdk' ? 'boto3' : x);
  if (!op.startsWith('sm')) tool = nonSm(tool);
  // Bob still has a long-term key for scripts; a tenth of his CLI work uses it.
  const bobKey = p.iamUser && tool === 'cli' && rng.chance(0.1);
  const caller = (tl: Tool = tool, acct: string = account): Caller =>
    bobKey && p.iamUser
      ? iamUserCaller(p.iamUser.account, p.iamUser.name, personIp(p, t), personCaller(p, acct, t, 'cli').ua)
      : personCaller(p, acct, t, tl);
  const acct = bobKey && p.iamUser ? p.iamUser.account : account;

  switch (op) {
    case 'bedrockRuntime': {
      if (region === 'ap-southeast-2') region = 'us-east-1';
      const c = caller();
      const name = tool === 'console' ? rng.pick(['ConverseStream', 'ConverseStream', 'InvokeModelWithResponseStream']) : rng.pick(['InvokeModel', 'Converse', 'Converse', 'ConverseStream', 'InvokeModelWithResponseStream']);
      const m = pickModel(rng, rng.chance(0.15) ? MODEL_TABLES.embed : MODEL_TABLES.explore, region);
      return bedrockInvoke(e, t, c, acct, region, m.kind === 'embed' ? 'InvokeModel' : name, m);
    }
    case 'bedrockControl':
      return bedrockConsoleish(e, t, caller(), acct, region === 'ap-southeast-2' ? 'us-east-1' : region);
    case 'bedrockAgent':
      return bedrockAgentRuntime(e, t, caller(nonSm(tool), PROD.id), PROD.id, 'us-east-1', rng.pick(['Retrieve', 'RetrieveAndGenerate', 'InvokeAgent'] as const));
    case 'smDescribe':
      return smCall(e, t, caller(tool === 'console' ? 'console' : 'sagemaker-sdk'), acct, region, 'DescribeTrainingJob');
    case 'smList':
      return smCall(e, t, caller(), acct, region, rng.pick(['ListTrainingJobs', 'ListEndpoints', 'ListModels', 'DescribeEndpoint', 'ListNotebookInstances']));
    case 'smTrain':
      return smCreateTrainingJob(e, t, caller('sagemaker-sdk', RESEARCH.id), RESEARCH.id, rng.chance(0.7) ? 'us-east-1' : 'us-west-2', rng.pick(['llama3-ft', 'reranker', 'intent-clf', 'tokenize']), 'AmazonSageMaker-ExecutionRole-Research');
    case 'smHpo':
      return smCall(e, t, caller('sagemaker-sdk', RESEARCH.id), RESEARCH.id, 'us-east-1', 'CreateHyperParameterTuningJob');
    case 'smNotebook':
      return smCall(e, t, caller('console', RESEARCH.id), RESEARCH.id, region, 'CreatePresignedNotebookInstanceUrl', `${p.name.split('.')[0]}-notebook`);
    case 'smDomain':
      return smCall(e, t, caller('console', RESEARCH.id), RESEARCH.id, region, 'CreatePresignedDomainUrl', p.name.replace('.', '-'));
    case 'smModelOps':
      return smCall(e, t, caller(tool === 'console' ? 'console' : 'sagemaker-sdk', PROD.id), PROD.id, 'us-east-1', rng.pick(['CreateModel', 'CreateEndpointConfig', 'UpdateEndpoint', 'UpdateModelPackage', 'DescribeEndpoint']));
    case 'smInvoke':
      return smInvokeEndpoint(e, t, caller(nonSm(tool), PROD.id), PROD.id, 'us-east-1', rng.pick(ENDPOINTS));
    case 's3Data': {
      const b = bucket(rng.pick(HUMAN_BUCKETS[p.focus]));
      const name = rng.pickW(HUMAN_S3_OPS);
      return s3Data(e, t, caller(tool, b.account), b, name);
    }
    case 's3Mgmt': {
      const b = rng.chance(0.3) ? null : bucket(rng.pick(HUMAN_BUCKETS[p.focus]));
      const c = caller(tool, b?.account ?? acct);
      if (!b) return s3Mgmt(e, t, c, null, 'ListBuckets', null, true);
      const name = rng.pick(['GetBucketPolicy', 'GetBucketPublicAccessBlock', 'GetBucketEncryption', 'GetBucketVersioning', 'GetBucketLocation']);
      const host = `${b.name}.s3.${b.region}.amazonaws.com`;
      const rp: Rec = { bucketName: b.name, Host: host };
      rp[name.slice(9).replace(/^./, (x) => x.toLowerCase())] = '';
      return s3Mgmt(e, t, c, b, name, rp, true, name === 'GetBucketPolicy' && rng.chance(0.2) ? ['NoSuchBucketPolicy', 'The bucket policy does not exist'] : null);
    }
    case 'ec2Describe':
      return ec2Describe(e, t, caller(), acct, rng.chance(0.02) ? 'ap-southeast-2' : region);
    case 'ec2Run': {
      const gpu = p.focus !== 'platform';
      const type = gpu ? rng.pick(GPU_TYPES) : rng.pick(CPU_TYPES);
      const runAcct = gpu ? RESEARCH.id : acct;
      const r = region === 'eu-west-1' && gpu ? 'us-west-2' : region;
      const err: [string, string] | null = type === 'p4d.24xlarge' && rng.chance(0.3)
        ? ['Server.InsufficientInstanceCapacity', `We currently do not have sufficient p4d.24xlarge capacity in the Availability Zone you requested (${r}a). Our system will be working on provisioning additional capacity. You can currently get p4d.24xlarge capacity by not specifying an Availability Zone in your request or choosing ${r}b, ${r}c.`]
        : null;
      return ec2Run(e, t, caller(tool === 'console' ? 'console' : 'cli', runAcct), runAcct, r, type, 1, { name: gpu ? `${p.name.split('.')[0]}-gpu-exp` : 'ops-bastion', err, profile: gpu ? 'gpu-worker-instance-role' : undefined });
    }
    case 'ec2Terminate':
      return ec2Terminate(e, t, caller(), acct, region);
    case 'iamRead':
      return iamCall(e, t, caller(), acct, rng.pick(['ListRoles', 'GetRole', 'ListAttachedRolePolicies', 'ListUsers', 'ListAccessKeys'] as const));
    case 'iamWrite':
      return iamCall(e, t, caller(), acct, rng.pick(['CreateAccessKey', 'AttachRolePolicy'] as const));
    case 'sts':
      return getCallerIdentity(e, t, caller(tool === 'console' ? 'cli' : tool), acct, region);
    case 'cloudtrail':
      return cloudtrailCall(e, t, caller(), acct, region, rng.pick(['LookupEvents', 'LookupEvents', 'LookupEvents', 'DescribeTrails', 'GetTrailStatus', 'GetEventSelectors'] as const));
    case 'lambda': {
      const fn = rng.pick(FUNCTIONS);
      const op = rng.pick(['GetFunction20150331v2', 'GetFunction20150331v2', 'ListFunctions20150331', 'UpdateFunctionConfiguration20150331v2'] as const);
      return lambdaMgmt(e, t, caller(tool, fn.account), fn.account, 'us-east-1', fn, op);
    }
    case 'ecr':
      return ecrCall(e, t, caller(tool, SHARED.id), 'us-east-1', rng.pick(['DescribeRepositories', 'DescribeImages', 'BatchGetImage'] as const));
    case 'login': {
      if (p.iamUser && rng.chance(0.4)) {
        const ok = !rng.chance(0.08);
        return consoleLogin(e, t, iamUserConsoleCaller(p.iamUser.account, p.iamUser.name, personIp(p, t), p.os, t), p.iamUser.account, true, ok);
      }
      return consoleLogin(e, t, personCaller(p, account, t, 'console'), account, false, true);
    }
  }
}

const HUMAN_S3_OPS = weighted<'GetObject' | 'PutObject' | 'HeadObject' | 'ListObjects' | 'DeleteObject'>([
  ['GetObject', 4],
  ['ListObjects', 3],
  ['PutObject', 2],
  ['HeadObject', 1],
  ['DeleteObject', 0.3],
]);

// ---------------------------------------------------------------- CI

const CI_TABLE = weighted(CI_ROLES.map((r) => [r, r.weight] as [typeof r, number]));

/** One event by a GitHub Actions workflow; about 1 % are denied by IAM. */
export function ciEvent(e: Emitter, t: number): Rec {
  const r = ciCall(e, t);
  return e.rng.chance(0.01) && (r.userIdentity as Rec).type === 'AssumedRole' ? denyRecord(r, (r.userIdentity as Rec).arn as string) : r;
}

function ciCall(e: Emitter, t: number): Rec {
  const rng = e.rng;
  const role = rng.pickW(CI_TABLE);
  const region = role.role === 'github-actions-training' && rng.chance(0.3) ? 'us-west-2' : 'us-east-1';
  const x = rng.next();
  if (x < 0.12) return assumeWebIdentity(e, t, role, rng.chance(0.85) ? 'ref:refs/heads/main' : `pull_request`);
  if (x < 0.17) return getCallerIdentity(e, t, ciCaller(role, t, 'cli'), role.account, region);
  switch (role.role) {
    case 'github-actions-deploy': {
      const fn = FUNCTIONS[role.repo.endsWith('rag-service') ? 0 : rng.int(3)]!;
      const op = rng.pickW(DEPLOY_OPS);
      return lambdaMgmt(e, t, ciCaller(role, t, 'cli'), role.account, 'us-east-1', fn, op);
    }
    case 'github-actions-ecr-push': {
      const op = rng.pickW(ECR_PUSH_OPS);
      const repo = role.repo.endsWith('llm-serving') ? 'llm-serving' : 'training-images';
      return ecrCall(e, t, ciCaller(role, t, op === 'GetAuthorizationToken' || op === 'DescribeImages' ? 'cli' : 'docker'), 'us-east-1', op, repo);
    }
    case 'github-actions-training': {
      const c = ciCaller(role, t, 'cli');
      c.ua = () => botoUA(2, 'linux', ' exec-env/GitHubActions') + ' AWS-SageMaker-Python-SDK/2.232.2';
      const op = rng.pickW(TRAINING_OPS);
      if (op === 'CreateTrainingJob') return smCreateTrainingJob(e, t, c, RESEARCH.id, region, rng.pick(['llama3-ft', 'reranker', 'intent-clf']), 'AmazonSageMaker-ExecutionRole-Research');
      if (op === 'PutObject' || op === 'ListObjects') return s3Data(e, t, c, bucket(`sagemaker-us-east-1-${RESEARCH.id}`), op);
      return smCall(e, t, c, RESEARCH.id, region, op);
    }
    default: {
      const c = ciCaller(role, t, 'terraform');
      const op = rng.pickW(TERRAFORM_OPS);
      switch (op) {
        case 'iam':
          return iamCall(e, t, c, role.account, rng.pick(['ListRoles', 'GetRole', 'GetRole', 'ListAttachedRolePolicies'] as const));
        case 'ec2':
          return ec2Describe(e, t, c, role.account, region);
        case 's3': {
          const b = rng.pick(BUCKETS);
          const name = rng.pick(['GetBucketPolicy', 'GetBucketVersioning', 'GetBucketEncryption', 'GetBucketPublicAccessBlock']);
          const rp: Rec = { bucketName: b.name, Host: `${b.name}.s3.${b.region}.amazonaws.com` };
          rp[name.slice(9).replace(/^./, (y) => y.toLowerCase())] = '';
          return s3Mgmt(e, t, c, b, name, rp, true);
        }
        case 'lambda':
          return lambdaMgmt(e, t, c, PROD.id, 'us-east-1', rng.pick(FUNCTIONS), 'GetFunction20150331v2');
        case 'cloudtrail':
          return cloudtrailCall(e, t, c, role.account, 'us-east-1', rng.pick(['DescribeTrails', 'GetEventSelectors', 'GetTrailStatus'] as const));
        default:
          return e.rec(t, c, { src: 'bedrock.amazonaws.com', name: 'GetModelInvocationLoggingConfiguration', region: 'us-east-1', account: role.account, rp: null, ro: true, host: 'bedrock.us-east-1.amazonaws.com' });
      }
    }
  }
}

const DEPLOY_OPS = weighted<'GetFunction20150331v2' | 'UpdateFunctionCode20150331v2' | 'PublishVersion20150331' | 'UpdateFunctionConfiguration20150331v2' | 'CreateFunction20150331'>([
  ['GetFunction20150331v2', 3],
  ['UpdateFunctionCode20150331v2', 2],
  ['PublishVersion20150331', 1],
  ['UpdateFunctionConfiguration20150331v2', 0.4],
  ['CreateFunction20150331', 0.05],
]);

const ECR_PUSH_OPS = weighted<'GetAuthorizationToken' | 'BatchCheckLayerAvailability' | 'InitiateLayerUpload' | 'CompleteLayerUpload' | 'PutImage' | 'BatchGetImage' | 'GetDownloadUrlForLayer' | 'DescribeImages'>([
  ['GetAuthorizationToken', 1.5],
  ['BatchCheckLayerAvailability', 2],
  ['InitiateLayerUpload', 1],
  ['CompleteLayerUpload', 1],
  ['PutImage', 1],
  ['BatchGetImage', 1.5],
  ['GetDownloadUrlForLayer', 2],
  ['DescribeImages', 0.5],
]);

const TRAINING_OPS = weighted<string>([
  ['DescribeTrainingJob', 6],
  ['CreateTrainingJob', 1],
  ['PutObject', 1],
  ['ListObjects', 0.5],
  ['CreateModelPackage', 0.4],
  ['UpdateModelPackage', 0.15],
  ['CreateModel', 0.2],
  ['CreateEndpointConfig', 0.15],
  ['CreateHyperParameterTuningJob', 0.1],
]);

const TERRAFORM_OPS = weighted<string>([
  ['iam', 4],
  ['ec2', 2],
  ['s3', 2],
  ['lambda', 1],
  ['cloudtrail', 0.5],
  ['bedrock', 0.5],
]);

/** AssumeRoleWithWebIdentity from a GitHub Actions runner. */
export function assumeWebIdentity(e: Emitter, t: number, role: { role: string; account: string; repo: string }, ref: string): Rec {
  const rng = e.rng;
  const held = ciCaller(role, t, 'sdk');
  const sub = `repo:${role.repo}:${ref}`;
  const roleArn = `arn:aws:iam::${role.account}:role/${role.role}`;
  const c: Caller = { ...held, identity: webIdentityUser(role, ref), arn: sub };
  const denied = ref === 'pull_request' && rng.chance(0.3);
  return e.rec(t, c, {
    src: 'sts.amazonaws.com',
    name: 'AssumeRoleWithWebIdentity',
    region: 'us-east-1',
    account: role.account,
    rp: { roleArn, roleSessionName: 'GitHubActions', durationSeconds: 3600 },
    re: {
      credentials: { accessKeyId: held.identity.accessKeyId, expiration: awsDate(t + HOUR) },
      subjectFromWebIdentityToken: sub,
      assumedRoleUser: { assumedRoleId: `${(held.identity.principalId as string)}`, arn: held.identity.arn },
      provider: oidcProvider(role.account),
      audience: 'sts.amazonaws.com',
    },
    aed: { identityProviderConnectionVerificationMethod: 'IAMTrustStore' },
    ro: true,
    res: [{ accountId: role.account, type: 'AWS::IAM::Role', ARN: roleArn }],
    err: denied ? ['AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity'] : null,
  });
}

// ---------------------------------------------------------------- Workloads and AWS services

type AppOp =
  | 'chatInvoke' | 'chatRetrieve' | 'chatAgent' | 'chatEndpoint' | 'chatLambda' | 'ragEmbed' | 'ragRetrieve' | 'ragGet'
  | 'ragConverse' | 'apigwInvoke' | 'agentLambda' | 'agentActionS3' | 'agentActionModel' | 's3Trigger' | 'thumb' | 'web'
  | 'embedInvoke' | 'embedS3' | 'smTrainS3' | 'smTrainEcr' | 'pipeline' | 'stsService' | 'kmsS3' | 'kmsTrail'
  | 'kmsSm' | 'kmsLambda' | 'asg' | 'gpuWorker' | 'serviceEvent' | 'poc';

const APP_TABLE = weighted<AppOp>([
  ['chatInvoke', 26],
  ['chatRetrieve', 3],
  ['chatAgent', 1.5],
  ['chatEndpoint', 5],
  ['chatLambda', 1.5],
  ['ragEmbed', 5],
  ['ragRetrieve', 2],
  ['ragGet', 2],
  ['ragConverse', 1.5],
  ['apigwInvoke', 3],
  ['agentLambda', 1],
  ['agentActionS3', 0.7],
  ['agentActionModel', 0.6],
  ['s3Trigger', 2],
  ['thumb', 4],
  ['web', 6],
  ['embedInvoke', 6],
  ['embedS3', 2],
  ['smTrainS3', 6],
  ['smTrainEcr', 1.5],
  ['pipeline', 3],
  ['stsService', 5],
  ['kmsS3', 8],
  ['kmsTrail', 1.2],
  ['kmsSm', 1],
  ['kmsLambda', 1],
  ['asg', 1.5],
  ['gpuWorker', 1],
  ['serviceEvent', 0.03],
  ['poc', 0.3],
]);

const FUNCTION_APPS: Record<string, AppRole> = {
  'rag-retriever': APPS.rag,
  'bedrock-agent-action': APPS.agentAction,
  thumbnailer: APPS.thumb,
  'ml-pipeline-orchestrator': APPS.pipeline,
};

const CHAT_CALLS = weighted<string>([
  ['ConverseStream', 30],
  ['Converse', 28],
  ['InvokeModelWithResponseStream', 25],
  ['InvokeModel', 17],
]);

/** One event by a workload or an AWS service, around the clock. */
export function appEvent(e: Emitter, t: number): Rec {
  const rng = e.rng;
  const op = rng.pickW(APP_TABLE);
  switch (op) {
    case 'chatInvoke': {
      const region = rng.pickW(REGION_APP);
      const m = pickModel(rng, MODEL_TABLES.chat, region);
      return bedrockInvoke(e, t, appCaller(APPS.chat, region, t), PROD.id, region, rng.pickW(CHAT_CALLS), m);
    }
    case 'chatRetrieve':
      return bedrockAgentRuntime(e, t, appCaller(APPS.chat, 'us-east-1', t), PROD.id, 'us-east-1', rng.chance(0.7) ? 'Retrieve' : 'RetrieveAndGenerate');
    case 'chatAgent':
      return bedrockAgentRuntime(e, t, appCaller(APPS.chat, 'us-east-1', t), PROD.id, 'us-east-1', 'InvokeAgent');
    case 'chatEndpoint':
      return smInvokeEndpoint(e, t, appCaller(APPS.chat, 'us-east-1', t), PROD.id, 'us-east-1', rng.chance(0.6) ? 'reranker-prod' : rng.pick(ENDPOINTS));
    case 'chatLambda':
      return lambdaInvoke(e, t, appCaller(APPS.chat, 'us-east-1', t), PROD.id, 'us-east-1', 'rag-retriever', false);
    case 'ragEmbed': {
      const region = rng.chance(0.88) ? 'us-east-1' : 'eu-west-1';
      return bedrockInvoke(e, t, appCaller(APPS.rag, region, t), PROD.id, region, 'InvokeModel', pickModel(rng, MODEL_TABLES.embed, region));
    }
    case 'ragRetrieve':
      return bedrockAgentRuntime(e, t, appCaller(APPS.rag, 'us-east-1', t), PROD.id, 'us-east-1', 'Retrieve');
    case 'ragGet':
      return s3Data(e, t, appCaller(APPS.rag, 'us-east-1', t), bucket(rng.chance(0.85) ? 'acme-datasets-prod' : 'acme-datasets-eu'), 'GetObject');
    case 'ragConverse':
      return bedrockInvoke(e, t, appCaller(APPS.rag, 'us-east-1', t), PROD.id, 'us-east-1', 'Converse', pickModel(rng, weighted([['anthropic.claude-3-haiku-20240307-v1:0', 2], ['anthropic.claude-3-5-haiku-20241022-v1:0', 1]]), 'us-east-1'));
    case 'apigwInvoke':
      return lambdaInvoke(e, t, serviceCaller('apigateway.amazonaws.com'), PROD.id, 'us-east-1', 'rag-retriever', false);
    case 'agentLambda':
      return lambdaInvoke(e, t, serviceCaller('bedrock.amazonaws.com'), PROD.id, 'us-east-1', 'bedrock-agent-action', false);
    case 'agentActionS3':
      return s3Data(e, t, appCaller(APPS.agentAction, 'us-east-1', t), bucket('acme-datasets-prod'), rng.chance(0.8) ? 'GetObject' : 'PutObject');
    case 'agentActionModel':
      return bedrockInvoke(e, t, appCaller(APPS.agentAction, 'us-east-1', t), PROD.id, 'us-east-1', 'InvokeModel', pickModel(rng, weighted([['arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0', 1]]), 'us-east-1'));
    case 's3Trigger':
      return lambdaInvoke(e, t, serviceCaller('s3.amazonaws.com'), PROD.id, 'us-east-1', 'thumbnailer', true);
    case 'thumb':
      return s3Data(e, t, appCaller(APPS.thumb, 'us-east-1', t), bucket('acme-web-assets'), rng.chance(0.5) ? 'GetObject' : 'PutObject');
    case 'web': {
      const c = appCaller(APPS.web, 'us-east-1', t);
      const x = rng.next();
      if (x < 0.55) return s3Data(e, t, c, bucket('acme-web-assets'), 'GetObject');
      if (x < 0.7) return s3Data(e, t, c, bucket('acme-web-assets'), 'HeadObject');
      if (x < 0.8) return s3Data(e, t, c, bucket('acme-web-assets'), 'PutObject');
      return s3Data(e, t, c, bucket('acme-logs'), 'PutObject');
    }
    case 'embedInvoke':
      return bedrockInvoke(e, t, appCaller(APPS.embedder, 'us-east-1', t), PROD.id, 'us-east-1', 'InvokeModel', pickModel(rng, MODEL_TABLES.embed, 'us-east-1'));
    case 'embedS3': {
      const c = appCaller(APPS.embedder, 'us-east-1', t);
      return rng.chance(0.6) ? s3Data(e, t, c, bucket('acme-datasets-prod'), 'GetObject') : s3Data(e, t, c, bucket('acme-datasets-prod'), 'PutObject', { key: `embeddings/titan-v2/shard-${String(rng.int(2000)).padStart(5, '0')}.parquet` });
    }
    case 'smTrainS3': {
      const c = viaServiceCaller(APPS.smResearch, t, 'sagemaker.amazonaws.com');
      const x = rng.next();
      if (x < 0.7) return s3Data(e, t, c, bucket('acme-ml-training-data'), 'GetObject');
      if (x < 0.8) return s3Data(e, t, c, bucket('acme-ml-training-data'), 'ListObjects');
      return s3Data(e, t, c, bucket(`sagemaker-us-east-1-${RESEARCH.id}`), 'PutObject');
    }
    case 'smTrainEcr': {
      const c = viaServiceCaller(rng.chance(0.8) ? APPS.smResearch : APPS.smProd, t, 'sagemaker.amazonaws.com');
      return ecrCall(e, t, c, 'us-east-1', rng.chance(0.3) ? 'BatchGetImage' : 'GetDownloadUrlForLayer', rng.chance(0.7) ? 'training-images' : 'llm-serving');
    }
    case 'pipeline': {
      const c = appCaller(APPS.pipeline, 'us-east-1', t);
      return rng.chance(0.93) ? smCall(e, t, c, RESEARCH.id, 'us-east-1', 'DescribeTrainingJob') : smCall(e, t, c, RESEARCH.id, 'us-east-1', 'ListTrainingJobs');
    }
    case 'stsService': {
      const x = rng.next();
      if (x < 0.45) {
        const fn = rng.pick(FUNCTIONS);
        return stsServiceAssume(e, t, 'lambda.amazonaws.com', fn.account, 'us-east-1', fn.role, fn.name, serviceCaller('lambda.amazonaws.com'));
      }
      if (x < 0.8) {
        const app = rng.pick([APPS.chat, APPS.web, APPS.embedder]);
        return stsServiceAssume(e, t, 'ecs-tasks.amazonaws.com', app.account, 'us-east-1', app.role, hashChars(`task:${app.account}:${app.role}:${Math.floor(t / 86_400_000)}`, 32, '0123456789abcdef'), serviceCaller('ecs-tasks.amazonaws.com'));
      }
      const app = rng.chance(0.8) ? APPS.smResearch : APPS.smProd;
      return stsServiceAssume(e, t, 'sagemaker.amazonaws.com', app.account, 'us-east-1', `service-role/${app.role}`, 'SageMaker', serviceCaller('sagemaker.amazonaws.com'));
    }
    case 'kmsS3': {
      const x = rng.next();
      let app = APPS.rag;
      let b = bucket('acme-datasets-prod');
      if (x < 0.3) {
        app = APPS.smProd;
        b = bucket('acme-model-artifacts');
      } else if (x < 0.45) {
        app = APPS.embedder;
      } else if (x < 0.55) {
        app = APPS.web;
        b = bucket('acme-logs');
      }
      const c = appCaller(app, b.region, t);
      c.identity.invokedBy = 's3.amazonaws.com';
      c.ip = 's3.amazonaws.com';
      c.ua = () => 's3.amazonaws.com';
      c.viaService = true;
      c.vpc = undefined;
      return kmsForS3(e, t, c, b, b.name === 'acme-logs' || rng.chance(0.2) ? 'GenerateDataKey' : 'Decrypt');
    }
    case 'kmsTrail': {
      const acct = rng.pick([SHARED.id, PROD.id, RESEARCH.id]);
      return kmsCloudTrail(e, t, serviceCaller('cloudtrail.amazonaws.com'), acct, rng.pickW(REGION_APP));
    }
    case 'kmsSm':
      return kmsService(e, t, serviceCaller('sagemaker.amazonaws.com'), RESEARCH.id, 'us-east-1', rng.chance(0.5) ? 'Decrypt' : 'GenerateDataKey', { 'aws:sagemaker:training-job': `llama3-ft-${rng.hex(6)}` });
    case 'kmsLambda': {
      const fn = rng.pick(FUNCTIONS);
      const c = appCaller(FUNCTION_APPS[fn.name] ?? APPS.rag, 'us-east-1', t);
      return kmsService(e, t, c, fn.account, 'us-east-1', 'Decrypt', { 'aws:lambda:FunctionArn': `arn:aws:lambda:us-east-1:${fn.account}:function:${fn.name}` }, 'lambda');
    }
    case 'asg': {
      const acct = rng.chance(0.5) ? PROD.id : RESEARCH.id;
      const c: Caller = {
        identity: {
          type: 'AssumedRole',
          principalId: `${hashChars('asg:' + acct, 17)}:AutoScaling`,
          arn: `arn:aws:sts::${acct}:assumed-role/AWSServiceRoleForAutoScaling/AutoScaling`,
          accountId: acct,
          sessionContext: {
            sessionIssuer: { type: 'Role', principalId: 'AROA' + hashChars('asg:' + acct, 17), arn: `arn:aws:iam::${acct}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`, accountId: acct, userName: 'AWSServiceRoleForAutoScaling' },
            attributes: { creationDate: new Date(Math.floor(t / HOUR) * HOUR).toISOString().slice(0, 19) + 'Z', mfaAuthenticated: 'false' },
          },
          invokedBy: 'autoscaling.amazonaws.com',
        },
        ip: 'autoscaling.amazonaws.com',
        ua: () => 'autoscaling.amazonaws.com',
        arn: `arn:aws:sts::${acct}:assumed-role/AWSServiceRoleForAutoScaling/AutoScaling`,
        console: false,
        viaService: true,
      };
      return ec2Describe(e, t, c, acct, 'us-east-1');
    }
    case 'gpuWorker': {
      const c = appCaller(APPS.gpuWorker, 'us-west-2', t);
      return rng.chance(0.6)
        ? s3Data(e, t, c, bucket('acme-ml-scratch-usw2'), rng.chance(0.6) ? 'GetObject' : 'PutObject')
        : s3Data(e, t, c, bucket('acme-ml-training-data'), 'GetObject');
    }
    case 'serviceEvent':
      return serviceEvent(e, t);
    case 'poc': {
      // The proof-of-concept script that owns the key which later leaks: office IP, boto3.
      const c = iamUserCaller(POC_USER.account, POC_USER.name, OFFICE_IPS[hash32('poc', Math.floor(t / 86_400_000)) % OFFICE_IPS.length]!, () => botoUA(0, 'mac'));
      return rng.chance(0.85)
        ? bedrockInvoke(e, t, c, POC_USER.account, 'us-east-1', 'InvokeModel', pickModel(rng, weighted([['anthropic.claude-3-haiku-20240307-v1:0', 3], ['anthropic.claude-v2:1', 0.15], ['amazon.titan-embed-text-v2:0', 1]]), 'us-east-1'))
        : bedrockConsoleish(e, t, c, POC_USER.account, 'us-east-1');
    }
  }
}

/** Rare events AWS itself records: key rotation, Spot interruptions. */
function serviceEvent(e: Emitter, t: number): Rec {
  const rng = e.rng;
  if (rng.chance(0.5)) {
    const acct = rng.pick([SHARED.id, PROD.id, RESEARCH.id]);
    const key = kmsKeyArn(acct, 'us-east-1');
    return e.rec(t, serviceCaller('AWS Internal', acct), {
      src: 'kms.amazonaws.com', name: 'RotateKey', region: 'us-east-1', account: acct, rp: null, ro: false,
      res: [{ accountId: acct, type: 'AWS::KMS::Key', ARN: key }], type: 'AwsServiceEvent', requestId: null,
      sed: { keyId: key.split('/').pop() },
    });
  }
  return e.rec(t, serviceCaller('ec2.amazonaws.com', RESEARCH.id), {
    src: 'ec2.amazonaws.com', name: 'BidEvictedEvent', region: rng.chance(0.7) ? 'us-west-2' : 'us-east-1', account: RESEARCH.id,
    rp: null, ro: false, type: 'AwsServiceEvent', requestId: null,
    sed: { instanceIdSet: ['i-0' + rng.hex(16)] },
  });
}
