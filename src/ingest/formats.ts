/**
 * Format detection and record extraction for every container CloudTrail records arrive in:
 * delivery files `{"Records":[…]}`, JSON arrays, single records, JSON Lines, JSON values one
 * after another (`jq` output, files joined with `cat`, Firehose objects), EventBridge envelopes,
 * `lookup-events` output, and test wrappers. Pure: text in, items out.
 */
import { isUtf8 } from 'node:buffer';
import { gunzip, gunzipSync, constants as zc, type ZlibOptions } from 'node:zlib';
import { promisify } from 'node:util';

/**
 * One item found in a file: a candidate record, or a piece of input that could not be read. A
 * record's `raw` is its text where it could be cut out exactly; a line taken on trust (see
 * ReadOptions) has only its text (`record` undefined), or only its bytes (`bytes`, a view of
 * the file's: see extractJsonLines).
 */
export type ExtractedItem =
  | { idx: number; line: number | null; record: unknown; raw?: string; bytes?: Buffer }
  | { idx: number | null; line: number | null; reject: { code: RejectCode; reason: string; raw: string } };

/** How a file is read. */
export interface ReadOptions {
  /**
   * Lines, and values one after another, that look like CloudTrail records or EventBridge
   * envelopes of one are taken as a record's text without being parsed (see trustedRecordText):
   * the caller's JSON reader parses them anyway, and must then read the file again without this
   * when one is not valid JSON.
   */
  trustRecords?: boolean;
}

/**
 * Text DuckDB's JSON reader accepts and JSON.parse refuses: `nan`, `inf` and `infinity` in any
 * case (a minus sign before them too) where a value stands, and trailing commas. Strings that
 * merely look so (`"a, inf…"`) match too; they are only read the slower way.
 */
const LENIENT = /[:,[]\s*-?(?:nan|inf)|,\s*[\]}]/i;

/**
 * The record's text in a line or value written as CloudTrail, `jq -c` or EventBridge write them,
 * taken without parsing: a record (`{"eventVersion":"…}`), or an envelope
 * (`{"version":"0",…,"detail-type":"…",…,"detail":{…}}`) whose `detail`, its last member, is the
 * text from after `"detail":` to the envelope's closing brace. The caller stages that text as
 * the value of a member of an object of its own (`{…,"r":<text>}`), which makes it right even
 * when `detail` is not the last member: the members after it become members of that object, and
 * a reader taking its columns by name ignores them. A `"detail":` that is not the envelope's own
 * leaves brackets unbalanced there, and the reader's parse fails.
 */
function trustedRecordText(text: string): string | undefined {
  // What DuckDB's reader would take but JSON.parse not (NaN, Infinity, trailing commas) is read
  // the checked way, so a line is stored or rejected alike whichever way it is read.
  if (!text.endsWith('}') || LENIENT.test(text)) return undefined;
  if (text.startsWith('{"eventVersion":"')) return text;
  if (!text.startsWith('{"version":"') || !text.slice(0, 400).includes('"detail-type":"')) return undefined;
  const at = text.indexOf('"detail":');
  return at < 0 ? undefined : text.slice(at + 9, -1);
}

/** Reject codes produced by readers. */
export type RejectCode = 'INGEST_BAD_GZIP' | 'INGEST_BAD_JSON' | 'INGEST_BAD_RECORD' | 'INGEST_BAD_UTF8';

/** The container kind a file turned out to be. */
export type ContainerKind =
  | 'records'
  | 'array'
  | 'single'
  | 'jsonl'
  /** JSON values one after another, not one per line: `jq` output, `cat` of delivery files, Firehose. */
  | 'concatenated'
  | 'lookup-events'
  | 'eventbridge'
  /** CloudWatch Logs: `aws logs filter-log-events` output, or a subscription's `logEvents` (each `message` a record). */
  | 'cloudwatch-logs'
  | 'test-wrapper'
  | 'empty'
  | 'unreadable'
  /** Inflates to more than the caller's limit: to be read as a stream (stream.ts), not whole. */
  | 'too-large';

/** Items of one file plus what it looked like. */
export interface Extraction {
  kind: ContainerKind;
  items: ExtractedItem[];
}

const gunzipAsync = promisify(gunzip) as (buf: Buffer, opts: ZlibOptions) => Promise<Buffer>;

/** The most a gzip file is inflated to in memory: more could not be decoded as one string anyway. */
export const MAX_INFLATED_BYTES = 0x1fffffe8 - 1;

