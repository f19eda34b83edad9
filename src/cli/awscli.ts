/**
 * The AWS CLI's own options, for commands that answer as an AWS API does: `--query` (a JMESPath
 * expression, the same language the CLI uses), `--output text|table|yaml|yaml-stream` (the CLI's
 * own formats), `--cli-input-json` and `--cli-input-yaml`, and its global options, so that command
 * lines written for `aws cloudtrail …` work here.
 */
import { readFileSync } from 'node:fs';
import jmespath from 'jmespath';
import { parse as yamlParse, stringify as yamlStringify, type ToStringOptions, type DocumentOptions, type SchemaOptions, type CreateNodeOptions } from 'yaml';
import { AitrailError } from '../model/errors.js';
import { plain } from '../store/events.js';
import { printJson } from './output.js';

/** A compiled `--query`: checked once, before anything is read. */
export type Query = (value: unknown) => unknown;

/** Compiles a `--query` expression, or says what is wrong with it (a usage error). */
export function compileQuery(expr: string): Query {
  try {
    // Parsing alone (the library has it, its typings do not declare it): a bad expression fails
    // here, not after a long search.
    (jmespath as unknown as { compile(e: string): unknown }).compile(expr);
  } catch (e) {
    throw new AitrailError('USAGE', `--query '${expr}' is not a JMESPath expression: ${(e as Error).message}`);
  }
  return (value) => jmespath.search(value as Parameters<typeof jmespath.search>[0], expr);
}

/**
 * How the AWS CLI writes a scalar: Python's `str()` of the JSON value. `nullAs` is what a null
 * member of an object prints as: the CLI never sees one in a service's answer (a member AWS has
 * no value for is left out, and prints empty), while a JMESPath result can hold real nulls.
 */
function scalar(v: unknown, nullAs = 'None'): string {
  if (v === null || v === undefined) return nullAs;
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloat(v);
  return String(v);
}

