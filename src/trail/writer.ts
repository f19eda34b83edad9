/**
 * TrailWriter: delivers selected records as CloudTrail log files and, with validation on, signs
 * hourly digest chains per region, exactly in CloudTrail's layout and format.
 *
 * Timing (all on the injected clock, whole seconds):
 * - a region's pending records are delivered as one file once the oldest has waited
 *   `deliveryIntervalMs`, or at once when `maxEventsPerFile` are pending; `flush()` delivers now;
 * - digests end on `digestIntervalMs` boundaries (epoch-aligned, so hourly digests end at HH:00:00Z);
 *   `tick()` writes every digest that is due, including EMPTY ones for hours with no log file, and
 *   catches up on hours missed while the process was down (the trail was still logging);
 *   `flush()` also writes a digest ending now, and `stop()` flushes (a final digest) and ends the chain;
 * - a digest covers the not-yet-covered log files of its region delivered at or before its end time.
 * Chains: a digest links to the previous digest of its region. A fresh chain (null previous*)
 * starts when the trail starts for the first time, after `stop()`, or when validation is turned on
 * again; after a crash the persisted head continues the chain.
 *
 * Durability: each object write is preceded by a persisted intent (state file written to a temp
 * file and renamed), so a crash between writing an object and recording it is repaired on open.
 * Undelivered records live only in memory: the caller keeps them (the store) and replays them;
 * `deliveredThrough` (the eventID of the last record, in append order, such that it and every
 * record appended before it are delivered) lets `append(records, { deliveredThrough })` skip what
 * was already delivered.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AitrailError } from '../model/errors.js';
import { atomicWrite, openDestination, type Destination } from './destination.js';
import { buildDigest, DigestLogFileSchema, encodeDigest, encodeLogFile, HASH_ALGORITHM, type DigestLogFile } from './digest.js';
import { TrailKeys } from './keys.js';
import { digestKey, isoSeconds, logFileKey, trailArn } from './layout.js';
import { compileTrailSelectors, TrailSelectorsSchema, type RecordPredicate } from './selectors.js';

const REGION_RE = /^[a-z0-9-]{2,32}$/;

/** A trail's configuration. */
export const TrailConfigSchema = z.object({
  /** Trail name (3-128 of letters, digits, `.`, `_`, `-`, starting with a letter or digit). */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$/, 'trail names are 3-128 letters, digits, periods, underscores or dashes'),
  accountId: z.string().regex(/^\d{12}$/, 'an account id is 12 digits'),
  homeRegion: z.string().regex(REGION_RE),
  /** `s3://bucket[/prefix]`, `file:///folder` or a folder path. */
  destination: z.string().min(1),
  /** S3-compatible endpoint for `s3://` destinations. */
  endpoint: z.string().url().optional(),
  /** For folder destinations: the pseudo-bucket named in digests (default: the folder's basename). */
  bucket: z.string().min(1).optional(),
  /** Key prefix (default: the path part of an `s3://bucket/prefix` destination). */
  prefix: z.string().optional(),
  /** Organization id for organization trails (`o-…`), inserted after `AWSLogs/`. */
  organizationId: z.string().regex(/^o-[a-z0-9]{10,32}$/).optional(),
  /** Regions that get digests from the start even before they have events (the home region always does). */
  regions: z.array(z.string().regex(REGION_RE)).default([]),
  validation: z.boolean().default(true),
  deliveryIntervalMs: z.number().int().positive().default(300_000),
  maxEventsPerFile: z.number().int().positive().default(10_000),
  digestIntervalMs: z.number().int().min(1000).default(3_600_000),
  keyDir: z.string().min(1),
  stateDir: z.string().min(1),
  /** Event selectors (basic or advanced); absent means all management events. */
  selectors: TrailSelectorsSchema.optional(),
});
/** A trail's configuration (input form: defaults may be omitted). */
export type TrailConfigInput = z.input<typeof TrailConfigSchema>;
/** A trail's configuration with defaults applied. */
export type TrailConfig = z.infer<typeof TrailConfigSchema>;

const LogEntrySchema = DigestLogFileSchema.extend({ deliveredAt: z.number() });
type LogEntry = z.infer<typeof LogEntrySchema>;

