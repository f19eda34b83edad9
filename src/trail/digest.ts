/**
 * CloudTrail digest files (reference §3.2–§3.4): the JSON with its exact field names and order,
 * gzip, hashes, the exact string to sign, and SHA256withRSA (PKCS#1 v1.5) signatures in hex.
 *
 * Folder destinations have no S3 bucket, so `digestS3Bucket` and `logFiles[].s3Bucket` carry the
 * destination's pseudo-bucket: the folder's basename unless the caller names one (see
 * destination.ts). A local copy of a real bucket synced into a folder named like the bucket
 * therefore validates unchanged.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { createGunzip, gunzip, gunzipSync, gzip, gzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { isoSeconds } from './layout.js';

/** The signature algorithm CloudTrail names in digests and metadata. */
export const SIGNATURE_ALGORITHM = 'SHA256withRSA';
/** The hash algorithm CloudTrail names in digests. */
export const HASH_ALGORITHM = 'SHA-256';

/** One `logFiles[]` entry of a digest. */
export const DigestLogFileSchema = z.object({
  s3Bucket: z.string(),
  s3Object: z.string(),
  hashValue: z.string(),
  hashAlgorithm: z.string(),
  newestEventTime: z.string().nullable(),
  oldestEventTime: z.string().nullable(),
});
/** One `logFiles[]` entry of a digest. */
export type DigestLogFile = z.infer<typeof DigestLogFileSchema>;

/** The digest JSON document (field names exactly as CloudTrail writes them). */
export const DigestSchema = z.object({
  awsAccountId: z.string(),
  digestStartTime: z.string(),
  digestEndTime: z.string(),
  digestS3Bucket: z.string(),
  digestS3Object: z.string(),
  digestPublicKeyFingerprint: z.string(),
  digestSignatureAlgorithm: z.string(),
  newestEventTime: z.string().nullable(),
  oldestEventTime: z.string().nullable(),
  previousDigestS3Bucket: z.string().nullable(),
  previousDigestS3Object: z.string().nullable(),
  previousDigestHashValue: z.string().nullable(),
  previousDigestHashAlgorithm: z.string().nullable(),
  previousDigestSignature: z.string().nullable(),
  logFiles: z.array(DigestLogFileSchema),
});
/** The digest JSON document (field names exactly as CloudTrail writes them). */
export type Digest = z.infer<typeof DigestSchema>;

/** The head of a chain: what the next digest needs to link back. */
export interface PreviousDigest {
  bucket: string;
  key: string;
  /** SHA-256 hex of the previous digest's uncompressed bytes. */
  hash: string;
  signature: string;
}

/** Inputs of `buildDigest`. */
export interface DigestInput {
  accountId: string;
  startTime: Date | number;
  endTime: Date | number;
  bucket: string;
  key: string;
  fingerprint: string;
  previous: PreviousDigest | null;
  logFiles: DigestLogFile[];
}

/** Builds the digest object in CloudTrail's field order; empty hours get `logFiles: []` and null times. */
export function buildDigest(i: DigestInput): Digest {
  let newest: string | null = null;
  let oldest: string | null = null;
  for (const l of i.logFiles) {
    if (l.newestEventTime !== null && (newest === null || l.newestEventTime > newest)) newest = l.newestEventTime;
    if (l.oldestEventTime !== null && (oldest === null || l.oldestEventTime < oldest)) oldest = l.oldestEventTime;
  }
  return {
    awsAccountId: i.accountId,
    digestStartTime: isoSeconds(i.startTime),
    digestEndTime: isoSeconds(i.endTime),
    digestS3Bucket: i.bucket,
    digestS3Object: i.key,
    digestPublicKeyFingerprint: i.fingerprint,
    digestSignatureAlgorithm: SIGNATURE_ALGORITHM,
    newestEventTime: newest,
    oldestEventTime: oldest,
    previousDigestS3Bucket: i.previous?.bucket ?? null,
    previousDigestS3Object: i.previous?.key ?? null,
    previousDigestHashValue: i.previous?.hash ?? null,
    previousDigestHashAlgorithm: i.previous ? HASH_ALGORITHM : null,
    previousDigestSignature: i.previous?.signature ?? null,
    logFiles: i.logFiles,
  };
}

