/**
 * Records of a file too large to read whole (a JSON string holds at most 512 MiB in Node, and a
 * whole-file read needs several times the file in memory). The file is read in chunks, inflated
 * if gzipped, and cut into records as it goes: JSON Lines line by line, one JSON document's
 * records array (`[…]`, `{"Records":[…]}`, lookup-events' `{"Events":[…]}`) element by element,
 * or values one after another (`jq` output, joined files) value by value.
 * What is found is what extractFromBytes (formats.ts) finds in a small file, with the same
 * rejects: bad lines and elements by number, a truncated or corrupt file with the records before
 * the damage kept, bytes that are not UTF-8, an empty file.
 */
import { createReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { ArrayScanner, clip, lineFeeds, parsesAsJson, pushElementText, pushLineText, pushValueText, sequenceEnd, ValueScanner, type ExtractedItem, type RejectCode } from './formats.js';

/** How large a line or element may grow before it is rejected unread (below Node's string limit). */
const MAX_ITEM_CHARS = 256 * 1024 * 1024;
/** How far the first line is looked for: a JSON Lines file's first line is a record or a container. */
const FIRST_LINE_CHARS = 4 * 1024 * 1024;

/** Options of a streaming read. */
export interface StreamOptions {
  /** Bytes per read (tests use tiny ones to put chunk boundaries everywhere). */
  chunkBytes?: number;
}

/** The bytes of `buf` that end on a whole UTF-8 sequence: the rest waits for the next chunk. */
function wholeSequences(buf: Buffer): number {
  for (let i = buf.length - 1, k = 0; i >= 0 && k < 4; i--, k++) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return buf.length - i >= need ? buf.length : i;
  }
  return buf.length;
}

/** Reads `path` (inflating gzip) as text, noting whether all of it was UTF-8. */
async function* textChunks(path: string, gzip: boolean, opts: StreamOptions, state: { utf8: boolean; bytes: number }): AsyncGenerator<string> {
  const chunkBytes = opts.chunkBytes ?? 1024 * 1024;
  const file = createReadStream(path, { highWaterMark: chunkBytes });
  // pipeline: a read error ends the inflating stream with it instead of leaving it waiting.
  // Inflated in 64 kB steps: when zlib stops on damage (or on a trailer that does not match), the
  // step under way is lost with it, so the records before the damage that are kept lack at most
  // that much (the file itself is kept as it was).
  const source: AsyncIterable<Buffer> = gzip ? pipeline(file, createGunzip({ chunkSize: Math.max(64, Math.min(chunkBytes, 64 * 1024)) }), () => undefined) : file;
  const decoder = new StringDecoder('utf8');
  let carry = Buffer.alloc(0);
  let first = true;
  try {
    for await (const chunk of source) {
      state.bytes += chunk.length;
      if (state.utf8) {
        const joined = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        const cut = wholeSequences(joined);
        if (!isUtf8(joined.subarray(0, cut))) state.utf8 = false;
        carry = Buffer.from(joined.subarray(cut));
      }
      let text = decoder.write(chunk);
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      if (text) yield text;
    }
  } finally {
    file.destroy();
  }
  if (state.utf8 && carry.length) state.utf8 = false;
  const rest = decoder.end();
  if (rest) yield rest;
}

type Reject = { code: RejectCode; reason: string; raw: string; line?: number | null };

/** Whether text after a records array ends its object well: more members, then `}` (lookup-events' NextToken). */
function closesObject(rest: string): boolean {
  const m = /^\s*,/.exec(rest);
  if (!m) return false;
  try {
    const v: unknown = JSON.parse('{' + rest.slice(m[0].length));
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}
const fileReject = ({ line, ...reject }: Reject): ExtractedItem => ({ idx: null, line: line ?? null, reject });

/** Where the object that text is inside of (after its records array) ends: just after its `}`, or -1. */
function objectEnd(text: string): number {
  let depth = 1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === 92) escaped = true;
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 || ch === 91) depth++;
    else if ((ch === 125 || ch === 93) && --depth === 0) return i + 1;
  }
  return -1;
}


/**
 * The items of a large file, in order. A file that cannot be read to its end still yields the
 * items before the damage, then one file-level reject that says what happened.
 */
export async function* streamItems(path: string, gzip: boolean, opts: StreamOptions = {}): AsyncGenerator<ExtractedItem> {
  const state = { utf8: true, bytes: 0 };
  const reader = new ItemReader();
  let failure: Reject | undefined;
  try {
    for await (const text of textChunks(path, gzip, opts, state)) {
      yield* reader.push(text);
      if (reader.failure) break;
    }
    if (!reader.failure) yield* reader.end();
    failure = reader.failure;
  } catch (e) {
    // The complete records read before the damage are kept.
    yield* reader.salvage();
    const err = e as NodeJS.ErrnoException;
    failure = gzip && err.code?.startsWith('Z_')
      ? { code: 'INGEST_BAD_GZIP', reason: `corrupt gzip (${err.message}); ${reader.records} records recovered before the damage`, raw: '' }
      : { code: 'INGEST_BAD_JSON', reason: `reading stopped: ${err.message}; ${reader.records} records read before`, raw: '' };
  }
  if (failure) yield fileReject(failure);
  else if (!reader.content) yield fileReject({ code: 'INGEST_BAD_JSON', reason: `empty file (${state.bytes} bytes${gzip ? ' once inflated' : ''}): no records in it`, raw: '' });
  if (!state.utf8) {
    yield fileReject({ code: 'INGEST_BAD_UTF8', reason: `not valid UTF-8: ${reader.records} records read with U+FFFD in place of the bytes that are not; the file is kept as it was`, raw: '' });
  }
}

