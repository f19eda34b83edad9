/**
 * Where trails write and where validation reads: a local folder or an S3 bucket (optionally under
 * a prefix, optionally on an S3-compatible endpoint). Keys are full object keys inside the bucket
 * (or paths relative to the folder); the URI's path part is only a default trail prefix.
 *
 * Folder metadata: S3 user metadata (`x-amz-meta-*`) has no file-system equivalent, so a folder
 * destination stores it beside the object in a sidecar `<key>.meta.json`, a flat JSON object of
 * string values, e.g. `{"signature": "…", "signature-algorithm": "SHA256withRSA"}`. Listing never
 * returns sidecars (so object keys ending in `.meta.json` are not supported in folders).
 */
import { promises as fsp } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  S3Client,
  GetObjectCommand,
  PutObjectCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  HeadObjectCommand,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { AitrailError } from '../model/errors.js';
import { makeS3Client } from '../ingest/sources.js';

/** Options for opening a destination from a URI. */
export const DestinationOptionsSchema = z.object({
  /** S3-compatible endpoint URL (path-style addressing is then used). */
  endpoint: z.string().url().optional(),
  /** S3 region for the client (default AWS_REGION, else us-east-1). */
  region: z.string().optional(),
  /** The AWS config files' profile whose credentials the client uses (default: the standard chain's). */
  profile: z.string().min(1).optional(),
  /** For folders: the bucket name that digests name (default: the folder's basename). */
  bucket: z.string().min(1).optional(),
});
/** Options for opening a destination from a URI. */
export type DestinationOptions = z.infer<typeof DestinationOptionsSchema>;

/** An object's bytes and user metadata. */
export interface StoredObject {
  body: Buffer;
  metadata: Record<string, string>;
}

/** A readable stream of an object's bytes, plus its user metadata. */
export interface ObjectStream {
  stream: Readable;
  metadata: Record<string, string>;
}

/** An object read whole when it is small, or as a stream when it is not. */
export type ObjectRead = { body: Buffer; stream?: undefined } | { stream: Readable; body?: undefined };

/** The storage operations trails and validation need. */
export interface Destination {
  /** `local` or `s3`. */
  readonly kind: 'local' | 's3';
  /** The bucket name (S3) or the pseudo-bucket named in digests (folders). */
  readonly bucket: string;
  /** The key prefix taken from the URI (`s3://bucket/prefix` → `prefix`; '' for folders). */
  readonly defaultPrefix: string;
  /** Writes an object with optional user metadata. */
  put(key: string, body: Buffer, metadata?: Record<string, string>): Promise<void>;
  /** Reads an object; throws AitrailError NOT_FOUND when it does not exist. */
  get(key: string): Promise<StoredObject>;
  /** Opens an object as a stream; throws AitrailError NOT_FOUND when it does not exist. */
  getStream(key: string): Promise<ObjectStream>;
  /** Reads an object whole if it has at most `maxBuffer` bytes, else opens a stream; NOT_FOUND when absent. */
  read(key: string, maxBuffer: number): Promise<ObjectRead>;
  /** True when the object exists. */
  exists(key: string): Promise<boolean>;
  /** Every key starting with `prefix`, in lexicographic order, after `startAfter` when given. */
  list(prefix: string, opts?: { startAfter?: string }): AsyncIterable<string>;
  /** The immediate "sub-folder" names below `prefix` (which should end with `/`). */
  listChildren(prefix: string): Promise<string[]>;
  /** Removes an object (and its metadata); absent objects are ignored. */
  delete(key: string): Promise<void>;
  /** How a key is shown to people: `s3://bucket/key` or `file:///abs/path/key`. */
  displayUri(key: string): string;
  /** The same storage addressed as another bucket (S3 only; folders return null). */
  withBucket(bucket: string): Destination | null;
}

const SIDECAR = '.meta.json';

function notFound(what: string, cause?: unknown): AitrailError {
  return new AitrailError('NOT_FOUND', `not found: ${what}`, { cause });
}

