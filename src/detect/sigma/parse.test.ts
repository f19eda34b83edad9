import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSigmaError, loadSigmaText, LEGACY_V1_MESSAGE, type SigmaLoadResult } from './parse.js';
import { compileRule, compileSigmaText, loadSigmaSources } from './index.js';
import { requiredEventNames, requiredPrefixes, requiredValues } from './compile.js';
import { cloudTrailApplies } from './logsource.js';
import { isAitrailError } from '../../model/errors.js';

const head = 'title: T\nlogsource:\n    product: aws\n    service: cloudtrail\n';

function messages(r: SigmaLoadResult): string[] {
  return r.errors.map(formatSigmaError);
}

test('unknown modifier: file, line and a suggestion', () => {
  const text = head + 'detection:\n    selection:\n        eventName: X\n        userAgent|contians: evil\n    condition: selection\n';
  const r = loadSigmaText(text, 'x.yml');
  assert.deepEqual(messages(r), ["x.yml:8: unknown modifier 'contians' in 'userAgent|contians' (did you mean 'contains'?)"]);
  assert.equal(r.rules.length, 0);
  assert.equal(r.errors[0]!.code, 'RULE_INVALID');
});

test('several problems in one document are all reported', () => {
  const text = head + 'detection:\n    sel:\n        a|startwith: x\n        b|re|q: y\n        c|exists: maybe\n    condition: sel\nlevel: hihg\n';
  const r = loadSigmaText(text, 'y.yml');
  assert.deepEqual(messages(r), [
    "y.yml:11: expected level to be one of informational, low, medium, high, critical, found 'hihg' (did you mean 'high'?)",
    "y.yml:7: unknown modifier 'startwith' in 'a|startwith' (did you mean 'startswith'?)",
    "y.yml:8: unknown modifier 'q' in 'b|re|q'",
    "y.yml:9: expected true or false for 'c|exists', found 'maybe'",
  ]);
});

test('legacy v1 aggregations are reported, not thrown', () => {
  const text =
    head + 'detection:\n    selection:\n        eventName: ListBuckets\n    timeframe: 10m\n    condition: selection | count() by sourceIPAddress > 5\n';
  const r = loadSigmaText(text, 'legacy.yml');
  assert.equal(r.rules.length, 0);
  assert.ok(r.errors.length >= 1);
  for (const e of r.errors) assert.ok(e.message.startsWith(LEGACY_V1_MESSAGE), e.message);
  assert.deepEqual(
    r.errors.map((e) => e.line),
    [8, 9],
  );
  const near = loadSigmaText(head + 'detection:\n    a:\n        x: 1\n    b:\n        y: 2\n    condition: a | near b\n', 'near.yml');
  assert.equal(near.errors.length, 1);
  assert.match(near.errors[0]!.message, /legacy Sigma v1 aggregation is not supported; rewrite as a correlation rule/);
  const near2 = loadSigmaText(head + 'detection:\n    a:\n        x: 1\n    b:\n        y: 2\n    condition: a and near b\n', 'near2.yml');
  assert.match(near2.errors[0]!.message, /^legacy Sigma v1/);
});

test('YAML syntax errors carry the line and later documents still load', () => {
  const good = head + 'detection:\n    s:\n        eventName: A\n    condition: s\n';
  const text = good + '---\ntitle: broken\ndetection:\n    s: [unclosed\n    condition: s\n---\n' + good;
  const r = loadSigmaText(text, 'multi.yml');
  assert.equal(r.rules.length, 2);
  assert.equal(r.errors.length > 0, true);
  assert.equal(r.errors[0]!.code, 'RULE_PARSE');
  assert.ok(r.errors[0]!.line >= 12 && r.errors[0]!.line <= 14, formatSigmaError(r.errors[0]!));
  assert.equal(r.rules[1]!.source.document, 2);
  assert.equal(r.rules[1]!.source.line, 15);
});

test('duplicate keys are a YAML error with the line of the duplicate', () => {
  const r = loadSigmaText(head + 'detection:\n    s:\n        eventName: A\n        eventName: B\n    condition: s\n', 'dup.yml');
  assert.equal(r.rules.length, 0);
  assert.equal(r.errors[0]!.line, 8);
  assert.match(r.errors[0]!.message, /unique/i);
});

