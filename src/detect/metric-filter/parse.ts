/**
 * Tokenizer and recursive-descent parser for CloudWatch Logs filter patterns: JSON patterns
 * (`{ $.a = "x" && … }`), unstructured term patterns (`ERROR -ARGUMENTS`) and space-delimited
 * patterns (`[ip, user, …]`, parsed for diagnostics only). Grammar and limits follow the CloudWatch
 * Logs "Filter and pattern syntax" page; where it is silent the choice is commented here or in match.ts.
 */
import { AitrailError } from '../../model/errors.js';
import { parsePath, type PathStep } from '../../model/fieldpath.js';

/** A comparison operator of a JSON or space-delimited condition. */
export type ComparisonOp = '=' | '!=' | '<' | '>' | '<=' | '>=';

/** A comparison's right-hand side: a string (`*` wildcards), a number (source text kept) or a `%regex%`. */
export type FilterValue =
  | { kind: 'string'; text: string }
  | { kind: 'number'; text: string; value: number }
  | { kind: 'regex'; source: string };

/** A JSON-pattern expression: n-ary `and`/`or` (parentheses are not kept) over conditions. */
export type JsonExpr =
  | { type: 'and'; children: JsonExpr[] }
  | { type: 'or'; children: JsonExpr[] }
  | { type: 'compare'; selector: string; path: PathStep[]; op: ComparisonOp; value: FilterValue }
  | { type: 'is'; selector: string; path: PathStep[]; test: 'NULL' | 'TRUE' | 'FALSE' }
  | { type: 'notExists'; selector: string; path: PathStep[] };

/** One term of an unstructured pattern: a word or phrase, or a `%regex%`; `exclude` for `-TERM`. */
export interface Term {
  text: string;
  regex: boolean;
  exclude: boolean;
}

/** Terms that must all hold (exclusions must be absent); groups are alternatives (`?TERM`). */
export interface TermGroup {
  terms: Term[];
}

/** A condition over a named column of a space-delimited pattern. */
export type SpaceExpr =
  | { type: 'and'; children: SpaceExpr[] }
  | { type: 'or'; children: SpaceExpr[] }
  | { type: 'compare'; field: string; op: ComparisonOp; value: FilterValue };

/** A column of a space-delimited pattern (`name` is `...` for the any-columns ellipsis). */
export interface SpaceColumn {
  name: string;
  condition: SpaceExpr | null;
}

/** The parsed form of a filter pattern. */
export type MetricFilterAst =
  | { kind: 'all' }
  | { kind: 'terms'; groups: TermGroup[] }
  | { kind: 'json'; expr: JsonExpr }
  | { kind: 'space'; columns: SpaceColumn[] };

/** CloudWatch quota: at most 2 regexes in one JSON or space-delimited pattern. */
export const MAX_REGEX_PER_PATTERN = 2;

// ---------------------------------------------------------------------------------------------
// Errors and positions

function position(src: string, index: number): string {
  if (!src.includes('\n')) return `column ${index + 1}`;
  const before = src.slice(0, index);
  const line = before.split('\n').length;
  return `line ${line}, column ${index - before.lastIndexOf('\n')}`;
}

