/**
 * Bundles of delivery files for DuckDB's JSON reader. Read one file at a time, a delivery file
 * (about 17 records) becomes one row, and every operator after the reader, up to the insert,
 * works on chunks of that size: on CloudTrail logs that doubled the cost of the typed columns.
 * A bundle concatenates many files, each wrapped as `{"<s>":<sourceId>,"<d>":<file>}` on its own
 * line, so the reader fills whole chunks and every record still names its file. The two member
 * names carry a random suffix per bundle set: a damaged or crafted file cannot close its wrapper
 * and pose as another file, because it cannot know them. A file must start and end as a delivery
 * file does (`{"Records":[` … `]}`); the end keeps out files that go on after their object
 * (`{…}, "x": 1`): inside the wrapper those would read as valid. (One crafted to go on with a
 * member that itself ends in `]}` still reads as its first object, the rest ignored; its records
 * keep their own file.) Files left out go to the JavaScript readers, which read every other
 * container and say what is wrong with a damaged file. Gzip files are only looked into here,
 * once inflated: sniffing each one's start beforehand cost a second inflate call per file.
 *
 * Bundles hold plain JSON: gzip files are inflated here. (Concatenated gzip members would spare
 * that, but DuckDB 1.5's reader was seen to stop inside such a stream without an error.)
 */
