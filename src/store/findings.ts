/**
 * Findings, suppressions and rule settings in the store. Merging is idempotent: rerunning a
 * detection over events already in a finding changes nothing; new matches extend the open
 * finding of the same dedup key, or start a new one when the last was resolved.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import { AitrailError } from '../model/errors.js';
import type { Finding, FindingStatus, Severity } from '../model/findings.js';
import { plain } from './events.js';
import { type Row, type Store } from './db.js';
import { sqlTime } from '../query/lookup.js';
import { JsonlSink } from './jsonl.js';

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
  /** Matched events: eventID and eventTime in epoch milliseconds. */
  events: { id: string; time: number }[];
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

/**
 * Merges detection matches into findings (see the module comment). The comparison with the
 * eventIDs findings already hold happens inside DuckDB, so memory does not grow with them.
 */
export async function mergeMatches(store: Store, groups: MatchGroup[], now = new Date()): Promise<MergeResult> {
  if (groups.length === 0) return { created: 0, extended: 0, unchanged: 0 };
  const dir = join(store.dataDir, 'tmp');
  await fsp.mkdir(dir, { recursive: true });
  const stamp = `${process.pid}-${Date.now()}`;
  // Each group's description once, its matches as (group, eventID, time) lines.
  const described = new JsonlSink(join(dir, `match-groups-${stamp}.jsonl`));
  const matches = new JsonlSink(join(dir, `matches-${stamp}.jsonl`));
  try {
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      await described.add(JSON.stringify({ g: i, r: g.ruleId, k: g.dedupKey, gk: g.groupKey, ti: g.title, sv: g.severity, at: g.attack, p: g.principal, a: g.accountId, rg: g.region }));
      for (const e of g.events) await matches.add(`{"g":${i},"e":${JSON.stringify(e.id)},"t":${e.time}}`);
    }
    // Matches stay narrow (group number, eventID, time); a group's description joins per group.
    await store.run(`CREATE OR REPLACE TEMP TABLE pg AS
      SELECT * FROM (${await described.relation({ g: 'INTEGER', r: 'VARCHAR', k: 'VARCHAR', gk: 'VARCHAR', ti: 'VARCHAR', sv: 'VARCHAR', at: 'VARCHAR[]', p: 'VARCHAR', a: 'VARCHAR', rg: 'VARCHAR' })})
        g(gi, ruleId, dedupKey, groupKey, title, severity, attack, principal, accountId, region)`);
    await store.run(`CREATE OR REPLACE TEMP TABLE pm AS SELECT * FROM (${await matches.relation({ g: 'INTEGER', e: 'VARCHAR', t: 'BIGINT' })}) m(gi, eventId, t)`);
    return await mergeStaged(store, groups.filter((g) => g.events.length > 0).length, now);
  } finally {
    await described.remove();
    await matches.remove();
  }
}

/** A single-event rule whose matches a query over `event_store` finds (see `mergeMatchQuery`). */
export interface MatchQueryRule {
  ruleId: string;
  title: string;
  severity: Severity;
  attack: string[];
}

/**
 * Merges matches found by a query, without them passing through JavaScript. `matchSql` yields
 * (rule INTEGER, rid BIGINT): an index into `rules` and the rowid of a matching event. Matches
 * are grouped as the detection runner groups them: per rule, principal (ARN, else invokedBy,
 * else principal id, else username) and account, with the region of the group's first event.
 */
export async function mergeMatchQuery(store: Store, rules: MatchQueryRule[], matchSql: string, now = new Date()): Promise<{ merge: MergeResult; matches: number }> {
  const meta = JSON.stringify(rules.map((r, i) => ({ i, r: r.ruleId, ti: r.title, sv: r.severity, at: r.attack })));
  // The same keys and times the runner gives matches it collects itself: eventTime at
  // millisecond precision, a missing eventID as ''. The group's first event is the first in
  // the runner's order (eventTime, eventID with missing ones last, insertion).
  await store.run(
    `CREATE OR REPLACE TEMP TABLE qk AS
    SELECT rule, coalesce(eventId, '') AS eventId, eventId AS rawId, epoch_ms(eventTime) AS t, eventTime, seq, awsRegion, accountId, principal,
      m.r || '|' || coalesce(principal, '') || '|' || coalesce(accountId, '') AS dedupKey
    FROM (
      SELECT q.rule, e.eventId, e.eventTime, e.seq, e.awsRegion, e.accountId,
        coalesce(e.userIdentityArn, e.userIdentityInvokedBy, e.userIdentityPrincipalId, e.username) AS principal
      FROM (${matchSql}) q JOIN event_store e ON e.rowid = q.rid) qm
    JOIN (SELECT unnest(from_json(CAST(? AS VARCHAR), '[{"i":"INTEGER","r":"VARCHAR"}]'), recursive := true)) m ON m.i = qm.rule`,
    [meta],
  );
  try {
    const n = Number((await store.one('SELECT count(*) AS n FROM qk'))!.n);
    if (n === 0) return { merge: { created: 0, extended: 0, unchanged: 0 }, matches: 0 };
    await store.run(
      `CREATE OR REPLACE TEMP TABLE pg AS
      SELECT CAST(row_number() OVER (ORDER BY k.dedupKey) - 1 AS INTEGER) AS gi, m.r AS ruleId, k.dedupKey, NULL::VARCHAR AS groupKey,
        m.ti AS title, m.sv AS severity, m.at AS attack, k.principal, k.accountId, k.region
      FROM (SELECT dedupKey, any_value(rule) AS rule, first(principal ORDER BY eventTime, rawId, seq) AS principal,
              first(accountId ORDER BY eventTime, rawId, seq) AS accountId, first(awsRegion ORDER BY eventTime, rawId, seq) AS region
            FROM qk GROUP BY dedupKey) k
      JOIN (SELECT unnest(from_json(CAST(? AS VARCHAR), '[{"i":"INTEGER","r":"VARCHAR","ti":"VARCHAR","sv":"VARCHAR","at":["VARCHAR"]}]'), recursive := true)) m ON m.i = k.rule`,
      [meta],
    );
    await store.run(`CREATE OR REPLACE TEMP TABLE pm AS SELECT pg.gi, qk.eventId, qk.t FROM qk JOIN pg USING (dedupKey)`);
    const groups = Number((await store.one('SELECT count(*) AS n FROM pg'))!.n);
    return { merge: await mergeStaged(store, groups, now), matches: n };
  } finally {
    await store.run('DROP TABLE IF EXISTS qk');
  }
}

