/**
 * Read paths over the lake: LookupEvents pages, single events, read-only SQL, and summaries.
 */
import { AitrailError, isAitrailError } from '../model/errors.js';
import { parseStoredJson, storedRecord } from '../model/stored-json.js';
import { buildLookupQuery, encodeNextToken, type LookupRequest } from '../query/lookup.js';
import { mayNeedTrinoRewrite, rewriteJsonMembers, rewriteTrinoCalls } from '../query/trino.js';
import { ALLOWED_RELATIONS, sqlViolations } from '../query/sqlguard.js';
import type { LookupEvent, LookupResponse } from '../model/api.js';
import {
  DuckDBArrayType, DuckDBBlobType, DuckDBIntervalType, DuckDBIntervalValue, DuckDBListType, DuckDBMapType, DuckDBStructType, listValue, quotedIdentifier,
  type DuckDBPreparedStatement, type DuckDBType,
} from '@duckdb/node-api';
import { isOutOfMemory, type Row, type Store } from './db.js';

export type { LookupEvent, LookupResponse } from '../model/api.js';

/** Formats a timestamp the way the AWS CLI prints them (ISO 8601 with +00:00). */
export function awsTime(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, 'Z').replace(/Z$/, '+00:00');
}

/** Converts DuckDB JS values (bigint, Date, nested) into JSON-safe values. */
export function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x);
    return out;
  }
  return v;
}

/** Whether values of type `t` (at any depth) need `shown` to read well: bytes and intervals. */
function needsShowing(t: DuckDBType): boolean {
  if (t instanceof DuckDBBlobType || t instanceof DuckDBIntervalType) return true;
  if (t instanceof DuckDBListType || t instanceof DuckDBArrayType) return needsShowing(t.valueType);
  if (t instanceof DuckDBStructType) return t.entryTypes.some(needsShowing);
  if (t instanceof DuckDBMapType) return needsShowing(t.keyType) || needsShowing(t.valueType);
  return false;
}

/**
 * A value of type `t` as a result shows it, at any depth: bytes (BLOB, Trino's varbinary) as
 * lowercase hex, as Trino shows them; an interval as DuckDB writes it (`2 days 03:00:00`). The
 * JavaScript values are a byte array and {months, days, micros}, which JSON would show as
 * objects of numbers.
 */
function shown(t: DuckDBType, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  if (t instanceof DuckDBBlobType && v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (t instanceof DuckDBIntervalType) {
    const i = v as { months: number; days: number; micros: bigint | number };
    return new DuckDBIntervalValue(i.months, i.days, BigInt(i.micros)).toString();
  }
  if ((t instanceof DuckDBListType || t instanceof DuckDBArrayType) && Array.isArray(v)) return v.map((x) => shown(t.valueType, x));
  if (t instanceof DuckDBStructType && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(t.entryNames.map((name, i) => [name, shown(t.entryTypes[i]!, o[name])]));
  }
  if (t instanceof DuckDBMapType && Array.isArray(v)) {
    return (v as { key: unknown; value: unknown }[]).map((e) => ({ key: shown(t.keyType, e.key), value: shown(t.valueType, e.value) }));
  }
  return v;
}

/** For a result of columns of `types`, its rows as JSON shows them: plain values, bytes and intervals as text (shown). */
function rowShower(types: DuckDBType[]): (rows: unknown[][]) => unknown[][] {
  const showing = types.map(needsShowing);
  if (!showing.includes(true)) return (rows) => rows.map((r) => r.map(plain));
  return (rows) => rows.map((r) => r.map((v, i) => plain(showing[i] ? shown(types[i]!, v) : v)));
}

/**
 * Recently returned lookup rows, by the store's insertion sequence (a stored event never
 * changes). Records are kept zstd-compressed in blocks of about 2,000, so fetching one costs a
 * block's decompression; the server keeps the pages people keep looking at in memory.
 */
export class LookupCache {
  private readonly map = new Map<string, LookupEvent>();
  private bytes = 0;
  hits = 0;
  misses = 0;
  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  get(seq: string): LookupEvent | undefined {
    const hit = this.map.get(seq);
    if (hit) {
      this.map.delete(seq);
      this.map.set(seq, hit);
      this.hits++;
    } else this.misses++;
    return hit;
  }

  set(seq: string, ev: LookupEvent): void {
    if (this.map.has(seq)) return;
    this.map.set(seq, ev);
    this.bytes += ev.CloudTrailEvent.length + 256;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= v.CloudTrailEvent.length + 256;
    }
  }

  get size(): number {
    return this.map.size;
  }
}

