/**
 * BENCHMARKS.md writer. The report is a header plus sections, each fenced by HTML comments
 * carrying a stable id, so later benchmarks (detections, server load, trail recording) can add
 * or refresh their own section with `upsertSection` without rerunning the others.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/store/db.js';

/** One report section: a stable id (its anchor for later updates), a heading, and markdown lines. */
export interface ReportSection {
  id: string;
  title: string;
  lines: string[];
}

/** A function that produces one section (sync or async), for building a report from a list. */
export type SectionBuilder = () => ReportSection | Promise<ReportSection>;

/** One figure compared against a target, for the "targets at a glance" table and stdout. */
export interface TargetCheck {
  area: string;
  target: string;
  measured: string;
  met: boolean | null;
}

/** The default report path: BENCHMARKS.md at the package root. */
export function reportPath(): string {
  return join(packageRoot(), 'BENCHMARKS.md');
}

const open = (id: string) => `<!-- bench:section ${id} -->`;
const close = (id: string) => `<!-- /bench:section ${id} -->`;
const SECTION_RE = /<!-- bench:section ([\w.-]+) -->\n[\s\S]*?<!-- \/bench:section \1 -->\n?/g;

/** Renders one section as markdown, fenced by its id markers. */
export function renderSection(s: ReportSection): string {
  return [open(s.id), `## ${s.title}`, '', ...s.lines, close(s.id), ''].join('\n');
}

/** Sections found in an existing report, by id, in file order. */
export function readSections(path = reportPath()): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(path)) return out;
  const text = readFileSync(path, 'utf8');
  for (const m of text.matchAll(SECTION_RE)) out.set(m[1]!, m[0].endsWith('\n') ? m[0] : m[0] + '\n');
  return out;
}

/** Options for `writeReport`. */
export interface WriteReportOptions {
  path?: string;
  title?: string;
  /** Markdown lines under the title, before the sections. */
  preamble?: string[];
  /** Keep sections of an existing report that this call does not rewrite (default true). */
  keepOthers?: boolean;
}

/** Writes the whole report: title, preamble, the given sections, then any other existing sections kept as they were. */
export function writeReport(sections: ReportSection[], opts: WriteReportOptions = {}): string {
  const path = opts.path ?? reportPath();
  const mine = new Set(sections.map((s) => s.id));
  const kept = opts.keepOthers === false ? [] : [...readSections(path)].filter(([id]) => !mine.has(id)).map(([, text]) => text);
  const parts = [`# ${opts.title ?? 'aitrail benchmarks'}`, '', ...(opts.preamble ?? []), ''];
  const text = parts.join('\n') + '\n' + sections.map(renderSection).join('\n') + (kept.length ? '\n' + kept.join('\n') : '');
  writeFileSync(path, text.replace(/\n{3,}/g, '\n\n'));
  return path;
}

/** Adds a section to an existing report, or replaces the section with the same id in place. */
export function upsertSection(section: ReportSection, path = reportPath()): void {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# aitrail benchmarks\n\n';
  const rendered = renderSection(section);
  let found = false;
  const next = text.replace(SECTION_RE, (block, id: string) => {
    if (id !== section.id) return block;
    found = true;
    return rendered;
  });
  writeFileSync(path, found ? next : next.replace(/\n*$/, '\n\n') + rendered);
}

/** A markdown table. Cells are escaped for `|`. */
export function mdTable(headers: string[], rows: string[][], align?: ('l' | 'r')[]): string[] {
  const esc = (c: string) => c.replaceAll('|', '\\|').replaceAll('\n', ' ');
  const sep = headers.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [`| ${headers.map(esc).join(' | ')} |`, `| ${sep.join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`), ''];
}

/** A plain-text table for the terminal. */
export function textTable(headers: string[], rows: string[][]): string {
  const plain = (c: string) => c.replace(/\*\*|`/g, '');
  const all = [headers, ...rows].map((r) => r.map(plain));
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(all[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

/** "met" / "not met" / "n/a" for a target check. */
export function verdict(met: boolean | null): string {
  return met === null ? 'n/a' : met ? '✅ met' : '❌ not met';
}

/** A section listing target checks, one row each. */
export function targetsSection(checks: TargetCheck[], id = 'targets', title = 'Targets at a glance'): ReportSection {
  return {
    id,
    title,
    lines: mdTable(['Area', 'Target', 'Measured', 'Verdict'], checks.map((c) => [c.area, c.target, c.measured, verdict(c.met)])),
  };
}

/** An integer with thousands separators. */
export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A number with `digits` decimals. */
export function num(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';
}

/** Milliseconds, with precision that suits the magnitude. */
export function ms(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n < 10 ? `${n.toFixed(2)} ms` : n < 100 ? `${n.toFixed(1)} ms` : `${Math.round(n).toLocaleString('en-US')} ms`;
}

/** Bytes as MB / GB (decimal) or MiB / GiB (binary). */
export function bytes(n: number, binary = false): string {
  const k = binary ? 1024 : 1000;
  const units = binary ? ['B', 'KiB', 'MiB', 'GiB', 'TiB'] : ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= k && u < units.length - 1) {
    v /= k;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** A ratio like "0.42×". */
export function ratio(a: number, b: number, digits = 2): string {
  return b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(digits)}×` : 'n/a';
}
