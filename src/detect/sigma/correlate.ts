/**
 * Streaming evaluation of Sigma correlation rules (event_count, value_count, temporal,
 * temporal_ordered, plus value_sum and value_avg) over base-rule matches pushed in time order.
 *
 * Windows:
 * - Conditions with only lower bounds (gt/gte, and the temporal default "all rules") use a
 *   sliding window per group: events older than `timespan` before the newest are evicted, the
 *   correlation fires as soon as the window satisfies the condition, and the group is then reset
 *   so the same events do not fire again.
 * - Conditions with an upper bound (lt, lte, eq, neq) can only be judged once a window is
 *   complete, so they use a window per group that opens at its first event and closes `timespan`
 *   later (on a later push, `advance()` or `flush()`), and fire at closing.
 * Memory stays bounded: idle groups are swept, and each group keeps at most `maxEventsPerGroup`.
 * Events whose group-by fields are absent are skipped, like a SQL GROUP BY dropping NULL keys.
 */
import { parsePath, resolveAll, type PathStep } from '../../model/fieldpath.js';
import type { CorrelationThreshold, SigmaCorrelation, SigmaLevel, SigmaLoadError } from './parse.js';

/** One record that matched one or more base rules, identified by id, name or title. */
export interface CorrelationInput {
  rules: readonly string[];
  record: object;
  /** Event time in epoch milliseconds; pushes must be in non-decreasing time order. */
  time: number;
  eventId: string;
}

/** A fired correlation. */
export interface CorrelationMatch {
  correlation: SigmaCorrelation;
  id: string;
  title: string;
  level?: SigmaLevel;
  type: SigmaCorrelation['correlation']['type'];
  /** group-by field (or alias) -> value. */
  group: Record<string, string>;
  groupKey: string;
  firstTime: number;
  lastTime: number;
  /** The count, distinct-value count, sum or average that met the condition. */
  value: number;
  /** Every event that contributed, oldest first, without duplicates. */
  eventIds: string[];
}

/** The identity of a base rule that correlations may reference. */
export interface BaseRuleRef {
  id?: string;
  name?: string;
  title: string;
  source?: { file: string };
}

/** Engine options. */
export interface CorrelationEngineOptions {
  /** Base rules that references and pushed rule identifiers resolve against. */
  rules?: readonly BaseRuleRef[];
  /** Cap on events kept per group (oldest dropped first); default 10,000. */
  maxEventsPerGroup?: number;
}

interface Entry {
  t: number;
  ids: string[];
  mask: number;
  value: string | undefined;
  num: number;
}

interface Group {
  key: string;
  values: string[];
  entries: Entry[];
  head: number;
  start: number;
  lastRecord: object | undefined;
  valueCounts: Map<string, number>;
  ruleCounts: number[];
  sum: number;
  n: number;
  best: number[];
}

interface Node {
  kind: 'rule' | 'corr';
  key: string;
  id?: string;
  name?: string;
  title: string;
  file?: string;
  state?: CorrState;
}

interface CorrState {
  corr: SigmaCorrelation;
  node: Node;
  refs: string[];
  groupNames: string[];
  /** Per referenced position: the group-by paths (aliases resolved). */
  groupPaths: PathStep[][][];
  sameGroupPaths: boolean;
  valuePaths: PathStep[][] | undefined;
  span: number;
  cond: CorrelationThreshold;
  sliding: boolean;
  groups: Map<string, Group>;
  dependents: { state: CorrState; pos: number }[];
}

const NONE = -Infinity;

function satisfies(c: CorrelationThreshold, v: number): boolean {
  if (c.gt !== undefined && !(v > c.gt)) return false;
  if (c.gte !== undefined && !(v >= c.gte)) return false;
  if (c.lt !== undefined && !(v < c.lt)) return false;
  if (c.lte !== undefined && !(v <= c.lte)) return false;
  if (c.eq !== undefined && v !== c.eq) return false;
  if (c.neq !== undefined && v === c.neq) return false;
  return true;
}

function keyText(vals: unknown[]): string | undefined {
  for (const v of vals) {
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) {
      const t = keyText(v);
      if (t !== undefined) return t;
      continue;
    }
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return undefined;
}

/** Evaluates correlation rules over a time-ordered stream of base-rule matches. */
export class CorrelationEngine {
  /** References that could not be resolved, cycles, and other problems found when building. */
  readonly errors: SigmaLoadError[] = [];
  private readonly nodes: Node[] = [];
  private readonly states: CorrState[] = [];
  private readonly consumers = new Map<string, { state: CorrState; pos: number }[]>();
  private readonly lookup = new Map<string, string[]>();
  private readonly cap: number;
  private readonly sweepEvery: number;
  private now = NONE;
  private lastSweep = NONE;

