/**
 * Sigma (spec v2.1) YAML loader: turns the text of one file, which may hold several YAML
 * documents, into typed detection rules and correlation rules. Everything that can be checked
 * without seeing events is checked here (modifiers, values, regexes, CIDRs, placeholders, the
 * condition grammar), so compiling a parsed rule cannot fail. Problems are collected with file
 * and line and the remaining documents still load.
 */
import { LineCounter, parseAllDocuments, isAlias, isMap, isScalar, isSeq, type Document } from 'yaml';
import { parseCidr } from './ip.js';
import { didYouMean } from './suggest.js';

/** Rule severity levels defined by the spec. */
export type SigmaLevel = 'informational' | 'low' | 'medium' | 'high' | 'critical';
/** Rule maturity values defined by the spec. */
export type SigmaStatus = 'stable' | 'test' | 'experimental' | 'deprecated' | 'unsupported';

const LEVELS: readonly SigmaLevel[] = ['informational', 'low', 'medium', 'high', 'critical'];
const STATUSES: readonly SigmaStatus[] = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'];

/** One problem found while loading, located by file and 1-based line. */
export interface SigmaLoadError {
  file: string;
  line: number;
  message: string;
  /** RULE_PARSE for YAML syntax, RULE_INVALID for Sigma-level problems. */
  code: 'RULE_PARSE' | 'RULE_INVALID';
}

/** Loader options: values for `%placeholder%` names used with the `expand` modifier. */
export interface SigmaParseOptions {
  placeholders?: Readonly<Record<string, readonly string[]>>;
}

/** The `logsource` block, kept verbatim (values as strings). */
export interface SigmaLogsource {
  category?: string;
  product?: string;
  service?: string;
  definition?: string;
  [key: string]: string | undefined;
}

/** Metadata shared by detection and correlation rules. */
export interface SigmaMeta {
  title: string;
  id?: string;
  name?: string;
  status?: SigmaStatus;
  description?: string;
  license?: string;
  author?: string;
  references: string[];
  date?: string;
  modified?: string;
  tags: string[];
  level?: SigmaLevel;
  falsepositives: string[];
  fields: string[];
  related: { id: string; type: string }[];
  taxonomy?: string;
  scope: string[];
  /** Top-level keys the spec does not define (e.g. aitrail's `tests`), as plain JS values. */
  extra: Record<string, unknown>;
  /** Where the rule came from: file, line of its first key, 0-based document index in the file. */
  source: { file: string; line: number; document: number };
}

/** A literal run, a `*`, a `?`, or a windash position (any of - / – — ―). */
export type PatternPart =
  | { kind: 'text'; text: string }
  | { kind: 'any' }
  | { kind: 'one' }
  | { kind: 'dash' };

/** A Sigma string value after escapes, placeholders and encodings have been applied. */
export interface StringPattern {
  parts: PatternPart[];
  /** Case-sensitive comparison (`cased`, or a base64 encoding whose case carries meaning). */
  cased: boolean;
}

/** How a string pattern is anchored against the field value. */
export type StringMode = 'equals' | 'contains' | 'startswith' | 'endswith';
/** Numeric comparison operators (`eq` is used by time modifiers without a comparison). */
export type CompareOp = 'lt' | 'lte' | 'gt' | 'gte' | 'eq';
/** Date parts extracted by the time modifiers. */
export type TimePart = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

/**
 * What a field condition tests. `groups` holds one entry per value written in the rule; each
 * entry lists the alternatives that value expanded into (placeholders, base64offset). Values are
 * OR-ed unless `all` is set, alternatives are always OR-ed.
 */
export type FieldMatch =
  | { type: 'string'; mode: StringMode; groups: StringPattern[][]; allowNull: boolean }
  | { type: 'null' }
  | { type: 're'; groups: { source: string; flags: string }[][] }
  | { type: 'cidr'; groups: string[][] }
  | { type: 'compare'; op: CompareOp; groups: number[][]; part?: TimePart }
  | { type: 'exists'; exists: boolean }
  | { type: 'fieldref'; mode: StringMode; cased: boolean; groups: string[][] };

/** One `field|modifiers: values` entry; `field` is null for keyword (whole-event) searches. */
export interface FieldSpec {
  key: string;
  field: string | null;
  modifiers: string[];
  all: boolean;
  neq: boolean;
  match: FieldMatch;
  line: number;
}

/** A search identifier's body: a map (AND of fields) or a list (OR of items). */
export type SearchNode =
  | { kind: 'and'; line: number; fields: FieldSpec[] }
  | { kind: 'or'; line: number; items: SearchNode[] };

/** The parsed condition expression. */
export type CondNode =
  | { op: 'and' | 'or'; args: CondNode[] }
  | { op: 'not'; arg: CondNode }
  | { op: 'ref'; name: string }
  | { op: 'of'; min: number | 'all'; pattern: string; names: string[] };

/** A parsed `detection` block. */
export interface SigmaDetection {
  searches: Map<string, SearchNode>;
  condition: CondNode;
  conditionText: string[];
  line: number;
}

/** A single-event detection rule. */
export interface SigmaRule extends SigmaMeta {
  kind: 'rule';
  logsource: SigmaLogsource;
  detection: SigmaDetection;
}

/** Correlation types this engine evaluates. */
export type CorrelationType = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered' | 'value_sum' | 'value_avg';

/** Threshold operators of a correlation condition (several are AND-ed, e.g. a range). */
export interface CorrelationThreshold {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
  neq?: number;
}

/** A parsed `correlation` block. */
export interface CorrelationSpec {
  type: CorrelationType;
  /** References to base rules or correlations, by name, id or (tolerated) title. */
  rules: { ref: string; line: number }[];
  groupBy: string[];
  timespan: string;
  timespanMs: number;
  /** Undefined for temporal types without a condition, meaning "all referenced rules". */
  condition?: CorrelationThreshold;
  /** Field(s) counted/summed by value_count, value_sum and value_avg. */
  field?: string[];
  /** alias name -> (rule reference -> field path). */
  aliases: Record<string, Record<string, string>>;
  line: number;
}

