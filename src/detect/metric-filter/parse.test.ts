import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAitrailError } from '../../model/errors.js';
import { CIS_METRIC_FILTERS, explain, parseMetricFilter, type JsonExpr, type MetricFilterAst } from './index.js';
import { cases } from './conformance.cases.js';

function parseError(pattern: string): string {
  try {
    parseMetricFilter(pattern);
  } catch (e) {
    assert.ok(isAitrailError(e, 'RULE_PARSE'), `expected RULE_PARSE, got ${String(e)}`);
    return e.message;
  }
  assert.fail(`no parse error for ${pattern}`);
}

function jsonExpr(pattern: string): JsonExpr {
  const ast = parseMetricFilter(pattern);
  assert.equal(ast.kind, 'json');
  return (ast as Extract<MetricFilterAst, { kind: 'json' }>).expr;
}

test('errors name the column, what was expected and what was found', () => {
  const table: [string, string][] = [
    ['{ ($.eventName =)}', "column 17: expected a value after '=', found ')'"],
    ['{ $.a = }', "column 9: expected a value after '=', found '}'"],
    ['{ $.a = 1', "column 10: expected '&&', '||' or the closing '}', found end of pattern"],
    ['{ ($.a = 1 }', "column 12: expected ')' to close the '(' at column 3, found '}'"],
    ['{ $.a = 1 ) }', "column 11: expected '&&', '||' or the closing '}', found ')' (unbalanced ')')"],
    ['{ $.a = 1 } x', "column 13: unexpected 'x' after the closing '}'"],
    ['{ $.a 1 }', 'column 7: expected an operator (=, !=, <, >, <=, >=, IS NULL, IS TRUE, IS FALSE or NOT EXISTS) after $.a, found \'1\''],
    ['{ eventName = 1 }', "column 3: expected a selector starting with '$.' (such as $.eventName), found 'eventName'"],
    ['{ $.a == 1 }', "column 7: '==' is not an operator: use '='"],
    ['{ $.a & $.b = 1 }', "column 7: expected '&&', found a single '&'"],
    ['{ $.a ! 1 }', "column 7: expected '!=', found '!'"],
    ['{ $.a = "abc }', 'column 9: unterminated string: missing the closing \'"\''],
    ['{ $.a = "abc"def }', 'column 14: unexpected \'d\' right after the quoted value "abc": quote the whole value'],
    ['{ $.a > abc }', "column 9: operator '>' compares numbers, found 'abc'"],
    ['{ $.a <= "5" }', 'column 10: operator \'<=\' compares numbers, found \'"5"\''],
    ['{ $.a > 4* }', "column 9: operator '>' compares numbers, found '4*'"],
    ['{ $.a IS NOT NULL }', "column 10: 'IS NOT' is not supported by CloudWatch: use IS NULL, IS TRUE or IS FALSE"],
    ['{ $.a IS EMPTY }', "column 10: expected NULL, TRUE or FALSE after IS, found 'EMPTY'"],
    ['{ $.a NOT NULL }', "column 11: expected EXISTS after NOT, found 'NULL'"],
    ['{ $.a EXISTS }', 'column 7: \'EXISTS\' is not supported by CloudWatch: use $.a = "*" to require the field, or NOT EXISTS'],
    ['{ $ = 1 }', "column 3: expected '.' and a property name after '$' (as in $.eventName), found ' '"],
    ['{ $.a. = 1 }', "column 7: expected a property name (letters, digits, '-', '_') after '.', found ' '"],
    ['{ $.a[x] = 1 }', 'column 6: expected an array index such as [0] in the selector'],
    ['{}', "column 2: expected a condition inside '{ }', found '}'"],
    ['{ () }', "column 4: expected a condition inside '( )', found ')'"],
    ['{ $.a = 1 && }', 'column 14: expected a condition such as $.eventName = "ConsoleLogin" or \'(\', found \'}\''],
    ['{ $.a = %ab(c)% }', "column 12: '(' is not supported in a regex: CloudWatch does not allow parentheses (no groups)"],
    ['{ $.a = %abc)% }', "column 13: ')' is not supported in a regex: CloudWatch does not allow parentheses (no groups)"],
    ['{ $.a = %caf\u00e9% }', "column 13: multibyte character '\u00e9' is not supported in a regex"],
    ['{ $.a = %hi!% }', "column 12: character '!' is not allowed in a regex (allowed: letters, digits, space, ': _ # = @ / ; , -' and '^ $ ? [ ] { } | \\ * + .')"],
    ['{ $.a = %abc }', "column 9: unterminated regex: missing the closing '%'"],
    ['{ $.a = %% }', "column 9: empty regex '%%'"],
    ['{ $.a = %[a% }', 'column 9: invalid regex %[a%: /[a/: Unterminated character class'],
    ['{ $.a > %a% }', "column 9: a regex can only be compared with '=' or '!=', not '>'"],
    ['{ $.a = %a% && $.b = %b% && $.c = %c% }', 'column 35: a filter pattern may contain at most 2 regular expressions (CloudWatch quota)'],
    ['?', "column 1: expected a term after '?'"],
    ['ERROR -', "column 7: expected a term after '-'"],
    ['ERROR "oops', 'column 7: unterminated string: missing the closing \'"\''],
    ['-?X', "column 2: unexpected '?' after '-': write ?TERM, -TERM or ?-TERM, or quote the term"],
    ['[ip, user', "column 10: expected ',' or the closing ']', found end of pattern"],
    ['[ip, status > x]', "column 15: operator '>' compares numbers, found 'x'"],
    ['{\n  $.a = 1 &&\n  $.b =\n}', "line 4, column 1: expected a value after '=', found '}'"],
  ];
  for (const [pattern, message] of table) assert.equal(parseError(pattern), message, pattern);
});

