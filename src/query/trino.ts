/**
 * Trino (Athena) calls that no macro can stand for, rewritten in a parsed statement (DuckDB's
 * json_serialize_sql tree) into DuckDB's own:
 * - `date_parse(s, 'MySQL format')` → `strptime(s, 'C format')`;
 * - `parse_datetime(s, 'Joda pattern')` → `strptime(s, …)`, `format_datetime(t, 'Joda pattern')`
 *   → `strftime(t, …)`;
 * - `transform(a, x -> …)` → `list_transform`, `filter` is DuckDB's own;
 * - `any_match`, `all_match`, `none_match(a, x -> …)` → a count of `list_filter`'s result;
 * - `zip_with(a, b, (x, y) -> …)` → `list_transform` over the positions of the longer list (the
 *   shorter one reads NULL past its end, as Trino pads it);
 * - `map_filter`, `transform_keys`, `transform_values(m, (k, v) -> …)` → the same over
 *   `map_entries(m)`, made a map again with `map_from_entries`;
 * - `reduce(a, initial, (s, x) -> …, s -> …)` (Trino's four arguments; DuckDB's own `reduce` takes
 *   two) → `list_reduce` over structs that carry the state beside each element, since DuckDB's
 *   state must have the elements' type, then the output function.
 * In a statement over the Athena or Lake table (Trino's SQL), functions DuckDB has under Trino's
 * name with another meaning are read as Trino's: `/` of integers, `regexp_replace`, `date_diff`,
 * `format`, `concat`, `greatest`, `least`, `array_position`, `array_distinct`, `to_hex` of a hash
 * (see trinoMeaning).
 * The parameters of a Trino lambda are replaced in its body by what they stand for there.
 * DuckDB reads a parsing format only as a constant and a macro cannot take a lambda, hence a
 * rewrite of the tree, not of the query's text. A format that is not a string literal is left as
 * written (DuckDB then names the function as unknown). Pure: the caller obtains the tree.
 */
import { AitrailError } from '../model/errors.js';

/** Names of the functions rewritten here (lower case). */
const TRINO_REWRITTEN = [
  'date_parse', 'parse_datetime', 'format_datetime', 'transform', 'any_match', 'all_match', 'none_match',
  'zip_with', 'map_filter', 'transform_keys', 'transform_values', 'reduce',
];
/**
 * Functions (and `/`) that DuckDB has under Trino's name with another meaning: read as Trino reads
 * them in a statement over the Athena or Lake table (rewriteTrinoCalls' `trino`), DuckDB's own elsewhere.
 */
const TRINO_MEANING = ['regexp_replace', 'date_diff', 'format', 'concat', 'greatest', 'least', 'array_position', 'array_distinct', 'to_hex'];
/** Hashes whose bytes DuckDB gives as hex text (Trino: varbinary). */
const HASHES = new Set(['md5', 'sha1', 'sha256', 'sha512']);
const MAY_CALL = new RegExp(`\\b(${[...TRINO_REWRITTEN, ...TRINO_MEANING].join('|')})\\s*\\(|/`, 'i');

/** Whether a query's text may call one of them (a cheap test before asking for the tree). */
export function mayNeedTrinoRewrite(sql: string): boolean {
  return MAY_CALL.test(sql);
}

/** The tables whose queries are written in Trino's SQL: Athena's and CloudTrail Lake's. */
const TRINO_TABLES = new Set(['cloudtrail_logs', 'cloudtrail_lake']);

/** Whether a parsed statement reads one of those tables. */
export function readsTrinoTable(tree: unknown): boolean {
  if (Array.isArray(tree)) return tree.some(readsTrinoTable);
  if (!tree || typeof tree !== 'object') return false;
  const o = tree as Record<string, unknown>;
  if (o.type === 'BASE_TABLE' && TRINO_TABLES.has(String(o.table_name).toLowerCase())) return true;
  return Object.values(o).some(readsTrinoTable);
}

