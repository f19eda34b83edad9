/**
 * Self-audit: every API call and console action becomes a CloudTrail-shaped event
 * (eventSource `aitrail.local`) in the same store, so "who looked at what" is searchable and
 * detectable like any other activity. Events are batched and committed within about a second.
 *
 * Audit events are never dropped because storing them failed (a query holding the store's
 * memory makes a concurrent insert fail with DuckDB's "Out of Memory", for instance): a batch
 * that fails stays queued, in order, and is retried with backoff until it is stored. While any
 * are queued they are also kept on disk in `<data-dir>/audit-pending.jsonl` (one record a line),
 * so a server that stops or crashes before storing them stores them when it starts again
 * (`recover()`). A retry of a batch that was in fact committed finds its records as duplicates.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoreAccess } from './db.js';
import { auditRecord, type AuditEntry } from '../model/audit.js';

export { AITRAIL_EVENT_SOURCE, auditRecord, type AuditEntry } from '../model/audit.js';

/** The push channel audit events are stored under. */
const CHANNEL = 'audit:aitrail';
/** The file that keeps audit events not stored yet, in the data directory. */
export const PENDING_AUDIT_FILE = 'audit-pending.jsonl';

interface Batch {
  texts: string[];
  records?: Record<string, unknown>[];
  minTime: number;
}

/** Buffers audit events and commits them through the store's push path. */
export class Auditor {
  private buffer: string[] = [];
  private records: Record<string, unknown>[] = [];
  private bufferMinTime = Infinity;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<unknown> = Promise.resolve();
  /** Batches taken from the buffer and not stored yet, oldest first. */
  private pending: Batch[] = [];
  /** Consecutive failed attempts (drives the retry backoff). */
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** True while `pendingFile` holds events (written on failure, removed once all are stored). */
  private onDisk = false;
  private closed = false;
  /** Called with each record as it is produced (trails subscribe here). */
  onRecord?: (rec: Record<string, unknown>) => void;
  /** Where failures are reported. */
  log: (line: string) => void = (line) => process.stderr.write(line + '\n');

  constructor(private readonly access: StoreAccess, private readonly intervalMs = 500) {}

  /** The file that keeps the events not stored yet. */
  get pendingFile(): string {
    return join(this.access.primary.dataDir, PENDING_AUDIT_FILE);
  }

  /** How many events wait to be stored (after a failure). */
  get pendingCount(): number {
    return this.pending.reduce((n, b) => n + b.texts.length, 0);
  }

  /** Records one call. */
  record(e: AuditEntry): Record<string, unknown> {
    const rec = auditRecord(e);
    this.buffer.push(JSON.stringify(rec));
    this.records.push(rec);
    this.bufferMinTime = Math.min(this.bufferMinTime, Date.parse(String(rec.eventTime)));
    this.onRecord?.(rec);
    if (this.buffer.length >= 500) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
    return rec;
  }

  /**
   * Commits what is buffered now (and whatever earlier failed). Resolves once stored, or once
   * the attempt failed: the events then stay queued (and on disk) and are retried.
   */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length) {
      // The oldest eventTime in the batch (to the second) lets caches of older windows survive it.
      this.pending.push({ texts: this.buffer, records: this.records, minTime: this.bufferMinTime - 1000 });
      this.buffer = [];
      this.records = [];
      this.bufferMinTime = Infinity;
    }
    if (this.pending.length) this.inflight = this.inflight.then(() => this.drain());
    await this.inflight;
  }

  /**
   * Queues the events a previous run kept in the pending file and stores them (called when the
   * server starts, before it serves). The file stays until they are stored.
   */
  async recover(): Promise<number> {
    let text: string;
    try {
      text = await readFile(this.pendingFile, 'utf8');
    } catch {
      return 0;
    }
    const texts = text.split('\n').filter((l) => l.trim() !== '');
    if (texts.length === 0) {
      await rm(this.pendingFile, { force: true });
      return 0;
    }
    this.onDisk = true;
    // Ahead of anything recorded since: they happened before.
    this.pending.unshift({ texts, minTime: -Infinity });
    await this.flush();
    return texts.length;
  }

  /**
   * Stops retrying on a timer and makes a last few attempts (the server has stopped serving, so
   * nothing else competes for the store); what still fails stays in the pending file.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const pause of [0, 100, 500]) {
      if (pause) await new Promise((r) => setTimeout(r, pause));
      await this.flush();
      if (this.pending.length === 0) return;
    }
    this.log(`aitrail: ${this.pendingCount} self-audit events are kept in ${this.pendingFile}; they are stored when the server starts again`);
  }

  /** Stores the queued batches in order; on a failure keeps them (in memory and on disk) and schedules a retry. */
  private async drain(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending[0]!;
      try {
        await this.access.push(CHANNEL, batch.texts, batch.minTime, batch.records);
      } catch (e) {
        this.failures++;
        const n = this.pendingCount;
        const kept = await this.keepOnDisk();
        const delay = Math.min(10_000, 250 * 2 ** Math.min(this.failures - 1, 6));
        this.log(
          `aitrail: could not store ${n} self-audit event${n === 1 ? '' : 's'} (attempt ${this.failures}): ${firstLine(e)}; ` +
            `${kept ? `kept in ${this.pendingFile}` : 'kept in memory'}${this.closed ? '' : `, retrying in ${delay} ms`}`,
        );
        if (!this.closed && !this.retryTimer) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            void this.flush();
          }, delay);
          // A server keeps running on its own; close() makes the last attempts.
          this.retryTimer.unref();
        }
        return;
      }
      this.pending.shift();
      if (this.onDisk && this.pending.length) await this.keepOnDisk();
    }
    if (this.failures) this.log(`aitrail: self-audit events stored after ${this.failures} failed attempt${this.failures === 1 ? '' : 's'}`);
    this.failures = 0;
    if (this.onDisk) {
      await rm(this.pendingFile, { force: true }).catch(() => undefined);
      this.onDisk = false;
    }
  }

  /** Writes every queued event to the pending file (replacing it whole); says whether it could. */
  private async keepOnDisk(): Promise<boolean> {
    const file = this.pendingFile;
    const tmp = `${file}.tmp`;
    try {
      await writeFile(tmp, this.pending.flatMap((b) => b.texts).join('\n') + '\n', { mode: 0o600 });
      await rename(tmp, file);
      this.onDisk = true;
      return true;
    } catch {
      return false;
    }
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}