/** Cuts text, pushed in chunks, into items. */
class ItemReader {
  records = 0;
  /** Whether anything but whitespace was seen. */
  content = false;
  failure: Reject | undefined;
  private buf = '';
  private mode: 'undecided' | 'lines' | 'array' | 'after-array' | 'values' = 'undecided';
  private idx = 0;
  /** Lines mode: the last line read; array modes: the line feeds dropped from the front. */
  private line = 0;
  private skippingLine = false;
  private scanner = new ArrayScanner(0);
  /** Whether the document whose records array is read is an object (`{"Records":[…]}`), not an array. */
  private docIsObject = false;
  /** Values mode: the scanner and how many values were read. */
  private values = new ValueScanner();
  private k = 0;
  /** The first value, while deciding whether the file is values one after another. */
  private probe: { scanner: ValueScanner; first?: string } | undefined;

  *push(text: string): Generator<ExtractedItem> {
    this.buf += text;
    if (this.mode === 'undecided' && !this.decide(false)) return;
    if (this.mode === 'lines') yield* this.lines();
    else if (this.mode === 'array') yield* this.scan();
    if (this.mode === 'after-array') yield* this.afterArray();
    else if (this.mode === 'values') yield* this.scanValues();
  }

  /** After a read error: the complete items of what was read, nothing about the end. */
  *salvage(): Generator<ExtractedItem> {
    if (this.mode === 'undecided') this.decide(true);
    if ((this.mode as string) === 'array') yield* this.scan();
    if ((this.mode as string) === 'after-array') yield* this.afterArray();
    if ((this.mode as string) === 'values') yield* this.scanValues();
    else if ((this.mode as string) === 'lines') {
      yield* this.lines();
      // The last line, when it is whole (the damage came after it, say in a gzip trailer).
      if (this.buf.trim() !== '' && !this.skippingLine && parsesAsJson(this.buf)) yield* this.count(this.lineItems(this.buf, ++this.line));
    }
  }

