/**
 * Compiles the AI activity table (model/ai-activity.ts) into SQL expressions evaluated by DuckDB
 * at ingest, so classification runs inside the bulk load instead of per record in JavaScript.
 */
import {
  AI_MAPPING,
  EVENT_NAME_VERSION_SUFFIX_REGEX,
  GPU_INSTANCE_FAMILY_REGEX,
  type AiClassificationConfig,
  type AiCondition,
  type AiMappingRow,
} from '../model/ai-activity.js';
import { sqlString } from './db.js';

/** SQL expressions (over the staged columns) that the conditions read. */
export interface ConditionInputs {
  bucketName: string;
  functionName: string;
  repositoryName: string;
  instanceType: string;
}

/** SQL expressions the classification CASE reads: source, normalized name, and one boolean per condition. */
export interface ClassifyInputs {
  eventSource: string;
  eventName: string;
  conditions: Record<AiCondition, string>;
}

/** Turns a glob (`*`, `?`) into a regular expression (RE2) matching the same strings. */
export function globToRegex(glob: string): string {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else if (/[\\^$.|?*+()[\]{}]/.test(ch)) out += '\\' + ch;
    else out += ch;
  }
  return out;
}

/**
 * Whether `expr`, lowercased, matches one of the globs. One regular expression of them all: the
 * glob lists hold twenty or so patterns each, and a LIKE apiece (each lowercasing the name
 * again) cost several times as much on every S3, Lambda and ECR event.
 */
function anyGlob(expr: string, globs: readonly string[]): string {
  if (globs.length === 0) return 'FALSE';
  const alternatives = [...new Set(globs.map((g) => globToRegex(g.toLowerCase())))];
  return `regexp_full_match(lower(${expr}), ${sqlString(`(?s)(?:${alternatives.join('|')})`)})`;
}

/**
 * SQL that strips Lambda's API-version suffix from an eventName. The suffix ends in a digit, and
 * hardly any other name does: only those are given to the regular expression.
 */
export function normalizedEventNameSql(col: string): string {
  return `CASE WHEN right(${col}, 1) BETWEEN '0' AND '9' THEN regexp_replace(${col}, '${EVENT_NAME_VERSION_SUFFIX_REGEX}', '') ELSE ${col} END`;
}

/** The boolean SQL of one condition (evaluate once per row, then reference the result). */
export function conditionSql(cond: AiCondition, inp: ConditionInputs, cfg: AiClassificationConfig): string {
  switch (cond) {
    case 'aiBucket':
      return anyGlob(inp.bucketName, cfg.aiBuckets);
    case 'aiFunction':
      return anyGlob(inp.functionName, cfg.aiFunctions);
    case 'aiRepository':
      return anyGlob(inp.repositoryName, cfg.aiRepositories);
    case 'gpuInstance':
      return `regexp_matches(coalesce(${inp.instanceType}, ''), '${GPU_INSTANCE_FAMILY_REGEX}')`;
  }
}

function sourceSql(col: string, sources: readonly string[]): string {
  const exact = sources.filter((s) => !s.endsWith('*'));
  const prefixes = sources.filter((s) => s.endsWith('*')).map((s) => s.slice(0, -1));
  const parts: string[] = [];
  if (exact.length === 1) parts.push(`${col} = ${sqlString(exact[0]!)}`);
  else if (exact.length) parts.push(`list_contains([${exact.map(sqlString).join(', ')}], ${col})`);
  for (const p of prefixes) parts.push(`starts_with(${col}, ${sqlString(p)})`);
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
}

/** Whether some eventSource could match both source patterns (exact or `prefix*`). */
function sourcesOverlap(a: string, b: string): boolean {
  const pa = a.endsWith('*');
  const pb = b.endsWith('*');
  if (!pa && !pb) return a === b;
  if (pa && pb) return a.startsWith(b.slice(0, -1)) || b.startsWith(a.slice(0, -1));
  return pa ? b.startsWith(a.slice(0, -1)) : a.startsWith(b.slice(0, -1));
}

/**
 * The mapping's rows in families whose eventSources cannot overlap another family's: an event
 * can match rows of one family only, so the first row it matches there is the first in the
 * whole table. Families and their rows keep the table's order.
 */
export function sourceFamilies(rows: readonly AiMappingRow[]): { sources: string[]; rows: AiMappingRow[] }[] {
  const families: { sources: string[]; rows: AiMappingRow[] }[] = [];
  for (const row of rows) {
    const touching = families.filter((f) => f.sources.some((a) => row.sources.some((b) => sourcesOverlap(a, b))));
    const into = touching[0] ?? { sources: [], rows: [] };
    if (!touching.length) families.push(into);
    // Families joined by this row merge into the first, their rows back in table order.
    for (const other of touching.slice(1)) {
      into.sources.push(...other.sources);
      into.rows.push(...other.rows);
      families.splice(families.indexOf(other), 1);
    }
    into.rows.push(row);
    into.rows.sort((x, y) => rows.indexOf(x) - rows.indexOf(y));
    for (const s of row.sources) if (!into.sources.includes(s)) into.sources.push(s);
  }
  return families;
}

/** The table's source families, worked out once (every load builds its SQL anew). */
let aiFamilies: ReturnType<typeof sourceFamilies> | undefined;

/**
 * One CASE expression yielding 'service|activity' (or NULL for non-AI events); callers split it
 * with split_part. The rows are tested within their source family (sourceFamilies) only: a
 * CASE of every row in turn tested most events' source against all 29 rows, about a sixth of
 * what validating and deriving a record cost.
 */
export function classificationSql(inp: ClassifyInputs): string {
  const families = (aiFamilies ??= sourceFamilies(AI_MAPPING)).map((family) => {
    const sameSources = (row: AiMappingRow) =>
      row.sources.length === family.sources.length && row.sources.every((s) => family.sources.includes(s));
    const branches = family.rows.map((row) => {
      const conds: string[] = [];
      if (!sameSources(row)) conds.push(sourceSql(inp.eventSource, row.sources));
      // list_contains keeps this a scalar test; large IN lists become one join per row of the table.
      if (row.names) conds.push(`list_contains([${row.names.map(sqlString).join(', ')}], ${inp.eventName})`);
      if (row.when) conds.push(inp.conditions[row.when]);
      return `WHEN ${conds.length ? conds.join(' AND ') : 'TRUE'} THEN ${sqlString(`${row.service}|${row.activity}`)}`;
    });
    return `WHEN ${sourceSql(inp.eventSource, family.sources)} THEN CASE ${branches.join(' ')} ELSE NULL END`;
  });
  return `CASE ${families.join(' ')} ELSE NULL END`;
}

/**
 * The model a Bedrock or SageMaker event concerns: Bedrock model/inference-profile ids with the
 * AWS-owned ARN prefix removed, SageMaker model or endpoint names.
 */
export function modelIdSql(aiServiceExpr: string, candidates: string[]): string {
  const raw = `coalesce(${candidates.join(', ')})`;
  const stripped = `regexp_replace(${raw}, '^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:(foundation-model|inference-profile)/', '')`;
  return `CASE WHEN ${aiServiceExpr} IN ('bedrock', 'sagemaker', 'llm') THEN ${stripped} ELSE NULL END`;
}
