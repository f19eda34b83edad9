/**
 * The rule registry: loads built-in packs (rules/<pack>/*.yml) and user directories into one
 * list of detection rules, whatever their kind. A kind is one registry entry: Sigma rules and
 * correlations (Sigma YAML), and CloudWatch metric-filter patterns (`pattern:` documents).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parseDocument, LineCounter } from 'yaml';
import { attackIds, SeveritySchema, type Severity } from '../model/findings.js';
import {
  loadSigmaSources,
  formatSigmaError,
  requiredPrefixes,
  requiredValues,
  type CompiledSigmaRule,
  type SigmaCorrelation,
  type SigmaLoadError,
  type SigmaRule,
} from './sigma/index.js';
import { compileMetricFilter, type MetricFilterAst } from './metric-filter/index.js';

/** The kinds of rules. */
export type RuleKind = 'sigma' | 'metric-filter' | 'correlation';

/** One inline test of a rule: events that must (or must not) make it fire. */
export interface RuleTest {
  name: string;
  match: boolean;
  events: object[];
}

/** A loaded detection rule of any kind. */
export interface DetectionRule {
  id: string;
  title: string;
  description: string;
  severity: Severity;
  attack: string[];
  tags: string[];
  references: string[];
  falsepositives: string[];
  kind: RuleKind;
  /** Built-in pack name (`ai`, `cis`, `identity`), or `user` for rules from --rules directories. */
  pack: string;
  file: string;
  line: number;
  status: string | undefined;
  /** Lowercased eventName / eventSource values the rule requires (null: unconstrained). */
  eventNames: readonly string[] | null;
  eventSources: readonly string[] | null;
  /**
   * Lowercased prefixes one of which eventName must start with (null: unconstrained), for rules
   * such as `eventName|startswith: Create` that require no exact names.
   */
  eventNamePrefixes: readonly string[] | null;
  /** Record paths the rule reads, or null when it needs the whole record. */
  fields: string[] | null;
  /** Single-event rules: the predicate. Correlations: undefined. */
  match?: (record: object) => boolean;
  /** False for Sigma rules that only feed a correlation (`generate: false`). */
  standalone: boolean;
  correlation?: SigmaCorrelation;
  pattern?: string;
  tests: RuleTest[];
  /** Sigma rule object (for correlations to reference). */
  sigma?: SigmaRule;
}

/** A problem loading a rule, with where it is. */
export interface RuleLoadError {
  file: string;
  line: number;
  message: string;
}

/** The result of loading rule directories. */
export interface RuleSet {
  rules: DetectionRule[];
  correlations: SigmaCorrelation[];
  sigmaRules: SigmaRule[];
  errors: RuleLoadError[];
  notApplicable: { file: string; line: number; title: string; reason: string }[];
}

function sigmaFields(rule: SigmaRule): string[] | null {
  const out = new Set<string>();
  let whole = false;
  const walk = (n: SigmaRule['detection']['searches'] extends Map<string, infer V> ? V : never): void => {
    if (n.kind === 'and') {
      for (const f of n.fields) {
        if (f.field === null) whole = true;
        else out.add(f.field);
        if (f.match.type === 'fieldref') for (const g of f.match.groups) for (const x of g) out.add(x);
      }
    } else for (const i of n.items) walk(i);
  };
  for (const s of rule.detection.searches.values()) walk(s);
  return whole ? null : [...out];
}

function metricFields(ast: MetricFilterAst): string[] | null {
  if (ast.kind !== 'json') return ast.kind === 'all' ? [] : null;
  // Paths in the dotted form fieldpath reads (`resources[0].type`); a key holding '.', '[' or
  // ']' cannot be written so, and the rule is treated as reading the whole record.
  const out = new Set<string>();
  let whole = false;
  const walk = (e: Extract<MetricFilterAst, { kind: 'json' }>['expr']): void => {
    if (e.type === 'and' || e.type === 'or') e.children.forEach(walk);
    else if (e.path.some((p) => typeof p === 'string' && /[.[\]]/.test(p))) whole = true;
    else out.add(e.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join(''));
  };
  walk(ast.expr);
  return whole ? null : [...out];
}

