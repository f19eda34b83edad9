/**
 * Runs aitrail's trails over the store: every logging trail gets the events stored after it
 * started (pushed, ingested from AWS logs, and aitrail's own self-audit events), in insertion
 * order, through its TrailWriter. Progress lives in the writer's own crash-safe state, so after a
 * restart delivery resumes right after the last delivered event: every stored event reaches the
 * trail's log files exactly once.
 */
import { join } from 'node:path';
import type { Store } from '../store/db.js';
import { countSeqBetween, getTrail, listTrails, noteDelivery, recordsAfter, seqOfEvent, type StoredRow, type TrailRow } from '../store/trails.js';
import { TrailWriter, type DeliveryReport, type TrailConfigInput } from './writer.js';

/** The stored form of a trail's settings (what create-trail and update-trail change). */
export interface TrailSettings {
  destination: string;
  endpoint?: string;
  bucket?: string;
  prefix?: string;
  accountId: string;
  homeRegion: string;
  organizationId?: string;
  isMultiRegionTrail: boolean;
  validation: boolean;
  deliveryIntervalMs: number;
  maxEventsPerFile: number;
  digestIntervalMs: number;
  selectors?: TrailConfigInput['selectors'];
}

/** The writer configuration of a stored trail. */
export function writerConfig(dataDir: string, row: TrailRow): TrailConfigInput {
  const s = row.config as unknown as TrailSettings;
  return {
    name: row.name,
    accountId: s.accountId,
    homeRegion: s.homeRegion,
    destination: s.destination,
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    ...(s.bucket ? { bucket: s.bucket } : {}),
    ...(s.prefix !== undefined ? { prefix: s.prefix } : {}),
    ...(s.organizationId ? { organizationId: s.organizationId } : {}),
    validation: s.validation,
    deliveryIntervalMs: s.deliveryIntervalMs,
    maxEventsPerFile: s.maxEventsPerFile,
    digestIntervalMs: s.digestIntervalMs,
    keyDir: join(dataDir, 'trails', row.name, 'keys'),
    stateDir: join(dataDir, 'trails', row.name, 'state'),
    ...(s.selectors ? { selectors: s.selectors } : {}),
  };
}

interface Open {
  writer: TrailWriter;
  cursor: number;
  configJson: string;
}

/** The most fed rows kept; beyond that the oldest are dropped and read from the store instead. */
const MAX_FED = 100_000;

/** Keeps one writer per logging trail and feeds it from the store. */
export class TrailManager {
  private readonly open = new Map<string, Open>();
  private busy: Promise<unknown> = Promise.resolve();
  /** Rows the store's writer reported as committed (see `feed`), in seq order. */
  private fed: StoredRow[] = [];