const gzipAsync = promisify(gzip);

/** Lowercase hex SHA-256. */
export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The exact string to sign (reference §3.4): digestEndTime, `bucket/key`, the SHA-256 hex of the
 * uncompressed digest bytes, and the previous signature or the literal `null`, joined by `\n`
 * with no trailing newline.
 */
export function stringToSign(
  d: Pick<Digest, 'digestEndTime' | 'digestS3Bucket' | 'digestS3Object' | 'previousDigestSignature'>,
  uncompressedDigest: Buffer,
): string {
  return `${d.digestEndTime}\n${d.digestS3Bucket}/${d.digestS3Object}\n${sha256Hex(uncompressedDigest)}\n${d.previousDigestSignature ?? 'null'}`;
}

/** SHA256withRSA (PKCS#1 v1.5) signature of `data`, lowercase hex. */
export function signHex(privateKey: KeyObject, data: string | Buffer): string {
  return sign('sha256', typeof data === 'string' ? Buffer.from(data, 'utf8') : data, privateKey).toString('hex');
}

/** Verifies a hex SHA256withRSA signature with a DER PKCS#1 public key; throws when the key cannot be loaded. */
export function verifyHex(publicKeyPkcs1Der: Buffer, data: string | Buffer, signatureHex: string): boolean {
  const key = createPublicKey({ key: publicKeyPkcs1Der, format: 'der', type: 'pkcs1' });
  if (!/^([0-9a-fA-F]{2})*$/.test(signatureHex)) return false;
  return verify('sha256', typeof data === 'string' ? Buffer.from(data, 'utf8') : data, key, Buffer.from(signatureHex, 'hex'));
}

/** A digest ready to store: its bytes, the object metadata, and what the next digest links to. */
export interface EncodedDigest {
  digest: Digest;
  json: Buffer;
  gz: Buffer;
  hash: string;
  signature: string;
  metadata: Record<string, string>;
}

/** Serializes, gzips and signs a digest; `metadata` is what S3 stores as x-amz-meta-signature / -signature-algorithm. */
export function encodeDigest(digest: Digest, privateKey: KeyObject): EncodedDigest {
  const json = Buffer.from(JSON.stringify(digest), 'utf8');
  const signature = signHex(privateKey, stringToSign(digest, json));
  return {
    digest,
    json,
    gz: gzipSync(json),
    hash: sha256Hex(json),
    signature,
    metadata: { signature, 'signature-algorithm': SIGNATURE_ALGORITHM },
  };
}

/**
 * Gzips a log file `{"Records":[…]}` and hashes its uncompressed bytes (the digest's hashValue).
 * With `texts` (each record's stored JSON text, in order) the file is assembled from them
 * instead of re-serializing the records.
 */
export async function encodeLogFile(records: readonly unknown[], texts?: readonly (string | undefined)[]): Promise<{ json: Buffer; gz: Buffer; hash: string }> {
  const whole = texts !== undefined && texts.length === records.length && texts.every((t) => t !== undefined);
  const json = Buffer.from(whole ? `{"Records":[${texts.join(',')}]}` : JSON.stringify({ Records: records }), 'utf8');
  // Compression runs on libuv's thread pool, off the event loop the server answers requests on.
  const gz = await gzipAsync(json, { level: 6 });
  return { json, gz, hash: sha256Hex(json) };
}