  constructor(correlations: readonly SigmaCorrelation[], opts: CorrelationEngineOptions = {}) {
    this.cap = Math.max(1, opts.maxEventsPerGroup ?? 10_000);
    (opts.rules ?? []).forEach((r, i) => {
      const n: Node = { kind: 'rule', key: `rule:${i}`, title: r.title };
      if (r.id !== undefined) n.id = r.id;
      if (r.name !== undefined) n.name = r.name;
      if (r.source) n.file = r.source.file;
      this.nodes.push(n);
    });
    correlations.forEach((c, i) => {
      const n: Node = { kind: 'corr', key: `corr:${i}`, title: c.title, file: c.source.file };
      if (c.id !== undefined) n.id = c.id;
      if (c.name !== undefined) n.name = c.name;
      this.nodes.push(n);
    });
    for (const n of this.nodes) {
      for (const k of [n.id, n.name, n.title]) {
        if (k === undefined) continue;
        const l = this.lookup.get(k);
        if (!l) this.lookup.set(k, [n.key]);
        else if (!l.includes(n.key)) l.push(n.key);
      }
    }
    const hasRules = opts.rules !== undefined;
    correlations.forEach((c, i) => {
      const node = this.nodes.find((n) => n.key === `corr:${i}`)!;
      const refs: string[] = [];
      let ok = true;
      for (const r of c.correlation.rules) {
        const key = this.resolve(r.ref, node, hasRules);
        if (key === undefined) {
          ok = false;
          this.errors.push({
            file: c.source.file,
            line: r.line,
            message: `correlation '${c.title}' references unknown rule '${r.ref}' (expected the name, id or title of a loaded rule)`,
            code: 'RULE_INVALID',
          });
        } else refs.push(key);
      }
      if (refs.length > 30) {
        ok = false;
        this.errors.push({ file: c.source.file, line: c.correlation.line, message: `correlation '${c.title}' references more than 30 rules`, code: 'RULE_INVALID' });
      }
      if (!ok) return;
      const st = this.buildState(c, node, refs);
      node.state = st;
      this.states.push(st);
    });
    // A correlation built on a correlation that failed cannot fire either; drop it (repeatedly, for chains).
    for (let changed = true; changed; ) {
      changed = false;
      for (const st of [...this.states]) {
        const pos = st.refs.findIndex((key) => {
          const t = this.nodes.find((n) => n.key === key);
          return t?.kind === 'corr' && !t.state;
        });
        if (pos < 0) continue;
        const t = this.nodes.find((n) => n.key === st.refs[pos])!;
        this.errors.push({
          file: st.corr.source.file,
          line: st.corr.correlation.rules[pos]?.line ?? st.corr.correlation.line,
          message: `correlation '${st.corr.title}' references correlation '${t.title}', which could not be loaded`,
          code: 'RULE_INVALID',
        });
        st.node.state = undefined;
        this.states.splice(this.states.indexOf(st), 1);
        changed = true;
      }
    }
    // Wire base-rule consumers and correlation-to-correlation chains.
    for (const st of this.states) {
      st.refs.forEach((key, pos) => {
        const target = this.nodes.find((n) => n.key === key);
        if (target?.state) target.state.dependents.push({ state: st, pos });
        else {
          const l = this.consumers.get(key);
          if (l) l.push({ state: st, pos });
          else this.consumers.set(key, [{ state: st, pos }]);
        }
      });
    }
    for (const st of this.states) {
      if (this.reaches(st, st, new Set())) {
        this.errors.push({ file: st.corr.source.file, line: st.corr.correlation.line, message: `correlation '${st.corr.title}' is part of a reference cycle`, code: 'RULE_INVALID' });
        st.dependents.length = 0;
      }
    }
    const spans = this.states.map((s) => s.span);
    this.sweepEvery = spans.length ? Math.max(1000, Math.min(...spans)) : 60_000;
  }

  private reaches(from: CorrState, target: CorrState, seen: Set<CorrState>): boolean {
    for (const d of from.dependents) {
      if (d.state === target) return true;
      if (!seen.has(d.state)) {
        seen.add(d.state);
        if (this.reaches(d.state, target, seen)) return true;
      }
    }
    return false;
  }

