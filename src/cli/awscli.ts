/**
 * The AWS CLI's own options, for commands that answer as an AWS API does: `--query` (a JMESPath
 * expression, the same language the CLI uses), `--output text` (the CLI's tab-separated format)
 * and `--cli-input-json`, so that command lines written for `aws cloudtrail …` work here.
 */
import { readFileSync } from 'node:fs';
import jmespath from 'jmespath';
import { AitrailError } from '../model/errors.js';

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

/**
 * The value of `--cli-input-json`: JSON text, or `file://PATH` to read it from a file, as the
 * AWS CLI takes it. It must be an object; `what` names the option in errors.
 */
export function readCliInput(arg: string, what = '--cli-input-json'): Record<string, unknown> {
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
    value = JSON.parse(text);
  } catch (e) {
    throw new AitrailError('USAGE', `${what} is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(value)) throw new AitrailError('USAGE', `${what} must be a JSON object of the request's parameters`);
  return value;
}