/** True when the bytes start with the gzip magic number. */
export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/**
 * Decompresses gzip leniently: a truncated stream yields what could be inflated plus an error,
 * so that the complete records before the damage are kept.
 */
export async function gunzipLenient(buf: Buffer, maxBytes = MAX_INFLATED_BYTES): Promise<{ data: Buffer; error?: string; tooLarge?: boolean }> {
  try {
    return { data: await gunzipAsync(buf, { maxOutputLength: maxBytes }) };
  } catch (e) {
    // More than the limit (a file whose trailer understates its size, or made to blow up): not
    // inflated further here, nor searched for its damage.
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return { data: Buffer.alloc(0), error: (e as Error).message, tooLarge: true };
    // Find the longest prefix that still inflates: everything before the damage.
    const message = (e as Error).message;
    let lo = 0;
    let hi = buf.length;
    let best = Buffer.alloc(0);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      try {
        best = gunzipSync(buf.subarray(0, mid), { finishFlush: zc.Z_SYNC_FLUSH });
        lo = mid;
      } catch {
        hi = mid - 1;
      }
    }
    if (lo > 0 && best.length === 0) best = gunzipSync(buf.subarray(0, lo), { finishFlush: zc.Z_SYNC_FLUSH });
    return { data: best, error: message };
  }
}

const RAW_LIMIT = 64 * 1024;
/**
 * Cuts raw text kept in the rejects table to a readable size (the whole file is kept on disk),
 * never between the halves of a surrogate pair: half a pair is not text, and DuckDB would refuse
 * the rejects staged with it.
 */
