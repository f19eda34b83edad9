/**
 * Compiles a parsed filter pattern into a predicate over CloudTrail records, with CloudWatch Logs
 * metric-filter semantics. Decisions where the CloudWatch docs are silent:
 *
 * - Missing field: every comparison is false, `!=` included; only `NOT EXISTS` is true. This is what
 *   the CloudWatch console's "Test pattern" does: `{ ($.errorCode = "AccessDenied") &&
 *   ($.userIdentity.invokedBy != "cloudfront.amazonaws.com") }` does not match an event without
 *   `invokedBy` (DataBiosphere/azul#5884). So CIS 4.2 (`$.additionalEventData.MFAUsed != "Yes"`)
 *   ignores sign-ins that carry no `MFAUsed`, and CIS 4.1 v3's `$.sourceIPAddress != …` requires
 *   the field.
 * - Object or array at the selector: no condition matches ("If a property selector points to an
 *   array or object, the metric filter won't match"); `NOT EXISTS` is false (the key is there).
 * - JSON null: only `IS NULL` matches; comparisons, `!=` included, are false, as for a missing value.
 * - `= *` / `= "*"` (the CDK's `exists()`): true for a string, number or boolean; false for null,
 *   objects, arrays and absent fields. `!= *` never matches.
 * - Strings: `=`/`!=` are case-sensitive; `*` matches any run of characters (also empty).
 * - Numbers in the event: a number literal compares numerically (`1e-3` equals `0.001`); a string
 *   value (`"4*"`, `"400"`) is matched against the number's decimal text (the docs allow `*` as a
 *   numeric wildcard and `{ $.latency = * }` matches `"latency": 50`).
 * - Strings in the event against a number literal: `<`, `>`, `<=`, `>=` are false (numeric only);
 *   `=`/`!=` compare the literal as written, so `$.recipientAccountId = 123456789012` works on the
 *   string CloudTrail writes.
 * - Booleans: `IS TRUE` / `IS FALSE` only (the docs' and CDK's way); `= true` does not match a JSON
 *   boolean.
 * - `%regex%`: unanchored search, case-sensitive, on strings and on numbers' text.
 * - Term patterns run on the record's compact JSON text; a word or phrase must start and end on
 *   term boundaries (the neighbouring characters are not letters, digits or `_`), so `Stop` does not
 *   match `StopLogging` while `%Stop%` does.
 */
import { AitrailError } from '../../model/errors.js';
import { resolveOne, type PathStep } from '../../model/fieldpath.js';
import type { FilterValue, JsonExpr, MetricFilterAst, Term, TermGroup } from './parse.js';

/** A compiled filter: true when the record matches. */
export type RecordPredicate = (record: object) => boolean;

/** Thrown for `[ … ]` patterns, which describe positional columns of text log lines. */
export const SPACE_DELIMITED_NOT_APPLICABLE =
  'space-delimited patterns ([...]) apply to text logs, not to CloudTrail JSON: write a JSON pattern such as { $.eventName = "ConsoleLogin" }';

const TRUE: RecordPredicate = () => true;
const FALSE: RecordPredicate = () => false;

type Getter = (record: object) => unknown;

function hasOwn(o: unknown, k: string): boolean {
  return o !== null && typeof o === 'object' && !Array.isArray(o) && Object.hasOwn(o, k);
}

// Specialised accessors for the common 1–3 key paths; same semantics as resolveOne.
function getter(path: PathStep[]): Getter {
  if (path.every((s) => typeof s === 'string')) {
    const [a, b, c] = path as string[];
    if (path.length === 1) return (r) => (hasOwn(r, a) ? (r as Record<string, unknown>)[a] : undefined);
    if (path.length === 2) {
      return (r) => {
        if (!hasOwn(r, a)) return undefined;
        const x = (r as Record<string, unknown>)[a];
        return hasOwn(x, b) ? (x as Record<string, unknown>)[b] : undefined;
      };
    }
    if (path.length === 3) {
      return (r) => {
        if (!hasOwn(r, a)) return undefined;
        const x = (r as Record<string, unknown>)[a];
        if (!hasOwn(x, b)) return undefined;
        const y = (x as Record<string, unknown>)[b];
        return hasOwn(y, c) ? (y as Record<string, unknown>)[c] : undefined;
      };
    }
  }
  return (r) => resolveOne(r, path);
}

