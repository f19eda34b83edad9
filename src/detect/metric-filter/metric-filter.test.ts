import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAitrailError } from '../../model/errors.js';
import {
  CIS_METRIC_FILTERS,
  SPACE_DELIMITED_NOT_APPLICABLE,
  cisControl,
  compileMetricFilter,
  explain,
  parseMetricFilter,
} from './index.js';

test('compileMetricFilter keeps the pattern, and match works detached from the object', () => {
  const f = compileMetricFilter('{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }');
  assert.equal(f.pattern, '{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }');
  const { match } = f;
  assert.equal(match({ eventSource: 'kms.amazonaws.com', eventName: 'ScheduleKeyDeletion' }), true);
  assert.equal(match({ eventSource: 'kms.amazonaws.com', eventName: 'Decrypt' }), false);
  assert.equal(match({ eventSource: 'ec2.amazonaws.com', eventName: 'DisableKey' }), false);
  assert.equal(String(f), '{ $.eventSource = "kms.amazonaws.com" && ($.eventName = "DisableKey" || $.eventName = "ScheduleKeyDeletion") }');
  assert.equal(f.explain(), String(f));
  assert.deepEqual(f.ast, parseMetricFilter(f.pattern));
});

test('the || set lookup keeps per-selector semantics and the remaining conditions', () => {
  const f = compileMetricFilter('{ $.a = X || $.a = Y || $.b = X || $.a = "Z*" || $.n = 7 || $.a = "400" }');
  assert.equal(f.match({ a: 'Y' }), true);
  assert.equal(f.match({ b: 'X' }), true);
  assert.equal(f.match({ b: 'Y' }), false);
  assert.equal(f.match({ a: 'Zed' }), true);
  assert.equal(f.match({ n: 7 }), true);
  assert.equal(f.match({ a: 400 }), true, 'a quoted value matches a number by its text');
  assert.equal(f.match({ a: ['X'] }), false, 'an array at the selector never matches');
  assert.equal(f.match({ a: { X: 1 } }), false);
  assert.equal(f.match({}), false);
});

test('selectors only see own properties of the record', () => {
  assert.equal(compileMetricFilter('{ $.constructor = * }').match({}), false);
  assert.equal(compileMetricFilter('{ $.toString NOT EXISTS }').match({}), true);
  assert.equal(compileMetricFilter('{ $.a.b.c.d = 1 }').match({ a: { b: { c: { d: 1 } } } }), true);
  assert.equal(compileMetricFilter('{ $.a.b.c.d = 1 }').match({ a: { b: Object.create({ c: { d: 1 } }) } }), false);
});

test('space-delimited patterns parse but do not compile for CloudTrail JSON', () => {
  const pattern = '[ip, user, username, timestamp, request =*.html*, status_code = 4*, bytes]';
  assert.equal(parseMetricFilter(pattern).kind, 'space');
  assert.equal(explain(pattern), '[ip, user, username, timestamp, request = "*.html*", status_code = "4*", bytes]');
  assert.throws(
    () => compileMetricFilter(pattern),
    (e: unknown) => isAitrailError(e, 'RULE_PARSE') && e.message === SPACE_DELIMITED_NOT_APPLICABLE,
  );
});

test('term patterns read the JSON text of the record', () => {
  const ev = { eventName: 'ConsoleLogin', errorMessage: 'Failed authentication', userAgent: 'Mozilla/5.0 (X11)' };
  assert.equal(compileMetricFilter('"Failed authentication"').match(ev), true);
  assert.equal(compileMetricFilter('"failed authentication"').match(ev), false);
  assert.equal(compileMetricFilter('ConsoleLogin -StopLogging').match(ev), true);
  assert.equal(compileMetricFilter('"Mozilla/5.0"').match(ev), true);
  assert.equal(compileMetricFilter('%Fail[a-z]+ auth%').match(ev), true);
  assert.equal(compileMetricFilter('?-ConsoleLogin ?nothing').match(ev), false);
  assert.equal(compileMetricFilter('?-StopLogging ?nothing').match(ev), true);
});

test('CIS controls: 4.1-4.15 with their CIS v1.2 and Security Hub ids', () => {
  assert.deepEqual(
    CIS_METRIC_FILTERS.map((c) => c.cis),
    ['4.1', '4.2', '4.3', '4.4', '4.5', '4.6', '4.7', '4.8', '4.9', '4.10', '4.11', '4.12', '4.13', '4.14', '4.15'],
  );
  assert.deepEqual(
    CIS_METRIC_FILTERS.map((c) => c.securityHub),
    ['CloudWatch.2', 'CloudWatch.3', 'CloudWatch.1', ...[4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map((n) => `CloudWatch.${n}`), null],
  );
  for (const [i, c] of CIS_METRIC_FILTERS.entries()) {
    assert.equal(c.cisV12, i < 14 ? `3.${i + 1}` : null);
    assert.ok(c.title.length > 0);
    assert.ok(c.variants.length >= 1);
    assert.equal(c.pattern, c.variants[0].pattern, `${c.cis}: pattern is the first variant`);
    assert.equal(new Set(c.variants.map((v) => v.id)).size, c.variants.length);
    for (const v of c.variants) compileMetricFilter(v.pattern);
  }
  assert.deepEqual(
    CIS_METRIC_FILTERS.filter((c) => c.variants.length > 1).map((c) => [c.cis, c.variants.map((v) => v.id)]),
    [
      ['4.1', ['sh-v1.2', 'cis-v3-v5', 'cis-v1.4-printed']],
      ['4.2', ['base', 'sh-excludes-sso']],
      ['4.3', ['cis', 'sh']],
      ['4.10', ['base', 'cis-v5']],
    ],
  );
  assert.equal(cisControl('CloudWatch.1')?.cis, '4.3');
  assert.equal(cisControl('3.7')?.cis, '4.7');
  assert.equal(cisControl('4.15')?.securityHub, null);
  assert.equal(cisControl('4.99'), undefined);
});

test('CIS patterns are stored verbatim (spot checks of the exact bytes)', () => {
  assert.equal(cisControl('4.1')?.variants[1].pattern,
    '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }');
  assert.equal(cisControl('4.3')?.variants[1].pattern,
    '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}');
  assert.ok(cisControl('4.10')?.variants[1].pattern.endsWith('|| ($.eventName = DeleteSecurityGroup) || ($.eventName = ModifySecurityGroupRules) }'));
  assert.ok(cisControl('4.4')?.pattern.startsWith('{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||'));
});

test('CIS 4.1: the v1.4 printed form matches nearly everything, the v3 form does not', () => {
  const c = cisControl('4.1');
  assert.ok(c);
  const [sh, v3, printed] = c.variants.map((v) => compileMetricFilter(v.pattern));
  const ordinary = { eventName: 'DescribeInstances', sourceIPAddress: '198.51.100.7' };
  assert.equal(sh.match(ordinary), false);
  assert.equal(v3.match(ordinary), false);
  assert.equal(printed.match(ordinary), true);
});