export function clip(raw: string): string {
  if (raw.length <= RAW_LIMIT) return raw;
  const high = raw.charCodeAt(RAW_LIMIT - 1);
  const end = high >= 0xd800 && high <= 0xdbff ? RAW_LIMIT - 1 : RAW_LIMIT;
  return raw.slice(0, end) + `…[${raw.length - end} more characters]`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function looksLikeRecord(o: Record<string, unknown>): boolean {
  return 'eventName' in o || 'eventTime' in o || 'eventSource' in o || 'eventID' in o || 'insightDetails' in o;
}

/**
 * Unwraps one element: EventBridge envelopes (`detail`), `{event: …}` / `{log: …}` wrappers,
 * and lookup-events entries (`CloudTrailEvent` as a JSON string).
 */
export function unwrapElement(el: unknown): { record: unknown; via?: ContainerKind; raw?: string } | { error: string } {
  if (!isObject(el) || looksLikeRecord(el)) return { record: el };
  if (isObject(el.detail) && ('detail-type' in el || 'source' in el)) return { record: el.detail, via: 'eventbridge' };
  // A CloudWatch Logs event (`aws logs filter-log-events`, a subscription's logEvents): the record is its message.
  if (typeof el.message === 'string' && ('timestamp' in el || 'ingestionTime' in el)) {
    try {
      return { record: JSON.parse(el.message), via: 'cloudwatch-logs', raw: el.message };
    } catch (e) {
      return { error: `message is not valid JSON: ${(e as Error).message}` };
    }
  }
  if (typeof el.CloudTrailEvent === 'string') {
    try {
      return { record: JSON.parse(el.CloudTrailEvent), via: 'lookup-events', raw: el.CloudTrailEvent };
    } catch (e) {
      return { error: `CloudTrailEvent is not valid JSON: ${(e as Error).message}` };
    }
  }
  if (isObject(el.event) && looksLikeRecord(el.event)) return { record: el.event };
  if (isObject(el.log) && looksLikeRecord(el.log)) return { record: el.log, via: 'test-wrapper' };
  return { record: el };
}

function elementsOf(value: unknown): { kind: ContainerKind; elements: unknown[] } {
  if (Array.isArray(value)) return { kind: 'array', elements: value };
  if (isObject(value)) {
    if (Array.isArray(value.Records)) return { kind: 'records', elements: value.Records };
    if (Array.isArray(value.Events) && value.Events.every((e) => isObject(e) && 'CloudTrailEvent' in e)) {
      return { kind: 'lookup-events', elements: value.Events };
    }
    // CloudWatch Logs: `aws logs filter-log-events` / `get-log-events` output, and the data a
    // subscription sends (to Firehose, then S3), whose health checks carry no records.
    if (value.messageType === 'CONTROL_MESSAGE') return { kind: 'cloudwatch-logs', elements: [] };
    for (const key of ['logEvents', 'events'] as const) {
      const list = value[key];
      if (Array.isArray(list) && list.length > 0 && list.every((e) => isObject(e) && typeof e.message === 'string')) return { kind: 'cloudwatch-logs', elements: list };
    }
    if (Array.isArray(value.tests) && value.tests.every((e) => isObject(e) && 'log' in e)) {
      return { kind: 'test-wrapper', elements: value.tests.map((t) => (t as Record<string, unknown>).log) };
    }
  }
  return { kind: 'single', elements: [value] };
}

function pushElements(items: ExtractedItem[], elements: unknown[], line: number | null, start: number, raws?: string[]): number {
  let idx = start;
  for (let i = 0; i < elements.length; i++) {
    const el = elements[i];
    const u = unwrapElement(el);
    if ('error' in u) items.push({ idx, line, reject: { code: 'INGEST_BAD_JSON', reason: u.error, raw: clip(JSON.stringify(el)) } });
    else if (u.raw !== undefined) items.push({ idx, line, record: u.record, raw: u.raw });
    else if (u.record === el && raws?.[i] !== undefined) items.push({ idx, line, record: u.record, raw: raws[i] });
    else items.push({ idx, line, record: u.record });
    idx++;
  }
  return idx;
}

/**
 * The source text of each element of a container, when it can be cut out exactly, so that
 * numbers keep their digits (JSON.parse would round 64-bit integers).
 */
function elementTexts(text: string, kind: ContainerKind, count: number): string[] | undefined {
  let open = -1;
  if (kind === 'array') open = text.indexOf('[');
  else if (kind === 'records') {
    const m = /^\s*\{\s*"Records"\s*:\s*\[/.exec(text);
    if (m) open = m[0].length - 1;
  } else if (kind === 'single') return [text.trim()];
  if (open < 0) return undefined;
  const { elements, complete } = scanArrayElements(text, open);
  return complete && elements.length === count ? elements : undefined;
}

/**
 * Where a scan inside a string, at `pos`, next has to look: the string's next quote or backslash,
 * or the text's end. `bs.at` keeps the next backslash found (-2: not looked for yet, -1: none).
 */
function stringStop(text: string, pos: number, bs: { at: number }): number {
  const q = text.indexOf('"', pos);
  if (bs.at !== -1 && bs.at < pos) bs.at = text.indexOf('\\', pos);
  const stop = q < 0 ? text.length : q;
  return bs.at >= 0 && bs.at < stop ? bs.at : stop;
}

/**
 * Cuts the elements of a JSON array out of text, which may come in pieces: `scan` goes on from
 * where it stopped, and `rebase` follows text dropped from the front. Strings (with their escapes)
 * and nested values are skipped over, so brackets and commas inside them do not count.
 */
export class ArrayScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Where the element under way starts (-1: between elements). */
  start = -1;

  /** `pos`: the first index after the array's `[`. */
  constructor(private pos: number) {}

  /**
   * Gives each complete element's text to `onElement`; returns the index just after the array's
   * closing `]`, or -1 when the text ends first.
   */
  scan(text: string, onElement: (element: string) => void): number {
    // Inside a string the scan jumps to the next quote or backslash (see ValueScanner.scan).
    const bs = { at: -2 };
    for (; this.pos < text.length; this.pos++) {
      if (this.inString && !this.escaped) {
        const stop = stringStop(text, this.pos, bs);
        this.pos = stop;
        if (stop >= text.length) break;
      }
      const ch = text.charCodeAt(this.pos);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === 92 /* \ */) this.escaped = true;
        else if (ch === 34 /* " */) this.inString = false;
        continue;
      }
      if (ch === 34) {
        this.inString = true;
        if (this.start < 0) this.start = this.pos;
      } else if (ch === 123 || ch === 91) {
        if (this.start < 0) this.start = this.pos;
        this.depth++;
      } else if (ch === 125 || ch === 93) {
        if (this.depth === 0 && ch === 93) {
          if (this.start >= 0) onElement(text.slice(this.start, this.pos).trim());
          this.start = -1;
          return ++this.pos;
        }
        this.depth--;
      } else if (ch === 44 /* , */ && this.depth === 0) {
        if (this.start >= 0) onElement(text.slice(this.start, this.pos).trim());
        this.start = -1;
      } else if (this.start < 0 && ch > 32) {
        this.start = this.pos;
      }
    }
    return -1;
  }

  /** The first `n` characters of the text were dropped. */
  rebase(n: number): void {
    this.pos -= n;
    if (this.start >= 0) this.start -= n;
  }
}

