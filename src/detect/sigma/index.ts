/**
 * Public API of the Sigma engine: load rule directories, compile rules into registry-friendly
 * matchers, evaluate records (optionally through an eventName/eventSource index) and build a
 * correlation engine over the loaded correlation rules.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AitrailError } from '../../model/errors.js';
import { compileDetection, requiredValues, RuleIndex, type Indexable, type Predicate } from './compile.js';
import { CorrelationEngine, type CorrelationEngineOptions, type CorrelationInput } from './correlate.js';
import { cloudTrailApplies } from './logsource.js';
import {
  formatSigmaError,
  loadSigmaText,
  type SigmaCorrelation,
  type SigmaLevel,
  type SigmaLoadError,
  type SigmaParseOptions,
  type SigmaRule,
} from './parse.js';

export { loadSigmaText, formatSigmaError, LEGACY_V1_MESSAGE } from './parse.js';
export type { SigmaRule, SigmaCorrelation, SigmaLoadError, SigmaLevel, SigmaParseOptions, SigmaLoadResult } from './parse.js';
export { compileDetection, requiredEventNames, requiredPrefixes, requiredValues, RuleIndex, type Predicate } from './compile.js';
export { CorrelationEngine, type CorrelationInput, type CorrelationMatch } from './correlate.js';
export { cloudTrailApplies } from './logsource.js';

/** Loader options: placeholder values for `expand`. */
export type SigmaLoadOptions = SigmaParseOptions;

/** A compiled detection rule in the shape a rule registry consumes. */
export interface CompiledSigmaRule extends Indexable {
  id: string;
  title: string;
  level: SigmaLevel | undefined;
  tags: string[];
  match(record: object): boolean;
  rule: SigmaRule;
  /** False when the rule only feeds a correlation with `generate: false` and should not alert alone. */
  standalone: boolean;
}

/** A rule skipped because its logsource is not CloudTrail. */
export interface NotApplicable {
  file: string;
  line: number;
  title: string;
  reason: string;
}

/** Everything loaded from a set of files. */
export interface SigmaRuleSet {
  rules: CompiledSigmaRule[];
  correlations: SigmaCorrelation[];
  notApplicable: NotApplicable[];
  errors: SigmaLoadError[];
  files: string[];
}

/** Compiles one parsed rule into a `{ id, title, level, tags, match }` object. */
export function compileRule(rule: SigmaRule): CompiledSigmaRule {
  const match: Predicate = compileDetection(rule.detection);
  return {
    id: rule.id ?? rule.name ?? `${rule.source.file}#${rule.source.document}`,
    title: rule.title,
    level: rule.level,
    tags: rule.tags,
    match,
    rule,
    standalone: true,
    eventNames: requiredValues(rule, 'eventName'),
    eventSources: requiredValues(rule, 'eventSource'),
  };
}

/** Parses and compiles one rule document, throwing AitrailError (RULE_PARSE/RULE_INVALID) on any problem. */
export function compileSigmaText(text: string, file = 'rule.yml', opts: SigmaLoadOptions = {}): CompiledSigmaRule {
  const r = loadSigmaText(text, file, opts);
  const first = r.errors[0];
  if (first) throw new AitrailError(first.code, formatSigmaError(first));
  if (r.rules.length !== 1) {
    throw new AitrailError('RULE_INVALID', `${file}: expected exactly one detection rule, found ${r.rules.length}`);
  }
  return compileRule(r.rules[0]!);
}

/** The rules of `rules` that match `record`; pass a RuleIndex to skip rules that cannot match. */
export function evaluate(rules: readonly CompiledSigmaRule[] | RuleIndex<CompiledSigmaRule>, record: object): CompiledSigmaRule[] {
  if (rules instanceof RuleIndex) return rules.matches(record);
  const out: CompiledSigmaRule[] = [];
  for (const r of rules) if (r.match(record)) out.push(r);
  return out;
}

/** An index over compiled rules, grouping them by the eventName/eventSource values they require. */
export function createMatcher(rules: readonly CompiledSigmaRule[]): RuleIndex<CompiledSigmaRule> {
  return new RuleIndex(rules);
}

