/**
 * Compiles parsed Sigma detections into plain predicates over JSON CloudTrail records.
 *
 * Matching semantics (Sigma v2.1 applied to JSON):
 * - Field paths are dotted and walk nested objects; arrays met on the way, and arrays at the end
 *   of the path, mean "any element matches" (same walk as `resolveAll` in model/fieldpath).
 * - Strings compare case-insensitively unless `cased`; JSON numbers and booleans compare as their
 *   string forms, so `'22'` matches 22 and `'true'` matches true.
 * - `null` matches a missing field or a JSON null.
 * - `contains` on an object or array tests its `JSON.stringify` text and also every string nested
 *   in it, so JSON fragments match whether they appear in the structure itself or inside a string
 *   member holding JSON (e.g. an IAM `policyDocument`). Keyword (field-less) searches apply the
 *   same text search to the whole record.
 * - `neq` is true when the field is present, not null, and the rest of the condition is false.
 *
 * Everything derived from the rule (regexes, lowercase literals, CIDRs, field paths) is prepared
 * once here; evaluation allocates nothing on the common paths.
 */
import { parsePath, resolveAll, type PathStep } from '../../model/fieldpath.js';
import { ipInCidr, parseCidr } from './ip.js';
import type { CondNode, FieldSpec, SearchNode, SigmaDetection, SigmaRule, StringMode, StringPattern, TimePart } from './parse.js';

/** A compiled rule condition over one record. */
export type Predicate = (record: object) => boolean;

type Visit = (v: unknown) => boolean;
/** Feeds each value at a path to `test`; undefined when the field is absent. */
type Accessor = (record: object, test: Visit) => boolean | undefined;
type TextTest = (s: string) => boolean;

// Records are treated as immutable once handed to the matcher, so their JSON text can be cached.
const jsonCache = new WeakMap<object, string>();

function jsonText(o: object): string {
  let t = jsonCache.get(o);
  if (t === undefined) {
    t = JSON.stringify(o) ?? '';
    jsonCache.set(o, t);
  }
  return t;
}

function anyNestedString(v: unknown, test: TextTest, depth: number): boolean {
  if (typeof v === 'string') return test(v);
  if (v === null || typeof v !== 'object' || depth > 64) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (anyNestedString(v[i], test, depth + 1)) return true;
    return false;
  }
  for (const k in v) {
    if (Object.hasOwn(v, k) && anyNestedString((v as Record<string, unknown>)[k], test, depth + 1)) return true;
  }
  return false;
}

function textSearch(o: object, test: TextTest): boolean {
  return test(jsonText(o)) || anyNestedString(o, test, 0);
}

/** Wraps a text test into a value visitor: scalars as strings, arrays element-wise, objects as text when asked. */
function valueTest(test: TextTest, objectsAsText: boolean): Visit {
  const vt: Visit = (v) => {
    switch (typeof v) {
      case 'string':
        return test(v);
      case 'number':
        return test(String(v));
      case 'boolean':
        return test(v ? 'true' : 'false');
      case 'object': {
        if (v === null) return false;
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) if (vt(v[i])) return true;
          return objectsAsText && test(jsonText(v));
        }
        return objectsAsText && textSearch(v, test);
      }
      default:
        return false;
    }
  };
  return vt;
}

// ---------------------------------------------------------------------------------------------
// Field access

const isNull: Visit = (v) => v === null;
const notNull: Visit = (v) => v !== null;
const always: Visit = () => true;

function compileAccessor(path: string | null): Accessor {
  if (path === null) return (rec, test) => test(rec);
  const steps: PathStep[] = parsePath(path);
  const n = steps.length;
  if (n === 0) return (rec, test) => test(rec);
  // Keys that exist on Object.prototype need an own-property check; all others can use a plain read.
  const unsafe = steps.map((s) => typeof s === 'string' && s in Object.prototype);
  const slow: Accessor = (rec, test) => {
    const vals = resolveAll(rec, steps);
    if (vals.length === 0) return undefined;
    for (let i = 0; i < vals.length; i++) if (test(vals[i])) return true;
    return false;
  };
  if (n === 1 && typeof steps[0] === 'string' && !unsafe[0]) {
    const k = steps[0];
    return (rec, test) => {
      if (Array.isArray(rec)) return slow(rec, test);
      const v = (rec as Record<string, unknown>)[k];
      return v === undefined ? undefined : test(v);
    };
  }
  return (rec, test) => {
    let v: unknown = rec;
    for (let i = 0; i < n; i++) {
      if (v === null || typeof v !== 'object') return undefined;
      const s = steps[i]!;
      if (typeof s === 'number') {
        if (!Array.isArray(v)) return undefined;
        v = v[s];
      } else {
        if (Array.isArray(v)) return slow(rec, test);
        if (unsafe[i] && !Object.hasOwn(v, s)) return undefined;
        v = (v as Record<string, unknown>)[s];
      }
      if (v === undefined) return undefined;
    }
    return test(v);
  };
}