/**
 * Scans the elements of the JSON array starting at `open` (the index of `[`), returning the
 * complete elements' text and where scanning stopped. Used to keep the good records of a
 * truncated or damaged file.
 */
export function scanArrayElements(text: string, open: number): { elements: string[]; end: number; complete: boolean } {
  const elements: string[] = [];
  const scanner = new ArrayScanner(open + 1);
  const end = scanner.scan(text, (e) => elements.push(e));
  return end >= 0 ? { elements, end, complete: true } : { elements, end: scanner.start >= 0 ? scanner.start : text.length, complete: false };
}

/**
 * Cuts JSON values written one after another (`{…}{…}`, or pretty-printed values one after
 * another as `jq` writes them) out of text, which may come in pieces like ArrayScanner's. Only
 * objects and arrays count as values; any other text between them stops the scan there. Lines
 * are counted as it goes, so each value comes with the line it starts on.
 */
export class ValueScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Where the value under way starts (-1: between values). */
  start = -1;
  /** The line `pos` is on. */
  line: number;
  private startLine = 0;

  constructor(private pos = 0, line = 1) {
    this.line = line;
  }

  /**
   * Gives each complete value's text and first line to `onValue` (which returns false to stop
   * after it); returns the index of text that cannot start a value, or -1 when the text ends or
   * `onValue` stopped.
   */
  scan(text: string, onValue: (value: string, line: number) => boolean | void): number {
    // Inside a string (most of a record's text) the scan jumps to the next quote or backslash,
    // counting the line feeds it passes: a character at a time cost 6 µs a record. `nl` is the
    // next line feed at or after where it was looked for (-1: none).
    const bs = { at: -2 };
    let nl = -2;
    for (; this.pos < text.length; this.pos++) {
      if (this.inString && !this.escaped) {
        const stop = stringStop(text, this.pos, bs);
        if (stop > this.pos) {
          if (nl !== -1 && nl < this.pos) nl = text.indexOf('\n', this.pos);
          while (nl >= 0 && nl < stop) {
            this.line++;
            nl = text.indexOf('\n', nl + 1);
          }
          this.pos = stop;
          if (stop >= text.length) break;
        }
      }
      const ch = text.charCodeAt(this.pos);
      if (ch === 10) this.line++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === 92 /* \ */) this.escaped = true;
        else if (ch === 34 /* " */) this.inString = false;
        continue;
      }
      if (ch === 123 || ch === 91) {
        if (this.depth++ === 0) {
          this.start = this.pos;
          this.startLine = this.line;
        }
      } else if (this.depth === 0) {
        if (ch > 32) return this.pos;
      } else if (ch === 34) {
        this.inString = true;
      } else if ((ch === 125 || ch === 93) && --this.depth === 0) {
        const value = text.slice(this.start, this.pos + 1);
        this.start = -1;
        if (onValue(value, this.startLine) === false) {
          this.pos++;
          return -1;
        }
      }
    }
    return -1;
  }

  /** The line of the value under way. */
  get valueLine(): number {
    return this.startLine;
  }

  /** The first `n` characters of the text were dropped. */
  rebase(n: number): void {
    this.pos -= n;
    if (this.start >= 0) this.start -= n;
  }
}

/**
 * Adds the items of the `k`th value of a sequence, starting on `line`; returns the next index.
 * A container's records have no line of their own (as in a single document); a record does.
 */
export function pushValueText(items: ExtractedItem[], text: string, k: number, line: number, idx: number): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    // A damaged delivery file or array: its good records are kept, as in a file of its own.
    const salvaged = salvage(text, message, idx);
    if (!salvaged) {
      items.push({ idx: null, line, reject: { code: 'INGEST_BAD_JSON', reason: `value ${k} (line ${line}) is not valid JSON: ${message}`, raw: clip(text) } });
      return idx;
    }
    for (const item of salvaged.items) items.push(item.idx === null ? { ...item, line } : item);
    return salvaged.items.reduce((next, item) => (item.idx === null ? next : Math.max(next, item.idx + 1)), idx);
  }
  const { kind, elements } = elementsOf(parsed);
  return pushElements(items, elements, kind === 'single' ? line : null, idx, elementTexts(text, kind, elements.length));
}