test('the half-quoted value in the CIS v6 5.15 transcription is reported, not silently misread', () => {
  const typo = '{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = AcceptHandshake") || ($.eventName = "AttachPolicy")) }';
  assert.equal(
    parseError(typo),
    'column 83: unexpected \'"\' right after AcceptHandshake: a value is either fully quoted ("...") or not quoted at all',
  );
});

test('&& binds tighter than ||; parentheses group; same-operator chains are flattened', () => {
  const a = { type: 'compare', selector: '$.a', path: ['a'], op: '=', value: { kind: 'number', text: '1', value: 1 } };
  const b = { ...a, selector: '$.b', path: ['b'] };
  const c = { ...a, selector: '$.c', path: ['c'] };
  const d = { ...a, selector: '$.d', path: ['d'] };
  assert.deepEqual(jsonExpr('{ $.a = 1 || $.b = 1 && $.c = 1 && $.d = 1 }'), { type: 'or', children: [a, { type: 'and', children: [b, c, d] }] });
  assert.deepEqual(jsonExpr('{ ($.a = 1 || $.b = 1) && $.c = 1 }'), { type: 'and', children: [{ type: 'or', children: [a, b] }, c] });
  assert.deepEqual(jsonExpr('{ ($.a = 1 || $.b = 1) || ($.c = 1) }'), { type: 'or', children: [a, b, c] });
  assert.deepEqual(jsonExpr('{ $.a = 1 && $.b = 1 || $.c = 1 }'), { type: 'or', children: [{ type: 'and', children: [a, b] }, c] });
});