// ---------------------------------------------------------------------------------------------
// String patterns

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function literalOf(p: StringPattern): string | undefined {
  let s = '';
  for (const part of p.parts) {
    if (part.kind !== 'text') return undefined;
    s += part.text;
  }
  return s;
}

function patternRegex(p: StringPattern, mode: StringMode): RegExp {
  let src = '';
  for (const part of p.parts) {
    if (part.kind === 'text') src += escapeRe(part.text);
    else if (part.kind === 'any') src += '.*';
    else if (part.kind === 'one') src += '.';
    else src += '[-/\u2013\u2014\u2015]';
  }
  if (mode === 'equals' || mode === 'startswith') src = '^' + src;
  if (mode === 'equals' || mode === 'endswith') src += '$';
  return new RegExp(src, p.cased ? 's' : 'is');
}

function compilePattern(p: StringPattern, mode: StringMode): TextTest {
  const lit = literalOf(p);
  if (lit !== undefined && p.cased) {
    if (mode === 'equals') return (s) => s === lit;
    if (mode === 'contains') return (s) => s.includes(lit);
    if (mode === 'startswith') return (s) => s.startsWith(lit);
    return (s) => s.endsWith(lit);
  }
  const re = patternRegex(p, mode);
  return (s) => re.test(s);
}

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/** One OR-group of patterns; literal equalities become set lookups with a length pre-filter. */
function compileGroup(patterns: StringPattern[], mode: StringMode): TextTest {
  const tests: TextTest[] = [];
  const exactCased = new Set<string>();
  const exact = new Set<string>();
  const lower = new Set<string>();
  const lengths = new Set<number>();
  let ascii = true;
  for (const p of patterns) {
    const lit = mode === 'equals' ? literalOf(p) : undefined;
    if (lit === undefined) tests.push(compilePattern(p, mode));
    else if (p.cased) exactCased.add(lit);
    else {
      exact.add(lit);
      lower.add(lit.toLowerCase());
      lengths.add(lit.length);
      if (!ASCII.test(lit)) ascii = false;
    }
  }
  let setTest: TextTest | undefined;
  if (exact.size === 1 && exactCased.size === 0) {
    const [lit] = exact;
    const [low] = lower;
    const len = lit!.length;
    setTest = ascii ? (s) => s === lit || (s.length === len && s.toLowerCase() === low) : (s) => s === lit || s.toLowerCase() === low;
  } else if (exact.size > 0 || exactCased.size > 0) {
    // A string whose lowercase equals an ASCII literal has that literal's length, so other lengths skip toLowerCase.
    setTest = (s) => {
      if (exactCased.has(s) || exact.has(s)) return true;
      if (lower.size === 0 || (ascii && !lengths.has(s.length))) return false;
      return lower.has(s.toLowerCase());
    };
  }
  if (setTest && tests.length === 0) return setTest;
  if (setTest) tests.push(setTest);
  if (tests.length === 1) return tests[0]!;
  return (s) => {
    for (let i = 0; i < tests.length; i++) if (tests[i]!(s)) return true;
    return false;
  };
}

// ---------------------------------------------------------------------------------------------
// Numbers and dates

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

function isoWeek(d: Date): number {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
}

/** Extracts a UTC date part; strings are parsed as dates, numbers taken as epoch milliseconds. */
function datePart(v: unknown, part: TimePart): number {
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) return NaN;
  const d = new Date(ms);
  switch (part) {
    case 'minute':
      return d.getUTCMinutes();
    case 'hour':
      return d.getUTCHours();
    case 'day':
      return d.getUTCDate();
    case 'week':
      return isoWeek(d);
    case 'month':
      return d.getUTCMonth() + 1;
    case 'year':
      return d.getUTCFullYear();
  }
}