/**
 * The file-level reject of values one after another that end early: at text that is no object or
 * array (on `line`, after `k` values), or cut short in value `k` (starting on `line`).
 */
export function sequenceEnd(how: 'no-value' | 'cut', k: number, line: number, raw: string, records: number): { idx: null; line: number; reject: { code: 'INGEST_BAD_JSON'; reason: string; raw: string } } {
  const reason = how === 'no-value'
    ? `line ${line}: text after value ${k} is not a JSON object or array; ${records} complete records kept`
    : `file is truncated or damaged in value ${k} (line ${line}); ${records} complete records kept`;
  return { idx: null, line, reject: { code: 'INGEST_BAD_JSON', reason, raw: clip(raw) } };
}

/**
 * The items of the values from `from` on (the `k0`th value is the first; `line`: the line `from`
 * is on), then how the sequence ended.
 */
function readSequence(items: ExtractedItem[], text: string, from: number, k0: number, line: number, idx: number, trust = false): void {
  const scanner = new ValueScanner(from, line);
  let k = k0 - 1;
  const broken = scanner.scan(text, (value, at) => {
    const raw = trust ? trustedRecordText(value) : undefined;
    k++;
    if (raw === undefined) idx = pushValueText(items, value, k, at, idx);
    else items.push({ idx: idx++, line: at, record: undefined, raw });
  });
  const records = items.filter((i) => 'record' in i).length;
  if (broken >= 0) items.push(sequenceEnd('no-value', k, scanner.line, text.slice(broken), records));
  else if (scanner.start >= 0) items.push(sequenceEnd('cut', k + 1, scanner.valueLine, text.slice(scanner.start), records));
}

