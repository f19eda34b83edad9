/** Event-history search parameters: URL form, API form, and SQL form (for facet counts). */
import { sqlStr } from './api.js';
import { href } from './router.js';
import { RANGE_MS } from './util.js';

export const ATTRIBUTE_KEYS = ['EventName', 'Username', 'EventSource', 'ResourceType', 'ResourceName', 'EventId', 'AccessKeyId', 'ReadOnly'] as const;
export const ATTRIBUTE_LABELS: Record<string, string> = {
  EventName: 'Event name',
  Username: 'User name',
  EventSource: 'Event source',
  ResourceType: 'Resource type',
  ResourceName: 'Resource name',
  EventId: 'Event ID',
  AccessKeyId: 'AWS access key',
  ReadOnly: 'Read-only',
};
export const AI_SERVICES = ['bedrock', 'sagemaker', 's3', 'lambda', 'ec2', 'ecr'];
export const AI_ACTIVITIES = ['training', 'customization', 'model-registry', 'deployment', 'inference', 'agents', 'guardrails', 'invocation-logging', 'model-access', 'notebook', 'data-access', 'data-change', 'compute', 'other'];

/** Fields offered in "Add filter" (any column of `events` or a record path also works). */
export const FILTER_FIELDS: { field: string; label: string }[] = [
  { field: 'aiService', label: 'AI service' },
  { field: 'aiActivity', label: 'AI activity' },
  { field: 'modelId', label: 'Model ID' },
  { field: 'accountId', label: 'Account' },
  { field: 'awsRegion', label: 'Region' },
  { field: 'errorCode', label: 'Error code' },
  { field: 'userIdentityArn', label: 'Principal ARN' },
  { field: 'userIdentityType', label: 'Identity type' },
  { field: 'sourceIPAddress', label: 'Source IP' },
  { field: 'userAgent', label: 'User agent' },
  { field: 'eventSource', label: 'Event source' },
  { field: 'eventName', label: 'Event name' },
  { field: 'readOnly', label: 'Read-only' },
  { field: 'recipientAccountId', label: 'Recipient account' },
];

export interface Search {
  attr: string;
  value: string;
  range: string;
  start?: string;
  end?: string;
  filters: string[];
}

export function parseSearch(q: URLSearchParams): Search {
  const start = q.get('start') ?? undefined;
  const end = q.get('end') ?? undefined;
  let range = q.get('range') ?? (start || end ? 'custom' : '7d');
  if (!(range in RANGE_MS) && range !== 'all' && range !== 'custom') range = '7d';
  return { attr: q.get('attr') ?? 'EventName', value: q.get('value') ?? '', range, start, end, filters: q.getAll('f') };
}

/** The Event history URL for a search. */
export function eventsHref(s: Partial<Search>): string {
  const range = s.range ?? (s.start || s.end ? 'custom' : undefined);
  return href('/events', {
    attr: s.value ? s.attr ?? 'EventName' : undefined,
    value: s.value,
    range: range === 'custom' ? undefined : range,
    start: range === 'custom' ? s.start : undefined,
    end: range === 'custom' ? s.end : undefined,
    f: s.filters,
  });
}

/** Start and end for the API, resolving relative ranges against now. */
export function resolveTimes(s: Search, now = Date.now()): { StartTime?: string; EndTime?: string } {
  if (s.range === 'custom') return { StartTime: s.start, EndTime: s.end };
  const ms = RANGE_MS[s.range];
  return ms ? { StartTime: new Date(now - ms).toISOString() } : {};
}

export function splitFilter(f: string): { field: string; op: '=' | '!='; value: string } | null {
  const m = /^\s*([A-Za-z0-9_.@$[\]-]+)\s*(!=|=)\s*(.*)$/s.exec(f);
  return m ? { field: m[1]!, op: m[2] as '=' | '!=', value: m[3]! } : null;
}

