/**
 * Checks a parsed SQL statement (DuckDB's json_serialize_sql tree) against what the API may
 * read: the documented views and a few harmless table functions; no files, no settings.
 * Pure: the caller obtains the tree from DuckDB.
 */

/** Relations the API's SQL may read. */
export const ALLOWED_RELATIONS = new Set(['events', 'cloudtrail_logs', 'cloudtrail_lake', 'findings', 'rejects', 'ingested_objects', 'suppressions', 'saved_queries']);
/** Table functions the API's SQL may call. */
export const ALLOWED_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest', 'json_each', 'json_tree']);
/** Scalar functions refused (they reveal the server's environment). */
export const DENIED_FUNCTIONS = new Set(['getenv', 'current_setting', 'read_text', 'read_blob']);

/** Returns why the statement is refused, or an empty list. */
export function sqlViolations(tree: unknown): string[] {
  const out = new Set<string>();
  const ctes = new Set<string>();
  const collectCtes = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(collectCtes);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, unknown>;
      const map = (o.cte_map as { map?: { key: string }[] } | undefined)?.map;
      if (Array.isArray(map)) for (const e of map) if (typeof e.key === 'string') ctes.add(e.key.toLowerCase());
      Object.values(o).forEach(collectCtes);
    }
  };
  collectCtes(tree);
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) {
      n.forEach(walk);
      return;
    }
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string') {
      const name = o.table_name.toLowerCase();
      if (!ALLOWED_RELATIONS.has(name) && !ctes.has(name)) out.add(`reading '${o.table_name}' is not allowed (allowed: ${[...ALLOWED_RELATIONS].join(', ')})`);
    }
    if (o.type === 'TABLE_FUNCTION') {
      const fn = (o.function as { function_name?: string } | undefined)?.function_name?.toLowerCase();
      if (fn && !ALLOWED_TABLE_FUNCTIONS.has(fn)) out.add(`table function '${fn}' is not allowed`);
    }
    if ((o.class === 'FUNCTION' || o.type === 'FUNCTION') && typeof o.function_name === 'string' && DENIED_FUNCTIONS.has(o.function_name.toLowerCase())) {
      out.add(`function '${o.function_name}' is not allowed`);
    }
    Object.values(o).forEach(walk);
  };
  walk(tree);
  return [...out];
}