/** The line that index `at` of text is on. */
export function lineFeeds(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The first line of text that holds more than whitespace (without its line feed), or ''. */
export function firstLineOf(text: string): string {
  const body = text.trimStart();
  const nl = body.indexOf('\n');
  return nl >= 0 ? body.slice(0, nl) : body;
}

/**
 * Whether text is a sequence of values: its first line is not a JSON value of its own (else it
 * is JSON Lines), and its first value, an object or array, is whole and valid JSON.
 */
function startsSequence(text: string, firstLine: string): boolean {
  if (parsesAsJson(firstLine) || !/^\s*[{[]/.test(text)) return false;
  let first: string | undefined;
  new ValueScanner().scan(text, (value) => {
    first = value;
    return false;
  });
  return first !== undefined && parsesAsJson(first);
}

/** Adds the items of one element of a records array, given as text; returns the next index. */
export function pushElementText(items: ExtractedItem[], text: string, idx: number): number {
  try {
    return pushElements(items, [JSON.parse(text)], null, idx, [text]);
  } catch (e) {
    items.push({ idx, line: null, reject: { code: 'INGEST_BAD_JSON', reason: `record ${idx} is not valid JSON: ${(e as Error).message}`, raw: clip(text) } });
    return idx + 1;
  }
}

/**
 * The JSON after the time stamp of a line of a CloudWatch Logs export to S3
 * (`2026-11-01T10:00:00.000Z {"eventVersion":…}`), or undefined.
 */
function afterTimestamp(line: string): string | undefined {
  const m = /^\s*\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z[ \t]+(?=[{[])/.exec(line);
  return m ? line.slice(m[0].length) : undefined;
}

/**
 * Adds the items of one JSON Lines line (a line may itself hold a container, or follow a time
 * stamp as in a CloudWatch Logs export): its records, or why the line is not JSON. Returns the
 * next index, and whether the line was JSON.
 */
export function pushLineText(items: ExtractedItem[], text: string, line: number, idx: number, trust = false): { idx: number; ok: boolean } {
  const raw = trust ? trustedRecordText(text) : undefined;
  if (raw !== undefined) {
    items.push({ idx, line, record: undefined, raw });
    return { idx: idx + 1, ok: true };
  }
  try {
    const { kind, elements } = elementsOf(JSON.parse(text));
    return { idx: pushElements(items, elements, line, idx, elementTexts(text, kind, elements.length)), ok: true };
  } catch (e) {
    const json = afterTimestamp(text);
    if (json !== undefined) return pushLineText(items, json, line, idx);
    // Several values on one line (`{…}{…}`): each is read when the line is nothing else.
    const values: string[] = [];
    const scanner = new ValueScanner();
    if (scanner.scan(text, (v) => void values.push(v)) < 0 && scanner.start < 0 && values.length > 1) {
      values.forEach((v, k) => (idx = pushValueText(items, v, k + 1, line, idx)));
      return { idx, ok: true };
    }
    items.push({ idx: null, line, reject: { code: 'INGEST_BAD_JSON', reason: `line ${line} is not valid JSON: ${(e as Error).message}`, raw: clip(text) } });
    return { idx, ok: false };
  }
}

/**
 * The first `\uD800`–`\uDFFF` escape in JSON text that is not half of a surrogate pair, or
 * undefined. JSON.parse reads one as a lone UTF-16 code unit; DuckDB's reader (rightly: it is not
 * Unicode) refuses the whole file, so a record holding one is rejected before it gets there.
 */
export function loneSurrogate(text: string): string | undefined {
  if (!text.includes('\\u') || !/\\u[dD][89a-fA-F]/.test(text)) return undefined;
  const escape = /(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})/g;
  for (let m = escape.exec(text); m; m = escape.exec(text)) {
    if (m[1]!.length % 2 === 0) continue; // an escaped backslash, then a plain "u"
    const high = /^[dD][89abAB]/.test(m[2]!);
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 6);
    if (high && /^\\u[dD][c-fC-F][0-9a-fA-F]{2}$/.test(after)) {
      escape.lastIndex += 6; // the pair's low half
      continue;
    }
    return `\\u${m[2]}`;
  }
  return undefined;
}

/** Why JSON text holding a lone surrogate escape cannot be stored, or undefined. */
export function surrogateProblem(text: string): string | undefined {
  const lone = loneSurrogate(text);
  return lone === undefined ? undefined : `holds ${lone}, half of a UTF-16 surrogate pair without the other: not Unicode text, so not stored`;
}

/** Whether text is one JSON value. */
export function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first member name that appears twice in one object of the (valid) JSON text, with the
 * path of that object (`$.requestParameters`), or null. Readers disagree on such input: DuckDB
 * keeps the first value, JSON.parse the last.
 */
export function duplicateMember(text: string): { name: string; path: string } | null {
  const stack: { keys: Set<string> | null; path: string; last: string }[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 92 /* \ */) {
          escaped = true;
          i++;
        } else if (c === 34) break;
      }
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const raw = text.slice(start, i + 1);
        const name = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (top.keys.has(name)) return { name, path: top.path };
        top.keys.add(name);
        top.last = name;
        expectKey = false;
      }
    } else if (ch === 123 /* { */ || ch === 91 /* [ */) {
      const parent = stack[stack.length - 1];
      const path = !parent ? '$' : parent.keys ? `${parent.path}.${parent.last}` : `${parent.path}[]`;
      stack.push({ keys: ch === 123 ? new Set() : null, path, last: '' });
      expectKey = ch === 123;
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) {
      stack.pop();
    } else if (ch === 44 /* , */) {
      const top = stack[stack.length - 1];
      expectKey = top !== undefined && top.keys !== null;
    }
  }
  return null;
}

/**
 * The complete records of a damaged document that starts as a records array (`start`: the index
 * of its first record in the file), then what is wrong with the rest.
 */
