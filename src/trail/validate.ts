/**
 * `validate-logs`: the AWS CLI's digest-chain validation (reference §3.5), line for line, for
 * aitrail trails and real CloudTrail digests alike, on S3 or on a local folder (a trail folder
 * or a synced copy of a bucket), plus the checks the CLI lacks.
 *
 * Same as the CLI: listing from `start - 1 min` to `end + 1 h`, the newest-first walk following
 * `previousDigestS3Object`, every `INVALID: …` message, gap lines, the summary, exit code 1 when
 * anything is invalid. Every region of the trail is walked (default: every region folder found),
 * one after another, with one combined summary.
 *
 * Differences and additions (aitrail):
 * - URIs: `s3://bucket/key` for S3; `file:///abs/path/key` for folder destinations, while the
 *   bucket compared with `digestS3Bucket`/`s3Bucket` is the folder's pseudo-bucket (basename, or
 *   the `bucket` option for a copy of a real bucket).
 * - Public keys may come from a `ListPublicKeys` result or from PEM/DER/JSON files (keys.ts).
 * - Missing digests the links cannot name: when a digest is not found, the walk jumps to the next
 *   older listed digest; the digests between the two are counted from the digest cadence
 *   (`digestIntervalMs`, default 1 h) and each is reported as
 *   `Digest file\t<uri>\tINVALID: not found (inferred from the digest cadence)`, with the key its
 *   end time would have (exact for aitrail's hour-aligned digests, approximate for CloudTrail's);
 *   then `Digest chain broken between <a> and <b>: <n> digest file(s) missing`.
 * - Listed digests the walk skipped between the newest and oldest digest it visited:
 *   `Digest file\t<uri>\tINVALID: not part of the digest chain`.
 * - Log files present in the destination that no digest lists:
 *   `Log file\t<uri>\tINVALID: not covered by any digest`, for log files delivered from
 *   `startTime` up to the newest digest's end (minus the minute its key stamp rounds away), and
 *   also later ones that a digest should already cover (delivered more than one digest interval
 *   plus 15 minutes before `min(endTime, now)`). Log files listed by a digest that failed
 *   validation count as covered (the digest is already reported).
 * - A truncated or corrupt log is `invalid format` (the CLI's zlib reads a truncated stream
 *   without error and reports a hash mismatch instead).
 * - Backfill digests (`…_backfill.json.gz`) are validated one by one (signature, location, logs),
 *   not walked as a chain; their lines are prefixed `(backfill) `.
 * - `output: 'json'` prints one machine-readable result object instead of the text.
 */
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { AitrailError, isAitrailError } from '../model/errors.js';
import { FolderDestination, openDestination, type Destination } from './destination.js';
import { HashPool } from './hash-pool.js';
import { hashGzipBuffer, hashGzipStream, LogHashError, stringToSign, verifyHex, type DigestLogFile } from './digest.js';
import { publicKeyMapFromList, type ListPublicKeysResult, type PublicKeyMap } from './keys.js';
import {
  digestKey,
  digestKeyStamp,
  digestRegionPrefix,
  digestStamp,
  isoSeconds,
  logDayPrefix,
  logRegionPrefix,
  parseLogFileKey,
  parseStamp,
  parseTrailArn,
  trailArn as makeTrailArn,
  type LayoutBase,
} from './layout.js';