import { closeSync, openSync, readFileSync, rmSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';

/** A delivery file to bundle (`data`: its bytes, when the caller has read them already). */
export interface BundleInput {
  path: string;
  sourceId: number;
  gzip: boolean;
  data?: Buffer;
}

/** Bundles written for one read: their paths and the wrapper's member names. */
export interface Bundles {
  /** Bundles of one line per file, read as JSON Lines. */
  paths: string[];
  /**
   * Bundles of files with line breaks of their own (pretty-printed), whose objects DuckDB's
   * reader must find by their structure: it then costs about a seventh more a record.
   */
  multiLinePaths: string[];
  /** The member holding the file's source id. */
  sourceKey: string;
  /** The member holding the file's content. */
  dataKey: string;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** The largest output buffer an inflate call starts with. */
const MAX_CHUNK = 64 * 1024 * 1024;

/** `{"Records":[` with JSON's whitespace only (`\s` would also take a byte order mark). */
const RECORDS_START = /^[ \t\r\n]*\{[ \t\r\n]*"Records"[ \t\r\n]*:[ \t\r\n]*\[/;

/** A delivery file's text without the byte order mark it may start with. */
export function withoutBom(body: Buffer): Buffer {
  return body.subarray(0, 3).equals(UTF8_BOM) ? body.subarray(3) : body;
}

/** Whether `body` (a byte order mark already removed) starts as a delivery file does. */
export function startsLikeDelivery(body: Buffer): boolean {
  return RECORDS_START.test(body.subarray(0, 256).toString('latin1'));
}

/**
 * The contents of gzip files, inflated in one call when each is a single member (its trailer's
 * ISIZE then gives where its content ends; one call per file costs half again as much on small
 * delivery files), else file by file. A file that cannot be inflated gets null.
 */
function inflateAll(gz: Buffer[]): (Buffer | null)[] {
  const sizes = gz.map((b) => (b.length >= 18 ? b.readUInt32LE(b.length - 4) : -1));
  const total = sizes.every((n) => n >= 0) ? sizes.reduce((a, n) => a + n, 0) : -1;
  try {
    // An output buffer of the expected size (one more byte, so zlib stops with room to spare)
    // spares zlib's 16 kB steps and the copy that joins them; the trailers are not trusted
    // beyond a cap, and a wrong total only means more steps.
    const all = gunzipSync(Buffer.concat(gz), total > 0 ? { chunkSize: Math.min(total + 1, MAX_CHUNK), maxOutputLength: total + 1 } : { maxOutputLength: 1 });
    if (total === all.length) {
      let at = 0;
      return sizes.map((n) => all.subarray(at, (at += n)));
    }
  } catch {
    // Some file is damaged: inflate each to find which.
  }
  // One by one, each no larger than its trailer says: a file that inflates to more (several
  // gzip members, or a trailer that understates it) goes to the JavaScript readers.
  return gz.map((b, i) => {
    try {
      return sizes[i]! >= 0 ? gunzipSync(b, { maxOutputLength: sizes[i]! + 1 }) : null;
    } catch {
      return null;
    }
  });
}

/** Writes files into bundles of at most `perBundle` files under `dir` (named `<name>-<k>.json`). */
export class BundleWriter {
  private readonly suffix = randomBytes(6).toString('hex');
  private readonly paths: string[] = [];
  private readonly multiLinePaths: string[] = [];
  private pending: { file: BundleInput; bytes: Buffer }[] = [];
  /**
   * Files left out of every bundle: they could not be read or inflated, or do not start or end as
   * a delivery file does. The JavaScript readers that take them read them or say what is wrong.
   */
  readonly unreadable: BundleInput[] = [];

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly perBundle = 32,
  ) {}

  /** Adds a file (written once its bundle is full, or at `finish`). */
  add(f: BundleInput): void {
    try {
      this.pending.push({ file: f, bytes: f.data ?? readFileSync(f.path) });
    } catch {
      this.unreadable.push(f);
    }
    if (this.pending.length >= this.perBundle) this.writeBundle();
  }

  private writeBundle(): void {
    const batch = this.pending;
    this.pending = [];
    const gz = batch.filter((p) => p.file.gzip);
    const inflated = gz.length ? inflateAll(gz.map((p) => p.bytes)) : [];
    const contents = new Map<BundleInput, Buffer | null>(gz.map((p, i) => [p.file, inflated[i] ?? null]));
    const lines: Buffer[] = [];
    const multiLine: Buffer[] = [];
    for (const { file, bytes } of batch) {
      let body = file.gzip ? contents.get(file) : bytes;
      if (!body) {
        this.unreadable.push(file);
        continue;
      }
      body = withoutBom(body);
      if (!startsLikeDelivery(body) || !endsLikeDelivery(body)) {
        this.unreadable.push(file);
        continue;
      }
      // Whitespace around the object is no part of it: without a final line break, most files
      // are one line. A line break inside is left as it is (in a string it is an error to report).
      body = trimJsonSpace(body);
      const to = body.includes(0x0a) ? multiLine : lines;
      to.push(Buffer.from(`{"s_${this.suffix}":${file.sourceId},"d_${this.suffix}":`), body, CLOSE);
    }
    if (lines.length) this.paths.push(this.write(lines, this.paths.length));
    if (multiLine.length) this.multiLinePaths.push(this.write(multiLine, `m${this.multiLinePaths.length}`));
  }

  private write(parts: Buffer[], k: number | string): string {
    const path = join(this.dir, `${this.name}-${k}.json`);
    const fd = openSync(path, 'w');
    try {
      writevAll(fd, parts);
    } finally {
      closeSync(fd);
    }
    return path;
  }

  /** Writes what is pending and describes the bundles. */
  finish(): Bundles {
    if (this.pending.length) this.writeBundle();
    return { paths: [...this.paths], multiLinePaths: [...this.multiLinePaths], sourceKey: `s_${this.suffix}`, dataKey: `d_${this.suffix}` };
  }

  /** Deletes the bundles. */
  discard(): void {
    this.pending = [];
    for (const p of [...this.paths, ...this.multiLinePaths]) rmSync(p, { force: true });
  }
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
const isJsonSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** `body` without the JSON whitespace it starts and ends with. */
function trimJsonSpace(body: Buffer): Buffer {
  let start = 0;
  let end = body.length;
  while (start < end && isJsonSpace(body[start])) start++;
  while (end > start && isJsonSpace(body[end - 1])) end--;
  return start === 0 && end === body.length ? body : body.subarray(start, end);
}

const CLOSE = Buffer.from('}\n');

/** Whether `body` ends with `]`, `}` and JSON whitespace only around them. */
function endsLikeDelivery(body: Buffer): boolean {
  let i = body.length - 1;
  const skip = () => {
    while (i >= 0 && isJsonSpace(body[i])) i--;
  };
  skip();
  if (body[i--] !== 0x7d) return false;
  skip();
  return body[i] === 0x5d;
}

/** writev until every byte is written (a call may write less than asked). */
function writevAll(fd: number, parts: Buffer[]): void {
  let rest = parts;
  while (rest.length) {
    // IOV_MAX is 1024 on Linux.
    const chunk = rest.slice(0, 1024);
    let n = writevSync(fd, chunk);
    let i = 0;
    while (i < chunk.length && n >= chunk[i]!.length) n -= chunk[i++]!.length;
    rest = i < chunk.length ? [chunk[i]!.subarray(n), ...chunk.slice(i + 1), ...rest.slice(1024)] : rest.slice(1024);
  }
}
