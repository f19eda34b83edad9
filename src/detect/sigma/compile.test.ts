import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSigmaText, createMatcher, evaluate } from './index.js';
import { simplifyRegexForTest } from './compile.js';
import { ipInCidr, parseCidr, parseIpInto } from './ip.js';
import { closest, editDistance } from './suggest.js';

const rule = (det: string, id = 'r') =>
  compileSigmaText(`title: T\nid: ${id}\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n${det}`, `${id}.yml`);

test('regex trimming keeps yes/no semantics', () => {
  assert.equal(simplifyRegexForTest('.+:assumed-role/aws:.+'), '.:assumed-role/aws:.');
  assert.equal(simplifyRegexForTest('.*abc.*'), 'abc');
  assert.equal(simplifyRegexForTest('a\\.+'), 'a\\.+');
  assert.equal(simplifyRegexForTest('a\\\\.+'), 'a\\\\.');
  assert.equal(simplifyRegexForTest('^.+x'), '^.+x');
  assert.equal(simplifyRegexForTest('.+a|b'), '.+a|b');
  assert.equal(simplifyRegexForTest('(.)\\1.+'), '(.)\\1.+');
  const samples = ['arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1', ':assumed-role/aws:x', 'x:assumed-role/aws:', 'abc', '\nabc', 'a\nbc'];
  for (const src of ['.+:assumed-role/aws:.+', '.*abc.*', '.+b.+', '.*']) {
    for (const flags of ['', 's', 'm']) {
      const a = new RegExp(src, flags);
      const b = new RegExp(simplifyRegexForTest(src), flags);
      for (const s of samples) assert.equal(b.test(s), a.test(s), `${src}/${flags} on ${JSON.stringify(s)}`);
    }
  }
});

test('IP parsing and CIDR membership', () => {
  const g = new Uint16Array(8);
  assert.equal(parseIpInto('::', g), 6);
  assert.equal(parseIpInto('::1', g), 6);
  assert.equal(g[7], 1);
  assert.equal(parseIpInto('fe80::1%eth0', g), 6);
  assert.equal(parseIpInto('[2001:db8::1]', g), 6);
  assert.equal(parseIpInto('1:2:3:4:5:6:7:8', g), 6);
  assert.equal(parseIpInto('1:2:3:4:5:6:7:8:9', g), 0);
  assert.equal(parseIpInto('1::2::3', g), 0);
  assert.equal(parseIpInto('256.1.1.1', g), 0);
  assert.equal(parseIpInto('1.2.3', g), 0);
  assert.equal(parseIpInto('AWS Internal', g), 0);
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('2001:db8::/129'), undefined);
  const r = parseCidr('192.168.1.0/24')!;
  assert.equal(ipInCidr('192.168.1.254', r), true);
  assert.equal(ipInCidr('192.168.2.1', r), false);
  assert.equal(ipInCidr('::ffff:192.168.1.9', r), true);
  assert.equal(ipInCidr('10.0.0.1', parseCidr('0.0.0.0/0')!), true);
  assert.equal(ipInCidr('2001:db8::1', parseCidr('0.0.0.0/0')!), false);
  assert.equal(ipInCidr('2001:db8:ffff::1', parseCidr('2001:db8:f000::/36')!), true);
  assert.equal(ipInCidr('2001:db8:0fff::1', parseCidr('2001:db8:f000::/36')!), false);
  assert.equal(ipInCidr('10.1.2.3', parseCidr('10.1.2.3')!), true);
});

test('suggestions count a transposition as one edit and stay quiet for far-off words', () => {
  assert.equal(editDistance('contians', 'contains'), 1);
  assert.equal(closest('hihg', ['low', 'high']), 'high');
  assert.equal(closest('zzz', ['contains', 'all']), undefined);
});

test('index falls back to scanning when eventName is not a string', () => {
  const r = rule('    s:\n        eventName: CreateUser\n    condition: s\n');
  const idx = createMatcher([r]);
  assert.deepEqual(idx.matches({ eventName: ['Other', 'createuser'] }), [r]);
  assert.deepEqual(idx.matches({ eventName: 'CREATEUSER' }), [r]);
  assert.deepEqual(idx.matches({ eventName: 'Other' }), []);
  assert.deepEqual(idx.matches({}), []);
});

test('field names that exist on Object.prototype are read as own properties only', () => {
  const r = rule('    s:\n        constructor|exists: true\n    condition: s\n');
  assert.equal(r.match({ eventName: 'x' }), false);
  assert.equal(r.match(JSON.parse('{"constructor": "yes"}') as object), true);
  const nested = rule('    s:\n        a.toString: x\n    condition: s\n');
  assert.equal(nested.match({ a: {} }), false);
  assert.equal(nested.match({ a: { toString: 'x' } }), true);
});

test('explicit array indexes and arrays of objects in paths', () => {
  const r = rule("    s:\n        resources[1].ARN|endswith: ':b2'\n    condition: s\n");
  assert.equal(r.match({ resources: [{ ARN: 'arn:b1' }, { ARN: 'arn:b2' }] }), true);
  assert.equal(r.match({ resources: [{ ARN: 'arn:b2' }] }), false);
  const any = rule("    s:\n        resources.type: 'AWS::S3::Object'\n    condition: s\n");
  assert.equal(any.match({ resources: [{ type: 'AWS::S3::Bucket' }, { type: 'AWS::S3::Object' }] }), true);
  assert.equal(any.match({ resources: null }), false);
});

test('contains on an object also finds JSON fragments inside string members (e.g. IAM policy documents)', () => {
  const r = rule(
    "    s:\n        requestParameters|contains|all:\n            - '\"arn:aws:s3:::example-bucket/*\"'\n            - '\"s3:GetObject\"'\n            - '\"Allow\"'\n    condition: s\n",
  );
  const policy = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::example-bucket/*'] }] });
  assert.equal(r.match({ requestParameters: { userName: 'u', policyDocument: policy } }), true);
  assert.equal(r.match({ requestParameters: { userName: 'u', policyDocument: policy.replace('Allow', 'Deny') } }), false);
});

test('time modifiers read UTC date parts', () => {
  const r = (det: string) => rule(`    s:\n        ${det}\n    condition: s\n`);
  const ev = { eventTime: '2024-12-30T23:05:00Z' };
  assert.equal(r('eventTime|week: 1').match(ev), true, 'ISO week of 2024-12-30 is week 1 of 2025');
  assert.equal(r('eventTime|year: 2024').match(ev), true);
  assert.equal(r('eventTime|day: 30').match(ev), true);
  assert.equal(r('eventTime|minute|lt: 10').match(ev), true);
  assert.equal(r('eventTime|hour|gte: 22').match({ eventTime: 'not a date' }), false);
});

test('evaluate scans a plain array of rules', () => {
  const a = rule('    s:\n        eventName: A\n    condition: s\n', 'a');
  const b = rule('    s:\n        eventSource|endswith: .amazonaws.com\n    condition: s\n', 'b');
  assert.deepEqual(
    evaluate([a, b], { eventName: 'a', eventSource: 'iam.amazonaws.com' }).map((x) => x.id),
    ['a', 'b'],
  );
});
