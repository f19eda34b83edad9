/**
 * CloudWatch Logs metric-filter patterns for CloudTrail JSON events: parse, explain, and compile to
 * a record predicate. See parse.ts for the grammar and match.ts for the matching semantics.
 */
import { formatAst } from './format.js';
import { compileAst } from './match.js';
import { parsePattern, type MetricFilterAst } from './parse.js';

export type {
  ComparisonOp,
  FilterValue,
  JsonExpr,
  MetricFilterAst,
  SpaceColumn,
  SpaceExpr,
  Term,
  TermGroup,
} from './parse.js';
export { MAX_REGEX_PER_PATTERN } from './parse.js';
export { SPACE_DELIMITED_NOT_APPLICABLE, type RecordPredicate } from './match.js';
export { CIS_METRIC_FILTERS, cisControl, type CisMetricFilterControl, type CisPatternVariant } from './cis.js';

/** A compiled filter pattern. */
export interface CompiledMetricFilter {
  /** The pattern exactly as given. */
  readonly pattern: string;
  /** The parsed pattern. */
  readonly ast: MetricFilterAst;
  /** True when the CloudTrail record matches the pattern (a plain function: safe to pass around). */
  readonly match: (record: object) => boolean;
  /** The pattern with explicit parentheses, as it was understood. */
  explain(): string;
  /** Same as explain(). */
  toString(): string;
}

/** Parses a filter pattern into its AST; throws `AitrailError('RULE_PARSE')` with the column on error. */
export function parseMetricFilter(pattern: string): MetricFilterAst {
  return parsePattern(pattern);
}

/** Renders a pattern (or its AST) back to text with explicit parentheses showing the precedence used. */
export function explain(pattern: string | MetricFilterAst): string {
  return formatAst(typeof pattern === 'string' ? parsePattern(pattern) : pattern);
}

/** Parses and compiles a filter pattern into a fast record predicate. */
export function compileMetricFilter(pattern: string): CompiledMetricFilter {
  const ast = parsePattern(pattern);
  const match = compileAst(ast);
  const text = () => formatAst(ast);
  return { pattern, ast, match, explain: text, toString: text };
}