/** Runs a LookupEvents request (with `cache`, rows seen recently are not fetched again). */
export async function lookupEvents(store: Store, req: LookupRequest, cache?: LookupCache): Promise<LookupResponse> {
  const q = buildLookupQuery(req);
  // The statement text depends only on the filter's shape: prepared once per read connection.
  const ids = await store.allPrepared(q.sql, q.params);
  const page = ids.slice(0, q.limit);
  const out: LookupResponse = { Events: [] };
  if (page.length === 0) return out;
  const found = new Map<string, LookupEvent>();
  const missing: Row[] = [];
  for (const p of page) {
    const hit = cache?.get(String(p.cursorId));
    if (hit) found.set(String(p.cursorId), hit);
    else missing.push(p);
  }
  if (missing.length) {
    // Fetch the page's records by rowid, bounded to the rowid ranges they fall in: the lake is
    // written in time order, so a page usually sits in one or two runs of rows and DuckDB reads
    // (and decompresses) only those.
    const rids = missing.map((r) => Number(r.rid)).sort((a, b) => a - b);
    const runs: number[][] = [];
    for (const rid of rids) {
      const last = runs[runs.length - 1];
      if (last && rid - last[last.length - 1]! <= 2048) last.push(rid);
      else runs.push([rid]);
    }
    // One prepared statement per number of runs; each run's bounds and rowids are parameters.
    const rows = await store.allPrepared(
      runs
        .map(
          // Resources come from the record itself (list columns cost more to fetch than the JSON).
          (_, i) => `SELECT seq, eventId, eventName, readOnly, userIdentityAccessKeyId, eventTime, eventSource, username,
         coalesce(record, recordLarge) AS record
       FROM event_store WHERE rowid BETWEEN CAST($lo${i} AS BIGINT) AND CAST($hi${i} AS BIGINT) AND list_contains(CAST($ids${i} AS BIGINT[]), rowid)`,
        )
        .join('\nUNION ALL\n'),
      Object.fromEntries(
        runs.flatMap((run, i) => [
          [`lo${i}`, run[0]!],
          [`hi${i}`, run[run.length - 1]!],
          [`ids${i}`, listValue(run)],
        ]),
      ),
    );
    for (const r of rows) {
      const ev = toLookupEvent(r);
      found.set(String(r.seq), ev);
      cache?.set(String(r.seq), ev);
    }
  }
  for (const p of page) out.Events.push(found.get(String(p.cursorId))!);
  if (ids.length > q.limit) {
    const last = page[page.length - 1]!;
    out.NextToken = encodeNextToken(req, { t: String(last.cursorTime), id: String(last.cursorId) });
  }
  return out;
}

function toLookupEvent(r: Row): LookupEvent {
  const text = String(r.record);
  return {
    EventId: (r.eventId as string | null) ?? null,
    EventName: String(r.eventName),
    ReadOnly: r.readOnly === null || r.readOnly === undefined ? null : String(r.readOnly),
    AccessKeyId: (r.userIdentityAccessKeyId as string | null) ?? null,
    EventTime: awsTime(r.eventTime as Date),
    EventSource: String(r.eventSource),
    Username: (r.username as string | null) ?? null,
    Resources: lookupResources(text),
    CloudTrailEvent: text,
  };
}

/** LookupEvents' Resources: each `resources[]` entry's type and ARN, as the store's resource columns hold them. */
export function lookupResources(recordText: string): LookupEvent['Resources'] {
  let rec: unknown;
  try {
    rec = parseStoredJson(recordText);
  } catch {
    return [];
  }
  const list = rec !== null && typeof rec === 'object' ? (rec as { resources?: unknown }).resources : undefined;
  if (!Array.isArray(list)) return [];
  const str = (v: unknown): string | null => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));
  return list.map((x) => {
    const o = x !== null && typeof x === 'object' ? (x as Record<string, unknown>) : {};
    return { ResourceType: str(o.type), ResourceName: str(o.ARN) ?? '' };
  });
}