/** The serializable options of `validateLogs`. */
export const ValidateOptionsSchema = z.object({
  /** `s3://bucket[/prefix]`, `file:///folder` or a folder path (or pass a Destination). */
  destination: z.string().min(1).optional(),
  endpoint: z.string().url().optional(),
  /** The AWS config files' profile whose credentials read an S3 destination. */
  profile: z.string().min(1).optional(),
  /** The bucket name digests refer to, for a folder holding a copy of a bucket (default: the folder's basename). */
  bucket: z.string().min(1).optional(),
  /** Key prefix (default: the path part of an `s3://bucket/prefix` destination). */
  prefix: z.string().optional(),
  trailArn: z.string().optional(),
  accountId: z.string().regex(/^\d{12}$/).optional(),
  trailName: z.string().min(1).optional(),
  homeRegion: z.string().min(1).optional(),
  /** Regions to walk; default: every region folder under CloudTrail-Digest/ and CloudTrail/. */
  regions: z.array(z.string().min(1)).min(1).optional(),
  organizationId: z.string().optional(),
  /** A Date or any string `Date.parse` reads (`2026-11-01T00:00:00Z`). */
  startTime: z.union([z.date(), z.string()]),
  endTime: z.union([z.date(), z.string()]).optional(),
  verbose: z.boolean().default(false),
  output: z.enum(['text', 'json']).default('text'),
  /** Report log files that no digest covers (default true). */
  checkUncovered: z.boolean().default(true),
  /** The digest cadence used to infer deleted digests (default one hour). */
  digestIntervalMs: z.number().int().positive().default(3_600_000),
  /** Log files hashed at once. */
  concurrency: z.number().int().positive().default(32),
  /** Worker threads hashing local log files (default: one per core). */
  workers: z.number().int().positive().optional(),
});
/** The serializable options of `validateLogs`. */
export type ValidateOptionsInput = z.input<typeof ValidateOptionsSchema>;

/** All options of `validateLogs`. */
export type ValidateLogsOptions = Omit<ValidateOptionsInput, 'destination'> & {
  destination: string | Destination;
  /** Public keys: a `ListPublicKeys` result, or fingerprint → DER PKCS#1 (e.g. from `publicKeysFromFiles`). */
  publicKeys: ListPublicKeysResult | PublicKeyMap;
  /** Clock (epoch ms) for the default end time. */
  now?: () => number;
  /** Called with each chunk of standard output / standard error as it is produced. */
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
};

/** One reported item. */
export interface ValidationEntry {
  type: 'digest' | 'log' | 'gap' | 'chain-gap';
  status: 'valid' | 'INVALID' | 'info';
  region: string;
  uri?: string;
  bucket?: string;
  key?: string;
  /** The reason after `INVALID: ` (or the whole message for gaps). */
  message?: string;
  backfill?: boolean;
  /** The exact output line. */
  line: string;
}

/** The result of a validation run. */
export interface ValidationResult {
  trailArn: string;
  startTime: string;
  endTime: string;
  foundStartTime: string | null;
  foundEndTime: string | null;
  regions: string[];
  digestFiles: { valid: number; invalid: number; total: number };
  logFiles: { valid: number; invalid: number; total: number };
  entries: ValidationEntry[];
  exitCode: 0 | 1;
  stdout: string;
  stderr: string;
}

class DigestProblem extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}
class DigestMissing extends Error {}

interface LoadedDigest {
  digestStartTime: string;
  digestEndTime: string;
  digestS3Bucket: string;
  digestS3Object: string;
  previousDigestS3Bucket: string | null;
  previousDigestS3Object: string | null;
  logFiles: DigestLogFile[];
}

const REQUIRED = ['digestPublicKeyFingerprint', 'digestS3Bucket', 'digestS3Object', 'previousDigestSignature', 'digestEndTime', 'digestStartTime'] as const;
const GRACE_MS = 15 * 60_000;
// Log files up to this size are read whole and inflated in one call; larger ones stream.
const SMALL_FILE = 8 * 1024 * 1024;

function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

function keyDate(key: string): Date | null {
  return parseStamp(digestKeyStamp(key));
}

