/**
 * The detection runner: evaluates the enabled rules over stored events in time order and merges
 * what they find into findings. Events stream out of DuckDB in bounded windows. Rules that read
 * only fields the store keeps as typed columns run on a record rebuilt from those columns.
 * Rules that read other fields get, for the events they could match, only the top-level members
 * of the record they read (extracted inside DuckDB); the whole record is fetched and parsed only
 * for rules whose fields are not known in advance (keyword searches) and for records with odd
 * typed values.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, sqlString, type Row, type Store } from '../store/db.js';
import { sqlTime } from '../query/lookup.js';
import { mergeMatches, mergeMatchQuery, ruleSettings, type MatchGroup, type MergeResult } from '../store/findings.js';
import { JsonlSink } from '../store/jsonl.js';
import { CorrelationEngine, requiredPrefixes, requiredValues, type CorrelationMatch, type SigmaCorrelation } from './sigma/index.js';
import { hotPlan, hotRowsSql, type HotInput } from './hot.js';
import { loadRules, type DetectionRule, type RuleLoadError, type RuleSet } from './rules.js';
import { parsePath } from '../model/fieldpath.js';
import { parseStoredJson } from '../model/stored-json.js';

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
  sessionCredentialFromConsole: 'sessionCredentialFromConsole',
};

/** A window row: its typed columns (`KEY` names), whole record or some members (JSON texts), and whether it is odd. */
interface WindowRow {
  t: Row;
  f: string | null;
  p: string | null;
  o: boolean | null;
}

/** Columns every window row brings: candidate selection, ordering and attribution. */
const BASE_COLUMNS = ['eventId', 'eventTime', 'eventName', 'eventSource', 'eventType', 'awsRegion', 'accountId', 'flags'];

/**
 * Window rows travel as JSON objects with short keys (column names would be a third of the
 * bytes): `rid` (rowid), `t` (eventTime in epoch milliseconds), `pr` (the principal a match is
 * attributed to) and one key per typed column.
 */
const KEY: Record<string, string> = Object.fromEntries(
  [...new Set([...BASE_COLUMNS, ...Object.values(TYPED)])].map((c, i) => [c, c === 'eventTime' ? 't' : `c${i.toString(36)}`]),
);
const col = (r: Row, name: string): unknown => r[KEY[name]!];

