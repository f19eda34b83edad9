/**
 * The fictional organisation behind the demo data: an AI team ("Acme") with three AWS
 * accounts, its people, CI, applications, buckets and the Bedrock models it uses.
 * All names, ids and addresses are made up; IPs come from documentation ranges.
 */

import { hash32, hashChars, KEY_ALPHABET, weighted, type Weighted } from './rng.js';

/** One AWS account of the organisation. */
export interface Account {
  id: string;
  name: string;
}

/** Shared services: CI, ECR, security tooling and the organisation trail. */
export const SHARED: Account = { id: '111122223333', name: 'acme-shared-services' };
/** Production: the chat product, RAG Lambdas, SageMaker endpoints. */
export const PROD: Account = { id: '444455556666', name: 'acme-ml-prod' };
/** Research: training, notebooks, experiments. */
export const RESEARCH: Account = { id: '777788889999', name: 'acme-ml-research' };

/** The organisation trail that delivers every account's events. */
export const TRAIL_ARN = `arn:aws:cloudtrail:us-east-1:${SHARED.id}:trail/acme-org-trail`;

/** Availability zones suffixes per region, for EC2 placement. */
export const AZ_SUFFIX = ['a', 'b', 'c'];

/** Stable IAM unique id with the given prefix (AIDA, AROA, AKIA, ...). */
export function uniqueId(prefix: string, name: string): string {
  const key = prefix + name;
  let id = idCache.get(key);
  if (id === undefined) {
    id = prefix + hashChars(name, 17, KEY_ALPHABET);
    idCache.set(key, id);
  }
  return id;
}

const idCache = new Map<string, string>();

/** Stable access key id (20 chars) for a long-term key. */
export function accessKeyFor(prefix: string, name: string): string {
  return prefix + hashChars('key:' + name, 16, KEY_ALPHABET);
}

/** Tooling a person tends to use; drives the user agent and console flag. */
export type Tool = 'console' | 'cli' | 'boto3' | 'sdkjs' | 'sagemaker-sdk';

/** A person in the team. */
export interface Person {
  name: string;
  /** Offset from UTC in hours for the working-day rhythm. */
  tz: number;
  /** SSO permission sets per account id. The first is the everyday one. */
  sso: Record<string, string[]>;
  /** An IAM user with a long-term key, if the person has one. */
  iamUser?: { account: string; name: string };
  tools: Weighted<Tool>;
  /** Preferred region besides us-east-1, and how often it is used. */
  region: string;
  regionShare: number;
  os: 'mac' | 'linux' | 'windows';
  /** Relative activity level. */
  weight: number;
  focus: 'ml' | 'data' | 'platform' | 'security' | 'manager';
}

const T = (c: number, cli: number, b: number, js: number, sm: number): Weighted<Tool> =>
  weighted<Tool>([
    ['console', c],
    ['cli', cli],
    ['boto3', b],
    ['sdkjs', js],
    ['sagemaker-sdk', sm],
  ]);

