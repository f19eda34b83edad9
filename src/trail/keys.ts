/**
 * Per-trail RSA signing keys kept in a key folder, and public keys in CloudTrail's
 * `ListPublicKeys` shape.
 *
 * Folder layout: `keys.json` (the index: fingerprint, validity, base64 DER public key, oldest
 * first), `<fingerprint>.pem` (PKCS#8 private key, mode 0600) and `<fingerprint>.pub.pem`
 * (PKCS#1 `RSA PUBLIC KEY`, for `openssl` and `--public-key`).
 *
 * Fingerprint: AWS does not document how `ListPublicKeys` fingerprints are derived (reference
 * §3.3, NOT FOUND); they are 32 hex characters. aitrail defines its fingerprint as the lowercase
 * hex MD5 of the DER-encoded PKCS#1 RSAPublicKey, i.e. of the bytes that `Value` carries.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { AitrailError } from '../model/errors.js';
import { atomicWrite } from './destination.js';

/** One key of the index file. */
export const KeyRecordSchema = z.object({
  fingerprint: z.string().regex(/^[0-9a-f]{32}$/),
  validityStartTime: z.string(),
  validityEndTime: z.string().nullable(),
  publicKeyDer: z.string(),
});
/** One key of the index file. */
export type KeyRecord = z.infer<typeof KeyRecordSchema>;

/** The index file `keys.json`. */
export const KeyIndexSchema = z.object({ version: z.literal(1), keys: z.array(KeyRecordSchema) });
/** The index file `keys.json`. */
export type KeyIndex = z.infer<typeof KeyIndexSchema>;

/** One entry of `ListPublicKeys.PublicKeyList`; the active key has no `ValidityEndTime`. */
export interface PublicKeyEntry {
  Value: string;
  ValidityStartTime: Date;
  ValidityEndTime?: Date;
  Fingerprint: string;
}

/** The `ListPublicKeys` response shape. */
export interface ListPublicKeysResult {
  PublicKeyList: PublicKeyEntry[];
}

/** The signing key in use: its fingerprint and private key. */
export interface SigningKey {
  fingerprint: string;
  privateKey: KeyObject;
  publicKeyDer: Buffer;
}

/** The aitrail fingerprint of a DER PKCS#1 RSAPublicKey: lowercase hex MD5 (see the module comment). */
export function fingerprintOf(pkcs1Der: Buffer): string {
  return createHash('md5').update(pkcs1Der).digest('hex');
}

/** Converts any public-key form Node reads (KeyObject, PEM, DER SPKI or PKCS#1) to DER PKCS#1. */
export function toPkcs1Der(key: KeyObject | Buffer | string): Buffer {
  let ko: KeyObject;
  if (typeof key === 'object' && !Buffer.isBuffer(key)) ko = key.type === 'private' ? createPublicKey(key) : key;
  else if (typeof key === 'string' || key.subarray(0, 5).toString() === '-----') ko = createPublicKey(key);
  else {
    try {
      ko = createPublicKey({ key, format: 'der', type: 'pkcs1' });
    } catch {
      ko = createPublicKey({ key, format: 'der', type: 'spki' });
    }
  }
  return ko.export({ format: 'der', type: 'pkcs1' });
}

/** Folder-backed key pairs of one trail, with rotation and `ListPublicKeys`. */
export class TrailKeys {
  private constructor(
    readonly dir: string,
    private index: KeyIndex,
  ) {}

