/**
 * The one output module of the CLI: tables on a TTY, JSON / JSON Lines / CSV on request or
 * when piped; errors on stderr.
 */
import { AitrailError } from '../model/errors.js';
import { plain } from '../store/events.js';

/** Output formats. */
export type OutputFormat = 'table' | 'json' | 'jsonl' | 'csv';

/** Picks the format: explicit, else table on a TTY and JSON when piped. */
export function pickFormat(explicit: string | undefined, fallbackPiped: OutputFormat = 'json'): OutputFormat {
  if (explicit) {
    if (!['table', 'json', 'jsonl', 'csv'].includes(explicit)) {
      throw new AitrailError('USAGE', `--output must be table, json, jsonl or csv, not '${explicit}'`);
    }
    return explicit as OutputFormat;
  }
  return process.stdout.isTTY ? 'table' : fallbackPiped;
}

function cell(v: unknown): string {
  const p = plain(v);
  if (p === null || p === undefined) return '';
  if (typeof p === 'object') return JSON.stringify(p);
  return String(p);
}

function csvCell(v: unknown): string {
  const s = cell(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Renders rows as an aligned text table, cutting long cells. */
export function renderTable(columns: string[], rows: unknown[][], maxWidth = 60): string {
  const cells = rows.map((r) => r.map((v) => {
    const s = cell(v).replace(/\s+/g, ' ');
    return s.length > maxWidth ? s.slice(0, maxWidth - 1) + '…' : s;
  }));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Writes tabular data in the chosen format. */
export function printRows(columns: string[], rows: unknown[][], format: OutputFormat): void {
  const out = process.stdout;
  switch (format) {
    case 'table':
      out.write(renderTable(columns, rows) + '\n');
      break;
    case 'json':
      out.write(JSON.stringify(rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, plain(r[i])]))), null, 2) + '\n');
      break;
    case 'jsonl':
      for (const r of rows) out.write(JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, plain(r[i])]))) + '\n');
      break;
    case 'csv':
      out.write(columns.map(csvCell).join(',') + '\n');
      for (const r of rows) out.write(r.map(csvCell).join(',') + '\n');
      break;
  }
}

/** Writes one JSON document. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(plain(value), null, 2) + '\n');
}

/** Writes a line to stderr. */
export function note(msg: string): void {
  process.stderr.write(msg + '\n');
}