/** One stored event: aitrail's derived fields and the record's JSON text. */
export interface StoredEvent {
  fields: Record<string, unknown>;
  /**
   * The record exactly as stored; in a record holding a non-number DuckDB's reader took (such
   * as `NaN`, which is not JSON), null stands in its place (see stored-json.ts).
   */
  recordText: string;
}

/** One stored event by eventId, its record as text (see eventJson). */
export async function getStoredEvent(store: Store, eventId: string): Promise<StoredEvent | undefined> {
  const row = await store.one(`SELECT * EXCLUDE (record), CAST(record AS VARCHAR) AS record FROM events WHERE eventId = ? LIMIT 1`, [eventId]);
  if (!row) return undefined;
  const { record, ...rest } = row;
  return { fields: plain(rest) as Record<string, unknown>, recordText: storedRecord(String(record)).text };
}

/**
 * An event as one JSON document: its fields, then `record` with the stored text spliced in.
 * Parsing the record and writing it again would drop `"__proto__"` members, round integers
 * beyond 2^53 and turn `1e400` into null. `indent` 0 writes one line.
 */
export function eventJson(ev: StoredEvent, indent = 2): string {
  // A valid JSON text holds line breaks only between tokens, so one line changes no value.
  const record = indent ? ev.recordText : ev.recordText.replace(/[\r\n]+/g, ' ');
  const head = JSON.stringify(ev.fields, null, indent);
  const pad = indent ? '\n' + ' '.repeat(indent) : '';
  const open = Object.keys(ev.fields).length ? head.slice(0, head.lastIndexOf('}')).replace(/\n$/, '') + ',' : '{';
  return `${open}${pad}"record":${indent ? ' ' : ''}${record}${indent ? '\n' : ''}}`;
}

/**
 * One stored event by eventId, with its record as a value and aitrail's derived fields (a
 * non-number DuckDB's reader took, such as `NaN`, reads as null: see stored-json.ts).
 */
export async function getEvent(store: Store, eventId: string): Promise<Record<string, unknown> | undefined> {
  const ev = await getStoredEvent(store, eventId);
  return ev && { ...ev.fields, record: JSON.parse(ev.recordText) };
}

/** The result of a SQL query. */
export interface SqlResult {
  columns: string[];
  types: string[];
  rows: unknown[][];
  truncated: boolean;
}

/** Statement types a read-only query may be. */
const READ_TYPES = new Set(['SELECT', 'EXPLAIN']);