function fail(src: string, index: number, message: string): never {
  throw new AitrailError('RULE_PARSE', `${position(src, index)}: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Tokenizer (JSON and space-delimited patterns)

type TokKind =
  | 'lbrace' | 'rbrace' | 'lparen' | 'rparen' | 'lbracket' | 'rbracket' | 'comma'
  | 'and' | 'or' | 'op' | 'selector' | 'string' | 'word' | 'regex' | 'eof';

interface Token {
  kind: TokKind;
  /** Decoded text: the string without quotes/escapes, the regex body, the operator, the word. */
  text: string;
  /** Source text as written (for messages). */
  raw: string;
  index: number;
}

const PUNCT: Record<string, TokKind> = {
  '{': 'lbrace', '}': 'rbrace', '(': 'lparen', ')': 'rparen', '[': 'lbracket', ']': 'rbracket', ',': 'comma',
};

// Characters that end an unquoted value. Anything else (letters, digits, `.`, `*`, `-`, `:`, `/`, …)
// may appear in a bare word, because CIS writes `kms.amazonaws.com` and the docs `123.123.*` unquoted.
const WORD_STOP = new Set([...' \t\r\n{}()[],&|=!<>"%']);

const NAME_CHAR = /[A-Za-z0-9_-]/;

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

/**
 * Reads a double-quoted string starting at `start` (the opening quote). `\"` and `\\` are the
 * escapes the AWS CDK emits; any other backslash is kept literally (`"C:\temp"` stays as typed),
 * because the docs define no other escape. `*` is always a wildcard, even after a backslash.
 */
function readQuoted(src: string, start: number): { text: string; end: number } {
  let text = '';
  let i = start + 1;
  while (i < src.length) {
    const c = src[i];
    if (c === '"') return { text, end: i + 1 };
    if (c === '\\' && (src[i + 1] === '"' || src[i + 1] === '\\')) {
      text += src[i + 1];
      i += 2;
      continue;
    }
    text += c;
    i++;
  }
  return fail(src, start, 'unterminated string: missing the closing \'"\'');
}

const REGEX_SYMBOLS = new Set([...':_#=@/;,-', ...'^$?[]{}|\\*+.', ' ']);

/**
 * Reads `%regex%` starting at `start` and checks it against the documented character set:
 * alphanumerics, `: _ # = @ / ; , -` and the operators `^ $ ? [ ] { } | \ * + .`. Spaces are also
 * accepted: the AWS CDK's own example `regexValue('$.message', '=', 'bind: address already in use')`
 * contains them. `(`, `)` and multibyte characters are rejected as the docs require.
 */
function readRegex(src: string, start: number): { source: string; end: number } {
  const close = src.indexOf('%', start + 1);
  if (close < 0) fail(src, start, "unterminated regex: missing the closing '%'");
  const source = src.slice(start + 1, close);
  if (source.length === 0) fail(src, start, "empty regex '%%'");
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    const at = start + 1 + i;
    if (c === '(' || c === ')') {
      fail(src, at, `'${c}' is not supported in a regex: CloudWatch does not allow parentheses (no groups)`);
    }
    const code = c.charCodeAt(0);
    if (code > 0x7f) {
      const char = String.fromCodePoint(source.codePointAt(i) ?? code);
      fail(src, at, `multibyte character '${char}' is not supported in a regex`);
    }
    if (!/[A-Za-z0-9]/.test(c) && !REGEX_SYMBOLS.has(c)) {
      const allowed = "letters, digits, space, ': _ # = @ / ; , -' and '^ $ ? [ ] { } | \\ * + .'";
      fail(src, at, `character '${c}' is not allowed in a regex (allowed: ${allowed})`);
    }
  }
  try {
    new RegExp(source);
  } catch (e) {
    fail(src, start, `invalid regex %${source}%: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
  return { source, end: close + 1 };
}

function tokenize(src: string, from: number, json: boolean): Token[] {
  const out: Token[] = [];
  let i = from;
  while (i < src.length) {
    const c = src[i];
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    const punct = PUNCT[c];
    if (punct) {
      out.push({ kind: punct, text: c, raw: c, index: i });
      i++;
    } else if (c === '&' || c === '|') {
      if (src[i + 1] !== c) fail(src, i, `expected '${c}${c}', found a single '${c}'`);
      out.push({ kind: c === '&' ? 'and' : 'or', text: c + c, raw: c + c, index: i });
      i += 2;
    } else if (c === '=') {
      if (src[i + 1] === '=') fail(src, i, "'==' is not an operator: use '='");
      out.push({ kind: 'op', text: '=', raw: '=', index: i });
      i++;
    } else if (c === '!') {
      if (src[i + 1] !== '=') fail(src, i, "expected '!=', found '!'");
      out.push({ kind: 'op', text: '!=', raw: '!=', index: i });
      i += 2;
    } else if (c === '<' || c === '>') {
      const op = src[i + 1] === '=' ? c + '=' : c;
      out.push({ kind: 'op', text: op, raw: op, index: i });
      i += op.length;
    } else if (c === '"') {
      const q = readQuoted(src, i);
      const after = src[q.end];
      if (after !== undefined && !WORD_STOP.has(after)) {
        fail(src, q.end, `unexpected '${after}' right after the quoted value ${src.slice(i, q.end)}: quote the whole value`);
      }
      out.push({ kind: 'string', text: q.text, raw: src.slice(i, q.end), index: i });
      i = q.end;
    } else if (c === '%') {
      const r = readRegex(src, i);
      out.push({ kind: 'regex', text: r.source, raw: src.slice(i, r.end), index: i });
      i = r.end;
    } else if (c === '$' && json) {
      i = readSelector(src, i);
      out.push({ kind: 'selector', text: src.slice(start, i), raw: src.slice(start, i), index: start });
    } else {
      while (i < src.length && !WORD_STOP.has(src[i])) i++;
      const word = src.slice(start, i);
      if (src[i] === '"') {
        // Catches half-quoted values such as `AcceptHandshake")` (a typo in the CIS v6 text).
        fail(src, i, `unexpected '"' right after ${word}: a value is either fully quoted ("...") or not quoted at all`);
      }
      out.push({ kind: 'word', text: word, raw: word, index: start });
    }
  }
  out.push({ kind: 'eof', text: '', raw: '', index: src.length });
  return out;
}