/** A correlation (meta) rule. */
export interface SigmaCorrelation extends SigmaMeta {
  kind: 'correlation';
  logsource?: SigmaLogsource;
  correlation: CorrelationSpec;
  /** Whether referenced rules should also alert on their own (spec default: false). */
  generate: boolean;
}

/** Everything found in one file. */
export interface SigmaLoadResult {
  rules: SigmaRule[];
  correlations: SigmaCorrelation[];
  errors: SigmaLoadError[];
}

/** The message every legacy (v1) aggregation or `near` condition is reported with. */
export const LEGACY_V1_MESSAGE = 'legacy Sigma v1 aggregation is not supported; rewrite as a correlation rule';

/** `file:line: message`, the way errors are shown to people. */
export function formatSigmaError(e: SigmaLoadError): string {
  return `${e.file}:${e.line}: ${e.message}`;
}

// ---------------------------------------------------------------------------------------------
// YAML tree with line numbers

type ScalarValue = string | number | boolean | null;
type YNode = YMap | YSeq | YScalar;
interface YMap {
  kind: 'map';
  line: number;
  entries: { key: string; line: number; value: YNode }[];
}
interface YSeq {
  kind: 'seq';
  line: number;
  items: YNode[];
}
interface YScalar {
  kind: 'scalar';
  line: number;
  value: ScalarValue;
}

function convert(node: unknown, doc: Document, lc: LineCounter, fallbackLine: number, depth = 0): YNode {
  if (depth > 64) return { kind: 'scalar', line: fallbackLine, value: null };
  if (isAlias(node)) node = node.resolve(doc);
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  const line = range ? lc.linePos(range[0]).line : fallbackLine;
  if (isMap(node)) {
    const entries: YMap['entries'] = [];
    for (const pair of node.items) {
      const k = pair.key as unknown;
      const kr = (k as { range?: [number, number, number] } | null)?.range;
      const keyLine = kr ? lc.linePos(kr[0]).line : line;
      const keyVal = isScalar(k) ? k.value : k;
      entries.push({ key: String(keyVal ?? ''), line: keyLine, value: convert(pair.value, doc, lc, keyLine, depth + 1) });
    }
    return { kind: 'map', line, entries };
  }
  if (isSeq(node)) {
    return { kind: 'seq', line, items: node.items.map((it) => convert(it, doc, lc, line, depth + 1)) };
  }
  if (isScalar(node)) {
    const v = node.value;
    let value: ScalarValue;
    if (v === null || v === undefined) value = null;
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') value = v;
    else if (typeof v === 'bigint') value = Number(v);
    else if (v instanceof Date) value = v.toISOString();
    else value = String(v);
    return { kind: 'scalar', line, value };
  }
  return { kind: 'scalar', line, value: null };
}

function plain(n: YNode): unknown {
  if (n.kind === 'scalar') return n.value;
  if (n.kind === 'seq') return n.items.map(plain);
  const o: Record<string, unknown> = {};
  for (const e of n.entries) Object.defineProperty(o, e.key, { value: plain(e.value), enumerable: true, writable: true, configurable: true });
  return o;
}

function kindName(n: YNode): string {
  if (n.kind === 'map') return 'a mapping';
  if (n.kind === 'seq') return 'a list';
  if (n.value === null) return 'null';
  return typeof n.value === 'string' ? `'${n.value}'` : `${typeof n.value} ${String(n.value)}`;
}

// ---------------------------------------------------------------------------------------------
// Error collection

class Reporter {
  count = 0;
  constructor(
    readonly file: string,
    readonly errors: SigmaLoadError[],
  ) {}
  error(line: number, message: string, code: SigmaLoadError['code'] = 'RULE_INVALID'): void {
    this.count++;
    this.errors.push({ file: this.file, line, message, code });
  }
}

// ---------------------------------------------------------------------------------------------
// Entry point

/** Loads every Sigma document in `text` (named `file` in error messages); never throws on bad input. */
export function loadSigmaText(text: string, file: string, opts: SigmaParseOptions = {}): SigmaLoadResult {
  const out: SigmaLoadResult = { rules: [], correlations: [], errors: [] };
  const rep = new Reporter(file, out.errors);
  const lc = new LineCounter();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    rep.error(1, `YAML could not be read: ${(e as Error).message}`, 'RULE_PARSE');
    return out;
  }
  if (!Array.isArray(docs)) return out;
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const line = lc.linePos(e.pos[0]).line;
        rep.error(line, `YAML syntax error: ${e.message.split('\n')[0]}`, 'RULE_PARSE');
      }
      return;
    }
    if (doc.contents === null || doc.contents === undefined) return;
    const docLine = doc.range ? lc.linePos(doc.range[0]).line : 1;
    const root = convert(doc.contents, doc, lc, docLine);
    if (root.kind === 'scalar' && root.value === null) return;
    if (root.kind !== 'map') {
      rep.error(root.line, `expected a mapping of Sigma keys at the top of the document, found ${kindName(root)}`);
      return;
    }
    const parsed = parseDocument(root, file, index, rep, opts);
    if (parsed?.kind === 'rule') out.rules.push(parsed);
    else if (parsed?.kind === 'correlation') out.correlations.push(parsed);
  });
  return out;
}

const META_KEYS = [
  'title', 'id', 'name', 'related', 'taxonomy', 'status', 'description', 'license', 'author', 'references',
  'date', 'modified', 'logsource', 'detection', 'correlation', 'fields', 'falsepositives', 'level', 'tags',
  'scope', 'generate',
];