test('condition errors: unknown identifier, bad syntax, empty pattern', () => {
  const mk = (cond: string) => loadSigmaText(head + `detection:\n    selection:\n        eventName: A\n    filter_x:\n        b: 1\n    condition: ${cond}\n`, 'c.yml');
  assert.deepEqual(messages(mk('selction')), ["c.yml:10: condition references unknown search identifier 'selction' at column 1 (did you mean 'selection'?)"]);
  assert.deepEqual(messages(mk('selection and (filter_x')), ["c.yml:10: condition: expected ')' to close the '(' at column 15, found the end of the condition"]);
  assert.deepEqual(messages(mk('selection filter_x')), ["c.yml:10: condition: expected 'and', 'or' or the end of the condition, found 'filter_x' at column 11"]);
  assert.deepEqual(messages(mk('selection and not 1 of filters_*')), ["c.yml:10: condition: pattern 'filters_*' at column 24 matches no search identifier (did you mean 'filter_x'?)"]);
  assert.deepEqual(messages(mk('selection and')), ["c.yml:10: condition: expected a search identifier, 'not', '(' or 'N of', found the end of the condition"]);
  assert.deepEqual(messages(mk('0 of them')), ["c.yml:10: condition: expected a positive count before 'of', found '0' at column 1"]);
  assert.equal(mk('selection AND NOT filter_x').errors.length, 0, 'operators are case-insensitive');
});

test('value problems: regex, CIDR, numbers, placeholders, encodings', () => {
  const mk = (field: string, value: string, opts = {}) =>
    messages(loadSigmaText(head + `detection:\n    s:\n        ${field}: ${value}\n    condition: s\n`, 'v.yml', opts));
  assert.match(mk('a|re', "'(unclosed'")[0]!, /^v\.yml:7: invalid regular expression for 'a\|re'/);
  assert.deepEqual(mk('ip|cidr', '10.0.0/8'), ["v.yml:7: expected a CIDR range such as 10.0.0.0/8 or 2001:db8::/32 for 'ip|cidr', found '10.0.0/8'"]);
  assert.deepEqual(mk('n|gt', 'many'), ["v.yml:7: expected a number for 'n|gt', found 'many'"]);
  assert.deepEqual(mk('u|expand', "'%Admins%'"), ["v.yml:7: unknown placeholder '%Admins%' in 'u|expand'; supply its values in the placeholders option"]);
  assert.deepEqual(mk('u|expand', "'%Admins%'", { placeholders: { Admins: ['root'] } }), []);
  assert.deepEqual(mk('c|base64', "'who*'"), ["v.yml:7: wildcards ('*', '?') or windash cannot be encoded with 'base64' in 'c|base64'"]);
  assert.deepEqual(mk('c|contains|startswith', 'x'), ["v.yml:7: modifier 'startswith' cannot be combined with 'contains' in 'c|contains|startswith'"]);
  assert.deepEqual(mk('c|i', 'x'), ["v.yml:7: modifier 'i' is only valid after 're' in 'c|i'"]);
  assert.deepEqual(mk('c|contains', 'null'), ["v.yml:7: null cannot be combined with 'contains' in 'c|contains'"]);
  assert.deepEqual(mk('c', '[]'), ["v.yml:7: expected at least one value for 'c', found an empty list"]);
  assert.deepEqual(mk('c', '{a: 1}'), ["v.yml:7: expected a value or a list of values for 'c', found a mapping"]);
});

test('document-level problems name what was expected', () => {
  const r = loadSigmaText('title: T\nlogsource:\n    product: aws\ndetecton:\n    s:\n        a: 1\n    condition: s\n', 'd.yml');
  assert.deepEqual(messages(r), ["d.yml:4: expected a 'detection' or 'correlation' section, found unknown key 'detecton' (did you mean 'detection'?)"]);
  const noTitle = loadSigmaText('logsource:\n    product: aws\ndetection:\n    s:\n        a: 1\n    condition: s\n', 'n.yml');
  assert.deepEqual(messages(noTitle), ["n.yml:1: missing required 'title'"]);
  const noCond = loadSigmaText(head + 'detection:\n    s:\n        a: 1\n', 'nc.yml');
  assert.deepEqual(messages(noCond), ["nc.yml:6: missing 'condition' in 'detection'"]);
  const list = loadSigmaText('- a\n- b\n', 'l.yml');
  assert.deepEqual(messages(list), ['l.yml:1: expected a mapping of Sigma keys at the top of the document, found a list']);
  assert.deepEqual(messages(loadSigmaText('', 'empty.yml')), []);
});