/** A destination backed by a local folder. */
export class FolderDestination implements Destination {
  readonly kind = 'local' as const;
  readonly bucket: string;
  readonly defaultPrefix = '';
  readonly root: string;

  constructor(folder: string, bucket?: string) {
    this.root = resolve(folder);
    this.bucket = bucket ?? (basename(this.root) || 'local');
  }

  /** The file that holds `key`. */
  filePath(key: string): string {
    return this.path(key);
  }

  private path(key: string): string {
    if (key.startsWith('/') || key.split('/').some((p) => p === '..' || p === '.')) {
      throw new AitrailError('USAGE', `invalid object key: ${key}`);
    }
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Buffer, metadata?: Record<string, string>): Promise<void> {
    const p = this.path(key);
    await fsp.mkdir(dirname(p), { recursive: true });
    // Metadata first, then the object, each atomically: a reader never sees an object without its metadata.
    if (metadata && Object.keys(metadata).length) await atomicWrite(p + SIDECAR, Buffer.from(JSON.stringify(metadata)));
    else await fsp.rm(p + SIDECAR, { force: true });
    await atomicWrite(p, body);
  }

  async get(key: string): Promise<StoredObject> {
    const p = this.path(key);
    let body: Buffer;
    try {
      body = await fsp.readFile(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR') throw notFound(this.displayUri(key), e);
      throw e;
    }
    return { body, metadata: await this.readMeta(p) };
  }

  /** Opens a stored object's file, mapping a missing file to NoSuchKey. */
  private async openKey(key: string): Promise<fsp.FileHandle> {
    try {
      return await fsp.open(this.path(key), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(this.displayUri(key), e);
      throw e;
    }
  }

  async getStream(key: string): Promise<ObjectStream> {
    const fh = await this.openKey(key);
    const stream = fh.createReadStream({ highWaterMark: 256 * 1024, autoClose: true });
    return { stream, metadata: {} };
  }

  async read(key: string, maxBuffer: number): Promise<ObjectRead> {
    const fh = await this.openKey(key);
    const { size } = await fh.stat();
    if (size > maxBuffer) return { stream: fh.createReadStream({ highWaterMark: 256 * 1024, autoClose: true }) };
    try {
      // One read of the known size: small log files dominate, and a stream per file costs more than the file.
      const body = Buffer.allocUnsafe(size);
      let off = 0;
      while (off < size) {
        const { bytesRead } = await fh.read(body, off, size - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return { body: off === size ? body : body.subarray(0, off) };
    } finally {
      await fh.close();
    }
  }

  private async readMeta(p: string): Promise<Record<string, string>> {
    try {
      const parsed: unknown = JSON.parse(await fsp.readFile(p + SIDECAR, 'utf8'));
      const out: Record<string, string> = {};
      if (parsed && typeof parsed === 'object') {
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k.toLowerCase()] = v;
      }
      return out;
    } catch {
      return {};
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await fsp.stat(this.path(key))).isFile();
    } catch {
      return false;
    }
  }

  async *list(prefix: string, opts: { startAfter?: string } = {}): AsyncIterable<string> {
    // Walk only the folder the prefix points into, then sort whole keys: a per-folder walk order
    // differs from S3's byte order ('-' sorts before '/').
    const cut = prefix.lastIndexOf('/');
    const dirKey = cut >= 0 ? prefix.slice(0, cut + 1) : '';
    const keys: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fsp.readdir(rel ? join(this.root, ...rel.split('/').filter(Boolean)) : this.root, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const k = rel + e.name;
        if (e.isDirectory()) {
          const dk = k + '/';
          if (dk.startsWith(prefix) || prefix.startsWith(dk)) await walk(dk);
        } else if (e.isFile() && k.startsWith(prefix) && !k.endsWith(SIDECAR) && !e.name.startsWith('.tmp-')) {
          keys.push(k);
        }
      }
    };
    await walk(dirKey);
    keys.sort(byteCompare);
    for (const k of keys) if (opts.startAfter === undefined || byteCompare(k, opts.startAfter) > 0) yield k;
  }

  async listChildren(prefix: string): Promise<string[]> {
    try {
      const entries = await fsp.readdir(join(this.root, ...prefix.split('/').filter(Boolean)), { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort(byteCompare);
    } catch {
      return [];
    }
  }

  async delete(key: string): Promise<void> {
    const p = this.path(key);
    await fsp.rm(p, { force: true });
    await fsp.rm(p + SIDECAR, { force: true });
  }

  displayUri(key: string): string {
    return 'file://' + join(this.root, ...key.split('/')).split(sep).join('/');
  }

  withBucket(): Destination | null {
    return null;
  }
}

/** A destination backed by an S3 bucket through the AWS SDK v3. */
export class S3Destination implements Destination {
  readonly kind = 's3' as const;
  readonly bucket: string;
  readonly defaultPrefix: string;
  readonly client: S3Client;

  constructor(bucket: string, prefix: string, client: S3Client) {
    this.bucket = bucket;
    this.defaultPrefix = prefix.replace(/^\/+|\/+$/g, '');
    this.client = client;
  }

  async put(key: string, body: Buffer, metadata?: Record<string, string>): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, Metadata: metadata ?? {} }));
  }

  async get(key: string): Promise<StoredObject> {
    const { stream, metadata } = await this.getStream(key);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return { body: Buffer.concat(chunks), metadata };
  }

  async getStream(key: string): Promise<ObjectStream> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.Metadata ?? {})) metadata[k.toLowerCase()] = v;
      return { stream: r.Body as Readable, metadata };
    } catch (e) {
      if (isS3NotFound(e)) throw notFound(this.displayUri(key), e);
      throw e;
    }
  }

  async read(key: string, maxBuffer: number): Promise<ObjectRead> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const stream = r.Body as Readable;
      if (r.ContentLength === undefined || r.ContentLength > maxBuffer) return { stream };
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      return { body: Buffer.concat(chunks) };
    } catch (e) {
      if (isS3NotFound(e)) throw notFound(this.displayUri(key), e);
      throw e;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (e) {
      if (isS3NotFound(e)) return false;
      throw e;
    }
  }

  async *list(prefix: string, opts: { startAfter?: string } = {}): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : opts.startAfter !== undefined ? { StartAfter: opts.startAfter } : {}),
        }),
      );
      for (const o of r.Contents ?? []) if (o.Key !== undefined) yield o.Key;
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async listChildren(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const p of r.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix.slice(prefix.length).replace(/\/$/, ''));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort(byteCompare);
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  displayUri(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  withBucket(bucket: string): Destination {
    return new S3Destination(bucket, '', this.client);
  }
}

