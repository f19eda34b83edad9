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

/** Turns a glob (`*`, `?`) into a LIKE pattern with `\` as the escape character. */
export function globToLike(glob: string): string {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '%';
    else if (ch === '?') out += '_';
    else if (ch === '%' || ch === '_' || ch === '\\') out += '\\' + ch;
    else out += ch;
  }
  return out;
}

function anyGlob(expr: string, globs: readonly string[]): string {
  if (globs.length === 0) return 'FALSE';
  return '(' + globs.map((g) => `lower(${expr}) LIKE ${sqlString(globToLike(g.toLowerCase()))} ESCAPE '\\'`).join(' OR ') + ')';
}

/** SQL that strips Lambda's API-version suffix from an eventName. */
export function normalizedEventNameSql(col: string): string {
  return `regexp_replace(${col}, '${EVENT_NAME_VERSION_SUFFIX_REGEX}', '')`;
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

function sourceSql(col: string, sources: string[]): string {
  const exact = sources.filter((s) => !s.endsWith('*'));
  const prefixes = sources.filter((s) => s.endsWith('*')).map((s) => s.slice(0, -1));
  const parts: string[] = [];
  if (exact.length) parts.push(`list_contains([${exact.map(sqlString).join(', ')}], ${col})`);
  for (const p of prefixes) parts.push(`starts_with(${col}, ${sqlString(p)})`);
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
}

/**
 * One CASE expression yielding 'service|activity' (or NULL for non-AI events);
 * callers split it with split_part.
 */
export function classificationSql(inp: ClassifyInputs): string {
  const branches = AI_MAPPING.map((row) => {
    const conds = [sourceSql(inp.eventSource, row.sources)];
    // list_contains keeps this a scalar test; large IN lists become one join per row of the table.
    if (row.names) conds.push(`list_contains([${row.names.map(sqlString).join(', ')}], ${inp.eventName})`);
    if (row.when) conds.push(inp.conditions[row.when]);
    return `WHEN ${conds.join(' AND ')} THEN ${sqlString(`${row.service}|${row.activity}`)}`;
  });
  return `CASE ${branches.join(' ')} ELSE NULL END`;
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
