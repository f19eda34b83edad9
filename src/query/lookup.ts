/**
 * LookupEvents semantics compiled to parameterized SQL over the `event_store` table.
 * Pure: no I/O. Beyond AWS: several attributes (AND), no 90-day or 50-result limit,
 * and `--filter` expressions on any column or record path.
 */
import { createHash } from 'node:crypto';
import { AitrailError } from '../model/errors.js';

/** The eight LookupEvents attribute keys (case-sensitive, as in AWS). */
export const LOOKUP_ATTRIBUTE_KEYS = [
  'EventId',
  'EventName',
  'ReadOnly',
  'Username',
  'ResourceType',
  'ResourceName',
  'EventSource',
  'AccessKeyId',
] as const;
/** One attribute key. */
export type LookupAttributeKey = (typeof LOOKUP_ATTRIBUTE_KEYS)[number];

/** One lookup attribute. */
export interface LookupAttribute {
  AttributeKey: LookupAttributeKey;
  AttributeValue: string;
}

/** A lookup request (the AWS shape plus aitrail's `Filters`). */
export interface LookupRequest {
  LookupAttributes?: LookupAttribute[];
  StartTime?: Date;
  EndTime?: Date;
  EventCategory?: 'insight';
  MaxResults?: number;
  NextToken?: string;
  /** aitrail: `field=value`, `field!=value`, with `*` wildcards; field is a column or a record path. */
  Filters?: string[];
}

/** A parameterized SQL query. */
export interface SqlQuery {
  sql: string;
  params: (string | number | boolean | null)[];
}

/** Columns of event_store a filter may name directly (case-insensitive), with their SQL types. */
export const FILTER_COLUMNS: Record<string, 'text' | 'bool' | 'time' | 'list'> = {
  eventId: 'text', eventTime: 'time', eventVersion: 'text', eventSource: 'text', eventName: 'text', awsRegion: 'text',
  sourceIPAddress: 'text', userAgent: 'text', errorCode: 'text', errorMessage: 'text', readOnly: 'bool', eventType: 'text',
  eventCategory: 'text', managementEvent: 'bool', recipientAccountId: 'text', accountId: 'text', requestId: 'text',
  sharedEventId: 'text', vpcEndpointId: 'text', userIdentityType: 'text', userIdentityArn: 'text', userIdentityAccountId: 'text',
  userIdentityPrincipalId: 'text', userIdentityUserName: 'text', userIdentityAccessKeyId: 'text', userIdentityInvokedBy: 'text',
  sessionIssuerArn: 'text', sessionIssuerType: 'text', sessionIssuerUserName: 'text', mfaAuthenticated: 'bool', sessionCredentialFromConsole: 'text', username: 'text',
  resourceTypes: 'list', resourceArns: 'list', aiService: 'text', aiActivity: 'text', modelId: 'text', flags: 'list',
};

/** Record paths that map onto a typed column (so `userIdentity.arn=…` uses the column). */
const PATH_ALIASES: Record<string, string> = {
  'userIdentity.type': 'userIdentityType', 'userIdentity.arn': 'userIdentityArn', 'userIdentity.accountId': 'userIdentityAccountId',
  'userIdentity.principalId': 'userIdentityPrincipalId', 'userIdentity.userName': 'userIdentityUserName',
  'userIdentity.accessKeyId': 'userIdentityAccessKeyId', 'userIdentity.invokedBy': 'userIdentityInvokedBy',
  'userIdentity.sessionContext.sessionIssuer.arn': 'sessionIssuerArn', 'userIdentity.sessionContext.sessionIssuer.type': 'sessionIssuerType',
  'userIdentity.sessionContext.sessionIssuer.userName': 'sessionIssuerUserName', requestID: 'requestId', eventID: 'eventId',
  sharedEventID: 'sharedEventId', 'resources.type': 'resourceTypes', 'resources.ARN': 'resourceArns',
};

const columnByLower = new Map(Object.keys(FILTER_COLUMNS).map((c) => [c.toLowerCase(), c]));

/** The record's text (records of 4,000 characters or more are kept in their own column). */
const RECORD = 'coalesce(record, recordLarge)';

/**
 * eventTime as the record writes it, the text `cloudtrail_logs.eventtime` gives: filters on it
 * compare text, so wildcards work as on other fields (`eventTime=2026-11-01T10*`). Records in
 * CloudTrail's own form (`2026-11-01T10:00:00Z`, nearly all) hold exactly the typed column
 * formatted back; only the others (flagged) are read. A record timed by `@timestamp` has none.
 */