/** The team. */
export const PEOPLE: Person[] = [
  {
    name: 'alice.nguyen', tz: -5, focus: 'ml', weight: 1.4, os: 'mac', region: 'us-west-2', regionShare: 0.1,
    sso: { [PROD.id]: ['MLEngineer'], [RESEARCH.id]: ['MLEngineer'], [SHARED.id]: ['ReadOnlyAccess'] },
    tools: T(3, 2, 3, 0, 2),
  },
  {
    name: 'bob.okafor', tz: -5, focus: 'platform', weight: 1.2, os: 'linux', region: 'us-west-2', regionShare: 0.15,
    sso: { [SHARED.id]: ['AdministratorAccess'], [PROD.id]: ['AdministratorAccess'], [RESEARCH.id]: ['AdministratorAccess'] },
    iamUser: { account: PROD.id, name: 'bob.okafor' },
    tools: T(2, 5, 1, 1, 0),
  },
  {
    name: 'carol.schmidt', tz: 1, focus: 'data', weight: 1.1, os: 'mac', region: 'eu-west-1', regionShare: 0.45,
    sso: { [RESEARCH.id]: ['DataScientist'], [PROD.id]: ['ReadOnlyAccess'] },
    tools: T(3, 1, 3, 0, 4),
  },
  {
    name: 'dev.patel', tz: -8, focus: 'data', weight: 1.2, os: 'mac', region: 'us-west-2', regionShare: 0.35,
    sso: { [RESEARCH.id]: ['DataScientist'], [PROD.id]: ['ReadOnlyAccess'] },
    tools: T(3, 1, 3, 0, 4),
  },
  {
    name: 'erin.kowalski', tz: -5, focus: 'security', weight: 0.9, os: 'linux', region: 'us-west-2', regionShare: 0.1,
    sso: { [SHARED.id]: ['SecurityAudit', 'AdministratorAccess'], [PROD.id]: ['SecurityAudit'], [RESEARCH.id]: ['SecurityAudit'] },
    tools: T(4, 4, 2, 0, 0),
  },
  {
    name: 'farid.haddad', tz: 1, focus: 'ml', weight: 1.2, os: 'linux', region: 'eu-west-1', regionShare: 0.4,
    sso: { [PROD.id]: ['MLEngineer', 'AdministratorAccess'], [RESEARCH.id]: ['MLEngineer'] },
    tools: T(2, 3, 3, 1, 1),
  },
  {
    name: 'grace.lindqvist', tz: 1, focus: 'manager', weight: 0.5, os: 'windows', region: 'eu-west-1', regionShare: 0.3,
    sso: { [SHARED.id]: ['ReadOnlyAccess', 'AdministratorAccess'], [PROD.id]: ['ReadOnlyAccess'], [RESEARCH.id]: ['ReadOnlyAccess'] },
    tools: T(8, 1, 0, 0, 0),
  },
  {
    name: 'hiro.tanaka', tz: -8, focus: 'ml', weight: 1.0, os: 'linux', region: 'us-west-2', regionShare: 0.5,
    sso: { [RESEARCH.id]: ['DataScientist', 'MLEngineer'], [PROD.id]: ['ReadOnlyAccess'] },
    tools: T(1, 3, 4, 0, 3),
  },
];

/** Service IAM user whose long-term key is used by a proof-of-concept script (and leaks). */
export const POC_USER = { account: RESEARCH.id, name: 'svc-bedrock-poc' };

/** The suffix AWS IAM Identity Center appends to a permission-set role in an account. */
export function ssoRoleName(permissionSet: string, account: string): string {
  return `AWSReservedSSO_${permissionSet}_${hashChars(`sso:${permissionSet}:${account}`, 16, '0123456789abcdef')}`;
}

/** Application roles (ECS tasks, Lambda functions, SageMaker execution). */
export interface AppRole {
  role: string;
  account: string;
  /** What acts with this role: becomes the session name style, UA and source IP. */
  runtime: 'ecs' | 'lambda' | 'sagemaker' | 'ec2';
  /** Session name for Lambda roles (the function name). */
  fn?: string;
  lang: 'python' | 'js';
}

/** Application roles. */
export const APPS = {
  chat: { role: 'acme-chat-backend-task', account: PROD.id, runtime: 'ecs', lang: 'js' } as AppRole,
  rag: { role: 'rag-retriever-role', account: PROD.id, runtime: 'lambda', fn: 'rag-retriever', lang: 'python' } as AppRole,
  agentAction: { role: 'bedrock-agent-action-role', account: PROD.id, runtime: 'lambda', fn: 'bedrock-agent-action', lang: 'python' } as AppRole,
  thumb: { role: 'thumbnailer-role', account: PROD.id, runtime: 'lambda', fn: 'thumbnailer', lang: 'js' } as AppRole,
  embedder: { role: 'batch-embedder-task', account: PROD.id, runtime: 'ecs', lang: 'python' } as AppRole,
  web: { role: 'acme-web-task', account: PROD.id, runtime: 'ecs', lang: 'js' } as AppRole,
  smProd: { role: 'AmazonSageMaker-ExecutionRole-Prod', account: PROD.id, runtime: 'sagemaker', lang: 'python' } as AppRole,
  smResearch: { role: 'AmazonSageMaker-ExecutionRole-Research', account: RESEARCH.id, runtime: 'sagemaker', lang: 'python' } as AppRole,
  pipeline: { role: 'ml-pipeline-orchestrator', account: RESEARCH.id, runtime: 'lambda', fn: 'ml-pipeline-orchestrator', lang: 'python' } as AppRole,
  gpuWorker: { role: 'gpu-worker-instance-role', account: RESEARCH.id, runtime: 'ec2', lang: 'python' } as AppRole,
};