function parseDocument(
  root: YMap,
  file: string,
  index: number,
  rep: Reporter,
  opts: SigmaParseOptions,
): SigmaRule | SigmaCorrelation | undefined {
  const before = rep.count;
  const get = (k: string) => root.entries.find((e) => e.key === k);
  const detection = get('detection');
  const correlation = get('correlation');
  const meta = parseMeta(root, file, index, rep);
  if (detection && correlation) {
    rep.error(correlation.line, "a document holds both 'detection' and 'correlation'; put the correlation in its own YAML document");
    return undefined;
  }
  if (get('filter') && !detection && !correlation) {
    rep.error(get('filter')!.line, 'Sigma filter documents (global filters) are not supported; add the exclusion to the rules instead');
    return undefined;
  }
  if (!detection && !correlation) {
    const unknown = root.entries.map((e) => e.key).filter((k) => !META_KEYS.includes(k));
    let hint = '';
    let line = root.line;
    for (const k of unknown) {
      const dym = didYouMean(k, ['detection', 'correlation']);
      if (dym) {
        hint = `, found unknown key '${k}'${dym}`;
        line = get(k)!.line;
        break;
      }
    }
    rep.error(line, `expected a 'detection' or 'correlation' section${hint}`);
    return undefined;
  }
  if (correlation) {
    const spec = parseCorrelation(correlation.value, correlation.line, rep);
    const gen = get('generate') ?? (correlation.value.kind === 'map' ? correlation.value.entries.find((e) => e.key === 'generate') : undefined);
    let generate = false;
    if (gen) {
      if (gen.value.kind === 'scalar' && typeof gen.value.value === 'boolean') generate = gen.value.value;
      else rep.error(gen.line, `expected true or false for 'generate', found ${kindName(gen.value)}`);
    }
    const ls = get('logsource');
    const logsource = ls ? parseLogsource(ls.value, rep) : undefined;
    if (!meta || !spec || rep.count > before) return undefined;
    const c: SigmaCorrelation = { kind: 'correlation', ...meta, correlation: spec, generate };
    if (logsource) c.logsource = logsource;
    return c;
  }
  const ls = get('logsource');
  let logsource: SigmaLogsource | undefined;
  if (!ls) rep.error(root.line, "missing required 'logsource' section");
  else logsource = parseLogsource(ls.value, rep);
  const tf = get('timeframe');
  if (tf) rep.error(tf.line, `${LEGACY_V1_MESSAGE} ('timeframe' belongs to v1 aggregations)`);
  const det = parseDetection(detection!.value, detection!.line, rep, opts);
  if (!meta || !det || !logsource || rep.count > before) return undefined;
  return { kind: 'rule', ...meta, logsource, detection: det };
}

// ---------------------------------------------------------------------------------------------
// Metadata

function scalarString(n: YNode, key: string, line: number, rep: Reporter): string | undefined {
  if (n.kind === 'scalar') return n.value === null ? undefined : String(n.value);
  rep.error(line, `expected a string for '${key}', found ${kindName(n)}`);
  return undefined;
}

function stringList(n: YNode, key: string, line: number, rep: Reporter): string[] {
  if (n.kind === 'scalar') return n.value === null ? [] : [String(n.value)];
  if (n.kind === 'seq') {
    const out: string[] = [];
    for (const it of n.items) {
      if (it.kind === 'scalar') {
        if (it.value !== null) out.push(String(it.value));
      } else rep.error(it.line, `expected a string in the '${key}' list, found ${kindName(it)}`);
    }
    return out;
  }
  rep.error(line, `expected a list of strings for '${key}', found a mapping`);
  return [];
}

function parseMeta(root: YMap, file: string, index: number, rep: Reporter): Omit<SigmaMeta, never> | undefined {
  const meta: SigmaMeta = {
    title: '',
    references: [],
    tags: [],
    falsepositives: [],
    fields: [],
    related: [],
    scope: [],
    extra: {},
    source: { file, line: root.entries[0]?.line ?? root.line, document: index },
  };
  let ok = true;
  for (const e of root.entries) {
    const v = e.value;
    switch (e.key) {
      case 'title':
      case 'id':
      case 'name':
      case 'description':
      case 'license':
      case 'date':
      case 'modified':
      case 'taxonomy': {
        const s = scalarString(v, e.key, e.line, rep);
        if (s !== undefined) meta[e.key] = s;
        break;
      }
      case 'author':
        meta.author = v.kind === 'seq' ? stringList(v, 'author', e.line, rep).join(', ') : scalarString(v, 'author', e.line, rep);
        if (meta.author === undefined) delete meta.author;
        break;
      case 'references':
      case 'tags':
      case 'falsepositives':
      case 'fields':
      case 'scope':
        meta[e.key] = stringList(v, e.key, e.line, rep);
        break;
      case 'level': {
        const s = scalarString(v, 'level', e.line, rep);
        if (s === undefined) break;
        if ((LEVELS as readonly string[]).includes(s)) meta.level = s as SigmaLevel;
        else {
          ok = false;
          rep.error(e.line, `expected level to be one of ${LEVELS.join(', ')}, found '${s}'${didYouMean(s, LEVELS)}`);
        }
        break;
      }
      case 'status': {
        const s = scalarString(v, 'status', e.line, rep);
        if (s === undefined) break;
        if ((STATUSES as readonly string[]).includes(s)) meta.status = s as SigmaStatus;
        else {
          ok = false;
          rep.error(e.line, `expected status to be one of ${STATUSES.join(', ')}, found '${s}'${didYouMean(s, STATUSES)}`);
        }
        break;
      }
      case 'related':
        if (v.kind === 'seq') {
          for (const it of v.items) {
            const o = plain(it) as { id?: unknown; type?: unknown } | null;
            if (o && typeof o === 'object' && o.id !== undefined) meta.related.push({ id: String(o.id), type: String(o.type ?? '') });
            else rep.error(it.line, "expected 'related' entries with 'id' and 'type'");
          }
        } else if (!(v.kind === 'scalar' && v.value === null)) rep.error(e.line, "expected a list of {id, type} for 'related'");
        break;
      case 'logsource':
      case 'detection':
      case 'correlation':
      case 'generate':
      case 'timeframe':
        break;
      default:
        Object.defineProperty(meta.extra, e.key, { value: plain(v), enumerable: true, writable: true, configurable: true });
    }
  }
  if (!meta.title) {
    rep.error(root.line, "missing required 'title'");
    return undefined;
  }
  return ok ? meta : undefined;
}