/** Options for API-side SQL: the relation guard, a timeout, and a cancellation signal. */
export interface SqlOptions {
  guard?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

type ParsedSql = { error?: boolean; error_message?: string };

/** A statement's tree as DuckDB parses it (json_serialize_sql), or its parse error. */
async function parseSql(store: Store, sql: string): Promise<ParsedSql> {
  return JSON.parse(String((await store.one('SELECT json_serialize_sql(CAST(? AS VARCHAR)) AS j', [sql]))!.j)) as ParsedSql;
}

/** A tree written back as SQL by DuckDB, or undefined if it cannot be. */
async function sqlOfTree(store: Store, tree: unknown): Promise<string | undefined> {
  const back = await store.one('SELECT json_deserialize_sql(CAST(? AS JSON)) AS s', [JSON.stringify(tree)]).catch(() => undefined);
  return back ? String(back.s) : undefined;
}

/** The API's checks of what a statement may read (`tree`: the statement parsed already); gives its tree. */
async function guardSql(store: Store, sql: string, tree?: ParsedSql): Promise<ParsedSql> {
  tree ??= await parseSql(store, sql);
  if (tree.error) {
    const msg = String(tree.error_message ?? 'invalid SQL');
    throw new AitrailError(/only SELECT/i.test(msg) ? 'QUERY_NOT_READ_ONLY' : 'QUERY_INVALID', /only SELECT/i.test(msg) ? 'only read-only queries are allowed' : msg + lakeHint(sql));
  }
  const bad = sqlViolations(tree);
  if (bad.length) throw new AitrailError('QUERY_FORBIDDEN', tableHint(bad.join('; ')) + lakeHint(sql));
  return tree;
}

/** Prepares `sql`, which must be one statement (errors in the user's words, `asWritten` quoted in hints). */
async function prepareOne(store: Store, sql: string, asWritten: string): Promise<DuckDBPreparedStatement> {
  let extracted;
  try {
    extracted = await store.conn.extractStatements(sql);
  } catch (e) {
    throw queryError(e, asWritten);
  }
  if (extracted.count !== 1) throw new AitrailError('QUERY_INVALID', `expected exactly one SQL statement, found ${extracted.count}`);
  try {
    return await extracted.prepare(0);
  } catch (e) {
    throw queryError(e, asWritten);
  }
}

/** Checks that `sql` is one read-only statement (and, with `opts.guard`, reads only what it may) and prepares it. */
async function prepareRead(store: Store, sql: string, opts: SqlOptions): Promise<DuckDBPreparedStatement> {
  const asWritten = sql;
  // The tree of `sql`, once it has been parsed.
  let parsed: ParsedSql | undefined;
  if (mayNeedTrinoRewrite(sql)) {
    // Trino calls no macro can stand for are rewritten in the parsed statement, which DuckDB
    // then writes back as SQL; a statement it cannot parse is left for the checks below. Should
    // DuckDB fail to write the tree back, the query runs as written and fails on the unknown
    // function with a hint (queryError).
    parsed = await parseSql(store, sql);
    if (!parsed.error) {
      const { tree, rewritten } = rewriteTrinoCalls(parsed);
      const back = rewritten.length ? await sqlOfTree(store, tree) : undefined;
      if (back !== undefined) {
        sql = back;
        // The checks below read the statement that runs: the text DuckDB wrote, parsed again.
        parsed = undefined;
      }
    }
  }
  if (opts.guard) parsed = await guardSql(store, sql, parsed);
  let prepared: DuckDBPreparedStatement;
  try {
    prepared = await prepareOne(store, sql, asWritten);
  } catch (e) {
    // `requestParameters.bucketName` on a column of JSON text (Athena's table refuses it too, yet
    // published playbooks write it): read as json_member(requestParameters, 'bucketName'). Only a
    // statement DuckDB refused for that is rewritten, so no statement that runs changes meaning.
    if (!(isAitrailError(e) && JSON_MEMBER_ERROR.test(e.message))) throw e;
    const tree = parsed ?? (await parseSql(store, sql));
    const members = tree.error ? undefined : rewriteJsonMembers(tree, JSON_TEXT_COLUMNS);
    const back = members?.rewritten.length ? await sqlOfTree(store, members.tree) : undefined;
    if (back === undefined) throw e;
    if (opts.guard) await guardSql(store, back);
    prepared = await prepareOne(store, back, asWritten);
    sql = back;
  }
  const typeName = String(prepared.statementType);
  const kind = typeName in STATEMENT_NAMES ? STATEMENT_NAMES[typeName]! : typeName;
  if (!READ_TYPES.has(kind)) {
    throw new AitrailError('QUERY_NOT_READ_ONLY', `only read-only queries are allowed (this statement is ${kind})`);
  }
  return withNamedRows(store, prepared, sql, asWritten);
}

/**
 * A result type with the fields of unnamed structs (Trino's ROW, `(a, b)`) named as Athena shows
 * them, field0, field1, …, or undefined when it has none. Unnamed, they all share the name '',
 * and a row of them would come back as one field.
 */
function namedRowType(t: DuckDBType): string | undefined {
  if (t instanceof DuckDBStructType) {
    const inner = t.entryTypes.map(namedRowType);
    if (!t.entryNames.includes('') && inner.every((x) => x === undefined)) return undefined;
    return `STRUCT(${t.entryNames.map((n, i) => `${quotedIdentifier(n || `field${i}`)} ${inner[i] ?? String(t.entryTypes[i])}`).join(', ')})`;
  }
  if (t instanceof DuckDBListType || t instanceof DuckDBArrayType) {
    const v = namedRowType(t.valueType);
    return v && `${v}[${t instanceof DuckDBArrayType ? t.length : ''}]`;
  }
  if (t instanceof DuckDBMapType) {
    const [k, v] = [namedRowType(t.keyType), namedRowType(t.valueType)];
    return k || v ? `MAP(${k ?? String(t.keyType)}, ${v ?? String(t.valueType)})` : undefined;
  }
  return undefined;
}

/**
 * The statement, its columns of unnamed structs cast to named ones (namedRowType). With two
 * columns of one name, or should that not prepare, the statement as it was.
 */
async function withNamedRows(store: Store, prepared: DuckDBPreparedStatement, sql: string, asWritten: string): Promise<DuckDBPreparedStatement> {
  const casts: string[] = [];
  const names = Array.from({ length: prepared.columnCount }, (_, i) => prepared.columnName(i));
  if (new Set(names).size !== names.length) return prepared;
  names.forEach((name, i) => {
    const named = namedRowType(prepared.columnType(i));
    if (named) casts.push(`CAST(${quotedIdentifier(name)} AS ${named}) AS ${quotedIdentifier(name)}`);
  });
  if (!casts.length) return prepared;
  // The statement's own end (a ;, a comment) would end the subquery too.
  let inner = sql;
  for (let prev = ''; prev !== inner; ) {
    prev = inner;
    inner = inner.replace(/\s+$/, '').replace(/;$/, '').replace(/--[^\n]*$/, '');
  }
  return prepareOne(store, `SELECT * REPLACE (${casts.join(', ')}) FROM (\n${inner}\n) AS __aitrail_rows`, asWritten).catch(() => prepared);
}

/** Columns of the views that hold JSON text (or, in cloudtrail_lake, maps of it). */
const JSON_TEXT_COLUMNS = ['requestparameters', 'responseelements', 'additionaleventdata', 'serviceeventdetails'];
/** DuckDB's error for a member of such a column (or of a map's value: cloudtrail_lake's nested values are JSON text). */
const JSON_MEMBER_ERROR = new RegExp(`Cannot extract field '([^']+)' from expression "(map_extract_value\\()?(${JSON_TEXT_COLUMNS.join('|')})\\b`, 'i');

/**
 * A CloudTrail Lake query names its event data store by id (`FROM 5e2676f8-…`, or a sample's
 * `$EDS_ID`, `<EDS ID>`): say which view stands for it.
 */
function lakeHint(sql: string | undefined): string {
  const id = /\bFROM\s+("?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"?|\$EDS_ID\b|<[^<>]*>|"?event_data_store_id"?|"?arn:aws[\w-]*:cloudtrail:[^\s"]*"?)/i.exec(sql ?? '');
  return id ? `\n${id[1]} looks like a CloudTrail Lake event data store: Lake queries run on the cloudtrail_lake view (FROM cloudtrail_lake)` : '';
}

/**
 * A relation that does not exist. An Athena query names the table its author created over
 * CloudTrail (`cloudtrail_logs_pp`, `"db"."cloudtrail"`, the workshop's
 * `irworkshopgluetablecloudtrail`): say which view stands for it, instead of DuckDB's guess at the
 * nearest name (which may be Lake's view, of other columns). For another name, DuckDB's guess may
 * be one of its own catalog tables (`pg_sequences`): list the views instead.
 */
function tableHint(msg: string): string {
  const m = /Table with name "?([^"\s!]+)"? does not exist|reading '([^']+)' is not allowed/.exec(msg);
  const name = m?.[1] ?? m?.[2];
  if (!name || ALLOWED_RELATIONS.has(name.toLowerCase())) return msg;
  if (/trail/i.test(name.split('.').pop()!)) {
    return `${msg.replace(/\nDid you mean "[^"]*"\?/, '')}\n${name} looks like an Athena table over CloudTrail logs: here that table is the cloudtrail_logs view (FROM cloudtrail_logs); CloudTrail Lake's is cloudtrail_lake`;
  }
  const guess = /\nDid you mean "([^"]*)"\?/.exec(msg);
  return guess && !ALLOWED_RELATIONS.has(guess[1]!.toLowerCase()) ? msg.replace(guess[0], `\nReadable tables and views: ${[...ALLOWED_RELATIONS].join(', ')}`) : msg;
}