function scalarVisit(test: (v: unknown) => boolean): Visit {
  const vt: Visit = (v) => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (vt(v[i])) return true;
      return false;
    }
    return test(v);
  };
  return vt;
}

function flatScalars(vals: unknown[], out: unknown[]): unknown[] {
  for (const v of vals) {
    if (Array.isArray(v)) flatScalars(v, out);
    else out.push(v);
  }
  return out;
}

function asText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/**
 * For a yes/no search, a leading `.*`/`.+` or trailing one adds nothing but backtracking
 * (`.+x` finds a match exactly when `.x` does), so they are trimmed when the pattern has no
 * alternation, anchors or backreferences that could change that.
 */
export function simplifyRegexForTest(source: string): string {
  if (/\\[1-9]/.test(source) || /[|^$]/.test(source.replace(/\\./g, ''))) return source;
  let src = source;
  const lead = /^\.([*+])\??/.exec(src);
  if (lead) src = (lead[1] === '+' ? '.' : '') + src.slice(lead[0].length);
  const trail = /\.([*+])\??$/.exec(src);
  if (trail) {
    const before = src.slice(0, trail.index);
    const slashes = /\\*$/.exec(before)![0].length;
    if (slashes % 2 === 0) src = before + (trail[1] === '+' ? '.' : '');
  }
  return src;
}

function compileRegex(source: string, flags: string): RegExp {
  const simple = simplifyRegexForTest(source);
  try {
    return new RegExp(simple, flags);
  } catch {
    return new RegExp(source, flags);
  }
}

// ---------------------------------------------------------------------------------------------
// Field conditions

function allOf(preds: Predicate[]): Predicate {
  if (preds.length === 1) return preds[0]!;
  if (preds.length === 2) {
    const [a, b] = preds as [Predicate, Predicate];
    return (r) => a(r) && b(r);
  }
  if (preds.length === 3) {
    const [a, b, c] = preds as [Predicate, Predicate, Predicate];
    return (r) => a(r) && b(r) && c(r);
  }
  return (r) => {
    for (let i = 0; i < preds.length; i++) if (!preds[i]!(r)) return false;
    return true;
  };
}

function anyOf(preds: Predicate[]): Predicate {
  if (preds.length === 1) return preds[0]!;
  if (preds.length === 2) {
    const [a, b] = preds as [Predicate, Predicate];
    return (r) => a(r) || b(r);
  }
  return (r) => {
    for (let i = 0; i < preds.length; i++) if (preds[i]!(r)) return true;
    return false;
  };
}

/** Value groups: OR-ed into one unless `all`, in which case each group must be satisfied. */
function byGroups(acc: Accessor, visits: Visit[], all: boolean, merge: () => Visit): Predicate {
  if (visits.length === 0) return () => false;
  if (!all || visits.length === 1) {
    const v = all ? visits[0]! : merge();
    return (r) => acc(r, v) === true;
  }
  return allOf(visits.map((v) => (r: object) => acc(r, v) === true));
}