function parseLogsource(n: YNode, rep: Reporter): SigmaLogsource | undefined {
  if (n.kind !== 'map') {
    rep.error(n.line, `expected a mapping for 'logsource' (product, service, category), found ${kindName(n)}`);
    return undefined;
  }
  const ls: SigmaLogsource = {};
  for (const e of n.entries) {
    if (e.value.kind !== 'scalar') rep.error(e.line, `expected a string for 'logsource.${e.key}', found ${kindName(e.value)}`);
    else if (e.value.value !== null) ls[e.key] = String(e.value.value);
  }
  return ls;
}

// ---------------------------------------------------------------------------------------------
// Detection

function parseDetection(n: YNode, line: number, rep: Reporter, opts: SigmaParseOptions): SigmaDetection | undefined {
  if (n.kind !== 'map') {
    rep.error(line, `expected a mapping of search identifiers and 'condition' under 'detection', found ${kindName(n)}`);
    return undefined;
  }
  const before = rep.count;
  const searches = new Map<string, SearchNode>();
  let cond: { line: number; value: YNode } | undefined;
  for (const e of n.entries) {
    if (e.key === 'condition') cond = e;
    else if (e.key === 'timeframe') rep.error(e.line, `${LEGACY_V1_MESSAGE} ('timeframe' belongs to v1 aggregations)`);
    else {
      const s = parseSearch(e.key, e.value, e.line, rep, opts);
      if (s) searches.set(e.key, s);
    }
  }
  if (!cond) {
    rep.error(n.line, "missing 'condition' in 'detection'");
    return undefined;
  }
  const texts: { text: string; line: number }[] = [];
  if (cond.value.kind === 'scalar' && typeof cond.value.value === 'string') texts.push({ text: cond.value.value, line: cond.value.line });
  else if (cond.value.kind === 'seq') {
    for (const it of cond.value.items) {
      if (it.kind === 'scalar' && typeof it.value === 'string') texts.push({ text: it.value, line: it.line });
      else rep.error(it.line, `expected a condition string, found ${kindName(it)}`);
    }
  } else rep.error(cond.line, `expected a condition string or list of strings, found ${kindName(cond.value)}`);
  if (texts.length === 0 && rep.count === before) rep.error(cond.line, 'expected a condition, found an empty list');
  const names = n.entries.map((e) => e.key).filter((k) => k !== 'condition' && k !== 'timeframe');
  const parsed: CondNode[] = [];
  for (const t of texts) {
    const c = parseCondition(t.text, names, (msg) => rep.error(t.line, msg));
    if (c) parsed.push(c);
  }
  if (rep.count > before || parsed.length === 0) return undefined;
  const condition: CondNode = parsed.length === 1 ? parsed[0]! : { op: 'or', args: parsed };
  return { searches, condition, conditionText: texts.map((t) => t.text), line };
}

function parseSearch(name: string, n: YNode, line: number, rep: Reporter, opts: SigmaParseOptions): SearchNode | undefined {
  if (n.kind === 'map') return parseMapSearch(name, n, rep, opts);
  if (n.kind === 'scalar') {
    if (n.value === null) {
      rep.error(line, `search identifier '${name}' is empty; expected a mapping of fields or a list`);
      return undefined;
    }
    const spec = parseField('', null, [n], n.line, rep, opts);
    return spec ? { kind: 'and', line: n.line, fields: [spec] } : undefined;
  }
  if (n.items.length === 0) {
    rep.error(line, `search identifier '${name}' is an empty list`);
    return undefined;
  }
  const items: SearchNode[] = [];
  const keywords = n.items.filter((it): it is YScalar => it.kind === 'scalar');
  if (keywords.length > 0) {
    const spec = parseField('', null, keywords, keywords[0]!.line, rep, opts);
    if (spec) items.push({ kind: 'and', line: keywords[0]!.line, fields: [spec] });
  }
  for (const it of n.items) {
    if (it.kind === 'map') {
      const s = parseMapSearch(name, it, rep, opts);
      if (s) items.push(s);
    } else if (it.kind === 'seq') rep.error(it.line, `expected a mapping or a keyword in the list '${name}', found a nested list`);
  }
  return items.length === 1 ? items[0] : { kind: 'or', line: n.line, items };
}