/** A failed query's error, in words a user can act on (`sql`, when the statement is at hand). */
function queryError(e: unknown, sql?: string): AitrailError {
  let msg = tableHint(cleanDuckError(e)) + lakeHint(sql);
  // A Trino date function left as written: its format was not a literal (see query/trino.ts).
  const fn = /Scalar Function with name (date_parse|parse_datetime|format_datetime) does not exist/i.exec(msg);
  if (fn) msg += `\n${fn[1]} is rewritten to DuckDB's ${fn[1] === 'format_datetime' ? 'strftime' : 'strptime'} when its format is a string literal; write the format as one`;
  // `requestparameters.bucketName` that could not be read as json_member (prepareRead): these
  // columns are JSON text, as in Athena's table (which refuses that too); say how to reach into them.
  const member = JSON_MEMBER_ERROR.exec(msg);
  if (member && !member[2]) msg += `\n${member[3]} is JSON text, as in Athena's CloudTrail table: write json_extract_scalar(${member[3]}, '$.${member[1]}')`;
  const err = new AitrailError('QUERY_INVALID', msg, { cause: e });
  return outOfMemory(err) ?? err;
}

/** Runs one read-only statement, returning at most `maxRows` rows. */
export async function runSql(store: Store, sql: string, maxRows = 10_000, opts: SqlOptions = {}): Promise<SqlResult> {
  const prepared = await prepareRead(store, sql, opts);
  let reader;
  let why: 'timeout' | 'cancel' | undefined;
  const timer = opts.timeoutMs ? setTimeout(() => ((why = 'timeout'), store.interrupt()), opts.timeoutMs) : undefined;
  const onAbort = () => ((why = 'cancel'), store.interrupt());
  opts.signal?.addEventListener('abort', onAbort);
  try {
    reader = await prepared.runAndReadUntil(maxRows + 1);
  } catch (e) {
    if (why === 'timeout') throw new AitrailError('QUERY_TIMEOUT', `the query ran longer than ${opts.timeoutMs} ms and was stopped`, { cause: e });
    if (why === 'cancel') throw new AitrailError('QUERY_CANCELLED', 'the query was cancelled', { cause: e });
    throw queryError(e);
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
  const rows = rowShower(reader.columnTypes())(reader.getRowsJS());
  return {
    columns: reader.columnNames(),
    types: reader.columnTypes().map((t) => t.toString()),
    rows: rows.slice(0, maxRows),
    truncated: rows.length > maxRows,
  };
}

/**
 * Runs one read-only statement and hands its rows to `onRows` a chunk (at most 2,048 rows) at a
 * time, `maxRows` in all (0: every row), after `onColumns` has its column names: a result of any
 * size (an export of a month of records) is never held whole, here or in DuckDB. Says how many
 * rows were handed on and whether more were left out.
 */
export async function streamSql(
  store: Store,
  sql: string,
  maxRows: number,
  onColumns: (columns: string[]) => void | Promise<void>,
  onRows: (rows: unknown[][]) => void | Promise<void>,
): Promise<{ rows: number; truncated: boolean }> {
  const prepared = await prepareRead(store, sql, {});
  let sent = 0;
  // What the callbacks throw (a closed pipe, say) is theirs, not the query's.
  let theirs: unknown;
  const call = async (fn: () => void | Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      theirs = e;
      throw e;
    }
  };
  try {
    const result = await prepared.stream();
    await call(() => onColumns(result.columnNames()));
    const show = rowShower(result.columnTypes());
    for await (const chunk of result.yieldRowsJs()) {
      const room = maxRows > 0 ? maxRows - sent : chunk.length;
      if (room <= 0) return { rows: sent, truncated: chunk.length > 0 };
      const rows = show(chunk.length > room ? chunk.slice(0, room) : chunk);
      sent += rows.length;
      await call(() => onRows(rows));
      if (chunk.length > room) return { rows: sent, truncated: true };
    }
  } catch (e) {
    throw e === theirs || e instanceof AitrailError ? e : queryError(e);
  }
  return { rows: sent, truncated: false };
}