function compileField(spec: FieldSpec): Predicate {
  const acc = compileAccessor(spec.field);
  const m = spec.match;
  let p: Predicate;
  switch (m.type) {
    case 'exists': {
      const want = m.exists;
      return (r) => (acc(r, always) !== undefined) === want;
    }
    case 'null':
      p = (r) => {
        const res = acc(r, isNull);
        return res === undefined || res;
      };
      break;
    case 'string': {
      const objText = spec.field === null || m.mode === 'contains';
      const key = spec.field !== null && /^[A-Za-z0-9_-]+$/.test(spec.field) && !(spec.field in Object.prototype) ? spec.field : undefined;
      let core: Predicate;
      if (key !== undefined && (!spec.all || m.groups.length === 1)) {
        // Hot path: a top-level field holding a string is tested without the visitor indirection.
        const st = compileGroup(m.groups.flat(), m.mode);
        const vt = valueTest(st, objText);
        core = (r) => {
          if (Array.isArray(r)) return acc(r, vt) === true;
          const v = (r as Record<string, unknown>)[key];
          return typeof v === 'string' ? st(v) : v !== undefined && vt(v);
        };
      } else {
        const visits = m.groups.map((g) => valueTest(compileGroup(g, m.mode), objText));
        const merged = () => valueTest(compileGroup(m.groups.flat(), m.mode), objText);
        core = byGroups(acc, visits, spec.all, merged);
      }
      p = m.allowNull
        ? (r) => {
            const res = acc(r, isNull);
            return res === undefined || res || core(r);
          }
        : core;
      break;
    }
    case 're': {
      const objText = spec.field === null;
      const mk = (g: { source: string; flags: string }[]): Visit => {
        const regs = g.map((x) => compileRegex(x.source, x.flags));
        return valueTest(regs.length === 1 ? (s) => regs[0]!.test(s) : (s) => regs.some((re) => re.test(s)), objText);
      };
      p = byGroups(acc, m.groups.map(mk), spec.all, () => mk(m.groups.flat()));
      break;
    }
    case 'cidr': {
      const mk = (g: string[]): Visit => {
        const ranges = g.map((c) => parseCidr(c)!);
        return valueTest((s) => {
          for (let i = 0; i < ranges.length; i++) if (ipInCidr(s, ranges[i]!)) return true;
          return false;
        }, false);
      };
      p = byGroups(acc, m.groups.map(mk), spec.all, () => mk(m.groups.flat()));
      break;
    }
    case 'compare': {
      const { op, part } = m;
      const mk = (g: number[]): Visit =>
        scalarVisit((v) => {
          const x = part ? datePart(v, part) : toNumber(v);
          if (Number.isNaN(x)) return false;
          for (const n of g) {
            if (op === 'lt' ? x < n : op === 'lte' ? x <= n : op === 'gt' ? x > n : op === 'gte' ? x >= n : x === n) return true;
          }
          return false;
        });
      p = byGroups(acc, m.groups.map(mk), spec.all, () => mk(m.groups.flat()));
      break;
    }
    case 'fieldref': {
      const { mode, cased } = m;
      const norm = (s: string) => (cased ? s : s.toLowerCase());
      const cmp = (a: string, b: string) =>
        mode === 'equals' ? a === b : mode === 'contains' ? a.includes(b) : mode === 'startswith' ? a.startsWith(b) : a.endsWith(b);
      const mk = (g: string[]): Predicate => {
        const others = g.map((f) => parsePath(f));
        return (r) => {
          const refs: string[] = [];
          for (const o of others) {
            for (const v of flatScalars(resolveAll(r, o), [])) {
              const t = asText(v);
              if (t !== undefined) refs.push(norm(t));
            }
          }
          if (refs.length === 0) return false;
          return (
            acc(
              r,
              scalarVisit((v) => {
                const t = asText(v);
                if (t === undefined) return false;
                const a = norm(t);
                return refs.some((b) => cmp(a, b));
              }),
            ) === true
          );
        };
      };
      p = spec.all ? allOf(m.groups.map(mk)) : mk(m.groups.flat());
      break;
    }
  }
  if (!spec.neq) return p;
  const inner = p;
  return (r) => acc(r, notNull) === true && !inner(r);
}

function fieldRank(f: FieldSpec): number {
  if (f.field === 'eventName') return 0;
  if (f.field === 'eventSource') return 1;
  if (f.match.type === 'string' && f.match.mode === 'equals') return 2;
  return 3;
}

function compileSearch(node: SearchNode): Predicate {
  if (node.kind === 'or') return anyOf(node.items.map(compileSearch));
  // Cheap, selective equalities first; evaluation order does not change the result.
  const fields = [...node.fields].sort((a, b) => fieldRank(a) - fieldRank(b));
  return allOf(fields.map(compileField));
}

function compileCondition(c: CondNode, searches: Map<string, Predicate>): Predicate {
  switch (c.op) {
    case 'ref':
      return searches.get(c.name)!;
    case 'not': {
      const a = compileCondition(c.arg, searches);
      return (r) => !a(r);
    }
    case 'and':
      return allOf(c.args.map((a) => compileCondition(a, searches)));
    case 'or':
      return anyOf(c.args.map((a) => compileCondition(a, searches)));
    case 'of': {
      const preds = c.names.map((n) => searches.get(n)!);
      if (c.min === 'all') return allOf(preds);
      if (c.min === 1) return anyOf(preds);
      const min = c.min;
      return (r) => {
        let hits = 0;
        for (let i = 0; i < preds.length; i++) {
          if (preds[i]!(r) && ++hits >= min) return true;
          if (hits + (preds.length - 1 - i) < min) return false;
        }
        return false;
      };
    }
  }
}