function parseMapSearch(name: string, n: YMap, rep: Reporter, opts: SigmaParseOptions): SearchNode | undefined {
  if (n.entries.length === 0) {
    rep.error(n.line, `search identifier '${name}' is an empty mapping`);
    return undefined;
  }
  const fields: FieldSpec[] = [];
  for (const e of n.entries) {
    let values: YScalar[];
    if (e.value.kind === 'scalar') values = [e.value];
    else if (e.value.kind === 'seq') {
      values = [];
      for (const it of e.value.items) {
        if (it.kind === 'scalar') values.push(it);
        else rep.error(it.line, `expected a scalar value in the list for '${e.key}', found ${kindName(it)}`);
      }
      if (e.value.items.length === 0) {
        rep.error(e.line, `expected at least one value for '${e.key}', found an empty list`);
        continue;
      }
    } else {
      rep.error(e.line, `expected a value or a list of values for '${e.key}', found a mapping`);
      continue;
    }
    const pipe = e.key.indexOf('|');
    const field = pipe < 0 ? e.key : e.key.slice(0, pipe);
    const spec = parseField(e.key, field === '' ? null : field, values, e.line, rep, opts);
    if (spec) fields.push(spec);
  }
  return fields.length ? { kind: 'and', line: n.line, fields } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Field conditions and modifiers

type ModClass = 'mode' | 'type' | 'compare' | 'time' | 'encode' | 'expand' | 'flag' | 'reflag';
const MODIFIERS: Record<string, ModClass> = {
  contains: 'mode',
  startswith: 'mode',
  endswith: 'mode',
  re: 'type',
  cidr: 'type',
  exists: 'type',
  fieldref: 'type',
  lt: 'compare',
  lte: 'compare',
  gt: 'compare',
  gte: 'compare',
  minute: 'time',
  hour: 'time',
  day: 'time',
  week: 'time',
  month: 'time',
  year: 'time',
  base64: 'encode',
  base64offset: 'encode',
  utf16le: 'encode',
  utf16be: 'encode',
  utf16: 'encode',
  wide: 'encode',
  windash: 'encode',
  expand: 'expand',
  all: 'flag',
  cased: 'flag',
  neq: 'flag',
  i: 'reflag',
  m: 'reflag',
  s: 'reflag',
  ignorecase: 'reflag',
  multiline: 'reflag',
  dotall: 'reflag',
};
const MODIFIER_NAMES = Object.keys(MODIFIERS);
const RE_FLAG: Record<string, string> = { i: 'i', m: 'm', s: 's', ignorecase: 'i', multiline: 'm', dotall: 's' };

function parseField(
  key: string,
  field: string | null,
  values: YScalar[],
  line: number,
  rep: Reporter,
  opts: SigmaParseOptions,
): FieldSpec | undefined {
  const before = rep.count;
  const where = key === '' ? 'keyword list' : `'${key}'`;
  const mods = key.indexOf('|') < 0 ? [] : key.slice(key.indexOf('|') + 1).split('|');
  let mode: StringMode | undefined;
  type TypeMod = 're' | 'cidr' | 'exists' | 'fieldref';
  let type: TypeMod | undefined;
  let op: CompareOp | undefined;
  let part: TimePart | undefined;
  let all = false;
  let cased = false;
  let neq = false;
  let expand = false;
  let reFlags = '';
  const encoders: string[] = [];
  const seen = new Set<string>();
  for (const raw of mods) {
    const m = raw.toLowerCase();
    if (m === '') {
      rep.error(line, `empty modifier in ${where} (two '|' in a row or a trailing '|')`);
      continue;
    }
    const cls = MODIFIERS[m];
    if (cls === undefined) {
      rep.error(line, `unknown modifier '${raw}' in ${where}${didYouMean(m, MODIFIER_NAMES)}`);
      continue;
    }
    if (seen.has(m)) {
      rep.error(line, `modifier '${m}' appears twice in ${where}`);
      continue;
    }
    seen.add(m);
    const conflict = (other: string) => rep.error(line, `modifier '${m}' cannot be combined with '${other}' in ${where}`);
    switch (cls) {
      case 'mode':
        if (mode) conflict(mode);
        else if (type && type !== 'fieldref') conflict(type);
        else if (op || part) conflict(op ?? part!);
        else mode = m as StringMode;
        break;
      case 'type':
        if (type) conflict(type);
        else if (mode && m !== 'fieldref') conflict(mode);
        else if (op || part) conflict(op ?? part!);
        else type = m as TypeMod;
        break;
      case 'compare':
        if (op) conflict(op);
        else if (mode || type) conflict(mode ?? type!);
        else op = m as CompareOp;
        break;
      case 'time':
        if (part) conflict(part);
        else if (mode || type) conflict(mode ?? type!);
        else part = m as TimePart;
        break;
      case 'encode':
        encoders.push(m);
        break;
      case 'expand':
        expand = true;
        break;
      case 'flag':
        if (m === 'all') all = true;
        else if (m === 'cased') cased = true;
        else neq = true;
        break;
      case 'reflag':
        if (type !== 're') rep.error(line, `modifier '${raw}' is only valid after 're' in ${where}`);
        else reFlags += RE_FLAG[m]!;
        break;
    }
  }
  if (encoders.length && (type || op || part)) {
    rep.error(line, `modifier '${encoders[0]}' applies to string matching and cannot be combined with '${type ?? op ?? part}' in ${where}`);
  }
  if (type === 'exists' && (all || neq || expand)) rep.error(line, `'exists' takes a single true/false value and no other modifiers in ${where}`);
  if (field === null && (type === 'exists' || type === 'fieldref' || type === 'cidr' || op || part)) {
    rep.error(line, `modifier '${type ?? op ?? part}' needs a field name; keyword searches have none`);
  }
  if (rep.count > before) return undefined;
  const modifiers = mods.map((m) => m.toLowerCase());
  const base = { key, field, modifiers, all, neq, line };
  const ph = opts.placeholders ?? {};
  const expandRaw = (raw: string, at: number): string[] | undefined => {
    if (!expand) return [raw];
    return expandPlaceholders(raw, ph, (name) =>
      rep.error(at, `unknown placeholder '%${name}%' in ${where}; supply its values in the placeholders option`),
    );
  };

  if (type === 'exists') {
    if (values.length !== 1) {
      rep.error(line, `expected a single true or false for ${where}, found a list of ${values.length}`);
      return undefined;
    }
    const v = values[0]!.value;
    const b = typeof v === 'boolean' ? v : typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : undefined;
    if (b === undefined) {
      rep.error(values[0]!.line, `expected true or false for ${where}, found ${kindName(values[0]!)}`);
      return undefined;
    }
    return { ...base, match: { type: 'exists', exists: b } };
  }

  if (op || part) {
    const groups: number[][] = [];
    for (const v of values) {
      const num = typeof v.value === 'number' ? v.value : typeof v.value === 'string' && v.value.trim() !== '' ? Number(v.value) : NaN;
      if (!Number.isFinite(num)) rep.error(v.line, `expected a number for ${where}, found ${kindName(v)}`);
      else groups.push([num]);
    }
    if (rep.count > before) return undefined;
    const match: FieldMatch = { type: 'compare', op: op ?? 'eq', groups };
    if (part) match.part = part;
    return { ...base, match };
  }

  if (type === 're' || type === 'cidr' || type === 'fieldref') {
    const groups: string[][] = [];
    const reGroups: { source: string; flags: string }[][] = [];
    for (const v of values) {
      if (v.value === null || (typeof v.value === 'string' && v.value === '' && type !== 're')) {
        rep.error(v.line, `expected a ${type === 'fieldref' ? 'field name' : type === 'cidr' ? 'CIDR range' : 'regular expression'} for ${where}, found ${kindName(v)}`);
        continue;
      }
      const alts = expandRaw(String(v.value), v.line);
      if (!alts) continue;
      if (type === 'cidr') {
        for (const a of alts) if (!parseCidr(a)) rep.error(v.line, `expected a CIDR range such as 10.0.0.0/8 or 2001:db8::/32 for ${where}, found '${a}'`);
        groups.push(alts);
      } else if (type === 're') {
        const g: { source: string; flags: string }[] = [];
        for (const a of alts) {
          const r = toJsRegex(a, reFlags);
          try {
            new RegExp(r.source, r.flags);
            g.push(r);
          } catch (e) {
            rep.error(v.line, `invalid regular expression for ${where}: ${(e as Error).message}`);
          }
        }
        reGroups.push(g);
      } else groups.push(alts);
    }
    if (rep.count > before) return undefined;
    if (type === 're') return { ...base, match: { type: 're', groups: reGroups } };
    if (type === 'cidr') return { ...base, match: { type: 'cidr', groups } };
    return { ...base, match: { type: 'fieldref', mode: mode ?? 'equals', cased, groups } };
  }

  // Plain string matching (with optional mode and encodings).
  const effectiveMode: StringMode = mode ?? (field === null ? 'contains' : 'equals');
  let allowNull = false;
  const groups: StringPattern[][] = [];
  for (const v of values) {
    if (v.value === null) {
      if (field === null) rep.error(v.line, `expected a keyword, found null`);
      else if (effectiveMode !== 'equals' || encoders.length) rep.error(v.line, `null cannot be combined with '${mode ?? encoders[0]}' in ${where}`);
      else allowNull = true;
      continue;
    }
    const raws = typeof v.value === 'string' ? expandRaw(v.value, v.line) : [String(v.value)];
    if (!raws) continue;
    const group: StringPattern[] = [];
    for (const raw of raws) {
      const enc = encode(tokenize(raw), encoders, cased);
      if (typeof enc === 'string') rep.error(v.line, `${enc} in ${where}`);
      else group.push(...enc);
    }
    groups.push(group);
  }
  if (rep.count > before) return undefined;
  if (groups.length === 0) return { ...base, match: { type: 'null' } };
  return { ...base, match: { type: 'string', mode: effectiveMode, groups, allowNull } };
}

/** Splits a Sigma string into literal runs and wildcards, honouring `\*`, `\?` and `\\`. */
function tokenize(raw: string): PatternPart[] {
  const parts: PatternPart[] = [];
  let text = '';
  const flush = () => {
    if (text) parts.push({ kind: 'text', text });
    text = '';
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\') {
      const n = raw[i + 1];
      if (n === '*' || n === '?' || n === '\\') {
        text += n;
        i++;
      } else text += '\\';
    } else if (c === '*' || c === '?') {
      flush();
      parts.push({ kind: c === '*' ? 'any' : 'one' });
    } else text += c;
  }
  flush();
  return parts;
}