const EVENT_TIME_TEXT = `CASE WHEN list_contains(flags, 'odd-eventTime-format') OR list_contains(flags, 'eventTime-from-@timestamp')
    THEN json_extract_string(${RECORD}, '$.eventTime') ELSE strftime("eventTime", '%Y-%m-%dT%H:%M:%SZ') END`;

function likePattern(value: string): string {
  let out = '';
  for (const ch of value) {
    if (ch === '*') out += '%';
    else if (ch === '%' || ch === '_' || ch === '\\') out += '\\' + ch;
    else out += ch;
  }
  return out;
}

/** Compiles one `field=value` / `field!=value` filter into SQL. */
export function compileFilter(expr: string): SqlQuery {
  const m = /^\s*([A-Za-z0-9_.@$[\]-]+)\s*(!=|=)\s*(.*)$/s.exec(expr);
  if (!m) throw new AitrailError('USAGE', `bad filter '${expr}': expected field=value or field!=value (value may use * wildcards)`);
  const [, rawField, op, value] = m as unknown as [string, string, string, string];
  const neg = op === '!=';
  const field = PATH_ALIASES[rawField] ?? rawField;
  const col = columnByLower.get(field.toLowerCase());
  let target: string;
  let kind: 'text' | 'bool' | 'time' | 'list';
  const params: SqlQuery['params'] = [];
  if (col && FILTER_COLUMNS[col] === 'time') {
    target = EVENT_TIME_TEXT;
    kind = 'text';
  } else if (col) {
    target = `"${col}"`;
    kind = FILTER_COLUMNS[col]!;
  } else {
    if (!/^[A-Za-z0-9_@-]+(\.[A-Za-z0-9_@-]+|\[\d+\])*$/.test(field.replace(/^\$\./, ''))) {
      throw new AitrailError('USAGE', `bad filter field '${rawField}': expected a column (e.g. eventName) or a record path (e.g. requestParameters.modelId)`);
    }
    const path = '$.' + field.replace(/^\$\./, '').split('.').map((p) => (/^[A-Za-z0-9_]+(\[\d+\])*$/.test(p) ? p : `"${p}"`)).join('.');
    target = `json_extract_string(${RECORD}, ?)`;
    params.push(path);
    kind = 'text';
  }
  let cond: string;
  if (value === 'null' || value === '') {
    cond = `${target} IS NULL`;
  } else if (kind === 'bool') {
    if (!/^(true|false)$/i.test(value)) throw new AitrailError('USAGE', `filter ${rawField} takes true or false, not '${value}'`);
    cond = `${target} = ?`;
    params.push(value.toLowerCase() === 'true');
  } else if (kind === 'list') {
    if (value.includes('*')) {
      cond = `len(list_filter(${target}, x -> x LIKE ? ESCAPE '\\')) > 0`;
      params.push(likePattern(value));
    } else {
      cond = `list_contains(${target}, ?)`;
      params.push(value);
    }
  } else if (value.includes('*')) {
    cond = `${target} LIKE ? ESCAPE '\\'`;
    params.push(likePattern(value));
  } else {
    cond = `${target} = ?`;
    params.push(value);
  }
  return { sql: neg ? `NOT coalesce(${cond}, FALSE)` : `(${cond})`, params };
}

function attributeSql(a: LookupAttribute): SqlQuery {
  const v = a.AttributeValue;
  switch (a.AttributeKey) {
    case 'EventId':
      return { sql: 'eventId = ?', params: [v] };
    case 'EventName':
      return { sql: 'eventName = ?', params: [v] };
    case 'ReadOnly':
      if (v !== 'true' && v !== 'false') {
        throw new AitrailError('InvalidLookupAttributesException', `ReadOnly takes 'true' or 'false', not '${v}'`);
      }
      return { sql: 'readOnly = ?', params: [v === 'true'] };
    case 'Username':
      return { sql: 'username = ?', params: [v] };
    case 'ResourceType':
      return { sql: 'list_contains(resourceTypes, ?)', params: [v] };
    case 'ResourceName':
      // Matches a resource ARN, or the name at its end after its last '/' or ':' (bucket,
      // function, instance id, ...). A value holding either character can only be a whole ARN;
      // the name at the end is found with two suffix tests (a third of a regular expression's cost).
      if (/[/:]/.test(v)) return { sql: 'list_contains(resourceArns, ?)', params: [v] };
      return {
        sql: `len(list_filter(resourceArns, x -> x = ? OR ends_with(x, ?) OR ends_with(x, ?))) > 0`,
        params: [v, '/' + v, ':' + v],
      };
    case 'EventSource':
      return { sql: 'eventSource = ?', params: [v] };
    case 'AccessKeyId':
      return { sql: 'userIdentityAccessKeyId = ?', params: [v] };
  }
}

