/**
 * Self-audit: every API call and console action becomes a CloudTrail-shaped event
 * (eventSource `aitrail.local`) in the same store, so "who looked at what" is searchable and
 * detectable like any other activity. Events are batched and committed within about a second.
 */
import { randomUUID } from 'node:crypto';
import type { Principal } from './auth.js';
import type { StoreAccess } from './db.js';

/** The eventSource of aitrail's own events. */
export const AITRAIL_EVENT_SOURCE = 'aitrail.local';

/** One audited call. */
export interface AuditEntry {
  eventName: string;
  principal: Principal | undefined;
  sourceIPAddress: string;
  userAgent: string | undefined;
  readOnly: boolean;
  requestParameters: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  errorCode?: string;
  errorMessage?: string;
  eventType?: 'AwsApiCall' | 'AwsConsoleSignIn';
  time?: Date;
}

/** Builds the CloudTrail-shaped record of an audited call. */
export function auditRecord(e: AuditEntry): Record<string, unknown> {
  const p = e.principal;
  const t = (e.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const rec: Record<string, unknown> = {
    eventVersion: '1.11',
    userIdentity: p
      ? {
          type: 'AitrailToken',
          principalId: p.tokenId,
          arn: `arn:aitrail:iam::local:token/${p.name}`,
          accountId: 'aitrail',
          accessKeyId: p.tokenId,
          userName: p.name,
          sessionContext: { attributes: { mfaAuthenticated: 'false' }, role: p.role },
        }
      : { type: 'Unknown', principalId: 'anonymous' },
    eventTime: t,
    eventSource: AITRAIL_EVENT_SOURCE,
    eventName: e.eventName,
    awsRegion: 'local',
    sourceIPAddress: e.sourceIPAddress,
    userAgent: e.userAgent ?? '',
    requestParameters: e.requestParameters,
    responseElements: e.responseElements ?? null,
    requestID: randomUUID(),
    eventID: randomUUID(),
    readOnly: e.readOnly,
    eventType: e.eventType ?? 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: 'aitrail',
    eventCategory: 'Management',
  };
  if (p?.via === 'session') rec.sessionCredentialFromConsole = 'true';
  if (e.errorCode) {
    rec.errorCode = e.errorCode;
    rec.errorMessage = e.errorMessage ?? '';
  }
  return rec;
}

/** Buffers audit events and commits them through the store's push path. */
export class Auditor {
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<unknown> = Promise.resolve();
  /** Called with each record as it is produced (trails subscribe here). */
  onRecord?: (rec: Record<string, unknown>) => void;

  constructor(private readonly access: StoreAccess, private readonly intervalMs = 500) {}

  /** Records one call. */
  record(e: AuditEntry): Record<string, unknown> {
    const rec = auditRecord(e);
    this.buffer.push(JSON.stringify(rec));
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
    this.buffer = [];
    if (texts.length) this.inflight = this.inflight.then(() => this.access.push('audit:aitrail', texts)).catch((e) => {
      process.stderr.write(`aitrail: could not store ${texts.length} self-audit events: ${(e as Error).message}\n`);
    });
    await this.inflight;
  }
}