/** Compiles a parsed detection into a predicate; never throws for rules produced by the loader. */
export function compileDetection(det: SigmaDetection): Predicate {
  const searches = new Map<string, Predicate>();
  for (const [name, node] of det.searches) searches.set(name, compileSearch(node));
  return compileCondition(det.condition, searches);
}

// ---------------------------------------------------------------------------------------------
// Index support

type Req = Set<string> | null;

/** How requirements on one field combine: exact values, or prefixes of the value. */
interface ReqOps {
  leaf(f: FieldSpec, field: string): Req;
  and(a: Req, b: Req): Req;
}

function intersect(a: Req, b: Req): Req {
  if (a === null) return b;
  if (b === null) return a;
  return new Set([...a].filter((x) => b.has(x)));
}

function union(a: Req, b: Req): Req {
  if (a === null || b === null) return null;
  return new Set([...a, ...b]);
}

function fieldReq(f: FieldSpec, field: string): Req {
  if (f.field !== field || f.neq || f.match.type !== 'string' || f.match.mode !== 'equals' || f.match.allowNull) return null;
  const groups: Set<string>[] = [];
  for (const g of f.match.groups) {
    const s = new Set<string>();
    for (const p of g) {
      const lit = literalOf(p);
      if (lit === undefined) return null;
      s.add(lit.toLowerCase());
    }
    groups.push(s);
  }
  if (f.all) return groups.reduce<Req>((acc, g) => intersect(acc, g), null);
  return new Set(groups.flatMap((g) => [...g]));
}

/** Prefixes both sets allow: of two prefixes where one extends the other, the longer. */
function intersectPrefixes(a: Req, b: Req): Req {
  if (a === null) return b;
  if (b === null) return a;
  const out = new Set<string>();
  for (const p of a) {
    for (const q of b) {
      if (p.startsWith(q)) out.add(p);
      else if (q.startsWith(p)) out.add(q);
    }
  }
  return out;
}

/**
 * The lowercased prefixes one of which the field must start with: the text before the first
 * wildcard of `equals` and `startswith` patterns (a whole literal counts as its own prefix).
 * Non-ASCII prefixes are left out (their lowercase may differ between JavaScript and SQL).
 */
function fieldPrefixReq(f: FieldSpec, field: string): Req {
  if (f.field !== field || f.neq || f.match.type !== 'string' || f.match.allowNull) return null;
  if (f.match.mode !== 'equals' && f.match.mode !== 'startswith') return null;
  const groups: Set<string>[] = [];
  for (const g of f.match.groups) {
    const s = new Set<string>();
    for (const p of g) {
      let lead = '';
      for (const part of p.parts) {
        if (part.kind !== 'text') break;
        lead += part.text;
      }
      if (lead === '' || !ASCII.test(lead)) return null;
      s.add(lead.toLowerCase());
    }
    groups.push(s);
  }
  if (f.all) return groups.reduce<Req>((acc, g) => intersectPrefixes(acc, g), null);
  return new Set(groups.flatMap((g) => [...g]));
}

const EXACT: ReqOps = { leaf: fieldReq, and: intersect };
const PREFIX: ReqOps = { leaf: fieldPrefixReq, and: intersectPrefixes };

function searchReq(node: SearchNode, field: string, ops: ReqOps): Req {
  if (node.kind === 'or') return node.items.map((i) => searchReq(i, field, ops)).reduce((a, b) => union(a, b));
  let req: Req = null;
  for (const f of node.fields) req = ops.and(req, ops.leaf(f, field));
  return req;
}

