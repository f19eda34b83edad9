/**
 * Findings, suppressions and rule settings in the store. Merging is idempotent: rerunning a
 * detection over events already in a finding changes nothing; new matches extend the open
 * finding of the same dedup key, or start a new one when the last was resolved.
 */
import { createHash } from 'node:crypto';
import { listValue, type DuckDBValue } from '@duckdb/node-api';
import { AitrailError } from '../model/errors.js';
import type { Finding, FindingStatus, Severity } from '../model/findings.js';
import { plain } from './events.js';
import { sqlString, type Row, type Store } from './db.js';

/** Matches of one rule for one dedup key, collected during a detection run. */
export interface MatchGroup {
  ruleId: string;
  title: string;
  severity: Severity;
  attack: string[];
  dedupKey: string;
  groupKey: string | null;
  principal: string | null;
  accountId: string | null;
  region: string | null;
  events: { id: string; time: Date }[];
}

/** What a merge did. */
export interface MergeResult {
  created: number;
  extended: number;
  unchanged: number;
}

function toFinding(r: Row): Finding {
  const p = plain(r) as Record<string, unknown>;
  return {
    ...(p as unknown as Finding),
    attack: (p.attack as string[] | null) ?? [],
    eventIds: (p.eventIds as string[] | null) ?? [],
    eventCount: Number(p.eventCount),
  };
}

function parseTs(s: string): number {
  return s.includes('T') ? Date.parse(s) : Date.parse(s.replace(' ', 'T') + 'Z');
}