function salvage(text: string, parseError: string, start = 0): Extraction | undefined {
  const head = text.slice(0, 4096);
  const m = /^\s*\{\s*"Records"\s*:\s*\[/.exec(head) ?? /^\s*\[/.exec(head);
  if (!m) return undefined;
  const open = m[0].length - 1;
  const { elements, end, complete } = scanArrayElements(text, open);
  const items: ExtractedItem[] = [];
  let idx = start;
  for (const el of elements) idx = pushElementText(items, el, idx);
  const rest = text.slice(end);
  // More values after the document (delivery files joined with `cat`): read on as a sequence.
  const close = complete ? (m[0].includes('Records') ? /^\s*\}/.exec(rest) : /^/.exec(rest)) : null;
  if (close && /^\s*[{[]/.test(rest.slice(close[0].length))) {
    const from = end + close[0].length;
    readSequence(items, text, from, 2, lineFeeds(text, from) + 1, idx);
    return { kind: 'concatenated', items };
  }
  if (!complete || (rest.trim() !== '' && !/^\s*\}\s*$/.test(rest))) {
    items.push({
      idx: null,
      line: null,
      reject: {
        code: 'INGEST_BAD_JSON',
        reason: complete
          ? `unexpected text after the records (${parseError}); ${idx} complete records kept`
          : `file is truncated or damaged after record ${idx} (${parseError}); ${idx} complete records kept`,
        raw: clip(rest),
      },
    });
  }
  return { kind: m[0].includes('Records') ? 'records' : 'array', items };
}

/** Extracts the records of one file's text, whatever its container. */
export function extractFromText(input: string, opts: ReadOptions = {}): Extraction {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  if (text.trim() === '') return { kind: 'empty', items: [] };
  let parsed: unknown;
  let parseError: string | undefined;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    parseError = (e as Error).message;
  }
  if (parseError === undefined) {
    const { kind, elements } = elementsOf(parsed);
    const items: ExtractedItem[] = [];
    pushElements(items, elements, null, 0, elementTexts(text, kind, elements.length));
    let k: ContainerKind = kind;
    if (kind === 'single' && items.length === 1 && isObject(parsed)) {
      const u = unwrapElement(parsed);
      if (!('error' in u) && u.via) k = u.via;
    }
    return { kind: k, items };
  }
  // Not one JSON document: values one after another when the first line is not a JSON value but
  // the first object or array is; JSON Lines when there are several lines and the first is a JSON
  // value of its own (a record, or a container such as a delivery file on one line); else a
  // damaged document (as streamItems in stream.ts decides for large files).
  const firstLine = firstLineOf(text);
  if (startsSequence(text, firstLine)) {
    const items: ExtractedItem[] = [];
    readSequence(items, text, 0, 1, 1, 0, opts.trustRecords);
    return { kind: 'concatenated', items };
  }
  const lines = text.split(/\r?\n/);
  const nonEmpty = lines.filter((l) => l.trim() !== '').length;
  if ((nonEmpty <= 1 && afterTimestamp(firstLine) === undefined) || (/^\s*\{\s*"Records"\s*:/.test(text.slice(0, 200)) && !parsesAsJson(firstLine))) {
    return salvage(text, parseError) ?? {
      kind: 'unreadable',
      items: [{ idx: null, line: null, reject: { code: 'INGEST_BAD_JSON', reason: `not valid JSON: ${parseError}`, raw: clip(text) } }],
    };
  }
  const items: ExtractedItem[] = [];
  let idx = 0;
  let good = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const r = pushLineText(items, line, i + 1, idx, opts.trustRecords);
    idx = r.idx;
    if (r.ok) good++;
  }
  if (good === 0) {
    const s = salvage(text, parseError);
    if (s) return s;
  }
  return { kind: 'jsonl', items };
}

/** How a record line written by CloudTrail or `jq -c` starts. */
const RECORD_LINE = Buffer.from('{"eventVersion":"');
/**
 * What DuckDB's reader takes and JSON.parse not, in a file's bytes read as latin1: as LENIENT,
 * with only JSON's own spaces (DuckDB refuses others, and a line it refuses is read again checked).
 */
const LENIENT_BYTES = /[:,[][ \t]*-?(?:[nN][aA][nN]|[iI][nN][fF])|,[ \t]*[\]}]/g;

/**
 * A JSON Lines file read from its bytes, on trust (ReadOptions.trustRecords): a line written as
 * CloudTrail writes a record (`{"eventVersion":"…}`) that holds nothing DuckDB's reader would
 * take and JSON.parse not (LENIENT), no escape that could be half a surrogate pair, and no
 * carriage return is passed on as its bytes, never decoded; every other line is read as
 * extractFromText reads it, with the same indexes and line numbers. Decoding, splitting and
 * encoding again lines that DuckDB parses anyway was most of the time spent on such files.
 * Undefined when the file is not plainly JSON Lines (not UTF-8, its first line not one JSON
 * value, fewer than two lines): the caller reads it as text.
 */
export function extractJsonLines(input: Buffer): Extraction | undefined {
  const data = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? input.subarray(3) : input;
  if (data[0] !== 0x7b || !isUtf8(data)) return undefined;
  const first = data.indexOf(10);
  if (first < 0 || !parsesAsJson(data.toString('utf8', 0, first))) return undefined;
  // Where a line may hold what must be read checked: LENIENT's matches, escapes, carriage returns.
  const suspect: number[] = [];
  const latin1 = data.toString('latin1');
  LENIENT_BYTES.lastIndex = 0;
  for (let m = LENIENT_BYTES.exec(latin1); m; m = LENIENT_BYTES.exec(latin1)) suspect.push(m.index);
  for (const needle of ['\\u', '\r']) for (let at = data.indexOf(needle); at >= 0; at = data.indexOf(needle, at + 1)) suspect.push(at);
  suspect.sort((a, b) => a - b);
  const items: ExtractedItem[] = [];
  let idx = 0;
  let lines = 0;
  let next = 0;
  for (let a = 0, n = 1; a <= data.length; n++) {
    let nl = data.indexOf(10, a);
    if (nl < 0) nl = data.length;
    // As text.split(/\r?\n/): a carriage return right before the line feed is not the line's.
    const b = nl < data.length && nl > a && data[nl - 1] === 13 ? nl - 1 : nl;
    while (next < suspect.length && suspect[next]! < a) next++;
    if (b > a) {
      const plain = (next >= suspect.length || suspect[next]! >= b) && data[b - 1] === 0x7d && b - a > RECORD_LINE.length && data.compare(RECORD_LINE, 0, RECORD_LINE.length, a, a + RECORD_LINE.length) === 0;
      if (plain) {
        items.push({ idx: idx++, line: n, record: undefined, bytes: data.subarray(a, b) });
        lines++;
      } else {
        const text = data.toString('utf8', a, b);
        if (text.trim() !== '') {
          lines++;
          idx = pushLineText(items, text, n, idx, true).idx;
        }
      }
    }
    a = nl + 1;
  }
  return lines < 2 ? undefined : { kind: 'jsonl', items };
}

/**
 * Reads a file's bytes (gzip or not) and extracts its records. A gzip file that inflates to more
 * than `maxInflated` bytes is not read: the result is `too-large`, for the caller to stream it.
 */
export async function extractFromBytes(buf: Buffer, maxInflated = MAX_INFLATED_BYTES, opts: ReadOptions = {}): Promise<Extraction> {
  if (isGzip(buf)) {
    const { data, error, tooLarge } = await gunzipLenient(buf, maxInflated);
    if (tooLarge) return { kind: 'too-large', items: [] };
    if (error) {
      const inner = data.length > 0 ? extractFromText(data.toString('utf8'), opts) : { kind: 'unreadable' as const, items: [] };
      inner.items.push({
        idx: null,
        line: null,
        reject: {
          code: 'INGEST_BAD_GZIP',
          reason: `corrupt gzip (${error}); ${inner.items.filter((i) => 'record' in i).length} records recovered before the damage`,
          raw: '',
        },
      });
      return { kind: inner.kind === 'empty' ? 'unreadable' : inner.kind, items: inner.items };
    }
    const lines = opts.trustRecords ? extractJsonLines(data) : undefined;
    return lines ?? reportBadUtf8(reportEmpty(extractFromText(data.toString('utf8'), opts), buf.length, true), data);
  }
  return (opts.trustRecords ? extractJsonLines(buf) : undefined) ?? reportBadUtf8(reportEmpty(extractFromText(buf.toString('utf8'), opts), buf.length, false), buf);
}

/**
 * JSON text is UTF-8, and CloudTrail writes nothing else. Bytes that are not (a file re-encoded
 * on its way, or damaged) are read as U+FFFD, so the records are kept, but what they held there
 * is not what is stored: the file is reported, and the pipeline keeps a copy of it as it was.
 */
function reportBadUtf8(ex: Extraction, text: Buffer): Extraction {
  if (isUtf8(text)) return ex;
  const read = ex.items.filter((i) => 'record' in i).length;
  ex.items.push({
    idx: null,
    line: null,
    reject: {
      code: 'INGEST_BAD_UTF8',
      reason: `not valid UTF-8: ${read} records read with U+FFFD in place of the bytes that are not; the file is kept as it was`,
      raw: '',
    },
  });
  return ex;
}

/**
 * An empty file (no bytes, or only whitespace) holds no records, but CloudTrail never delivers
 * one: it is more likely cut short on its way (a failed upload or copy) or emptied, so it is
 * reported as a file that could not be read rather than passed over in silence.
 */
function reportEmpty(ex: Extraction, bytes: number, gzip: boolean): Extraction {
  if (ex.kind !== 'empty') return ex;
  const what = bytes === 0 ? '0 bytes' : gzip ? `${bytes} bytes of gzip that inflate to no text` : `${bytes} bytes of whitespace only`;
  return { kind: 'empty', items: [{ idx: null, line: null, reject: { code: 'INGEST_BAD_JSON', reason: `empty file (${what}): no records in it`, raw: '' } }] };
}