test('metadata is kept, unknown top-level keys land in extra', () => {
  const text = `title: Bedrock guardrail deleted
id: 11111111-2222-4333-8444-555555555555
name: bedrock_guardrail_deleted
status: experimental
description: Detects deletion
references:
    - https://example.com/a
author: A, B
date: 2024-05-01
modified: 2024-06-01
tags:
    - attack.defense-evasion
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: bedrock.amazonaws.com
        eventName: DeleteGuardrail
    condition: selection
fields:
    - userIdentity.arn
falsepositives:
    - Admins
level: high
tests:
    - event: {eventName: DeleteGuardrail}
      expect: true
x-owner: secops
`;
  const r = loadSigmaText(text, 'meta.yml');
  assert.deepEqual(r.errors, []);
  const rule = r.rules[0]!;
  assert.equal(rule.title, 'Bedrock guardrail deleted');
  assert.equal(rule.id, '11111111-2222-4333-8444-555555555555');
  assert.equal(rule.name, 'bedrock_guardrail_deleted');
  assert.equal(rule.status, 'experimental');
  assert.equal(rule.description, 'Detects deletion');
  assert.deepEqual(rule.references, ['https://example.com/a']);
  assert.equal(rule.author, 'A, B');
  assert.equal(rule.date, '2024-05-01');
  assert.equal(rule.modified, '2024-06-01');
  assert.deepEqual(rule.tags, ['attack.defense-evasion']);
  assert.deepEqual(rule.logsource, { product: 'aws', service: 'cloudtrail' });
  assert.deepEqual(rule.fields, ['userIdentity.arn']);
  assert.deepEqual(rule.falsepositives, ['Admins']);
  assert.equal(rule.level, 'high');
  assert.deepEqual(rule.extra, { tests: [{ event: { eventName: 'DeleteGuardrail' }, expect: true }], 'x-owner': 'secops' });
  assert.deepEqual(rule.source, { file: 'meta.yml', line: 1, document: 0 });
  assert.deepEqual(rule.detection.conditionText, ['selection']);
});

test('correlation documents parse, with errors for bad fields', () => {
  const text = `title: Many failures
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - sourceIPAddress
    timespan: 5m
    condition:
        gte: 3
    generate: true
level: high
`;
  const r = loadSigmaText(text, 'corr.yml');
  assert.deepEqual(r.errors, []);
  const c = r.correlations[0]!;
  assert.equal(c.correlation.type, 'event_count');
  assert.deepEqual(c.correlation.rules.map((x) => x.ref), ['failed_login']);
  assert.deepEqual(c.correlation.groupBy, ['sourceIPAddress']);
  assert.equal(c.correlation.timespanMs, 300_000);
  assert.deepEqual(c.correlation.condition, { gte: 3 });
  assert.equal(c.generate, true);
  const bad = loadSigmaText(
    'title: X\ncorrelation:\n    type: event_cnt\n    rules: [a]\n    group_by: [x]\n    timespan: 5 minutes\n    condition:\n        gteq: 3\n',
    'bad.yml',
  );
  assert.deepEqual(messages(bad), [
    "bad.yml:5: unknown correlation key 'group_by' (did you mean 'group-by'?)",
    "bad.yml:3: expected correlation type to be one of event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, found 'event_cnt' (did you mean 'event_count'?)",
    "bad.yml:6: expected timespan as a positive number followed by s, m, h or d (e.g. 5m), found '5 minutes'",
    "bad.yml:8: unknown condition operator 'gteq' (expected gt, gte, lt, lte, eq, neq or field) (did you mean 'gte'?)",
  ]);
  const noField = loadSigmaText('title: X\ncorrelation:\n    type: value_count\n    rules: [a]\n    timespan: 1h\n    condition:\n        gte: 3\n', 'vc.yml');
  assert.deepEqual(messages(noField), ["vc.yml:6: correlation type 'value_count' requires 'field' in its condition"]);
});

test('compileSigmaText throws AitrailError with the formatted message', () => {
  assert.throws(
    () => compileSigmaText(head + 'detection:\n    s:\n        a|contians: x\n    condition: s\n', 'bad.yml'),
    (e: unknown) => isAitrailError(e, 'RULE_INVALID') && e.message.startsWith("bad.yml:7: unknown modifier 'contians'"),
  );
  assert.throws(() => compileSigmaText('title: x\n  bad: [\n', 'p.yml'), (e: unknown) => isAitrailError(e, 'RULE_PARSE'));
  const ok = compileSigmaText(head + 'id: r1\ndetection:\n    s:\n        eventName: A\n    condition: s\nlevel: low\ntags: [a.b]\n');
  assert.equal(ok.id, 'r1');
  assert.equal(ok.level, 'low');
  assert.deepEqual(ok.tags, ['a.b']);
  assert.equal(ok.match({ eventName: 'a' }), true);
});