// node-api reports statement types as enum numbers; map the ones we allow to names.
const STATEMENT_NAMES: Record<string, string> = { '1': 'SELECT', '2': 'INSERT', '3': 'UPDATE', '4': 'EXPLAIN', '5': 'DELETE', '7': 'CREATE', '9': 'ALTER', '11': 'COPY', '15': 'DROP', '16': 'EXPORT', '17': 'PRAGMA', '20': 'SET', '21': 'LOAD', '25': 'ATTACH' };

/** Removes DuckDB's noise from an error message. */
export function cleanDuckError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\n\s*\n/g, '\n').trim();
}

/** A short summary of the lake: counts by AI activity, principals, models and errors. */
export async function summarize(store: Store): Promise<Record<string, unknown>> {
  const total = await store.one(`SELECT count(*) AS events, min(eventTime) AS first, max(eventTime) AS last,
      count(DISTINCT accountId) AS accounts, count(*) FILTER (WHERE errorCode IS NOT NULL) AS errors FROM event_store`);
  const byActivity = await store.all(`SELECT coalesce(aiActivity, '(not AI)') AS aiActivity, count(*) AS events FROM event_store GROUP BY ALL ORDER BY events DESC`);
  const principals = await store.all(`SELECT coalesce(userIdentityArn, userIdentityInvokedBy, '(none)') AS principal, count(*) AS events,
      count(*) FILTER (WHERE aiService IS NOT NULL) AS aiEvents FROM event_store GROUP BY ALL ORDER BY aiEvents DESC, events DESC LIMIT 10`);
  const models = await store.all(`SELECT modelId, count(*) AS invocations, count(DISTINCT userIdentityArn) AS principals
      FROM event_store WHERE aiActivity = 'inference' AND modelId IS NOT NULL GROUP BY ALL ORDER BY invocations DESC LIMIT 10`);
  const topErrors = await store.all(`SELECT errorCode, count(*) AS events FROM event_store WHERE errorCode IS NOT NULL GROUP BY ALL ORDER BY events DESC LIMIT 10`);
  return plain({ ...total, byActivity, principals, models, topErrors }) as Record<string, unknown>;
}

