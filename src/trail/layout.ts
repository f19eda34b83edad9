/**
 * CloudTrail's object layout: log-file and digest keys, their time stamps, and parsers for both
 * (reference §2 and §3.1). Everything here is pure string work on UTC times.
 */
import { randomBytes } from 'node:crypto';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `YYYYMMDDTHHmmZ`: the delivery stamp in log-file names (minutes, no seconds). */
export function logStamp(d: Date): string {
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`;
}

/** `YYYYMMDDTHHMMSSZ`: the digest-end stamp in digest names (with seconds). */
export function digestStamp(d: Date): string {
  return `${logStamp(d).slice(0, -1)}${pad(d.getUTCSeconds())}Z`;
}

/** `YYYY-MM-DDTHH:MM:SSZ`: whole-second UTC, as CloudTrail writes times in digests and the CLI displays them. */
export function isoSeconds(d: Date | number): string {
  const x = typeof d === 'number' ? new Date(d) : d;
  return `${x.getUTCFullYear()}-${pad(x.getUTCMonth() + 1)}-${pad(x.getUTCDate())}T${pad(x.getUTCHours())}:${pad(x.getUTCMinutes())}:${pad(x.getUTCSeconds())}Z`;
}

/** Parses `YYYYMMDDTHHmmZ` or `YYYYMMDDTHHMMSSZ` into a Date (null when malformed). */
export function parseStamp(stamp: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?Z$/.exec(stamp);
  if (!m) return null;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, m[6] ? +m[6] : 0);
  return Number.isNaN(t) ? null : new Date(t);
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random 16-character alphanumeric string, CloudTrail's meaningless `UniqueString`. */
export function uniqueString(): string {
  const b = randomBytes(16);
  let s = '';
  for (let i = 0; i < 16; i++) s += ALNUM[b[i]! % ALNUM.length];
  return s;
}

/** Where a trail writes: the optional key prefix and, for organization trails, the org id. */
export interface LayoutBase {
  prefix?: string | undefined;
  accountId: string;
  organizationId?: string | undefined;
}

function root(base: LayoutBase): string {
  const p = base.prefix ? base.prefix.replace(/^\/+|\/+$/g, '') : '';
  return `${p ? p + '/' : ''}AWSLogs/${base.organizationId ? base.organizationId + '/' : ''}${base.accountId}/`;
}

function dateFolders(d: Date): string {
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
}

/** `[prefix/]AWSLogs/[o-id/]<acct>/CloudTrail/<region>/`: the folder holding a region's log files. */
export function logRegionPrefix(base: LayoutBase, region: string): string {
  return `${root(base)}CloudTrail/${region}/`;
}

/** `…/CloudTrail/<region>/YYYY/MM/DD/`: one day's log-file folder. */
export function logDayPrefix(base: LayoutBase, region: string, day: Date): string {
  return `${logRegionPrefix(base, region)}${dateFolders(day)}/`;
}

/** `[prefix/]AWSLogs/[o-id/]<acct>/CloudTrail-Digest/<region>/`: the folder holding a region's digests. */
export function digestRegionPrefix(base: LayoutBase, region: string): string {
  return `${root(base)}CloudTrail-Digest/${region}/`;
}

/** The key of a log file delivered at `deliveryTime` (reference §2). */
export function logFileKey(base: LayoutBase & { region: string; deliveryTime: Date; unique?: string }): string {
  const u = base.unique ?? uniqueString();
  return `${logDayPrefix(base, base.region, base.deliveryTime)}${base.accountId}_CloudTrail_${base.region}_${logStamp(base.deliveryTime)}_${u}.json.gz`;
}

/** The key of a digest whose window ends at `endTime` (reference §3.1); `backfill` adds `_backfill`. */
export function digestKey(base: LayoutBase & { region: string; trailName: string; homeRegion: string; endTime: Date; backfill?: boolean }): string {
  return (
    `${digestRegionPrefix(base, base.region)}${dateFolders(base.endTime)}/` +
    `${base.accountId}_CloudTrail-Digest_${base.region}_${base.trailName}_${base.homeRegion}_${digestStamp(base.endTime)}` +
    `${base.backfill ? '_backfill' : ''}.json.gz`
  );
}

/** The parts of a log-file key. */
export interface ParsedLogKey {
  prefix: string;
  organizationId: string | null;
  accountId: string;
  region: string;
  deliveryTime: Date;
  unique: string;
}

/** The parts of a digest key. */
export interface ParsedDigestKey {
  prefix: string;
  organizationId: string | null;
  accountId: string;
  region: string;
  trailName: string;
  homeRegion: string;
  endTime: Date;
  backfill: boolean;
}

const LOG_RE =
  /^(?:(.*)\/)?AWSLogs\/(?:(o-[a-z0-9]{10,32})\/)?(\d{12})\/CloudTrail\/([\w-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{12})_CloudTrail_([\w-]+)_(\d{8}T\d{4}Z)_([A-Za-z0-9]+)\.json\.gz$/;

const DIGEST_RE =
  /^(?:(.*)\/)?AWSLogs\/(?:(o-[a-z0-9]{10,32})\/)?(\d{12})\/CloudTrail-Digest\/([\w-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{12})_CloudTrail-Digest_([a-z0-9-]+)_(.+)_([a-z0-9-]+)_(\d{8}T\d{6}Z)(_backfill)?\.json\.gz$/;

/** Parses a log-file key (null when it is not one, or its folder and file name disagree). */
export function parseLogFileKey(key: string): ParsedLogKey | null {
  const m = LOG_RE.exec(key);
  if (!m) return null;
  const [, prefix = '', org, acct, region, , , , acct2, region2, stamp, unique] = m;
  if (acct !== acct2 || region !== region2) return null;
  const deliveryTime = parseStamp(stamp!);
  if (!deliveryTime) return null;
  return { prefix, organizationId: org ?? null, accountId: acct!, region: region!, deliveryTime, unique: unique! };
}

/** Parses a digest key, including the `_backfill` variant (null when it is not one). */
export function parseDigestKey(key: string): ParsedDigestKey | null {
  const m = DIGEST_RE.exec(key);
  if (!m) return null;
  const [, prefix = '', org, acct, region, , , , acct2, region2, trailName, homeRegion, stamp, backfill] = m;
  if (acct !== acct2 || region !== region2) return null;
  const endTime = parseStamp(stamp!);
  if (!endTime) return null;
  return { prefix, organizationId: org ?? null, accountId: acct!, region: region!, trailName: trailName!, homeRegion: homeRegion!, endTime, backfill: !!backfill };
}

/** The CLI's `extract_digest_key_date`: the `YYYYMMDDTHHMMSSZ` stamp sliced from the end of a digest key. */
export function digestKeyStamp(key: string): string {
  return key.endsWith('_backfill.json.gz') ? key.slice(-33, -17) : key.slice(-24, -8);
}

/** The trail ARN `arn:aws:cloudtrail:<home>:<acct>:trail/<name>`. */
export function trailArn(homeRegion: string, accountId: string, trailName: string, partition = 'aws'): string {
  return `arn:${partition}:cloudtrail:${homeRegion}:${accountId}:trail/${trailName}`;
}

/** Splits a trail ARN into home region, account and name (null when it does not look like one). */
export function parseTrailArn(arn: string): { partition: string; homeRegion: string; accountId: string; trailName: string } | null {
  const m = /^arn:([^:]+):cloudtrail:([^:]+):(\d{12}):trail\/(.+)$/.exec(arn);
  if (!m) return null;
  return { partition: m[1]!, homeRegion: m[2]!, accountId: m[3]!, trailName: m[4]! };
}