  private resolve(ref: string, self: Node, hasRules: boolean): string | undefined {
    const cands = this.nodes.filter((n) => n !== self);
    const sameFile = cands.filter((n) => n.file !== undefined && n.file === self.file);
    for (const pool of [sameFile, cands]) {
      for (const pick of [(n: Node) => n.id === ref, (n: Node) => n.name === ref, (n: Node) => n.title === ref]) {
        const hit = pool.filter(pick);
        if (hit.length >= 1) return hit[0]!.key;
      }
    }
    // Without a list of base rules, references are taken literally and matched against pushed identifiers.
    if (!hasRules) {
      const key = `ref:${ref}`;
      const l = this.lookup.get(ref);
      if (!l) this.lookup.set(ref, [key]);
      else if (!l.includes(key)) l.push(key);
      return key;
    }
    return undefined;
  }

  private buildState(c: SigmaCorrelation, node: Node, refs: string[]): CorrState {
    const spec = c.correlation;
    const refNames = spec.rules.map((r) => r.ref);
    const groupPaths = refs.map((_, pos) =>
      spec.groupBy.map((g) => {
        const alias = spec.aliases[g];
        if (!alias) return parsePath(g);
        const target = this.nodes.find((n) => n.key === refs[pos]);
        const field = alias[refNames[pos]!] ?? (target ? (alias[target.name ?? ''] ?? alias[target.id ?? ''] ?? alias[target.title]) : undefined);
        return parsePath(field ?? g);
      }),
    );
    const first = JSON.stringify(groupPaths[0]);
    const sameGroupPaths = groupPaths.every((p) => JSON.stringify(p) === first);
    const cond: CorrelationThreshold = spec.condition ?? { gte: refs.length };
    const sliding = cond.lt === undefined && cond.lte === undefined && cond.eq === undefined && cond.neq === undefined;
    const st: CorrState = {
      corr: c,
      node,
      refs,
      groupNames: spec.groupBy,
      groupPaths,
      sameGroupPaths,
      valuePaths: spec.field?.map((f) => parsePath(f)),
      span: spec.timespanMs,
      cond,
      sliding,
      groups: new Map(),
      dependents: [],
    };
    return st;
  }

  /** Indexes (into `opts.rules`) of base rules referenced by a correlation with `generate: false`. */
  correlationOnlyRules(): number[] {
    const out = new Set<number>();
    for (const st of this.states) {
      if (st.corr.generate) continue;
      for (const k of st.refs) if (k.startsWith('rule:')) out.add(Number(k.slice(5)));
    }
    return [...out].sort((a, b) => a - b);
  }

  /** Correlations that resolved and will be evaluated. */
  get active(): SigmaCorrelation[] {
    return this.states.map((s) => s.corr);
  }

  /**
   * The correlations that records pushed with rule identifier `ref` feed, and at which of their
   * referenced positions: what `push` does with it.
   */
  feeds(ref: string): { correlation: SigmaCorrelation; positions: number[] }[] {
    const out = new Map<CorrState, number[]>();
    for (const k of this.lookup.get(ref) ?? []) {
      for (const c of this.consumers.get(k) ?? []) {
        const l = out.get(c.state);
        if (l) l.push(c.pos);
        else out.set(c.state, [c.pos]);
      }
    }
    return [...out].map(([st, positions]) => ({ correlation: st.corr, positions: [...new Set(positions)].sort((a, b) => a - b) }));
  }

  /** Whether records matching the rule with this identifier (id, name or title) feed any correlation. */
  uses(ref: string): boolean {
    return this.feeds(ref).length > 0;
  }

  /** Feeds one record that matched the given base rules; returns correlations that fired. */
  push(input: CorrelationInput): CorrelationMatch[] {
    const out: CorrelationMatch[] = [];
    const t = Math.max(input.time, this.now);
    this.now = t;
    this.maybeSweep(out);
    const perState = new Map<CorrState, number>();
    for (const r of input.rules) {
      const keys = this.lookup.get(r);
      if (!keys) continue;
      for (const k of keys) {
        const cons = this.consumers.get(k);
        if (!cons) continue;
        for (const c of cons) perState.set(c.state, (perState.get(c.state) ?? 0) | (1 << c.pos));
      }
    }
    for (const [st, mask] of perState) this.feed(st, mask, input.record, t, [input.eventId], out);
    return out;
  }

  /** Moves time forward without an event: evicts, and closes complete fixed windows. */
  advance(time: number): CorrelationMatch[] {
    const out: CorrelationMatch[] = [];
    if (time > this.now) this.now = time;
    this.sweep(out, false);
    return out;
  }