  /** Opens (creating when needed) the key folder; creates the first key pair if there is none. */
  static async open(dir: string, now: Date = new Date()): Promise<TrailKeys> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, 'keys.json');
    let index: KeyIndex = { version: 1, keys: [] };
    if (existsSync(path)) {
      const parsed = KeyIndexSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
      if (!parsed.success) throw new AitrailError('CONFIG_INVALID', `${path}: not a valid key index: ${parsed.error.message}`);
      index = parsed.data;
    }
    const keys = new TrailKeys(dir, index);
    if (!keys.index.keys.some((k) => k.validityEndTime === null)) await keys.rotate(now);
    return keys;
  }

  /** The active signing key. */
  current(): SigningKey {
    const rec = this.index.keys.find((k) => k.validityEndTime === null);
    if (!rec) throw new AitrailError('INTERNAL', `no active key in ${this.dir}`);
    return this.signingKey(rec.fingerprint);
  }

  /** The private key with `fingerprint` (for tests and re-signing). */
  signingKey(fingerprint: string): SigningKey {
    const rec = this.index.keys.find((k) => k.fingerprint === fingerprint);
    if (!rec) throw new AitrailError('NOT_FOUND', `no key with fingerprint ${fingerprint} in ${this.dir}`);
    const privateKey = createPrivateKey(readFileSync(join(this.dir, `${fingerprint}.pem`)));
    return { fingerprint, privateKey, publicKeyDer: Buffer.from(rec.publicKeyDer, 'base64') };
  }

  /** Starts a new key pair valid from `now` and ends the old key's validity at `now`. */
  async rotate(now: Date = new Date()): Promise<SigningKey> {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    const der = publicKey.export({ format: 'der', type: 'pkcs1' });
    const fingerprint = fingerprintOf(der);
    const pemPath = join(this.dir, `${fingerprint}.pem`);
    await writeFile(pemPath, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    chmodSync(pemPath, 0o600); // the umask may have widened the mode given at creation
    await writeFile(join(this.dir, `${fingerprint}.pub.pem`), publicKey.export({ format: 'pem', type: 'pkcs1' }));
    const t = now.toISOString();
    for (const k of this.index.keys) if (k.validityEndTime === null) k.validityEndTime = t;
    this.index.keys.push({ fingerprint, validityStartTime: t, validityEndTime: null, publicKeyDer: der.toString('base64') });
    await atomicWrite(join(this.dir, 'keys.json'), JSON.stringify(this.index, null, 2) + '\n');
    return { fingerprint, privateKey, publicKeyDer: der };
  }

  /** The public keys whose validity overlaps [StartTime, EndTime], in `ListPublicKeys` shape. */
  listPublicKeys(range: { StartTime?: Date; EndTime?: Date } = {}): ListPublicKeysResult {
    const s = range.StartTime?.getTime() ?? -Infinity;
    const e = range.EndTime?.getTime() ?? Infinity;
    const list: PublicKeyEntry[] = [];
    for (const k of this.index.keys) {
      const ks = Date.parse(k.validityStartTime);
      const ke = k.validityEndTime === null ? Infinity : Date.parse(k.validityEndTime);
      if (ks > e || ke < s) continue;
      list.push({
        Value: k.publicKeyDer,
        ValidityStartTime: new Date(ks),
        ...(k.validityEndTime === null ? {} : { ValidityEndTime: new Date(ke) }),
        Fingerprint: k.fingerprint,
      });
    }
    return { PublicKeyList: list };
  }
}

/** Public keys by fingerprint, as validation consumes them. */
export type PublicKeyMap = Map<string, Buffer>;

/** Builds a fingerprint → DER map from a `ListPublicKeys` result (as returned or as JSON from the AWS CLI). */
export function publicKeyMapFromList(list: { PublicKeyList: Array<{ Value: string | Uint8Array; Fingerprint: string }> }): PublicKeyMap {
  const m: PublicKeyMap = new Map();
  for (const k of list.PublicKeyList) m.set(k.Fingerprint, typeof k.Value === 'string' ? Buffer.from(k.Value, 'base64') : Buffer.from(k.Value));
  return m;
}

/**
 * Reads public keys given as files (`--public-key`): PEM (`PUBLIC KEY`, `RSA PUBLIC KEY`, or a
 * private key), DER (PKCS#1 or SPKI), or the JSON output of `aws cloudtrail list-public-keys`
 * (which keeps AWS's own fingerprints). PEM/DER keys get the aitrail fingerprint.
 */
export function publicKeysFromFiles(paths: string[]): PublicKeyMap {
  const m: PublicKeyMap = new Map();
  for (const p of paths) {
    const buf = readFileSync(p);
    const text = buf.subarray(0, 64).toString('utf8').trimStart();
    try {
      if (text.startsWith('{')) {
        for (const [fp, der] of publicKeyMapFromList(JSON.parse(buf.toString('utf8')) as ListPublicKeysResult)) m.set(fp, der);
        continue;
      }
      const der = toPkcs1Der(text.startsWith('-----') ? buf.toString('utf8') : buf);
      m.set(fingerprintOf(der), der);
    } catch (e) {
      throw new AitrailError('USAGE', `${p}: not a public key (PEM, DER, or list-public-keys JSON): ${(e as Error).message}`, { cause: e });
    }
  }
  return m;
}
