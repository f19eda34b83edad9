import { test } from 'node:test';
import assert from 'node:assert/strict';
import { javaFormatToPrintf, javaReplacementToRe2, jodaToC, mayNeedTrinoRewrite, mysqlToStrptime, readsTrinoTable, rewriteJsonMembers, rewriteTrinoCalls } from './trino.js';
import { isAitrailError } from '../model/errors.js';

const invalid = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => isAitrailError(e) && e.code === 'QUERY_INVALID' && re.test(e.message));

test('date_parse formats: MySQL letters become strptime\'s', () => {
  assert.equal(mysqlToStrptime('%Y-%m-%dT%H:%i:%sZ'), '%Y-%m-%dT%H:%M:%SZ');
  assert.equal(mysqlToStrptime('%c/%e/%y %l:%i %p'), '%m/%d/%y %I:%M %p');
  assert.equal(mysqlToStrptime('%d %M %Y %T'), '%d %B %Y %H:%M:%S');
  assert.equal(mysqlToStrptime('%W, %b %e %r'), '%A, %b %d %I:%M:%S %p');
  assert.equal(mysqlToStrptime('100%% at %k.%f'), '100%% at %H.%f');
  invalid(() => mysqlToStrptime('%Y week %U'), /format letter %U is not supported/);
  invalid(() => mysqlToStrptime('%Y%'), /ends with a lone %/);
});

test('Joda patterns: letters, counts, quoted text, and a percent sign kept literal', () => {
  // Parsing reads one or two digits alike; formatting pads only for two letters.
  assert.equal(jodaToC("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", 'parse_datetime', true), '%Y-%m-%dT%H:%M:%S.%gZ');
  assert.equal(jodaToC('d/M/yy H:m:s', 'parse_datetime', true), '%d/%m/%y %H:%M:%S');
  assert.equal(jodaToC('d/M/yy H:m:s', 'format_datetime', false), '%-d/%-m/%y %-H:%-M:%-S');
  assert.equal(jodaToC('EEE, MMM d yyyy h:mm a', 'format_datetime', false), '%a, %b %-d %Y %-I:%M %p');
  assert.equal(jodaToC('EEEE MMMM dd, DDD', 'format_datetime', false), '%A %B %d, %j');
  assert.equal(jodaToC("yyyy-MM-dd HH:mm:ss.SSSSSS Z", 'parse_datetime', true), '%Y-%m-%d %H:%M:%S.%f %z');
  assert.equal(jodaToC("HH 'o''clock' '100%'", 'format_datetime', false), "%H o'clock 100%%");
  assert.equal(jodaToC("''yyyy''", 'format_datetime', false), "'%Y'");
  invalid(() => jodaToC('xxxx-ww', 'parse_datetime', true), /parse_datetime: the pattern letter x is not supported/);
  invalid(() => jodaToC("yyyy 'open", 'format_datetime', false), /unclosed quote/);
});

