/**
 * Runs the inline tests of rules (`tests:` with events that must or must not make a rule fire).
 * Single-event rules: a test matches when any of its events matches. Correlations: the test's
 * events are pushed, in time order, through a correlation engine over the rule set.
 */
import { CorrelationEngine } from './sigma/index.js';
import type { DetectionRule, RuleSet } from './rules.js';

/** The outcome of one inline test. */
export interface RuleTestResult {
  ruleId: string;
  file: string;
  line: number;
  test: string;
  expected: boolean;
  actual: boolean;
  passed: boolean;
  error?: string;
}

function eventTime(e: object): number {
  const t = (e as { eventTime?: unknown }).eventTime;
  const ms = typeof t === 'string' ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? ms : 0;
}

function runCorrelationTest(rule: DetectionRule, set: RuleSet, events: object[]): boolean {
  const engine = new CorrelationEngine([rule.correlation!], { rules: set.sigmaRules });
  const base = set.rules.filter((r) => r.kind === 'sigma' && r.match);
  const sorted = [...events].sort((a, b) => eventTime(a) - eventTime(b));
  let fired = false;
  for (const ev of sorted) {
    const matched = base.filter((r) => r.match!(ev)).map((r) => r.sigma?.id ?? r.sigma?.name ?? r.title);
    if (matched.length === 0) continue;
    const id = (ev as { eventID?: unknown }).eventID;
    if (engine.push({ rules: matched, record: ev, time: eventTime(ev), eventId: typeof id === 'string' ? id : '' }).length) fired = true;
  }
  if (engine.flush().length) fired = true;
  return fired;
}

/** Runs every inline test of `rules` (defaults to all rules of the set). */
export function runRuleTests(set: RuleSet, rules: DetectionRule[] = set.rules): RuleTestResult[] {
  const out: RuleTestResult[] = [];
  for (const rule of rules) {
    for (const t of rule.tests) {
      let actual = false;
      let error: string | undefined;
      try {
        actual = rule.kind === 'correlation' ? runCorrelationTest(rule, set, t.events) : t.events.some((e) => rule.match!(e));
      } catch (e) {
        error = (e as Error).message;
      }
      out.push({ ruleId: rule.id, file: rule.file, line: rule.line, test: t.name, expected: t.match, actual, passed: !error && actual === t.match, ...(error ? { error } : {}) });
    }
  }
  return out;
}

/** Rules of a built-in pack that lack the required tests (one that must match, one that must not). */
export function rulesMissingTests(rules: DetectionRule[]): DetectionRule[] {
  return rules.filter((r) => !(r.tests.some((t) => t.match) && r.tests.some((t) => !t.match)));
}