/** Why a log file could not be hashed. */
export class LogHashError extends Error {
  constructor(
    readonly reason: 'invalid format' | 'unexpected data after end of compressed stream',
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

/**
 * SHA-256 hex of the gunzipped content of a gzip stream, hashed while streaming. As in the AWS
 * CLI, bytes after the end of the gzip member (trailing zeros or garbage) are
 * `unexpected data after end of compressed stream`; a corrupt or truncated stream is
 * `invalid format`. A second complete gzip member is inflated too (Node's zlib does so), which
 * changes the hash: such a file is reported as a hash mismatch rather than as trailing data.
 */
export async function hashGzipStream(stream: Readable): Promise<{ hash: string; compressedBytes: number; bytes: number }> {
  const h = createHash('sha256');
  let inBytes = 0;
  let outBytes = 0;
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  return new Promise((resolvePromise, reject) => {
    let done = false;
    const fail = (e: LogHashError): void => {
      if (done) return;
      done = true;
      stream.destroy();
      gunzip.destroy();
      reject(e);
    };
    stream.on('error', (e) => fail(new LogHashError('invalid format', { cause: e })));
    gunzip.on('error', (e: NodeJS.ErrnoException) => {
      // A header error after output was produced can only come from bytes after a finished
      // member (a damaged first header fails before any output).
      // A gzip-only inflater says "incorrect header check" only for a wrong magic number; if the
      // stream itself began with the magic, the bad header is that of bytes after the first member.
      const trailing = (outBytes > 0 || gzipMagic) && e.code === 'Z_DATA_ERROR' && /header/.test(e.message);
      fail(new LogHashError(trailing ? 'unexpected data after end of compressed stream' : 'invalid format', { cause: e }));
    });
    gunzip.on('data', (c: Buffer) => {
      outBytes += c.length;
      h.update(c);
    });
    gunzip.on('end', () => {
      if (done) return;
      done = true;
      // bytesWritten counts the compressed bytes zlib consumed; fewer than we fed means trailing bytes.
      if (gunzip.bytesWritten < inBytes) reject(new LogHashError('unexpected data after end of compressed stream'));
      else resolvePromise({ hash: h.digest('hex'), compressedBytes: inBytes, bytes: outBytes });
    });
    let gzipMagic = false;
    stream.on('data', (c: Buffer) => {
      if (done) return;
      if (inBytes === 0 && c.length >= 2) gzipMagic = c[0] === 0x1f && c[1] === 0x8b;
      inBytes += c.length;
      if (!gunzip.write(c)) stream.pause();
    });
    gunzip.on('drain', () => stream.resume());
    stream.on('end', () => {
      if (!done) gunzip.end();
    });
  });
}

/**
 * `hashGzipStream` for a gzip file already in memory: inflates off the main thread (zlib's
 * thread pool) and reports the same errors.
 */
export function hashGzipBuffer(buf: Buffer): Promise<{ hash: string; compressedBytes: number; bytes: number }> {
  return new Promise((resolvePromise, reject) => {
    if (buf.length === 0) {
      reject(new LogHashError('invalid format'));
      return;
    }
    gunzip(buf, { info: true, chunkSize: 256 * 1024 }, (e, res) => {
      if (e) {
        const trailing = buf[0] === 0x1f && buf[1] === 0x8b && (e as NodeJS.ErrnoException).code === 'Z_DATA_ERROR' && /header/.test(e.message);
        reject(new LogHashError(trailing ? 'unexpected data after end of compressed stream' : 'invalid format', { cause: e }));
        return;
      }
      const { buffer, engine } = res as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
      if (engine.bytesWritten < buf.length) {
        reject(new LogHashError('unexpected data after end of compressed stream'));
        return;
      }
      resolvePromise({ hash: createHash('sha256').update(buffer).digest('hex'), compressedBytes: buf.length, bytes: buffer.length });
    });
  });
}

/** `hashGzipBuffer` on the calling thread (for worker threads, where blocking is the point). */
export function hashGzipSync(buf: Buffer): { hash: string; compressedBytes: number; bytes: number } {
  if (buf.length === 0) throw new LogHashError('invalid format');
  let res: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    res = gunzipSync(buf, { info: true, chunkSize: 256 * 1024 }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
  } catch (e) {
    const trailing = buf[0] === 0x1f && buf[1] === 0x8b && (e as NodeJS.ErrnoException).code === 'Z_DATA_ERROR' && /header/.test((e as Error).message);
    throw new LogHashError(trailing ? 'unexpected data after end of compressed stream' : 'invalid format', { cause: e });
  }
  if (res.engine.bytesWritten < buf.length) throw new LogHashError('unexpected data after end of compressed stream');
  return { hash: createHash('sha256').update(res.buffer).digest('hex'), compressedBytes: buf.length, bytes: res.buffer.length };
}