/** A call node as DuckDB's json_serialize_sql writes one. */
const fn = (name: string, children: unknown[], alias = '') => ({
  class: 'FUNCTION', type: 'FUNCTION', alias, query_location: 7, function_name: name, schema: '', children, filter: null,
  order_bys: { type: 'ORDER_MODIFIER', orders: [] }, distinct: false, is_operator: false, export_state: false, catalog: '',
});
const col = (name: string) => ({ class: 'COLUMN_REF', type: 'COLUMN_REF', alias: '', query_location: 18446744073709552000, column_names: [name] });
const str = (value: string) => ({ class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', value: { type: { id: 'VARCHAR', type_info: null }, is_null: false, value } });
const lambda = { class: 'LAMBDA', type: 'LAMBDA', alias: '', lhs: col('x'), expr: col('x') };
const tree = (...exprs: unknown[]) => ({ error: false, statements: [{ node: { type: 'SELECT_NODE', select_list: exprs } }] });

test('the tree: calls rewritten in place, aliases kept, other calls and the input left alone', () => {
  const input = tree(
    fn('date_parse', [col('eventtime'), str('%Y-%m-%d %H:%i:%s')], 't'),
    fn('FORMAT_DATETIME', [col('ts'), str('yyyy')]),
    fn('transform', [col('resources'), lambda]),
    fn('any_match', [col('resources'), lambda], 'hit'),
    fn('date_parse', [col('eventtime'), col('fmt')]),
    fn('lower', [col('eventname')]),
  );
  const before = JSON.stringify(input);
  const { tree: out, rewritten } = rewriteTrinoCalls(input);
  assert.equal(JSON.stringify(input), before);
  assert.deepEqual(rewritten.sort(), ['any_match', 'date_parse', 'format_datetime', 'transform']);
  const list = (out as ReturnType<typeof tree>).statements[0]!.node.select_list as ReturnType<typeof fn>[];
  assert.equal(list[0]!.function_name, 'strptime');
  assert.equal(list[0]!.alias, 't');
  assert.equal((list[0]!.children[1] as ReturnType<typeof str>).value.value, '%Y-%m-%d %H:%M:%S');
  assert.equal(list[1]!.function_name, 'strftime');
  assert.equal((list[1]!.children[1] as ReturnType<typeof str>).value.value, '%Y');
  assert.equal(list[2]!.function_name, 'list_transform');
  // any_match(a, p) → len(list_filter(a, p)) > 0, under the call's alias.
  assert.equal(list[3]!.function_name, '>');
  assert.equal(list[3]!.alias, 'hit');
  const count = list[3]!.children[0] as ReturnType<typeof fn>;
  assert.equal(count.function_name, 'len');
  assert.equal(count.alias, '');
  assert.equal((count.children[0] as ReturnType<typeof fn>).function_name, 'list_filter');
  // A format that is not a literal is left for DuckDB to refuse (with the query layer's hint).
  assert.equal(list[4]!.function_name, 'date_parse');
  assert.equal(list[5]!.function_name, 'lower');
  // Places DuckDB writes as 2^64-1 cannot travel back through JavaScript's numbers: left out.
  assert.equal(JSON.stringify(out).includes('18446744073709552000'), false);
  assert.equal(JSON.stringify(out).includes('"query_location":7'), true);
  assert.deepEqual(rewriteTrinoCalls(tree(fn('lower', [col('x')]))).rewritten, []);
});

test('only text that may call one of them is parsed for the rewrite', () => {
  assert.equal(mayNeedTrinoRewrite(`SELECT date_parse(eventtime, '%Y')`), true);
  assert.equal(mayNeedTrinoRewrite(`select ANY_MATCH (a, x -> x)`), true);
  assert.equal(mayNeedTrinoRewrite(`SELECT zip_with(a, b, (x, y) -> x), Transform_Values(m, (k, v) -> v)`), true);
  assert.equal(mayNeedTrinoRewrite(`SELECT list_transform(a, x -> x), date_format(t, '%Y')`), false);
});

test('members of JSON text columns become json_member calls, named after their last member in a select list', () => {
  const ref = (names: string[], alias = '') => ({ ...col(names[0]!), alias, column_names: names });
  const input = { error: false, statements: [{ node: { type: 'SELECT_NODE', select_list: [ref(['requestParameters', 'bucketName']), ref(['c', 'additionalEventData', 'a', 'b'], 'x'), ref(['useridentity', 'arn'])],
    where_clause: ref(['RequestParameters', 'key']) } }] };
  const { tree: out, rewritten } = rewriteJsonMembers(input, ['requestparameters', 'additionaleventdata']);
  assert.deepEqual(rewritten.sort(), ['RequestParameters.key', 'additionalEventData.a.b', 'requestParameters.bucketName']);
  const node = (out as typeof input).statements[0]!.node as unknown as { select_list: Record<string, unknown>[]; where_clause: Record<string, unknown> };
  const [first, second, third] = node.select_list;
  assert.equal(first!.function_name, 'json_member');
  assert.equal(first!.alias, 'bucketName');
  assert.deepEqual((first!.children as Record<string, unknown>[])[0]!.column_names, ['requestParameters']);
  assert.equal(((first!.children as Record<string, unknown>[])[1]!.value as { value: string }).value, 'bucketName');
  // c.additionalEventData.a.b → json_member(json_member_json(c.additionalEventData, 'a'), 'b') AS x
  assert.equal(second!.alias, 'x');
  const inner = (second!.children as Record<string, unknown>[])[0]!;
  assert.equal(second!.function_name, 'json_member');
  assert.equal(inner.function_name, 'json_member_json');
  assert.equal(inner.alias, '');
  assert.deepEqual((inner.children as Record<string, unknown>[])[0]!.column_names, ['c', 'additionalEventData']);
  // Other columns' members, and a reference outside the select list (no alias there), as expected.
  assert.deepEqual(third!.column_names, ['useridentity', 'arn']);
  assert.equal(node.where_clause.function_name, 'json_member');
  assert.equal(node.where_clause.alias, '');
});

test("Java's formats and replacements (Trino's format and regexp_replace) as printf's and RE2's", () => {
  assert.deepEqual(javaFormatToPrintf('%s=%-5d %.2f%% %S%n'), { printf: '%s=%-5d %.2f%% %s\n', args: ['text', 'as-is', 'number', 'upper'] });
  assert.deepEqual(javaFormatToPrintf('%08.3e|%x|%+d|%c'), { printf: '%08.3e|%x|%+d|%c', args: ['number', 'as-is', 'as-is', 'as-is'] });
  assert.deepEqual(javaFormatToPrintf('no conversions'), { printf: 'no conversions', args: [] });
  invalid(() => javaFormatToPrintf('%2$s'), /format: %2\$s is not supported here/);
  invalid(() => javaFormatToPrintf('%,d'), /format: %,d is not supported here/);
  invalid(() => javaFormatToPrintf('%b'), /format: %b is not supported here/);
  invalid(() => javaFormatToPrintf('%tY'), /format: %t is not supported here/);
  // Groups as $n become \n; \$ is a dollar, \\ a backslash, and a lone backslash is kept one.
  assert.equal(javaReplacementToRe2('$2-$1'), '\\2-\\1');
  assert.equal(javaReplacementToRe2('\\$5 \\\\ $'), '$5 \\\\ $');
  assert.equal(javaReplacementToRe2('a\\'), 'a\\\\');
});

test('only statements over the Athena or Lake table read functions as Trino means them', () => {
  const from = (table: string, ...exprs: unknown[]) => ({ error: false, statements: [{ node: { type: 'SELECT_NODE', select_list: exprs,
    from_table: { type: 'BASE_TABLE', alias: '', table_name: table, schema_name: '', catalog_name: '' } } }] });
  const div = { ...fn('/', [col('a'), col('b')]), is_operator: true };
  assert.equal(readsTrinoTable(from('CloudTrail_Logs')), true);
  assert.equal(readsTrinoTable(from('events')), false);
  const athena = rewriteTrinoCalls(from('cloudtrail_logs', div, fn('date_diff', [str('hour'), col('a'), col('b')]), fn('concat', [col('a'), col('b'), col('c')])));
  assert.deepEqual(athena.rewritten.sort(), ['/', 'concat', 'date_diff']);
  const list = (athena.tree as ReturnType<typeof from>).statements[0]!.node.select_list as ReturnType<typeof fn>[];
  assert.deepEqual(list.map((x) => [x.function_name, x.alias]), [['trino_divide', '_col0'], ['date_sub', '_col1'], ['||', '_col2']]);
  // concat of three: (a || b) || c.
  assert.equal((list[2]!.children[0] as ReturnType<typeof fn>).function_name, '||');
  assert.deepEqual(rewriteTrinoCalls(from('events', div, fn('date_diff', [str('hour'), col('a'), col('b')]))).rewritten, []);
  // A text with a division, or one of those names, is parsed for the rewrite.
  assert.equal(mayNeedTrinoRewrite('SELECT a / b FROM cloudtrail_logs'), true);
  assert.equal(mayNeedTrinoRewrite('SELECT regexp_replace(a, b, c) FROM t'), true);
});
