/**
 * Self-audit: every API call and console action becomes a CloudTrail-shaped event
 * (eventSource `aitrail.local`) in the same store, so "who looked at what" is searchable and
 * detectable like any other activity. Events are batched and committed within about a second.
 */
import type { StoreAccess } from './db.js';
import { auditRecord, type AuditEntry } from '../model/audit.js';

export { AITRAIL_EVENT_SOURCE, auditRecord, type AuditEntry } from '../model/audit.js';

/** Buffers audit events and commits them through the store's push path. */
export class Auditor {
  private buffer: string[] = [];
  private records: Record<string, unknown>[] = [];
  private bufferMinTime = Infinity;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<unknown> = Promise.resolve();
  /** Called with each record as it is produced (trails subscribe here). */
  onRecord?: (rec: Record<string, unknown>) => void;

  constructor(private readonly access: StoreAccess, private readonly intervalMs = 500) {}

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

  /** Commits what is buffered now. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const texts = this.buffer;
    const records = this.records;
    this.buffer = [];
    this.records = [];
    // The oldest eventTime in the batch (to the second) lets caches of older windows survive it.
    const minTime = this.bufferMinTime - 1000;
    this.bufferMinTime = Infinity;
    if (texts.length) this.inflight = this.inflight.then(() => this.access.push('audit:aitrail', texts, minTime, records)).catch((e) => {
      process.stderr.write(`aitrail: could not store ${texts.length} self-audit events: ${(e as Error).message}\n`);
    });
    await this.inflight;
  }
}