/** Loads rules from in-memory sources (e.g. built-in rules), with the same checks as `loadSigmaDir`. */
export function loadSigmaSources(sources: readonly { file: string; text: string }[], opts: SigmaLoadOptions = {}): SigmaRuleSet {
  const set: SigmaRuleSet = { rules: [], correlations: [], notApplicable: [], errors: [], files: sources.map((s) => s.file) };
  const parsedRules: SigmaRule[] = [];
  const parsedCorrs: SigmaCorrelation[] = [];
  for (const src of sources) {
    const r = loadSigmaText(src.text, src.file, opts);
    set.errors.push(...r.errors);
    for (const rule of r.rules) {
      const v = cloudTrailApplies(rule.logsource);
      if (v.applies) parsedRules.push(rule);
      else set.notApplicable.push({ file: rule.source.file, line: rule.source.line, title: rule.title, reason: v.reason ?? 'not applicable' });
    }
    for (const c of r.correlations) {
      const v = c.logsource ? cloudTrailApplies(c.logsource) : { applies: true };
      if (v.applies) parsedCorrs.push(c);
      else set.notApplicable.push({ file: c.source.file, line: c.source.line, title: c.title, reason: v.reason ?? 'not applicable' });
    }
  }
  // Resolve correlation references over every parsed copy (same-file copies win), then merge copies.
  const compiled = parsedRules.map(compileRule);
  const engine = new CorrelationEngine(parsedCorrs, { rules: parsedRules });
  set.errors.push(...engine.errors);
  set.correlations = engine.active;
  for (const i of engine.correlationOnlyRules()) compiled[i]!.standalone = false;
  const byId = new Map<string, CompiledSigmaRule>();
  for (const c of compiled) {
    const prev = byId.get(c.id);
    if (!prev) {
      byId.set(c.id, c);
      set.rules.push(c);
    } else if (sameLogic(prev.rule, c.rule)) {
      // Correlation files embed copies of standalone rules; one copy alerting alone keeps it standalone.
      prev.standalone ||= c.standalone;
    } else {
      set.errors.push({
        file: c.rule.source.file,
        line: c.rule.source.line,
        message: `duplicate rule id '${c.id}' with different logic (first loaded from ${prev.rule.source.file}:${prev.rule.source.line}); this copy is skipped`,
        code: 'RULE_INVALID',
      });
    }
  }
  return set;
}

function sameLogic(a: SigmaRule, b: SigmaRule): boolean {
  const ser = (r: SigmaRule) =>
    JSON.stringify([r.logsource, r.detection], (k, v: unknown) => (k === 'line' ? undefined : v instanceof Map ? [...v] : v));
  return ser(a) === ser(b);
}

async function collect(dir: string, out: string[], errors: SigmaLoadError[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    errors.push({ file: dir, line: 0, message: `cannot read rule directory: ${(e as Error).message}`, code: 'RULE_PARSE' });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await collect(p, out, errors);
    else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(p);
  }
}

/** Loads every `*.yml`/`*.yaml` under `dirs` (recursively); broken files and rules are reported, the rest load. */
export async function loadSigmaDir(dirs: readonly string[], opts: SigmaLoadOptions = {}): Promise<SigmaRuleSet> {
  const files: string[] = [];
  const errors: SigmaLoadError[] = [];
  for (const d of dirs) await collect(d, files, errors);
  const sources: { file: string; text: string }[] = [];
  for (const f of files) {
    try {
      sources.push({ file: f, text: await readFile(f, 'utf8') });
    } catch (e) {
      errors.push({ file: f, line: 0, message: `cannot read rule file: ${(e as Error).message}`, code: 'RULE_PARSE' });
    }
  }
  const set = loadSigmaSources(sources, opts);
  set.errors.unshift(...errors);
  set.files = files;
  return set;
}

/** A correlation engine over a loaded rule set; push it the rules each record matched. */
export function createCorrelationEngine(set: SigmaRuleSet, opts: Omit<CorrelationEngineOptions, 'rules'> = {}): CorrelationEngine {
  return new CorrelationEngine(set.correlations, { ...opts, rules: set.rules.map((r) => r.rule) });
}

/** Builds the correlation input for a CloudTrail record from its eventTime and eventID. */
export function correlationInput(record: object, matched: readonly CompiledSigmaRule[]): CorrelationInput {
  const r = record as { eventTime?: unknown; eventID?: unknown };
  const time = typeof r.eventTime === 'string' ? Date.parse(r.eventTime) : typeof r.eventTime === 'number' ? r.eventTime : NaN;
  return {
    rules: matched.map((m) => m.rule.id ?? m.rule.name ?? m.rule.title),
    record,
    time: Number.isFinite(time) ? time : 0,
    eventId: typeof r.eventID === 'string' ? r.eventID : '',
  };
}