const HeadSchema = z.object({ bucket: z.string(), key: z.string(), hash: z.string(), signature: z.string() });

const RegionStateSchema = z.object({
  /** Start of the next digest window (ms). */
  windowStart: z.number(),
  head: HeadSchema.nullable(),
  /** Delivered log files not yet covered by a digest. */
  uncovered: z.array(LogEntrySchema),
});
type RegionState = z.infer<typeof RegionStateSchema>;

const IntentSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('log'), region: z.string(), entry: LogEntrySchema, deliveredThrough: z.string().nullable() }),
  z.object({
    kind: z.literal('digest'),
    region: z.string(),
    head: HeadSchema,
    endTime: z.number(),
    covered: z.array(z.string()),
  }),
]);

/** The persisted writer state (`<stateDir>/trail-state.json`). */
export const TrailStateSchema = z.object({
  version: z.literal(1),
  trail: z.string(),
  logging: z.boolean(),
  validation: z.boolean(),
  deliveredThrough: z.string().nullable(),
  regions: z.record(z.string(), RegionStateSchema),
  intent: IntentSchema.nullable(),
});
/** The persisted writer state. */
export type TrailState = z.infer<typeof TrailStateSchema>;

/** What one call delivered, for the caller to persist its own progress. */
export interface DeliveryReport {
  logFiles: Array<{ key: string; region: string; events: number; lastEventId: string | null }>;
  digests: Array<{ key: string; region: string; logFiles: number; startTime: string; endTime: string }>;
  /** The high-water mark after this call (see the module comment). */
  deliveredThrough: string | null;
}

/** What `append` did with the records. */
export interface AppendReport extends DeliveryReport {
  accepted: number;
  /** Not selected by the trail's event selectors. */
  filtered: number;
  /** Skipped as already delivered (`deliveredThrough`). */
  skipped: number;
}

interface Pending {
  seq: number;
  record: Record<string, unknown>;
  /** The record's stored JSON text, when the caller has it (the file is assembled from these). */
  text?: string;
  at: number;
}

/** Options of `TrailWriter.open`. */
export interface TrailWriterOptions {
  /** The clock in epoch milliseconds (default Date.now). */
  now?: () => number;
  /** A destination to use instead of opening `config.destination`. */
  destination?: Destination;
}

/** Delivers records as CloudTrail log files and digests for one trail (see the module comment). */
export class TrailWriter {
  readonly config: TrailConfig;
  readonly destination: Destination;
  readonly arn: string;
  private readonly now: () => number;
  private readonly select: RecordPredicate;
  private readonly statePath: string;
  private keys: TrailKeys | null;
  private state: TrailState;
  private pending = new Map<string, Pending[]>();
  private seq = 0;
  private throughSeq = -1;
  private idBySeq = new Map<number, string>();
  private skipUntil: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private report: DeliveryReport = { logFiles: [], digests: [], deliveredThrough: null };

  private constructor(config: TrailConfig, destination: Destination, keys: TrailKeys | null, state: TrailState, now: () => number) {
    this.config = config;
    this.destination = destination;
    this.keys = keys;
    this.state = state;
    this.now = now;
    this.arn = trailArn(config.homeRegion, config.accountId, config.name);
    this.select = compileTrailSelectors(config.selectors);
    this.statePath = join(config.stateDir, 'trail-state.json');
  }