/** Python's repr of a float's exponent has two digits at least (1e-07, where JavaScript writes 1e-7). */
function pyFloat(v: number): string {
  return String(v).replace(/e([+-])(\d)$/, 'e$10$2');
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isComplex = (v: unknown): boolean => v !== null && typeof v === 'object';
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Options of the text format. */
export interface TextOptions {
  /** What a null object member prints as (default 'None', as the CLI prints a JMESPath null). */
  nullMember?: string;
}

/**
 * The AWS CLI's `--output text`: an object's scalar members on one tab-separated line (in key
 * order, after the upper-cased name of the member holding it), then its lists and objects, each
 * under its own name; a list of objects gives one line per object, with the columns of every
 * scalar member any of them has; a list of scalars one line (one per value under a name).
 */
export function formatText(value: unknown, opts: TextOptions = {}): string {
  const out: string[] = [];
  const nullMember = opts.nullMember ?? 'None';
  const write = (item: unknown, identifier?: string, scalarKeys?: string[]): void => {
    if (isObject(item)) writeObject(item, identifier, scalarKeys);
    else if (Array.isArray(item)) writeList(item, identifier);
    else out.push(scalar(item) + '\n');
  };
  const writeScalars = (items: unknown[], identifier?: string) => {
    if (identifier !== undefined) for (const v of items) out.push(`${identifier.toUpperCase()}\t${scalar(v)}\n`);
    else out.push(items.map((v) => scalar(v)).join('\t') + '\n');
  };
  const writeList = (items: unknown[], identifier?: string) => {
    if (items.length === 0) return;
    if (items.some(isObject)) {
      const keys = new Set<string>();
      for (const el of items) if (isObject(el)) for (const [k, v] of Object.entries(el)) if (!isComplex(v)) keys.add(k);
      const all = [...keys].sort(byCodePoint);
      for (const el of items) write(el, identifier, all);
    } else if (items.some(Array.isArray)) {
      const scalars = items.filter((el) => !isComplex(el));
      if (scalars.length) writeScalars(scalars, identifier);
      for (const el of items) if (isComplex(el)) write(el, identifier);
    } else {
      writeScalars(items, identifier);
    }
  };
  const writeObject = (item: Record<string, unknown>, identifier?: string, scalarKeys?: string[]) => {
    const scalars: string[] = [];
    const rest: [string, unknown][] = [];
    if (scalarKeys === undefined) {
      for (const k of Object.keys(item).sort(byCodePoint)) {
        if (isComplex(item[k])) rest.push([k, item[k]]);
        else scalars.push(scalar(item[k], nullMember));
      }
    } else {
      // A key the object lacks prints empty; its other members follow, each under its name.
      for (const k of scalarKeys) scalars.push(k in item ? scalar(item[k], nullMember) : '');
      for (const k of Object.keys(item).filter((k) => !scalarKeys.includes(k)).sort(byCodePoint)) rest.push([k, item[k]]);
    }
    if (scalars.length) out.push((identifier !== undefined ? [identifier.toUpperCase(), ...scalars] : scalars).join('\t') + '\n');
    for (const [k, v] of rest) write(v, k);
  };
  write(value);
  return out.join('');
}

/** One section of a `--output table`: a title, column headers, rows, and how deep it sits. */
interface TableSection {
  title: string | null;
  headers: string[];
  rows: string[][];
  indent: number;
  widths: number[];
}

/** Options of the table format. */
export interface TableOptions {
  /** The terminal's width: sections of one row are turned on end when the table is wider (80, as the CLI assumes off a terminal). */
  width?: number;
  /** ANSI colours, as the CLI uses on a terminal. */
  color?: boolean;
}

/**
 * The table's options for standard output: the terminal's width and colours, or 80 columns and
 * none off a terminal (or with NO_COLOR); `--color on` or `off` decides the colours outright, as
 * in the AWS CLI.
 */
export function terminalTable(color?: unknown): TableOptions {
  const tty = process.stdout.isTTY === true;
  return { width: tty ? process.stdout.columns || 80 : 80, color: color === 'on' || (color !== 'off' && tty && !process.env.NO_COLOR) };
}

/**
 * The AWS CLI's global options, taken by the commands that answer as its commands do, so that a
 * command line written for `aws cloudtrail …` runs as written. `--color` sets the table's colours;
 * `--profile` names the credentials of what a command reads or writes in S3 (checkAwsGlobals).
 * The others are about how the AWS CLI reaches AWS (TLS, timeouts, the pager, prompts, debug
 * logs): they are taken and have no effect.
 */
export const AWS_GLOBAL_OPTIONS = {
  profile: { type: 'string' },
  color: { type: 'string' },
  debug: { type: 'boolean' },
  'no-cli-pager': { type: 'boolean' },
  'cli-read-timeout': { type: 'string' },
  'cli-connect-timeout': { type: 'string' },
  'no-verify-ssl': { type: 'boolean' },
  'ca-bundle': { type: 'string' },
  'cli-binary-format': { type: 'string' },
  'cli-auto-prompt': { type: 'boolean' },
  'no-cli-auto-prompt': { type: 'boolean' },
} as const;

/**
 * Checks the AWS CLI's global options of a command (before it does anything). What `--profile`
 * does: `unused`, a note says so (the command reaches no AWS service, and the store holds every
 * account's events); `process`, it names the credentials of every S3 request this process makes,
 * as AWS_PROFILE would; `passed`, the command hands it to its own S3 client.
 */
export function checkAwsGlobals(values: Record<string, unknown>, command: string, profile: 'unused' | 'process' | 'passed'): void {
  if (values.color !== undefined && !['on', 'off', 'auto'].includes(String(values.color))) {
    throw new AitrailError('USAGE', `--color must be on, off or auto, not '${String(values.color)}'`);
  }
  if (values.profile === undefined) return;
  if (profile === 'process') process.env.AWS_PROFILE = String(values.profile);
  else if (profile === 'unused') {
    process.stderr.write(`aitrail ${command}: --profile ${String(values.profile)} is not used: no AWS credentials are needed here, and the store holds every account's events (--filter recipientAccountId=ID keeps one account's)\n`);
  }
}

/**
 * Characters a terminal shows two columns wide (East Asian wide and full-width forms, emoji). The
 * AWS CLI also counts those of ambiguous width (é, ü, Cyrillic, Greek) as two, which breaks its
 * columns on terminals that show them one wide, as western ones do; here they count as one.
 */
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;

/** How many terminal columns a text takes. */
function textWidth(text: string): number {
  let n = 0;
  for (const ch of text) n += WIDE.test(ch) ? 2 : 1;
  return n;
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The AWS CLI's `--output table` of an answer (`title`: the operation, `LookupEvents`): an object's
 * scalar members as one row under their sorted names (a lone member as a name and value row), a
 * list of objects as one row each under the names of every scalar member any of them has, lists
 * of scalars as rows, and what holds lists or objects as sections under their member's name, one
 * level deeper. Columns are widened in proportion to fill the widest section. Where the table is
 * wider than the terminal, a section of one row is turned on end (a name and value per row).
 * Unlike the CLI, which fails there, rows of a list of lists may differ in length: the short ones
 * end in empty cells.
 */
export function formatTable(title: string, value: unknown, opts: TableOptions = {}): string {
  const sections: TableSection[] = [];
  let current: TableSection | undefined;
  const newSection = (t: string | null, indent: number) => {
    current = { title: t, headers: [], rows: [], indent, widths: [] };
    sections.push(current);
  };
  const grow = (cells: string[]) => {
    cells.forEach((c, i) => (current!.widths[i] = Math.max(current!.widths[i] ?? 0, textWidth(c))));
  };
  const addHeaders = (h: string[]) => {
    current!.headers = [...h];
    grow(h);
  };
  const addRow = (cells: unknown[]) => {
    const row = cells.map((c) => scalar(c));
    current!.rows.push(row);
    grow(row);
  };
  const scalarKeys = (o: Record<string, unknown>) => {
    const keys = Object.keys(o);
    return [keys.filter((k) => !isComplex(o[k])).sort(byCodePoint), keys.filter((k) => isComplex(o[k])).sort(byCodePoint)] as const;
  };
  const falsy = (v: unknown) => !v || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
  const build = (t: string | null | undefined, v: unknown, indent: number): void => {
    if (falsy(v)) return;
    if (t !== undefined) newSection(t, indent);
    if (Array.isArray(v)) {
      if (isObject(v[0])) fromList(v, indent, t ?? null);
      else {
        for (const item of v) {
          if (!isComplex(item)) addRow([item]);
          else if (Array.isArray(item) && item.every((x) => !isComplex(x))) addRow(item);
          else build(undefined, item, 0);
        }
      }
    } else if (isObject(v)) fromObject(v, indent);
    // A value of its own with nothing around it (`--query 'length(Events)'`) is one cell.
    else addRow([v]);
  };
  const fromObject = (o: Record<string, unknown>, indent: number) => {
    const [headers, more] = scalarKeys(o);
    if (headers.length === 1) addRow([headers[0], o[headers[0]!]]);
    else if (headers.length) {
      addHeaders(headers);
      addRow(headers.map((k) => o[k]));
    }
    for (const k of more) build(k, o[k], indent + 1);
  };
  const fromList = (items: unknown[], indent: number, t: string | null) => {
    const headers = new Set<string>();
    const more = new Set<string>();
    for (const item of items) {
      if (!isObject(item)) continue;
      const [h, m] = scalarKeys(item);
      h.forEach((k) => headers.add(k));
      m.forEach((k) => more.add(k));
    }
    const hs = [...headers].sort(byCodePoint);
    const ms = [...more].sort(byCodePoint);
    addHeaders(hs);
    items.forEach((item, i) => {
      const o = isObject(item) ? item : {};
      if (i > 0 && ms.length) {
        newSection(t, indent);
        addHeaders(hs);
      }
      addRow(hs.map((k) => (k in o ? o[k] : '')));
      for (const k of ms) if (k in o) build(k, o[k], indent + 1);
    });
  };
  build(title, value, 0);
  if (!sections.length) return '';
  for (const sec of sections) {
    // Rows of differing length (a list of lists) end in empty cells.
    const cols = Math.max(sec.headers.length, ...sec.rows.map((r) => r.length));
    for (const r of sec.headers.length ? [sec.headers, ...sec.rows] : sec.rows) while (r.length < cols) r.push('');
    while (sec.widths.length < cols) sec.widths.push(0);
  }
  // A section without a title is as wide as the text 'None' at least, as Python writes its title in the CLI.
  const sectionWidth = (sec: TableSection) =>
    Math.max(textWidth(sec.title ?? 'None') + 2 + 2 * sec.indent, sec.widths.reduce((a, w) => a + w + 4, 0) + 2 + 2 * sec.indent);
  let max = Math.max(...sections.map(sectionWidth));
  if (max > (opts.width ?? 80)) {
    for (const sec of sections) {
      if (sec.rows.length !== 1 || !sec.headers.length) continue;
      const row = sec.rows[0]!;
      const pairs = sec.headers.map((h, i) => [h, row[i] ?? '']);
      sec.headers = [];
      sec.rows = pairs;
      sec.widths = [Math.max(...pairs.map((p) => textWidth(p[0]!))), Math.max(...pairs.map((p) => textWidth(p[1]!)))];
    }
    max = Math.max(...sections.map(sectionWidth));
  }
  const paint = (code: string, text: string) => (opts.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const out: string[] = ['-'.repeat(max) + '\n'];
  for (const sec of sections) {
    const bar = sec.indent ? paint('2;33', '|'.repeat(sec.indent)) : '';
    const line = (text: string) => out.push(bar + text + bar + '\n');
    const width = max - 2 * sec.indent;
    const center = (text: string, length: number, left: string) => {
      const start = Math.floor(length / 2) - Math.floor(textWidth(text) / 2) - 1;
      return left + ' '.repeat(Math.max(0, start)) + text + ' '.repeat(Math.max(0, length - 1 - (left.length + start + textWidth(text)))) + '|';
    };
    if (sec.title) {
      line(center(sec.title, width, '|'));
      if (!sec.headers.length && !sec.rows.length) line(`+${'-'.repeat(width - 2)}+`);
    }
    // The columns, widened in proportion to fill the width (the CLI's rounding, then one at a time).
    const unscaled = sec.widths.map((w) => w + 4);
    const total = unscaled.reduce((a, b) => a + b, 0);
    const widths = unscaled.map((w) => roundHalfEven((width / total) * w));
    let off = widths.reduce((a, b) => a + b, 0) - width;
    while (off !== 0 && widths.length) {
      const order = widths.map((_, i) => i);
      if (off < 0) order.reverse();
      for (const i of order) {
        widths[i]! += off > 0 ? -1 : 1;
        off += off > 0 ? -1 : 1;
        if (off === 0) break;
      }
    }
    const rule = () => line(widths.map((w, i) => (i === 0 ? `+${'-'.repeat(w - 2)}+` : `${'-'.repeat(w - 1)}+`)).join(''));
    if (sec.headers.length) {
      rule();
      line(sec.headers.map((h, i) => center(h, widths[i]!, i === 0 ? '|' : '')).join(''));
    }
    if (sec.rows.length && widths.length) {
      rule();
      for (const row of sec.rows) {
        line(row.map((cell, i) => {
          const left = i === 0 ? '|' : '';
          const pad = widths[i]! - (textWidth(cell) + 2 + left.length + 1) >= 0 ? 2 : 0;
          return left + ' '.repeat(pad) + paint('1;34', cell) + ' '.repeat(Math.max(0, widths[i]! - (left.length + pad + textWidth(cell)) - 1)) + '|';
        }).join(''));
      }
      rule();
    }
  }
  return out.join('');
}

/**
 * A string the YAML writer wrote on one line (plain or in single quotes) folded as the CLI's
 * writer folds it: at a single space (not one of a run, nor the first or last character) once the
 * line has passed `width`; `column`: where the string starts, `indent`: its lines' indentation.
 */
function foldAtSpaces(text: string, indent: string, column: number, width: number): string {
  const quoted = text.startsWith("'");
  const first = quoted ? 1 : 0;
  const last = quoted ? text.length - 2 : text.length - 1;
  let out = '';
  let from = 0;
  for (let i = first + 1; i < last; i++) {
    if (text[i] !== ' ' || text[i - 1] === ' ' || text[i + 1] === ' ') continue;
    const word = text.slice(from, i);
    // Columns are counted in characters, as the CLI's writer counts them.
    column += [...word].length;
    if (column > width) {
      out += word + '\n' + indent;
      column = indent.length;
    } else {
      out += word + ' ';
      column += 1;
    }
    from = i + 1;
  }
  return out + text.slice(from);
}

const YAML_STR = 'tag:yaml.org,2002:str';
const YAML_WIDTH = 80;
/** What the CLI's YAML writer writes in double quotes: characters it cannot print (a tab among them), a space before a line break. */
// eslint-disable-next-line no-control-regex
const YAML_DOUBLE = /[\x00-\x09\x0b-\x1f\x7f-\x84\x86-\x9f\uFEFF\uFFFE\uFFFF]| \n/;

/**
 * The AWS CLI's YAML (version 2's `--output yaml`) as its writer writes it: block style, keys
 * sorted, a list at its key's indentation. A string a YAML 1.1 reader would take for something
 * else (a time, `yes`, a number, `=`, `<<`) is in single quotes, as is one of several lines; one
 * with characters that cannot be printed (a tab) in double quotes. Long strings are folded as
 * that writer folds them: at the first single space past column 80, so a line runs past 80 by up
 * to one word. The yaml package writes the rest, and a top-level scalar that is not quoted gets
 * the writer's `...` after it. It quotes a little more than the CLI does: `y` and `n` (booleans
 * to some YAML 1.1 readers) and an exponent without a fraction, such as `1e3`.
 */
const YAML_OPTIONS: DocumentOptions & SchemaOptions & CreateNodeOptions & ToStringOptions = {
  version: '1.1',
  // A value met twice (`--query '[Events, Events]'`) is written twice, not as an anchor and alias.
  aliasDuplicateObjects: false,
  sortMapEntries: true,
  indentSeq: false,
  singleQuote: true,
  lineWidth: 0,
  // A `<<` is text here, never a merge.
  customTags: (tags) => tags.filter((tag) => typeof tag !== 'object' || tag.tag !== 'tag:yaml.org,2002:merge').map((tag) => {
    if (typeof tag !== 'object' || tag.tag !== YAML_STR || !tag.stringify) return tag;
    const write = tag.stringify.bind(tag);
    return { ...tag, stringify(item, ctx, onComment, onChompKeep) {
      const value = String((item as { value?: unknown }).value);
      const as = (type: string) => write(Object.assign({}, item, { type }), ctx, onComment, onChompKeep);
      let text: string;
      if (YAML_DOUBLE.test(value)) text = as('QUOTE_DOUBLE');
      else if (value === '=' || value === '<<' || value.includes('\n')) text = as('QUOTE_SINGLE');
      else {
        // Plain where it can be; where it cannot, the writer's single quotes (the yaml package
        // would take double quotes for a string with an apostrophe in it).
        text = write(item, ctx, onComment, onChompKeep);
        if (text.startsWith('"')) text = as('QUOTE_SINGLE');
      }
      // Keys, double-quoted strings and strings of several lines stay as written.
      if (ctx.implicitKey || text.includes('\n') || text.startsWith('"')) return text;
      // A map's value starts after its key (indentAtStart), which starts 2 columns left of the
      // value's continuation lines; a list item at its continuation lines' column. A top-level
      // string continues 2 columns in.
      const indent = ctx.indent || '  ';
      const column = ctx.indentAtStart === undefined ? ctx.indent.length : ctx.indent.length - 2 + ctx.indentAtStart;
      return foldAtSpaces(text, indent, column, YAML_WIDTH);
    } };
  }),
};

/** The AWS CLI's `--output yaml` of an answer (see YAML_OPTIONS). */
export function formatYaml(value: unknown): string {
  const text = yamlStringify(value ?? null, YAML_OPTIONS);
  const scalar = value === null || value === undefined || typeof value !== 'object';
  return scalar && !/^['"|>]/.test(text) ? text + '...\n' : text;
}

/**
 * The AWS CLI's `--output yaml-stream`: each page of the answer (each API response) written as it
 * comes, as one item of a YAML list.
 */
export function formatYamlPage(value: unknown): string {
  return formatYaml([value]);
}

/** The `--output` values of the commands that answer as an AWS API does. */
const AWS_OUTPUTS = ['json', 'text', 'table', 'yaml', 'yaml-stream'] as const;

/**
 * How a command that answers as an AWS API does prints its answer, per its `--query` and
 * `--output` (json, the default; text; table, titled `operation`; yaml; yaml-stream, the answer
 * as the one page it is). Both are checked here, before the command does anything: a typo must
 * not fail only after a trail was changed.
 */
export function answerPrinter(values: { query?: unknown; output?: unknown; color?: unknown }, operation: string): (answer: unknown) => void {
  const output = values.output === undefined ? 'json' : String(values.output);
  if (!(AWS_OUTPUTS as readonly string[]).includes(output)) throw new AitrailError('USAGE', `--output must be json, text, table, yaml or yaml-stream, not '${output}'`);
  const query = values.query !== undefined ? compileQuery(String(values.query)) : undefined;
  return (answer) => {
    // The answer as its JSON says it (times as text, no members without a value), which the query and every format see.
    const json: unknown = JSON.parse(JSON.stringify(plain(answer)) ?? 'null');
    const value = query ? query(json) : json;
    if (output === 'text') process.stdout.write(formatText(value));
    else if (output === 'table') process.stdout.write(formatTable(operation, value, terminalTable(values.color)));
    else if (output === 'yaml') process.stdout.write(formatYaml(value));
    else if (output === 'yaml-stream') process.stdout.write(formatYamlPage(value));
    else printJson(value);
  };
}

/**
 * The value of `--cli-input-json` (JSON text) or `--cli-input-yaml` (YAML text, read as YAML 1.2
 * as the CLI reads it), or `file://PATH` to read it from a file, as the AWS CLI takes it. It must
 * be an object; `what` names the option in errors.
 */
export function readCliInput(arg: string, what: '--cli-input-json' | '--cli-input-yaml' = '--cli-input-json'): Record<string, unknown> {
  const format = what === '--cli-input-yaml' ? 'YAML' : 'JSON';
  let text = arg;
  if (arg.startsWith('file://')) {
    try {
      text = readFileSync(arg.slice('file://'.length), 'utf8');
    } catch (e) {
      throw new AitrailError('USAGE', `${what}: cannot read ${arg.slice('file://'.length)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  let value: unknown;
  try {
    value = format === 'YAML' ? yamlParse(text) : JSON.parse(text);
  } catch (e) {
    throw new AitrailError('USAGE', `${what} is not valid ${format}: ${(e as Error).message.split('\n')[0]!.replace(/:$/, '')}`);
  }
  if (!isObject(value)) throw new AitrailError('USAGE', `${what} must be a ${format} ${format === 'YAML' ? 'mapping' : 'object'} of the request's parameters`);
  return value;
}

