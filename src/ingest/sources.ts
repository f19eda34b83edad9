/**
 * Input sources: local files and folders (recursive), S3 prefixes (AWS SDK v3), and stdin.
 * Each yields InputObjects that the pipeline fetches to a local path, in delivery-time order.
 */
import { closeSync, createWriteStream, openSync, promises as fsp, readdirSync, readSync, realpathSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join, resolve, basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { S3Client, ListObjectsV2Command, GetObjectCommand, type _Object } from '@aws-sdk/client-s3';
import { AitrailError } from '../model/errors.js';

/** One file or object to read. */
export interface InputObject {
  uri: string;
  size: number;
  etag?: string;
  mtimeMs?: number;
  /** Was it named explicitly (always read) or found by a walk (filtered by name)? */
  explicit: boolean;
  /** A local path to read: the file itself, or a download made on demand. */
  fetch(tmpDir: string): Promise<string>;
  /** Removes a temporary download, if any. */
  release(): Promise<void>;
}

/** Why a found object is not read. */
export type SkipReason = 'digest' | 'not-a-log-file' | 'folder-marker' | 'outside-time-range';

/**
 * Names read when found by a walk: JSON and gzip files, and Firehose's objects, which have no
 * extension unless one is configured (`<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>`): the
 * way EventBridge's CloudTrail events usually reach a bucket.
 */
const LOG_NAME = /\.(json|jsonl|ndjson|cloudtrail|log)(\.gz)?$|\.gz$|-\d+-\d{4}(-\d\d){5}-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i;
const DATE_IN_KEY = /(?:^|\/)(\d{4})\/(\d{2})\/(\d{2})\//;
const DELIVERY_STAMP = /_(\d{8}T\d{4,6}Z)_/;

const DAY_MS = 86_400_000;
/** A digest folder, anywhere in a key: everything under it is a digest. */
const DIGEST_FOLDER = /(^|\/)CloudTrail-Digest\//;

/** The day (ms, UTC midnight) of the first date folder `YYYY/MM/DD/` in a key or folder, if any. */
function dayOf(path: string): number | undefined {
  const m = DATE_IN_KEY.exec(path);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : undefined;
}

/**
 * Whether files in the date folder of `day` (ms, UTC midnight) can hold events of `range`: files
 * sit under their delivery date, so events of day D can be in the folders of D and D+1.
 */
function dayInRange(day: number, range: { start?: Date; end?: Date }): boolean {
  return !((range.start && day + DAY_MS <= range.start.getTime()) || (range.end && day - DAY_MS > range.end.getTime()));
}

/** `range` when it has a start or an end (then keys are chosen by their date), else undefined. */
function bounded(range?: { start?: Date; end?: Date }): { start?: Date; end?: Date } | undefined {
  return range && (range.start || range.end) ? range : undefined;
}

/** Decides whether a found key is skipped, by its name and (optionally) its date folder. */
export function skipReason(key: string, explicit: boolean, range?: { start?: Date; end?: Date }): SkipReason | undefined {
  if (key.endsWith('/')) return 'folder-marker';
  if (DIGEST_FOLDER.test(key) || /_CloudTrail-Digest_/.test(basename(key))) return 'digest';
  if (!explicit && !LOG_NAME.test(basename(key))) return 'not-a-log-file';
  const r = bounded(range);
  if (r) {
    const day = dayOf(key);
    if (day !== undefined && !dayInRange(day, r)) return 'outside-time-range';
  }
  return undefined;
}

/** Sorts `items` in place by a string key computed once per item (stable for equal keys). */
export function sortByKey<T>(items: T[], keyOf: (item: T) => string): T[] {
  // Keys beside their items, not looked up in a map at each comparison: sorting 58,000 files
  // took a quarter of a second that way. (Array sorts are stable.)
  const keyed = items.map((item) => ({ key: keyOf(item), item }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (let i = 0; i < keyed.length; i++) items[i] = keyed[i]!.item;
  return items;
}

/**
 * A local file found by a walk or named. Its size and time are looked up when first asked for:
 * for a file new to the store, just before it is read, while the batch before loads. Looked up
 * during the walk, they were 0.5 of the 1.3 s it took to list 58,000 delivery files, with nothing
 * else running. (A class: an object literal with accessors made new functions for every file.)
 */
class LocalFile implements InputObject {
  private stats?: { size: number; mtimeMs: number };

  constructor(
    readonly uri: string,
    readonly explicit: boolean,
    private readonly known?: Stats,
  ) {}

  private stat(): { size: number; mtimeMs: number } {
    if (!this.stats) {
      const s = this.known ?? statOrUndefined(this.uri);
      this.stats = { size: s?.size ?? 0, mtimeMs: Math.trunc(s?.mtimeMs ?? 0) };
    }
    return this.stats;
  }

  get size(): number {
    return this.stat().size;
  }

  get mtimeMs(): number {
    return this.stat().mtimeMs;
  }

  fetch(): Promise<string> {
    return Promise.resolve(this.uri);
  }

  release(): Promise<void> {
    return Promise.resolve();
  }
}

/** A sort key that orders delivery files by delivery time, then by name. */
export function deliveryOrderKey(key: string): string {
  const m = DELIVERY_STAMP.exec(basename(key));
  return (m ? m[1]! : '99999999T9999Z') + '|' + key;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Walks a local file or folder. */
export async function listLocal(
  target: string,
  onSkip: (uri: string, reason: SkipReason) => void,
  range?: { start?: Date; end?: Date },
): Promise<InputObject[]> {
  const root = resolve(target);
  let st;
  try {
    st = await fsp.stat(root);
  } catch (e) {
    throw new AitrailError('INGEST_SOURCE', `cannot read ${target}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  const out: InputObject[] = [];
  const add = (path: string, explicit: boolean, known?: Stats) => out.push(new LocalFile(path, explicit, known));
  if (st.isFile()) {
    add(root, true, st);
    return out;
  }
  // Synchronous: a walk is the only thing running then, and a promise per file made the listing
  // of 58,000 delivery files take 2.5 s instead of a fraction of one. Symbolic links are followed
  // (a folder of links to the real logs is common); each real folder is walked once, so a link
  // back up the tree ends there.
  // With a time range, date folders outside it and digest folders are not read at all (as on
  // S3): a local copy of a trail bucket holds 288 files a day per account and region.
  const pruning = bounded(range);
  const walked = new Set<string>();
  const walk = (dir: string): void => {
    const real = realpathSync(dir);
    if (walked.has(real)) return;
    walked.add(real);
    const entries = readdirSync(dir, { withFileTypes: true });
    for (const ent of entries) {
      const p = join(dir, ent.name);
      const link = ent.isSymbolicLink();
      const target = link ? statOrUndefined(p) : undefined;
      if (ent.isDirectory() || target?.isDirectory()) {
        if (!pruning || folderPlan(`${p.slice(root.length + 1)}/`, pruning) !== 'skip') walk(p);
        continue;
      }
      // A link to nothing is listed as a file: reading it then reports it as unreadable.
      if (!ent.isFile() && !(link && (target === undefined || target.isFile()))) continue;
      const reason = skipReason(p.slice(root.length + 1), false, range);
      if (reason) {
        onSkip(p, reason);
        continue;
      }
      add(p, false, target);
    }
  };
  walk(root);
  return sortByKey(out, (o) => deliveryOrderKey(o.uri));
}

/** Parses `s3://bucket/prefix`. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new AitrailError('USAGE', `not an S3 URI: ${uri} (expected s3://bucket/prefix)`);
  return { bucket: m[1]!, prefix: m[2]! };
}

/**
 * Objects fetched at once. A delivery file is a few kilobytes, so a download is one round trip
 * and the listing's order is read at (concurrency ÷ latency) objects a second. Measured through a
 * proxy adding 50 ms to each request of an S3-protocol server on this machine, 3,000 delivery
 * files: 8 at once 132 files/s, 32 at once 432, 64 at once 519 (the local server's own limit was
 * 528–677). S3 serves thousands of GETs a second per prefix.
 */
export const FETCH_CONCURRENCY = 64;

/**
 * Creates an S3 client (ingest, trails, validate-logs) with the standard credential chain (or that
 * of a named profile of the AWS config files, as `--profile` names it) and an optional custom
 * endpoint, addressed path-style.
 */
export function makeS3Client(endpointUrl?: string, region?: string, profile?: string): S3Client {
  return new S3Client({
    region: region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(profile ? { profile } : {}),
    ...(endpointUrl ? { endpoint: endpointUrl, forcePathStyle: true } : {}),
    // A trail bucket is often in another region than the one configured: S3 answers 301 with the
    // bucket's region, and the request is made again there (as the AWS CLI does).
    followRegionRedirects: true,
    // The SDK keeps 50 sockets per host by default: one per object fetched at once.
    requestHandler: { httpAgent: { maxSockets: FETCH_CONCURRENCY }, httpsAgent: { maxSockets: FETCH_CONCURRENCY } },
  });
}

/**
 * How a folder (an S3 prefix ending in `/`, or a local folder's path under the source given, with
 * a `/` after it) is listed when a time range is given: skipped when
 * skipReason would skip every key under it (a digest folder, or a date folder `YYYY/MM/DD/`
 * outside the range), listed whole once keys under it have their date, else one level at a time.
 * Year and month folders are always looked into: a file directly in one has no date and is read.
 */
export function folderPlan(folder: string, range: { start?: Date; end?: Date }): 'skip' | 'whole' | 'descend' {
  if (DIGEST_FOLDER.test(folder)) return 'skip';
  const day = dayOf(folder);
  if (day !== undefined) return dayInRange(day, range) ? 'whole' : 'skip';
  return 'descend';
}

/** Objects at most this large are downloaded whole into memory (64 at once: 64 MiB at most). */
const SMALL_OBJECT_BYTES = 1024 * 1024;

/** A folder named for a year (`…/2026/`). */
const YEAR_FOLDER = /(^|\/)\d{4}\/$/;

/** Folders listed at once while a bucket's tree is walked. */
const LIST_CONCURRENCY = 16;

/**
 * Lists an S3 prefix, skipping digests and other non-log objects, pruning by key date. A prefix of
 * more than 1,000 keys, or any with a time range, is walked folder by folder (`/`-delimited),
 * several listings at once; with a range, date folders outside it, and digest folders, are never
 * listed: a trail bucket holds 288 files a day per account and region, and reading one day of a
 * year's logs must not page through the whole year. `onListed` hears the count of keys listed
 * so far after every page (a bucket of a million keys takes a minute to list).
 */
export async function listS3(
  client: S3Client,
  uri: string,
  onSkip: (uri: string, reason: SkipReason) => void,
  range?: { start?: Date; end?: Date },
  onListed?: (keys: number) => void,
): Promise<InputObject[]> {
  const { bucket, prefix } = parseS3Uri(uri);
  const out: InputObject[] = [];
  let listed = 0;
  const take = (obj: _Object) => {
    listed++;
    const key = obj.Key!;
    const objUri = `s3://${bucket}/${key}`;
    const reason = skipReason(key, key === prefix, range);
    if (reason) {
      onSkip(objUri, reason);
      return;
    }
    let local: string | undefined;
    out.push({
      uri: objUri,
      size: obj.Size ?? 0,
      etag: obj.ETag?.replaceAll('"', ''),
      explicit: key === prefix,
      fetch: async (tmpDir: string) => {
        local = join(tmpDir, createHash('sha1').update(objUri).digest('hex') + '-' + basename(key));
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        // A small object (a delivery file is a few kilobytes) is taken whole and written with one
        // synchronous call rather than streamed through libuv's threads: over 3,000 delivery files
        // from a local S3-protocol server, 0.91–1.48 ms of CPU per file against 1.08–1.67 ms
        // (seven alternating pairs). Large ones stream to disk.
        if ((obj.Size ?? Infinity) <= SMALL_OBJECT_BYTES) writeFileSync(local, await res.Body!.transformToByteArray());
        else await pipeline(res.Body as Readable, createWriteStream(local));
        return local;
      },
      release: async () => {
        if (local) rmSync(local, { force: true });
      },
    });
  };
  const send = async (p: string, token: string | undefined, delimited: boolean) => {
    try {
      return await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: p, ContinuationToken: token, ...(delimited ? { Delimiter: '/' } : {}) }));
    } catch (e) {
      // Which credentials were looked for, when none were found.
      const whose = (e as Error).name !== 'CredentialsProviderError' ? ''
        : client.config.profile ? ` (profile '${client.config.profile}' of the AWS config files)` : ' (environment, AWS_PROFILE, the AWS config files, an instance role)';
      throw new AitrailError('INGEST_SOURCE', `cannot list ${uri}: ${(e as Error).name}: ${(e as Error).message}${whose}`, { cause: e });
    }
  };
  const takePage = (page: { Contents?: _Object[] }) => {
    for (const obj of page.Contents ?? []) take(obj);
    onListed?.(listed);
  };
  /** Lists everything under `p` (or one level of it, `delimited`), page by page; returns its subfolders. */
  const list = async (p: string, delimited: boolean): Promise<string[]> => {
    const folders: string[] = [];
    let token: string | undefined;
    do {
      const page = await send(p, token, delimited);
      takePage(page);
      for (const cp of page.CommonPrefixes ?? []) if (cp.Prefix) folders.push(cp.Prefix);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return folders;
  };
  /** Walks the prefix folder by folder, LIST_CONCURRENCY listings at once, as `plan` says for each folder. */
  const walk = async (plan: (folder: string) => 'skip' | 'whole' | 'descend') => {
    // The prefix itself may already name a date folder (or a part of a name: `…/CloudTrail/us-`).
    const root = prefix === '' || prefix.endsWith('/') ? plan(prefix) : 'descend';
    const queue: { p: string; how: 'whole' | 'descend' }[] = root === 'skip' ? [] : [{ p: prefix, how: root }];
    const running = new Set<Promise<void>>();
    while (queue.length > 0 || running.size > 0) {
      while (queue.length > 0 && running.size < LIST_CONCURRENCY) {
        const { p, how } = queue.shift()!;
        const job: Promise<void> = list(p, how === 'descend').then((folders) => {
          for (const f of folders) {
            const next = plan(f);
            if (next !== 'skip') queue.push({ p: f, how: next });
          }
        });
        running.add(job);
        void job.finally(() => running.delete(job)).catch(() => undefined);
      }
      if (running.size > 0) await Promise.race(running);
    }
  };
  const pruning = bounded(range);
  if (pruning) {
    await walk((f) => folderPlan(f, pruning));
  } else {
    // Without a range every key is listed. Up to 1,000 keys take one request; more (a trail
    // bucket holds 288 files a day per account and region) are walked down to the year folders
    // (`…/us-east-1/2026/`), each then listed whole, page by page, side by side with the others:
    // one listing per account and region instead of one page after another for the whole bucket,
    // and no more requests than pages where a folder holds few files. Digest folders are listed
    // too (their files are counted as skipped, as ever).
    const first = await send(prefix, undefined, false);
    if (!first.IsTruncated) takePage(first);
    else await walk((f) => (YEAR_FOLDER.test(f) || dayOf(f) !== undefined ? 'whole' : 'descend'));
  }
  return sortByKey(out, (o) => deliveryOrderKey(o.uri));
}

/**
 * Spools stdin (or a named pipe: `<(command)` in a shell) to a file so it is read like any other
 * input; its URI names its content hash (`stdin:sha256:…`, `pipe:sha256:…`), so a rerun with the
 * same content adds nothing.
 */
export async function spoolStdin(tmpDir: string, stream: NodeJS.ReadableStream = process.stdin, scheme: 'stdin' | 'pipe' = 'stdin'): Promise<InputObject> {
  const path = join(tmpDir, `${scheme}-${process.pid}-${randomBytes(6).toString('hex')}`);
  const hash = createHash('sha256');
  let size = 0;
  const out = createWriteStream(path);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
  const uri = `${scheme}:sha256:${hash.digest('hex')}`;
  return {
    uri,
    size,
    explicit: true,
    fetch: async () => path,
    release: async () => fsp.rm(path, { force: true }),
  };
}

/**
 * The first bytes of a file (for sniffing its container) and, for gzip, the uncompressed size its
 * trailer records (ISIZE: modulo 2^32, of the last member). `size` is the file's size from its
 * listing. Synchronous, with one read for files smaller than `bytes`: ingest probes every file it
 * loads, and on 58,000 small delivery files the promise-based open/stat/read/read/close took 6×
 * the CPU (about 3 s) of these calls.
 */
export function probeFile(path: string, size: number, bytes = 4096): { head: Buffer; gzipSize: number | null } {
  const fd = openSync(path, 'r');
  try {
    // Not zero-filled: only the bytes read are returned.
    const head = Buffer.allocUnsafe(Math.min(bytes, size));
    const bytesRead = readSync(fd, head, 0, head.length, 0);
    const isGz = bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b;
    let gzipSize: number | null = null;
    if (isGz && size >= 18) {
      if (bytesRead === size) {
        gzipSize = head.readUInt32LE(size - 4);
      } else {
        const tail = Buffer.alloc(4);
        readSync(fd, tail, 0, 4, size - 4);
        gzipSize = tail.readUInt32LE(0);
      }
    }
    return { head: head.subarray(0, bytesRead), gzipSize };
  } finally {
    closeSync(fd);
  }
}
