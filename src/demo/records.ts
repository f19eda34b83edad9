/**
 * Building CloudTrail records: the principal making a call (a "caller") and the record
 * envelope, with fields in the order CloudTrail writes them.
 */

import {
  BROWSERS, CLI_SERVICE, JS_API, NAT_IPS, OFFICE_IPS, PEOPLE, RUNNER_IP_PREFIX,
  accessKeyFor, botoUA, cliUA, homeIp, jsUA, oidcProvider, sagemakerSdkUA, ssoRoleName, uniqueId,
  type AppRole, type Person, type Tool,
} from './catalog.js';
import { hash32, hashChars, hashFloat, KEY_ALPHABET, type Rng } from './rng.js';

/** A CloudTrail record as a plain JSON object. */
export type Rec = Record<string, unknown>;

/** Who makes a call, from where and with what client. */
export interface Caller {
  identity: Rec;
  ip: string;
  /** The user agent for a given event source and event name. */
  ua: (source: string, name: string) => string;
  /** ARN used in AccessDenied messages. */
  arn: string;
  console: boolean;
  /** Calls made by an AWS service on the principal's behalf carry no TLS details. */
  viaService: boolean;
  /** Calls go through interface/gateway VPC endpoints of this account and region. */
  vpc?: { account: string; region: string };
}

/** What a single API call looks like. */
export interface Spec {
  src: string;
  name: string;
  region: string;
  /** The account whose trail receives the event. */
  account: string;
  rp?: unknown;
  re?: unknown;
  aed?: Rec;
  ro: boolean;
  res?: Rec[];
  data?: boolean;
  /** TLS host header; omitted gives the service default, null gives no tlsDetails. */
  host?: string | null;
  err?: [string, string] | null;
  type?: 'AwsApiCall' | 'AwsServiceEvent' | 'AwsConsoleSignIn';
  requestId?: string | null;
  sed?: Rec;
  shared?: boolean;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

const VERSION: Record<string, string> = {
  'bedrock.amazonaws.com': '1.11',
  'sagemaker.amazonaws.com': '1.11',
  'lambda.amazonaws.com': '1.11',
  'ecr.amazonaws.com': '1.11',
  's3.amazonaws.com': '1.10',
  'ec2.amazonaws.com': '1.10',
  'kms.amazonaws.com': '1.11',
  'signin.amazonaws.com': '1.09',
};

/** Services the production VPC reaches through endpoints rather than the NAT gateway. */
const VPCE_SERVICES = new Set(['bedrock.amazonaws.com', 's3.amazonaws.com', 'kms.amazonaws.com', 'sts.amazonaws.com', 'sagemaker.amazonaws.com', 'lambda.amazonaws.com']);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2026-03-11T07:02:05Z` for a millisecond timestamp (whole seconds, as CloudTrail writes). */
export function isoSeconds(ms: number): string {
  const minute = Math.floor(ms / 60_000);
  let prefix = minutePrefix.get(minute);
  if (prefix === undefined) {
    prefix = new Date(minute * 60_000).toISOString().slice(0, 17);
    if (minutePrefix.size > 20_000) minutePrefix.clear();
    minutePrefix.set(minute, prefix);
  }
  const sec = Math.floor((ms - minute * 60_000) / 1000);
  return prefix + (sec < 10 ? '0' + sec : sec) + 'Z';
}

const minutePrefix = new Map<number, string>();

/** `Mar 11, 2026, 7:02:05 AM`, the format STS and IAM use for dates in responses. */
export function awsDate(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  const ss = String(d.getUTCSeconds()).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h12}:${mm}:${ss} ${h < 12 ? 'AM' : 'PM'}`;
}

/** The host header a client sends for a service in a region. */
export function defaultHost(src: string, region: string): string {
  switch (src) {
    case 'iam.amazonaws.com':
      return 'iam.amazonaws.com';
    case 'sts.amazonaws.com':
      return region === 'us-east-1' ? 'sts.amazonaws.com' : `sts.${region}.amazonaws.com`;
    case 'sagemaker.amazonaws.com':
      return `api.sagemaker.${region}.amazonaws.com`;
    case 'ecr.amazonaws.com':
      return `api.ecr.${region}.amazonaws.com`;
    case 'signin.amazonaws.com':
      return 'signin.aws.amazon.com';
    default:
      return `${src.slice(0, -14)}.${region}.amazonaws.com`;
  }
}