function isS3NotFound(e: unknown): boolean {
  const x = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return x?.name === 'NoSuchKey' || x?.name === 'NotFound' || x?.Code === 'NoSuchKey' || x?.$metadata?.httpStatusCode === 404;
}

/** Compares two strings by UTF-8 bytes, the order S3 lists keys in. */
export function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Opens `s3://bucket[/prefix]`, `file:///path` or a plain folder path. */
export function openDestination(uri: string, opts: DestinationOptions = {}): Destination {
  const o = DestinationOptionsSchema.parse(opts);
  if (uri.startsWith('s3://')) {
    const rest = uri.slice(5);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    if (!bucket) throw new AitrailError('USAGE', `invalid S3 URI (no bucket): ${uri}`);
    return new S3Destination(bucket, slash < 0 ? '' : rest.slice(slash + 1), makeS3Client(o.endpoint, o.region, o.profile));
  }
  const folder = uri.startsWith('file://') ? decodeURIComponent(new URL(uri).pathname) : uri;
  if (!folder) throw new AitrailError('USAGE', 'empty destination');
  return new FolderDestination(folder, o.bucket);
}

/** Writes a file atomically: a temporary sibling, fsync, then rename over the target. */
export async function atomicWrite(path: string, data: Buffer | string, mode?: number): Promise<void> {
  const tmp = join(dirname(path), `.tmp-${basename(path)}-${randomBytes(6).toString('hex')}`);
  const fh = await fsp.open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, path);
}