/** Values an expression requires for `$.<field>` (exact `=` only), or null when unconstrained. */
function metricRequired(ast: MetricFilterAst, field: string): string[] | null {
  if (ast.kind !== 'json') return null;
  const req = (e: Extract<MetricFilterAst, { kind: 'json' }>['expr']): Set<string> | null => {
    if (e.type === 'compare') {
      const v = e.value;
      const exact = e.op === '=' && v.kind === 'string' && !v.text.includes('*');
      return exact && v.kind === 'string' && e.path.length === 1 && e.path[0] === field ? new Set([v.text.toLowerCase()]) : null;
    }
    if (e.type === 'and') {
      for (const c of e.children) {
        const r = req(c);
        if (r) return r;
      }
      return null;
    }
    if (e.type === 'or') {
      const all = new Set<string>();
      for (const c of e.children) {
        const r = req(c);
        if (!r) return null;
        for (const v of r) all.add(v);
      }
      return all;
    }
    return null;
  };
  const r = req(ast.expr);
  return r ? [...r].sort() : null;
}

function asStrings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}

function parseTests(raw: unknown, file: string, line: number, errors: RuleLoadError[]): RuleTest[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    errors.push({ file, line, message: `'tests' must be a list of {name, match, event|events}` });
    return [];
  }
  const out: RuleTest[] = [];
  raw.forEach((t: unknown, i) => {
    const o = t as { name?: unknown; match?: unknown; event?: unknown; events?: unknown };
    const events = Array.isArray(o?.events) ? (o.events as object[]) : o?.event && typeof o.event === 'object' ? [o.event as object] : null;
    if (!o || typeof o.match !== 'boolean' || !events) {
      errors.push({ file, line, message: `test ${i + 1}: expected {name, match: true|false, event: {...}} or events: [...]` });
      return;
    }
    out.push({ name: typeof o.name === 'string' ? o.name : `test ${i + 1}`, match: o.match, events });
  });
  return out;
}

function severityOf(level: unknown): Severity {
  const p = SeveritySchema.safeParse(level);
  return p.success ? p.data : 'medium';
}

function packOf(root: string | undefined, file: string): string {
  if (!root) return 'user';
  const rel = relative(root, file).split(sep);
  return rel.length > 1 ? rel[0]! : 'builtin';
}