/** Scans `$.name(.name|[n])*`; returns the index after the selector. */
function readSelector(src: string, start: number): number {
  let i = start + 1;
  let steps = 0;
  for (;;) {
    if (src[i] === '.') {
      const nameStart = ++i;
      while (i < src.length && NAME_CHAR.test(src[i])) i++;
      if (i === nameStart) {
        fail(src, i, `expected a property name (letters, digits, '-', '_') after '.', found ${describeChar(src, i)}`);
      }
      steps++;
    } else if (src[i] === '[' && steps > 0) {
      const open = i++;
      const digits = i;
      while (i < src.length && src[i] >= '0' && src[i] <= '9') i++;
      if (i === digits || src[i] !== ']') fail(src, open, 'expected an array index such as [0] in the selector');
      i++;
      steps++;
    } else {
      break;
    }
  }
  if (steps === 0) {
    fail(src, start, `expected '.' and a property name after '$' (as in $.eventName), found ${describeChar(src, i)}`);
  }
  return i;
}

function describeChar(src: string, i: number): string {
  return i >= src.length ? 'end of pattern' : `'${src[i]}'`;
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of pattern';
  const raw = t.raw.length > 40 ? t.raw.slice(0, 37) + '...' : t.raw;
  return `'${raw}'`;
}

// ---------------------------------------------------------------------------------------------
// Values

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * An unquoted word is a number when it reads as one (`400`, `-1.5`, `1e-3`), otherwise a string
 * (`CreateTrail`, `kms.amazonaws.com`, `123.123.*`, `*`). A quoted value is always a string.
 */
function valueOf(t: Token): FilterValue {
  if (t.kind === 'word' && NUMBER.test(t.text)) {
    const value = Number(t.text);
    if (Number.isFinite(value)) return { kind: 'number', text: t.text, value };
  }
  if (t.kind === 'regex') return { kind: 'regex', source: t.text };
  return { kind: 'string', text: t.text };
}

// ---------------------------------------------------------------------------------------------
// Parser

class Parser {
  private pos = 0;
  private regexCount = 0;
  constructor(
    private readonly src: string,
    private readonly toks: Token[],
  ) {}

  private peek(): Token {
    return this.toks[this.pos];
  }

  private take(): Token {
    return this.toks[this.pos++];
  }

  private expect(kind: TokKind, what: string): Token {
    const t = this.peek();
    if (t.kind !== kind) fail(this.src, t.index, `expected ${what}, found ${describe(t)}`);
    return this.take();
  }

  parseJson(): MetricFilterAst {
    this.expect('lbrace', "'{'");
    if (this.peek().kind === 'rbrace') fail(this.src, this.peek().index, "expected a condition inside '{ }', found '}'");
    const expr = this.jsonOr();
    const t = this.peek();
    if (t.kind !== 'rbrace') {
      const hint = t.kind === 'rparen' ? " (unbalanced ')')" : '';
      fail(this.src, t.index, `expected '&&', '||' or the closing '}', found ${describe(t)}${hint}`);
    }
    this.take();
    const rest = this.peek();
    if (rest.kind !== 'eof') fail(this.src, rest.index, `unexpected ${describe(rest)} after the closing '}'`);
    return { kind: 'json', expr };
  }

  // Precedence is `()` > `&&` > `||`, so `A || B && C` reads as `A || (B && C)` (CIS 4.1 v3 relies on it).
  private jsonOr(): JsonExpr {
    const children = [this.jsonAnd()];
    while (this.peek().kind === 'or') {
      this.take();
      children.push(this.jsonAnd());
    }
    return nary('or', children);
  }

  private jsonAnd(): JsonExpr {
    const children = [this.jsonPrimary()];
    while (this.peek().kind === 'and') {
      this.take();
      children.push(this.jsonPrimary());
    }
    return nary('and', children);
  }

