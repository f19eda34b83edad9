/**
 * Per-service record shapes (Bedrock, SageMaker, S3, Lambda, EC2, ECR, STS, IAM, KMS,
 * CloudTrail, sign-in), written to follow real CloudTrail events of the same name.
 */

import {
  AGENT, AZ_SUFFIX, KNOWLEDGE_BASES, MODELS, REPOS, SHARED, TRAIL_ARN,
  kmsKeyArn, type Bucket, type Model,
} from './catalog.js';
import { awsDate, type Caller, type Emitter, type Rec } from './records.js';
import { hashChars, KEY_ALPHABET, weighted, type Rng, type Weighted } from './rng.js';

const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS';

/** Error probabilities for a call: [code, message, probability]. */
export type ErrorMix = Array<[string, string, number]>;

/** Picks an error from a mix, or null. */
export function maybeError(rng: Rng, mix: ErrorMix): [string, string] | null {
  let x = rng.next();
  for (const [code, msg, p] of mix) {
    if (x < p) return [code, msg];
    x -= p;
  }
  return null;
}

// ---------------------------------------------------------------- Bedrock

const MODEL_BY_ID = new Map(MODELS.map((m) => [m.id, m]));

/** A model by id. */
export function model(id: string): Model {
  const m = MODEL_BY_ID.get(id);
  if (!m) throw new Error(`unknown model ${id}`);
  return m;
}

/** Model tables by use: production chat, embeddings, people exploring. */
export const MODEL_TABLES = {
  chat: weighted<string>([
    ['us.anthropic.claude-3-7-sonnet-20250219-v1:0', 30],
    ['anthropic.claude-3-5-sonnet-20241022-v2:0', 18],
    ['anthropic.claude-3-5-haiku-20241022-v1:0', 16],
    ['anthropic.claude-3-haiku-20240307-v1:0', 10],
    ['us.anthropic.claude-sonnet-4-20250514-v1:0', 9],
    ['us.amazon.nova-pro-v1:0', 6],
    ['arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0', 4],
  ]),
  embed: weighted<string>([
    ['amazon.titan-embed-text-v2:0', 75],
    ['cohere.embed-english-v3', 25],
  ]),
  explore: weighted<string>(
    MODELS.filter((m) => !m.legacy).map((m) => [m.id, m.kind === 'chat' ? 3 : 1] as [string, number]),
  ),
};

const REGION_FALLBACK: Record<string, Weighted<string>> = {
  'eu-west-1': weighted([
    ['eu.anthropic.claude-3-7-sonnet-20250219-v1:0', 50],
    ['anthropic.claude-3-5-sonnet-20240620-v1:0', 25],
    ['anthropic.claude-3-haiku-20240307-v1:0', 25],
  ]),
  'ap-southeast-2': weighted([
    ['anthropic.claude-3-5-sonnet-20240620-v1:0', 60],
    ['anthropic.claude-3-haiku-20240307-v1:0', 40],
  ]),
  'us-west-2': weighted([['anthropic.claude-3-5-sonnet-20241022-v2:0', 1]]),
  'us-east-1': weighted([['anthropic.claude-3-5-sonnet-20241022-v2:0', 1]]),
};

const EMBED_FALLBACK: Record<string, string> = {
  'eu-west-1': 'amazon.titan-embed-text-v2:0',
  'ap-southeast-2': 'amazon.titan-embed-text-v2:0',
};

/** A model from `table` that exists in `region`. */
export function pickModel(rng: Rng, table: Weighted<string>, region: string): Model {
  const m = model(rng.pickW(table));
  if (m.regions.includes(region)) return m;
  if (m.kind === 'embed') return model(EMBED_FALLBACK[region] ?? 'amazon.titan-embed-text-v2:0');
  return model(rng.pickW(REGION_FALLBACK[region] ?? REGION_FALLBACK['us-east-1']!));
}

/** Usual runtime failures; about 3 % in total. */
export const RUNTIME_ERRORS: ErrorMix = [
  ['ThrottlingException', 'Too many requests, please wait before trying again.', 0.022],
  ['ValidationException', 'Input is too long for requested model.', 0.004],
  ['ValidationException', 'Malformed input request: #: required key [messages] not found, please reformat your input and try again.', 0.002],
  ['ModelTimeoutException', 'Model has timed out in processing the request. Try your request again.', 0.001],
  ['ServiceUnavailableException', 'Bedrock is unable to process your request.', 0.001],
];

/** A bedrock-runtime call: InvokeModel, InvokeModelWithResponseStream, Converse or ConverseStream. */
export function bedrockInvoke(e: Emitter, t: number, c: Caller, account: string, region: string, name: string, m: Model, errors: ErrorMix = RUNTIME_ERRORS): Rec {
  const rng = e.rng;
  let err = m.legacy
    ? (['ResourceNotFoundException', 'This model version has reached the end of its life. Please refer to the AWS documentation for more details.'] as [string, string])
    : maybeError(rng, errors);
  if (!err && rng.chance(0.002)) {
    const action = name.startsWith('Converse') ? name.replace('Converse', 'InvokeModel').replace('InvokeModelStream', 'InvokeModelWithResponseStream') : name;
    err = e.denied(c, `bedrock:${action}`, modelArn(m, region, account));
  }
  return e.rec(t, c, {
    src: 'bedrock.amazonaws.com',
    name,
    region,
    account,
    rp: { modelId: m.id },
    aed: m.route && !err ? { inferenceRegion: rng.pick(m.route) } : undefined,
    ro: true,
    host: `bedrock-runtime.${region}.amazonaws.com`,
    err,
  });
}

/** The ARN IAM evaluates for a model id. */
export function modelArn(m: Model, region: string, account: string): string {
  if (m.id.startsWith('arn:')) return m.id;
  if (m.route) return `arn:aws:bedrock:${region}:${account}:inference-profile/${m.id}`;
  return `arn:aws:bedrock:${region}::foundation-model/${m.id}`;
}

/** Bedrock knowledge-base retrieval or agent invocation (data events). */
export function bedrockAgentRuntime(e: Emitter, t: number, c: Caller, account: string, region: string, name: 'Retrieve' | 'RetrieveAndGenerate' | 'InvokeAgent'): Rec {
  const rng = e.rng;
  const kb = rng.pick(KNOWLEDGE_BASES);
  let rp: Rec;
  let res: Rec[];
  if (name === 'InvokeAgent') {
    rp = { agentId: AGENT.id, agentAliasId: AGENT.alias, sessionId: rng.uuid(), enableTrace: false, endSession: false, inputText: HIDDEN };
    res = [{ accountId: account, type: 'AWS::Bedrock::AgentAlias', ARN: `arn:aws:bedrock:${region}:${account}:agent-alias/${AGENT.id}/${AGENT.alias}` }];
  } else if (name === 'Retrieve') {
    rp = { knowledgeBaseId: kb, retrievalQuery: { text: HIDDEN }, retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: rng.pick([5, 8, 10]) } } };
    res = [{ accountId: account, type: 'AWS::Bedrock::KnowledgeBase', ARN: `arn:aws:bedrock:${region}:${account}:knowledge-base/${kb}` }];
  } else {
    rp = {
      input: { text: HIDDEN },
      retrieveAndGenerateConfiguration: {
        type: 'KNOWLEDGE_BASE',
        knowledgeBaseConfiguration: { knowledgeBaseId: kb, modelArn: `arn:aws:bedrock:${region}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0` },
      },
    };
    res = [{ accountId: account, type: 'AWS::Bedrock::KnowledgeBase', ARN: `arn:aws:bedrock:${region}:${account}:knowledge-base/${kb}` }];
  }
  return e.rec(t, c, {
    src: 'bedrock.amazonaws.com',
    name,
    region,
    account,
    rp,
    re: name === 'InvokeAgent' ? null : undefined,
    ro: name !== 'InvokeAgent',
    res,
    data: true,
    host: `bedrock-agent-runtime.${region}.amazonaws.com`,
    err: maybeError(rng, [['ThrottlingException', 'Your request rate is too high. Reduce the frequency of requests.', 0.01]]),
  });
}