  *end(): Generator<ExtractedItem> {
    if (this.mode === 'undecided') {
      this.decide(true);
      if ((this.mode as string) === 'array') yield* this.scan();
      if ((this.mode as string) === 'after-array') yield* this.afterArray();
      if ((this.mode as string) === 'values') yield* this.scanValues();
    }
    if (this.failure) return;
    if (this.mode === 'values') {
      if (this.values.start >= 0) {
        const end = sequenceEnd('cut', this.k + 1, this.values.valueLine, this.buf.slice(this.values.start), this.records);
        this.failure = { ...end.reject, line: end.line };
      }
      return;
    }
    if (this.mode === 'lines') {
      yield* this.lines();
      if (this.buf !== '' && !this.skippingLine) yield* this.count(this.lineItems(this.buf, ++this.line));
    } else if (this.mode === 'array') {
      this.failure = { code: 'INGEST_BAD_JSON', reason: `file is truncated or damaged after record ${this.idx}; ${this.records} complete records kept`, raw: clip(this.buf) };
    } else if (this.mode === 'after-array' && this.buf.trim() !== '' && !/^\s*\}\s*$/.test(this.buf) && !closesObject(this.buf)) {
      yield fileReject({ code: 'INGEST_BAD_JSON', reason: `unexpected text after the records; ${this.records} complete records kept`, raw: clip(this.buf) });
    }
  }

  /**
   * JSON Lines when the first line is a JSON value of its own (a record, or a container such as
   * a delivery file on one line); else one document with a records array; else lines, each
   * reported. Needs the first line, or enough of the file to know there is none.
   */
  private decide(atEnd: boolean): boolean {
    const body = this.buf.trimStart();
    const nl = body.indexOf('\n');
    if (nl < 0 && !atEnd && this.buf.length < FIRST_LINE_CHARS) return false;
    this.content = body !== '';
    const first = nl >= 0 ? body.slice(0, nl) : body;
    const m = /^\s*(?:\[|\{\s*"(?:Records|Events)"\s*:\s*\[)/.exec(this.buf.slice(0, 4096));
    const oneLine = first.trim() !== '' && parsesAsJson(first);
    if (m && !oneLine) {
      this.mode = 'array';
      this.docIsObject = m[0].includes('{');
      this.scanner = new ArrayScanner(m[0].length);
    } else if (!oneLine && /^\s*[{[]/.test(this.buf)) {
      // Values one after another when the first one is whole and valid JSON (formats.ts decides
      // alike for a whole file): wait for it.
      const probe = (this.probe ??= { scanner: new ValueScanner() });
      if (probe.first === undefined) probe.scanner.scan(this.buf, (v) => ((probe.first = v), false));
      if (probe.first === undefined && !atEnd && this.buf.length < FIRST_LINE_CHARS) return false;
      this.mode = probe.first !== undefined && parsesAsJson(probe.first) ? 'values' : 'lines';
      this.probe = undefined;
    } else if (!oneLine && !atEnd && this.buf.length < 4096) {
      // The start of a document may still come (`{` and `"Records"` on lines of their own).
      return false;
    } else {
      this.mode = 'lines';
    }
    return true;
  }

  private *count(items: ExtractedItem[]): Generator<ExtractedItem> {
    for (const i of items) {
      if ('record' in i) this.records++;
      yield i;
    }
  }

  private *lines(): Generator<ExtractedItem> {
    let from = 0;
    let nl: number;
    while ((nl = this.buf.indexOf('\n', from)) >= 0) {
      const text = this.buf.slice(from, nl);
      from = nl + 1;
      this.line++;
      if (this.skippingLine) this.skippingLine = false;
      else yield* this.count(this.lineItems(text, this.line));
    }
    this.buf = this.buf.slice(from);
    if (this.buf.length > MAX_ITEM_CHARS) {
      yield { idx: null, line: this.line + 1, reject: { code: 'INGEST_BAD_JSON', reason: `line ${this.line + 1} is longer than ${MAX_ITEM_CHARS / 1024 / 1024} MiB: not read`, raw: clip(this.buf) } };
      this.buf = '';
      this.skippingLine = true;
    }
  }

  /** The items of one JSON Lines line (a line may itself hold a container). */
  private lineItems(text: string, line: number): ExtractedItem[] {
    if (text.trim() === '') return [];
    this.content = true;
    const items: ExtractedItem[] = [];
    this.idx = pushLineText(items, text, line, this.idx).idx;
    return items;
  }

  /** Cuts the complete elements of the records array out of the buffer. */
  private *scan(): Generator<ExtractedItem> {
    const items: ExtractedItem[] = [];
    const closedAt = this.scanner.scan(this.buf, (element) => (this.idx = pushElementText(items, element, this.idx)));
    yield* this.count(items);
    if (closedAt >= 0) {
      this.mode = 'after-array';
      this.line += lineFeeds(this.buf, closedAt);
      this.buf = this.buf.slice(closedAt);
      return;
    }
    // Keep only the element under way.
    const keep = this.scanner.start >= 0 ? this.scanner.start : this.buf.length;
    this.line += lineFeeds(this.buf, keep);
    this.buf = this.buf.slice(keep);
    this.scanner.rebase(keep);
    if (this.buf.length > MAX_ITEM_CHARS) {
      this.failure = {
        code: 'INGEST_BAD_JSON',
        reason: `record ${this.idx} is longer than ${MAX_ITEM_CHARS / 1024 / 1024} MiB: it and the rest of the file are not read; ${this.records} complete records kept`,
        raw: clip(this.buf),
      };
    }
  }

  /**
   * After a document's records array: the rest of the document (`}`, or more members such as
   * lookup-events' NextToken, then `}`), and, when another value follows (files joined with
   * `cat`), the values one after another from there. Anything else waits for the end, kept short.
   */
  private *afterArray(): Generator<ExtractedItem> {
    const end = this.docIsObject ? objectEnd(this.buf) : 0;
    if (end >= 0) {
      const head = this.buf.slice(0, end);
      const next = /^\s*[{[]/.exec(this.buf.slice(end));
      if (next && (!this.docIsObject || /^\s*\}$/.test(head) || closesObject(head))) {
        const from = end + next[0].length - 1;
        this.values = new ValueScanner(0, this.line + lineFeeds(this.buf, from) + 1);
        this.buf = this.buf.slice(from);
        this.k = 1;
        this.mode = 'values';
        yield* this.scanValues();
        return;
      }
    }
    if (this.buf.length > 65536) this.buf = this.buf.slice(0, 65536);
  }

  /** Cuts the complete values out of the buffer. */
  private *scanValues(): Generator<ExtractedItem> {
    const items: ExtractedItem[] = [];
    const broken = this.values.scan(this.buf, (v, line) => {
      this.idx = pushValueText(items, v, ++this.k, line, this.idx);
    });
    yield* this.count(items);
    if (broken >= 0) {
      const end = sequenceEnd('no-value', this.k, this.values.line, this.buf.slice(broken), this.records);
      this.failure = { ...end.reject, line: end.line };
      return;
    }
    const keep = this.values.start >= 0 ? this.values.start : this.buf.length;
    this.buf = this.buf.slice(keep);
    this.values.rebase(keep);
    if (this.buf.length > MAX_ITEM_CHARS) {
      this.failure = {
        code: 'INGEST_BAD_JSON',
        reason: `value ${this.k + 1} (line ${this.values.valueLine}) is longer than ${MAX_ITEM_CHARS / 1024 / 1024} MiB: it and the rest of the file are not read; ${this.records} complete records kept`,
        raw: clip(this.buf),
        line: this.values.valueLine,
      };
    }
  }
}