/** Validates a trail's digests and log files; see the module comment for the exact behaviour. */
export async function validateLogs(options: ValidateLogsOptions): Promise<ValidationResult> {
  const { destination: destInput, publicKeys: keysInput, now: nowFn, stdout: outFn, stderr: errFn, ...rest } = options;
  const parsed = ValidateOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new AitrailError('USAGE', `validate-logs: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  const o = parsed.data;
  const now = (nowFn ?? Date.now)();
  const dest =
    typeof destInput === 'string'
      ? openDestination(destInput, { ...(o.endpoint ? { endpoint: o.endpoint } : {}), ...(o.profile ? { profile: o.profile } : {}), ...(o.bucket ? { bucket: o.bucket } : {}) })
      : destInput;

  // Trail identity: from the ARN, or from account, name and home region.
  let accountId = o.accountId;
  let trailName = o.trailName;
  let homeRegion = o.homeRegion;
  let arn = o.trailArn;
  if (arn) {
    const p = parseTrailArn(arn);
    if (!p) throw new AitrailError('USAGE', `Invalid trail ARN provided: ${arn}`);
    homeRegion ??= p.homeRegion;
    trailName ??= p.trailName;
    // For organization trails the ARN's account is the management account; --account-id wins.
    accountId ??= p.accountId;
  }
  if (!accountId || !trailName || !homeRegion) {
    throw new AitrailError('USAGE', 'validate-logs needs a trail ARN, or an account id, trail name and home region');
  }
  arn ??= makeTrailArn(homeRegion, accountId, trailName);

  const toMs = (v: Date | string): number => {
    const t = typeof v === 'string' ? Date.parse(v) : v.getTime();
    if (Number.isNaN(t)) throw new AitrailError('USAGE', `Unable to parse date value: ${String(v)}`);
    return t;
  };
  const start = new Date(Math.floor(toMs(o.startTime) / 1000) * 1000);
  const end = new Date(Math.floor((o.endTime === undefined ? now : toMs(o.endTime)) / 1000) * 1000);
  if (start.getTime() > end.getTime()) {
    throw new AitrailError('USAGE', 'Invalid time range specified: start-time must occur before end-time');
  }
  const base: LayoutBase = { prefix: o.prefix ?? dest.defaultPrefix, accountId, organizationId: o.organizationId };

  const publicKeys = loadKeys(keysInput, start, end);
  if (publicKeys.size === 0) {
    throw new AitrailError('NOT_FOUND', `No public keys found between ${isoSeconds(start)} and ${isoSeconds(end)}`);
  }

  const regions = o.regions ?? (await discoverRegions(dest, base, homeRegion));

  // Output, replicating the CLI's spacing: errors go to stderr followed by a blank line.
  let stdout = '';
  let stderr = '';
  const text = o.output === 'text';
  const out = (s: string): void => {
    if (!text) return;
    stdout += s;
    outFn?.(s);
  };
  const err = (s: string): void => {
    if (!text) return;
    stderr += s;
    errFn?.(s);
  };
  let lastDouble = true;
  const entries: ValidationEntry[] = [];
  const counts = { validDigests: 0, invalidDigests: 0, validLogs: 0, invalidLogs: 0 };
  const status = (e: ValidationEntry): void => {
    entries.push(e);
    if (e.type === 'digest') {
      if (e.status === 'valid') counts.validDigests++;
      else counts.invalidDigests++;
    }
    if (e.type === 'log') {
      if (e.status === 'valid') counts.validLogs++;
      else counts.invalidLogs++;
    }
    if (e.status !== 'valid') {
      err(lastDouble ? `${e.line}\n\n` : `\n${e.line}\n\n`);
      lastDouble = true;
    } else if (o.verbose) {
      lastDouble = false;
      out(`${e.line}\n`);
    }
  };
  // Log results are computed concurrently but reported in walk order.
  const slots: Array<ValidationEntry | Promise<ValidationEntry>> = [];
  const emit = (e: ValidationEntry | Promise<ValidationEntry>): void => {
    slots.push(e);
  };
  const limit = limiter(o.concurrency);
  let pool: HashPool | null = null;

  out(`Validating log files for trail ${arn} between ${isoSeconds(start)} and ${isoSeconds(end)}\n\n`);

  let foundStart: Date | null = start;
  let foundEnd: Date | null = null;
  let anyFound = false;
  const iv = o.digestIntervalMs;

  const digestLine = (region: string, d: Destination, key: string, reason: string | null, backfill = false): ValidationEntry => ({
    type: 'digest',
    status: reason === null ? 'valid' : 'INVALID',
    region,
    uri: d.displayUri(key),
    bucket: d.bucket,
    key,
    ...(reason === null ? {} : { message: reason }),
    ...(backfill ? { backfill: true } : {}),
    line: `${backfill ? '(backfill) ' : ''}Digest file\t${d.displayUri(key)}\t${reason === null ? 'valid' : `INVALID: ${reason}`}`,
  });

  const checkLog = (d: Destination, log: DigestLogFile, region: string, backfill: boolean): Promise<ValidationEntry> =>
    limit(async () => {
      const ld = log.s3Bucket === d.bucket ? d : log.s3Bucket === dest.bucket ? dest : dest.withBucket(String(log.s3Bucket));
      const uri = ld ? ld.displayUri(log.s3Object) : `s3://${log.s3Bucket}/${log.s3Object}`;
      let reason: string | null;
      try {
        if (!ld) throw new AitrailError('NOT_FOUND', 'bucket not reachable');
        if (ld instanceof FolderDestination) {
          pool ??= new HashPool(o.workers);
          const r = await pool.hash(ld.filePath(log.s3Object), SMALL_FILE);
          reason = r.error ?? (r.hash === log.hashValue ? null : "hash value doesn't match");
        } else {
          const obj = await ld.read(log.s3Object, SMALL_FILE);
          const { hash } = obj.body ? await hashGzipBuffer(obj.body) : await hashGzipStream(obj.stream);
          reason = hash === log.hashValue ? null : "hash value doesn't match";
        }
      } catch (e) {
        reason = isAitrailError(e, 'NOT_FOUND') ? 'not found' : e instanceof LogHashError ? e.reason : 'invalid format';
      }
      return {
        type: 'log',
        status: reason === null ? 'valid' : 'INVALID',
        region,
        uri,
        bucket: String(log.s3Bucket),
        key: log.s3Object,
        ...(reason === null ? {} : { message: reason }),
        ...(backfill ? { backfill: true } : {}),
        line: `${backfill ? '(backfill) ' : ''}Log file\t${uri}\t${reason === null ? 'valid' : `INVALID: ${reason}`}`,
      };
    });

  // Fetches and checks one digest exactly as the CLI does; throws DigestMissing or DigestProblem.
  const loadDigest = async (d: Destination, key: string, covered: Set<string>): Promise<LoadedDigest> => {
    let obj;
    try {
      obj = await d.get(key);
    } catch (e) {
      if (isAitrailError(e, 'NOT_FOUND')) throw new DigestMissing();
      throw e;
    }
    let json: Buffer;
    let data: unknown;
    try {
      json = gunzipSync(obj.body);
      data = JSON.parse(json.toString('utf8'));
    } catch {
      throw new DigestProblem('invalid format');
    }
    const signature = obj.metadata['signature'];
    if (signature === undefined || obj.metadata['signature-algorithm'] === undefined) throw new DigestProblem('signature verification failed');
    if (!data || typeof data !== 'object' || Array.isArray(data)) throw new DigestProblem('invalid format');
    const dg = data as Record<string, unknown>;
    for (const k of REQUIRED) if (!(k in dg)) throw new DigestProblem('invalid format');
    const logFiles = Array.isArray(dg.logFiles) ? (dg.logFiles as DigestLogFile[]).filter((l) => l && typeof l === 'object') : null;
    if (logFiles) for (const l of logFiles) if (typeof l.s3Object === 'string') covered.add(l.s3Object);
    if (dg.digestS3Bucket !== d.bucket || dg.digestS3Object !== key) throw new DigestProblem('has been moved from its original location');
    const fp = String(dg.digestPublicKeyFingerprint);
    const der = publicKeys.get(fp);
    if (!der) throw new DigestProblem(`public key not found in region ${homeRegion} for fingerprint ${fp}`);
    const toSign = stringToSign(dg as Parameters<typeof stringToSign>[0], json);
    let ok: boolean;
    try {
      ok = verifyHex(der, toSign, signature);
    } catch {
      throw new DigestProblem(`Unable to load PKCS #1 key with fingerprint ${fp}`);
    }
    if (!ok) throw new DigestProblem('signature verification failed');
    // Beyond the CLI (which would crash): a digest must carry a list of log files and a parsable start time.
    if (!logFiles || typeof dg.digestStartTime !== 'string' || Number.isNaN(Date.parse(dg.digestStartTime))) throw new DigestProblem('invalid format');
    return {
      digestStartTime: dg.digestStartTime,
      digestEndTime: String(dg.digestEndTime),
      digestS3Bucket: String(dg.digestS3Bucket),
      digestS3Object: String(dg.digestS3Object),
      previousDigestS3Bucket: (dg.previousDigestS3Bucket as string | null | undefined) ?? null,
      previousDigestS3Object: (dg.previousDigestS3Object as string | null | undefined) ?? null,
      logFiles,
    };
  };

  // The CLI's found-time tracking, per region: the start of the last valid digest that began
  // after the requested start, and the (capped) end of the first valid digest.
  let regionFoundStart: Date = start;
  let regionFoundEnd: Date | null = null;
  const trackFound = (dg: LoadedDigest): void => {
    const s = new Date(Date.parse(dg.digestStartTime));
    if (s.getTime() > start.getTime()) regionFoundStart = s;
    if (!regionFoundEnd) regionFoundEnd = new Date(Math.min(Date.parse(dg.digestEndTime), end.getTime()));
  };

  for (const region of regions) {
    regionFoundStart = start;
    regionFoundEnd = null;
    const covered = new Set<string>();
    const visited = new Set<string>();
    const reported = new Set<string>();
    const listing = await listDigestKeys(dest, base, region, trailName, homeRegion, start, end);
    const digests = [...listing.standard];
    let d = dest;
    let bucket = dest.bucket;
    let newestEnd: number | null = null;
    let anchor: { key: string; end: number; newerStart: number } | null = null;

    const popLast = (beforeKey?: string): string | null => {
      if (!digests.length) return null;
      if (beforeKey === undefined) return digests.pop()!;
      const before = keyDate(beforeKey)?.getTime() ?? Infinity;
      while (digests.length) {
        const k = digests.pop()!;
        const kd = keyDate(k)?.getTime() ?? -Infinity;
        if (kd < before) return k;
      }
      return null;
    };
    const resolveAnchor = (k: string): void => {
      if (!anchor) return;
      const nEnd = keyDate(k)?.getTime();
      const a = anchor;
      anchor = null;
      if (nEnd === undefined) return;
      const n = Math.round((a.end - nEnd) / iv) - 1;
      let inferred = 0;
      for (let i = 1; i <= n; i++) {
        const t = a.end - i * iv;
        if (t <= nEnd) break;
        const mk = digestKey({ ...base, region, trailName: trailName!, homeRegion: homeRegion!, endTime: new Date(t) });
        inferred++;
        reported.add(mk);
        const e = digestLine(region, d, mk, 'not found (inferred from the digest cadence)');
        emit(e);
      }
      const missing = 1 + inferred;
      const line = `Digest chain broken between ${isoSeconds(nEnd)} and ${isoSeconds(a.newerStart)}: ${missing} digest file${missing === 1 ? '' : 's'} missing`;
      emit({ type: 'chain-gap', status: 'info', region, message: line, line });
    };

    let key = popLast();
    let lastStart = key ? keyDate(key)!.getTime() : 0;
    while (key && start.getTime() <= lastStart) {
      const k: string = key;
      visited.add(k);
      try {
        const dg = await loadDigest(d, k, covered);
        resolveAnchor(k);
        lastStart = Date.parse(dg.digestStartTime);
        const e = digestLine(region, d, k, null);
        emit(e);
        trackFound(dg);
        newestEnd = Math.max(newestEnd ?? -Infinity, Date.parse(dg.digestEndTime));
        for (const log of dg.logFiles) emit(checkLog(d, log, region, false));
        if (dg.previousDigestS3Bucket === null) {
          const next = popLast(k);
          if (next) {
            const line = `No log files were delivered by CloudTrail between ${isoSeconds(keyDate(next)!)} and ${isoSeconds(lastStart)}`;
            emit({ type: 'gap', status: 'info', region, message: line, line });
          }
          key = next;
        } else {
          key = dg.previousDigestS3Object;
          if (dg.previousDigestS3Bucket !== bucket) {
            bucket = dg.previousDigestS3Bucket;
            const nd = dest.withBucket(bucket);
            if (nd) {
              d = nd;
              const re = await listDigestKeys(d, base, region, trailName, homeRegion, start, end);
              digests.splice(0, digests.length, ...re.standard);
            }
          }
        }
      } catch (e) {
        if (e instanceof DigestMissing) {
          reported.add(k);
          const line = digestLine(region, d, k, 'not found');
          emit(line);
          const kEnd = keyDate(k)?.getTime();
          if (kEnd !== undefined && !anchor) anchor = { key: k, end: kEnd, newerStart: lastStart };
          else if (kEnd !== undefined && anchor) {
            const a: { key: string; end: number; newerStart: number } = anchor;
            anchor = { key: k, end: kEnd, newerStart: a.newerStart };
          }
        } else {
          // A present but invalid digest occupies its cadence slot, unless it sits next to the
          // missing one (a moved copy), which must not end the missing run.
          const xd = keyDate(k)?.getTime();
          const pending: { end: number } | null = anchor;
          if (pending && xd !== undefined && Math.abs(pending.end - xd) >= iv / 2) resolveAnchor(k);
          const reason = e instanceof DigestProblem ? e.reason : (e as Error).message;
          const line = digestLine(region, d, k, reason);
          emit(line);
          const kEnd = keyDate(k)?.getTime();
          if (kEnd !== undefined) newestEnd = Math.max(newestEnd ?? -Infinity, kEnd);
        }
        key = popLast(k);
      }
    }

    if (regionFoundEnd) {
      const rs: Date = regionFoundStart;
      const re: Date = regionFoundEnd;
      if (foundEnd === null || re.getTime() > foundEnd.getTime()) foundEnd = re;
      if (!anyFound || rs.getTime() < foundStart!.getTime()) foundStart = rs;
      anyFound = true;
    }

    // Listed digests the walk jumped over (between the newest and oldest it visited).
    const visitedDates = [...visited].map((k) => keyDate(k)?.getTime()).filter((t): t is number => t !== undefined);
    if (visitedDates.length) {
      const lo = Math.min(...visitedDates);
      const hi = Math.max(...visitedDates);
      for (const k of listing.standard) {
        const t = keyDate(k)?.getTime();
        if (t === undefined || visited.has(k) || reported.has(k) || t < lo || t > hi) continue;
        const e = digestLine(region, dest, k, 'not part of the digest chain');
        emit(e);
      }
    }

    // Backfill digests: validated one by one.
    for (const k of listing.backfill) {
      try {
        const dg = await loadDigest(dest, k, covered);
        const e = digestLine(region, dest, k, null, true);
        emit(e);
        for (const log of dg.logFiles) emit(checkLog(dest, log, region, true));
      } catch (e) {
        const reason = e instanceof DigestMissing ? 'not found' : e instanceof DigestProblem ? e.reason : (e as Error).message;
        const en = digestLine(region, dest, k, reason, true);
        emit(en);
      }
    }

    // Log files in the destination that no digest lists.
    if (o.checkUncovered) {
      const scopeEnd = Math.max(newestEnd !== null ? newestEnd - 60_000 : -Infinity, Math.min(end.getTime(), now) - iv - GRACE_MS);
      for (const day of daysBetween(start.getTime(), Math.min(end.getTime(), Math.max(scopeEnd, start.getTime())))) {
        for await (const lk of dest.list(logDayPrefix(base, region, day))) {
          const p = parseLogFileKey(lk);
          if (!p || p.region !== region || p.accountId !== accountId) continue;
          const t = p.deliveryTime.getTime();
          if (t < start.getTime() || t > scopeEnd || t > end.getTime() || covered.has(lk)) continue;
          const uri = dest.displayUri(lk);
          emit({
            type: 'log',
            status: 'INVALID',
            region,
            uri,
            bucket: dest.bucket,
            key: lk,
            message: 'not covered by any digest',
            line: `Log file\t${uri}\tINVALID: not covered by any digest`,
          });
        }
      }
    }
  }

  try {
    for (const s of slots) status(await s);
  } finally {
    const p = pool as HashPool | null;
    await p?.close();
  }

  const digestTotal = counts.validDigests + counts.invalidDigests;
  const logTotal = counts.validLogs + counts.invalidLogs;
  // Summary, as the CLI prints it.
  if (!lastDouble) out('\n');
  out(`Results requested for ${isoSeconds(start)} to ${isoSeconds(end)}\n`);
  if (digestTotal === 0 && logTotal === 0) {
    out('No digests found\n');
  } else {
    if (!foundStart || !foundEnd) out('No valid digests found in range\n');
    else out(`Results found for ${isoSeconds(foundStart)} to ${isoSeconds(foundEnd)}:\n`);
    const ratio = (valid: number, invalid: number, name: string): void => {
      const total = valid + invalid;
      if (total === 0) return;
      out(`\n${valid}/${total} ${name} files valid`);
      if (invalid > 0) out(`, ${invalid}/${total} ${name} files INVALID`);
    };
    ratio(counts.validDigests, counts.invalidDigests, 'digest');
    ratio(counts.validLogs, counts.invalidLogs, 'log');
    out('\n');
  }

  const result: ValidationResult = {
    trailArn: arn,
    startTime: isoSeconds(start),
    endTime: isoSeconds(end),
    foundStartTime: foundStart && foundEnd ? isoSeconds(foundStart) : null,
    foundEndTime: foundStart && foundEnd ? isoSeconds(foundEnd) : null,
    regions,
    digestFiles: { valid: counts.validDigests, invalid: counts.invalidDigests, total: digestTotal },
    logFiles: { valid: counts.validLogs, invalid: counts.invalidLogs, total: logTotal },
    entries,
    exitCode: counts.invalidDigests > 0 || counts.invalidLogs > 0 ? 1 : 0,
    stdout: '',
    stderr: '',
  };
  if (!text) {
    const json = JSON.stringify({ ...result, stdout: undefined, stderr: undefined }, null, 2) + '\n';
    stdout = json;
    outFn?.(json);
  }
  result.stdout = stdout;
  result.stderr = stderr;
  return result;
}