/** Validates a request the way LookupEvents does. */
export function validateLookup(req: LookupRequest): void {
  for (const a of req.LookupAttributes ?? []) {
    if (!(LOOKUP_ATTRIBUTE_KEYS as readonly string[]).includes(a.AttributeKey)) {
      throw new AitrailError(
        'InvalidLookupAttributesException',
        `unknown AttributeKey '${a.AttributeKey}': expected one of ${LOOKUP_ATTRIBUTE_KEYS.join(', ')}`,
      );
    }
    if (typeof a.AttributeValue !== 'string' || a.AttributeValue.length < 1 || a.AttributeValue.length > 2000) {
      throw new AitrailError('InvalidLookupAttributesException', `AttributeValue for ${a.AttributeKey} must be 1 to 2000 characters`);
    }
  }
  if (req.StartTime && req.EndTime && req.StartTime.getTime() > req.EndTime.getTime()) {
    throw new AitrailError('InvalidTimeRangeException', 'StartTime must be before or equal to EndTime');
  }
  if (req.MaxResults !== undefined && (!Number.isInteger(req.MaxResults) || req.MaxResults < 1)) {
    throw new AitrailError('InvalidMaxResultsException', `MaxResults must be a positive integer, not ${req.MaxResults}`);
  }
  if (req.EventCategory !== undefined && req.EventCategory !== 'insight') {
    throw new AitrailError('InvalidEventCategoryException', `EventCategory must be 'insight'`);
  }
}

/** A fingerprint of the parameters a NextToken belongs to (everything but the token and page size). */
function paramsFingerprint(req: LookupRequest): string {
  const canon = JSON.stringify([
    req.LookupAttributes ?? [],
    req.StartTime?.toISOString() ?? null,
    req.EndTime?.toISOString() ?? null,
    req.EventCategory ?? null,
    req.Filters ?? [],
  ]);
  return createHash('sha256').update(canon).digest('hex').slice(0, 16);
}

/** The position after which the next page starts. */
export interface Cursor {
  /** eventTime in microseconds since the epoch: events can be apart by less than a millisecond. */
  t: string;
  id: string;
}

/** Encodes a NextToken: the last row's (eventTime, seq) plus the request fingerprint. */
export function encodeNextToken(req: LookupRequest, cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ v: 3, f: paramsFingerprint(req), ...cursor })).toString('base64url');
}

/** Decodes a NextToken, refusing one made for other parameters. */
export function decodeNextToken(req: LookupRequest): Cursor | undefined {
  if (!req.NextToken) return undefined;
  let obj: { v?: number; f?: string; t?: string; id?: string };
  try {
    obj = JSON.parse(Buffer.from(req.NextToken, 'base64url').toString('utf8'));
  } catch {
    throw new AitrailError('InvalidNextTokenException', 'NextToken is not a token aitrail issued');
  }
  if (obj.v !== 3 || typeof obj.t !== 'string' || !/^-?\d+$/.test(obj.t) || typeof obj.id !== 'string' || !/^-?\d+$/.test(obj.id)) {
    throw new AitrailError('InvalidNextTokenException', 'NextToken is not a token aitrail issued');
  }
  if (obj.f !== paramsFingerprint(req)) {
    throw new AitrailError('InvalidNextTokenException', 'NextToken must be used with the same parameters as the call that returned it');
  }
  return { t: obj.t, id: obj.id };
}

/** Default page size, as in AWS. */
export const DEFAULT_MAX_RESULTS = 50;

/**
 * Builds the page query: matching rows newest first, keyset-paginated on (eventTime, eventId).
 * Selects one extra row to know whether a next page exists.
 */
