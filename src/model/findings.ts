/**
 * Findings, their statuses and severities, as zod schemas with inferred types.
 */
import { z } from 'zod';

/** Rule and finding severities (Sigma's levels). */
export const SeveritySchema = z.enum(['informational', 'low', 'medium', 'high', 'critical']);
/** One severity. */
export type Severity = z.infer<typeof SeveritySchema>;

/** Severity order, for sorting and thresholds. */
export const SEVERITY_RANK: Record<Severity, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** The life cycle of a finding. */
export const FindingStatusSchema = z.enum(['open', 'acknowledged', 'resolved', 'suppressed']);
/** One status. */
export type FindingStatus = z.infer<typeof FindingStatusSchema>;

/** A finding as stored and returned by the API. */
export const FindingSchema = z.object({
  findingId: z.string(),
  ruleId: z.string(),
  title: z.string(),
  severity: SeveritySchema,
  attack: z.array(z.string()),
  principal: z.string().nullable(),
  accountId: z.string().nullable(),
  region: z.string().nullable(),
  firstEventTime: z.string(),
  lastEventTime: z.string(),
  eventCount: z.number().int(),
  eventIds: z.array(z.string()),
  status: FindingStatusSchema,
  dedupKey: z.string(),
  groupKey: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  statusNote: z.string().nullable(),
  statusBy: z.string().nullable(),
});
/** One finding. */
export type Finding = z.infer<typeof FindingSchema>;

/** Extracts ATT&CK technique ids (`T1562.008`) from Sigma tags (`attack.t1562.008`). */
export function attackIds(tags: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of tags) {
    const m = /^attack\.(t\d{4}(?:\.\d{3})?)$/i.exec(t);
    if (m) out.push(m[1]!.toUpperCase());
  }
  return out;
}