function ts(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** Merges detection matches into findings (see the module comment). */
export async function mergeMatches(store: Store, groups: MatchGroup[], now = new Date()): Promise<MergeResult> {
  const out: MergeResult = { created: 0, extended: 0, unchanged: 0 };
  if (groups.length === 0) return out;
  const rules = [...new Set(groups.map((g) => g.ruleId))];
  const existing = (await store.all(`SELECT * FROM findings WHERE ruleId IN (${rules.map(sqlString).join(', ')})`)).map(toFinding);
  const byKey = new Map<string, Finding[]>();
  for (const f of existing) {
    const list = byKey.get(f.dedupKey) ?? [];
    list.push(f);
    byKey.set(f.dedupKey, list);
  }
  const suppressions = await activeSuppressions(store, now);
  for (const g of groups) {
    const prior = byKey.get(g.dedupKey) ?? [];
    const known = new Set<string>();
    for (const f of prior) for (const id of f.eventIds) known.add(id);
    const fresh = g.events.filter((e) => !known.has(e.id));
    const uniq = new Map<string, Date>();
    for (const e of fresh) if (!uniq.has(e.id)) uniq.set(e.id, e.time);
    if (uniq.size === 0) {
      out.unchanged++;
      continue;
    }
    const times = [...uniq.values()].map((d) => d.getTime());
    const first = new Date(Math.min(...times));
    const last = new Date(Math.max(...times));
    const live = prior.find((f) => f.status !== 'resolved');
    if (live) {
      const ids = [...live.eventIds, ...uniq.keys()];
      const firstT = new Date(Math.min(parseTs(live.firstEventTime), first.getTime()));
      const lastT = new Date(Math.max(parseTs(live.lastEventTime), last.getTime()));
      await store.run(
        `UPDATE findings SET eventIds = ?, eventCount = ?, firstEventTime = CAST(? AS TIMESTAMP), lastEventTime = CAST(? AS TIMESTAMP), updatedAt = CAST(? AS TIMESTAMP) WHERE findingId = ?`,
        [listValue(ids), ids.length, ts(firstT), ts(lastT), ts(now), live.findingId],
      );
      live.eventIds = ids;
      live.firstEventTime = firstT.toISOString();
      live.lastEventTime = lastT.toISOString();
      out.extended++;
      continue;
    }
    const firstId = [...uniq.entries()].sort((a, b) => a[1].getTime() - b[1].getTime() || (a[0] < b[0] ? -1 : 1))[0]![0];
    const findingId = 'f-' + createHash('sha256').update(`${g.dedupKey}\n${firstId}`).digest('hex').slice(0, 20);
    const suppressed = suppressions.some((s) => s.ruleId === g.ruleId && (s.principal === null || s.principal === g.principal));
    const ids = [...uniq.keys()];
    const params: DuckDBValue[] = [
      findingId, g.ruleId, g.title, g.severity, listValue(g.attack), g.principal, g.accountId, g.region, ts(first), ts(last),
      ids.length, listValue(ids), suppressed ? 'suppressed' : 'open', g.dedupKey, g.groupKey, ts(now), ts(now),
      suppressed ? 'suppressed by an active suppression' : null,
    ];
    await store.run(
      `INSERT INTO findings (findingId, ruleId, title, severity, attack, principal, accountId, region, firstEventTime, lastEventTime,
         eventCount, eventIds, status, dedupKey, groupKey, createdAt, updatedAt, statusNote)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), ?)`,
      params,
    );
    const created: Finding = {
      findingId, ruleId: g.ruleId, title: g.title, severity: g.severity, attack: g.attack, principal: g.principal, accountId: g.accountId,
      region: g.region, firstEventTime: first.toISOString(), lastEventTime: last.toISOString(), eventCount: ids.length, eventIds: ids,
      status: suppressed ? 'suppressed' : 'open', dedupKey: g.dedupKey, groupKey: g.groupKey, createdAt: now.toISOString(), updatedAt: now.toISOString(),
      statusNote: null, statusBy: null,
    };
    byKey.set(g.dedupKey, [...prior, created]);
    out.created++;
  }
  return out;
}

/** Filters for listing findings. */
export interface FindingFilter {
  status?: FindingStatus[];
  severity?: Severity[];
  ruleId?: string;
  principal?: string;
  limit?: number;
  offset?: number;
}

/** Lists findings, most recent activity first, without their eventIds lists (see getFinding). */
export async function listFindings(store: Store, f: FindingFilter = {}): Promise<{ findings: Omit<Finding, 'eventIds'>[]; total: number }> {
  const where: string[] = [];
  const params: DuckDBValue[] = [];
  if (f.status?.length) {
    where.push(`status IN (${f.status.map(() => '?').join(', ')})`);
    params.push(...f.status);
  }
  if (f.severity?.length) {
    where.push(`severity IN (${f.severity.map(() => '?').join(', ')})`);
    params.push(...f.severity);
  }
  if (f.ruleId) {
    where.push('ruleId = ?');
    params.push(f.ruleId);
  }
  if (f.principal) {
    where.push('principal = ?');
    params.push(f.principal);
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = Number((await store.one(`SELECT count(*) AS n FROM findings ${w}`, params))!.n);
  const rows = await store.all(
    `SELECT * EXCLUDE (eventIds), [] AS eventIds FROM findings ${w}
     ORDER BY CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END DESC, lastEventTime DESC, findingId
     LIMIT ${Math.max(1, Math.min(f.limit ?? 100, 10_000))} OFFSET ${Math.max(0, f.offset ?? 0)}`,
    params,
  );
  return { findings: rows.map((r) => { const { eventIds: _e, ...rest } = toFinding(r); return rest; }), total };
}

/** One finding with all its eventIDs. */
export async function getFinding(store: Store, findingId: string): Promise<Finding | undefined> {
  const r = await store.one(`SELECT * FROM findings WHERE findingId = ?`, [findingId]);
  return r ? toFinding(r) : undefined;
}

/** Changes a finding's status (ack, resolve, reopen, suppress), recording who and why. */
export async function setFindingStatus(store: Store, findingId: string, status: FindingStatus, by: string | null, note: string | null): Promise<Finding> {
  const f = await getFinding(store, findingId);
  if (!f) throw new AitrailError('NOT_FOUND', `no finding ${findingId}`);
  await store.run(`UPDATE findings SET status = ?, statusBy = ?, statusNote = ?, updatedAt = now() WHERE findingId = ?`, [status, by, note, findingId]);
  return (await getFinding(store, findingId))!;
}

/** An active or expired suppression. */
export interface Suppression {
  suppressionId: number;
  ruleId: string;
  principal: string | null;
  reason: string | null;
  expiresAt: string | null;
  createdAt: string;
  createdBy: string | null;
}

/** Suppresses a rule's findings (for one principal, or all), until `expiresAt`; open ones are suppressed now. */
export async function addSuppression(
  store: Store,
  s: { ruleId: string; principal?: string | null; reason?: string | null; expiresAt?: Date | null; by?: string | null },
): Promise<{ suppression: Suppression; suppressedFindings: number }> {
  if (s.expiresAt && s.expiresAt.getTime() <= Date.now()) {
    throw new AitrailError('USAGE', `the suppression would already be expired (${s.expiresAt.toISOString()})`);
  }
  const row = await store.one(
    `INSERT INTO suppressions (ruleId, principal, reason, expiresAt, createdAt, createdBy)
     VALUES (?, ?, ?, CAST(? AS TIMESTAMP), now(), ?) RETURNING *`,
    [s.ruleId, s.principal ?? null, s.reason ?? null, s.expiresAt ? ts(s.expiresAt) : null, s.by ?? null],
  );
  const updated = await store.all(
    `UPDATE findings SET status = 'suppressed', statusBy = ?, statusNote = ?, updatedAt = now()
     WHERE ruleId = ? AND status IN ('open', 'acknowledged') AND (? IS NULL OR principal = ?) RETURNING findingId`,
    [s.by ?? null, `suppressed: ${s.reason ?? 'no reason given'}`, s.ruleId, s.principal ?? null, s.principal ?? null],
  );
  return { suppression: plain(row) as Suppression, suppressedFindings: updated.length };
}

/** Suppressions in force at `now`. */
export async function activeSuppressions(store: Store, now = new Date()): Promise<Suppression[]> {
  const rows = await store.all(`SELECT * FROM suppressions WHERE expiresAt IS NULL OR expiresAt > CAST(? AS TIMESTAMP) ORDER BY suppressionId`, [ts(now)]);
  return rows.map((r) => plain(r) as Suppression);
}

/** Rule enable/disable overrides. */
export async function ruleSettings(store: Store): Promise<Map<string, boolean>> {
  const rows = await store.all(`SELECT ruleId, enabled FROM rule_settings`);
  return new Map(rows.map((r) => [String(r.ruleId), Boolean(r.enabled)]));
}

/** Enables or disables a rule. */
export async function setRuleEnabled(store: Store, ruleId: string, enabled: boolean): Promise<void> {
  await store.run(`INSERT OR REPLACE INTO rule_settings VALUES (?, ?, now())`, [ruleId, enabled]);
}