  /** Closes every open fixed window (end of input) and returns what fires. */
  flush(): CorrelationMatch[] {
    const out: CorrelationMatch[] = [];
    this.sweep(out, true);
    return out;
  }

  /** Current memory use: groups and buffered events across all correlations. */
  get size(): { groups: number; events: number } {
    let groups = 0;
    let events = 0;
    for (const st of this.states) {
      groups += st.groups.size;
      for (const g of st.groups.values()) events += g.entries.length - g.head;
    }
    return { groups, events };
  }

  private maybeSweep(out: CorrelationMatch[]): void {
    if (this.lastSweep === NONE) this.lastSweep = this.now;
    if (this.now - this.lastSweep >= this.sweepEvery) this.sweep(out, false);
  }

  private sweep(out: CorrelationMatch[], all: boolean): void {
    this.lastSweep = this.now;
    for (const st of this.states) {
      for (const [k, g] of st.groups) {
        if (st.sliding) {
          this.evict(st, g, this.now);
          if (g.head >= g.entries.length || all) st.groups.delete(k);
        } else if (all || this.now > g.start + st.span) {
          this.close(st, g, out);
          st.groups.delete(k);
        }
      }
    }
  }

  private groupOf(st: CorrState, pos: number, record: object): { key: string; values: string[] } | undefined {
    const values: string[] = [];
    for (const p of st.groupPaths[pos]!) {
      const v = keyText(resolveAll(record, p));
      if (v === undefined) return undefined;
      values.push(v);
    }
    return { key: values.join('\u0000'), values };
  }

  private feed(st: CorrState, mask: number, record: object, t: number, ids: string[], out: CorrelationMatch[]): void {
    if (st.sameGroupPaths) {
      const pos = 31 - Math.clz32(mask & -mask);
      const g = this.groupOf(st, pos, record);
      if (g) this.add(st, g, mask, record, t, ids, out);
      return;
    }
    // Aliases may put one event into different groups for different referenced rules.
    const buckets = new Map<string, { g: { key: string; values: string[] }; mask: number }>();
    for (let pos = 0; pos < st.refs.length; pos++) {
      if (!(mask & (1 << pos))) continue;
      const g = this.groupOf(st, pos, record);
      if (!g) continue;
      const b = buckets.get(g.key);
      if (b) b.mask |= 1 << pos;
      else buckets.set(g.key, { g, mask: 1 << pos });
    }
    for (const b of buckets.values()) this.add(st, b.g, b.mask, record, t, ids, out);
  }

  private add(
    st: CorrState,
    gk: { key: string; values: string[] },
    mask: number,
    record: object,
    t: number,
    ids: string[],
    out: CorrelationMatch[],
  ): void {
    const type = st.corr.correlation.type;
    let value: string | undefined;
    let num = NaN;
    if (st.valuePaths) {
      const parts: string[] = [];
      for (const p of st.valuePaths) {
        const v = keyText(resolveAll(record, p));
        if (v === undefined) return;
        parts.push(v);
      }
      value = parts.length === 1 ? parts[0] : JSON.stringify(parts);
      if (type === 'value_sum' || type === 'value_avg') {
        num = Number(value);
        if (!Number.isFinite(num)) return;
      }
    }
    let g = st.groups.get(gk.key);
    if (g && !st.sliding && g.head < g.entries.length && t > g.start + st.span) {
      this.close(st, g, out);
      st.groups.delete(gk.key);
      g = undefined;
    }
    if (!g) {
      g = {
        key: gk.key,
        values: gk.values,
        entries: [],
        head: 0,
        start: t,
        lastRecord: undefined,
        valueCounts: new Map(),
        ruleCounts: new Array<number>(st.refs.length).fill(0),
        sum: 0,
        n: 0,
        best: new Array<number>(st.refs.length).fill(NONE),
      };
      st.groups.set(gk.key, g);
    }
    if (st.sliding) this.evict(st, g, t);
    if (g.head >= g.entries.length) g.start = t;
    // temporal_ordered: best[k] is the latest start time of an in-order chain reaching step k.
    if (type === 'temporal_ordered') {
      const lo = t - st.span;
      for (let k = st.refs.length - 1; k >= 1; k--) {
        if (mask & (1 << k) && g.best[k - 1]! >= lo && g.best[k - 1]! > g.best[k]!) g.best[k] = g.best[k - 1]!;
      }
      if (mask & 1) g.best[0] = t;
    }
    const e: Entry = { t, ids, mask, value, num };
    g.entries.push(e);
    g.lastRecord = record;
    this.account(st, g, e, +1);
    while (g.entries.length - g.head > this.cap) this.dropOldest(st, g);
    if (st.sliding) {
      const metric = this.metric(st, g, t);
      if (metric !== undefined && satisfies(st.cond, metric.value)) {
        this.emit(st, g, metric.value, metric.from, out);
        st.groups.delete(gk.key);
      }
    }
  }