/** GitHub Actions roles assumed through OIDC. */
export const CI_ROLES = [
  { role: 'github-actions-deploy', account: PROD.id, repo: 'acme-ai/chat-backend', weight: 3 },
  { role: 'github-actions-deploy', account: PROD.id, repo: 'acme-ai/rag-service', weight: 2 },
  { role: 'github-actions-ecr-push', account: SHARED.id, repo: 'acme-ai/llm-serving', weight: 3 },
  { role: 'github-actions-ecr-push', account: SHARED.id, repo: 'acme-ai/training-images', weight: 2 },
  { role: 'github-actions-training', account: RESEARCH.id, repo: 'acme-ai/model-training', weight: 3 },
  { role: 'github-actions-terraform', account: SHARED.id, repo: 'acme-ai/infrastructure', weight: 1 },
];

/** The GitHub OIDC provider ARN in an account. */
export function oidcProvider(account: string): string {
  return `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`;
}

/** A Bedrock model id with where it can be called and what it is for. */
export interface Model {
  id: string;
  regions: string[];
  kind: 'chat' | 'embed';
  /** For inference profiles: the regions the request may be routed to. */
  route?: string[];
  legacy?: boolean;
}

const US = ['us-east-1', 'us-west-2'];
const US_ROUTE = ['us-east-1', 'us-east-2', 'us-west-2'];
const EU_ROUTE = ['eu-west-1', 'eu-west-3', 'eu-central-1'];