test('logsource filtering: CloudTrail applies, other sources are not applicable', () => {
  assert.deepEqual(cloudTrailApplies({ product: 'aws', service: 'cloudtrail' }), { applies: true });
  assert.deepEqual(cloudTrailApplies({ product: 'AWS' }), { applies: true });
  assert.deepEqual(cloudTrailApplies({ service: 'cloudtrail' }), { applies: true });
  assert.equal(cloudTrailApplies({ product: 'windows', service: 'security' }).applies, false);
  assert.equal(cloudTrailApplies({ product: 'aws', service: 's3' }).applies, false);
  assert.equal(cloudTrailApplies({ product: 'aws', category: 'process_creation' }).applies, false);
  const set = loadSigmaSources([
    { file: 'w.yml', text: 'title: Win\nlogsource:\n    product: windows\ndetection:\n    s:\n        EventID: 4624\n    condition: s\n' },
    { file: 'a.yml', text: head + 'detection:\n    s:\n        eventName: A\n    condition: s\n' },
  ]);
  assert.equal(set.rules.length, 1);
  assert.deepEqual(set.errors, []);
  assert.equal(set.notApplicable.length, 1);
  assert.equal(set.notApplicable[0]!.file, 'w.yml');
  assert.match(set.notApplicable[0]!.reason, /not AWS CloudTrail/);
});

test('requiredEventNames drives the index', () => {
  const rule = (det: string) => loadSigmaText(head + 'detection:\n' + det, 'r.yml').rules[0]!;
  assert.deepEqual(requiredEventNames(rule('    s:\n        eventName: [B, A]\n    condition: s\n')), ['a', 'b']);
  assert.equal(requiredEventNames(rule('    s:\n        eventName|startswith: A\n    condition: s\n')), null);
  assert.equal(requiredEventNames(rule('    s:\n        eventName: A\n    condition: not s\n')), null);
  assert.deepEqual(requiredEventNames(rule('    s:\n        eventName: A\n    f:\n        userAgent: x\n    condition: s and not f\n')), ['a']);
  assert.equal(requiredEventNames(rule('    s:\n        eventName: A\n    f:\n        userAgent: x\n    condition: s or f\n')), null);
  assert.deepEqual(requiredEventNames(rule('    a:\n        eventName: A\n    b:\n        eventName: B\n    condition: 1 of them\n')), ['a', 'b']);
  assert.deepEqual(requiredEventNames(rule('    a:\n        - eventName: A\n        - eventName: C\n    condition: a\n')), ['a', 'c']);
  assert.deepEqual(requiredValues(rule('    a:\n        eventSource: S\n    condition: a\n'), 'eventSource'), ['s']);
  // Prefixes: startswith values, the text before a wildcard, exact names; combined like the values.
  assert.deepEqual(requiredPrefixes(rule('    s:\n        eventName|startswith: [Create, Put]\n    condition: s\n'), 'eventName'), ['create', 'put']);
  assert.deepEqual(requiredPrefixes(rule('    s:\n        eventName: [Get*Policy, ListX]\n    condition: s\n'), 'eventName'), ['get', 'listx']);
  assert.deepEqual(requiredPrefixes(rule('    a:\n        eventName|startswith: Put\n    b:\n        eventName|startswith: [PutBucket, Get]\n    condition: a and b\n'), 'eventName'), ['putbucket']);
  assert.deepEqual(requiredPrefixes(rule('    a:\n        eventName|startswith: Put\n    b:\n        eventName: Delete\n    condition: a or b\n'), 'eventName'), ['delete', 'put']);
  assert.equal(requiredPrefixes(rule('    s:\n        eventName|startswith: Put\n    condition: not s\n'), 'eventName'), null);
  assert.equal(requiredPrefixes(rule('    s:\n        eventName|endswith: Put\n    condition: s\n'), 'eventName'), null);
  assert.equal(requiredPrefixes(rule('    s:\n        eventName: \'*Put\'\n    condition: s\n'), 'eventName'), null);
  assert.equal(requiredPrefixes(rule('    s:\n        eventName|startswith: Pút\n    condition: s\n'), 'eventName'), null);
  assert.deepEqual(requiredPrefixes(rule('    a:\n        eventName|startswith: Put\n    b:\n        eventName: Delete\n    condition: a and b\n'), 'eventName'), []);
  const c = compileRule(rule('    a:\n        eventSource: S\n    condition: a\n'));
  assert.equal(c.eventNames, null);
  assert.deepEqual(c.eventSources, ['s']);
});
