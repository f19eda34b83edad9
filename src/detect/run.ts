/**
 * The detection runner: evaluates the enabled rules over stored events in time order and merges
 * what they find into findings. Events stream out of DuckDB in bounded windows. Rules that read
 * only fields the store keeps as typed columns run on a record rebuilt from those columns; the
 * whole JSON record is fetched and parsed only for events that a rule needing it could match.
 */
import { join } from 'node:path';
import { packageRoot, sqlString, type Row, type Store } from '../store/db.js';
import { mergeMatches, ruleSettings, type MatchGroup } from '../store/findings.js';
import { CorrelationEngine, type CorrelationMatch } from './sigma/index.js';
import { loadRules, type DetectionRule, type RuleLoadError, type RuleSet } from './rules.js';

/** Record paths that the store keeps as typed columns (column name for each). */
const TYPED: Record<string, string> = {
  eventVersion: 'eventVersion', eventSource: 'eventSource', eventName: 'eventName', awsRegion: 'awsRegion',
  sourceIPAddress: 'sourceIPAddress', userAgent: 'userAgent', errorCode: 'errorCode', errorMessage: 'errorMessage',
  readOnly: 'readOnly', eventType: 'eventType', eventCategory: 'eventCategory', managementEvent: 'managementEvent',
  recipientAccountId: 'recipientAccountId', requestID: 'requestId', eventID: 'eventId', sharedEventID: 'sharedEventId',
  vpcEndpointId: 'vpcEndpointId', 'userIdentity.type': 'userIdentityType', 'userIdentity.arn': 'userIdentityArn',
  'userIdentity.accountId': 'userIdentityAccountId', 'userIdentity.principalId': 'userIdentityPrincipalId',
  'userIdentity.userName': 'userIdentityUserName', 'userIdentity.accessKeyId': 'userIdentityAccessKeyId',
  'userIdentity.invokedBy': 'userIdentityInvokedBy', 'userIdentity.sessionContext.sessionIssuer.arn': 'sessionIssuerArn',
  'userIdentity.sessionContext.sessionIssuer.type': 'sessionIssuerType',
  'userIdentity.sessionContext.sessionIssuer.userName': 'sessionIssuerUserName',
  'userIdentity.sessionContext.attributes.mfaAuthenticated': 'mfaAuthenticated',
};

/** Columns every run reads: candidate selection, ordering and attribution. */
const BASE_COLUMNS = ['eventId', 'eventTime', 'eventName', 'eventSource', 'eventType', 'awsRegion', 'accountId', 'flags', 'username', 'userIdentityArn', 'userIdentityInvokedBy', 'userIdentityPrincipalId'];

/** Builds records from typed columns, setting only the given record paths. */
function lightBuilder(paths: string[]): (r: Row) => Record<string, unknown> {
  const plan = paths.map((p) => ({ parts: p.split('.'), col: TYPED[p]! }));
  return (r) => {
    const rec: Record<string, unknown> = {};
    for (const { parts, col } of plan) {
      let v = r[col];
      if (v === null || v === undefined) continue;
      if (col === 'mfaAuthenticated') v = v ? 'true' : 'false';
      let o = rec;
      for (let i = 0; i < parts.length - 1; i++) o = (o[parts[i]!] ??= {}) as Record<string, unknown>;
      o[parts[parts.length - 1]!] = v;
    }
    return rec;
  };
}

/** Options of a detection run. */
export interface DetectOptions {
  rulesDirs?: string[];
  startTime?: Date;
  endTime?: Date;
  placeholders?: Record<string, string[]>;
  /** Include the built-in packs (default true). */
  builtin?: boolean;
  now?: Date;
  onProgress?: (p: { events: number; total: number }) => void;
  /** Target rows per streamed window. */
  windowRows?: number;
}

/** What a detection run did. */
export interface DetectSummary {
  rulesLoaded: number;
  rulesEnabled: number;
  loadErrors: RuleLoadError[];
  events: number;
  fullRecordsParsed: number;
  matches: number;
  correlationMatches: number;
  findingsCreated: number;
  findingsExtended: number;
  findingsUnchanged: number;
  seconds: number;
  eventsPerSecond: number;
}

interface CompiledRule {
  rule: DetectionRule;
  needsFull: boolean;
  /** The identifier correlations use for this rule. */
  ref: string;
  emits: boolean;
}

function principalOf(r: Row): string | null {
  return (r.userIdentityArn ?? r.userIdentityInvokedBy ?? r.userIdentityPrincipalId ?? r.username ?? null) as string | null;
}

