import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Store } from '../src/store/db.js';
import { ingest } from '../src/ingest/index.js';
import { detect } from '../src/detect/run.js';
import { loadRules } from '../src/detect/rules.js';
import { runRuleTests } from '../src/detect/testing.js';
import { listFindings, getFinding, setFindingStatus, addSuppression } from '../src/store/findings.js';
import { record, tempDir, rmDir, writeRaw } from './helpers/fixtures.js';

const bin = fileURLToPath(new URL('../../bin/aitrail.js', import.meta.url));

const SIGMA = `title: Trail stopped
id: test.stop_logging
status: stable
description: CloudTrail logging was stopped.
tags: [attack.defense-evasion, attack.t1562.008]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName: StopLogging
  condition: selection
level: high
tests:
  - name: stop fires
    match: true
    event: {eventSource: cloudtrail.amazonaws.com, eventName: StopLogging}
  - name: start does not
    match: false
    event: {eventSource: cloudtrail.amazonaws.com, eventName: StartLogging}
`;

const METRIC = `title: Console sign-in without MFA (CIS 4.2)
id: test.cis_4_2
description: A console sign-in without MFA.
tags: [attack.t1078]
level: medium
pattern: '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'
tests:
  - name: no MFA fires
    match: true
    event: {eventName: ConsoleLogin, additionalEventData: {MFAUsed: "No"}}
  - name: MFA does not
    match: false
    event: {eventName: ConsoleLogin, additionalEventData: {MFAUsed: "Yes"}}
`;

const CORRELATION = `title: Denied Bedrock invocation
name: test.denied_invoke
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: [InvokeModel, Converse]
    errorCode: [AccessDenied, AccessDeniedException, ValidationException]
  condition: selection
---
title: Bedrock model probing across models
id: test.model_probing
description: One principal is denied on several models within ten minutes.
tags: [attack.t1526]
level: high
correlation:
  type: value_count
  rules: [test.denied_invoke]
  group-by: [userIdentity.arn]
  timespan: 10m
  condition:
    field: requestParameters.modelId
    gte: 3
generate: false
tests:
  - name: three models fire
    match: true
    events:
      - {eventTime: '2026-11-01T10:00:00Z', eventName: InvokeModel, errorCode: AccessDenied, userIdentity: {arn: a}, requestParameters: {modelId: m1}}
      - {eventTime: '2026-11-01T10:01:00Z', eventName: InvokeModel, errorCode: AccessDenied, userIdentity: {arn: a}, requestParameters: {modelId: m2}}
      - {eventTime: '2026-11-01T10:02:00Z', eventName: Converse, errorCode: ValidationException, userIdentity: {arn: a}, requestParameters: {modelId: m3}}
  - name: the same model thrice does not
    match: false
    events:
      - {eventTime: '2026-11-01T10:00:00Z', eventName: InvokeModel, errorCode: AccessDenied, userIdentity: {arn: a}, requestParameters: {modelId: m1}}
      - {eventTime: '2026-11-01T10:01:00Z', eventName: InvokeModel, errorCode: AccessDenied, userIdentity: {arn: a}, requestParameters: {modelId: m1}}
      - {eventTime: '2026-11-01T10:02:00Z', eventName: InvokeModel, errorCode: AccessDenied, userIdentity: {arn: a}, requestParameters: {modelId: m1}}
`;

const BROKEN = `title: Broken
id: test.broken
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    userAgent|contians: curl
  condition: selection
level: low
`;

const mallory = { type: 'IAMUser', principalId: 'AIDAMALLORY', arn: 'arn:aws:iam::111122223333:user/mallory', accountId: '111122223333', userName: 'mallory', accessKeyId: 'AKIAMALLORY' };
const at = (m: number) => new Date(Date.UTC(2026, 10, 1, 10, m)).toISOString().replace('.000', '');