/**
 * The merge itself, over the temp tables `pg` (one row per group: gi, ruleId, dedupKey,
 * groupKey, title, severity, attack, principal, accountId, region) and `pm` (gi, eventId, t in
 * epoch milliseconds). `keys` is the number of groups with matches.
 */
async function mergeStaged(store: Store, keys: number, now: Date): Promise<MergeResult> {
  const out: MergeResult = { created: 0, extended: 0, unchanged: 0 };
  try {
    // Each group is one dedup key: a key's eventIDs once each (at their first time), minus those
    // its findings already hold.
    await store.run(`CREATE OR REPLACE TEMP TABLE fresh AS
      SELECT p.gi, p.eventId, p.eventTime FROM (
        SELECT gi, eventId, min(epoch_ms(t)) AS eventTime FROM pm GROUP BY gi, eventId) p
      JOIN pg USING (gi)
      WHERE NOT EXISTS (
        SELECT 1 FROM (SELECT dedupKey, unnest(eventIds) AS eventId FROM findings WHERE dedupKey IN (SELECT dedupKey FROM pg)) k
        WHERE k.dedupKey = pg.dedupKey AND k.eventId = p.eventId)`);
    await store.run(`CREATE OR REPLACE TEMP TABLE agg AS
      SELECT g.dedupKey, g.ruleId, g.groupKey, g.title, g.severity, g.attack, g.principal, g.accountId, g.region, f.ids, f.firstT, f.lastT
      FROM (SELECT gi, list(eventId ORDER BY eventTime, eventId) AS ids, min(eventTime) AS firstT, max(eventTime) AS lastT FROM fresh GROUP BY gi) f
      JOIN pg g USING (gi)`);
    const fresh = Number((await store.one(`SELECT count(*) AS n FROM agg`))!.n);
    out.unchanged = keys - fresh;
    // Extend the live (not resolved) finding of a key, if there is one.
    const extended = await store.all(
      `UPDATE findings f SET eventIds = list_concat(f.eventIds, a.ids), eventCount = len(f.eventIds) + len(a.ids),
         firstEventTime = least(f.firstEventTime, a.firstT), lastEventTime = greatest(f.lastEventTime, a.lastT), updatedAt = CAST(? AS TIMESTAMP)
       FROM agg a WHERE f.dedupKey = a.dedupKey AND f.status <> 'resolved' RETURNING f.dedupKey`,
      [sqlTime(now)],
    );
    out.extended = extended.length;
    const created = await store.all(
      `INSERT INTO findings (findingId, ruleId, title, severity, attack, principal, accountId, region, firstEventTime, lastEventTime,
         eventCount, eventIds, status, dedupKey, groupKey, createdAt, updatedAt, statusNote)
       SELECT 'f-' || left(sha256(a.dedupKey || chr(10) || a.ids[1]), 20), a.ruleId, a.title, a.severity, a.attack, a.principal, a.accountId, a.region,
         a.firstT, a.lastT, len(a.ids), a.ids,
         CASE WHEN s.hit THEN 'suppressed' ELSE 'open' END, a.dedupKey, a.groupKey, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP),
         CASE WHEN s.hit THEN 'suppressed by an active suppression' END
       FROM agg a
       LEFT JOIN (SELECT DISTINCT a2.dedupKey, TRUE AS hit FROM agg a2 JOIN suppressions x ON x.ruleId = a2.ruleId
                    AND (x.principal IS NULL OR x.principal = a2.principal) AND (x.expiresAt IS NULL OR x.expiresAt > CAST(? AS TIMESTAMP))) s
         ON s.dedupKey = a.dedupKey
       WHERE NOT EXISTS (SELECT 1 FROM findings f WHERE f.dedupKey = a.dedupKey AND f.status <> 'resolved')
       RETURNING findingId`,
      [sqlTime(now), sqlTime(now), sqlTime(now)],
    );
    out.created = created.length;
    return out;
  } finally {
    await store.run('DROP TABLE IF EXISTS pg');
    await store.run('DROP TABLE IF EXISTS pm');
    await store.run('DROP TABLE IF EXISTS fresh');
    await store.run('DROP TABLE IF EXISTS agg');
  }
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
    [s.ruleId, s.principal ?? null, s.reason ?? null, s.expiresAt ? sqlTime(s.expiresAt) : null, s.by ?? null],
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
  const rows = await store.all(`SELECT * FROM suppressions WHERE expiresAt IS NULL OR expiresAt > CAST(? AS TIMESTAMP) ORDER BY suppressionId`, [sqlTime(now)]);
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