test('values: bare words, quoted strings, numbers, regexes and selectors', () => {
  assert.deepEqual(jsonExpr('{ $.eventSource = kms.amazonaws.com }'), {
    type: 'compare', selector: '$.eventSource', path: ['eventSource'], op: '=', value: { kind: 'string', text: 'kms.amazonaws.com' },
  });
  assert.deepEqual(jsonExpr('{ $.x != "a \\"b\\" \\\\ c" }'), {
    type: 'compare', selector: '$.x', path: ['x'], op: '!=', value: { kind: 'string', text: 'a "b" \\ c' },
  });
  assert.deepEqual(jsonExpr('{ $.n >= -1.5e-3 }'), {
    type: 'compare', selector: '$.n', path: ['n'], op: '>=', value: { kind: 'number', text: '-1.5e-3', value: -0.0015 },
  });
  assert.deepEqual(jsonExpr('{ $.n = "400" }'), {
    type: 'compare', selector: '$.n', path: ['n'], op: '=', value: { kind: 'string', text: '400' },
  });
  assert.deepEqual(jsonExpr('{ $.a[0].b[12][3] = %^x{2}$% }'), {
    type: 'compare', selector: '$.a[0].b[12][3]', path: ['a', 0, 'b', 12, 3], op: '=', value: { kind: 'regex', source: '^x{2}$' },
  });
  assert.deepEqual(jsonExpr('{ $.a is null && $.b Not Exists }'), {
    type: 'and',
    children: [
      { type: 'is', selector: '$.a', path: ['a'], test: 'NULL' },
      { type: 'notExists', selector: '$.b', path: ['b'] },
    ],
  });
});

test('term and space-delimited patterns parse into their own AST kinds', () => {
  assert.deepEqual(parseMetricFilter('?ERROR ?-"bad thing" %x[0-9]%'), {
    kind: 'terms',
    groups: [
      { terms: [{ text: 'ERROR', regex: false, exclude: false }] },
      { terms: [{ text: 'bad thing', regex: false, exclude: true }, { text: 'x[0-9]', regex: true, exclude: false }] },
    ],
  });
  for (const all of ['', '   ', '""', '" "']) assert.deepEqual(parseMetricFilter(all), { kind: 'all' });
  assert.deepEqual(parseMetricFilter('[ip, ..., status_code = 404 || status_code = 410, bytes > 1000]'), {
    kind: 'space',
    columns: [
      { name: 'ip', condition: null },
      { name: '...', condition: null },
      {
        name: 'status_code',
        condition: {
          type: 'or',
          children: [
            { type: 'compare', field: 'status_code', op: '=', value: { kind: 'number', text: '404', value: 404 } },
            { type: 'compare', field: 'status_code', op: '=', value: { kind: 'number', text: '410', value: 410 } },
          ],
        },
      },
      { name: 'bytes', condition: { type: 'compare', field: 'bytes', op: '>', value: { kind: 'number', text: '1000', value: 1000 } } },
    ],
  });
});

test('every CIS pattern parses, and explain() round-trips it to the same AST', () => {
  let n = 0;
  for (const control of CIS_METRIC_FILTERS) {
    for (const v of control.variants) {
      const ast = parseMetricFilter(v.pattern);
      assert.equal(ast.kind, 'json', `${control.cis} ${v.id}`);
      const text = explain(ast);
      assert.deepEqual(parseMetricFilter(text), ast, `${control.cis} ${v.id}: ${text}`);
      assert.equal(explain(text), text, 'explain() is a fixed point');
      n++;
    }
  }
  assert.ok(n >= 19);
});

test('explain() shows how the CIS 4.1 v3 precedence was read', () => {
  const v3 = CIS_METRIC_FILTERS[0].variants.find((v) => v.id === 'cis-v3-v5');
  assert.ok(v3);
  assert.equal(
    explain(v3.pattern),
    '{ $.errorCode = "*UnauthorizedOperation" || ($.errorCode = "AccessDenied*" && $.sourceIPAddress != "delivery.logs.amazonaws.com" && $.eventName != "HeadBucket") }',
  );
  assert.equal(explain('{ ($.a = 1 || $.b = 2) && ($.c = 3 || $.d IS NULL) }'), '{ ($.a = 1 || $.b = 2) && ($.c = 3 || $.d IS NULL) }');
  assert.equal(explain('?ERROR -x ?"two words"'), '?ERROR -x ?"two words"');
  assert.equal(explain('[w1!=ERROR && w1!=WARNING, w2]'), '[w1 != "ERROR" && w1 != "WARNING", w2]');
});

test('explain() round-trips every conformance pattern', () => {
  for (const c of cases) {
    const ast = parseMetricFilter(c.pattern);
    assert.deepEqual(parseMetricFilter(explain(ast)), ast, c.pattern);
  }
});