export function buildLookupQuery(req: LookupRequest, table = 'event_store'): SqlQuery & { limit: number } {
  validateLookup(req);
  const where: string[] = [];
  const params: SqlQuery['params'] = [];
  for (const a of req.LookupAttributes ?? []) {
    const q = attributeSql(a);
    where.push(q.sql);
    params.push(...q.params);
  }
  for (const f of req.Filters ?? []) {
    const q = compileFilter(f);
    where.push(q.sql);
    params.push(...q.params);
  }
  if (req.StartTime) {
    where.push('eventTime >= CAST(? AS TIMESTAMP)');
    params.push(sqlTime(req.StartTime));
  }
  if (req.EndTime) {
    where.push('eventTime <= CAST(? AS TIMESTAMP)');
    params.push(sqlTime(req.EndTime));
  }
  // Insights events are returned only when asked for, as in AWS.
  where.push(req.EventCategory === 'insight' ? "eventType = 'AwsCloudTrailInsight'" : "eventType IS DISTINCT FROM 'AwsCloudTrailInsight'");
  const cursor = decodeNextToken(req);
  if (cursor) {
    where.push('(eventTime < make_timestamp(CAST(? AS BIGINT)) OR (eventTime = make_timestamp(CAST(? AS BIGINT)) AND seq < CAST(? AS BIGINT)))');
    params.push(cursor.t, cursor.t, cursor.id);
  }
  const limit = req.MaxResults ?? DEFAULT_MAX_RESULTS;
  // Ties on eventTime are broken by the store's insertion sequence: unique, and an integer, so
  // ordering a large match set costs no string decoding.
  const sql = `SELECT rowid AS rid, CAST(epoch_us(eventTime) AS VARCHAR) AS cursorTime, seq AS cursorId FROM ${table}
    WHERE ${where.join(' AND ')}
    ORDER BY eventTime DESC, seq DESC
    LIMIT ${limit + 1}`;
  return { sql, params, limit };
}

/**
 * Formats a Date as DuckDB's TIMESTAMP reads it (UTC, no zone suffix, milliseconds), for any year
 * a Date holds: toISOString writes years past 9999 and before 0 as `+010000` and `-000001`, which
 * DuckDB does not read.
 */
export function sqlTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '').replace(/^\+0*(?=\d{4})/, '').replace(/^-0*(?=\d{4})/, '-');
}

/**
 * Parses a CLI/API time: ISO 8601, a date, or epoch seconds (as the AWS CLI accepts). A date and
 * time without a zone is UTC, as CloudTrail's times are (JavaScript would read it as local time,
 * so the same command would select other events on a machine set to another zone).
 */
export function parseTime(s: string, what: string): Date {
  const trimmed = s.trim();
  const zoneless = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(:\d{2}(\.\d+)?)?)$/.exec(trimmed);
  const d = /^\d+(\.\d+)?$/.test(trimmed)
    ? new Date(Number(trimmed) * 1000)
    : new Date(zoneless ? `${zoneless[1]}T${zoneless[2]}Z` : trimmed);
  if (Number.isNaN(d.getTime())) throw new AitrailError('USAGE', `${what} '${s}' is not a time (expected ISO 8601, e.g. 2026-11-01T00:00:00Z, or epoch seconds)`);
  return d;
}

/**
 * The whitespace the AWS CLI's shorthand parser skips around keys, values and separators: ASCII
 * only (Python's `string.whitespace`). JavaScript's trim() also takes U+2028, U+00A0, U+FEFF and
 * others, which can be part of a value.
 */
const SP = '[ \\t\\n\\r\\v\\f]*';
const SHORTHAND = new RegExp(`^${SP}AttributeKey${SP}=${SP}([^,]*?)${SP},${SP}AttributeValue${SP}=${SP}(.*?)${SP}$`, 's');

/**
 * Parses one `--lookup-attributes` option: the AWS CLI shorthand
 * (`AttributeKey=EventName,AttributeValue=InvokeModel`; the value is taken as written, commas
 * included) or JSON, one attribute or a list of them (all used, ANDed like repeated options).
 */
export function parseLookupAttributes(s: string): LookupAttribute[] {
  const t = s.replace(new RegExp(`^${SP}|${SP}$`, 'g'), '');
  if (t.startsWith('{') || t.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (e) {
      throw new AitrailError('USAGE', `--lookup-attributes '${s}' is not valid JSON: ${(e as Error).message}`);
    }
    const list = Array.isArray(v) ? v : [v];
    if (!list.length) throw new AitrailError('InvalidLookupAttributesException', 'empty lookup attributes');
    for (const a of list) {
      // validateLookup checks each key and value; an element that is no object has neither.
      if (a === null || typeof a !== 'object' || Array.isArray(a)) {
        throw new AitrailError('InvalidLookupAttributesException', `bad --lookup-attributes '${s}': expected {"AttributeKey": KEY, "AttributeValue": VALUE} or a list of them`);
      }
    }
    return list as LookupAttribute[];
  }
  const m = SHORTHAND.exec(t);
  if (!m) {
    throw new AitrailError(
      'InvalidLookupAttributesException',
      `bad --lookup-attributes '${s}': expected AttributeKey=KEY,AttributeValue=VALUE`,
    );
  }
  return [{ AttributeKey: m[1] as LookupAttributeKey, AttributeValue: m[2]! }];
}