  private jsonPrimary(): JsonExpr {
    const t = this.peek();
    if (t.kind === 'lparen') {
      this.take();
      if (this.peek().kind === 'rparen') fail(this.src, this.peek().index, "expected a condition inside '( )', found ')'");
      const inner = this.jsonOr();
      const close = this.peek();
      if (close.kind !== 'rparen') {
        fail(this.src, close.index, `expected ')' to close the '(' at ${position(this.src, t.index)}, found ${describe(close)}`);
      }
      this.take();
      return inner;
    }
    if (t.kind === 'selector') return this.jsonCondition();
    if (t.kind === 'word') {
      const example = /^[A-Za-z0-9_-]+$/.test(t.text) ? t.text : 'eventName';
      fail(this.src, t.index, `expected a selector starting with '$.' (such as $.${example}), found ${describe(t)}`);
    }
    return fail(this.src, t.index, `expected a condition such as $.eventName = "ConsoleLogin" or '(', found ${describe(t)}`);
  }

  private jsonCondition(): JsonExpr {
    const sel = this.take();
    const selector = sel.text;
    const path = [...parsePath(selector)];
    const t = this.peek();
    if (t.kind === 'op') {
      this.take();
      const op = t.text as ComparisonOp;
      return { type: 'compare', selector, path, op, value: this.value(op) };
    }
    if (t.kind === 'word') {
      const kw = t.text.toUpperCase();
      if (kw === 'IS') {
        this.take();
        const what = this.peek();
        const w = what.kind === 'word' ? what.text.toUpperCase() : '';
        if (w === 'NULL' || w === 'TRUE' || w === 'FALSE') {
          this.take();
          return { type: 'is', selector, path, test: w };
        }
        if (w === 'NOT') fail(this.src, what.index, "'IS NOT' is not supported by CloudWatch: use IS NULL, IS TRUE or IS FALSE");
        return fail(this.src, what.index, `expected NULL, TRUE or FALSE after IS, found ${describe(what)}`);
      }
      if (kw === 'NOT') {
        this.take();
        const what = this.peek();
        if (what.kind === 'word' && what.text.toUpperCase() === 'EXISTS') {
          this.take();
          return { type: 'notExists', selector, path };
        }
        return fail(this.src, what.index, `expected EXISTS after NOT, found ${describe(what)}`);
      }
      if (kw === 'EXISTS') {
        fail(this.src, t.index, `'EXISTS' is not supported by CloudWatch: use ${selector} = "*" to require the field, or NOT EXISTS`);
      }
    }
    const ops = '=, !=, <, >, <=, >=, IS NULL, IS TRUE, IS FALSE or NOT EXISTS';
    return fail(this.src, t.index, `expected an operator (${ops}) after ${selector}, found ${describe(t)}`);
  }

  /** The value after `op`; ordering operators need a number, regexes only take `=` and `!=`. */
  private value(op: ComparisonOp): FilterValue {
    const t = this.peek();
    if (t.kind !== 'string' && t.kind !== 'word' && t.kind !== 'regex') {
      fail(this.src, t.index, `expected a value after '${op}', found ${describe(t)}`);
    }
    this.take();
    const value = valueOf(t);
    if (value.kind === 'regex') {
      if (op !== '=' && op !== '!=') fail(this.src, t.index, `a regex can only be compared with '=' or '!=', not '${op}'`);
      if (++this.regexCount > MAX_REGEX_PER_PATTERN) {
        fail(this.src, t.index, `a filter pattern may contain at most ${MAX_REGEX_PER_PATTERN} regular expressions (CloudWatch quota)`);
      }
    } else if (value.kind === 'string' && op !== '=' && op !== '!=') {
      fail(this.src, t.index, `operator '${op}' compares numbers, found ${describe(t)}`);
    }
    return value;
  }

  parseSpace(): MetricFilterAst {
    this.expect('lbracket', "'['");
    const columns: SpaceColumn[] = [this.spaceColumn()];
    while (this.peek().kind === 'comma') {
      this.take();
      columns.push(this.spaceColumn());
    }
    const t = this.peek();
    if (t.kind !== 'rbracket') fail(this.src, t.index, `expected ',' or the closing ']', found ${describe(t)}`);
    this.take();
    const rest = this.peek();
    if (rest.kind !== 'eof') fail(this.src, rest.index, `unexpected ${describe(rest)} after the closing ']'`);
    return { kind: 'space', columns };
  }