function loadKeys(input: ListPublicKeysResult | PublicKeyMap, start: Date, end: Date): PublicKeyMap {
  if (input instanceof Map) return input;
  // As the CLI: keys valid at some point in [start, end + 2 h].
  const lo = start.getTime();
  const hi = end.getTime() + 2 * 3_600_000;
  const list = input.PublicKeyList.filter((k) => {
    const s = k.ValidityStartTime ? new Date(k.ValidityStartTime).getTime() : -Infinity;
    const e = k.ValidityEndTime ? new Date(k.ValidityEndTime).getTime() : Infinity;
    return s <= hi && e >= lo;
  });
  return publicKeyMapFromList({ PublicKeyList: list });
}

async function discoverRegions(dest: Destination, base: LayoutBase, homeRegion: string): Promise<string[]> {
  const root = digestRegionPrefix(base, 'x').slice(0, -'x/'.length);
  const logRoot = logRegionPrefix(base, 'x').slice(0, -'x/'.length);
  const found = new Set([...(await dest.listChildren(root)), ...(await dest.listChildren(logRoot))].filter((r) => /^[a-z0-9-]+$/.test(r)));
  found.delete(homeRegion);
  return [homeRegion, ...[...found].sort()];
}

/** The digest keys of one region in [start - 1 min, end + 1 h], split into standard and backfill, oldest first. */
async function listDigestKeys(
  dest: Destination,
  base: LayoutBase,
  region: string,
  trailName: string,
  homeRegion: string,
  start: Date,
  end: Date,
): Promise<{ standard: string[]; backfill: string[] }> {
  const marker = digestKey({ ...base, region, trailName, homeRegion, endTime: new Date(start.getTime() - 60_000) });
  const prefix = digestRegionPrefix(base, region);
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  const re = new RegExp(
    `^${esc(prefix)}\\d+/\\d+/\\d+/${esc(base.accountId)}_CloudTrail-Digest_${esc(region)}_${esc(trailName)}_${esc(homeRegion)}_.+\\.json\\.gz$`,
  );
  const lo = digestStamp(start);
  const hi = digestStamp(new Date(end.getTime() + 3_600_000));
  const standard: string[] = [];
  const backfill: string[] = [];
  for await (const k of dest.list(prefix, { startAfter: marker })) {
    if (!re.test(k)) continue;
    const stamp = digestKeyStamp(k);
    if (stamp > hi) break;
    if (stamp >= lo) (k.endsWith('_backfill.json.gz') ? backfill : standard).push(k);
  }
  return { standard, backfill };
}

function daysBetween(from: number, to: number): Date[] {
  const out: Date[] = [];
  const day = 86_400_000;
  for (let t = Math.floor(from / day) * day; t <= to; t += day) out.push(new Date(t));
  return out;
}