function condReq(c: CondNode, det: SigmaDetection, field: string, ops: ReqOps): Req {
  switch (c.op) {
    case 'ref':
      return searchReq(det.searches.get(c.name)!, field, ops);
    case 'not':
      return null;
    case 'and':
      return c.args.map((a) => condReq(a, det, field, ops)).reduce<Req>((a, b) => ops.and(a, b), null);
    case 'or':
      return c.args.map((a) => condReq(a, det, field, ops)).reduce((a, b) => union(a, b));
    case 'of': {
      const reqs = c.names.map((n) => searchReq(det.searches.get(n)!, field, ops));
      return c.min === 'all' ? reqs.reduce<Req>((a, b) => ops.and(a, b), null) : reqs.reduce((a, b) => union(a, b));
    }
  }
}

/**
 * The values (lowercased) one of which `field` must equal for the rule to match, or null when the
 * rule does not constrain the field to a finite set (wildcards, negations, other modifiers).
 */
export function requiredValues(rule: SigmaRule | SigmaDetection, field: string): string[] | null {
  const det = 'detection' in rule ? rule.detection : rule;
  const r = condReq(det.condition, det, field, EXACT);
  return r === null ? null : [...r].sort();
}

/**
 * Lowercased prefixes one of which `field` must start with (ignoring case) for the rule to
 * match, or null when the rule does not constrain the field's start. Weaker than
 * `requiredValues` where both apply: it is meant for rules such as `eventName|startswith: Create`.
 */
export function requiredPrefixes(rule: SigmaRule | SigmaDetection, field: string): string[] | null {
  const det = 'detection' in rule ? rule.detection : rule;
  const r = condReq(det.condition, det, field, PREFIX);
  return r === null ? null : [...r].sort();
}

/** The eventName values (lowercased) a rule requires, or null if it can match any eventName. */
export function requiredEventNames(rule: SigmaRule | SigmaDetection): string[] | null {
  return requiredValues(rule, 'eventName');
}

/** What the index needs from a compiled rule. */
export interface Indexable {
  readonly match: Predicate;
  readonly eventNames: readonly string[] | null;
  readonly eventSources: readonly string[] | null;
}

/**
 * Groups rules by the eventName (else eventSource) values they require, so that a record is only
 * checked against rules that could match it plus the unconstrained ones.
 */
export class RuleIndex<T extends Indexable> {
  private readonly byName = new Map<string, T[]>();
  private readonly bySource = new Map<string, T[]>();
  private readonly nameRules: T[] = [];
  private readonly sourceRules: T[] = [];
  private readonly unconstrained: T[] = [];
  private readonly lower = new Map<string, string>();

  constructor(readonly rules: readonly T[]) {
    for (const r of rules) {
      if (r.eventNames !== null) {
        this.nameRules.push(r);
        for (const n of r.eventNames) push(this.byName, n, r);
      } else if (r.eventSources !== null) {
        this.sourceRules.push(r);
        for (const s of r.eventSources) push(this.bySource, s, r);
      } else this.unconstrained.push(r);
    }
  }

  /** Number of rules that run on every record regardless of eventName/eventSource. */
  get unconstrainedCount(): number {
    return this.unconstrained.length;
  }

  private lc(s: string): string {
    let l = this.lower.get(s);
    if (l === undefined) {
      l = s.toLowerCase();
      if (this.lower.size >= 50_000) this.lower.clear();
      this.lower.set(s, l);
    }
    return l;
  }

  /** Calls `cb` for every rule matching `record`. */
  forEachMatch(record: object, cb: (rule: T) => void): void {
    const rec = record as { eventName?: unknown; eventSource?: unknown };
    const name = rec.eventName;
    const byName = typeof name === 'string' ? this.byName.get(this.lc(name)) : this.nameRules;
    if (byName) for (let i = 0; i < byName.length; i++) if (byName[i]!.match(record)) cb(byName[i]!);
    const src = rec.eventSource;
    const bySrc = typeof src === 'string' ? this.bySource.get(this.lc(src)) : this.sourceRules;
    if (bySrc) for (let i = 0; i < bySrc.length; i++) if (bySrc[i]!.match(record)) cb(bySrc[i]!);
    const u = this.unconstrained;
    for (let i = 0; i < u.length; i++) if (u[i]!.match(record)) cb(u[i]!);
  }

  /** The rules matching `record`. */
  matches(record: object): T[] {
    const out: T[] = [];
    this.forEachMatch(record, (r) => out.push(r));
    return out;
  }
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}