function events() {
  return [
    record({ eventID: 'stop-1', eventTime: at(0), eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', readOnly: false }),
    record({ eventID: 'login-1', eventTime: at(1), eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', eventType: 'AwsConsoleSignIn', additionalEventData: { MFAUsed: 'No' }, userIdentity: mallory }),
    record({ eventID: 'login-2', eventTime: at(2), eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', eventType: 'AwsConsoleSignIn', additionalEventData: { MFAUsed: 'Yes' }, userIdentity: mallory }),
    ...['m1', 'm2', 'm3'].map((m, i) =>
      record({ eventID: `deny-${m}`, eventTime: at(10 + i), eventName: 'InvokeModel', errorCode: 'AccessDenied', userIdentity: mallory, requestParameters: { modelId: m } }),
    ),
    record({ eventID: 'deny-other', eventTime: at(40), eventName: 'InvokeModel', errorCode: 'AccessDenied', requestParameters: { modelId: 'm9' } }),
  ];
}

test('rules load from directories; a broken rule is reported with file and line and the rest still load', async () => {
  const dir = tempDir();
  try {
    writeRaw(dir, 'rules/a.yml', SIGMA);
    writeRaw(dir, 'rules/b.yml', METRIC);
    writeRaw(dir, 'rules/sub/c.yml', CORRELATION);
    writeRaw(dir, 'rules/broken.yml', BROKEN);
    writeRaw(dir, 'rules/badpattern.yml', METRIC.replace('id: test.cis_4_2', 'id: test.bad').replace('($.eventName = "ConsoleLogin")', '($.eventName = )'));
    const set = await loadRules({ dirs: [`${dir}/rules`] });
    const ids = set.rules.map((r) => r.id).sort();
    assert.deepEqual(ids, ['test.cis_4_2', 'test.denied_invoke', 'test.model_probing', 'test.stop_logging']);
    assert.equal(set.errors.length, 2);
    const msgs = set.errors.map((e) => `${e.file.split('/').pop()}:${e.line}: ${e.message}`).join('\n');
    assert.match(msgs, /broken\.yml:6: .*unknown modifier 'contians'.*did you mean 'contains'/);
    assert.match(msgs, /badpattern\.yml:6: invalid metric-filter pattern: .*column/);
    const results = runRuleTests(set);
    assert.equal(results.length, 6);
    assert.ok(results.every((r) => r.passed), JSON.stringify(results.filter((r) => !r.passed)));
    const kinds = Object.fromEntries(set.rules.map((r) => [r.id, r.kind]));
    assert.deepEqual(kinds, { 'test.stop_logging': 'sigma', 'test.cis_4_2': 'metric-filter', 'test.denied_invoke': 'sigma', 'test.model_probing': 'correlation' });
  } finally {
    rmDir(dir);
  }
});

test('detect writes findings; reruns add nothing; new events extend; resolved findings stay resolved; suppressions apply', async () => {
  const dir = tempDir();
  const store = await Store.open({ dataDir: `${dir}/data` });
  try {
    writeRaw(dir, 'rules/a.yml', SIGMA);
    writeRaw(dir, 'rules/b.yml', METRIC);
    writeRaw(dir, 'rules/c.yml', CORRELATION);
    writeRaw(dir, 'logs/1.json', JSON.stringify({ Records: events() }));
    await ingest(store, [`${dir}/logs`]);
    const opts = { rulesDirs: [`${dir}/rules`], builtin: false };
    const first = await detect(store, opts);
    assert.equal(first.events, 7);
    assert.equal(first.findingsCreated, 3);
    const { findings } = await listFindings(store);
    const byRule = Object.fromEntries(findings.map((f) => [f.ruleId, f]));
    assert.deepEqual(Object.keys(byRule).sort(), ['test.cis_4_2', 'test.model_probing', 'test.stop_logging']);
    assert.equal(byRule['test.cis_4_2']!.principal, 'arn:aws:iam::111122223333:user/mallory');
    assert.equal(byRule['test.stop_logging']!.severity, 'high');
    assert.deepEqual(byRule['test.stop_logging']!.attack, ['T1562.008']);
    const probing = (await getFinding(store, byRule['test.model_probing']!.findingId))!;
    assert.deepEqual([...probing.eventIds].sort(), ['deny-m1', 'deny-m2', 'deny-m3']);
    assert.equal(probing.principal, 'arn:aws:iam::111122223333:user/mallory');
    assert.equal(probing.firstEventTime, '2026-11-01T10:10:00.000Z');
    assert.equal(probing.lastEventTime, '2026-11-01T10:12:00.000Z');
    assert.equal(probing.status, 'open');

    // Rerun: nothing new.
    const again = await detect(store, opts);
    assert.equal(again.findingsCreated, 0);
    assert.equal(again.findingsExtended, 0);
    assert.equal((await listFindings(store)).total, 3);

    // A new no-MFA login by the same principal extends the open finding.
    writeRaw(dir, 'logs/2.json', JSON.stringify({ Records: [record({ eventID: 'login-3', eventTime: at(50), eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', additionalEventData: { MFAUsed: 'No' }, userIdentity: mallory })] }));
    await ingest(store, [`${dir}/logs`]);
    const third = await detect(store, opts);
    assert.equal(third.findingsExtended, 1);
    const login = (await getFinding(store, byRule['test.cis_4_2']!.findingId))!;
    assert.equal(login.eventCount, 2);
    assert.deepEqual([...login.eventIds].sort(), ['login-1', 'login-3']);

    // Resolve the StopLogging finding: a rerun does not reopen it; a new StopLogging starts a new finding.
    await setFindingStatus(store, byRule['test.stop_logging']!.findingId, 'resolved', 'alice', 'planned maintenance');
    assert.equal((await detect(store, opts)).findingsCreated, 0);
    writeRaw(dir, 'logs/3.json', JSON.stringify({ Records: [record({ eventID: 'stop-2', eventTime: at(55), eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' })] }));
    await ingest(store, [`${dir}/logs`]);
    assert.equal((await detect(store, opts)).findingsCreated, 1);
    const stops = (await listFindings(store, { ruleId: 'test.stop_logging' })).findings;
    assert.deepEqual(stops.map((f) => f.status).sort(), ['open', 'resolved']);

    // Suppress the no-MFA rule for mallory: the open finding is suppressed, and so is a new one after resolution.
    const sup = await addSuppression(store, { ruleId: 'test.cis_4_2', principal: 'arn:aws:iam::111122223333:user/mallory', reason: 'break-glass user', expiresAt: new Date(Date.now() + 86_400_000) });
    assert.equal(sup.suppressedFindings, 1);
    assert.equal((await getFinding(store, login.findingId))!.status, 'suppressed');
    await assert.rejects(addSuppression(store, { ruleId: 'test.stop_logging', expiresAt: new Date(Date.now() - 1000) }), { code: 'USAGE' });
    const stopSup = await addSuppression(store, { ruleId: 'test.stop_logging', reason: 'maintenance window', expiresAt: new Date(Date.now() + 3_600_000) });
    assert.equal(stopSup.suppressedFindings, 1);
    const suppressedStop = (await listFindings(store, { ruleId: 'test.stop_logging', status: ['suppressed'] })).findings[0]!;
    await setFindingStatus(store, suppressedStop.findingId, 'resolved', 'alice', null);
    writeRaw(dir, 'logs/4.json', JSON.stringify({ Records: [record({ eventID: 'stop-3', eventTime: at(58), eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' })] }));
    await ingest(store, [`${dir}/logs`]);
    await detect(store, { ...opts, now: new Date(Date.now() + 2 * 3_600_000) });
    const open = (await listFindings(store, { ruleId: 'test.stop_logging', status: ['open'] })).findings;
    assert.equal(open.length, 1, 'an expired suppression no longer applies');
  } finally {
    await store.close();
    rmDir(dir);
  }
});

test('CLI: detect, findings list/ack, rules validate and test with exit codes', () => {
  const dir = tempDir();
  try {
    writeRaw(dir, 'rules/a.yml', SIGMA);
    writeRaw(dir, 'logs/1.json', JSON.stringify({ Records: events() }));
    const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args, '--data-dir', `${dir}/data`], { encoding: 'utf8' });
    assert.equal(run(['ingest', `${dir}/logs`]).status, 0);
    const d = run(['detect', '--rules', `${dir}/rules`, '--no-builtin']);
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stdout, /findings: 1 new, 0 extended/);
    const list = JSON.parse(run(['findings', 'list', '--output', 'json']).stdout);
    assert.equal(list.total, 1);
    const id = list.findings[0].findingId;
    assert.match(run(['findings', 'ack', id, '--by', 'bob']).stdout, /acknowledged/);
    const shown = JSON.parse(run(['findings', 'show', id]).stdout);
    assert.equal(shown.status, 'acknowledged');
    assert.equal(shown.statusBy, 'bob');
    assert.deepEqual(shown.eventIds, ['stop-1']);
    writeRaw(dir, 'rules/broken.yml', BROKEN);
    const v = run(['rules', 'validate', '--rules', `${dir}/rules`, '--no-builtin']);
    assert.equal(v.status, 1);
    assert.match(v.stderr, /broken\.yml:6: .*contians/);
    writeRaw(dir, 'rules2/a.yml', SIGMA.replace('match: false', 'match: true'));
    const t = run(['rules', 'test', '--rules', `${dir}/rules2`, '--no-builtin']);
    assert.equal(t.status, 1);
    assert.match(t.stderr, /FAIL test\.stop_logging .*"start does not": expected match, got no match/);
    assert.match(t.stdout, /1 passed, 1 failed/);
  } finally {
    rmDir(dir);
  }
});