async function listYaml(dir: string, out: string[], errors: RuleLoadError[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    errors.push({ file: dir, line: 0, message: `cannot read rule directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await listYaml(p, out, errors);
    else if (/\.ya?ml$/i.test(e.name)) out.push(p);
  }
}

/** Options for loading rules. */
export interface LoadRulesOptions {
  /** The built-in packs folder (rules/ of the package), or undefined to skip built-ins. */
  builtinDir?: string;
  /** User rule directories (`--rules DIR`). */
  dirs?: string[];
  /** Values for Sigma `expand` placeholders. */
  placeholders?: Record<string, string[]>;
}

/** Loads built-in and user rules; broken files and rules are reported with file and line, the rest load. */
export async function loadRules(opts: LoadRulesOptions): Promise<RuleSet> {
  const errors: RuleLoadError[] = [];
  const files: { file: string; root: string | undefined }[] = [];
  if (opts.builtinDir) {
    const list: string[] = [];
    await listYaml(opts.builtinDir, list, errors);
    files.push(...list.map((f) => ({ file: f, root: opts.builtinDir })));
  }
  for (const d of opts.dirs ?? []) {
    const list: string[] = [];
    await listYaml(d, list, errors);
    files.push(...list.map((f) => ({ file: f, root: undefined })));
  }
  const rules: DetectionRule[] = [];
  const sigmaSources: { file: string; text: string }[] = [];
  const rootOf = new Map<string, string | undefined>();
  for (const { file, root } of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      errors.push({ file, line: 0, message: `cannot read rule file: ${(e as Error).message}` });
      continue;
    }
    rootOf.set(file, root);
    // A metric-filter rule has a top-level `pattern`; other files go to the Sigma loader, which
    // parses them itself (parsing each file once is most of the loading time).
    if (!text.includes('pattern')) {
      sigmaSources.push({ file, text });
      continue;
    }
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
    const js = doc.errors.length === 0 ? (doc.toJS() as Record<string, unknown> | null) : null;
    if (js && typeof js === 'object' && typeof js.pattern === 'string') {
      const line = lc.linePos(doc.contents?.range?.[0] ?? 0).line;
      const patternNode = doc.get('pattern', true) as { range?: [number, number] } | undefined;
      const patternLine = patternNode?.range ? lc.linePos(patternNode.range[0]).line : line;
      let compiled;
      try {
        compiled = compileMetricFilter(js.pattern);
      } catch (e) {
        errors.push({ file, line: patternLine, message: `invalid metric-filter pattern: ${(e as Error).message}` });
        continue;
      }
      if (typeof js.title !== 'string' || typeof js.id !== 'string') {
        errors.push({ file, line, message: `a metric-filter rule needs 'id' and 'title'` });
        continue;
      }
      const tags = asStrings(js.tags);
      rules.push({
        id: js.id,
        title: js.title,
        description: typeof js.description === 'string' ? js.description : '',
        severity: severityOf(js.level),
        attack: attackIds(tags),
        tags,
        references: asStrings(js.references),
        falsepositives: asStrings(js.falsepositives),
        kind: 'metric-filter',
        pack: packOf(root, file),
        file,
        line,
        status: typeof js.status === 'string' ? js.status : undefined,
        eventNames: metricRequired(compiled.ast, 'eventName'),
        eventSources: metricRequired(compiled.ast, 'eventSource'),
        eventNamePrefixes: null,
        fields: metricFields(compiled.ast),
        match: compiled.match,
        standalone: true,
        pattern: js.pattern,
        tests: parseTests(js.tests, file, line, errors),
      });
      continue;
    }
    sigmaSources.push({ file, text });
  }
  const set = loadSigmaSources(sigmaSources, { placeholders: opts.placeholders ?? {} });
  for (const e of set.errors as SigmaLoadError[]) errors.push({ file: e.file, line: e.line, message: formatSigmaError(e) });
  for (const c of set.rules as CompiledSigmaRule[]) {
    const r = c.rule;
    rules.push({
      id: c.id,
      title: r.title,
      description: r.description ?? '',
      severity: severityOf(r.level),
      attack: attackIds(r.tags),
      tags: r.tags,
      references: r.references,
      falsepositives: r.falsepositives,
      kind: 'sigma',
      pack: packOf(rootOf.get(r.source.file), r.source.file),
      file: r.source.file,
      line: r.source.line,
      status: r.status,
      eventNames: requiredValues(r, 'eventName'),
      eventSources: requiredValues(r, 'eventSource'),
      eventNamePrefixes: requiredPrefixes(r, 'eventName'),
      fields: sigmaFields(r),
      match: c.match,
      standalone: c.standalone,
      tests: parseTests(r.extra.tests, r.source.file, r.source.line, errors),
      sigma: r,
    });
  }
  for (const c of set.correlations) {
    rules.push({
      id: c.id ?? c.name ?? c.title,
      title: c.title,
      description: c.description ?? '',
      severity: severityOf(c.level),
      attack: attackIds(c.tags),
      tags: c.tags,
      references: c.references,
      falsepositives: c.falsepositives,
      kind: 'correlation',
      pack: packOf(rootOf.get(c.source.file), c.source.file),
      file: c.source.file,
      line: c.source.line,
      status: c.status,
      eventNames: null,
      eventSources: null,
      eventNamePrefixes: null,
      fields: null,
      standalone: true,
      correlation: c,
      tests: parseTests(c.extra.tests, c.source.file, c.source.line, errors),
    });
  }
  return { rules, correlations: set.correlations, sigmaRules: set.rules.map((r) => r.rule), errors, notApplicable: set.notApplicable };
}
