/**
 * Hot regions of sliding-window correlations: which candidate rows of their base rules could
 * be part of a window that fires, so that the runner reads only those.
 *
 * A correlation whose condition has only lower bounds (`gt`, `gte`; the temporal default "all
 * rules") fires at an event when the window ending there, `timespan` long, holds at least m
 * events — or m distinct values (value_count), or m distinct referenced rules (temporal,
 * temporal_ordered). Cut time into buckets of `timespan`: that window lies within the event's
 * bucket and the one before. Counting candidate rows (a superset of the rule matches) per group
 * over each pair of consecutive buckets finds the pairs where the group could fire; a row outside
 * every such pair belongs to no window that fires. Leaving those rows out changes nothing the
 * engine reports: a window that fires keeps every one of its events, so it fires the same way and
 * resets its group the same way, and windows that do not fire decide nothing.
 *
 * Rows whose typed columns may not say what their record says (odd rows, names DuckDB and
 * JavaScript lower-case differently) could land in any group: a bucket holding one makes its
 * neighbourhood hot for every group.
 */
import type { SigmaCorrelation } from './sigma/index.js';

/** How the hot regions of one correlation are found. */
export interface HotPlan {
  /** Typed columns of its group-by fields (those without one are left out: coarser groups). */
  groupColumns: string[];
  /** What must reach `min` within a window. */
  metric: 'events' | 'values' | 'rules';
  /** SQL of the counted value (value_count on typed fields). */
  valueSql?: string;
  min: number;
  spanMs: number;
}

/**
 * The plan for a correlation, or null when its candidate rows cannot be pruned: conditions with
 * an upper bound (fixed windows), thresholds below 2, aliases, value sums and averages.
 */
export function hotPlan(c: SigmaCorrelation, typed: Record<string, string>): HotPlan | null {
  const spec = c.correlation;
  const cond = spec.condition ?? { gte: spec.rules.length };
  if (cond.lt !== undefined || cond.lte !== undefined || cond.eq !== undefined || cond.neq !== undefined) return null;
  const min = Math.max(cond.gte !== undefined ? Math.ceil(cond.gte) : -Infinity, cond.gt !== undefined ? Math.floor(cond.gt) + 1 : -Infinity);
  if (!(min >= 2) || !(spec.timespanMs >= 1) || Object.keys(spec.aliases).length > 0) return null;
  // Counting per coarser groups (the group-by fields that have a typed column) bounds the counts
  // per group from above, which keeps the pruning sound.
  const groupColumns = spec.groupBy.filter((g) => g in typed).map((g) => typed[g]!);
  const base = { groupColumns, min, spanMs: Math.floor(spec.timespanMs) };
  switch (spec.type) {
    case 'event_count':
      return { ...base, metric: 'events' };
    case 'value_count': {
      const fields = spec.field ?? [];
      // Distinct values need them typed; otherwise the window's event count bounds them.
      if (fields.length === 0 || !fields.every((f) => f in typed)) return { ...base, metric: 'events' };
      const cols = fields.map((f) => `"${typed[f]!}"`);
      return { ...base, metric: 'values', valueSql: cols.length === 1 ? cols[0]! : `list_value(${cols.join(', ')})` };
    }
    case 'temporal':
    case 'temporal_ordered':
      return { ...base, metric: 'rules' };
    default:
      return null;
  }
}

/** One correlation to find hot rows for. */
export interface HotInput {
  plan: HotPlan;
  /**
   * Per referenced position, SQL true for rows a rule feeding that position could match:
   * `tight` may use typed columns beyond eventName and eventSource (trusted on plain rows only),
   * `loose` uses those two alone (for the rows whose other typed columns may mislead).
   */
  positions: { tight: string; loose: string }[];
}

/**
 * A query for the rowids of the rows, among the candidates of `input`'s base rules, that lie in a
 * hot region (`where`: the run's time bounds; `wildSql`: rows that count for every group).
 */
export function hotRowsSql(input: HotInput, where: string, wildSql: string): string {
  const { plan, positions } = input;
  const g = plan.groupColumns.map((c, i) => ({ col: `"${c}"`, alias: `g${i}` }));
  const groupSel = g.map((x) => `${x.col} AS ${x.alias}`).join(', ');
  const groupNames = g.map((x) => x.alias);
  const notNull = groupNames.map((n) => `${n} IS NOT NULL`).join(' AND ') || 'TRUE';
  const metric = plan.metric === 'events' ? 'count(*)' : plan.metric === 'values' ? 'count(DISTINCT v)' : 'len(list_distinct(flatten(list(refs))))';
  const refs = plan.metric !== 'rules' ? 'NULL' : `list_filter([${positions.map((p, i) => `CASE WHEN ${p.tight} THEN ${i} END`).join(', ')}], x -> x IS NOT NULL)`;
  const tight = positions.map((p) => p.tight).join(' OR ') || 'FALSE';
  const loose = positions.map((p) => p.loose).join(' OR ') || 'FALSE';
  const sameGroup = groupNames.map((n) => `h.${n} = c.${n}`).join(' AND ') || 'TRUE';
  return `WITH c AS (
      SELECT rowid AS rid, ${groupSel ? groupSel + ', ' : ''}CAST(floor(epoch_ms(eventTime) / ${plan.spanMs}) AS BIGINT) AS b,
        ${plan.valueSql ?? 'NULL'} AS v, ${refs} AS refs, ${wildSql} AS wild
      FROM event_store
      WHERE ${where} AND ((${tight}) OR (${wildSql} AND (${loose})))),
    pairs AS (
      SELECT ${[...groupNames, 'b', 'v', 'refs'].join(', ')} FROM c WHERE NOT wild AND ${notNull}
      UNION ALL
      SELECT ${[...groupNames, 'b + 1 AS b', 'v', 'refs'].join(', ')} FROM c WHERE NOT wild AND ${notNull}),
    hot AS (SELECT ${[...groupNames, 'b'].join(', ')} FROM pairs GROUP BY ${[...groupNames, 'b'].join(', ')} HAVING ${metric} >= ${plan.min}),
    wildb AS (SELECT DISTINCT b FROM c WHERE wild)
    SELECT rid FROM c WHERE NOT wild AND ${notNull} AND EXISTS (SELECT 1 FROM hot h WHERE ${sameGroup} AND (h.b = c.b OR h.b = c.b + 1))
    UNION
    SELECT rid FROM c WHERE NOT wild AND (b IN (SELECT b FROM wildb) OR b + 1 IN (SELECT b FROM wildb) OR b - 1 IN (SELECT b FROM wildb))`;
}