  /**
   * `run` gives exclusive access to the writable store (the server's write queue, or the CLI's
   * store); `read`, when given, runs the reads of newly stored events on a connection of their
   * own, so they do not hold up writes.
   */
  constructor(
    private readonly dataDir: string,
    private readonly run: <T>(fn: (s: Store) => Promise<T>) => Promise<T>,
    private readonly now: () => number = Date.now,
    private readonly read: <T>(fn: (s: Store) => Promise<T>) => Promise<T> = run,
  ) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.busy.then(fn, fn);
    this.busy = r.catch(() => undefined);
    return r;
  }

  /** Opens writers for trails that log, closes those that stopped or were deleted or changed. */
  sync(): Promise<void> {
    return this.serial(() => this.syncNow());
  }

  private async syncNow(): Promise<void> {
    // Reads go through `read`: on the server, the write queue would also count them as writes
    // and drop the caches of every time window each second.
    const rows = await this.read((s) => listTrails(s));
    const names = new Set(rows.filter((r) => r.isLogging).map((r) => r.name));
    for (const [name, o] of this.open) {
      const row = rows.find((r) => r.name === name);
      if (!names.has(name) || JSON.stringify(row?.config) !== o.configJson) {
        this.open.delete(name);
        // A stopped or deleted trail gets its final digest; a changed one continues its chain.
        if (!names.has(name)) await this.record(name, await o.writer.stop());
      }
    }
    for (const row of rows) {
      if (!row.isLogging || this.open.has(row.name)) continue;
      const writer = await TrailWriter.open(writerConfig(this.dataDir, row), { now: this.now });
      const through = writer.deliveredThrough;
      const seq = through ? await this.read((s) => seqOfEvent(s, through)) : undefined;
      this.open.set(row.name, { writer, cursor: Math.max(row.startSeq, seq ?? 0), configJson: JSON.stringify(row.config) });
    }
  }

  /** Whether `feed` keeps rows: only while some trail logs. */
  wants(): boolean {
    return this.open.size > 0;
  }

  /**
   * Hands over rows just committed to the store (seq and stored text), in seq order, so that
   * `pump` need not read them back. Only a shortcut: `pump` uses them only after checking that
   * the store holds no other rows in their seq range, and reads the store otherwise.
   */
  feed(rows: readonly StoredRow[]): void {
    if (rows.length === 0) return;
    if (!this.wants()) {
      this.fed = [];
      return;
    }
    for (const r of rows) this.fed.push(r);
    if (this.fed.length > MAX_FED) this.fed = this.fed.slice(this.fed.length - MAX_FED);
  }

  /**
   * The stored events after seq `after`, in seq order: the fed rows when they are exactly the
   * store's rows in their seq range and follow `after` without a gap, else a page read from the
   * store.
   */
  private async rowsAfter(after: number): Promise<{ seq: number; record: Record<string, unknown>; text: string }[]> {
    const later = (seq: number) => this.fed.findIndex((r) => r.seq > seq);
    const from = later(after);
    this.fed = from < 0 ? [] : this.fed.slice(from);
    // A copy: rows fed while the check runs join the next round.
    const rows = this.fed.slice();
    if (rows.length > 0) {
      const through = rows[rows.length - 1]!.seq;
      if ((await this.read((s) => countSeqBetween(s, after, through))) === rows.length) {
        const rest = later(through);
        this.fed = rest < 0 ? [] : this.fed.slice(rest);
        return rows.map((r) => ({ seq: r.seq, record: (r.record ?? JSON.parse(r.text)) as Record<string, unknown>, text: r.text }));
      }
    }
    return this.read((s) => recordsAfter(s, after, 5000));
  }

  /** Appends newly stored events to every logging trail, then delivers what is due. */
  pump(): Promise<void> {
    return this.serial(async () => {
      await this.syncNow();
      if (this.open.size === 0) return;
      const from = Math.min(...[...this.open.values()].map((o) => o.cursor));
      for (let after = from; ; ) {
        const page = await this.rowsAfter(after);
        if (page.length === 0) break;
        for (const [name, o] of this.open) {
          const fresh = page.filter((p) => p.seq > o.cursor);
          if (fresh.length === 0) continue;
          await this.record(name, await o.writer.append(fresh.map((p) => p.record), { texts: fresh.map((p) => p.text) }));
          o.cursor = page[page.length - 1]!.seq;
        }
        after = page[page.length - 1]!.seq;
      }
      for (const [name, o] of this.open) await this.record(name, await o.writer.tick());
    });
  }

  /** Delivers everything pending for one trail now, with a digest ending now. */
  flush(name: string): Promise<DeliveryReport> {
    return this.serial(async () => {
      await this.syncNow();
      const o = this.open.get(name);
      if (!o) {
        await this.run((s) => getTrail(s, name));
        return { logFiles: [], digests: [], deliveredThrough: null };
      }
      for (let after = o.cursor; ; ) {
        const page = await this.read((s) => recordsAfter(s, after, 5000));
        if (page.length === 0) break;
        await this.record(name, await o.writer.append(page.map((p) => p.record), { texts: page.map((p) => p.text) }));
        o.cursor = after = page[page.length - 1]!.seq;
      }
      const report = await o.writer.flush();
      await this.record(name, report);
      return report;
    });
  }

  /** The writer of a logging trail (opening it if needed). */
  async writer(name: string): Promise<TrailWriter | undefined> {
    await this.sync();
    return this.open.get(name)?.writer;
  }

  private async record(name: string, r: DeliveryReport): Promise<void> {
    const logFile = r.logFiles.at(-1)?.key;
    const digest = r.digests.at(-1)?.key;
    if (logFile || digest) await this.run((s) => noteDelivery(s, name, { logFile, digest, error: null }));
  }

  /** Stops feeding; writers keep their state (pending events are re-read from the store next time). */
  async close(): Promise<void> {
    await this.busy;
    this.open.clear();
  }
}
