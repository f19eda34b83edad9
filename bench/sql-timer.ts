/**
 * Wraps a store's DuckDB connection so every statement's wall time is added up by kind
 * (e.g. "INSERT INTO event_store", "COMMIT"), to show where an ingest spends its time.
 * Observation only: statements and results pass through unchanged.
 */
import { performance } from 'node:perf_hooks';
import type { Store } from '../src/store/db.js';

/** Accumulated time of one kind of statement. */
export interface SqlKindTime {
  kind: string;
  count: number;
  ms: number;
}

/** A short label for a statement: its verb and the table it targets. */
export function statementKind(sql: string): string {
  const s = sql.replace(/--[^\n]*/g, ' ').replace(/\s+/g, ' ').trim();
  const m =
    /^(CREATE(?: OR REPLACE)?(?: TEMP| TEMPORARY)? TABLE|INSERT(?: OR \w+)? INTO|DELETE FROM|UPDATE|DROP TABLE(?: IF EXISTS)?) ("?[\w.]+"?)/i.exec(s) ??
    /^(BEGIN|COMMIT|ROLLBACK|CHECKPOINT|SET|PRAGMA)\b/i.exec(s);
  if (m) return m[2] ? `${m[1]!.toUpperCase()} ${m[2]}` : m[1]!.toUpperCase();
  const from = /\bFROM ("?[\w.]+"?)/i.exec(s);
  return `SELECT${from ? ' … FROM ' + from[1]! : ''}`;
}

/** Starts timing every statement run on `store`'s connection; returns a function that reads the totals. */
export function timeStatements(store: Store): () => SqlKindTime[] {
  const totals = new Map<string, SqlKindTime>();
  const conn = store.conn as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of ['run', 'runAndReadAll'] as const) {
    const orig = conn[method]!.bind(store.conn);
    conn[method] = async (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return await orig(...args);
      } finally {
        const kind = statementKind(String(args[0]));
        const t = totals.get(kind) ?? { kind, count: 0, ms: 0 };
        t.count++;
        t.ms += performance.now() - t0;
        totals.set(kind, t);
      }
    };
  }
  return () => [...totals.values()].sort((a, b) => b.ms - a.ms);
}