/** A Bedrock control-plane call with the given parameters. */
export function bedrockControl(e: Emitter, t: number, c: Caller, account: string, region: string, name: string, rp: unknown, re: unknown, ro: boolean, err?: [string, string] | null): Rec {
  return e.rec(t, c, { src: 'bedrock.amazonaws.com', name, region, account, rp, re, ro, host: `bedrock.${region}.amazonaws.com`, err: err ?? null });
}

/** A random but plausible Bedrock control-plane call by a person. */
export function bedrockConsoleish(e: Emitter, t: number, c: Caller, account: string, region: string): Rec {
  const rng = e.rng;
  const m = pickModel(rng, MODEL_TABLES.explore, region);
  const baseId = m.id.replace(/^arn:.*foundation-model\//, '').replace(/^(us|eu)\./, '');
  const op = rng.pickW(CONTROL_OPS);
  switch (op) {
    case 'ListFoundationModels':
      return bedrockControl(e, t, c, account, region, op, rng.chance(0.5) ? null : { byInferenceType: 'ON_DEMAND' }, null, true);
    case 'GetFoundationModel':
      return bedrockControl(e, t, c, account, region, op, { modelIdentifier: baseId }, null, true, rng.chance(0.03) ? ['ValidationException', 'The provided model identifier is invalid.'] : null);
    case 'GetFoundationModelAvailability':
      return bedrockControl(e, t, c, account, region, op, { modelId: baseId }, null, true);
    case 'ListGuardrails':
      return bedrockControl(e, t, c, account, region, op, { maxResults: 50 }, null, true);
    case 'GetGuardrail':
      return bedrockControl(e, t, c, account, region, op, { guardrailIdentifier: guardrailId(account), guardrailVersion: 'DRAFT' }, null, true);
    case 'UpdateGuardrail':
      return bedrockControl(e, t, c, account, region, op, { guardrailIdentifier: guardrailId(account), name: HIDDEN, description: HIDDEN, blockedInputMessaging: HIDDEN, blockedOutputsMessaging: HIDDEN, contentPolicyConfig: contentPolicy() }, { guardrailId: guardrailId(account), guardrailArn: guardrailArn(account, region), version: 'DRAFT', updatedAt: new Date(t + 380).toISOString() }, false);
    case 'CreateGuardrail': {
      const id = hashChars(`gr:${t}`, 12, 'abcdefghijklmnopqrstuvwxyz0123456789');
      return bedrockControl(e, t, c, account, region, op, { name: HIDDEN, description: HIDDEN, blockedInputMessaging: HIDDEN, blockedOutputsMessaging: HIDDEN, contentPolicyConfig: contentPolicy(), clientRequestToken: rng.uuid() }, { guardrailId: id, guardrailArn: `arn:aws:bedrock:${region}:${account}:guardrail/${id}`, version: 'DRAFT', createdAt: new Date(t + 410).toISOString() }, false);
    }
    case 'GetModelInvocationLoggingConfiguration':
      return bedrockControl(e, t, c, account, region, op, null, null, true);
    case 'PutModelInvocationLoggingConfiguration':
      return bedrockControl(e, t, c, account, region, op, { loggingConfig: loggingConfig(account) }, null, false);
    case 'CreateModelCustomizationJob': {
      const name = `support-tone-ft-${new Date(t).toISOString().slice(0, 10).replace(/-/g, '')}`;
      return bedrockControl(e, t, c, account, region, op, {
        jobName: name,
        customModelName: `${name}-model`,
        roleArn: `arn:aws:iam::${account}:role/service-role/BedrockCustomizationRole`,
        baseModelIdentifier: 'meta.llama3-1-8b-instruct-v1:0:128k',
        customizationType: 'FINE_TUNING',
        trainingDataConfig: { s3Uri: 's3://acme-ml-training-data/instruct/sft-v7/train.jsonl' },
        outputDataConfig: { s3Uri: 's3://acme-model-artifacts/bedrock-custom/' },
        hyperParameters: { epochCount: '2', batchSize: '1', learningRate: '0.00001' },
      }, { jobArn: `arn:aws:bedrock:${region}:${account}:model-customization-job/meta.llama3-1-8b-instruct-v1:0:128k/${hashChars(name, 12, 'abcdefghijklmnopqrstuvwxyz0123456789')}` }, false);
    }
    case 'GetKnowledgeBase':
      return bedrockControl(e, t, c, account, region, op, { knowledgeBaseId: rng.pick(KNOWLEDGE_BASES) }, null, true);
    default:
      return bedrockControl(e, t, c, account, region, op, null, null, true);
  }
}

const CONTROL_OPS = weighted<string>([
  ['ListFoundationModels', 10],
  ['GetFoundationModel', 6],
  ['GetFoundationModelAvailability', 1.5],
  ['ListInferenceProfiles', 3],
  ['ListCustomModels', 1.5],
  ['ListGuardrails', 3],
  ['GetGuardrail', 2],
  ['UpdateGuardrail', 0.35],
  ['CreateGuardrail', 0.1],
  ['GetModelInvocationLoggingConfiguration', 1.5],
  ['PutModelInvocationLoggingConfiguration', 0.1],
  ['CreateModelCustomizationJob', 0.1],
  ['ListModelInvocationJobs', 0.7],
  ['ListKnowledgeBases', 1.5],
  ['GetKnowledgeBase', 1],
  ['ListAgents', 0.8],
  ['ListProvisionedModelThroughputs', 0.3],
]);

/** Guardrail id in an account. */
export function guardrailId(account: string): string {
  return hashChars(`guardrail:${account}`, 12, 'abcdefghijklmnopqrstuvwxyz0123456789');
}

/** Guardrail ARN in an account and region. */
export function guardrailArn(account: string, region: string): string {
  return `arn:aws:bedrock:${region}:${account}:guardrail/${guardrailId(account)}`;
}

function contentPolicy(): Rec {
  return {
    filtersConfig: [
      { type: 'HATE', inputStrength: 'HIGH', outputStrength: 'HIGH' },
      { type: 'VIOLENCE', inputStrength: 'HIGH', outputStrength: 'HIGH' },
      { type: 'PROMPT_ATTACK', inputStrength: 'HIGH', outputStrength: 'NONE' },
    ],
  };
}

/** The invocation-logging configuration the team normally has. */
export function loggingConfig(account: string): Rec {
  return {
    cloudWatchConfig: {
      logGroupName: '/aws/bedrock/model-invocations',
      roleArn: `arn:aws:iam::${account}:role/BedrockInvocationLoggingRole`,
      largeDataDeliveryS3Config: { bucketName: 'acme-logs', keyPrefix: `bedrock/${account}/large/` },
    },
    s3Config: { bucketName: 'acme-logs', keyPrefix: `bedrock/${account}/` },
    textDataDeliveryEnabled: true,
    imageDataDeliveryEnabled: false,
    embeddingDataDeliveryEnabled: false,
  };
}

// ---------------------------------------------------------------- S3

/** An object key that fits the bucket. */
export function objectKey(rng: Rng, b: Bucket): string {
  const prefix = rng.pick(b.prefixes);
  const ext = rng.pick(b.exts);
  if (b.name === 'acme-web-assets') return `${prefix}${rng.hex(16)}${ext}`;
  if (b.name === 'acme-logs') return `${prefix}2025/${String(rng.range(1, 12)).padStart(2, '0')}/${String(rng.range(1, 28)).padStart(2, '0')}/${rng.hex(8)}${ext}`;
  return `${prefix}part-${String(rng.int(4000)).padStart(5, '0')}${ext}`;
}

/** An S3 object- or bucket-level data event. */
export function s3Data(e: Emitter, t: number, c: Caller, b: Bucket, name: 'GetObject' | 'PutObject' | 'HeadObject' | 'ListObjects' | 'DeleteObject', opts: { key?: string; err?: [string, string] | null; noErrors?: boolean; out?: number } = {}): Rec {
  const rng = e.rng;
  const host = `${b.name}.s3.${b.region}.amazonaws.com`;
  const key = opts.key ?? objectKey(rng, b);
  let err = opts.err ?? null;
  if (!err && !opts.noErrors) {
    if ((name === 'GetObject' || name === 'HeadObject') && rng.chance(0.025)) err = ['NoSuchKey', 'The specified key does not exist.'];
    else if (rng.chance(0.004)) err = ['AccessDenied', 'Access Denied'];
  }
  const size = opts.out ?? Math.round(rng.logNormal(b.size, 1.2));
  let rp: Rec;
  let re: Rec | null = null;
  let res: Rec[];
  const bucketRes = { accountId: b.account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${b.name}` };
  let inBytes = 0;
  let outBytes = 0;
  if (name === 'ListObjects') {
    rp = { 'list-type': '2', bucketName: b.name, 'encoding-type': 'url', prefix: rng.pick(b.prefixes), Host: host };
    if (rng.chance(0.5)) rp.delimiter = '/';
    res = [bucketRes];
    outBytes = 600 + rng.int(30000);
  } else {
    rp = { bucketName: b.name, Host: host, key };
    res = [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${b.name}/${key}` }, bucketRes];
    if (name === 'GetObject') {
      outBytes = err ? 0 : size;
      if (rng.chance(0.15)) rp['x-id'] = 'GetObject';
    } else if (name === 'PutObject') {
      inBytes = size;
      re = b.kms
        ? { 'x-amz-server-side-encryption-aws-kms-key-id': kmsKeyArn(b.account, b.region), 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-bucket-key-enabled': 'true' }
        : { 'x-amz-server-side-encryption': 'AES256' };
    }
  }
  return e.rec(t, c, {
    src: 's3.amazonaws.com',
    name,
    region: b.region,
    account: b.account,
    rp,
    re,
    aed: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: inBytes,
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': rng.b64(76),
      bytesTransferredOut: outBytes,
    },
    requestId: rng.hexUpper(16),
    ro: name === 'GetObject' || name === 'HeadObject' || name === 'ListObjects',
    res,
    data: true,
    host,
    err,
  });
}

