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
  if (format === 'table') {
    process.stdout.write(renderTable(columns, rows) + '\n');
    return;
  }
  const w = rowWriter(format);
  w.columns(columns);
  w.rows(rows);
  w.end();
}

/** Writes rows as they come (formats that need no look at all of them first). */
export interface RowWriter {
  columns(columns: string[]): void;
  rows(rows: unknown[][]): void;
  end(): void;
  /** Whether anything has been written yet (a CSV header is written with the first rows, or at the end). */
  readonly written: boolean;
}

/**
 * A RowWriter for JSON (the same text as one JSON.stringify of the whole array, indented by
 * two), JSON Lines or CSV, writing to `out`.
 */
export function rowWriter(format: Exclude<OutputFormat, 'table'>, out: { write(s: string): unknown } = process.stdout): RowWriter {
  let cols: string[] = [];
  let first = true;
  let written = false;
  const object = (r: unknown[]) => Object.fromEntries(cols.map((c, i) => [c, plain(r[i])]));
  const header = () => {
    if (!written && format === 'csv') out.write(cols.map(csvCell).join(',') + '\n');
    written = true;
  };
  return {
    columns(c) {
      cols = c;
    },
    rows(rows) {
      if (rows.length === 0) return;
      header();
      let text = '';
      for (const r of rows) {
        if (format === 'jsonl') text += JSON.stringify(object(r)) + '\n';
        else if (format === 'csv') text += r.map(csvCell).join(',') + '\n';
        else {
          text += (first ? '[\n  ' : ',\n  ') + JSON.stringify(object(r), null, 2).replaceAll('\n', '\n  ');
          first = false;
        }
      }
      out.write(text);
    },
    end() {
      header();
      if (format === 'json') out.write(first ? '[]\n' : '\n]\n');
    },
    get written() {
      return written;
    },
  };
}

/** Writes one JSON document. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(plain(value), null, 2) + '\n');
}

/** Writes a line to stderr. */
export function note(msg: string): void {
  process.stderr.write(msg + '\n');
}