/** `ListFoundationModels` → `list-foundation-models`; drops Lambda's API-version suffix. */
export function kebab(name: string): string {
  const base = name.replace(/20\d{2}_?\d{2}_?\d{2}(v\d)?$/, '');
  return base.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Builds records; owns the random stream so that output order defines the bytes. */
export class Emitter {
  constructor(readonly rng: Rng) {}

  /** One CloudTrail record for `c` calling `s` at time `t` (ms). */
  rec(t: number, c: Caller, s: Spec): Rec {
    const rng = this.rng;
    const r: Rec = {
      eventVersion: VERSION[s.src] ?? '1.09',
      userIdentity: c.identity,
      eventTime: isoSeconds(t),
      eventSource: s.src,
      eventName: s.name,
      awsRegion: s.region,
      sourceIPAddress: c.ip,
      userAgent: c.ua(s.src, s.name),
    };
    if (s.err) {
      r.errorCode = s.err[0];
      r.errorMessage = s.err[1];
    }
    r.requestParameters = s.rp ?? null;
    r.responseElements = s.err ? null : s.re ?? null;
    if (s.aed) r.additionalEventData = s.aed;
    if (s.requestId !== null) r.requestID = s.requestId ?? rng.uuid();
    r.eventID = rng.uuid();
    r.readOnly = s.ro;
    if (s.res) r.resources = s.res;
    r.eventType = s.type ?? 'AwsApiCall';
    r.managementEvent = !s.data;
    r.recipientAccountId = s.account;
    if (s.shared) r.sharedEventID = rng.uuid();
    if (c.vpc && VPCE_SERVICES.has(s.src)) r.vpcEndpointId = 'vpce-0' + hashChars(`vpce:${c.vpc.account}:${c.vpc.region}:${s.src}`, 16, '0123456789abcdef');
    if (s.sed) r.serviceEventDetails = s.sed;
    r.eventCategory = s.data ? 'Data' : 'Management';
    if (s.host !== null && !c.viaService && s.type !== 'AwsServiceEvent') {
      const tls12 = (hash32(c.ip) & 7) === 0;
      r.tlsDetails = {
        tlsVersion: tls12 ? 'TLSv1.2' : 'TLSv1.3',
        cipherSuite: tls12 ? 'ECDHE-RSA-AES128-GCM-SHA256' : 'TLS_AES_128_GCM_SHA256',
        clientProvidedHostHeader: s.host ?? defaultHost(s.src, s.region),
      };
    }
    if (c.console) r.sessionCredentialFromConsole = 'true';
    return r;
  }

  /** An AccessDenied message in the form IAM produces. */
  denied(c: Caller, action: string, resource: string): [string, string] {
    return ['AccessDenied', `User: ${c.arn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`];
  }
}

interface Session {
  phase: number;
  idx: number;
  start: number;
  akid: string;
}

const sessions = new Map<string, Session>();

/** Session credentials rotate: this gives the session (and its temporary key) a principal holds at time t. */
function session(key: string, t: number, period: number): Session {
  let s = sessions.get(key);
  if (!s) {
    s = { phase: Math.floor(hashFloat('phase:' + key) * period), idx: NaN, start: 0, akid: '' };
    sessions.set(key, s);
  }
  const idx = Math.floor((t - s.phase) / period);
  if (idx !== s.idx) {
    s.idx = idx;
    s.start = idx * period + s.phase;
    s.akid = 'ASIA' + hashChars(`${key}#${idx}`, 16, KEY_ALPHABET);
  }
  return s;
}

function roleIdentity(account: string, roleName: string, path: string, sessionName: string, akid: string, created: number, extra?: { web?: string; mfa?: boolean; invokedBy?: string; ec2?: boolean }): Rec {
  const roleId = uniqueId('AROA', `${account}:${roleName}`);
  const issuer: Rec = {
    type: 'Role',
    principalId: roleId,
    arn: `arn:aws:iam::${account}:role/${path}${roleName}`,
    accountId: account,
    userName: roleName,
  };
  const ctx: Rec = { sessionIssuer: issuer };
  if (extra?.web) ctx.webIdFederationData = { federatedProvider: extra.web, attributes: {} };
  else if (!path.startsWith('aws-reserved')) ctx.webIdFederationData = {};
  ctx.attributes = { creationDate: isoSeconds(created), mfaAuthenticated: extra?.mfa ? 'true' : 'false' };
  if (extra?.ec2) ctx.ec2RoleDelivery = '2.0';
  const id: Rec = {
    type: 'AssumedRole',
    principalId: `${roleId}:${sessionName}`,
    arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
    accountId: account,
    accessKeyId: akid,
    sessionContext: ctx,
  };
  if (extra?.invokedBy) id.invokedBy = extra.invokedBy;
  return id;
}

const RUNTIME_CLIENT: Record<string, string> = {
  InvokeModel: 'bedrock-runtime',
  InvokeModelWithResponseStream: 'bedrock-runtime',
  Converse: 'bedrock-runtime',
  ConverseStream: 'bedrock-runtime',
  Retrieve: 'bedrock-agent-runtime',
  RetrieveAndGenerate: 'bedrock-agent-runtime',
  InvokeAgent: 'bedrock-agent-runtime',
  InvokeEndpoint: 'sagemaker-runtime',
};

/** The SDK/CLI client name for a call: data-plane calls have their own clients. */
function clientName(src: string, name: string, table: Record<string, string>): string {
  return RUNTIME_CLIENT[name] ?? table[src] ?? 'unknown';
}

/** The user agent a tool sends. */
function toolUA(tool: Tool, os: string, v: number): (src: string, name: string) => string {
  switch (tool) {
    case 'console':
      return () => BROWSERS[os] ?? BROWSERS.mac!;
    case 'cli':
      return (src, name) => cliUA(v, os, `${clientName(src, name, CLI_SERVICE)}.${kebab(name)}`);
    case 'sdkjs':
      return (src, name) => jsUA(v, os, clientName(src, name, JS_API));
    case 'sagemaker-sdk':
      return () => sagemakerSdkUA(v, os);
    default:
      return () => botoUA(v, os);
  }
}

/** Where a person is at time t: office on weekdays mostly, else home. */
export function personIp(p: Person, t: number): string {
  const day = Math.floor(t / DAY);
  const dow = (day + 4) % 7;
  const atOffice = dow >= 1 && dow <= 5 && hashFloat('office:' + p.name, day) < (p.tz > 0 ? 0.6 : 0.5);
  return atOffice ? OFFICE_IPS[hash32(p.name, day) % OFFICE_IPS.length]! : homeIp(p.name);
}

/** A person acting through an IAM Identity Center permission set in `account`. */
export function personCaller(p: Person, account: string, t: number, tool: Tool, permissionSet?: string, ipOverride?: string): Caller {
  const sets = p.sso[account] ?? ['ReadOnlyAccess'];
  const ps = permissionSet ?? sets[0]!;
  const roleName = ssoRoleName(ps, account);
  const key = `${p.name}:${account}:${ps}`;
  const s = session(key, t, 10 * HOUR);
  const v = hash32(p.name) % 7;
  const identity = roleIdentity(account, roleName, 'aws-reserved/sso.amazonaws.com/', p.name, s.akid, s.start);
  return {
    identity,
    ip: ipOverride ?? personIp(p, t),
    ua: toolUA(tool, p.os, v),
    arn: identity.arn as string,
    console: tool === 'console',
    viaService: false,
  };
}

/** An IAM user calling with a long-term access key. */
export function iamUserCaller(account: string, userName: string, ip: string, ua: (src: string, name: string) => string): Caller {
  const arn = `arn:aws:iam::${account}:user/${userName}`;
  return {
    identity: {
      type: 'IAMUser',
      principalId: uniqueId('AIDA', `${account}:${userName}`),
      arn,
      accountId: account,
      accessKeyId: accessKeyFor('AKIA', `${account}:${userName}`),
      userName,
    },
    ip,
    ua,
    arn,
    console: false,
    viaService: false,
  };
}

/** An IAM user signed in to the console (temporary console credentials). */
export function iamUserConsoleCaller(account: string, userName: string, ip: string, os: string, t: number): Caller {
  const c = iamUserCaller(account, userName, ip, () => BROWSERS[os] ?? BROWSERS.mac!);
  const s = session(`console:${account}:${userName}`, t, 12 * HOUR);
  c.identity.accessKeyId = s.akid;
  c.identity.sessionContext = { attributes: { creationDate: isoSeconds(s.start), mfaAuthenticated: 'true' } };
  c.console = true;
  return c;
}

/** A workload role (ECS task, Lambda function, SageMaker job, EC2 instance) acting in a region. */
export function appCaller(app: AppRole, region: string, t: number): Caller {
  const key = `${app.account}:${app.role}`;
  let sessionName: string;
  let period = HOUR;
  let ip = (NAT_IPS[region] ?? NAT_IPS['us-east-1']!)[hash32(key, Math.floor(t / HOUR)) % (NAT_IPS[region]?.length ?? 1)]!;
  let ua: (src: string, name: string) => string;
  const v = hash32(key) % 5;
  let ec2 = false;
  let vpc: Caller['vpc'];
  switch (app.runtime) {
    case 'ecs': {
      // A new task (and so a new session name) roughly every deployment, here daily.
      sessionName = hashChars(`task:${key}:${Math.floor(t / DAY)}`, 32, '0123456789abcdef');
      period = 6 * HOUR;
      ua = app.lang === 'js'
        ? (src, name) => jsUA(v, 'linux', clientName(src, name, JS_API), ' exec-env/AWS_ECS_FARGATE')
        : () => botoUA(v, 'linux', ' exec-env/AWS_ECS_FARGATE');
      if (region === 'us-east-1') {
        // Tasks in the main region use VPC endpoints: the source is the task's private address.
        const task = hash32(sessionName);
        ip = `10.40.${16 + (task % 32)}.${4 + ((task >>> 8) % 240)}`;
        vpc = { account: app.account, region };
      }
      break;
    }
    case 'lambda':
      sessionName = app.fn ?? app.role;
      period = 12 * HOUR;
      ua = app.lang === 'js'
        ? (src, name) => jsUA(v, 'linux', clientName(src, name, JS_API), ' exec-env/AWS_Lambda_nodejs20.x')
        : () => botoUA(v, 'linux', ' exec-env/AWS_Lambda_python3.12');
      break;
    case 'sagemaker':
      sessionName = 'SageMaker';
      ip = `10.${hash32(key) % 200}.${hash32(key, 1) % 250}.${2 + (hash32(key, Math.floor(t / HOUR)) % 250)}`;
      ua = () => sagemakerSdkUA(v, 'linux');
      break;
    default:
      sessionName = 'i-0' + hashChars(`inst:${key}:${Math.floor(t / DAY)}`, 16, '0123456789abcdef');
      ec2 = true;
      ua = () => botoUA(v, 'linux');
  }
  const s = session(key + sessionName, t, period);
  const identity = roleIdentity(app.account, app.role, app.runtime === 'sagemaker' ? 'service-role/' : '', sessionName, s.akid, s.start, { ec2 });
  return { identity, ip, ua, arn: identity.arn as string, console: false, viaService: false, vpc };
}

/** A workload role whose call is made by an AWS service on its behalf (e.g. SageMaker reading S3). */
export function viaServiceCaller(app: AppRole, t: number, service: string): Caller {
  const c = appCaller(app, 'us-east-1', t);
  c.identity.invokedBy = service;
  c.ip = service;
  c.ua = () => service;
  c.viaService = true;
  return c;
}

/** An AWS service acting with its own identity. */
export function serviceCaller(service: string, account?: string): Caller {
  const identity: Rec = account ? { accountId: account, invokedBy: service } : { type: 'AWSService', invokedBy: service };
  return { identity, ip: service, ua: () => service, arn: service, console: false, viaService: true };
}

/** A GitHub Actions workflow run holding a role through OIDC federation. */
export function ciCaller(role: { role: string; account: string; repo: string }, t: number, kind: 'cli' | 'docker' | 'terraform' | 'sdk'): Caller {
  const key = `${role.account}:${role.role}:${role.repo}`;
  const run = session(key, t, 25 * 60_000);
  const ip = RUNNER_IP_PREFIX + (1 + (hash32(key, run.idx) % 250));
  const identity = roleIdentity(role.account, role.role, '', 'GitHubActions', run.akid, run.start, { web: oidcProvider(role.account) });
  let ua: (src: string, name: string) => string;
  switch (kind) {
    case 'docker':
      ua = () => 'docker/27.3.1 go/go1.22.7 git-commit/41ca978 kernel/6.8.0-1017-azure os/linux arch/amd64 UpstreamClient(Docker-Client/27.3.1 \\(linux\\))';
      break;
    case 'terraform':
      ua = (src) => `APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.74.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.3 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/${JS_API[src] ?? 'sts'}#1.36.3`;
      break;
    case 'sdk':
      ua = (src) => jsUA(1, 'linux', JS_API[src] ?? 'sts', ' configure-aws-credentials-for-github-actions');
      break;
    default:
      ua = (src, name) => cliUA(1, 'linux', `${clientName(src, name, CLI_SERVICE)}.${kebab(name)}`);
  }
  return { identity, ip, ua, arn: identity.arn as string, console: false, viaService: false };
}

/** The WebIdentityUser identity on AssumeRoleWithWebIdentity itself. */
export function webIdentityUser(role: { account: string; repo: string }, ref: string): Rec {
  const sub = `repo:${role.repo}:${ref}`;
  return {
    type: 'WebIdentityUser',
    principalId: `${oidcProvider(role.account)}:sts.amazonaws.com:${sub}`,
    userName: sub,
    identityProvider: oidcProvider(role.account),
  };
}

/** People by name, for incidents. */
export function person(name: string): Person {
  const p = PEOPLE.find((x) => x.name === name);
  if (!p) throw new Error(`unknown person ${name}`);
  return p;
}