  private account(st: CorrState, g: Group, e: Entry, sign: 1 | -1): void {
    const type = st.corr.correlation.type;
    if (type === 'value_count' && e.value !== undefined) {
      const c = (g.valueCounts.get(e.value) ?? 0) + sign;
      if (c <= 0) g.valueCounts.delete(e.value);
      else g.valueCounts.set(e.value, c);
    } else if (type === 'value_sum' || type === 'value_avg') {
      g.sum += sign * e.num;
    } else if (type === 'temporal') {
      for (let p = 0; p < st.refs.length; p++) if (e.mask & (1 << p)) g.ruleCounts[p]! += sign;
    }
    g.n += sign;
  }

  private dropOldest(st: CorrState, g: Group): void {
    const e = g.entries[g.head]!;
    this.account(st, g, e, -1);
    g.head++;
    if (g.head > 1024 && g.head * 2 > g.entries.length) {
      g.entries = g.entries.slice(g.head);
      g.head = 0;
    }
  }

  private evict(st: CorrState, g: Group, now: number): void {
    const lo = now - st.span;
    while (g.head < g.entries.length && g.entries[g.head]!.t < lo) this.dropOldest(st, g);
  }

  private metric(st: CorrState, g: Group, now: number): { value: number; from: number } | undefined {
    const live = g.entries.length - g.head;
    if (live === 0) return undefined;
    const from = g.entries[g.head]!.t;
    switch (st.corr.correlation.type) {
      case 'event_count':
        return { value: g.n, from };
      case 'value_count':
        return { value: g.valueCounts.size, from };
      case 'value_sum':
        return { value: g.sum, from };
      case 'value_avg':
        return { value: g.n ? g.sum / g.n : 0, from };
      case 'temporal': {
        let c = 0;
        for (const n of g.ruleCounts) if (n > 0) c++;
        return { value: c, from };
      }
      case 'temporal_ordered': {
        const lo = st.sliding ? now - st.span : NONE;
        for (let k = st.refs.length - 1; k >= 0; k--) {
          const start = g.best[k]!;
          if (start === NONE || start < lo) continue;
          // Earlier first-step events still in the window also start valid chains, so they contribute too.
          for (let i = g.head; i < g.entries.length; i++) {
            const e = g.entries[i]!;
            if (e.t > start) break;
            if (e.mask & 1 && e.t >= lo) return { value: k + 1, from: e.t };
          }
          return { value: k + 1, from: start };
        }
        return { value: 0, from };
      }
    }
  }

  private close(st: CorrState, g: Group, out: CorrelationMatch[]): void {
    const m = this.metric(st, g, this.now);
    if (m !== undefined && satisfies(st.cond, m.value)) this.emit(st, g, m.value, m.from, out);
  }

  private emit(st: CorrState, g: Group, value: number, from: number, out: CorrelationMatch[]): void {
    const seen = new Set<string>();
    const eventIds: string[] = [];
    let first = Infinity;
    let last = NONE;
    for (let i = g.head; i < g.entries.length; i++) {
      const e = g.entries[i]!;
      if (e.t < from) continue;
      if (e.t < first) first = e.t;
      if (e.t > last) last = e.t;
      for (const id of e.ids) {
        if (!seen.has(id)) {
          seen.add(id);
          eventIds.push(id);
        }
      }
    }
    const c = st.corr;
    const group: Record<string, string> = {};
    st.groupNames.forEach((n, i) => Object.defineProperty(group, n, { value: g.values[i]!, enumerable: true, writable: true, configurable: true }));
    const match: CorrelationMatch = {
      correlation: c,
      id: c.id ?? c.name ?? c.title,
      title: c.title,
      type: c.correlation.type,
      group,
      groupKey: g.key,
      firstTime: first,
      lastTime: last,
      value,
      eventIds,
    };
    if (c.level) match.level = c.level;
    out.push(match);
    const record = g.lastRecord;
    if (record) {
      for (const d of st.dependents) this.feed(d.state, 1 << d.pos, record, last, eventIds, out);
    }
  }
}