/** Builds records from typed columns, setting only the given record paths. */
function lightBuilder(paths: string[]): (r: Row) => Record<string, unknown> {
  const plan = paths.map((p) => ({ parts: p.split('.'), col: TYPED[p]!, key: KEY[TYPED[p]!]! }));
  return (r) => {
    const rec: Record<string, unknown> = {};
    for (const { parts, col, key } of plan) {
      let v = r[key];
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
  /**
   * Rules on typed columns are evaluated once per distinct value combination when they have at
   * least this many candidate events (default 10,000; 0: always); otherwise on their events.
   */
  valuesMinRows?: number;
  /**
   * Evaluate every rule on whole records, never on typed columns or extracted members (slower;
   * findings are the same, which the tests check).
   */
  wholeRecords?: boolean;
}

/** What a detection run did. */
export interface DetectSummary {
  rulesLoaded: number;
  rulesEnabled: number;
  loadErrors: RuleLoadError[];
  events: number;
  fullRecordsParsed: number;
  /** Events for which only some top-level members of the record were extracted and parsed. */
  partialRecordsParsed: number;
  /** Rules evaluated once per distinct combination of the typed values they read. */
  rulesOnValues: number;
  /** The combinations those rules were evaluated on (instead of once per event). */
  valueCombinations: number;
  /** Correlation-only base rules read only on rows in hot regions (see hot.ts). */
  rulesOnHotRows: number;
  /** Candidate rows of those rules that lie in hot regions. */
  hotRows: number;
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
  /**
   * Top-level record members the rule reads beyond the typed columns ([] when the typed
   * columns suffice), or null when it needs the whole record.
   */
  extraKeys: string[] | null;
  /** The identifier correlations use for this rule. */
  ref: string;
  emits: boolean;
  /** Some enabled correlation counts this rule's matches. */
  correlated: boolean;
}

/**
 * The top-level record members that `fields` reach beyond the typed columns, or null when only
 * the whole record will do (unknown fields, or a member name a JSON path cannot quote).
 */
export function extraKeysFor(fields: string[] | null): string[] | null {
  if (fields === null) return null;
  const keys = new Set<string>();
  for (const f of fields) {
    if (f in TYPED) continue;
    const first = parsePath(f)[0];
    if (typeof first !== 'string' || [...first].some((ch) => ch === '"' || ch === '\\' || ch < ' ')) return null;
    keys.add(first);
  }
  return [...keys].sort();
}

/** Who a match is attributed to, as `mergeMatchQuery` (store/findings.ts) says it. */
const PRINCIPAL_SQL = 'coalesce(userIdentityArn, userIdentityInvokedBy, userIdentityPrincipalId, username)';
const principalOf = (r: Row): string | null => (r.pr ?? null) as string | null;

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

/**
 * Runs detections over stored events and writes findings. A run that needs more memory than the
 * store's limit (busy seconds of pushed events whose records rules read whole, or findings of
 * hundreds of thousands of events to extend) runs again, once, with twice as much: what the
 * first run wrote stays, and the second finds it as unchanged.
 */
export async function detect(store: Store, opts: DetectOptions = {}): Promise<DetectSummary> {
  return store.retryWithMoreMemory(2, () => detectOnce(store, opts));
}

async function detectOnce(store: Store, opts: DetectOptions): Promise<DetectSummary> {
  const started = Date.now();
  const { set, enabled } = await loadEnabledRules(store, opts);
  const enabledIds = new Set(enabled.map((r) => r.id));
  const correlations = enabled.filter((r) => r.kind === 'correlation').map((r) => r.correlation!);
  // Correlations grouping or counting on fields without a typed column need those members of
  // the records of their base rules' events (null: the whole record).
  const corrRefs = new Set<string>();
  let corrKeys: string[] | null = [];
  for (const c of correlations) {
    const fields = [...c.correlation.groupBy, ...(c.correlation.field ?? []), ...Object.values(c.correlation.aliases).flatMap((a) => Object.values(a))];
    const keys = extraKeysFor(fields);
    if (keys !== null && keys.length === 0) continue;
    for (const r of c.correlation.rules) corrRefs.add(r.ref);
    corrKeys = keys === null || corrKeys === null ? null : [...new Set([...corrKeys, ...keys])].sort();
  }
  const needsMoreForCorrelation = (c: { rule: DetectionRule; ref: string }) =>
    corrRefs.has(c.ref) || (c.rule.sigma !== undefined && ((c.rule.sigma.name !== undefined && corrRefs.has(c.rule.sigma.name)) || corrRefs.has(c.rule.sigma.title)));
  const engine = new CorrelationEngine(correlations, { rules: set.sigmaRules });
  // Base rules of enabled correlations run even when they do not alert alone.
  const compiled: CompiledRule[] = set.rules
    .filter((r) => r.match && (enabledIds.has(r.id) || !r.standalone))
    .map((r) => ({
      rule: r,
      extraKeys: extraKeysFor(r.fields),
      ref: r.sigma?.id ?? r.sigma?.name ?? r.title,
      emits: r.standalone && enabledIds.has(r.id),
      correlated: false,
    }));
  for (const c of compiled) c.correlated = engine.uses(c.ref);
  // What each rule needs beyond the typed columns decides, in SQL, which rows bring their whole
  // record and which only some top-level members; both come with the window's rows, so each
  // window's records are decompressed and parsed (inside DuckDB) once. A rule that reads only
  // typed columns stays light even when a correlation it feeds groups or counts on other
  // members: those members come only for the rows it could match judging by the values it
  // requires of typed columns (tightCandidateSql), often far fewer than its candidates. (Reading
  // records afterwards, row by row, would cost a block of records decompressed per row.)
  const needOf = (c: CompiledRule): 'light' | 'part' | 'full' => {
    if (opts.wholeRecords || c.extraKeys === null) return 'full';
    if (c.extraKeys.length === 0) return 'light';
    return needsMoreForCorrelation(c) && corrKeys === null ? 'full' : 'part';
  };
  const need = new Map(compiled.map((c) => [c, needOf(c)]));
  // Light rules feeding a correlation that reads members: the rows they could match bring them.
  const lightForMembers = new Set(compiled.filter((c) => need.get(c) === 'light' && needsMoreForCorrelation(c)));
  const membersSql = lightForMembers.size ? `(${[...lightForMembers].map(tightCandidateSql).join(' OR ')})` : 'FALSE';
  const where: string[] = [];
  if (opts.startTime) where.push(`eventTime >= TIMESTAMP ${sqlString(sqlTime(opts.startTime))}`);
  if (opts.endTime) where.push(`eventTime <= TIMESTAMP ${sqlString(sqlTime(opts.endTime))}`);
  const whereSql = where.length ? where.join(' AND ') : 'TRUE';
  const w = `WHERE ${whereSql}`;
  // Rules that alert on their own, read only typed columns and feed no correlation, and whose
  // candidate events are many, are evaluated once per distinct combination of the values they
  // read (evaluateOnValues): their events do not travel to JavaScript, except odd ones, which
  // every rule sees whole. Listing and merging the combinations costs two scans of the store
  // per rule, more than reading a few thousand candidates here.
  const minRows = opts.valuesMinRows ?? 10_000;
  const pairs = minRows > 0 ? await store.all(`SELECT eventName AS n, eventSource AS s, count(*) AS c FROM event_store ${w} GROUP BY ALL`) : [];
  const candidateRows = (c: CompiledRule): number => {
    const idx = candidateIndex([c]);
    return pairs.reduce((a, p) => a + (idx(String(p.n), String(p.s)).length ? Number(p.c) : 0), 0);
  };
  const onValues = compiled.filter((c) => c.emits && !c.correlated && need.get(c) === 'light' && (minRows <= 0 || candidateRows(c) >= minRows));
  const onValuesIndex = new Map(onValues.map((c, i) => [c, i]));
  const inJs = compiled.filter((c) => !onValuesIndex.has(c));
  const candidatesAll = candidateIndex(compiled);
  const candidates = candidateIndex(inJs);
  // Windows are whole minutes (a busy hour still splits into bounded windows), and whole seconds
  // in a minute busier than a window: pushed events can put hundreds of thousands in one minute,
  // and one window of 455,000 rows ran DuckDB out of memory.
  const windowRows = opts.windowRows ?? 50_000;
  const units: { from: Date; ms: number; n: number }[] = [];
  for (const m of await store.all(`SELECT date_trunc('minute', eventTime) AS h, count(*) AS n FROM event_store ${w} GROUP BY 1 ORDER BY 1`)) {
    const from = m.h as Date;
    if (Number(m.n) <= windowRows) {
      units.push({ from, ms: 60_000, n: Number(m.n) });
      continue;
    }
    const inMinute = `${w} AND eventTime >= ? AND eventTime < ?`;
    const bounds = [from, new Date(from.getTime() + 60_000)].map(sqlTime);
    for (const s of await store.all(`SELECT date_trunc('second', eventTime) AS h, count(*) AS n FROM event_store ${inMinute} GROUP BY 1 ORDER BY 1`, bounds)) {
      units.push({ from: s.h as Date, ms: 1000, n: Number(s.n) });
    }
  }
  const total = units.reduce((a, u) => a + u.n, 0);
  const windows: { from: Date; to: Date; n: number }[] = [];
  let cur: { from: Date; to: Date; n: number } | undefined;
  for (const u of units) {
    const to = new Date(u.from.getTime() + u.ms);
    if (cur && cur.n + u.n <= windowRows) {
      cur.to = to;
      cur.n += u.n;
    } else {
      if (cur) windows.push(cur);
      cur = { from: u.from, to, n: u.n };
    }
  }
  if (cur) windows.push(cur);

  const groups = new Map<string, MatchGroup>();
  // The window rows of events fed to correlations (for the attribution and times of their matches).
  const eventInfo = new Map<string, Row>();
  const summary: DetectSummary = {
    rulesLoaded: set.rules.length, rulesEnabled: enabled.length, loadErrors: set.errors, events: 0, fullRecordsParsed: 0, partialRecordsParsed: 0, rulesOnValues: onValues.length, valueCombinations: 0, rulesOnHotRows: 0, hotRows: 0,
    matches: 0, correlationMatches: 0, findingsCreated: 0, findingsExtended: 0, findingsUnchanged: 0, seconds: 0, eventsPerSecond: 0,
  };
  // Rules evaluated on values: the combinations that match, and their matches on odd rows
  // (found here), go to files under the store's tmp folder and are merged with the others.
  const tmp = join(store.dataDir, 'tmp');
  await fsp.mkdir(tmp, { recursive: true });
  const stamp = `${process.pid}-${Date.now()}`;
  const valueSink = new JsonlSink(join(tmp, `value-matches-${stamp}.jsonl`));
  const oddOnValues = new JsonlSink(join(tmp, `odd-value-matches-${stamp}.jsonl`));
  const addMatch = (rule: DetectionRule, r: Row) => {
    const principal = principalOf(r);
    const accountId = (col(r, 'accountId') as string | null) ?? null;
    const key = `${rule.id}|${principal ?? ''}|${accountId ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      g = { ruleId: rule.id, title: rule.title, severity: rule.severity, attack: rule.attack, dedupKey: key, groupKey: null, principal, accountId, region: (col(r, 'awsRegion') as string | null) ?? null, events: [] };
      groups.set(key, g);
    }
    g.events.push({ id: String(col(r, 'eventId') ?? ''), time: r.t as number });
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
      g = {
        ruleId: rule.id, title: rule.title, severity: rule.severity, attack: rule.attack, dedupKey: key, groupKey: m.groupKey,
        principal: info ? principalOf(info) : null, accountId: info ? ((col(info, 'accountId') as string | null) ?? null) : null,
        region: info ? ((col(info, 'awsRegion') as string | null) ?? null) : null, events: [],
      };
      groups.set(key, g);
    }
    for (const id of m.eventIds) g.events.push({ id, time: (eventInfo.get(id)?.t as number | undefined) ?? m.lastTime });
  };

  // Read only the typed columns the rules evaluated here (and correlations) look at: odd rows,
  // the only ones that also run the rules on values here, bring their whole record.
  const usedPaths = new Set<string>();
  for (const c of inJs) for (const f of c.rule.fields ?? []) if (f in TYPED) usedPaths.add(f);
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
  // Keyed by the memoized candidate lists themselves (weakly: that memo may be cleared).
  const heavyMemo = new WeakMap<CompiledRule[], boolean>();
  const heavy = (cands: CompiledRule[]): boolean => {
    let h = heavyMemo.get(cands);
    if (h === undefined) heavyMemo.set(cands, (h = cands.some((c) => need.get(c) !== 'light')));
    return h;
  };
  const partKeys = [...new Set([
    ...compiled.flatMap((c) => (need.get(c) !== 'part' ? [] : [...c.extraKeys!, ...(needsMoreForCorrelation(c) ? corrKeys! : [])])),
    ...(lightForMembers.size && corrKeys ? corrKeys : []),
  ])].sort();
  // Rows that brought some members for other rules bring every member correlations read, or not.
  const partHasCorrKeys = corrKeys !== null && corrKeys.every((k) => partKeys.includes(k));
  // Typed values of odd records (a non-boolean readOnly, an Insights event) may not say what the
  // record says: every rule sees their whole record.
  // Never NULL (an absent eventType must not make a row neither odd nor plain). An eventTime
  // written in another form (`odd-eventTime-format`) is not odd here: rules that read eventTime
  // take it from the record in any case.
  const oddSql = `(coalesce(len(flags), 0) > CASE WHEN list_contains(flags, 'odd-eventTime-format') THEN 1 ELSE 0 END OR coalesce(eventType = 'AwsCloudTrailInsight', FALSE))`;
  // The typed columns travel as JSON: converting a few dozen columns value by value out of
  // DuckDB costs several times more than parsing them in JavaScript. Beyond the base columns, a
  // row brings a column only when a rule evaluated here that reads it, or a correlation grouping
  // or counting on it, could match the row (and odd rows and exotic names, always).
  const corrColumns = new Set(correlations.flatMap((c) => [...c.correlation.groupBy, ...(c.correlation.field ?? [])]).filter((f) => f in TYPED).map((f) => TYPED[f]!));
  const columnSql = (column: string): string => {
    if (BASE_COLUMNS.includes(column)) return `"${column}"`;
    const readers = inJs.filter((c) => (c.rule.fields ?? []).some((f) => TYPED[f] === column) || (c.correlated && corrColumns.has(column)));
    return `CASE WHEN ${oddSql} OR ${EXOTIC_SQL} OR ${candidateSql(readers)} THEN "${column}" END`;
  };
  const typedCols = [...new Set([...BASE_COLUMNS, ...[...usedPaths].map((p) => TYPED[p]!)])];
  const packed = `struct_pack(rid := rowid, t := epoch_ms(eventTime), pr := ${PRINCIPAL_SQL}, ${typedCols.filter((c) => c !== 'eventTime').map((c) => `${KEY[c]} := ${columnSql(c)}`).join(', ')})`;
  const fullSql = `(${oddSql} OR ${candidateSql(compiled.filter((c) => need.get(c) === 'full'))}${corrKeys === null ? ` OR ${membersSql}` : ''})`;
  // Base rules that only feed correlations with sliding windows bring only their candidate rows
  // in hot regions (see hot.ts): a table of their rowids, in the in-memory catalog that every
  // connection of the store sees.
  const hot = opts.wholeRecords ? undefined : await hotRows(store, compiled, engine, correlations, whereSql, `(${oddSql} OR ${EXOTIC_SQL})`);
  summary.rulesOnHotRows = hot?.rules.size ?? 0;
  summary.hotRows = hot?.rows ?? 0;
  // Windows bring the rows some rule evaluated in JavaScript may match, and every odd row.
  const readSql = onValues.length === 0 && !hot
    ? 'TRUE'
    : `(${oddSql} OR ${candidateSql(inJs.filter((c) => !hot?.rules.has(c)))} OR ${EXOTIC_SQL}${hot ? ` OR rowid IN (SELECT rid FROM ${hot.table})` : ''})`;
  const partSql = `(${candidateSql(compiled.filter((c) => need.get(c) === 'part'))}${corrKeys !== null ? ` OR ${membersSql}` : ''})`;
  // Members travel as JSON texts joined by U+0001 (which JSON text never holds unescaped); an
  // empty text means the member is absent.
  const partExpr = partKeys.length === 0 ? 'NULL'
    : `CASE WHEN ${partSql} AND NOT ${fullSql} THEN array_to_string(list_transform(json_extract(coalesce(record, recordLarge), [${partKeys.map((k) => sqlString(`$."${k}"`)).join(', ')}]), x -> coalesce(CAST(x AS VARCHAR), '')), chr(1)) END`;
  // Rules on values are evaluated on a connection of their own meanwhile (reads only).
  const valuesConn = onValues.length ? await store.fork() : undefined;
  const valueMatches = valuesConn
    ? evaluateOnValues(valuesConn, { rules: onValues, candidates: candidatesAll, where: whereSql, oddSql, matched: valueSink }).finally(() => valuesConn.close())
    : undefined;
  // A failure there surfaces where it is awaited; until then it must not count as unhandled.
  valueMatches?.catch(() => undefined);
  const ahead = [await store.fork(), await store.fork()];
  // A window's rows come as one JSON array text: a string handed out of DuckDB costs a native
  // call and a buffer each, which for ~600k rows took longer than parsing them. The record and
  // its members stay JSON texts inside it, parsed in JavaScript as they always were.
  const readWindow = async (w: number): Promise<WindowRow[]> => {
    const win = windows[w]!;
    const rows = await ahead[w % ahead.length]!.all(
      `SELECT '[' || coalesce(string_agg(to_json(struct_pack(t := ${packed}, f := CASE WHEN ${fullSql} THEN coalesce(record, recordLarge) END,
          p := ${partExpr}, o := ${oddSql})), ',' ORDER BY eventTime, eventId, seq), '') || ']' AS j
      FROM event_store WHERE eventTime >= ? AND eventTime < ? AND ${whereSql} AND ${readSql}`,
      [sqlTime(win.from), sqlTime(win.to)],
    );
    return JSON.parse(String(rows[0]!.j)) as WindowRow[];
  };
  // A window is usually smaller than a row group, so DuckDB reads it on one thread: two windows
  // are read ahead, each on its own connection, while this one is evaluated.
  const next: Promise<WindowRow[]>[] = [];
  // A window read ahead that fails (out of memory, say) fails where it is awaited: until then its
  // rejection must not count as unhandled, which would end the process.
  const readAhead = (w: number) => {
    const p = readWindow(w);
    p.catch(() => undefined);
    next.push(p);
  };
  for (let w = 0; w < Math.min(ahead.length, windows.length); w++) readAhead(w);
  let streamed = false;
  try {
    for (let w = 0; w < windows.length; w++) {
      const win = windows[w]!;
      const packedRows = await next.shift()!;
      if (w + ahead.length < windows.length) readAhead(w + ahead.length);
      const rows: Row[] = new Array(packedRows.length);
      const odd: boolean[] = new Array(packedRows.length);
      // Per row, the record the rules see: whole, or the typed columns plus some members.
      const recs: (Record<string, unknown> | undefined)[] = new Array(packedRows.length);
      const whole: boolean[] = new Array(packedRows.length);
      for (let i = 0; i < packedRows.length; i++) {
        const p = packedRows[i]!;
        // `t.t`: eventTime in epoch milliseconds.
        const r = p.t;
        rows[i] = r;
        odd[i] = p.o === true;
        if (p.f !== null) {
          recs[i] = parseStoredJson(p.f) as Record<string, unknown>;
          whole[i] = true;
          summary.fullRecordsParsed++;
        } else if (p.p !== null) {
          const rec = lightRecord(r);
          const parts = p.p.split('\u0001');
          for (let j = 0; j < partKeys.length; j++) if (parts[j]) rec[partKeys[j]!] = parseStoredJson(parts[j]!);
          recs[i] = rec;
          summary.partialRecordsParsed++;
        }
      }
      // SQL and JavaScript agree on which rules apply to a row; should they ever not (case
      // folding of an exotic eventName), the row's whole record is read before its rules run.
      const unread: number[] = [];
      for (let i = 0; i < rows.length; i++) {
        if (recs[i]) continue;
        const r = rows[i]!;
        if (heavy((odd[i] ? candidatesAll : candidates)(String(col(r, 'eventName')), String(col(r, 'eventSource'))))) unread.push(i);
      }
      if (unread.length) await readWhole(store, rows, unread, recs);
      for (const i of unread) whole[i] = true;
      summary.fullRecordsParsed += unread.length;
      const matched: CompiledRule[][] = new Array(rows.length);
      // Records built from typed columns, kept for the correlation engine.
      const lightRecs: (Record<string, unknown> | undefined)[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        // Odd rows are the only ones rules evaluated on values do not see: they run here.
        const cands = (odd[i] ? candidatesAll : candidates)(String(col(r, 'eventName')), String(col(r, 'eventSource')));
        if (cands.length === 0) continue;
        let rec = recs[i];
        if (!rec) lightRecs[i] = rec = lightRecord(r);
        const hits: CompiledRule[] = [];
        for (const c of cands) if (c.rule.match!(rec)) hits.push(c);
        matched[i] = hits;
      }
      // A row such a rule matched without the members its correlation reads (SQL judged it no
      // candidate, or its members were extracted for other rules) is read whole: rare.
      const afterMatch: number[] = [];
      for (let i = 0; i < rows.length; i++) {
        if (whole[i] || (recs[i] && partHasCorrKeys) || !matched[i]?.some((c) => lightForMembers.has(c))) continue;
        afterMatch.push(i);
        recs[i] = undefined;
      }
      if (afterMatch.length) await readWhole(store, rows, afterMatch, recs);
      summary.fullRecordsParsed += afterMatch.length;
      for (let i = 0; i < rows.length; i++) {
        const hits = matched[i];
        if (!hits || hits.length === 0) continue;
        const r = rows[i]!;
        // Only rules some correlation uses are fed to the correlation engine.
        const refs: string[] = [];
        for (const c of hits) {
          const k = onValuesIndex.get(c);
          if (k !== undefined) await oddOnValues.add(`{"rule":${k},"rid":${Number(r.rid)}}`);
          else if (c.emits) addMatch(c.rule, r);
          if (c.correlated) refs.push(c.ref);
        }
        if (refs.length) {
          const id = String(col(r, 'eventId') ?? '');
          // Deleted first, so that the map's order stays time order even when an id repeats.
          eventInfo.delete(id);
          eventInfo.set(id, r);
          for (const m of engine.push({ rules: refs, record: recs[i] ?? lightRecs[i] ?? lightRecord(r), time: r.t as number, eventId: id })) addCorrelation(m);
        }
      }
      summary.events += win.n;
      opts.onProgress?.({ events: summary.events, total });
      // Keep memory bounded: merge matches into findings as they pile up (merging is idempotent
      // and happens inside DuckDB), and forget event details no correlation window can reach.
      let pending = 0;
      for (const g of groups.values()) pending += g.events.length;
      if (pending > 400_000) await flushGroups();
      const horizon = win.from.getTime() - maxSpan;
      // In time order (rows come in time order), so the first one within reach ends the sweep.
      for (const [id, info] of eventInfo) {
        if ((info.t as number) >= horizon) break;
        eventInfo.delete(id);
      }
    }
    streamed = true;
  } finally {
    for (const p of next) await p.catch(() => undefined);
    for (const a of ahead) await a.close();
    if (hot) await store.run(`DROP TABLE IF EXISTS ${hot.table}`);
    // Its connection must be done before the caller may close the store.
    await valueMatches?.catch(() => undefined);
    if (!streamed) {
      await valueSink.remove();
      await oddOnValues.remove();
    }
  }
  for (const m of engine.flush()) addCorrelation(m);
  await flushGroups();
  try {
    if (onValues.length) {
      const found = await valueMatches!;
      const q = await store.transaction(() => mergeOnValues(store, onValues, found, oddOnValues, opts.now ?? new Date()));
      summary.matches += q.matches;
      summary.valueCombinations = found.combinations;
      summary.findingsCreated += q.merge.created;
      summary.findingsExtended += q.merge.extended;
      summary.findingsUnchanged += q.merge.unchanged;
    }
  } finally {
    await valueSink.remove();
    await oddOnValues.remove();
  }
  summary.seconds = (Date.now() - started) / 1000;
  summary.eventsPerSecond = summary.seconds > 0 ? Math.round(summary.events / summary.seconds) : summary.events;
  return summary;
}

/** Typed columns of type BOOLEAN; the others are VARCHAR. */
const BOOLEAN_COLUMNS = new Set(['readOnly', 'managementEvent', 'mfaAuthenticated']);
/** Typed text columns other than eventName and eventSource, by record path. */
const TEXT_TYPED = Object.entries(TYPED).filter(([p, c]) => p !== 'eventName' && p !== 'eventSource' && !BOOLEAN_COLUMNS.has(c));
// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/**
 * SQL true for the plain (not odd) rows a rule could match: its candidates, narrowed by the
 * values or prefixes a Sigma rule requires of typed text columns (e.g. `errorCode`). Sigma's
 * case-insensitive equality with an ASCII literal holds only for strings that are ASCII too, so
 * lower-casing in SQL decides the same.
 */
function tightCandidateSql(c: CompiledRule): string {
  const terms = [candidateSql([c])];
  const sigma = c.rule.sigma;
  if (sigma) {
    for (const [path, column] of TEXT_TYPED) {
      const values = requiredValues(sigma, path);
      if (values && values.every((v) => ASCII.test(v))) {
        terms.push(values.length ? `lower("${column}") IN (${values.map(sqlString).join(', ')})` : 'FALSE');
        continue;
      }
      const prefixes = requiredPrefixes(sigma, path);
      if (prefixes) terms.push(prefixes.length ? `(${prefixes.map((p) => `starts_with(lower("${column}"), ${sqlString(p)})`).join(' OR ')})` : 'FALSE');
    }
  }
  return `(${terms.join(' AND ')})`;
}

let hotTables = 0;

/**
 * Finds the correlation-only base rules whose correlations all have sliding windows, and writes
 * the rowids of their candidate rows in hot regions to a table (undefined: no such rule).
 */
async function hotRows(
  store: Store,
  compiled: CompiledRule[],
  engine: CorrelationEngine,
  correlations: SigmaCorrelation[],
  where: string,
  wildSql: string,
): Promise<{ table: string; rules: Set<CompiledRule>; rows: number } | undefined> {
  const feeds = new Map(compiled.map((c) => [c, engine.feeds(c.ref)]));
  const inputs = new Map<SigmaCorrelation, HotInput>();
  for (const corr of correlations) {
    const plan = hotPlan(corr, TYPED);
    if (!plan) continue;
    const positions = corr.correlation.rules.map(() => ({ tight: [] as string[], loose: [] as string[] }));
    for (const c of compiled) {
      for (const f of feeds.get(c)!) {
        if (f.correlation !== corr) continue;
        for (const p of f.positions) {
          positions[p]?.tight.push(tightCandidateSql(c));
          positions[p]?.loose.push(candidateSql([c]));
        }
      }
    }
    inputs.set(corr, {
      plan,
      positions: positions.map((p) => ({ tight: p.tight.length ? `(${p.tight.join(' OR ')})` : 'FALSE', loose: `(${[...p.loose, EXOTIC_SQL].join(' OR ')})` })),
    });
  }
  const rules = new Set(compiled.filter((c) => !c.emits && feeds.get(c)!.length > 0 && feeds.get(c)!.every((f) => inputs.has(f.correlation))));
  if (rules.size === 0) return undefined;
  const used = [...new Set([...rules].flatMap((c) => feeds.get(c)!.map((f) => f.correlation)))];
  const table = `memory.main.detect_hot_${process.pid}_${Date.now()}_${++hotTables}`;
  const parts = used.map((corr) => `SELECT rid FROM (${hotRowsSql(inputs.get(corr)!, where, wildSql)})`);
  await store.run(`CREATE TABLE ${table} AS SELECT DISTINCT rid FROM (${parts.join(' UNION ALL ')})`);
  const rows = Number((await store.one(`SELECT count(*) AS n FROM ${table}`))!.n);
  return { table, rules, rows };
}

/**
 * What a rule requires of a row's eventName (values, else prefixes) and eventSource, lowercased;
 * null: nothing. A row is a candidate of the rule when it meets every requirement.
 */
interface CandidateKey {
  names: readonly string[] | null;
  prefixes: readonly string[] | null;
  sources: readonly string[] | null;
}

function candidateKey(c: CompiledRule): CandidateKey {
  return { names: c.rule.eventNames, prefixes: c.rule.eventNames ? null : c.rule.eventNamePrefixes, sources: c.rule.eventSources };
}

/** SQL that is true for rows some of `rules` could match, judging by eventName and eventSource. */
function candidateSql(rules: CompiledRule[]): string {
  // Rules requiring the same eventSources share one term; their eventName requirements OR together.
  const bySources = new Map<string, { sources: readonly string[] | null; names: Set<string>; prefixes: Set<string>; anyName: boolean }>();
  for (const c of rules) {
    const k = candidateKey(c);
    const id = JSON.stringify(k.sources ? [...k.sources].sort() : null);
    let g = bySources.get(id);
    if (!g) bySources.set(id, (g = { sources: k.sources, names: new Set(), prefixes: new Set(), anyName: false }));
    if (!k.names && !k.prefixes) g.anyName = true;
    for (const n of k.names ?? []) g.names.add(n);
    for (const p of k.prefixes ?? []) g.prefixes.add(p);
  }
  const terms: string[] = [];
  for (const g of bySources.values()) {
    const name = g.anyName
      ? undefined
      : [...(g.names.size ? [`lower(eventName) IN (${[...g.names].map(sqlString).join(', ')})`] : []), ...[...g.prefixes].map((p) => `starts_with(lower(eventName), ${sqlString(p)})`)].join(' OR ') || 'FALSE';
    const source = g.sources === null ? undefined : g.sources.length ? `lower(eventSource) IN (${g.sources.map(sqlString).join(', ')})` : 'FALSE';
    terms.push(name && source ? `((${name}) AND ${source})` : (name ?? source ?? 'TRUE'));
  }
  if (terms.includes('TRUE')) return 'TRUE';
  return terms.length ? `(${terms.join(' OR ')})` : 'FALSE';
}

/**
 * Rows whose eventName or eventSource is not all ASCII. SQL and JavaScript lower-case ASCII
 * alike; for other names the two may differ, so SQL selects them whatever the rules' names and
 * the JavaScript candidate lists decide.
 */
const EXOTIC_SQL = `(strlen(eventName) <> length(eventName) OR strlen(eventSource) <> length(eventSource))`;

/** The rules of `rules` that apply to an (eventName, eventSource) pair, memoized (a run sees few pairs). */
function candidateIndex(rules: CompiledRule[]): (name: string, source: string) => CompiledRule[] {
  const keyed = rules.map((c) => ({ c, k: candidateKey(c) }));
  const memo = new Map<string, CompiledRule[]>();
  return (name, source) => {
    const key = `${name}\u0000${source}`;
    const hit = memo.get(key);
    if (hit) return hit;
    const n = name.toLowerCase();
    const s = source.toLowerCase();
    const list = keyed
      .filter(({ k }) => (!k.names || k.names.includes(n)) && (!k.prefixes || k.prefixes.some((p) => n.startsWith(p))) && (!k.sources || k.sources.includes(s)))
      .map(({ c }) => c);
    if (memo.size > 100_000) memo.clear();
    memo.set(key, list);
    return list;
  };
}

/** What `evaluateOnValues` found: the matching combinations (in a sink) and the queries that find their rows. */
interface ValueMatches {
  matched: JsonlSink;
  selects: string[];
  combinations: number;
}

/**
 * Evaluates single-event rules that read only typed columns once per distinct combination of
 * the values they read, instead of once per event: DuckDB lists the combinations among a rule's
 * candidate rows (streamed, so a rule reading a field with many values costs time, not memory)
 * and the rule's own matcher decides each one on a record built from them. `mergeOnValues` then
 * finds the rows holding a matching combination and merges them into findings inside DuckDB.
 * Odd rows are left out (their typed values may not say what their record says): the runner
 * evaluates them on whole records. Reads only, so it can run on a connection of its own while
 * the runner streams windows.
 */
async function evaluateOnValues(
  store: Store,
  a: { rules: CompiledRule[]; candidates: (name: string, source: string) => CompiledRule[]; where: string; oddSql: string; matched: JsonlSink },
): Promise<ValueMatches> {
  const out: ValueMatches = { matched: a.matched, selects: [], combinations: 0 };
  for (let k = 0; k < a.rules.length; k++) {
    const c = a.rules[k]!;
    // The rule's typed fields, plus the names its candidate test reads.
    const paths = [...new Set(['eventName', 'eventSource', ...(c.rule.fields ?? [])])];
    const build = lightBuilder(paths);
    const cols = [...new Set(paths.map((p) => TYPED[p]!))];
    const where = `${a.where} AND NOT ${a.oddSql} AND (${candidateSql([c])} OR ${EXOTIC_SQL})`;
    let any = false;
    // Distinct first, then JSON: the combinations are usually far fewer than the rows.
    const distinct = `SELECT DISTINCT ${cols.map((x) => `"${x}"`).join(', ')} FROM event_store WHERE ${where}`;
    await store.forEachChunk(`SELECT to_json(struct_pack(${cols.map((x) => `${KEY[x]} := "${x}"`).join(', ')})) AS v FROM (${distinct})`, async (rows) => {
      for (const [value] of rows) {
        out.combinations++;
        const v = String(value);
        const r = JSON.parse(v) as Row;
        if (!a.candidates(String(col(r, 'eventName')), String(col(r, 'eventSource'))).includes(c)) continue;
        if (!c.rule.match!(build(r))) continue;
        await out.matched.add(JSON.stringify({ rule: k, v }));
        any = true;
      }
    });
    if (!any) continue;
    // The rows holding a matching combination: a join on the typed columns themselves, NULL
    // matching NULL, against the combinations parsed back into a table.
    const type = `{${cols.map((x) => `"${KEY[x]}": "${BOOLEAN_COLUMNS.has(x) ? 'BOOLEAN' : 'VARCHAR'}"`).join(', ')}}`;
    out.selects.push(`SELECT ${k} AS rule, e.rowid AS rid FROM event_store e
      SEMI JOIN (SELECT unnest(from_json(v, ${sqlString(type)})) FROM mv WHERE rule = ${k}) m
        ON ${cols.map((x) => `e."${x}" IS NOT DISTINCT FROM m.${KEY[x]}`).join(' AND ')}
      WHERE ${where}`);
  }
  return out;
}

/**
 * Merges into findings the rows holding the combinations `evaluateOnValues` matched, plus
 * `oddHits` (rowids of odd rows on which the runner found these rules to match).
 */
async function mergeOnValues(store: Store, rules: CompiledRule[], found: ValueMatches, oddHits: JsonlSink, now: Date): Promise<{ merge: MergeResult; matches: number }> {
  const selects = [...found.selects, ...(oddHits.count ? ['SELECT rule, rid FROM oh'] : [])];
  if (selects.length === 0) return { merge: { created: 0, extended: 0, unchanged: 0 }, matches: 0 };
  await store.run(`CREATE OR REPLACE TEMP TABLE mv AS ${await found.matched.relation({ rule: 'INTEGER', v: 'VARCHAR' })}`);
  await store.run(`CREATE OR REPLACE TEMP TABLE oh AS ${await oddHits.relation({ rule: 'INTEGER', rid: 'BIGINT' })}`);
  try {
    const meta = rules.map((c) => ({ ruleId: c.rule.id, title: c.rule.title, severity: c.rule.severity, attack: c.rule.attack }));
    return await mergeMatchQuery(store, meta, selects.join(' UNION ALL '), now);
  } finally {
    await store.run('DROP TABLE IF EXISTS mv');
    await store.run('DROP TABLE IF EXISTS oh');
  }
}

/** Reads and parses the whole records of rows `idx` (by rowid) into `out`. */
async function readWhole(store: Store, rows: Row[], idx: number[], out: (Record<string, unknown> | undefined)[]): Promise<void> {
  const fmt = (t: number) => sqlTime(new Date(t));
  let lo = Infinity;
  let hi = -Infinity;
  for (const i of idx) {
    const t = rows[i]!.t as number;
    lo = Math.min(lo, t);
    hi = Math.max(hi, t);
  }
  const got = await store.all(
    `SELECT rowid AS rid, coalesce(record, recordLarge) AS record FROM event_store
    WHERE eventTime BETWEEN CAST(? AS TIMESTAMP) AND CAST(? AS TIMESTAMP) AND rowid IN (${idx.map((i) => Number(rows[i]!.rid)).join(',')})`,
    [fmt(lo), fmt(hi)],
  );
  const byRid = new Map(got.map((x) => [Number(x.rid), String(x.record)]));
  for (const i of idx) out[i] = parseStoredJson(byRid.get(Number(rows[i]!.rid))!) as Record<string, unknown>;
}