const DASHES = new Set(['-', '/', '\u2013', '\u2014', '\u2015']);

/** Applies encoding modifiers in order; returns the resulting alternatives or an error message. */
function encode(parts: PatternPart[], encoders: string[], cased: boolean): StringPattern[] | string {
  type Cur = { parts: PatternPart[] } | { bytes: Buffer };
  let cur: Cur[] = [{ parts }];
  let isCased = cased;
  const literal = (c: Cur, mod: string): Buffer | string => {
    if ('bytes' in c) return c.bytes;
    if (c.parts.some((p) => p.kind !== 'text')) return `wildcards ('*', '?') or windash cannot be encoded with '${mod}'`;
    return Buffer.from(c.parts.map((p) => (p as { text: string }).text).join(''), 'utf8');
  };
  for (const mod of encoders) {
    const next: Cur[] = [];
    for (const c of cur) {
      if (mod === 'windash') {
        if ('bytes' in c) return `'windash' must come before byte encodings`;
        const out: PatternPart[] = [];
        for (const p of c.parts) {
          if (p.kind !== 'text') out.push(p);
          else {
            let text = '';
            for (const ch of p.text) {
              if (DASHES.has(ch)) {
                if (text) out.push({ kind: 'text', text });
                text = '';
                out.push({ kind: 'dash' });
              } else text += ch;
            }
            if (text) out.push({ kind: 'text', text });
          }
        }
        next.push({ parts: out });
        continue;
      }
      const buf = literal(c, mod);
      if (typeof buf === 'string') return buf;
      if (mod === 'utf16le' || mod === 'wide' || mod === 'utf16be' || mod === 'utf16') {
        const src = 'bytes' in c ? buf.toString('latin1') : buf.toString('utf8');
        let b = Buffer.from(src, 'utf16le');
        if (mod === 'utf16be') b = b.swap16();
        if (mod === 'utf16') b = Buffer.concat([Buffer.from([0xff, 0xfe]), b]);
        next.push({ bytes: b });
      } else if (mod === 'base64') {
        isCased = true;
        next.push({ parts: [{ kind: 'text', text: buf.toString('base64') }] });
      } else {
        // base64offset: the three encodings of the value shifted by 0, 1 and 2 bytes, trimmed
        // to the characters that do not depend on the surrounding data.
        isCased = true;
        const start = [0, 2, 3];
        const endTrim = [0, 3, 2];
        for (let i = 0; i < 3; i++) {
          const enc = Buffer.concat([Buffer.alloc(i, 0x20), buf]).toString('base64');
          const e = endTrim[(buf.length + i) % 3]!;
          next.push({ parts: [{ kind: 'text', text: enc.slice(start[i], e ? enc.length - e : enc.length) }] });
        }
      }
    }
    cur = next;
  }
  return cur.map((c) => ({
    parts: 'bytes' in c ? [{ kind: 'text', text: c.bytes.toString('latin1') }] : c.parts,
    cased: isCased,
  }));
}