/** Models the team uses. */
export const MODELS: Model[] = [
  { id: 'anthropic.claude-3-5-sonnet-20240620-v1:0', regions: [...US, 'eu-west-1', 'ap-southeast-2'], kind: 'chat' },
  { id: 'anthropic.claude-3-5-sonnet-20241022-v2:0', regions: US, kind: 'chat' },
  { id: 'anthropic.claude-3-haiku-20240307-v1:0', regions: [...US, 'eu-west-1', 'ap-southeast-2'], kind: 'chat' },
  { id: 'anthropic.claude-3-5-haiku-20241022-v1:0', regions: US, kind: 'chat' },
  { id: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0', regions: US, kind: 'chat', route: US_ROUTE },
  { id: 'us.anthropic.claude-sonnet-4-20250514-v1:0', regions: US, kind: 'chat', route: US_ROUTE },
  { id: 'eu.anthropic.claude-3-7-sonnet-20250219-v1:0', regions: ['eu-west-1'], kind: 'chat', route: EU_ROUTE },
  { id: 'us.amazon.nova-pro-v1:0', regions: US, kind: 'chat', route: US_ROUTE },
  { id: 'amazon.nova-lite-v1:0', regions: ['us-east-1'], kind: 'chat' },
  { id: 'meta.llama3-1-70b-instruct-v1:0', regions: US, kind: 'chat' },
  { id: 'mistral.mistral-large-2407-v1:0', regions: ['us-west-2'], kind: 'chat' },
  { id: 'cohere.command-r-plus-v1:0', regions: US, kind: 'chat' },
  { id: 'amazon.titan-embed-text-v2:0', regions: [...US, 'eu-west-1', 'ap-southeast-2'], kind: 'embed' },
  { id: 'cohere.embed-english-v3', regions: [...US, 'eu-west-1'], kind: 'embed' },
  { id: 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0', regions: ['us-east-1'], kind: 'chat' },
  { id: 'anthropic.claude-v2:1', regions: ['us-east-1'], kind: 'chat', legacy: true },
];

/** A bucket and what lives in it. */
export interface Bucket {
  name: string;
  account: string;
  region: string;
  ai: boolean;
  prefixes: string[];
  exts: string[];
  /** Median object size in bytes. */
  size: number;
  kms: boolean;
}

/** Buckets, AI and non-AI. */
export const BUCKETS: Bucket[] = [
  { name: 'acme-ml-training-data', account: RESEARCH.id, region: 'us-east-1', ai: true, prefixes: ['corpora/support-tickets/2025/', 'corpora/docs-crawl/v3/', 'instruct/sft-v7/', 'eval/golden-set/'], exts: ['.jsonl', '.parquet', '.jsonl.gz'], size: 48_000_000, kms: false },
  { name: 'acme-datasets-prod', account: PROD.id, region: 'us-east-1', ai: true, prefixes: ['kb/product-docs/', 'kb/faq/', 'embeddings/titan-v2/', 'feedback/thumbs/'], exts: ['.json', '.md', '.parquet', '.pdf'], size: 220_000, kms: true },
  { name: `sagemaker-us-east-1-${RESEARCH.id}`, account: RESEARCH.id, region: 'us-east-1', ai: true, prefixes: ['llama-ft/output/', 'llama-ft/checkpoints/', 'hpo/rerank/', 'processing/tokenize/'], exts: ['.tar.gz', '.pt', '.safetensors', '.json'], size: 900_000_000, kms: false },
  { name: 'acme-model-artifacts', account: PROD.id, region: 'us-east-1', ai: true, prefixes: ['reranker/v12/', 'intent-clf/v4/', 'llama3-ft/v2/'], exts: ['.tar.gz', '.safetensors', '.json'], size: 1_400_000_000, kms: true },
  { name: 'acme-ml-scratch-usw2', account: RESEARCH.id, region: 'us-west-2', ai: true, prefixes: ['hiro/exp/', 'dev/notebooks/', 'tmp/'], exts: ['.ipynb', '.csv', '.pt', '.json'], size: 3_000_000, kms: false },
  { name: 'acme-datasets-eu', account: PROD.id, region: 'eu-west-1', ai: true, prefixes: ['kb/product-docs-de/', 'kb/product-docs-fr/'], exts: ['.md', '.json', '.pdf'], size: 180_000, kms: true },
  { name: 'acme-web-assets', account: PROD.id, region: 'us-east-1', ai: false, prefixes: ['img/uploads/', 'img/thumbs/', 'static/js/'], exts: ['.jpg', '.png', '.webp', '.js'], size: 350_000, kms: false },
  { name: 'acme-logs', account: SHARED.id, region: 'us-east-1', ai: false, prefixes: ['alb/prod/', 'app/chat-backend/', 'vpc-flow/'], exts: ['.log.gz', '.json.gz'], size: 2_000_000, kms: true },
  { name: 'acme-dr-backups-apse2', account: SHARED.id, region: 'ap-southeast-2', ai: false, prefixes: ['rds/', 'config/'], exts: ['.tar.gz', '.json'], size: 50_000_000, kms: true },
];

/** Look up a bucket by name. */
export function bucket(name: string): Bucket {
  const b = BUCKETS.find((x) => x.name === name);
  if (!b) throw new Error(`unknown bucket ${name}`);
  return b;
}

/** KMS key ids per account (one customer-managed key each, per region by hash). */
export function kmsKeyArn(account: string, region: string, purpose = 'data'): string {
  const h = hashChars(`kms:${account}:${region}:${purpose}`, 32, '0123456789abcdef');
  return `arn:aws:kms:${region}:${account}:key/${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Lambda functions. */
export const FUNCTIONS = [
  { name: 'rag-retriever', account: PROD.id, runtime: 'python3.12', role: 'rag-retriever-role', ai: true },
  { name: 'bedrock-agent-action', account: PROD.id, runtime: 'python3.12', role: 'bedrock-agent-action-role', ai: true },
  { name: 'thumbnailer', account: PROD.id, runtime: 'nodejs20.x', role: 'thumbnailer-role', ai: false },
  { name: 'ml-pipeline-orchestrator', account: RESEARCH.id, runtime: 'python3.12', role: 'ml-pipeline-orchestrator', ai: true },
];

/** ECR repositories (all in the shared account). */
export const REPOS = ['llm-serving', 'training-images', 'rag-service', 'chat-backend'];

/** SageMaker endpoints in production. */
export const ENDPOINTS = ['reranker-prod', 'intent-classifier-prod', 'llama3-ft-chat-prod'];

/** Bedrock knowledge bases and agents in production (ids are 10 upper-case characters). */
export const KNOWLEDGE_BASES = [hashChars('kb:product-docs', 10), hashChars('kb:support', 10)];
/** Bedrock agent id and alias id. */
export const AGENT = { id: hashChars('agent:support', 10), alias: hashChars('alias:support-live', 10) };
/** Guardrail id used by the chat product. */
export const GUARDRAIL_ID = hashChars('guardrail:chat', 12, 'abcdefghijklmnopqrstuvwxyz0123456789');

/** Office and VPN egress addresses (TEST-NET-3). */
export const OFFICE_IPS = ['203.0.113.10', '203.0.113.11', '203.0.113.12', '203.0.113.25', '203.0.113.40', '203.0.113.41'];
/** NAT gateway egress for production workloads (TEST-NET-2, upper half). */
export const NAT_IPS: Record<string, string[]> = {
  'us-east-1': ['198.51.100.201', '198.51.100.202', '198.51.100.203'],
  'us-west-2': ['198.51.100.211', '198.51.100.212'],
  'eu-west-1': ['198.51.100.221', '198.51.100.222'],
  'ap-southeast-2': ['198.51.100.231'],
};
/** GitHub-hosted runner addresses (TEST-NET-1). */
export const RUNNER_IP_PREFIX = '192.0.2.';

/** Where each person connects from at home (TEST-NET-2, lower half). */
export function homeIp(person: string): string {
  return '198.51.100.' + (10 + (hash32('home:' + person) % 100));
}

/** Versions used in user agents; a few variants each so agents are not all identical. */
const BOTO = ['1.34.162', '1.35.36', '1.35.54', '1.35.99'];
const CLI = ['2.17.49', '2.18.7', '2.22.4'];
const JS = ['3.658.1', '3.682.0', '3.716.0'];
const SM_SDK = ['2.227.0', '2.232.2', '2.237.1'];

/** Operating-system fragments in the SDK user-agent format. */
const OS_FRAG: Record<string, string> = {
  mac: 'os/macos#23.6.0 md/arch#arm64',
  linux: 'os/linux#6.8.0-45-generic md/arch#x86_64',
  windows: 'os/windows#10 md/arch#amd64',
};

/** Browser user agents (made-up but well-formed). */
export const BROWSERS: Record<string, string> = {
  mac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  linux: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0',
  windows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0',
};

/** botocore user agent. */
export function botoUA(v: number, os: string, extra = ''): string {
  const b = BOTO[v % BOTO.length]!;
  const py = os === 'linux' ? '3.11.9' : '3.12.6';
  return `Boto3/${b} md/Botocore#${b} ua/2.0 ${OS_FRAG[os] ?? OS_FRAG.linux} lang/python#${py} md/pyimpl#CPython${extra} cfg/retry-mode#legacy Botocore/${b}`;
}

/** SageMaker Python SDK user agent (boto plus the SDK marker). */
export function sagemakerSdkUA(v: number, os: string): string {
  return `${botoUA(v, os)} AWS-SageMaker-Python-SDK/${SM_SDK[v % SM_SDK.length]}`;
}

/** AWS CLI v2 user agent, including the command marker the CLI adds. */
export function cliUA(v: number, os: string, command: string): string {
  return `aws-cli/${CLI[v % CLI.length]} md/awscrt#0.21.2 ua/2.0 ${OS_FRAG[os] ?? OS_FRAG.linux} lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#${command}`;
}

/** AWS SDK for JavaScript v3 user agent. */
export function jsUA(v: number, os: string, api: string, extra = ''): string {
  const j = JS[v % JS.length]!;
  const osPart = os === 'linux' ? 'os/linux#5.10.227-219.884.amzn2.x86_64' : os === 'mac' ? 'os/macOS#23.6.0' : 'os/Windows_NT#10.0.22631';
  return `aws-sdk-js/${j} ua/2.1 ${osPart} lang/js md/nodejs#20.18.0 api/${api}#${j}${extra}`;
}

/** Names the CLI uses for each service in `md/command#...`. */
export const CLI_SERVICE: Record<string, string> = {
  'bedrock.amazonaws.com': 'bedrock',
  'sagemaker.amazonaws.com': 'sagemaker',
  's3.amazonaws.com': 's3api',
  'ec2.amazonaws.com': 'ec2',
  'iam.amazonaws.com': 'iam',
  'sts.amazonaws.com': 'sts',
  'cloudtrail.amazonaws.com': 'cloudtrail',
  'lambda.amazonaws.com': 'lambda',
  'ecr.amazonaws.com': 'ecr',
  'kms.amazonaws.com': 'kms',
};

/** SDK api ids for the JS user agent: the CLI's service names, except S3's. */
export const JS_API: Record<string, string> = { ...CLI_SERVICE, 's3.amazonaws.com': 's3' };

/** Region-weighted tables used by several activities. */
export const REGION_APP = weighted<string>([
  ['us-east-1', 78],
  ['us-west-2', 9],
  ['eu-west-1', 12.5],
  ['ap-southeast-2', 0.5],
]);