/** An S3 bucket-level management call (ListBuckets, GetBucketPolicy, ...). */
export function s3Mgmt(e: Emitter, t: number, c: Caller, b: Bucket | null, name: string, rp: Rec | null, ro: boolean, err?: [string, string] | null): Rec {
  const rng = e.rng;
  const region = b?.region ?? 'us-east-1';
  const host = b ? `${b.name}.s3.${region}.amazonaws.com` : `s3.${region}.amazonaws.com`;
  return e.rec(t, c, {
    src: 's3.amazonaws.com',
    name,
    region,
    account: b?.account ?? (c.identity.accountId as string),
    rp: rp ?? { Host: host },
    aed: { SignatureVersion: 'SigV4', CipherSuite: 'TLS_AES_128_GCM_SHA256', bytesTransferredIn: 0, AuthenticationMethod: 'AuthHeader', 'x-amz-id-2': rng.b64(76), bytesTransferredOut: ro ? 200 + rng.int(2000) : 0 },
    requestId: rng.hexUpper(16),
    ro,
    res: b ? [{ accountId: b.account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${b.name}` }] : undefined,
    host,
    err: err ?? null,
  });
}

// ---------------------------------------------------------------- KMS

/** A KMS Decrypt or GenerateDataKey made for an S3 object with SSE-KMS. */
export function kmsForS3(e: Emitter, t: number, c: Caller, b: Bucket, name: 'Decrypt' | 'GenerateDataKey'): Rec {
  const key = kmsKeyArn(b.account, b.region);
  const rp: Rec = name === 'Decrypt'
    ? { encryptionContext: { 'aws:s3:arn': `arn:aws:s3:::${b.name}` }, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }
    : { keyId: key, encryptionContext: { 'aws:s3:arn': `arn:aws:s3:::${b.name}` }, keySpec: 'AES_256' };
  return e.rec(t, c, {
    src: 'kms.amazonaws.com',
    name,
    region: b.region,
    account: b.account,
    rp,
    ro: true,
    res: [{ accountId: b.account, type: 'AWS::KMS::Key', ARN: key }],
    err: maybeError(e.rng, [['ThrottlingException', 'Rate exceeded', 0.001]]),
  });
}

/** A KMS call made by an AWS service for itself (CloudTrail, SageMaker, Lambda). */
export function kmsService(e: Emitter, t: number, c: Caller, account: string, region: string, name: 'Decrypt' | 'GenerateDataKey', context: Rec, purpose = 'data'): Rec {
  const key = kmsKeyArn(account, region, purpose);
  const rp: Rec = name === 'Decrypt'
    ? { encryptionContext: context, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }
    : { keyId: key, encryptionContext: context, keySpec: 'AES_256' };
  return e.rec(t, c, {
    src: 'kms.amazonaws.com',
    name,
    region,
    account,
    rp,
    ro: true,
    res: [{ accountId: account, type: 'AWS::KMS::Key', ARN: key }],
    shared: c.identity.type === 'AWSService',
  });
}

/** The CloudTrail log-file encryption call CloudTrail makes every delivery. */
export function kmsCloudTrail(e: Emitter, t: number, c: Caller, account: string, region: string): Rec {
  const day = new Date(t).toISOString().slice(0, 10).replace(/-/g, '/');
  return kmsService(e, t, c, SHARED.id, region, 'GenerateDataKey', {
    'aws:cloudtrail:arn': TRAIL_ARN,
    'aws:s3:arn': `arn:aws:s3:::acme-org-cloudtrail/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${day}/${account}_CloudTrail_${region}_${e.rng.hexUpper(4)}.json.gz`,
  }, 'trail');
}

// ---------------------------------------------------------------- STS

/** An AWS service assuming a workload role (Lambda, ECS tasks, SageMaker). */
export function stsServiceAssume(e: Emitter, t: number, service: string, account: string, region: string, role: string, sessionName: string, c: Caller): Rec {
  const rng = e.rng;
  const roleArn = `arn:aws:iam::${account}:role/${role}`;
  return e.rec(t, c, {
    src: 'sts.amazonaws.com',
    name: 'AssumeRole',
    region,
    account,
    rp: { roleArn, roleSessionName: sessionName },
    re: {
      credentials: { accessKeyId: 'ASIA' + rng.chars(16, KEY_ALPHABET), expiration: awsDate(t + (service === 'lambda.amazonaws.com' ? 12 : 6) * 3_600_000) },
    },
    ro: true,
    res: [{ accountId: account, type: 'AWS::IAM::Role', ARN: roleArn }],
    shared: true,
  });
}

/** GetCallerIdentity. */
export function getCallerIdentity(e: Emitter, t: number, c: Caller, account: string, region: string): Rec {
  return e.rec(t, c, { src: 'sts.amazonaws.com', name: 'GetCallerIdentity', region, account, rp: null, ro: true });
}

// ---------------------------------------------------------------- Lambda

/** Lambda Invoke (a data event). */
export function lambdaInvoke(e: Emitter, t: number, c: Caller, account: string, region: string, fn: string, async: boolean): Rec {
  const arn = `arn:aws:lambda:${region}:${account}:function:${fn}`;
  const err = maybeError(e.rng, [
    ['TooManyRequestsException', 'Rate Exceeded.', 0.004],
    ['ResourceNotFoundException', `Function not found: ${arn}:staging`, 0.001],
  ]);
  return e.rec(t, c, {
    src: 'lambda.amazonaws.com',
    name: 'Invoke',
    region,
    account,
    rp: async ? { functionName: arn, invocationType: 'Event' } : { functionName: arn },
    aed: { functionVersion: `${arn}:$LATEST` },
    ro: false,
    res: [{ accountId: account, type: 'AWS::Lambda::Function', ARN: arn }],
    data: true,
    err,
  });
}

/** A Lambda management call with its versioned event name. */
export function lambdaMgmt(e: Emitter, t: number, c: Caller, account: string, region: string, fn: { name: string; runtime: string; role: string }, op: 'GetFunction20150331v2' | 'ListFunctions20150331' | 'UpdateFunctionCode20150331v2' | 'UpdateFunctionConfiguration20150331v2' | 'CreateFunction20150331' | 'PublishVersion20150331'): Rec {
  const rng = e.rng;
  const arn = `arn:aws:lambda:${region}:${account}:function:${fn.name}`;
  const sha = rng.b64(43) + '=';
  let rp: Rec | null = { functionName: fn.name };
  let re: Rec | null = null;
  const cfg = (): Rec => ({
    functionName: fn.name,
    functionArn: arn,
    runtime: fn.runtime,
    role: `arn:aws:iam::${account}:role/${fn.role}`,
    handler: fn.runtime.startsWith('python') ? 'app.handler' : 'index.handler',
    codeSize: 1_000_000 + rng.int(30_000_000),
    description: '',
    timeout: 60,
    memorySize: 1024,
    lastModified: new Date(t).toISOString().replace('Z', '+0000'),
    codeSha256: sha,
    version: '$LATEST',
    tracingConfig: { mode: 'PassThrough' },
    revisionId: rng.uuid(),
    state: 'Active',
    lastUpdateStatus: 'InProgress',
    packageType: 'Zip',
    architectures: ['arm64'],
    ephemeralStorage: { size: 512 },
  });
  let ro = false;
  switch (op) {
    case 'GetFunction20150331v2':
      ro = true;
      break;
    case 'ListFunctions20150331':
      rp = null;
      ro = true;
      break;
    case 'UpdateFunctionCode20150331v2':
      rp = { functionName: fn.name, publish: false, dryRun: false, s3Bucket: 'acme-lambda-artifacts', s3Key: `${fn.name}/${rng.hex(40)}.zip` };
      re = cfg();
      break;
    case 'UpdateFunctionConfiguration20150331v2':
      rp = { functionName: fn.name, timeout: 60, memorySize: 1024, environment: {} };
      re = cfg();
      break;
    case 'CreateFunction20150331':
      rp = { functionName: fn.name, runtime: fn.runtime, role: `arn:aws:iam::${account}:role/${fn.role}`, handler: 'app.handler', code: {}, timeout: 60, memorySize: 1024, publish: false, packageType: 'Zip', architectures: ['arm64'] };
      re = cfg();
      break;
    case 'PublishVersion20150331':
      rp = { functionName: fn.name, codeSha256: sha };
      re = { ...cfg(), version: String(2 + rng.int(60)), lastUpdateStatus: 'Successful' };
      break;
  }
  return e.rec(t, c, { src: 'lambda.amazonaws.com', name: op, region, account, rp, re, ro });
}

// ---------------------------------------------------------------- ECR

const ECR_MEDIA = ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json'];

/** An ECR call on one of the shared repositories. */
export function ecrCall(e: Emitter, t: number, c: Caller, region: string, op: 'BatchGetImage' | 'GetDownloadUrlForLayer' | 'PutImage' | 'GetAuthorizationToken' | 'BatchCheckLayerAvailability' | 'InitiateLayerUpload' | 'CompleteLayerUpload' | 'DescribeImages' | 'DescribeRepositories', repoName?: string): Rec {
  const rng = e.rng;
  const repo = repoName ?? rng.pick(REPOS);
  const account = SHARED.id;
  const arn = `arn:aws:ecr:${region}:${account}:repository/${repo}`;
  const tag = `${['v1', 'v2', 'rel'][rng.int(3)]}.${rng.int(40)}.${rng.int(10)}-${rng.hex(7)}`;
  let rp: Rec | null = { repositoryName: repo, registryId: account };
  let re: Rec | null = null;
  let ro = true;
  let res: Rec[] | undefined = [{ accountId: account, ARN: arn }];
  let err: [string, string] | null = null;
  switch (op) {
    case 'GetAuthorizationToken':
      rp = null;
      res = undefined;
      break;
    case 'BatchGetImage':
      rp = { imageIds: [{ imageTag: rng.chance(0.3) ? 'latest' : tag }], acceptedMediaTypes: ECR_MEDIA, repositoryName: repo, registryId: account };
      if (rng.chance(0.01)) err = ['ImageNotFoundException', `Requested image not found`];
      break;
    case 'GetDownloadUrlForLayer':
      rp = { repositoryName: repo, registryId: account, layerDigest: `sha256:${rng.hex(64)}` };
      break;
    case 'BatchCheckLayerAvailability':
      rp = { repositoryName: repo, registryId: account, layerDigests: [`sha256:${rng.hex(64)}`, `sha256:${rng.hex(64)}`] };
      break;
    case 'InitiateLayerUpload':
      ro = false;
      re = { uploadId: rng.uuid(), partSize: 10485760 };
      break;
    case 'CompleteLayerUpload':
      ro = false;
      rp = { repositoryName: repo, registryId: account, uploadId: rng.uuid(), layerDigests: [`sha256:${rng.hex(64)}`] };
      re = { registryId: account, repositoryName: repo, uploadId: rp.uploadId, layerDigest: (rp.layerDigests as string[])[0] };
      break;
    case 'PutImage': {
      ro = false;
      const digest = `sha256:${rng.hex(64)}`;
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: ECR_MEDIA[0],
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 7000 + rng.int(9000), digest: `sha256:${rng.hex(64)}` },
        layers: [0, 1, 2].map(() => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: rng.int(900_000_000), digest: `sha256:${rng.hex(64)}` })),
      });
      rp = { repositoryName: repo, imageTag: tag, imageManifest: manifest, registryId: account };
      re = { image: { registryId: account, repositoryName: repo, imageId: { imageDigest: digest, imageTag: tag }, imageManifest: manifest, imageManifestMediaType: ECR_MEDIA[0] } };
      break;
    }
    case 'DescribeImages':
      rp = { repositoryName: repo, registryId: account, filter: { tagStatus: 'TAGGED' }, maxResults: 100 };
      break;
    case 'DescribeRepositories':
      rp = null;
      res = undefined;
      break;
  }
  return e.rec(t, c, { src: 'ecr.amazonaws.com', name: op, region, account, rp, re, ro, res, err });
}

// ---------------------------------------------------------------- EC2

/** GPU and general instance types. */
export const GPU_TYPES = ['p4d.24xlarge', 'g5.xlarge', 'g5.12xlarge', 'inf2.xlarge', 'trn1.2xlarge'];
/** Everyday instance types. */
export const CPU_TYPES = ['t3.medium', 't3.large', 'm5.xlarge', 'm5.2xlarge'];

/** DescribeInstances, as consoles and tools call it all the time. */
export function ec2Describe(e: Emitter, t: number, c: Caller, account: string, region: string): Rec {
  const rng = e.rng;
  const rp: Rec = rng.chance(0.6)
    ? { instancesSet: {}, filterSet: {} }
    : { instancesSet: { items: [{ instanceId: 'i-0' + rng.hex(16) }] }, filterSet: {} };
  const err = maybeError(rng, [['Client.RequestLimitExceeded', 'Request limit exceeded.', 0.004]]);
  return e.rec(t, c, { src: 'ec2.amazonaws.com', name: 'DescribeInstances', region, account, rp, ro: true, err });
}

/** RunInstances with a realistic request and response. */
export function ec2Run(e: Emitter, t: number, c: Caller, account: string, region: string, instanceType: string, count: number, opts: { name?: string; err?: [string, string] | null; keyName?: string; profile?: string } = {}): Rec {
  const rng = e.rng;
  const az = region + rng.pick(AZ_SUFFIX);
  const ami = 'ami-0' + rng.hex(16);
  const subnet = 'subnet-0' + hashChars(`subnet:${account}:${az}`, 16, '0123456789abcdef');
  const vpc = 'vpc-0' + hashChars(`vpc:${account}:${region}`, 16, '0123456789abcdef');
  const sg = 'sg-0' + hashChars(`sg:${account}:${region}`, 16, '0123456789abcdef');
  const token = rng.uuid();
  const items: Rec = { imageId: ami, minCount: count, maxCount: count };
  if (opts.keyName) items.keyName = opts.keyName;
  const rp: Rec = {
    instancesSet: { items: [items] },
    groupSet: { items: [{ groupId: sg }] },
    instanceType,
    blockDeviceMapping: { items: [{ deviceName: '/dev/xvda', ebs: { volumeSize: instanceType.startsWith('p') || instanceType.startsWith('g') ? 500 : 40, deleteOnTermination: true, volumeType: 'gp3' } }] },
    monitoring: { enabled: false },
    disableApiTermination: false,
    disableApiStop: false,
    clientToken: token,
    subnetId: subnet,
  };
  if (opts.profile) rp.iamInstanceProfile = { name: opts.profile };
  rp.tagSpecificationSet = { items: [{ resourceType: 'instance', tags: [{ key: 'Name', value: opts.name ?? `exp-${rng.hex(6)}` }] }] };
  const reservation = 'r-0' + rng.hex(16);
  const launch = t - 800;
  const instances: Rec[] = [];
  for (let i = 0; i < count; i++) {
    const ip = `10.${20 + rng.int(10)}.${rng.int(255)}.${2 + rng.int(250)}`;
    instances.push({
      instanceId: 'i-0' + rng.hex(16),
      imageId: ami,
      currentInstanceBootMode: 'legacy-bios',
      instanceState: { code: 0, name: 'pending' },
      privateDnsName: `ip-${ip.replace(/\./g, '-')}.ec2.internal`,
      ...(opts.keyName ? { keyName: opts.keyName } : {}),
      amiLaunchIndex: i,
      productCodes: {},
      instanceType,
      launchTime: launch,
      placement: { availabilityZone: az, tenancy: 'default' },
      monitoring: { state: 'disabled' },
      subnetId: subnet,
      vpcId: vpc,
      privateIpAddress: ip,
      stateReason: { code: 'pending', message: 'pending' },
      architecture: 'x86_64',
      rootDeviceType: 'ebs',
      rootDeviceName: '/dev/xvda',
      blockDeviceMapping: {},
      virtualizationType: 'hvm',
      clientToken: token,
      groupSet: { items: [{ groupId: sg, groupName: 'default' }] },
      sourceDestCheck: true,
      hypervisor: 'xen',
      networkInterfaceSet: {
        items: [{
          networkInterfaceId: 'eni-0' + rng.hex(16),
          subnetId: subnet,
          vpcId: vpc,
          ownerId: account,
          status: 'in-use',
          macAddress: `0e:${rng.hex(2)}:${rng.hex(2)}:${rng.hex(2)}:${rng.hex(2)}:${rng.hex(2)}`,
          privateIpAddress: ip,
          sourceDestCheck: true,
          interfaceType: 'interface',
          groupSet: { items: [{ groupId: sg, groupName: 'default' }] },
          attachment: { attachmentId: 'eni-attach-0' + rng.hex(16), deviceIndex: 0, networkCardIndex: 0, status: 'attaching', attachTime: launch, deleteOnTermination: true },
          privateIpAddressesSet: { item: [{ privateIpAddress: ip, primary: true }] },
          ipv6AddressesSet: {},
          tagSet: {},
        }],
      },
      ebsOptimized: instanceType !== 't3.medium',
      enaSupport: true,
      cpuOptions: { coreCount: instanceType.startsWith('p4d') ? 48 : 2, threadsPerCore: 2 },
      capacityReservationSpecification: { capacityReservationPreference: 'open' },
      enclaveOptions: { enabled: false },
      metadataOptions: { state: 'pending', httpTokens: 'required', httpPutResponseHopLimit: 2, httpEndpoint: 'enabled', httpProtocolIpv4: 'enabled', httpProtocolIpv6: 'disabled', instanceMetadataTags: 'disabled' },
      maintenanceOptions: { autoRecovery: 'default' },
      privateDnsNameOptions: { hostnameType: 'ip-name', enableResourceNameDnsARecord: false, enableResourceNameDnsAAAARecord: false },
    });
  }
  return e.rec(t, c, {
    src: 'ec2.amazonaws.com',
    name: 'RunInstances',
    region,
    account,
    rp,
    re: {
      requestId: rng.uuid(),
      reservationId: reservation,
      ownerId: account,
      groupSet: {},
      instancesSet: { items: instances },
    },
    ro: false,
    err: opts.err ?? null,
  });
}

/** TerminateInstances for one instance. */
export function ec2Terminate(e: Emitter, t: number, c: Caller, account: string, region: string): Rec {
  const id = 'i-0' + e.rng.hex(16);
  return e.rec(t, c, {
    src: 'ec2.amazonaws.com',
    name: 'TerminateInstances',
    region,
    account,
    rp: { instancesSet: { items: [{ instanceId: id }] } },
    re: { requestId: e.rng.uuid(), instancesSet: { items: [{ instanceId: id, currentState: { code: 32, name: 'shutting-down' }, previousState: { code: 16, name: 'running' } }] } },
    ro: false,
  });
}

// ---------------------------------------------------------------- IAM and CloudTrail

/** An IAM read or write by a person or a tool. */
export function iamCall(e: Emitter, t: number, c: Caller, account: string, op: 'ListRoles' | 'GetRole' | 'ListAttachedRolePolicies' | 'ListUsers' | 'CreateAccessKey' | 'AttachRolePolicy' | 'GetUser' | 'ListAccessKeys', target?: string): Rec {
  const rng = e.rng;
  const roles = ['rag-retriever-role', 'acme-chat-backend-task', 'github-actions-deploy', 'AmazonSageMaker-ExecutionRole-Research', 'BedrockInvocationLoggingRole'];
  const role = target ?? rng.pick(roles);
  let rp: Rec | null = null;
  let re: Rec | null = null;
  let ro = true;
  let err: [string, string] | null = null;
  switch (op) {
    case 'ListRoles':
      rp = rng.chance(0.5) ? { maxItems: 1000 } : null;
      break;
    case 'GetRole':
    case 'ListAttachedRolePolicies':
      rp = { roleName: role };
      if (rng.chance(0.01)) err = ['NoSuchEntity', `The role with name ${role} cannot be found.`];
      break;
    case 'ListUsers':
      break;
    case 'GetUser':
    case 'ListAccessKeys':
      rp = target ? { userName: target } : null;
      break;
    case 'CreateAccessKey': {
      ro = false;
      const user = target ?? 'svc-data-sync';
      rp = { userName: user };
      re = { accessKey: { userName: user, accessKeyId: 'AKIA' + rng.chars(16, KEY_ALPHABET), status: 'Active', createDate: awsDate(t) } };
      break;
    }
    case 'AttachRolePolicy':
      ro = false;
      rp = { roleName: role, policyArn: rng.pick(['arn:aws:iam::aws:policy/AmazonBedrockFullAccess', 'arn:aws:iam::aws:policy/AmazonSageMakerFullAccess', 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess']) };
      break;
  }
  if (!err && !ro && rng.chance(0.05)) err = e.denied(c, `iam:${op}`, `arn:aws:iam::${account}:role/${role}`);
  return e.rec(t, c, { src: 'iam.amazonaws.com', name: op, region: 'us-east-1', account, rp, re, ro, err });
}

/** CloudTrail API calls (LookupEvents, DescribeTrails, GetTrailStatus). */
export function cloudtrailCall(e: Emitter, t: number, c: Caller, account: string, region: string, op: 'LookupEvents' | 'DescribeTrails' | 'GetTrailStatus' | 'GetEventSelectors'): Rec {
  const rng = e.rng;
  let rp: Rec | null = null;
  let err: [string, string] | null = null;
  switch (op) {
    case 'LookupEvents': {
      const attr = rng.pick([
        ['EventName', rng.pick(['ConsoleLogin', 'InvokeModel', 'CreateAccessKey', 'PutBucketPolicy'])],
        ['Username', rng.pick(['alice.nguyen', 'svc-bedrock-poc', 'bob.okafor'])],
        ['EventSource', rng.pick(['bedrock.amazonaws.com', 'sagemaker.amazonaws.com', 'iam.amazonaws.com'])],
      ] as Array<[string, string]>);
      rp = { lookupAttributes: [{ attributeKey: attr[0], attributeValue: attr[1] }], maxResults: 50 };
      if (rng.chance(0.04)) err = ['ThrottlingException', 'Rate exceeded'];
      break;
    }
    case 'DescribeTrails':
      rp = { trailNameList: [], includeShadowTrails: true };
      break;
    case 'GetTrailStatus':
    case 'GetEventSelectors':
      rp = { name: TRAIL_ARN };
      break;
  }
  return e.rec(t, c, { src: 'cloudtrail.amazonaws.com', name: op, region, account, rp, ro: true, err });
}

function iamLoginData(e: Emitter, account: string, user: string, mfa: boolean): Rec {
  const d: Rec = { LoginTo: 'https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_' + e.rng.hex(16), MobileVersion: 'No' };
  if (mfa) d.MFAIdentifier = `arn:aws:iam::${account}:mfa/${user}`;
  d.MFAUsed = mfa ? 'Yes' : 'No';
  return d;
}

/** A console sign-in event; failures carry only an error message, as real ones do. */
export function consoleLogin(e: Emitter, t: number, c: Caller, account: string, mfa: boolean, success: boolean): Rec {
  const r = e.rec(t, c, {
    src: 'signin.amazonaws.com',
    name: 'ConsoleLogin',
    region: 'us-east-1',
    account,
    rp: null,
    re: { ConsoleLogin: success ? 'Success' : 'Failure' },
    aed: c.identity.type === 'IAMUser' ? iamLoginData(e, account, c.identity.userName as string, mfa) : { MobileVersion: 'No', MFAUsed: 'No' },
    requestId: null,
    ro: false,
    type: 'AwsConsoleSignIn',
    err: success ? null : ['', 'Failed authentication'],
  });
  if (!success) {
    delete r.errorCode;
    r.responseElements = { ConsoleLogin: 'Failure' };
  }
  delete r.sessionCredentialFromConsole;
  return r;
}

// ---------------------------------------------------------------- SageMaker

const DLC = '763104351884';

/** Training images: the team's own (in the shared ECR) and AWS deep-learning containers. */
export function trainingImage(rng: Rng, region: string): string {
  return rng.chance(0.6)
    ? `${SHARED.id}.dkr.ecr.${region}.amazonaws.com/training-images:${rng.pick(['llama-ft-2.4.1', 'reranker-1.9.0', 'tokenize-0.7.2'])}`
    : `${DLC}.dkr.ecr.${region}.amazonaws.com/${rng.pick(['pytorch-training:2.3.0-gpu-py311-cu121-ubuntu20.04-sagemaker', 'huggingface-pytorch-training:2.1.0-transformers4.36.0-gpu-py310-cu121-ubuntu20.04'])}`;
}

/** Name with a timestamp suffix, as the SageMaker SDK generates. */
export function jobName(base: string, t: number, rng: Rng): string {
  const d = new Date(t).toISOString();
  return `${base}-${d.slice(0, 10)}-${d.slice(11, 13)}-${d.slice(14, 16)}-${d.slice(17, 19)}-${String(rng.int(1000)).padStart(3, '0')}`;
}

function smArn(region: string, account: string, kind: string, name: string): string {
  return `arn:aws:sagemaker:${region}:${account}:${kind}/${name.toLowerCase()}`;
}

function vpcConfig(account: string, region: string): Rec {
  return {
    securityGroupIds: ['sg-0' + hashChars(`smsg:${account}:${region}`, 16, '0123456789abcdef')],
    subnets: ['a', 'b'].map((z) => 'subnet-0' + hashChars(`subnet:${account}:${region}${z}`, 16, '0123456789abcdef')),
  };
}

/** CreateTrainingJob with the fields the SDK sends. */
export function smCreateTrainingJob(e: Emitter, t: number, c: Caller, account: string, region: string, base: string, roleName: string, opts: { instanceType?: string; err?: [string, string] | null } = {}): Rec {
  const rng = e.rng;
  const name = jobName(base, t, rng);
  const instanceType = opts.instanceType ?? rng.pick(['ml.p4d.24xlarge', 'ml.g5.2xlarge', 'ml.g5.2xlarge', 'ml.g5.12xlarge', 'ml.m5.xlarge']);
  const secure = rng.chance(0.6);
  const rp: Rec = {
    trainingJobName: name,
    hyperParameters: { epochs: String(rng.range(1, 5)), learning_rate: rng.pick(['2e-05', '1e-04', '5e-05']), per_device_train_batch_size: String(rng.pick([4, 8, 16])), sagemaker_program: 'train.py', sagemaker_submit_directory: `"s3://sagemaker-${region}-${account}/${name}/source/sourcedir.tar.gz"` },
    algorithmSpecification: { trainingImage: trainingImage(rng, region), trainingInputMode: rng.pick(['File', 'FastFile']), enableSageMakerMetricsTimeSeries: true },
    roleArn: `arn:aws:iam::${account}:role/service-role/${roleName}`,
    inputDataConfig: [
      { channelName: 'train', dataSource: { s3DataSource: { s3DataType: 'S3Prefix', s3Uri: `s3://acme-ml-training-data/${rng.pick(['instruct/sft-v7/', 'corpora/support-tickets/2025/', 'corpora/docs-crawl/v3/'])}`, s3DataDistributionType: 'FullyReplicated' } } },
      { channelName: 'validation', dataSource: { s3DataSource: { s3DataType: 'S3Prefix', s3Uri: 's3://acme-ml-training-data/eval/golden-set/', s3DataDistributionType: 'FullyReplicated' } } },
    ],
    outputDataConfig: secure
      ? { kmsKeyId: kmsKeyArn(account, region), s3OutputPath: `s3://sagemaker-${region}-${account}/${base}/output/` }
      : { s3OutputPath: `s3://sagemaker-${region}-${account}/${base}/output/` },
    resourceConfig: { instanceType, instanceCount: instanceType === 'ml.p4d.24xlarge' ? rng.pick([1, 2]) : 1, volumeSizeInGB: rng.pick([100, 500]) },
  };
  if (secure) rp.vpcConfig = vpcConfig(account, region);
  rp.stoppingCondition = { maxRuntimeInSeconds: 86400 };
  rp.enableNetworkIsolation = secure && rng.chance(0.5);
  rp.enableInterContainerTrafficEncryption = secure;
  rp.enableManagedSpotTraining = rng.chance(0.3);
  rp.tags = [{ key: 'project', value: base }, { key: 'owner', value: (c.identity.arn as string).split('/').pop() ?? 'unknown' }];
  let err = opts.err ?? null;
  if (err === null && instanceType === 'ml.p4d.24xlarge' && rng.chance(0.08)) {
    err = ['ResourceLimitExceeded', `The account-level service limit 'ml.p4d.24xlarge for training job usage' is 2 Instances, with current utilization of 2 Instances and a request delta of 1 Instances. Please use AWS Service Quotas to request an increase for this quota.`];
  }
  return e.rec(t, c, { src: 'sagemaker.amazonaws.com', name: 'CreateTrainingJob', region, account, rp, re: { trainingJobArn: smArn(region, account, 'training-job', name) }, ro: false, err });
}

/** A SageMaker call other than CreateTrainingJob. */
export function smCall(e: Emitter, t: number, c: Caller, account: string, region: string, op: string, target?: string): Rec {
  const rng = e.rng;
  let rp: Rec | null = null;
  let re: Rec | null = null;
  let ro = false;
  let err: [string, string] | null = null;
  const ep = target ?? rng.pick(['reranker-prod', 'intent-classifier-prod', 'llama3-ft-chat-prod']);
  const img = `${SHARED.id}.dkr.ecr.${region}.amazonaws.com/llm-serving:${rng.pick(['tgi-2.4.0', 'vllm-0.6.3', 'rerank-1.9.0'])}`;
  switch (op) {
    case 'DescribeTrainingJob':
      ro = true;
      rp = { trainingJobName: target ?? jobName(rng.pick(['llama3-ft', 'reranker', 'intent-clf']), t - rng.int(6 * 3_600_000), rng) };
      if (rng.chance(0.012)) err = ['ValidationException', 'Requested resource not found.'];
      break;
    case 'ListTrainingJobs':
    case 'ListEndpoints':
    case 'ListModels':
    case 'ListNotebookInstances':
      ro = true;
      rp = rng.chance(0.5) ? null : { sortBy: 'CreationTime', sortOrder: 'Descending', maxResults: 50 };
      break;
    case 'DescribeEndpoint':
      ro = true;
      rp = { endpointName: ep };
      break;
    case 'DescribeNotebookInstance':
      ro = true;
      rp = { notebookInstanceName: target ?? 'ds-sandbox' };
      break;
    case 'CreateHyperParameterTuningJob': {
      const name = `rerank-hpo-${rng.hex(6)}`;
      rp = {
        hyperParameterTuningJobName: name,
        hyperParameterTuningJobConfig: {
          strategy: 'Bayesian',
          hyperParameterTuningJobObjective: { type: 'Maximize', metricName: 'validation:ndcg' },
          resourceLimits: { maxNumberOfTrainingJobs: 20, maxParallelTrainingJobs: 4 },
          parameterRanges: { continuousParameterRanges: [{ name: 'learning_rate', minValue: '1e-06', maxValue: '1e-03', scalingType: 'Logarithmic' }] },
        },
        trainingJobDefinition: {
          algorithmSpecification: { trainingImage: trainingImage(rng, region), trainingInputMode: 'File' },
          roleArn: `arn:aws:iam::${account}:role/service-role/AmazonSageMaker-ExecutionRole-Research`,
          resourceConfig: { instanceType: 'ml.g5.2xlarge', instanceCount: 1, volumeSizeInGB: 100 },
          stoppingCondition: { maxRuntimeInSeconds: 14400 },
          outputDataConfig: { s3OutputPath: `s3://sagemaker-${region}-${account}/hpo/rerank/` },
        },
      };
      re = { hyperParameterTuningJobArn: smArn(region, account, 'hyper-parameter-tuning-job', name) };
      break;
    }
    case 'CreateModel': {
      const name = `${ep.replace(/-prod$/, '')}-${rng.hex(8)}`;
      rp = { modelName: name, primaryContainer: { image: img, modelDataUrl: `s3://acme-model-artifacts/${rng.pick(['reranker/v12/', 'intent-clf/v4/', 'llama3-ft/v2/'])}model.tar.gz`, environment: { SM_NUM_GPUS: '1', MAX_INPUT_LENGTH: '4096' } }, executionRoleArn: `arn:aws:iam::${account}:role/service-role/AmazonSageMaker-ExecutionRole-Prod`, enableNetworkIsolation: rng.chance(0.5) };
      if (rng.chance(0.6)) rp.vpcConfig = vpcConfig(account, region);
      re = { modelArn: smArn(region, account, 'model', name) };
      break;
    }
    case 'CreateEndpointConfig': {
      const name = `${ep}-config-${rng.hex(6)}`;
      rp = { endpointConfigName: name, productionVariants: [{ variantName: 'AllTraffic', modelName: `${ep.replace(/-prod$/, '')}-${rng.hex(8)}`, initialInstanceCount: rng.pick([1, 2]), instanceType: rng.pick(['ml.g5.2xlarge', 'ml.g5.xlarge', 'ml.inf2.xlarge', 'ml.m5.xlarge']), initialVariantWeight: 1 }] };
      if (rng.chance(0.7)) rp.kmsKeyId = kmsKeyArn(account, region);
      re = { endpointConfigArn: smArn(region, account, 'endpoint-config', name) };
      break;
    }
    case 'CreateEndpoint':
    case 'UpdateEndpoint':
      rp = { endpointName: ep, endpointConfigName: `${ep}-config-${rng.hex(6)}` };
      if (op === 'UpdateEndpoint') rp.retainAllVariantProperties = false;
      re = { endpointArn: smArn(region, account, 'endpoint', ep) };
      break;
    case 'CreateModelPackage': {
      const group = rng.pick(['reranker', 'intent-classifier', 'llama3-ft-chat']);
      rp = {
        modelPackageGroupName: group,
        modelPackageDescription: `Candidate from pipeline run ${rng.hex(8)}`,
        inferenceSpecification: { containers: [{ image: img, modelDataUrl: `s3://acme-model-artifacts/${group}/candidate/model.tar.gz` }], supportedContentTypes: ['application/json'], supportedResponseMIMETypes: ['application/json'], supportedRealtimeInferenceInstanceTypes: ['ml.g5.2xlarge'] },
        modelApprovalStatus: 'PendingManualApproval',
      };
      re = { modelPackageArn: smArn(region, account, 'model-package', `${group}/${rng.range(3, 40)}`) };
      break;
    }
    case 'UpdateModelPackage': {
      const arn = smArn(region, account, 'model-package', `${rng.pick(['reranker', 'intent-classifier', 'llama3-ft-chat'])}/${rng.range(3, 40)}`);
      rp = { modelPackageArn: arn, modelApprovalStatus: rng.chance(0.8) ? 'Approved' : 'Rejected', approvalDescription: 'Reviewed offline eval report' };
      re = { modelPackageArn: arn };
      break;
    }
    case 'CreatePresignedNotebookInstanceUrl':
      rp = { notebookInstanceName: target ?? 'ds-sandbox', sessionExpirationDurationInSeconds: 1800 };
      re = { authorizedUrl: HIDDEN };
      break;
    case 'CreatePresignedDomainUrl':
      rp = { domainId: 'd-' + hashChars(`domain:${account}`, 12, 'abcdefghijklmnopqrstuvwxyz0123456789'), userProfileName: target ?? 'default-profile', sessionExpirationDurationInSeconds: 43200 };
      re = { authorizedUrl: HIDDEN };
      break;
    default:
      ro = true;
  }
  return e.rec(t, c, { src: 'sagemaker.amazonaws.com', name: op, region, account, rp, re, ro, err });
}

/** InvokeEndpoint on a production endpoint (a data event). */
export function smInvokeEndpoint(e: Emitter, t: number, c: Caller, account: string, region: string, endpoint: string): Rec {
  const err = maybeError(e.rng, [
    ['ModelError', 'Received server error (500) from primary with message "upstream timeout". See CloudWatch logs for more details.', 0.004],
    ['ThrottlingException', 'Rate exceeded', 0.002],
  ]);
  return e.rec(t, c, {
    src: 'sagemaker.amazonaws.com',
    name: 'InvokeEndpoint',
    region,
    account,
    rp: { endpointName: endpoint, contentType: 'application/json', accept: 'application/json' },
    ro: false,
    res: [{ accountId: account, type: 'AWS::SageMaker::Endpoint', ARN: smArn(region, account, 'endpoint', endpoint) }],
    data: true,
    host: `runtime.sagemaker.${region}.amazonaws.com`,
    err,
  });
}

/** The resource IAM names in an AccessDenied message for a record, or null for actions without one. */
function deniedResource(r: Rec): string | null {
  const res = r.resources as Rec[] | undefined;
  if (res?.[0]?.ARN) return res[0].ARN as string;
  const rp = (r.requestParameters ?? {}) as Rec;
  const region = r.awsRegion as string;
  const acct = r.recipientAccountId as string;
  switch (r.eventSource) {
    case 'bedrock.amazonaws.com':
      if (typeof rp.modelId !== 'string') return `arn:aws:bedrock:${region}:${acct}:*`;
      return modelArn(MODEL_BY_ID.get(rp.modelId) ?? { id: rp.modelId, regions: [], kind: 'chat' }, region, acct);
    case 'sagemaker.amazonaws.com':
      if (rp.trainingJobName) return smArn(region, acct, 'training-job', rp.trainingJobName as string);
      if (rp.endpointName) return smArn(region, acct, 'endpoint', rp.endpointName as string);
      if (rp.notebookInstanceName) return smArn(region, acct, 'notebook-instance', rp.notebookInstanceName as string);
      if (rp.modelName) return smArn(region, acct, 'model', rp.modelName as string);
      return null;
    case 'lambda.amazonaws.com':
      return rp.functionName ? `arn:aws:lambda:${region}:${acct}:function:${rp.functionName as string}` : null;
    case 'iam.amazonaws.com':
      if (rp.roleName) return `arn:aws:iam::${acct}:role/${rp.roleName as string}`;
      if (rp.userName) return `arn:aws:iam::${acct}:user/${rp.userName as string}`;
      return null;
    case 'cloudtrail.amazonaws.com':
      return TRAIL_ARN;
    default:
      return null;
  }
}

/**
 * Turns a successful record into the AccessDenied failure of the same call, with the error
 * code and message each service really uses. Returns the record unchanged for calls that
 * cannot be denied (sign-in, GetCallerIdentity).
 */
export function denyRecord(r: Rec, callerArn: string): Rec {
  const src = r.eventSource as string;
  const name = r.eventName as string;
  if (src === 'signin.amazonaws.com' || name === 'GetCallerIdentity' || r.errorCode || r.errorMessage) return r;
  const action = `${src.split('.')[0]}:${name.replace(/20\d{2}_?\d{2}_?\d{2}(v\d)?$/, '')}`;
  let code = 'AccessDenied';
  let msg: string;
  if (src === 's3.amazonaws.com') msg = 'Access Denied';
  else if (src === 'ec2.amazonaws.com') {
    code = 'Client.UnauthorizedOperation';
    msg = `You are not authorized to perform this operation. User: ${callerArn} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`;
  } else {
    const res = deniedResource(r);
    msg = res
      ? `User: ${callerArn} is not authorized to perform: ${action} on resource: ${res} because no identity-based policy allows the ${action} action`
      : `User: ${callerArn} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`;
  }
  const out: Rec = {};
  for (const [k, v] of Object.entries(r)) {
    if (k === 'requestParameters') {
      out.errorCode = code;
      out.errorMessage = msg;
    }
    if (k === 'responseElements') out[k] = null;
    else if (k === 'additionalEventData' && src !== 's3.amazonaws.com') continue;
    else out[k] = v;
  }
  return out;
}