/** Replaces `%name%` placeholders (a `\%` stays a plain percent sign); undefined if one is unknown. */
function expandPlaceholders(
  raw: string,
  placeholders: Readonly<Record<string, readonly string[]>>,
  unknown: (name: string) => void,
): string[] | undefined {
  const segs: (string | readonly string[])[] = [];
  const re = /\\%|%([^%\s]+)%/g;
  let last = 0;
  let bad = false;
  for (let m = re.exec(raw); m; m = re.exec(raw)) {
    segs.push(raw.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[1] === undefined) segs.push('%');
    else if (!Object.hasOwn(placeholders, m[1])) {
      unknown(m[1]);
      bad = true;
    } else segs.push(placeholders[m[1]]!);
  }
  segs.push(raw.slice(last));
  if (bad) return undefined;
  let out = [''];
  for (const s of segs) {
    if (typeof s === 'string') out = out.map((o) => o + s);
    else out = out.flatMap((o) => s.map((v) => o + v));
    if (out.length > 10_000) out = out.slice(0, 10_000);
  }
  return out;
}

/** Moves leading PCRE inline flags such as `(?i)` into JavaScript flags. */
function toJsRegex(source: string, flags: string): { source: string; flags: string } {
  let src = source;
  let f = flags;
  const m = /^\(\?([imsx]+)\)/.exec(src);
  if (m) {
    src = src.slice(m[0].length);
    for (const c of m[1]!) if (c !== 'x' && !f.includes(c)) f += c;
  }
  return { source: src, flags: [...new Set(f)].join('') };
}

// ---------------------------------------------------------------------------------------------
// Condition grammar: or < and < not < "x of" < ( )

interface Tok {
  t: '(' | ')' | '|' | 'word';
  v: string;
  pos: number;
}

class CondError extends Error {}

const CONDITION_WORDS = ['and', 'or', 'not', 'of', 'them', 'all'];

