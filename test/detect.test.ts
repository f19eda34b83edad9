import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot, Store } from '../src/store/db.js';
import { ingest } from '../src/ingest/index.js';
import { detect } from '../src/detect/run.js';
import { loadRules } from '../src/detect/rules.js';
import { runRuleTests } from '../src/detect/testing.js';
import { listFindings, getFinding, setFindingStatus, addSuppression } from '../src/store/findings.js';
import { getEvent, lookupEvents } from '../src/store/events.js';
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

/** Runs `fn` on a fresh store in a fresh folder, and removes both. */
async function withStore(fn: (store: Store, dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const store = await Store.open({ dataDir: `${dir}/data` });
  try {
    await fn(store, dir);
  } finally {
    await store.close();
    rmDir(dir);
  }
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
  await withStore(async (store, dir) => {
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
  });
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

/**
 * A rule on eventNames whose lower case differs between JavaScript and DuckDB ('ΑΣ' folds to
 * 'ας' / 'ασ', 'İX' to 'i̇x' / 'ix'), and events it should match (x = 'y') or not.
 */
const foldRule = (id: string) => `title: Exotic case folding
id: ${id}
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: ['ΑΣ', 'İX']
    requestParameters.x: 'y'
  condition: selection
level: low
`;
const foldEvent = (eventTime: string, eventName: string, x = 'y') =>
  record({ eventTime, eventSource: 'example.amazonaws.com', eventName, requestParameters: { x } });

/** Rules reading members beyond the typed columns: null versus absent, arrays, array indexes, keywords. */
const EDGE_RULES = `title: Layer attached from another account
id: test.edge.layers
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: lambda.amazonaws.com
    requestParameters.layers|contains: ':444455556666:'
  condition: selection
level: low
---
title: Bucket policy cleared
id: test.edge.policy_null
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: PutBucketPolicy
    requestParameters.bucketPolicy: null
  condition: selection
level: low
---
title: Sign-in data without MFA field
id: test.edge.mfa_absent
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: ConsoleLogin
  filter:
    additionalEventData.MFAUsed|exists: true
  condition: selection and not filter
level: low
---
title: Keyword search
id: test.edge.keyword
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: [iam.amazonaws.com, sts.amazonaws.com]
  keywords: ['*evil-corp*']
  condition: selection and keywords
level: low
---
${foldRule('test.edge.case_folding')}---
title: Console session invoking a model
name: test.edge.console_invoke
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: bedrock.amazonaws.com
    sessionCredentialFromConsole: 'true'
  condition: selection
level: low
---
title: Many models from console sessions
id: test.edge.console_models
level: low
correlation:
  type: value_count
  rules: [test.edge.console_invoke]
  group-by: [tlsDetails.clientProvidedHostHeader]
  timespan: 1h
  condition:
    field: requestParameters.modelId
    gte: 2
---
title: Bucket policy calls by name prefix
id: test.edge.prefix
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName|startswith: PutBucketP
    requestParameters.bucketName: b
  condition: selection
level: low
---
title: Bucket policy written
name: test.edge.policy_put
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: PutBucketPolicy
  condition: selection
level: low
---
title: Bucket policies written through one host
id: test.edge.policy_hosts
level: low
correlation:
  type: event_count
  rules: [test.edge.policy_put]
  group-by: [tlsDetails.clientProvidedHostHeader]
  timespan: 1h
  condition:
    gte: 2
`;

/** Metric-filter rules over members: one file each. */
const EDGE_METRIC = [
  `title: First resource is a role
id: test.edge.resource0
level: low
pattern: '{ $.resources[0].type = "AWS::IAM::Role" }'
`,
  `title: Policy member is null
id: test.edge.metric_null
level: low
pattern: '{ ($.eventName = "PutBucketPolicy") && ($.requestParameters.bucketPolicy IS NULL) }'
`,
  `title: Sign-in data is null
id: test.edge.top_null
level: low
pattern: '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData IS NULL) }'
`,
  `title: Error code is null
id: test.edge.typed_null
level: low
pattern: '{ ($.eventName = "ListRoles") && ($.errorCode IS NULL) }'
`,
  `title: Policy member absent
id: test.edge.metric_absent
level: low
pattern: '{ ($.eventName = "PutBucketPolicy") && ($.requestParameters.bucketPolicy NOT EXISTS) }'
`,
  // Rules on typed columns only, evaluated once per distinct combination of values.
  `title: Users listed
id: test.edge.values_list_users
level: low
pattern: '{ ($.eventName = "ListUsers") && ($.userIdentity.type = "AssumedRole") }'
`,
  `title: Exotic names on values
id: test.edge.values_fold
level: low
pattern: '{ ($.eventName = "ΑΣ") || ($.eventName = "İX") || ($.eventName = "ας") }'
`,
  `title: Every STS call, one value combination per event
id: test.edge.values_per_event
level: low
pattern: '{ ($.eventSource = "sts.amazonaws.com") && ($.eventID = "*") }'
`,
  `title: Event type absent
id: test.edge.values_no_type
level: low
pattern: '{ ($.eventSource = "ds.amazonaws.com") && ($.eventType NOT EXISTS) }'
`,
];

function edgeEvents() {
  const t = (m: number) => new Date(Date.UTC(2026, 4, 30, 12, m)).toISOString().replace('.000', '');
  const console = (m: number, model: string, host: string) =>
    record({ eventTime: t(m), eventSource: 'bedrock.amazonaws.com', eventName: 'InvokeModel', sessionCredentialFromConsole: 'true', requestParameters: { modelId: model }, tlsDetails: { clientProvidedHostHeader: host } });
  return [
    record({ eventTime: t(1), eventSource: 'lambda.amazonaws.com', eventName: 'UpdateFunctionConfiguration20150331v2', requestParameters: { functionName: 'f', layers: ['arn:aws:lambda:us-east-1:444455556666:layer:x:1'] } }),
    record({ eventTime: t(2), eventSource: 'lambda.amazonaws.com', eventName: 'UpdateFunctionConfiguration20150331v2', requestParameters: { functionName: 'f', layers: [] } }),
    record({ eventTime: t(3), eventSource: 's3.amazonaws.com', eventName: 'PutBucketPolicy', requestParameters: { bucketName: 'b', bucketPolicy: null }, tlsDetails: { clientProvidedHostHeader: 'b.s3.amazonaws.com' } }),
    record({ eventTime: t(4), eventSource: 's3.amazonaws.com', eventName: 'PutBucketPolicy', requestParameters: { bucketName: 'b' }, tlsDetails: { clientProvidedHostHeader: 'b.s3.amazonaws.com' } }),
    record({ eventTime: t(5), eventSource: 's3.amazonaws.com', eventName: 'PutBucketPolicy', requestParameters: null }),
    record({ eventTime: t(6), eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', additionalEventData: { LoginTo: 'x' } }),
    record({ eventTime: t(7), eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', additionalEventData: { MFAUsed: null } }),
    record({ eventTime: t(8), eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin' }),
    record({ eventTime: t(8), eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', additionalEventData: null }),
    record({ eventTime: t(9), eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', resources: [{ type: 'AWS::IAM::Role', ARN: 'arn:aws:iam::1:role/r' }, { type: 'AWS::KMS::Key', ARN: 'k' }] }),
    record({ eventTime: t(10), eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', userAgent: 'evil-corp-scanner/1.0' }),
    record({ eventTime: t(11), eventSource: 'iam.amazonaws.com', eventName: 'ListUsers', readOnly: 'yes', requestParameters: { note: 'evil-corp' } }),
    // Typed fields holding null: a metric filter's IS NULL and NOT EXISTS tell null from absent (CIS 4.3 reads invokedBy).
    record({ eventTime: t(14), eventSource: 'ds.amazonaws.com', eventName: 'ListRoles', errorCode: null }),
    record({ eventTime: t(15), eventSource: 'ds.amazonaws.com', eventName: 'ListRoles' }),
    record({ eventTime: t(16), eventSource: 'ds.amazonaws.com', eventName: 'ListRoles', userIdentity: { type: 'Root', principalId: '111122223333', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333', invokedBy: null } }),
    console(20, 'm1', 'bedrock.us-east-1.amazonaws.com'),
    console(21, 'm2', 'bedrock.us-east-1.amazonaws.com'),
    console(22, 'm3', 'bedrock.eu-west-1.amazonaws.com'),
    foldEvent(t(12), 'ΑΣ'),
    foldEvent(t(13), 'İX'),
    // One group of a rule evaluated on values, matched by a plain row and by an odd one (readOnly 'yes' above).
    record({ eventTime: t(17), eventSource: 'iam.amazonaws.com', eventName: 'ListUsers', awsRegion: 'eu-west-1' }),
    record({ eventTime: t(18), eventSource: 'iam.amazonaws.com', eventName: 'ListUsers', readOnly: 'yes', awsRegion: 'eu-west-2' }),
    // No eventType: neither odd nor plain would lose it.
    { ...record({ eventTime: t(19), eventSource: 'ds.amazonaws.com', eventName: 'DescribeDirectories' }), eventType: undefined },
    record({ eventTime: t(30), eventSource: 'bedrock.amazonaws.com', eventName: 'InvokeModel', sessionCredentialFromConsole: 'false', requestParameters: { modelId: 'm4' } }),
  ];
}

async function findingSet(store: Store): Promise<string[]> {
  const rows = await store.all(`SELECT ruleId, dedupKey, eventIds FROM findings`);
  return rows.map((r) => `${String(r.ruleId)} ${String(r.dedupKey)} ${[...(r.eventIds as string[])].sort().join(',')}`).sort();
}

/** Everything a finding says about its events, apart from when it was written. */
async function findingDetails(store: Store): Promise<string[]> {
  const rows = await store.all(`SELECT findingId, ruleId, title, severity, attack, principal, accountId, region, firstEventTime, lastEventTime,
    eventCount, eventIds, status, dedupKey, groupKey FROM findings ORDER BY findingId`);
  return rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
}

test('rules on typed columns and extracted record members find exactly what they find on whole records', async () => {
  const dir = tempDir();
  const { generateDemo } = await import('../src/demo/generate.js');
  const stores: Store[] = [];
  try {
    await generateDemo({ outDir: `${dir}/logs`, events: 3000, days: 2, seed: 7, endTime: new Date('2026-06-01T00:00:00Z') });
    writeRaw(dir, 'logs/edge.json', JSON.stringify({ Records: edgeEvents() }));
    writeRaw(dir, 'rules/edge.yml', EDGE_RULES);
    EDGE_METRIC.forEach((m, i) => writeRaw(dir, `rules/edge-metric-${i}.yml`, m));
    const summaries = [];
    // Rules on typed columns go on values whatever their candidate count (valuesMinRows 0), and
    // by default (here, with few events, none do); the reference reads whole records only.
    const modes = [{ valuesMinRows: 0 }, { wholeRecords: true }, {}];
    for (const [i, mode] of modes.entries()) {
      const store = await Store.open({ dataDir: `${dir}/data-${i}` });
      stores.push(store);
      await ingest(store, [`${dir}/logs`]);
      summaries.push(await detect(store, { rulesDirs: [`${dir}/rules`], ...mode, now: new Date('2026-06-02T00:00:00Z') }));
    }
    const [fast, whole, byDefault] = summaries as [Awaited<ReturnType<typeof detect>>, Awaited<ReturnType<typeof detect>>, Awaited<ReturnType<typeof detect>>];
    assert.equal(byDefault.rulesOnValues, 0);
    assert.equal(byDefault.matches, whole.matches);
    assert.deepEqual(await findingDetails(stores[2]!), await findingDetails(stores[1]!));
    assert.deepEqual(fast.loadErrors, []);
    // The fast run read members for many events and whole records for few; the reference run read whole records only.
    assert.ok(fast.partialRecordsParsed > 100, `partial ${fast.partialRecordsParsed}`);
    assert.ok(fast.fullRecordsParsed < whole.fullRecordsParsed, `${fast.fullRecordsParsed} < ${whole.fullRecordsParsed}`);
    assert.equal(whole.partialRecordsParsed, 0);
    assert.equal(fast.matches, whole.matches);
    assert.equal(fast.correlationMatches, whole.correlationMatches);
    const a = await findingSet(stores[0]!);
    const b = await findingSet(stores[1]!);
    assert.deepEqual(a, b);
    assert.deepEqual(await findingDetails(stores[0]!), await findingDetails(stores[1]!));
    // Every single-event rule, run naively on every stored record (no candidate selection, no
    // typed columns, no value combinations), matches exactly the events the findings hold.
    const set = await loadRules({ builtinDir: join(packageRoot(), 'rules'), dirs: [`${dir}/rules`] });
    const single = set.rules.filter((r) => r.match && r.standalone);
    const naive: string[] = [];
    for (const row of await stores[1]!.all('SELECT eventId, record FROM events')) {
      const rec = JSON.parse(String(row.record)) as object;
      for (const r of single) if (r.match!(rec)) naive.push(`${r.id} ${String(row.eventId ?? '')}`);
    }
    const correlationIds = new Set(set.rules.filter((r) => r.kind === 'correlation').map((r) => r.id));
    const held = a.filter((l) => !correlationIds.has(l.split(' ')[0]!)).flatMap((l) => {
      const [rule, , ids] = l.split(' ');
      return ids!.split(',').map((id) => `${rule} ${id}`);
    });
    assert.ok(naive.length > 100, `naive matches ${naive.length}`);
    assert.deepEqual(held.sort(), naive.sort());
    // Rules on typed columns ran once per distinct combination of values, far fewer than the events.
    assert.ok(fast.rulesOnValues > 10, `rules on values ${fast.rulesOnValues}`);
    assert.ok(fast.valueCombinations > 0 && fast.valueCombinations < fast.events, `${fast.valueCombinations} combinations for ${fast.events} events`);
    assert.equal(whole.rulesOnValues, 0);
    // The edge rules found what they should, so the comparison covers them.
    const rules = new Set(a.map((l) => l.split(' ')[0]));
    for (const id of ['test.edge.layers', 'test.edge.policy_null', 'test.edge.mfa_absent', 'test.edge.keyword', 'test.edge.console_models', 'test.edge.resource0', 'test.edge.metric_null', 'test.edge.top_null', 'test.edge.typed_null', 'test.edge.metric_absent']) {
      assert.ok(rules.has(id), `${id} has a finding`);
    }
    const ids = (rule: string) => a.filter((l) => l.startsWith(rule + ' ')).flatMap((l) => l.split(' ').pop()!.split(',')).length;
    assert.equal(ids('test.edge.metric_null'), 1);
    // eventName|startswith picks candidates by prefix; a correlation on a member no typed column holds.
    assert.equal(ids('test.edge.prefix'), 2);
    assert.equal(ids('test.edge.policy_hosts'), 2);
    assert.equal(ids('test.edge.metric_absent'), 2);
    // '|exists' asks whether the key is there: a member that is present with a null value exists.
    assert.equal(ids('test.edge.mfa_absent'), 3);
    assert.equal(ids('test.edge.top_null'), 1);
    assert.equal(ids('test.edge.case_folding'), 2);
    // A plain and an odd row in one group: one finding with both, its region that of the earlier event.
    const listUsers = (await stores[0]!.all(`SELECT eventCount, region FROM findings WHERE ruleId = 'test.edge.values_list_users' AND principal = 'arn:aws:sts::111122223333:assumed-role/DataScientist/alice'`)).map((r) => [Number(r.eventCount), r.region]);
    assert.deepEqual(listUsers, [[3, 'us-east-1']]);
    // 'ΑΣ' and 'İX' as written, and 'ας' (JavaScript's lower case of 'ΑΣ' is 'ας', DuckDB's 'ασ'): the exotic names reach JavaScript's matcher.
    assert.equal(ids('test.edge.values_fold'), 2);
    assert.equal(ids('test.edge.values_no_type'), 1);
    assert.ok(ids('test.edge.values_per_event') > 10, `per-event combinations ${ids('test.edge.values_per_event')}`);
    // errorCode present and null: IS NULL matches that event only, not the one without errorCode.
    assert.equal(ids('test.edge.typed_null'), 1);
  } finally {
    for (const s of stores) await s.close();
    rmDir(dir);
  }
});

test('an event whose name DuckDB and JavaScript fold to different lower cases still gets the record its rules read', async () => {
  await withStore(async (store, dir) => {
    writeRaw(dir, 'rules/fold.yml', foldRule('test.fold'));
    const t = (m: number) => new Date(Date.UTC(2026, 4, 30, 12, m)).toISOString().replace('.000', '');
    writeRaw(dir, 'logs/1.json', JSON.stringify({ Records: [foldEvent(t(1), 'ΑΣ'), foldEvent(t(2), 'İX'), foldEvent(t(3), 'ΑΣ', 'z')] }));
    await ingest(store, [`${dir}/logs`]);
    const s = await detect(store, { rulesDirs: [`${dir}/rules`], builtin: false });
    // DuckDB folds 'ΑΣ' to 'ασ' and 'İX' to 'ix', JavaScript to 'ας' and 'i̇x': the rows the SQL side
    // did not pick are read whole before the rule runs.
    assert.equal(s.fullRecordsParsed, 3);
    assert.equal(s.matches, 2);
  });
});

/** Correlations whose base rules are read only in hot regions (see src/detect/hot.ts). */
const HOT_RULES = `title: Call
name: test.hot.call
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: example.amazonaws.com
    eventName: Call
  condition: selection
level: low
---
title: Denied call
name: test.hot.denied
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: example.amazonaws.com
    eventName: Call
    errorCode: AccessDenied
  condition: selection
level: low
---
title: List
name: test.hot.list
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName|startswith: List
  condition: selection
level: low
---
title: Three calls in ten minutes
id: test.hot.burst
level: low
correlation:
  type: event_count
  rules: [test.hot.call]
  group-by: [userIdentity.arn]
  timespan: 10m
  condition: {gte: 3}
---
title: Calls from two regions
id: test.hot.regions
level: low
correlation:
  type: value_count
  rules: [test.hot.call]
  group-by: [userIdentity.arn]
  timespan: 10m
  condition: {field: awsRegion, gte: 2}
---
title: Three denied calls on one bucket
id: test.hot.denied_bucket
level: low
correlation:
  type: event_count
  rules: [test.hot.denied]
  group-by: [userIdentity.arn, requestParameters.bucket]
  timespan: 10m
  condition: {gte: 3}
---
title: List then call
id: test.hot.list_then_call
level: low
correlation:
  type: temporal_ordered
  rules: [test.hot.list, test.hot.call]
  group-by: [userIdentity.arn]
  timespan: 10m
`;

test('correlations read only in hot regions find exactly what they find over every event', async () => {
  const dir = tempDir();
  const stores: Store[] = [];
  try {
    // Buckets are 10 minutes long from 12:00; times in minutes (fractions allowed).
    const t = (m: number) => new Date(Date.UTC(2026, 4, 30, 12, 0, 0) + Math.round(m * 60_000)).toISOString();
    const who = (name: string) => ({ type: 'AssumedRole', arn: `arn:aws:sts::111122223333:assumed-role/R/${name}`, accountId: '111122223333', principalId: `AROAX:${name}` });
    const call = (m: number, name: string, over: Record<string, unknown> = {}) =>
      record({ eventTime: t(m), eventSource: 'example.amazonaws.com', eventName: 'Call', userIdentity: who(name), ...over });
    const events = [
      // A burst across a bucket boundary (9.5, 11, 12): the window ending at 12 reaches back into the first bucket.
      call(9.5, 'burst'), call(11, 'burst'), call(12, 'burst'),
      // Three calls spread over 25 minutes: never three in a window.
      call(1, 'slow'), call(12, 'slow'), call(26, 'slow'),
      // Two regions within ten minutes, and two calls 30 minutes apart from different regions.
      call(41, 'regions', { awsRegion: 'eu-west-1' }), call(47, 'regions', { awsRegion: 'us-west-2' }),
      call(60, 'far', { awsRegion: 'eu-west-1' }), call(90, 'far', { awsRegion: 'us-west-2' }),
      // A burst again after the group reset: 5 calls, the first three fire, the next two do not.
      ...[100, 101, 102, 103, 104].map((m) => call(m, 'twice')),
      // Denied calls on one bucket (the group-by member has no typed column) and on two.
      ...[120, 121, 122].map((m) => call(m, 'denied', { errorCode: 'AccessDenied', requestParameters: { bucket: 'b1' } })),
      ...[130, 131].map((m) => call(m, 'denied2', { errorCode: 'AccessDenied', requestParameters: { bucket: 'b1' } })),
      call(132, 'denied2', { errorCode: 'AccessDenied', requestParameters: { bucket: 'b2' } }),
      // List then call, and call then list.
      record({ eventTime: t(150), eventSource: 'example.amazonaws.com', eventName: 'ListThings', userIdentity: who('ordered') }),
      call(155, 'ordered'),
      call(170, 'reversed'),
      record({ eventTime: t(171), eventSource: 'example.amazonaws.com', eventName: 'ListThings', userIdentity: who('reversed') }),
      // Two plain calls and an odd one (readOnly "yes"): odd rows count for every group, so the plain ones are read.
      call(200, 'odd'), call(201, 'odd'), call(202, 'odd', { readOnly: 'yes' }),
      // Many lone calls, none in a hot region.
      ...Array.from({ length: 40 }, (_, i) => call(300 + i * 30, `lone${i}`)),
    ];
    writeRaw(dir, 'logs/1.json', JSON.stringify({ Records: events }));
    writeRaw(dir, 'rules/hot.yml', HOT_RULES);
    const summaries = [];
    for (const wholeRecords of [false, true]) {
      const store = await Store.open({ dataDir: `${dir}/data-${wholeRecords}` });
      stores.push(store);
      await ingest(store, [`${dir}/logs`]);
      summaries.push(await detect(store, { rulesDirs: [`${dir}/rules`], builtin: false, wholeRecords, now: new Date('2026-06-02T00:00:00Z') }));
    }
    const [fast, whole] = summaries as [Awaited<ReturnType<typeof detect>>, Awaited<ReturnType<typeof detect>>];
    assert.equal(fast.rulesOnHotRows, 3);
    assert.equal(whole.rulesOnHotRows, 0);
    // The lone calls (and the slow ones) were not read for the correlations.
    const calls = events.filter((e) => e.eventName === 'Call').length;
    assert.ok(fast.hotRows > 0 && fast.hotRows < calls - 40, `${fast.hotRows} hot rows of ${calls} calls`);
    assert.deepEqual(await findingDetails(stores[0]!), await findingDetails(stores[1]!));
    const found = (await stores[0]!.all(`SELECT ruleId, principal, eventCount FROM findings ORDER BY ruleId, principal`)).map((r) => `${String(r.ruleId)} ${String(r.principal).split('/').pop()} ${Number(r.eventCount)}`);
    assert.deepEqual(found, [
      'test.hot.burst burst 3',
      'test.hot.burst denied 3',
      'test.hot.burst denied2 3',
      'test.hot.burst odd 3',
      'test.hot.burst twice 3',
      'test.hot.denied_bucket denied 3',
      'test.hot.list_then_call ordered 2',
      'test.hot.regions regions 2',
    ]);
  } finally {
    for (const s of stores) await s.close();
    rmDir(dir);
  }
});

test('a minute busier than a window is read in windows of seconds, and finds what one window finds', async () => {
  const dir = tempDir();
  const stores: Store[] = [];
  try {
    // 240 calls in one minute (4 a second, several principals), then a few in the next minutes.
    const at = (s: number) => new Date(Date.UTC(2026, 4, 30, 12, 0, 0) + s * 1000).toISOString().replace('.000', '');
    const who = (name: string) => ({ type: 'AssumedRole', arn: `arn:aws:sts::111122223333:assumed-role/R/${name}`, accountId: '111122223333', principalId: `AROAX:${name}` });
    const events = [
      ...Array.from({ length: 240 }, (_, i) => record({ eventTime: at(Math.floor(i / 4)), eventSource: 'example.amazonaws.com', eventName: 'Call', userIdentity: who(`p${i % 7}`) })),
      ...[70, 130, 190].map((s) => record({ eventTime: at(s), eventSource: 'example.amazonaws.com', eventName: 'Call', userIdentity: who('later') })),
    ];
    writeRaw(dir, 'logs/1.json', JSON.stringify({ Records: events }));
    writeRaw(dir, 'rules/hot.yml', HOT_RULES);
    const runs = [];
    for (const windowRows of [50, 100_000]) {
      const store = await Store.open({ dataDir: `${dir}/data-${windowRows}` });
      stores.push(store);
      await ingest(store, [`${dir}/logs`]);
      const queries: string[] = [];
      const all = store.all.bind(store);
      store.all = (sql, params) => (queries.push(sql), all(sql, params));
      const summary = await detect(store, { rulesDirs: [`${dir}/rules`], builtin: false, windowRows, now: new Date('2026-06-02T00:00:00Z') });
      runs.push({ summary, seconds: queries.filter((q) => q.includes(`date_trunc('second'`)).length });
    }
    assert.deepEqual(runs.map((r) => [r.summary.events, r.seconds]), [[243, 1], [243, 0]]);
    // Every principal of the burst made three calls within ten minutes; 'later' did too.
    const found = await findingDetails(stores[0]!);
    assert.equal(found.filter((f) => f.includes('test.hot.burst')).length, 8);
    assert.deepEqual(found, await findingDetails(stores[1]!));
  } finally {
    for (const s of stores) await s.close();
    rmDir(dir);
  }
});

test('a detection run that needs more memory than the store\'s limit runs again with twice as much', async () => {
  const dir = tempDir();
  try {
    writeRaw(dir, 'rules/r.yml', `title: Corpus bucket read
id: test.corpus_read
status: stable
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: GetObject
    requestParameters.bucketName|startswith: corpus
  condition: selection
level: low
`);
    // 30,000 events in one minute whose records the rule reads whole: one window of 40 MB of JSON.
    const recs = Array.from({ length: 30_000 }, (_, i) => record({ eventID: `e-${i}`, eventTime: `2026-11-01T10:00:${String(i % 60).padStart(2, '0')}Z`,
      eventSource: 's3.amazonaws.com', eventName: 'GetObject', requestParameters: { bucketName: `corpus-${i % 3}`, key: 'k'.repeat(1200) + i } }));
    writeRaw(dir, 'logs/a.json', JSON.stringify({ Records: recs }));
    const full = await Store.open({ dataDir: `${dir}/data` });
    try {
      await ingest(full, [`${dir}/logs`]);
    } finally {
      await full.close();
    }
    const store = await Store.open({ dataDir: `${dir}/data`, memoryLimit: '128MB' });
    try {
      const limit = await store.one(`SELECT current_setting('memory_limit') AS m`);
      const run = await detect(store, { rulesDirs: [`${dir}/rules`], builtin: false });
      assert.equal(run.matches, 30_000);
      const { findings } = await listFindings(store);
      assert.equal(findings.reduce((n, f) => n + f.eventCount, 0), 30_000);
      assert.deepEqual(await store.one(`SELECT current_setting('memory_limit') AS m`), limit);
    } finally {
      await store.close();
    }
  } finally {
    rmDir(dir);
  }
});

test('events dated at the first and last moments of years 0000 to 9999 are detected, not a stop to the run', async () => {
  await withStore(async (store, dir) => {
    writeRaw(dir, 'rules/a.yml', SIGMA);
    // A detection window runs past the last second of 9999.
    const times = ['2026-11-01T10:00:00Z', '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z'];
    const recs = times.map((t, i) => record({ eventID: `t-${i}`, eventTime: t, eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' }));
    writeRaw(dir, 'logs/1.json', JSON.stringify({ Records: recs }));
    assert.equal((await ingest(store, [`${dir}/logs`])).eventsAdded, 3);
    const run = await detect(store, { rulesDirs: [`${dir}/rules`], builtin: false });
    assert.equal(run.findingsCreated, 1);
    const { findings } = await listFindings(store);
    assert.deepEqual([...(await getFinding(store, findings[0]!.findingId))!.eventIds].sort(), ['t-0', 't-1', 't-2']);
  });
});

test('a stored record holding NaN, inf or -Infinity as a number (DuckDB reads them, JSON.parse does not) stops neither detections nor get-event nor lookups', async () => {
  // DuckDB's reader takes each of these, in any case, with or without a minus sign.
  for (const word of ['NaN', 'inf', '-nan', 'INFINITY', '-Infinity']) {
    await withStore(async (store, dir) => {
      writeRaw(dir, 'rules/a.yml', SIGMA);
      // An odd readOnly makes the rule read the whole record; the word sits in requestParameters.
      const rec = record({ eventID: 'nan-1', eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', readOnly: 'maybe',
        requestParameters: { n: 0 }, resources: [{ type: 'AWS::CloudTrail::Trail', ARN: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/t' }] });
      const text = JSON.stringify(rec).replace('"n":0', `"n":${word}`);
      writeRaw(dir, 'logs/1.json', `{"Records":[${text}]}`);
      const s = await ingest(store, [`${dir}/logs`]);
      assert.equal(s.eventsAdded, 1, word);
      const run = await detect(store, { rulesDirs: [`${dir}/rules`], builtin: false });
      assert.equal(run.findingsCreated, 1, word);
      const { findings } = await listFindings(store);
      assert.deepEqual((await getFinding(store, findings[0]!.findingId))!.eventIds, ['nan-1'], word);
      // get-event gives the record with null there; lookups keep the stored text and still list its resources.
      const ev = await getEvent(store, 'nan-1');
      assert.deepEqual(ev!.record, { ...rec, requestParameters: { n: null } }, word);
      const found = await lookupEvents(store, { LookupAttributes: [{ AttributeKey: 'EventId', AttributeValue: 'nan-1' }] });
      assert.equal(found.Events[0]!.CloudTrailEvent, text, word);
      assert.deepEqual(found.Events[0]!.Resources, [{ ResourceType: 'AWS::CloudTrail::Trail', ResourceName: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/t' }], word);
    });
  }
});
