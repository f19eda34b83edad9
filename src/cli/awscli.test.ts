import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { compileQuery, formatTable, formatText, formatYaml, formatYamlPage } from './awscli.js';
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

test('--output table follows the AWS CLI: sections under member names, columns widened to fill, one-row sections on end when too wide', () => {
  const lines = (title: string, value: unknown, width = 80) => formatTable(title, value, { width }).split('\n');
  // A list of objects: one row each under every scalar member's sorted name; a missing member is empty, a null None.
  assert.deepEqual(lines('LookupEvents', [{ t: '2026-05-31T23:59:48Z', n: 'GenerateDataKey' }, { t: '2026-05-31T23:58:43Z', n: 'GetCallerIdentity', x: null }]), [
    '-------------------------------------------------------',
    '|                    LookupEvents                     |',
    '+--------------------+------------------------+-------+',
    '|          n         |           t            |   x   |',
    '+--------------------+------------------------+-------+',
    '|  GenerateDataKey   |  2026-05-31T23:59:48Z  |       |',
    '|  GetCallerIdentity |  2026-05-31T23:58:43Z  |  None |',
    '+--------------------+------------------------+-------+',
    '',
  ]);
  // A list under a member is a section one level in; wider than the terminal, its one row stands on end.
  const trails = { trailList: [{ Name: 'ai-trail', IsMultiRegionTrail: true, HomeRegion: 'us-east-1', TrailARN: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/ai-trail' }] };
  assert.deepEqual(lines('DescribeTrails', trails), [
    '--------------------------------------------------------------------------------------',
    '|                                   DescribeTrails                                   |',
    '+------------------------------------------------------------------------------------+',
    '||                                     trailList                                    ||',
    '|+---------------------+------------------------------------------------------------+|',
    '||  HomeRegion         |  us-east-1                                                 ||',
    '||  IsMultiRegionTrail |  True                                                      ||',
    '||  Name               |  ai-trail                                                  ||',
    '||  TrailARN           |  arn:aws:cloudtrail:us-east-1:111122223333:trail/ai-trail  ||',
    '|+---------------------+------------------------------------------------------------+|',
    '',
  ]);
  assert.deepEqual(lines('DescribeTrails', trails, 200), [
    '----------------------------------------------------------------------------------------------------------------',
    '|                                                DescribeTrails                                                |',
    '+--------------------------------------------------------------------------------------------------------------+',
    '||                                                  trailList                                                 ||',
    '|+------------+---------------------+-----------+-------------------------------------------------------------+|',
    '|| HomeRegion | IsMultiRegionTrail  |   Name    |                          TrailARN                           ||',
    '|+------------+---------------------+-----------+-------------------------------------------------------------+|',
    '||  us-east-1 |  True               |  ai-trail |  arn:aws:cloudtrail:us-east-1:111122223333:trail/ai-trail   ||',
    '|+------------+---------------------+-----------+-------------------------------------------------------------+|',
    '',
  ]);
  // Objects of a list that hold lists: each its own section, their lists nested under them; a lone member is a name and value row.
  const answer = { Events: [{ EventId: 'e1', EventName: 'GetObject', Resources: [{ ResourceType: 'AWS::S3::Object', ResourceName: 'arn:aws:s3:::b/k' }] }, { EventId: 'e2', EventName: 'InvokeModel' }], NextToken: 'tok' };
  assert.deepEqual(lines('LookupEvents', answer, 200), [
    '---------------------------------------------',
    '|               LookupEvents                |',
    '+---------------------------+---------------+',
    '|  NextToken                |  tok          |',
    '+---------------------------+---------------+',
    '||                 Events                  ||',
    '|+------------------+----------------------+|',
    '||      EventId     |      EventName       ||',
    '|+------------------+----------------------+|',
    '||  e1              |  GetObject           ||',
    '|+------------------+----------------------+|',
    '|||               Resources               |||',
    '||+-------------------+-------------------+||',
    '|||   ResourceName    |   ResourceType    |||',
    '||+-------------------+-------------------+||',
    '|||  arn:aws:s3:::b/k |  AWS::S3::Object  |||',
    '||+-------------------+-------------------+||',
    '||                 Events                  ||',
    '|+----------------+------------------------+|',
    '||     EventId    |       EventName        ||',
    '|+----------------+------------------------+|',
    '||  e2            |  InvokeModel           ||',
    '|+----------------+------------------------+|',
    '',
  ]);
  // Wide characters take two columns; Python's spelling of scalars.
  assert.deepEqual(lines('LookupEvents', [['名前', 'x'], ['ab', 'データ']]), [
    '--------------------', '|   LookupEvents   |', '+-------+----------+', '|  名前 |  x       |', '|  ab   |  データ  |', '+-------+----------+', '',
  ]);
  assert.deepEqual(lines('LookupEvents', [[1.5, true, null]]), [
    '-------------------------', '|     LookupEvents      |', '+-----+--------+--------+', '|  1.5|  True  |  None  |', '+-----+--------+--------+', '',
  ]);
  // Characters of ambiguous width (é) count one column, as western terminals show them: every line is as wide as the first.
  const accented = lines('LookupEvents', [['José', 'Zoë'], ['x', 'y']]);
  assert.ok(accented.slice(0, -1).every((l) => [...l].length === [...accented[0]!].length), accented.join('\n'));
  // Where the AWS CLI fails (rows of a list of lists that differ in length) or prints only the title (a lone value), the table still shows the data.
  assert.deepEqual(lines('LookupEvents', [['n1', 'n2'], ['m1']]), ['--------------', '|LookupEvents|', '+-----+------+', '|  n1 |  n2  |', '|  m1 |      |', '+-----+------+', '']);
  assert.match(formatTable('LookupEvents', 7), /\| {2}7 +\|/);
  // Nothing to show prints nothing, as in the CLI.
  assert.equal(formatTable('LookupEvents', []), '');
  assert.equal(formatTable('LookupEvents', null), '');
  // Colours (a terminal's): the cells and the nesting bars are painted, the layout is the same.
  const painted = formatTable('LookupEvents', answer, { width: 200, color: true });
  assert.ok(painted.includes('\x1b[1;34me1\x1b[0m') && painted.includes('\x1b[2;33m||\x1b[0m'));
  const unpainted = ['\x1b[1;34m', '\x1b[2;33m', '\x1b[0m'].reduce((t, code) => t.split(code).join(''), painted);
  assert.equal(unpainted, formatTable('LookupEvents', answer, { width: 200 }));
});

test('--output yaml writes what the AWS CLI writes: members sorted, lists at their key, text a reader could mistake quoted, long text folded past column 80', () => {
  // Expected texts as the CLI's YAML writer makes them (checked against a writer of the same kind).
  const answer = {
    NextToken: 'tok',
    Events: [
      { Username: 'alice', ReadOnly: 'true', EventTime: '2026-11-01T10:00:00+00:00', Resources: [], AccessKeyId: null, Count: 3, Ok: false, Tags: {} },
      { Resources: [{ ResourceType: 'AWS::S3::Bucket', ResourceName: 'training-data' }], Pairs: [['a', 1], []] },
    ],
  };
  assert.equal(formatYaml(answer), [
    'Events:',
    '- AccessKeyId: null',
    '  Count: 3',
    "  EventTime: '2026-11-01T10:00:00+00:00'",
    '  Ok: false',
    "  ReadOnly: 'true'",
    '  Resources: []',
    '  Tags: {}',
    '  Username: alice',
    '- Pairs:',
    '  - - a',
    '    - 1',
    '  - []',
    '  Resources:',
    '  - ResourceName: training-data',
    '    ResourceType: AWS::S3::Bucket',
    'NextToken: tok',
    '',
  ].join('\n'));
  // Folding: at the first single space past column 80 (never inside a run of spaces), continued
  // two columns in from the key; an apostrophe doubled inside single quotes.
  const long = {
    Events: [{
      UserAgent: 'Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy',
      Message: "it's  two  spaces and a quote: Access denied for arn:aws:iam::123456789012:user/alice on arn:aws:s3:::bucket",
    }],
  };
  assert.equal(formatYaml(long), [
    "Events:",
    "- Message: 'it''s  two  spaces and a quote: Access denied for arn:aws:iam::123456789012:user/alice",
    "    on arn:aws:s3:::bucket'",
    '  UserAgent: Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64',
    '    lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy',
    '',
  ].join('\n'));
  // Quoting: what YAML 1.1 reads as a number, boolean, merge or value; several lines in single
  // quotes (a blank line for each break); a tab in double quotes.
  assert.equal(formatYaml({ Num: '0123', Yes: 'yes', Merge: '<<', Eq: '=', Lines: 'first\nsecond', Tab: 'a\tb' }), [
    "Eq: '='",
    "Lines: 'first",
    '',
    "  second'",
    "Merge: '<<'",
    "Num: '0123'",
    'Tab: "a\\tb"',
    "'Yes': 'yes'",
    '',
  ].join('\n'));
  // A lone value (what a --query can give): the writer ends a plain one with `...`.
  assert.equal(formatYaml('InvokeModel'), 'InvokeModel\n...\n');
  assert.equal(formatYaml(7), '7\n...\n');
  assert.equal(formatYaml(null), 'null\n...\n');
  assert.equal(formatYaml('2026-11-01T10:00:00Z'), "'2026-11-01T10:00:00Z'\n");
  // yaml-stream: the page as one item of a list.
  assert.equal(formatYamlPage({ Events: [{ EventId: 'a' }], NextToken: 't' }), '- Events:\n  - EventId: a\n  NextToken: t\n');
  // Whatever the text, it reads back as the same value.
  const tricky = ['', 'null', '~', '1.5', '0x1F', 'true', 'on', 'y', '2026-11-01', '12:30', '- x', 'x: y', '#x', '@x', "'q'", '"dq"', ' lead', 'trail ',
    'a\nb', 'a \nb', 'é 日本', '\u0007', '[x]', '{x}', '? x', '.inf', 'x'.repeat(90) + ' ' + 'y '.repeat(60) + 'z'];
  assert.deepEqual(parseYaml(formatYaml({ tricky, [long.Events[0]!.Message]: tricky }), { version: '1.1' }), { tricky, [long.Events[0]!.Message]: tricky });
});