const NEEDED_MORE = 'the query needed more memory than';

/**
 * A read that ran the store's DuckDB instance out of memory, as an error that says so in words a
 * user or API client can act on (DuckDB's own advice, such as `SET threads`, is not for them); the
 * error's code stays (a SQL query's is QUERY_INVALID). Undefined for other errors, and for one
 * already said so.
 * One query's working memory is not bounded by the rows it returns: JSON functions hold every
 * record of a 2,048-row batch parsed at once, once per function (`SELECT * FROM cloudtrail_logs`
 * needed 720 MiB for 12 MB of records), and the limit is shared with every other connection.
 */
export function outOfMemory(e: unknown): AitrailError | undefined {
  let msg: string | undefined;
  for (let c: unknown = e, depth = 0; c instanceof Error && depth < 5; c = c.cause, depth++) {
    if (isOutOfMemory(c)) {
      msg = c.message;
      break;
    }
  }
  if (msg === undefined || (e instanceof Error && e.message.startsWith(NEEDED_MORE))) return undefined;
  const limit = /\(([\d.]+ \w+)\/([\d.]+ \w+) used\)/.exec(msg)?.[2];
  return new AitrailError(
    isAitrailError(e) ? e.code : 'INTERNAL',
    `${NEEDED_MORE} the store allows (${limit ? `${limit}, ` : ''}shared by every query running at once; AITRAIL_MEMORY_LIMIT sets it): ` +
      "ask for fewer rows or columns. Columns computed from the records' JSON (cloudtrail_logs' requestparameters, responseelements, " +
      'resources, useridentity, tlsdetails, …) take many times the size of the records they read. ' +
      `(DuckDB: ${msg.split('\n')[0]})`,
    { cause: e },
  );
}