  private spaceColumn(): SpaceColumn {
    const t = this.peek();
    if (t.kind !== 'word') fail(this.src, t.index, `expected a column name, found ${describe(t)}`);
    if (this.toks[this.pos + 1].kind !== 'op') {
      this.take();
      return { name: t.text, condition: null };
    }
    if (t.text === '...') fail(this.src, t.index, "'...' stands for any columns and takes no condition");
    return { name: t.text, condition: this.spaceOr() };
  }

  private spaceOr(): SpaceExpr {
    const children = [this.spaceAnd()];
    while (this.peek().kind === 'or') {
      this.take();
      children.push(this.spaceAnd());
    }
    return nary('or', children);
  }

  private spaceAnd(): SpaceExpr {
    const children = [this.spaceCompare()];
    while (this.peek().kind === 'and') {
      this.take();
      children.push(this.spaceCompare());
    }
    return nary('and', children);
  }

  private spaceCompare(): SpaceExpr {
    const name = this.expect('word', 'a column name');
    const op = this.peek();
    if (op.kind !== 'op') fail(this.src, op.index, `expected an operator after ${name.text}, found ${describe(op)}`);
    this.take();
    return { type: 'compare', field: name.text, op: op.text as ComparisonOp, value: this.value(op.text as ComparisonOp) };
  }
}

function nary<T extends { type: string }>(type: 'and' | 'or', children: T[]): T {
  if (children.length === 1) return children[0];
  const flat: T[] = [];
  for (const c of children) {
    if (c.type === type) flat.push(...(c as unknown as { children: T[] }).children);
    else flat.push(c);
  }
  return { type, children: flat } as unknown as T;
}

// ---------------------------------------------------------------------------------------------
// Unstructured term patterns

function parseTerms(src: string): MetricFilterAst {
  const groups: TermGroup[] = [];
  let current: TermGroup | null = null;
  let i = 0;
  while (i < src.length) {
    if (isSpace(src[i])) {
      i++;
      continue;
    }
    const start = i;
    let optional = false;
    let exclude = false;
    if (src[i] === '?') {
      optional = true;
      i++;
    }
    // `?-TERM` starts an alternative whose first term is an exclusion.
    if (src[i] === '-') {
      exclude = true;
      i++;
    }
    if (i >= src.length || isSpace(src[i])) fail(src, start, `expected a term after '${src.slice(start, i)}'`);
    if (src[i] === '?' || (src[i] === '-' && exclude)) {
      fail(src, i, `unexpected '${src[i]}' after '${src.slice(start, i)}': write ?TERM, -TERM or ?-TERM, or quote the term`);
    }
    let term: Term;
    if (src[i] === '"') {
      const q = readQuoted(src, i);
      if (q.end < src.length && !isSpace(src[q.end])) {
        fail(src, q.end, `unexpected '${src[q.end]}' right after the quoted phrase: separate terms with spaces`);
      }
      term = { text: q.text, regex: false, exclude };
      i = q.end;
    } else if (src[i] === '%') {
      const r = readRegex(src, i);
      term = { text: r.source, regex: true, exclude };
      i = r.end;
    } else {
      const wordStart = i;
      while (i < src.length && !isSpace(src[i])) i++;
      const word = src.slice(wordStart, i);
      if (word.includes('"')) fail(src, wordStart + word.indexOf('"'), `unexpected '"' inside the term ${word}: quote the whole phrase`);
      term = { text: word, regex: false, exclude };
    }
    if (optional || current === null) {
      current = { terms: [] };
      groups.push(current);
    }
    current.terms.push(term);
  }
  // `""`, `" "` and an empty pattern all mean "every event" (CloudWatch docs; CDK allEvents()).
  if (groups.length === 0) return { kind: 'all' };
  if (groups.length === 1 && groups[0].terms.length === 1) {
    const only = groups[0].terms[0];
    if (!only.regex && !only.exclude && only.text.trim() === '') return { kind: 'all' };
  }
  return { kind: 'terms', groups };
}

// ---------------------------------------------------------------------------------------------

/**
 * Parses a CloudWatch Logs filter pattern into its AST; throws `AitrailError('RULE_PARSE')` with
 * the column and what was expected/found.
 */
export function parsePattern(pattern: string): MetricFilterAst {
  let start = 0;
  while (start < pattern.length && isSpace(pattern[start])) start++;
  const first = pattern[start];
  if (first === '{') return new Parser(pattern, tokenize(pattern, start, true)).parseJson();
  if (first === '[') return new Parser(pattern, tokenize(pattern, start, false)).parseSpace();
  return parseTerms(pattern);
}
