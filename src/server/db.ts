/**
 * The server's access to the store: a small pool of read connections used concurrently, and
 * one write connection whose work is serialized. Push ingest batches are group-committed so
 * that many small requests share one transaction.
 */
import type { Store } from '../store/db.js';
import { outOfMemory } from '../store/events.js';
import { loadRecords, type RecordOutcome } from '../ingest/records.js';
import type { StoredRow } from '../store/trails.js';

/** A read pool plus a serialized writer over one store. */
export class StoreAccess {
  private readonly idle: Store[] = [];
  private readonly waiting: ((s: Store) => void)[] = [];
  private writeChain: Promise<unknown> = Promise.resolve();
  private pending: { channel: string; texts: string[]; records?: readonly object[]; minTime: number; resolve: (o: RecordOutcome[]) => void; reject: (e: unknown) => void }[] = [];
  /** Recent writes: the version each produced and the oldest eventTime it could have added (-Infinity: anything may have changed). */
  private readonly writes: { version: number; minTime: number }[] = [];
  private flushing = false;
  /** Grows with every write, so caches can tell when data changed. */
  version = 0;
  /**
   * Takes, after each pushed batch is committed, the rows it stored (seq and stored text) in seq
   * order, so trails need not read them back from the store; only while `wants()` says so (the
   * rows' seqs then come back from the insert).
   */
  storedListener?: { wants(): boolean; feed(rows: StoredRow[]): void };

  private constructor(readonly primary: Store, readers: Store[]) {
    this.idle.push(...readers);
  }

  /** Opens `readers` extra connections on the store. */
  static async create(primary: Store, readers = 4): Promise<StoreAccess> {
    const forks: Store[] = [];
    for (let i = 0; i < readers; i++) forks.push(await primary.fork());
    return new StoreAccess(primary, forks);
  }

  /** Runs `fn` with a read connection of its own. */
  async read<T>(fn: (s: Store) => Promise<T>): Promise<T> {
    const s = this.idle.pop() ?? (await new Promise<Store>((r) => this.waiting.push(r)));
    try {
      return await fn(s);
    } catch (e) {
      throw outOfMemory(e) ?? e;
    } finally {
      const next = this.waiting.shift();
      if (next) next(s);
      else this.idle.push(s);
    }
  }

  /**
   * Runs `fn` on the write connection, after every write queued before it. `minTime` (epoch ms)
   * says the write only added events at or after that eventTime; without it, any data may change.
   */
  write<T>(fn: (s: Store) => Promise<T>, minTime = -Infinity): Promise<T> {
    const run = this.writeChain.then(() => fn(this.primary)).finally(() => {
      this.version++;
      this.writes.push({ version: this.version, minTime: Number.isNaN(minTime) ? -Infinity : minTime });
      if (this.writes.length > 1000) this.writes.shift();
    });
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  /** True when no write after `version` can have changed data with eventTime at or before `time` (epoch ms). */
  unchangedThrough(version: number, time: number): boolean {
    if (version === this.version) return true;
    const first = this.writes[0];
    if (!first || first.version > version + 1) return false;
    for (const w of this.writes) if (w.version > version && w.minTime <= time) return false;
    return true;
  }

  /**
   * Loads records for a channel; concurrent calls are committed together in one transaction.
   * Resolves once the records are durably stored. `records`, when given, are `texts` parsed
   * (handed to `storedListener` so trails need not parse them again).
   */
  push(channel: string, texts: string[], minTime = -Infinity, records?: readonly object[]): Promise<RecordOutcome[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ channel, texts, records, minTime, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    let last = 0;
    try {
      while (this.pending.length > 0) {
        // Group commit: a commit has a fixed cost of about 20 ms (100 events take 18–21 ms,
        // 2,000 take 50–58 ms), so when fewer are waiting than went into the last commit, the
        // clients just answered are probably sending their next requests: give them up to 20 ms
        // to join. (Starting as soon as half were back, 20 clients pushed 21,858–22,690 events/s
        // against 24,412–25,430 this way; starting at once, 17,860–18,118.)
        for (let waited = 0; waited < 20 && this.pendingEvents() < last; waited++) await new Promise((r) => setTimeout(r, 1));
        const batch = this.pending;
        this.pending = [];
        const byChannel = new Map<string, typeof batch>();
        for (const p of batch) byChannel.set(p.channel, [...(byChannel.get(p.channel) ?? []), p]);
        for (const [channel, parts] of byChannel) {
          try {
            const texts = parts.flatMap((p) => p.texts);
            last = texts.length;
            const minTime = Math.min(...parts.map((p) => p.minTime));
            const listener = this.storedListener?.wants() ? this.storedListener : undefined;
            const { outcomes } = await this.write((s) => loadRecords(s, channel, texts, undefined, { withSeq: listener !== undefined }), minTime);
            if (listener) {
              const records = parts.flatMap((p) => p.records ?? p.texts.map(() => undefined));
              const rows: StoredRow[] = [];
              outcomes.forEach((o, i) => {
                if (o.seq !== undefined && o.text !== undefined) rows.push({ seq: o.seq, text: o.text, record: records[i] });
              });
              listener.feed(rows.sort((a, b) => a.seq - b.seq));
            }
            let k = 0;
            for (const p of parts) {
              p.resolve(outcomes.slice(k, k + p.texts.length).map((o, i) => ({ ...o, index: i })));
              k += p.texts.length;
            }
          } catch (e) {
            for (const p of parts) p.reject(e);
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private pendingEvents(): number {
    let n = 0;
    for (const p of this.pending) n += p.texts.length;
    return n;
  }

  /** Waits for queued writes, then closes the read connections. */
  async close(): Promise<void> {
    while (this.flushing || this.pending.length) await new Promise((r) => setTimeout(r, 10));
    await this.writeChain;
    for (const s of this.idle) await s.close();
  }
}