/** Loads the rules a run uses: built-in packs plus user directories, minus disabled ones. */
export async function loadEnabledRules(store: Store, opts: DetectOptions = {}): Promise<{ set: RuleSet; enabled: DetectionRule[] }> {
  const set = await loadRules({
    builtinDir: opts.builtin === false ? undefined : join(packageRoot(), 'rules'),
    dirs: opts.rulesDirs,
    placeholders: opts.placeholders,
  });
  const settings = await ruleSettings(store);
  const enabled = set.rules.filter((r) => settings.get(r.id) ?? true);
  return { set, enabled };
}

/** Runs detections over stored events and writes findings. */
export async function detect(store: Store, opts: DetectOptions = {}): Promise<DetectSummary> {
  const started = Date.now();
  const { set, enabled } = await loadEnabledRules(store, opts);
  const enabledIds = new Set(enabled.map((r) => r.id));
  const correlations = enabled.filter((r) => r.kind === 'correlation').map((r) => r.correlation!);
  // Correlations grouping or counting on fields without a typed column need the whole record.
  const fullRefs = new Set<string>();
  for (const c of correlations) {
    const fields = [...c.correlation.groupBy, ...(c.correlation.field ?? []), ...Object.values(c.correlation.aliases).flatMap((a) => Object.values(a))];
    if (fields.some((f) => !(f in TYPED))) for (const r of c.correlation.rules) fullRefs.add(r.ref);
  }
  const needsFullForCorrelation = (c: { rule: DetectionRule; ref: string }) =>
    fullRefs.has(c.ref) || (c.rule.sigma !== undefined && ((c.rule.sigma.name !== undefined && fullRefs.has(c.rule.sigma.name)) || fullRefs.has(c.rule.sigma.title)));
  const engine = new CorrelationEngine(correlations, { rules: set.sigmaRules });
  // Base rules of enabled correlations run even when they do not alert alone.
  const compiled: CompiledRule[] = set.rules
    .filter((r) => r.match && (enabledIds.has(r.id) || !r.standalone))
    .map((r) => ({
      rule: r,
      needsFull: r.fields === null || r.fields.some((f) => !(f in TYPED)),
      ref: r.sigma?.id ?? r.sigma?.name ?? r.title,
      emits: r.standalone && enabledIds.has(r.id),
    }));
  const byName = new Map<string, CompiledRule[]>();
  const bySource = new Map<string, CompiledRule[]>();
  const anyEvent: CompiledRule[] = [];
  for (const c of compiled) {
    if (c.rule.eventNames) for (const n of c.rule.eventNames) (byName.get(n) ?? byName.set(n, []).get(n)!).push(c);
    else if (c.rule.eventSources) for (const s of c.rule.eventSources) (bySource.get(s) ?? bySource.set(s, []).get(s)!).push(c);
    else anyEvent.push(c);
  }
  const candidates = (name: string, source: string): CompiledRule[] => {
    const a = byName.get(name.toLowerCase());
    const b = bySource.get(source.toLowerCase());
    if (!a && !b) return anyEvent;
    return [...(a ?? []), ...(b ?? []), ...anyEvent];
  };

  const where: string[] = [];
  if (opts.startTime) where.push(`eventTime >= TIMESTAMP ${sqlString(opts.startTime.toISOString().replace('T', ' ').replace('Z', ''))}`);
  if (opts.endTime) where.push(`eventTime <= TIMESTAMP ${sqlString(opts.endTime.toISOString().replace('T', ' ').replace('Z', ''))}`);
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  // Windows are whole minutes (a busy hour still splits into bounded windows).
  const hours = await store.all(`SELECT date_trunc('minute', eventTime) AS h, count(*) AS n FROM event_store ${w} GROUP BY 1 ORDER BY 1`);
  const total = hours.reduce((a, h) => a + Number(h.n), 0);
  const windowRows = opts.windowRows ?? 50_000;
  const windows: { from: Date; to: Date }[] = [];
  let cur: { from: Date; to: Date; n: number } | undefined;
  for (const h of hours) {
    const from = h.h as Date;
    const to = new Date(from.getTime() + 60_000);
    if (cur && cur.n + Number(h.n) <= windowRows) {
      cur.to = to;
      cur.n += Number(h.n);
    } else {
      if (cur) windows.push(cur);
      cur = { from, to, n: Number(h.n) };
    }
  }
  if (cur) windows.push(cur);

  const groups = new Map<string, MatchGroup>();
  const eventInfo = new Map<string, { principal: string | null; accountId: string | null; region: string | null; time: Date }>();
  const summary: DetectSummary = {
    rulesLoaded: set.rules.length, rulesEnabled: enabled.length, loadErrors: set.errors, events: 0, fullRecordsParsed: 0,
    matches: 0, correlationMatches: 0, findingsCreated: 0, findingsExtended: 0, findingsUnchanged: 0, seconds: 0, eventsPerSecond: 0,
  };
  const addMatch = (rule: DetectionRule, r: Row) => {
    const principal = principalOf(r);
    const accountId = (r.accountId as string | null) ?? null;
    const key = `${rule.id}|${principal ?? ''}|${accountId ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      g = { ruleId: rule.id, title: rule.title, severity: rule.severity, attack: rule.attack, dedupKey: key, groupKey: null, principal, accountId, region: (r.awsRegion as string | null) ?? null, events: [] };
      groups.set(key, g);
    }
    g.events.push({ id: String(r.eventId ?? ''), time: r.eventTime as Date });
    summary.matches++;
  };
  const addCorrelation = (m: CorrelationMatch) => {
    const rule = enabled.find((r) => r.correlation === m.correlation);
    if (!rule) return;
    summary.correlationMatches++;
    const key = `${rule.id}|${m.groupKey}`;
    const info = eventInfo.get(m.eventIds[0] ?? '');
    let g = groups.get(key);
    if (!g) {
      g = { ruleId: rule.id, title: rule.title, severity: rule.severity, attack: rule.attack, dedupKey: key, groupKey: m.groupKey, principal: info?.principal ?? null, accountId: info?.accountId ?? null, region: info?.region ?? null, events: [] };
      groups.set(key, g);
    }
    for (const id of m.eventIds) g.events.push({ id, time: eventInfo.get(id)?.time ?? new Date(m.lastTime) });
  };

  // Read only the typed columns the rules (and correlations) look at.
  const usedPaths = new Set<string>();
  for (const c of compiled) for (const f of c.rule.fields ?? []) if (f in TYPED) usedPaths.add(f);
  for (const corr of correlations) for (const f of [...corr.correlation.groupBy, ...(corr.correlation.field ?? [])]) if (f in TYPED) usedPaths.add(f);
  for (const p of ['eventName', 'eventSource', 'eventID', 'awsRegion']) usedPaths.add(p);
  const lightRecord = lightBuilder([...usedPaths]);
  const maxSpan = Math.max(0, ...correlations.map((c) => c.correlation.timespanMs));
  const flushGroups = async () => {
    if (groups.size === 0) return;
    const merged = await store.transaction(() => mergeMatches(store, [...groups.values()], opts.now ?? new Date()));
    summary.findingsCreated += merged.created;
    summary.findingsExtended += merged.extended;
    summary.findingsUnchanged += merged.unchanged;
    groups.clear();
  };
  // The typed columns travel as one JSON text per row: converting a few dozen columns value by
  // value out of DuckDB costs several times more than parsing them in JavaScript.
  const typedCols = [...new Set([...BASE_COLUMNS, ...[...usedPaths].map((p) => TYPED[p]!)])];
  const packed = `to_json(struct_pack(rid := rowid, ${typedCols.map((c) => `"${c}" := "${c}"`).join(', ')}))`;
  // The next window's rows are read on a connection of their own while this one is evaluated.
  const ahead = await store.fork();
  const readWindow = (win: { from: Date; to: Date }) =>
    ahead.all(
      `SELECT ${packed} AS t FROM event_store WHERE eventTime >= ? AND eventTime < ? ${where.length ? 'AND ' + where.join(' AND ') : ''} ORDER BY eventTime, eventId`,
      [win.from.toISOString().replace('T', ' ').replace('Z', ''), win.to.toISOString().replace('T', ' ').replace('Z', '')],
    );
  let next = windows.length ? readWindow(windows[0]!) : undefined;
  try {
    for (let w = 0; w < windows.length; w++) {
      const win = windows[w]!;
      const packedRows = await next!;
      next = w + 1 < windows.length ? readWindow(windows[w + 1]!) : undefined;
      const rows: Row[] = packedRows.map((p) => {
        const r = JSON.parse(String(p.t)) as Row;
        r.eventTime = new Date(String(r.eventTime).replace(' ', 'T') + 'Z');
        return r;
      });
      const matched: CompiledRule[][] = new Array(rows.length);
      const fullRecs = new Map<number, object>();
      const needFull: number[] = [];
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        const cands = candidates(String(r.eventName), String(r.eventSource));
        if (cands.length === 0) continue;
        const odd = (r.flags as string[] | null)?.length || r.eventType === 'AwsCloudTrailInsight';
        const light = lightRecord(r);
        let full = false;
        const hits: CompiledRule[] = [];
        for (const c of cands) {
          if (c.needsFull || odd) full = true;
          else if (c.rule.match!(light)) hits.push(c);
        }
        matched[i] = hits;
        if (full) needFull.push(i);
      }
      await fetchFull(store, rows, needFull, fullRecs);
      summary.fullRecordsParsed += needFull.length;
      for (const i of needFull) {
        const r = rows[i]!;
        const rec = fullRecs.get(i)!;
        const odd = (r.flags as string[] | null)?.length || r.eventType === 'AwsCloudTrailInsight';
        for (const c of candidates(String(r.eventName), String(r.eventSource))) {
          if ((c.needsFull || odd) && c.rule.match!(rec)) matched[i]!.push(c);
        }
      }
      if (fullRefs.size) {
        const more: number[] = [];
        for (let i = 0; i < rows.length; i++) if (!fullRecs.has(i) && matched[i]?.some(needsFullForCorrelation)) more.push(i);
        await fetchFull(store, rows, more, fullRecs);
        summary.fullRecordsParsed += more.length;
      }
      for (let i = 0; i < rows.length; i++) {
        const hits = matched[i];
        if (!hits || hits.length === 0) continue;
        const r = rows[i]!;
        const refs: string[] = [];
        for (const c of hits) {
          if (c.emits) addMatch(c.rule, r);
          refs.push(c.ref);
        }
        if (correlations.length) {
          const id = String(r.eventId ?? '');
          eventInfo.set(id, { principal: principalOf(r), accountId: (r.accountId as string | null) ?? null, region: (r.awsRegion as string | null) ?? null, time: r.eventTime as Date });
          for (const m of engine.push({ rules: refs, record: fullRecs.get(i) ?? lightRecord(r), time: (r.eventTime as Date).getTime(), eventId: id })) addCorrelation(m);
        }
      }
      summary.events += rows.length;
      opts.onProgress?.({ events: summary.events, total });
      // Keep memory bounded: merge matches into findings as they pile up (merging is idempotent
      // and happens inside DuckDB), and forget event details no correlation window can reach.
      let pending = 0;
      for (const g of groups.values()) pending += g.events.length;
      if (pending > 400_000) await flushGroups();
      const horizon = win.from.getTime() - maxSpan;
      for (const [id, info] of eventInfo) if (info.time.getTime() < horizon) eventInfo.delete(id);
    }
  } finally {
    await next?.catch(() => undefined);
    await ahead.close();
  }
  for (const m of engine.flush()) addCorrelation(m);
  await flushGroups();
  summary.seconds = (Date.now() - started) / 1000;
  summary.eventsPerSecond = summary.seconds > 0 ? Math.round(summary.events / summary.seconds) : summary.events;
  return summary;
}

/** Fetches and parses the whole records of rows `idx` (by rowid) into `out`. */
async function fetchFull(store: Store, rows: Row[], idx: number[], out: Map<number, object>): Promise<void> {
  for (let k = 0; k < idx.length; k += 5000) {
    const chunk = idx.slice(k, k + 5000);
    // Bounding by time lets DuckDB skip to the row groups of these rows instead of scanning all.
    const times = chunk.map((i) => (rows[i]!.eventTime as Date).getTime());
    const lo = new Date(Math.min(...times)).toISOString().replace('T', ' ').replace('Z', '');
    const hi = new Date(Math.max(...times)).toISOString().replace('T', ' ').replace('Z', '');
    const recs = await store.all(
      `SELECT rowid AS rid, coalesce(record, recordLarge) AS record FROM event_store WHERE eventTime BETWEEN CAST(? AS TIMESTAMP) AND CAST(? AS TIMESTAMP) AND rowid IN (${chunk.map((i) => Number(rows[i]!.rid)).join(',')})`,
      [lo, hi],
    );
    const byRid = new Map(recs.map((x) => [Number(x.rid), String(x.record)]));
    for (const i of chunk) out.set(i, JSON.parse(byRid.get(Number(rows[i]!.rid))!) as object);
  }
}
