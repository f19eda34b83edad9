/**
 * Push ingest with the request and response shapes of CloudTrail Lake's PutAuditEvents:
 * `auditEvents: [{id, eventData, eventDataChecksum?}]`, at most 100 events or 1 MB per call,
 * and `successful` / `failed` lists with per-event error codes. An event is acknowledged only
 * once it is committed to the store.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { AitrailError } from '../model/errors.js';
import { duplicateMember } from '../ingest/formats.js';
import type { Principal } from './auth.js';
import type { StoreAccess } from './db.js';

/** Limits of one call, as in PutAuditEvents. */
export const PUSH_LIMITS = { maxEvents: 100, maxBytes: 1024 * 1024, maxEventBytes: 256 * 1024 };

/** The request body. */
export const PutAuditEventsRequestSchema = z
  .object({
    auditEvents: z.array(z.object({ id: z.string().min(1).max(128), eventData: z.string(), eventDataChecksum: z.string().optional() })).min(1),
    channelArn: z.string().optional(),
    externalId: z.string().optional(),
  })
  .openapi('PutAuditEventsRequest');

/** The response body. */
export const PutAuditEventsResponseSchema = z
  .object({
    successful: z.array(z.object({ id: z.string(), eventID: z.string() })),
    failed: z.array(z.object({ id: z.string(), errorCode: z.string(), errorMessage: z.string() })),
  })
  .openapi('PutAuditEventsResponse');

type Req = z.infer<typeof PutAuditEventsRequestSchema>;
type Res = z.infer<typeof PutAuditEventsResponseSchema>;

/** Validates, stores and answers one PutAuditEvents call. */
/**
 * A lower bound of the eventTime the store will give a record (epoch ms): a day of margin covers
 * timestamps without a zone, which the store and Date.parse may read differently.
 */
function timeOf(rec: Record<string, unknown>): number {
  const t = typeof rec.eventTime === 'string' ? Date.parse(rec.eventTime) : NaN;
  return Number.isNaN(t) ? -Infinity : t - 86_400_000;
}

export async function putAuditEvents(access: StoreAccess, req: Req, principal: Principal): Promise<Res> {
  if (req.auditEvents.length > PUSH_LIMITS.maxEvents) {
    throw new AitrailError('TOO_MANY_EVENTS', `at most ${PUSH_LIMITS.maxEvents} audit events per call, got ${req.auditEvents.length}`);
  }
  const total = req.auditEvents.reduce((a, e) => a + Buffer.byteLength(e.eventData), 0);
  if (total > PUSH_LIMITS.maxBytes) throw new AitrailError('PAYLOAD_TOO_LARGE', `at most ${PUSH_LIMITS.maxBytes} bytes of eventData per call, got ${total}`);
  const failed: Res['failed'] = [];
  const accepted: { id: string; text: string; record: Record<string, unknown>; eventID: string; time: number }[] = [];
  const seen = new Set<string>();
  for (const e of req.auditEvents) {
    if (seen.has(e.id)) {
      failed.push({ id: e.id, errorCode: 'DuplicateId', errorMessage: `id ${e.id} appears more than once in this call` });
      continue;
    }
    seen.add(e.id);
    if (Buffer.byteLength(e.eventData) > PUSH_LIMITS.maxEventBytes) {
      failed.push({ id: e.id, errorCode: 'EventTooLarge', errorMessage: `eventData is larger than ${PUSH_LIMITS.maxEventBytes} bytes` });
      continue;
    }
    if (e.eventDataChecksum !== undefined) {
      const sum = createHash('sha256').update(e.eventData).digest('hex');
      if (sum.toLowerCase() !== e.eventDataChecksum.toLowerCase()) {
        failed.push({ id: e.id, errorCode: 'InvalidChecksum', errorMessage: 'eventDataChecksum is not the SHA-256 of eventData' });
        continue;
      }
    }
    let data: unknown;
    try {
      data = JSON.parse(e.eventData);
    } catch (err) {
      failed.push({ id: e.id, errorCode: 'InvalidEventData', errorMessage: `eventData is not JSON: ${(err as Error).message}` });
      continue;
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      failed.push({ id: e.id, errorCode: 'InvalidEventData', errorMessage: 'eventData must be a JSON object' });
      continue;
    }
    const dup = duplicateMember(e.eventData);
    if (dup) {
      // DuckDB (typed columns, detections) would read the first value and JSON readers the last.
      failed.push({ id: e.id, errorCode: 'InvalidEventData', errorMessage: `eventData names the member '${dup.name}' twice in ${dup.path}; readers would disagree on its value` });
      continue;
    }
    const rec = data as Record<string, unknown>;
    if (typeof rec.eventID === 'string' && rec.eventTime !== undefined && rec.recipientAccountId !== undefined) {
      // Complete as sent: store the caller's exact text.
      accepted.push({ id: e.id, text: e.eventData, record: rec, eventID: rec.eventID, time: timeOf(rec) });
      continue;
    }
    // Lake's schema names the event id UID; keep whatever the caller sent and add an eventID.
    if (typeof rec.eventID !== 'string') rec.eventID = typeof rec.UID === 'string' ? rec.UID : randomUUID();
    rec.eventTime ??= new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    rec.recipientAccountId ??= 'aitrail';
    accepted.push({ id: e.id, text: JSON.stringify(rec), record: rec, eventID: rec.eventID as string, time: timeOf(rec) });
  }
  const successful: Res['successful'] = [];
  if (accepted.length) {
    // The oldest eventTime in the call lets caches of older time windows survive the write.
    let minTime = Infinity;
    for (const a of accepted) minTime = Math.min(minTime, a.time);
    const outcomes = await access.push(`push:${req.channelArn ?? principal.name}`, accepted.map((a) => a.text), minTime, accepted.map((a) => a.record));
    outcomes.forEach((o, i) => {
      const a = accepted[i]!;
      if (o.status === 'rejected') failed.push({ id: a.id, errorCode: 'InvalidEventData', errorMessage: o.reason ?? 'rejected' });
      else successful.push({ id: a.id, eventID: o.eventId ?? a.eventID });
    });
  }
  return { successful, failed };
}