const COLUMNS: Record<string, 'text' | 'bool' | 'list'> = {
  eventid: 'text', eventsource: 'text', eventname: 'text', awsregion: 'text', sourceipaddress: 'text', useragent: 'text', errorcode: 'text',
  errormessage: 'text', readonly: 'bool', eventtype: 'text', eventcategory: 'text', managementevent: 'bool', recipientaccountid: 'text',
  accountid: 'text', requestid: 'text', useridentitytype: 'text', useridentityarn: 'text', useridentityaccountid: 'text',
  useridentityprincipalid: 'text', useridentityusername: 'text', useridentityaccesskeyid: 'text', useridentityinvokedby: 'text',
  sessionissuerarn: 'text', sessionissuertype: 'text', sessionissuerusername: 'text', mfaauthenticated: 'bool', username: 'text',
  resourcetypes: 'list', resourcearns: 'list', aiservice: 'text', aiactivity: 'text', modelid: 'text', flags: 'list', eventversion: 'text',
};

const like = (v: string) => sqlStr(v.replace(/[\\%_]/g, (c) => '\\' + c).replace(/\*/g, '%'));

/** The SQL condition of one filter (as the API compiles it), or null when it cannot be translated. */
export function filterSql(f: string): string | null {
  const p = splitFilter(f);
  if (!p) return null;
  const col = p.field.toLowerCase();
  let target: string;
  let kind: 'text' | 'bool' | 'list' = 'text';
  if (COLUMNS[col]) {
    target = `"${col}"`;
    kind = COLUMNS[col]!;
  } else if (/^[A-Za-z0-9_@-]+(\.[A-Za-z0-9_@-]+)*$/.test(p.field.replace(/^\$\./, ''))) {
    target = `json_extract_string(record, ${sqlStr('$.' + p.field.replace(/^\$\./, ''))})`;
  } else return null;
  const v = p.value;
  let cond: string;
  if (v === '' || v === 'null') cond = `${target} IS NULL`;
  else if (kind === 'bool') {
    if (!/^(true|false)$/i.test(v)) return null;
    cond = `${target} = ${v.toLowerCase()}`;
  } else if (kind === 'list') cond = v.includes('*') ? `len(list_filter(${target}, x -> x LIKE ${like(v)} ESCAPE '\\')) > 0` : `list_contains(${target}, ${sqlStr(v)})`;
  else cond = v.includes('*') ? `${target} LIKE ${like(v)} ESCAPE '\\'` : `${target} = ${sqlStr(v)}`;
  return p.op === '!=' ? `NOT coalesce(${cond}, FALSE)` : `(${cond})`;
}

export function attributeSql(attr: string, v: string): string | null {
  switch (attr) {
    case 'EventId': return `eventId = ${sqlStr(v)}`;
    case 'EventName': return `eventName = ${sqlStr(v)}`;
    case 'ReadOnly': return v === 'true' || v === 'false' ? `readOnly = ${v}` : null;
    case 'Username': return `username = ${sqlStr(v)}`;
    case 'ResourceType': return `list_contains(resourceTypes, ${sqlStr(v)})`;
    case 'ResourceName': return `len(list_filter(resourceArns, x -> x = ${sqlStr(v)} OR regexp_extract(x, '[^/:]+$') = ${sqlStr(v)})) > 0`;
    case 'EventSource': return `eventSource = ${sqlStr(v)}`;
    case 'AccessKeyId': return `userIdentityAccessKeyId = ${sqlStr(v)}`;
  }
  return null;
}

export function timeSql(t: { StartTime?: string; EndTime?: string }): string[] {
  const out: string[] = [];
  if (t.StartTime) out.push(`eventTime >= CAST(${sqlStr(t.StartTime.replace('T', ' ').replace('Z', ''))} AS TIMESTAMP)`);
  if (t.EndTime) out.push(`eventTime <= CAST(${sqlStr(t.EndTime.replace('T', ' ').replace('Z', ''))} AS TIMESTAMP)`);
  return out;
}