  /** Opens a trail: validates the config, loads keys and state, repairs an interrupted write, and starts logging. */
  static async open(input: TrailConfigInput, opts: TrailWriterOptions = {}): Promise<TrailWriter> {
    const parsed = TrailConfigSchema.safeParse(input);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw new AitrailError('CONFIG_INVALID', `trail config: ${i.path.join('.') || '(root)'}: ${i.message}`);
    }
    const config = parsed.data;
    const now = opts.now ?? Date.now;
    const destination = opts.destination ?? openDestination(config.destination, { ...(config.endpoint ? { endpoint: config.endpoint } : {}), ...(config.bucket ? { bucket: config.bucket } : {}) });
    mkdirSync(config.stateDir, { recursive: true });
    const statePath = join(config.stateDir, 'trail-state.json');
    let state: TrailState | null = null;
    if (existsSync(statePath)) {
      const p = TrailStateSchema.safeParse(JSON.parse(readFileSync(statePath, 'utf8')));
      if (!p.success) throw new AitrailError('CONFIG_INVALID', `${statePath}: not a valid trail state: ${p.error.issues[0]!.message}`);
      state = p.data;
      if (state.trail !== config.name) throw new AitrailError('CONFIG_INVALID', `${statePath} belongs to trail ${state.trail}, not ${config.name}`);
    }
    const t = sec(now());
    const keys = config.validation ? await TrailKeys.open(config.keyDir, new Date(t)) : null;
    const fresh = (): RegionState => ({ windowStart: t, head: null, uncovered: [] });
    if (!state) {
      state = { version: 1, trail: config.name, logging: true, validation: config.validation, deliveredThrough: null, regions: {}, intent: null };
    }
    const w = new TrailWriter(config, destination, keys, state, now);
    await w.recoverIntent();
    const restart = !state.logging || (config.validation && !state.validation);
    for (const [r, rs] of Object.entries(state.regions)) {
      // Logs delivered while validation was off are never digested (as in CloudTrail).
      if (restart || !config.validation) state.regions[r] = fresh();
      else state.regions[r] = rs;
    }
    for (const r of [config.homeRegion, ...config.regions]) state.regions[r] ??= fresh();
    state.logging = true;
    state.validation = config.validation;
    await w.persist();
    return w;
  }

  /** The persisted high-water mark: the eventID through which every appended record is delivered. */
  get deliveredThrough(): string | null {
    return this.state.deliveredThrough;
  }

  /** Records appended but not yet delivered. */
  get pendingCount(): number {
    let n = 0;
    for (const p of this.pending.values()) n += p.length;
    return n;
  }

  /** A copy of the persisted state (for inspection and tests). */
  snapshot(): TrailState {
    return structuredClone(this.state);
  }

  /**
   * Accepts records (grouped by `awsRegion`, filtered by the trail's selectors) and delivers any
   * region that reached `maxEventsPerFile`. With `deliveredThrough`, records up to and including
   * that eventID (in this and later calls, until it is seen) are skipped as already delivered.
   */
  append(records: readonly Record<string, unknown>[], opts: { deliveredThrough?: string | null; texts?: readonly string[] } = {}): Promise<AppendReport> {
    return this.serial(async () => {
      if (opts.deliveredThrough) this.skipUntil = opts.deliveredThrough;
      let accepted = 0;
      let filtered = 0;
      let skipped = 0;
      const at = this.now();
      for (let k = 0; k < records.length; k++) {
        const rec = records[k]!;
        const id = typeof rec.eventID === 'string' ? rec.eventID : null;
        if (this.skipUntil !== null) {
          skipped++;
          if (id === this.skipUntil) this.skipUntil = null;
          continue;
        }
        const seq = this.seq++;
        if (id !== null) this.idBySeq.set(seq, id);
        if (!this.select(rec)) {
          filtered++;
          continue;
        }
        accepted++;
        const region = typeof rec.awsRegion === 'string' && REGION_RE.test(rec.awsRegion) ? rec.awsRegion : this.config.homeRegion;
        if (this.config.validation) this.state.regions[region] ??= { windowStart: sec(at), head: null, uncovered: [] };
        let list = this.pending.get(region);
        if (!list) this.pending.set(region, (list = []));
        list.push({ seq, record: rec, text: opts.texts?.[k], at });
      }
      for (const [region, list] of this.pending) {
        while (list.length >= this.config.maxEventsPerFile) await this.deliver(region, this.config.maxEventsPerFile);
      }
      await this.advanceThrough();
      return { ...this.takeReport(), accepted, filtered, skipped };
    });
  }

  /** Delivers regions whose oldest pending record waited the delivery interval, then writes due digests. */
  tick(): Promise<DeliveryReport> {
    return this.serial(async () => {
      const now = this.now();
      for (const [region, list] of this.pending) {
        if (list.length && now - list[0]!.at >= this.config.deliveryIntervalMs) await this.deliver(region, list.length);
      }
      await this.advanceThrough();
      await this.digestsDue(sec(now));
      return this.takeReport();
    });
  }

  /** Delivers everything pending now, writes due digests, then a digest ending now for every region. */
  flush(): Promise<DeliveryReport> {
    return this.serial(async () => {
      await this.flushNow();
      return this.takeReport();
    });
  }

  /** Flushes (the final digest) and stops logging: the next open starts fresh chains. */
  stop(): Promise<DeliveryReport> {
    return this.serial(async () => {
      await this.flushNow();
      this.state.logging = false;
      for (const rs of Object.values(this.state.regions)) rs.head = null;
      await this.persist();
      return this.takeReport();
    });
  }

  /** Rotates the signing key (new key valid from now; the old key's validity ends now). */
  rotateKey(): Promise<string> {
    return this.serial(async () => {
      if (!this.keys) throw new AitrailError('USAGE', `trail ${this.config.name} has log file validation disabled`);
      return (await this.keys.rotate(new Date(sec(this.now())))).fingerprint;
    });
  }

  /** The trail's public keys in `ListPublicKeys` shape (empty when validation was never enabled). */
  async listPublicKeys(range: { StartTime?: Date; EndTime?: Date } = {}): Promise<ReturnType<TrailKeys['listPublicKeys']>> {
    const keys = this.keys ?? (existsSync(join(this.config.keyDir, 'keys.json')) ? await TrailKeys.open(this.config.keyDir) : null);
    return keys ? keys.listPublicKeys(range) : { PublicKeyList: [] };
  }

  private async flushNow(): Promise<void> {
    for (const [region, list] of this.pending) while (list.length) await this.deliver(region, Math.min(list.length, this.config.maxEventsPerFile));
    await this.advanceThrough();
    const t = sec(this.now());
    await this.digestsDue(t);
    if (!this.config.validation) return;
    for (const [region, rs] of Object.entries(this.state.regions)) {
      if (t > rs.windowStart) await this.writeDigest(region, t);
      else if (rs.uncovered.length) await this.writeDigest(region, rs.windowStart + 1000);
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private takeReport(): DeliveryReport {
    const r = { ...this.report, deliveredThrough: this.state.deliveredThrough };
    this.report = { logFiles: [], digests: [], deliveredThrough: null };
    return r;
  }

  private base() {
    return {
      prefix: this.config.prefix ?? this.destination.defaultPrefix,
      accountId: this.config.accountId,
      organizationId: this.config.organizationId,
    };
  }

  private async deliver(region: string, count: number): Promise<void> {
    const list = this.pending.get(region)!;
    const batch = list.slice(0, count);
    const records = batch.map((p) => p.record);
    const t = sec(this.now());
    const key = logFileKey({ ...this.base(), region, deliveryTime: new Date(t) });
    const { gz, hash } = await encodeLogFile(records, batch.map((p) => p.text));
    let newest: string | null = null;
    let oldest: string | null = null;
    for (const r of records) {
      const ms = typeof r.eventTime === 'string' ? Date.parse(r.eventTime) : NaN;
      if (Number.isNaN(ms)) continue;
      const s = isoSeconds(ms);
      if (newest === null || s > newest) newest = s;
      if (oldest === null || s < oldest) oldest = s;
    }
    const entry: LogEntry = {
      s3Bucket: this.destination.bucket,
      s3Object: key,
      hashValue: hash,
      hashAlgorithm: HASH_ALGORITHM,
      newestEventTime: newest,
      oldestEventTime: oldest,
      deliveredAt: t,
    };
    list.splice(0, count);
    const through = this.computeThrough();
    this.state.intent = { kind: 'log', region, entry, deliveredThrough: through.id };
    await this.persist();
    try {
      await this.destination.put(key, gz);
    } catch (e) {
      // Nothing was delivered: put the records back and forget the intent.
      list.unshift(...batch);
      this.state.intent = null;
      await this.persist();
      throw e;
    }
    this.applyLog(region, entry, through.id);
    this.state.intent = null;
    await this.persist();
    await this.advanceThrough();
    const last = records.length ? records[records.length - 1]!.eventID : null;
    this.report.logFiles.push({ key, region, events: records.length, lastEventId: typeof last === 'string' ? last : null });
  }

  private applyLog(region: string, entry: LogEntry, through: string | null): void {
    if (this.config.validation) {
      this.state.regions[region] ??= { windowStart: entry.deliveredAt, head: null, uncovered: [] };
      this.state.regions[region].uncovered.push(entry);
    }
    if (through !== null) this.state.deliveredThrough = through;
  }

  /** The mark if no record were pending beyond those already removed from the pending lists. */
  private computeThrough(): { seq: number; id: string | null } {
    let min = this.seq;
    for (const l of this.pending.values()) if (l.length && l[0]!.seq < min) min = l[0]!.seq;
    const upTo = min - 1;
    for (let s = upTo; s > this.throughSeq; s--) {
      const id = this.idBySeq.get(s);
      if (id !== undefined) return { seq: upTo, id };
    }
    return { seq: upTo, id: null };
  }

  // Filtered-out records are delivered trivially: move the mark over them without a file.
  private async advanceThrough(): Promise<void> {
    const t = this.computeThrough();
    if (t.seq <= this.throughSeq) return;
    for (const s of this.idBySeq.keys()) if (s <= t.seq) this.idBySeq.delete(s);
    this.throughSeq = t.seq;
    if (t.id !== null && t.id !== this.state.deliveredThrough) {
      this.state.deliveredThrough = t.id;
      await this.persist();
    }
  }

  private async digestsDue(now: number): Promise<void> {
    if (!this.config.validation) return;
    const iv = this.config.digestIntervalMs;
    for (const [region, rs] of Object.entries(this.state.regions)) {
      for (let b = Math.floor(rs.windowStart / iv) * iv + iv; b <= now; b += iv) await this.writeDigest(region, b);
    }
  }

  private async writeDigest(region: string, end: number): Promise<void> {
    const rs = this.state.regions[region]!;
    const signer = this.keys!.current();
    const covered = rs.uncovered.filter((e) => e.deliveredAt <= end);
    const key = digestKey({ ...this.base(), region, trailName: this.config.name, homeRegion: this.config.homeRegion, endTime: new Date(end) });
    const digest = buildDigest({
      accountId: this.config.accountId,
      startTime: rs.windowStart,
      endTime: end,
      bucket: this.destination.bucket,
      key,
      fingerprint: signer.fingerprint,
      previous: rs.head,
      logFiles: covered.map(stripDeliveredAt),
    });
    const enc = encodeDigest(digest, signer.privateKey);
    const head = { bucket: this.destination.bucket, key, hash: enc.hash, signature: enc.signature };
    this.state.intent = { kind: 'digest', region, head, endTime: end, covered: covered.map((c) => c.s3Object) };
    await this.persist();
    try {
      await this.destination.put(key, enc.gz, enc.metadata);
    } catch (e) {
      this.state.intent = null;
      await this.persist();
      throw e;
    }
    this.applyDigest(region, head, end, new Set(covered.map((c) => c.s3Object)));
    this.state.intent = null;
    await this.persist();
    this.report.digests.push({ key, region, logFiles: covered.length, startTime: digest.digestStartTime, endTime: digest.digestEndTime });
  }

  private applyDigest(region: string, head: z.infer<typeof HeadSchema>, end: number, covered: Set<string>): void {
    const rs = this.state.regions[region]!;
    rs.head = head;
    rs.windowStart = end;
    rs.uncovered = rs.uncovered.filter((e) => !covered.has(e.s3Object));
  }

  private async recoverIntent(): Promise<void> {
    const intent = this.state.intent;
    if (!intent) return;
    if (intent.kind === 'log') {
      if (await this.destination.exists(intent.entry.s3Object)) this.applyLog(intent.region, intent.entry, intent.deliveredThrough);
    } else if (await this.destination.exists(intent.head.key)) {
      this.applyDigest(intent.region, intent.head, intent.endTime, new Set(intent.covered));
    }
    this.state.intent = null;
    await this.persist();
  }

  private async persist(): Promise<void> {
    await atomicWrite(this.statePath, JSON.stringify(this.state));
  }
}

function stripDeliveredAt(e: LogEntry): DigestLogFile {
  return {
    s3Bucket: e.s3Bucket,
    s3Object: e.s3Object,
    hashValue: e.hashValue,
    hashAlgorithm: e.hashAlgorithm,
    newestEventTime: e.newestEventTime,
    oldestEventTime: e.oldestEventTime,
  };
}

function sec(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
