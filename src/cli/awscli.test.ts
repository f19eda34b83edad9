import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileQuery, formatText } from './awscli.js';
import { AitrailError } from '../model/errors.js';

test('--output text follows the AWS CLI: scalars, lists, objects under upper-cased names, columns of every object', () => {
  assert.equal(formatText('x'), 'x\n');
  assert.equal(formatText(3), '3\n');
  assert.equal(formatText(null), 'None\n');
  // A bare list of scalars is one line; Python's spelling of booleans and nulls.
  assert.equal(formatText(['a', 1, true, false, null]), 'a\t1\tTrue\tFalse\tNone\n');
  // A list of lists: one line per inner list (what --query 'Events[].[a, b]' gives).
  assert.equal(formatText([['t1', 'n1'], ['t2', 'n2']]), 't1\tn1\nt2\tn2\n');
  // Scalars before lists inside a list.
  assert.equal(formatText(['s', ['a', 'b']]), 's\na\tb\n');
  assert.equal(formatText([]), '');
  // An object: its scalar members in key order on one line, then each list or object under its name.
  assert.equal(
    formatText({ NextToken: 'tok', Events: [{ b: '2', a: '1', Resources: [{ ResourceType: 'T', ResourceName: 'N' }] }, { a: '3', c: 'x' }] }),
    // The objects of a list share the columns of every scalar member any of them has ('' where one lacks it).
    'tok\nEVENTS\t1\t2\t\nRESOURCES\tN\tT\nEVENTS\t3\t\tx\n',
  );
  // A list of scalars under a name: one line per value.
  assert.equal(formatText({ Names: ['a', 'b'] }), 'NAMES\ta\nNAMES\tb\n');
  // Nested objects follow their parent's line.
  assert.equal(formatText({ k: 'v', Inner: { z: 1, y: { deep: 'd' } } }), 'v\nINNER\t1\nY\td\n');
  // Keys sort by code point, as Python's sorted() does (upper case first).
  assert.equal(formatText({ b: 1, B: 2, a: 3 }), '2\t3\t1\n');
  // A member with no value: None as the CLI prints a JMESPath null, or what the caller says.
  assert.equal(formatText({ a: null, b: 'x' }), 'None\tx\n');
  assert.equal(formatText({ Events: [{ a: null, b: 'x' }] }, { nullMember: '' }), 'EVENTS\t\tx\n');
  assert.equal(formatText(0.5), '0.5\n');
  assert.equal(formatText(1e-7), '1e-07\n');
});

test('--query: JMESPath over the answer; a bad expression is a usage error before anything runs', () => {
  const answer = { Events: [{ EventName: 'A', Username: 'u1', AccessKeyId: null }, { EventName: 'B', Username: 'u2', AccessKeyId: 'AKIA' }], NextToken: 't' };
  assert.deepEqual(compileQuery('Events[].EventName')(answer), ['A', 'B']);
  assert.deepEqual(compileQuery('Events[].[EventName, Username]')(answer), [['A', 'u1'], ['B', 'u2']]);
  // Projections leave out nulls, as the CLI's do for members AWS leaves out.
  assert.deepEqual(compileQuery('Events[].AccessKeyId')(answer), ['AKIA']);
  assert.deepEqual(compileQuery("Events[?Username=='u2'].EventName | [0]")(answer), 'B');
  assert.equal(compileQuery('length(Events)')(answer), 2);
  assert.equal(compileQuery('NextToken')(answer), 't');
  // Checked by parsing alone: a function over a null is fine until there is data.
  assert.doesNotThrow(() => compileQuery('length(Events)'));
  for (const bad of ['Events[?', 'Events[].{', '']) {
    assert.throws(
      () => compileQuery(bad),
      (e: unknown) => e instanceof AitrailError && e.code === 'USAGE' && e.message.startsWith(`--query '${bad}' is not a JMESPath expression`),
      bad,
    );
  }
});