// Special-cases exact, prefix, suffix and infix patterns: they cover nearly all real patterns and
// avoid a regex per comparison.
function globMatcher(pattern: string): (s: string) => boolean {
  if (!pattern.includes('*')) return (s) => s === pattern;
  const parts = pattern.split('*');
  if (parts.every((p) => p === '')) return () => true;
  if (parts.length === 2) {
    const [pre, post] = parts;
    if (post === '') return (s) => s.startsWith(pre);
    if (pre === '') return (s) => s.endsWith(post);
  }
  if (parts.length === 3 && parts[0] === '' && parts[2] === '') {
    const mid = parts[1];
    return (s) => s.includes(mid);
  }
  const re = new RegExp('^' + parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*') + '$');
  return (s) => re.test(s);
}

/** Text of a scalar that string/regex values compare against; undefined when they cannot apply. */
function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function compare(get: Getter, op: string, value: FilterValue): RecordPredicate {
  if (value.kind === 'regex') {
    const re = new RegExp(value.source);
    const neg = op === '!=';
    return (r) => {
      const t = scalarText(get(r));
      return t !== undefined && re.test(t) !== neg;
    };
  }
  if (value.kind === 'string') {
    const neg = op === '!=';
    if (/^\*+$/.test(value.text)) {
      if (neg) return FALSE;
      return (r) => {
        const v = get(r);
        return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
      };
    }
    const m = globMatcher(value.text);
    return (r) => {
      const t = scalarText(get(r));
      return t !== undefined && m(t) !== neg;
    };
  }
  const n = value.value;
  const text = value.text;
  switch (op) {
    case '=':
      return (r) => {
        const v = get(r);
        return typeof v === 'number' ? v === n : typeof v === 'string' && v === text;
      };
    case '!=':
      return (r) => {
        const v = get(r);
        return typeof v === 'number' ? v !== n : typeof v === 'string' && v !== text;
      };
    case '<':
      return (r) => {
        const v = get(r);
        return typeof v === 'number' && v < n;
      };
    case '>':
      return (r) => {
        const v = get(r);
        return typeof v === 'number' && v > n;
      };
    case '<=':
      return (r) => {
        const v = get(r);
        return typeof v === 'number' && v <= n;
      };
    default:
      return (r) => {
        const v = get(r);
        return typeof v === 'number' && v >= n;
      };
  }
}

function selectorKey(path: PathStep[]): string {
  return JSON.stringify(path);
}

/**
 * `||` over several exact `$.x = "literal"` conditions on the same selector (CIS 4.4–4.15 are
 * lists of event names) becomes one Set lookup instead of a chain of comparisons.
 */
function compileOr(children: JsonExpr[]): RecordPredicate {
  const sets = new Map<string, { path: PathStep[]; values: Set<string> }>();
  const rest: JsonExpr[] = [];
  for (const c of children) {
    if (c.type === 'compare' && c.op === '=' && c.value.kind === 'string' && !c.value.text.includes('*')) {
      const key = selectorKey(c.path);
      let entry = sets.get(key);
      if (!entry) sets.set(key, (entry = { path: c.path, values: new Set() }));
      entry.values.add(c.value.text);
    } else {
      rest.push(c);
    }
  }
  const preds: RecordPredicate[] = [];
  for (const { path, values } of sets.values()) {
    const get = getter(path);
    if (values.size === 1) {
      const [only] = values;
      preds.push((r) => {
        const t = scalarText(get(r));
        return t === only;
      });
    } else {
      preds.push((r) => {
        const t = scalarText(get(r));
        return t !== undefined && values.has(t);
      });
    }
  }
  for (const c of rest) preds.push(compileJson(c));
  return anyOf(preds);
}

function anyOf(preds: RecordPredicate[]): RecordPredicate {
  if (preds.length === 1) return preds[0];
  if (preds.length === 2) {
    const [a, b] = preds;
    return (r) => a(r) || b(r);
  }
  return (r) => {
    for (let i = 0; i < preds.length; i++) if (preds[i](r)) return true;
    return false;
  };
}

function allOf(preds: RecordPredicate[]): RecordPredicate {
  if (preds.length === 1) return preds[0];
  if (preds.length === 2) {
    const [a, b] = preds;
    return (r) => a(r) && b(r);
  }
  return (r) => {
    for (let i = 0; i < preds.length; i++) if (!preds[i](r)) return false;
    return true;
  };
}

function compileJson(e: JsonExpr): RecordPredicate {
  switch (e.type) {
    case 'and':
      return allOf(e.children.map(compileJson));
    case 'or':
      return compileOr(e.children);
    case 'compare':
      return compare(getter(e.path), e.op, e.value);
    case 'is': {
      const get = getter(e.path);
      const want = e.test === 'NULL' ? null : e.test === 'TRUE';
      return (r) => get(r) === want;
    }
    case 'notExists': {
      const get = getter(e.path);
      return (r) => get(r) === undefined;
    }
  }
}

const WORD = /[A-Za-z0-9_]/;

function termMatcher(t: Term): (text: string) => boolean {
  if (t.regex) {
    const re = new RegExp(t.text);
    return (s) => re.test(s);
  }
  const needle = t.text;
  if (needle.trim() === '') return () => true;
  const guardStart = WORD.test(needle[0]);
  const guardEnd = WORD.test(needle[needle.length - 1]);
  return (s) => {
    for (let at = s.indexOf(needle); at >= 0; at = s.indexOf(needle, at + 1)) {
      if (guardStart && at > 0 && WORD.test(s[at - 1])) continue;
      const end = at + needle.length;
      if (guardEnd && end < s.length && WORD.test(s[end])) continue;
      return true;
    }
    return false;
  };
}

function compileTerms(groups: TermGroup[]): RecordPredicate {
  const compiled = groups.map((g) => g.terms.map((t) => ({ test: termMatcher(t), exclude: t.exclude })));
  return (r) => {
    const text = JSON.stringify(r) ?? '';
    return compiled.some((terms) => terms.every((t) => t.test(text) !== t.exclude));
  };
}

/** Compiles an AST into a record predicate; throws `RULE_PARSE` for space-delimited patterns. */
export function compileAst(ast: MetricFilterAst): RecordPredicate {
  switch (ast.kind) {
    case 'all':
      return TRUE;
    case 'json':
      return compileJson(ast.expr);
    case 'terms':
      return compileTerms(ast.groups);
    case 'space':
      throw new AitrailError('RULE_PARSE', SPACE_DELIMITED_NOT_APPLICABLE);
  }
}