/** Parses one condition string against the known search identifiers; reports and returns undefined on error. */
export function parseCondition(text: string, names: readonly string[], report: (msg: string) => void): CondNode | undefined {
  const toks: Tok[] = [];
  const re = /\s*(?:(\()|(\))|(\|)|([^\s()|]+))/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    const pos = m.index + m[0].length - (m[1] ?? m[2] ?? m[3] ?? m[4] ?? '').length + 1;
    if (m[1]) toks.push({ t: '(', v: '(', pos });
    else if (m[2]) toks.push({ t: ')', v: ')', pos });
    else if (m[3]) toks.push({ t: '|', v: '|', pos });
    else if (m[4]) toks.push({ t: 'word', v: m[4], pos });
    else break;
  }
  if (toks.some((t) => t.t === '|') || toks.some((t) => t.t === 'word' && t.v.toLowerCase() === 'near' && !names.includes(t.v))) {
    report(`${LEGACY_V1_MESSAGE} (condition '${text.trim()}')`);
    return undefined;
  }
  let i = 0;
  const peek = () => toks[i];
  const isWord = (t: Tok | undefined, w: string) => t?.t === 'word' && t.v.toLowerCase() === w;
  const describe = (t: Tok | undefined) => (t ? `'${t.v}' at column ${t.pos}` : 'the end of the condition');
  const fail = (expected: string, t: Tok | undefined): never => {
    throw new CondError(`condition: expected ${expected}, found ${describe(t)}`);
  };
  const parseOr = (): CondNode => {
    const args = [parseAnd()];
    while (isWord(peek(), 'or')) {
      i++;
      args.push(parseAnd());
    }
    return args.length === 1 ? args[0]! : { op: 'or', args };
  };
  const parseAnd = (): CondNode => {
    const args = [parseNot()];
    while (isWord(peek(), 'and')) {
      i++;
      args.push(parseNot());
    }
    return args.length === 1 ? args[0]! : { op: 'and', args };
  };
  const parseNot = (): CondNode => {
    if (isWord(peek(), 'not')) {
      i++;
      return { op: 'not', arg: parseNot() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): CondNode => {
    const t = peek();
    if (t?.t === '(') {
      i++;
      const e = parseOr();
      if (peek()?.t !== ')') fail(`')' to close the '(' at column ${t.pos}`, peek());
      i++;
      return e;
    }
    if (t?.t !== 'word') return fail("a search identifier, 'not', '(' or 'N of'", t);
    const lower = t.v.toLowerCase();
    if ((lower === 'all' || /^\d+$/.test(t.v)) && isWord(toks[i + 1], 'of')) {
      const min = lower === 'all' ? 'all' : Number(t.v);
      if (min === 0) fail("a positive count before 'of'", t);
      i += 2;
      const target = peek();
      if (target?.t !== 'word') return fail("a search identifier pattern or 'them' after 'of'", target);
      i++;
      let matched: string[];
      if (target.v.toLowerCase() === 'them') matched = names.filter((n) => !n.startsWith('_'));
      else {
        const rx = new RegExp('^' + target.v.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
        matched = names.filter((n) => rx.test(n));
        if (matched.length === 0) {
          throw new CondError(`condition: pattern '${target.v}' at column ${target.pos} matches no search identifier${didYouMean(target.v, names)}`);
        }
      }
      return { op: 'of', min, pattern: target.v, names: matched };
    }
    if (CONDITION_WORDS.includes(lower)) fail("a search identifier, 'not', '(' or 'N of'", t);
    if (!names.includes(t.v)) {
      throw new CondError(`condition references unknown search identifier '${t.v}' at column ${t.pos}${didYouMean(t.v, names)}`);
    }
    i++;
    return { op: 'ref', name: t.v };
  };
  try {
    if (toks.length === 0) fail('an expression', undefined);
    const node = parseOr();
    if (i < toks.length) fail("'and', 'or' or the end of the condition", peek());
    return node;
  } catch (e) {
    if (e instanceof CondError) {
      report(e.message);
      return undefined;
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Correlation

const CORRELATION_TYPES = ['event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg'];
const CORRELATION_KEYS = ['type', 'rules', 'aliases', 'group-by', 'timespan', 'condition', 'generate'];
const THRESHOLD_OPS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseCorrelation(n: YNode, line: number, rep: Reporter): CorrelationSpec | undefined {
  if (n.kind !== 'map') {
    rep.error(line, `expected a mapping under 'correlation', found ${kindName(n)}`);
    return undefined;
  }
  const before = rep.count;
  const get = (k: string) => n.entries.find((e) => e.key === k);
  for (const e of n.entries) {
    if (!CORRELATION_KEYS.includes(e.key)) rep.error(e.line, `unknown correlation key '${e.key}'${didYouMean(e.key, CORRELATION_KEYS)}`);
  }
  const typeE = get('type');
  let type: CorrelationType | undefined;
  if (!typeE) rep.error(n.line, `missing correlation 'type' (one of ${CORRELATION_TYPES.join(', ')})`);
  else {
    const s = typeE.value.kind === 'scalar' ? String(typeE.value.value) : '';
    if (CORRELATION_TYPES.includes(s)) type = s as CorrelationType;
    else if (s === 'value_percentile') rep.error(typeE.line, "correlation type 'value_percentile' is not supported");
    else rep.error(typeE.line, `expected correlation type to be one of ${CORRELATION_TYPES.join(', ')}, found ${kindName(typeE.value)}${didYouMean(s, CORRELATION_TYPES)}`);
  }
  const rulesE = get('rules');
  const rules: { ref: string; line: number }[] = [];
  if (!rulesE) rep.error(n.line, "missing correlation 'rules' (names or ids of the rules to correlate)");
  else if (rulesE.value.kind === 'scalar' && rulesE.value.value !== null) rules.push({ ref: String(rulesE.value.value), line: rulesE.value.line });
  else if (rulesE.value.kind === 'seq') {
    for (const it of rulesE.value.items) {
      if (it.kind === 'scalar' && it.value !== null) rules.push({ ref: String(it.value), line: it.line });
      else rep.error(it.line, `expected a rule name or id in 'rules', found ${kindName(it)}`);
    }
  }
  if (rulesE && rules.length === 0 && rep.count === before) rep.error(rulesE.line, "expected at least one rule in 'rules'");
  const gbE = get('group-by');
  const groupBy = gbE ? stringList(gbE.value, 'group-by', gbE.line, rep) : [];
  const tsE = get('timespan');
  let timespan = '';
  let timespanMs = 0;
  if (!tsE) rep.error(n.line, "missing correlation 'timespan' (a number followed by s, m, h or d, e.g. 5m)");
  else {
    const s = tsE.value.kind === 'scalar' ? String(tsE.value.value) : '';
    const m = /^(\d+)([smhd])$/.exec(s);
    if (!m || Number(m[1]) === 0) rep.error(tsE.line, `expected timespan as a positive number followed by s, m, h or d (e.g. 5m), found ${kindName(tsE.value)}`);
    else {
      timespan = s;
      timespanMs = Number(m[1]) * UNIT_MS[m[2]!]!;
    }
  }
  let condition: CorrelationThreshold | undefined;
  let field: string[] | undefined;
  const cE = get('condition');
  if (cE) {
    if (cE.value.kind !== 'map') rep.error(cE.line, `expected a mapping such as {gte: 10} for the correlation 'condition', found ${kindName(cE.value)}`);
    else {
      condition = {};
      for (const e of cE.value.entries) {
        if (e.key === 'field') {
          field = stringList(e.value, 'field', e.line, rep);
          continue;
        }
        if (!(THRESHOLD_OPS as readonly string[]).includes(e.key)) {
          rep.error(e.line, `unknown condition operator '${e.key}' (expected gt, gte, lt, lte, eq, neq or field)${didYouMean(e.key, [...THRESHOLD_OPS, 'field'])}`);
          continue;
        }
        const v = e.value.kind === 'scalar' ? e.value.value : undefined;
        const num = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
        if (!Number.isFinite(num)) rep.error(e.line, `expected a number for condition '${e.key}', found ${kindName(e.value)}`);
        else condition[e.key as (typeof THRESHOLD_OPS)[number]] = num;
      }
      if (Object.keys(condition).length === 0 && rep.count === before) rep.error(cE.line, 'expected at least one of gt, gte, lt, lte, eq, neq in the correlation condition');
    }
  }
  if (type && !cE && (type === 'event_count' || type.startsWith('value_'))) {
    rep.error(n.line, `correlation type '${type}' requires a 'condition' such as {gte: 10}`);
  }
  if (type && type.startsWith('value_') && cE && (!field || field.length === 0)) {
    rep.error(cE.line, `correlation type '${type}' requires 'field' in its condition`);
  }
  const aliases: Record<string, Record<string, string>> = {};
  const aE = get('aliases');
  if (aE) {
    if (aE.value.kind !== 'map') rep.error(aE.line, `expected a mapping of alias -> {rule: field} for 'aliases', found ${kindName(aE.value)}`);
    else {
      for (const a of aE.value.entries) {
        if (a.value.kind !== 'map') {
          rep.error(a.line, `expected a mapping of rule -> field for alias '${a.key}', found ${kindName(a.value)}`);
          continue;
        }
        const m: Record<string, string> = {};
        for (const r of a.value.entries) {
          if (r.value.kind === 'scalar' && r.value.value !== null) m[r.key] = String(r.value.value);
          else rep.error(r.line, `expected a field name for alias '${a.key}' of rule '${r.key}', found ${kindName(r.value)}`);
        }
        aliases[a.key] = m;
      }
    }
  }
  if (rep.count > before || !type) return undefined;
  const spec: CorrelationSpec = { type, rules, groupBy, timespan, timespanMs, aliases, line };
  if (condition) spec.condition = condition;
  if (field) spec.field = field;
  return spec;
}