/**
 * A Java format (Trino's `format`: `%s`, `%5.2f`, `%,d`…) as printf's, and how each argument must
 * be passed to it: `%s` takes any value as its text (`null` for NULL, as Java writes it), `%f`,
 * `%e`, `%g` any number. Java's `%n` is a line feed. Forms printf has not (argument positions,
 * `%b`, `%h`, dates, the `,` and `(` flags) are refused with the form named.
 */
export function javaFormatToPrintf(format: string): { printf: string; args: ('text' | 'upper' | 'number' | 'as-is')[] } {
  const args: ('text' | 'upper' | 'number' | 'as-is')[] = [];
  const printf = format.replace(/%([^a-zA-Z%]*)([a-zA-Z%])/g, (all: string, spec: string, conv: string) => {
    const refuse = () => {
      throw new AitrailError('QUERY_INVALID', `format: ${all} is not supported here (supported: %s %S %d %o %x %X %e %E %f %g %G %c %% %n, with the flags - + 0 # and space, a width and a precision)`);
    };
    if (!/^[-+ 0#]*\d*(\.\d+)?$/.test(spec)) refuse();
    if (conv === '%') return spec ? refuse() : '%%';
    if (conv === 'n') return spec ? refuse() : '\n';
    if (conv === 's' || conv === 'S') args.push(conv === 'S' ? 'upper' : 'text');
    else if ('eEfgG'.includes(conv)) args.push('number');
    else if ('doxXc'.includes(conv)) args.push('as-is');
    else refuse();
    return `%${spec}${conv === 'S' ? 's' : conv}`;
  });
  return { printf, args };
}

/** MySQL's format letters (Trino's date_parse and date_format) in C's, for parsing. */
const MYSQL_LETTERS: Record<string, string> = {
  a: '%a', b: '%b', c: '%m', d: '%d', e: '%d', f: '%f', H: '%H', h: '%I', I: '%I', i: '%M', j: '%j', k: '%H', l: '%I',
  M: '%B', m: '%m', p: '%p', r: '%I:%M:%S %p', S: '%S', s: '%S', T: '%H:%M:%S', W: '%A', w: '%w', Y: '%Y', y: '%y', '%': '%%',
};

/** A MySQL format (`%Y-%m-%d %H:%i:%s`) as strptime's (`%Y-%m-%d %H:%M:%S`). */
export function mysqlToStrptime(format: string): string {
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const letter = format[i + 1];
    const c = letter === undefined ? undefined : MYSQL_LETTERS[letter];
    if (c === undefined) {
      throw new AitrailError(
        'QUERY_INVALID',
        letter === undefined
          ? `date_parse: the format ${JSON.stringify(format)} ends with a lone %`
          : `date_parse: the format letter %${letter} is not supported (supported: ${Object.keys(MYSQL_LETTERS).map((l) => '%' + l).join(' ')})`,
      );
    }
    out += c;
    i++;
  }
  return out;
}

/**
 * A Joda pattern (Trino's parse_datetime and format_datetime: `yyyy-MM-dd HH:mm:ss.SSS`) as a C
 * format. `parse`: for strptime (which reads a number of one or two digits with `%m` alike);
 * otherwise for strftime, where a single letter means no padding.
 */
export function jodaToC(pattern: string, fn: string, parse: boolean): string {
  const pad = (c: string, n: number) => (n >= 2 || parse ? `%${c}` : `%-${c}`);
  const letters: Record<string, (n: number) => string> = {
    y: (n) => (n === 2 ? '%y' : '%Y'),
    Y: (n) => (n === 2 ? '%y' : '%Y'),
    M: (n) => (n >= 4 ? '%B' : n === 3 ? '%b' : pad('m', n)),
    d: (n) => pad('d', n),
    H: (n) => pad('H', n),
    h: (n) => pad('I', n),
    m: (n) => pad('M', n),
    s: (n) => pad('S', n),
    S: (n) => (n <= 3 ? '%g' : n <= 6 ? '%f' : '%n'),
    a: () => '%p',
    E: (n) => (n >= 4 ? '%A' : '%a'),
    D: (n) => (n >= 3 || parse ? '%j' : '%-j'),
    e: () => '%u',
    Z: () => '%z',
    z: () => '%Z',
  };
  let out = '';
  for (let i = 0; i < pattern.length; ) {
    const ch = pattern[i]!;
    if (ch === "'") {
      // Quoted text, '' being one quote (inside quotes or out).
      if (pattern[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      let j = i + 1;
      for (; j < pattern.length; j++) {
        if (pattern[j] === "'" && pattern[j + 1] === "'") {
          out += "'";
          j++;
        } else if (pattern[j] === "'") break;
        else out += pattern[j] === '%' ? '%%' : pattern[j];
      }
      if (j >= pattern.length) throw new AitrailError('QUERY_INVALID', `${fn}: the pattern ${JSON.stringify(pattern)} has an unclosed quote`);
      i = j + 1;
      continue;
    }
    if (/[A-Za-z]/.test(ch)) {
      let n = 1;
      while (pattern[i + n] === ch) n++;
      const to = letters[ch];
      if (!to) {
        throw new AitrailError('QUERY_INVALID', `${fn}: the pattern letter ${ch} is not supported (supported: ${Object.keys(letters).join(' ')}, and quoted text)`);
      }
      out += to(n);
      i += n;
      continue;
    }
    out += ch === '%' ? '%%' : ch;
    i++;
  }
  return out;
}

type Node = Record<string, unknown>;

/**
 * A copy of a tree in which each node, its children done first, is offered to `visit` (told
 * whether it is an item of a select list, and its place in its list), whose result stands in its
 * place. A node without a place in the text holds 2^64-1 there, which JavaScript's numbers
 * cannot carry back to DuckDB; the place is optional, so such values are left out.
 */
function mapTree(tree: unknown, visit: (n: Node, inSelect: boolean, position: number) => Node | undefined): unknown {
  const walk = (n: unknown, inSelect: boolean, position = -1): unknown => {
    if (Array.isArray(n)) return n.map((x, i) => walk(x, inSelect, i));
    if (!n || typeof n !== 'object') return n;
    const entries = Object.entries(n as Node).filter(([k, v]) => k !== 'query_location' || Number.isSafeInteger(v));
    const o = Object.fromEntries(entries.map(([k, v]) => [k, walk(v, k === 'select_list')])) as Node;
    return visit(o, inSelect, position) ?? o;
  };
  return walk(tree, false);
}

/** A string literal's value, or undefined. */
function stringConstant(n: unknown): string | undefined {
  if (!n || typeof n !== 'object') return undefined;
  const o = n as { class?: string; value?: { type?: { id?: string }; is_null?: boolean; value?: unknown } };
  if (o.class !== 'CONSTANT' || o.value?.is_null || o.value?.type?.id !== 'VARCHAR' || typeof o.value.value !== 'string') return undefined;
  return o.value.value;
}

function withString(n: Node, value: string): Node {
  const v = n.value as Node;
  return { ...n, value: { ...v, value } };
}

/** A call of `name` with `children`, at the place of `like` in the text. */
function call(like: Node, name: string, children: unknown[], extra: Node = {}): Node {
  return {
    class: 'FUNCTION', type: 'FUNCTION', alias: '', ...(Number.isSafeInteger(like.query_location) ? { query_location: like.query_location } : {}),
    function_name: name, schema: '', children, filter: null, order_bys: { type: 'ORDER_MODIFIER', orders: [] }, distinct: false,
    is_operator: false, export_state: false, catalog: '', ...extra,
  };
}

function constant(like: Node, value: number): Node {
  return { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', ...(Number.isSafeInteger(like.query_location) ? { query_location: like.query_location } : {}), value: { type: { id: 'BIGINT', type_info: null }, is_null: false, value } };
}

/** `a, x -> p` as a count comparison: any → len(list_filter(a, p)) > 0, and so on. */
function matchCall(n: Node, name: string, kids: unknown[]): Node {
  const filtered = call(n, 'list_filter', kids);
  const count = call(n, 'len', [filtered]);
  if (name === 'any_match') return call(n, '>', [count, constant(n, 0)], { is_operator: true });
  if (name === 'none_match') return call(n, '=', [count, constant(n, 0)], { is_operator: true });
  return call(n, '=', [count, call(n, 'len', [kids[0]])], { is_operator: true });
}

/** A call's replacement under the call's own alias (`AS x`), which the inner calls must not carry. */
function aliased(n: Node, r: Node): Node {
  return { ...r, alias: n.alias ?? '' };
}

/** A string literal. */
function text(value: string): Node {
  return { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', value: { type: { id: 'VARCHAR', type_info: null }, is_null: false, value } };
}

/** A reference to a column or lambda parameter named `name`. */
function ref(name: string): Node {
  return { class: 'COLUMN_REF', type: 'COLUMN_REF', alias: '', column_names: [name] };
}

const NULL: Node = { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', value: { type: { id: 'NULL', type_info: null }, is_null: true } };

/** `params -> body`, a lambda of one parameter or of several. */
function lambda(like: Node, params: string[], body: unknown): Node {
  const lhs = params.length === 1 ? ref(params[0]!) : call(like, 'row', params.map(ref), { schema: 'main' });
  return { class: 'LAMBDA', type: 'LAMBDA', alias: '', lhs, expr: body };
}

/** `struct_pack(name := value, …)`. */
function struct(like: Node, fields: [string, unknown][]): Node {
  return call(like, 'struct_pack', fields.map(([name, value]) => ({ ...(value as Node), alias: name })));
}

/** A lambda's parameter names and body, or undefined when `n` is not a lambda of plain names. */
function lambdaOf(n: unknown): { params: string[]; body: unknown } | undefined {
  const o = n as Node | undefined;
  if (!o || o.class !== 'LAMBDA') return undefined;
  const lhs = o.lhs as Node;
  const refs = lhs.class === 'COLUMN_REF' ? [lhs] : lhs.class === 'FUNCTION' && lhs.function_name === 'row' ? (lhs.children as Node[]) : [];
  const params = refs.map((r) => (r.class === 'COLUMN_REF' && Array.isArray(r.column_names) && r.column_names.length === 1 ? String(r.column_names[0]) : undefined));
  if (!params.length || params.some((p) => p === undefined)) return undefined;
  return { params: params as string[], body: o.expr };
}

/**
 * `n` with each reference to a bound name (case-insensitive, as DuckDB's names are) replaced by
 * what it stands for, a field of it (`x.name`) by that field; a lambda inside that takes the same
 * name as a parameter keeps its own.
 */
function substitute(n: unknown, bound: Map<string, Node>): unknown {
  if (Array.isArray(n)) return n.map((x) => substitute(x, bound));
  if (!n || typeof n !== 'object') return n;
  const o = n as Node;
  if (o.class === 'COLUMN_REF' && Array.isArray(o.column_names)) {
    const names = o.column_names as string[];
    const value = bound.get(String(names[0]).toLowerCase());
    if (!value) return o;
    const out = names.slice(1).reduce<Node>((v, field) => call(o, 'struct_extract', [v, text(field)]), value);
    return { ...out, alias: o.alias ?? '' };
  }
  const inner = o.class === 'LAMBDA' ? lambdaOf(o) : undefined;
  if (inner) {
    const rest = new Map(bound);
    for (const p of inner.params) rest.delete(p.toLowerCase());
    return { ...o, expr: substitute(o.expr, rest) };
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, substitute(v, bound)]));
}

/** A lambda's body with its parameters bound to `values`. */
function applied(lam: { params: string[]; body: unknown }, values: Node[]): unknown {
  return substitute(lam.body, new Map(lam.params.map((p, i) => [p.toLowerCase(), values[i]!])));
}

/** Names for the lambdas written here, which no query's own names should meet. */
const I = '__aitrail_i';
const E = '__aitrail_e';
const ACC = '__aitrail_acc';
const EL = '__aitrail_el';

/** Trino's calls that take lambdas DuckDB's functions take otherwise (see the module's comment). */
function rewriteLambdaCall(n: Node, name: string, kids: unknown[]): Node | undefined {
  const get = (v: Node, field: string) => call(n, 'struct_extract', [v, text(field)]);
  if (name === 'zip_with') {
    const lam = kids.length === 3 ? lambdaOf(kids[2]) : undefined;
    if (!lam || lam.params.length !== 2) return undefined;
    const [a, b] = kids as [Node, Node];
    const longest = call(n, 'greatest', [call(n, 'len', [a]), call(n, 'len', [b])]);
    const positions = call(n, 'range', [constant(n, 1), call(n, '+', [longest, constant(n, 1)], { is_operator: true })]);
    const body = applied(lam, [call(n, 'list_extract', [a, ref(I)]), call(n, 'list_extract', [b, ref(I)])]);
    return call(n, 'list_transform', [positions, lambda(n, [I], body)]);
  }
  if (name === 'map_filter' || name === 'transform_keys' || name === 'transform_values') {
    const lam = kids.length === 2 ? lambdaOf(kids[1]) : undefined;
    if (!lam || lam.params.length !== 2) return undefined;
    const key = get(ref(E), 'key');
    const value = get(ref(E), 'value');
    const body = applied(lam, [key, value]);
    const entries = call(n, 'map_entries', [kids[0]]);
    const each =
      name === 'map_filter'
        ? call(n, 'list_filter', [entries, lambda(n, [E], body)])
        : call(n, 'list_transform', [entries, lambda(n, [E], struct(n, name === 'transform_keys' ? [['key', body], ['value', value]] : [['key', key], ['value', body]]))]);
    return call(n, 'map_from_entries', [each]);
  }
  if (name === 'reduce') {
    const step = kids.length === 4 ? lambdaOf(kids[2]) : undefined;
    const output = kids.length === 4 ? lambdaOf(kids[3]) : undefined;
    if (!step || !output || step.params.length !== 2 || output.params.length !== 1) return undefined;
    const [a, initial] = kids as [Node, Node];
    // Each element beside a state of the initial value's type, which list_reduce then carries.
    const items = call(n, 'list_transform', [a, lambda(n, [E], struct(n, [['s', initial], ['x', ref(E)]]))]);
    const next = lambda(n, [ACC, EL], struct(n, [['s', applied(step, [get(ref(ACC), 's'), get(ref(EL), 'x')])], ['x', get(ref(EL), 'x')]]));
    const folded = get(call(n, 'list_reduce', [items, next, struct(n, [['s', initial], ['x', NULL]])]), 's');
    return applied(output, [folded]) as Node;
  }
  return undefined;
}

/** `CASE WHEN x1 IS NULL OR … THEN NULL ELSE otherwise END`: NULL when any of `xs` is. */
function nullIfAnyNull(xs: unknown[], otherwise: unknown): Node {
  const isNull = (x: unknown): Node => ({ class: 'OPERATOR', type: 'OPERATOR_IS_NULL', alias: '', children: [x] });
  const when = xs.length === 1 ? isNull(xs[0]) : { class: 'CONJUNCTION', type: 'CONJUNCTION_OR', alias: '', children: xs.map(isNull) };
  return { class: 'CASE', type: 'CASE_EXPR', alias: '', case_checks: [{ when_expr: when, then_expr: NULL }], else_expr: otherwise };
}

/** `coalesce(a, b)`. */
function coalesce(a: unknown, b: unknown): Node {
  return { class: 'OPERATOR', type: 'OPERATOR_COALESCE', alias: '', children: [a, b] };
}

/** A cast of `n` to `type`. */
function cast(n: unknown, type: string): Node {
  return { class: 'CAST', type: 'OPERATOR_CAST', alias: '', child: n, cast_type: { id: type, type_info: null }, try_cast: false };
}

/**
 * A call whose meaning in Trino differs from DuckDB's function of the same name, as Trino means
 * it (see TRINO_MEANING), or undefined.
 */
function trinoMeaning(n: Node, name: string, kids: unknown[]): Node | undefined {
  switch (name) {
    case '/':
      // Integers divide to an integer, truncated toward zero (trino_divide, a macro of each connection: store/db.ts).
      return n.is_operator && kids.length === 2 ? call(n, 'trino_divide', kids) : undefined;
    case 'regexp_replace': {
      // Every match is replaced (DuckDB's replaces the first), and the replacement refers to a
      // group as Java does, `$1` (RE2 writes `\1`); two arguments remove the matches.
      if (kids.length !== 2 && kids.length !== 3) return undefined;
      let replacement: unknown = kids.length === 2 ? text('') : kids[2];
      const r = stringConstant(replacement);
      if (r !== undefined) replacement = withString(replacement as Node, javaReplacementToRe2(r));
      else if ((replacement as Node).class === 'LAMBDA') return undefined;
      return call(n, 'regexp_replace', [kids[0], kids[1], replacement, text('g')]);
    }
    case 'date_diff':
      // Whole units between the two times (DuckDB's date_diff counts the unit's boundaries crossed).
      return kids.length === 3 ? { ...n, function_name: 'date_sub' } : undefined;
    case 'format': {
      const f = kids.length >= 1 ? stringConstant(kids[0]) : undefined;
      if (f === undefined) return undefined;
      const { printf, args } = javaFormatToPrintf(f);
      if (args.length !== kids.length - 1) {
        throw new AitrailError('QUERY_INVALID', `format: ${JSON.stringify(f)} takes ${args.length} argument${args.length === 1 ? '' : 's'}, not ${kids.length - 1}`);
      }
      const passed = kids.slice(1).map((k, i) => {
        const how = args[i];
        if (how === 'number') return cast(k, 'DOUBLE');
        if (how === 'as-is') return k;
        const asText = coalesce(cast(k, 'VARCHAR'), text('null'));
        return how === 'upper' ? call(n, 'upper', [asText]) : asText;
      });
      return call(n, 'printf', [withString(kids[0] as Node, printf), ...passed]);
    }
    case 'concat':
      // NULL if any argument is (DuckDB's concat leaves NULLs out): `||` throughout.
      return kids.length >= 2 ? (kids.slice(1).reduce((a, b) => call(n, '||', [a, b], { is_operator: true }), kids[0]) as Node) : undefined;
    case 'greatest':
    case 'least':
      // NULL if any argument is (DuckDB's leave NULLs out).
      return kids.length >= 2 ? nullIfAnyNull(kids, { ...n, alias: '' }) : undefined;
    case 'to_hex': {
      // A hash's bytes in hex capitals: DuckDB's hash is that hex text already (in small letters),
      // and to_hex of text would encode the text's own bytes.
      const inner = kids.length === 1 ? (kids[0] as Node) : undefined;
      const isHash = inner?.class === 'FUNCTION' && typeof inner.function_name === 'string' && HASHES.has(inner.function_name.toLowerCase());
      return isHash ? call(n, 'upper', [inner]) : undefined;
    }
    case 'array_distinct':
      // The order of first occurrence, and one NULL (the store's trino_array_distinct macro).
      return kids.length === 1 ? { ...n, function_name: 'trino_array_distinct' } : undefined;
    case 'array_position':
      // 0 for a value not in the array (DuckDB's gives NULL); NULL for no array.
      return kids.length === 2 ? nullIfAnyNull([kids[0]], coalesce(call(n, 'list_position', kids), constant(n, 0))) : undefined;
  }
  return undefined;
}

/** A Java replacement (`$1`, `\$` for a dollar) as RE2's (`\1`, a backslash doubled). */
export function javaReplacementToRe2(r: string): string {
  let out = '';
  for (let i = 0; i < r.length; i++) {
    const ch = r[i]!;
    if (ch === '\\' && i + 1 < r.length) {
      const next = r[++i]!;
      out += next === '\\' ? '\\\\' : next;
    } else if (ch === '$' && /[0-9]/.test(r[i + 1] ?? '')) {
      out += '\\' + r[++i];
    } else if (ch === '\\') {
      out += '\\\\';
    } else out += ch;
  }
  return out;
}

/**
 * One call rewritten, or undefined when it is not one of ours (or its format is not a literal).
 * `trino`: the statement reads a Trino table, so functions of DuckDB's that Trino means otherwise
 * are read as Trino's.
 */
function rewriteCall(n: Node, trino: boolean): Node | undefined {
  if (n.class !== 'FUNCTION' || typeof n.function_name !== 'string') return undefined;
  const name = n.function_name.toLowerCase();
  const kids = Array.isArray(n.children) ? (n.children as unknown[]) : [];
  if (n.schema && n.schema !== '') return undefined;
  if (trino) {
    const r = trinoMeaning(n, name, kids);
    if (r) return aliased(n, r);
  }
  switch (name) {
    case 'date_parse':
    case 'parse_datetime':
    case 'format_datetime': {
      const fmt = kids.length === 2 ? stringConstant(kids[1]) : undefined;
      if (fmt === undefined) return undefined;
      const c = name === 'date_parse' ? mysqlToStrptime(fmt) : jodaToC(fmt, name, name === 'parse_datetime');
      return { ...n, function_name: name === 'format_datetime' ? 'strftime' : 'strptime', children: [kids[0], withString(kids[1] as Node, c)] };
    }
    case 'transform':
      return kids.length === 2 ? { ...n, function_name: 'list_transform' } : undefined;
    case 'any_match':
    case 'all_match':
    case 'none_match':
      return kids.length === 2 ? aliased(n, matchCall(n, name, kids)) : undefined;
    case 'zip_with':
    case 'map_filter':
    case 'transform_keys':
    case 'transform_values':
    case 'reduce': {
      const r = rewriteLambdaCall(n, name, kids);
      return r ? aliased(n, r) : undefined;
    }
  }
  return undefined;
}

/**
 * The tree with every such call rewritten (a new tree; the input is not changed), and the names
 * of the functions rewritten (empty: nothing to do). Throws AitrailError('QUERY_INVALID') for a
 * format letter that has no counterpart.
 */
export function rewriteTrinoCalls(tree: unknown, trino = readsTrinoTable(tree)): { tree: unknown; rewritten: string[] } {
  // `trino`: also the functions DuckDB means otherwise (TRINO_MEANING), in a statement over a Trino table.
  const rewritten = new Set<string>();
  const out = mapTree(tree, (n, inSelect, position) => {
    const r = rewriteCall(n, trino);
    if (r) rewritten.add(String(n.function_name).toLowerCase());
    // An item of a select list without an alias is named as Athena names it (_col0, _col1, …):
    // DuckDB would name it after the expression it runs as, which the query never wrote.
    return r && inSelect && !r.alias ? { ...r, alias: `_col${position}` } : r;
  });
  return { tree: out, rewritten: [...rewritten] };
}

/**
 * Members of columns of JSON text (`requestParameters.bucketName`, `c.additionalEventData.x.y`)
 * rewritten as calls of the store's `json_member` macros (store/db.ts), which read JSON text and
 * maps alike and find a key whatever its case, as a struct's fields are found: the last member
 * as text, the ones before as JSON. `columns`: the names of such columns, lower case. A
 * reference without an alias of its own is named after its last member in a select list, as
 * Trino names a field.
 */
export function rewriteJsonMembers(tree: unknown, columns: readonly string[]): { tree: unknown; rewritten: string[] } {
  const rewritten = new Set<string>();
  const member = (n: Node, inSelect: boolean): Node | undefined => {
    if (n.class !== 'COLUMN_REF' || !Array.isArray(n.column_names)) return undefined;
    const names = n.column_names as string[];
    // The column itself, or qualified by its table (and schema).
    const at = names.findIndex((x, i) => i <= 2 && i < names.length - 1 && columns.includes(String(x).toLowerCase()));
    if (at < 0) return undefined;
    rewritten.add(names.slice(at).join('.'));
    let out: Node = { ...n, alias: '', column_names: names.slice(0, at + 1) };
    const members = names.slice(at + 1);
    members.forEach((m, i) => {
      out = call(n, i === members.length - 1 ? 'json_member' : 'json_member_json', [out, text(m)]);
    });
    return { ...out, alias: n.alias || (inSelect ? names[names.length - 1] : '') };
  };
  return { tree: mapTree(tree, member), rewritten: [...rewritten] };
}
