import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../src/store/db.js';
import { ingest } from '../src/ingest/index.js';
import { lookupEvents, runSql, streamSql, getEvent, getStoredEvent, eventJson, LookupCache } from '../src/store/events.js';
import { rowWriter } from '../src/cli/output.js';
import { GALLERY } from '../web/src/gallery.js';
import { record, tempDir, rmDir, writeRaw } from './helpers/fixtures.js';

let dir: string;
let store: Store;
const t = (m: number) => new Date(Date.UTC(2026, 10, 1, 0, m)).toISOString().replace('.000', '');

const fixtures = [
  record({ eventID: 'e1', eventTime: t(1), eventName: 'InvokeModel', readOnly: true }),
  record({ eventID: 'e2', eventTime: t(2), eventName: 'InvokeModel', errorCode: 'AccessDenied', errorMessage: 'User: x is not authorized' }),
  record({ eventID: 'e3', eventTime: t(3), eventName: 'PutObject', eventSource: 's3.amazonaws.com', readOnly: false, eventCategory: 'Data',
    requestParameters: { bucketName: 'acme-ml-training-data', key: 'a.csv' },
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'acme-ml-training-data.s3.us-east-1.amazonaws.com' },
    resources: [{ type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::acme-ml-training-data/a.csv' }, { accountId: '111122223333', type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::acme-ml-training-data' }] }),
  record({ eventID: 'e4', eventTime: t(4), eventName: 'ConsoleLogin', eventSource: 'signin.amazonaws.com', eventType: 'AwsConsoleSignIn',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAX', arn: 'arn:aws:iam::111122223333:user/bob', accountId: '111122223333', userName: 'bob', accessKeyId: 'AKIABOB' } }),
  record({ eventID: 'e5', eventTime: t(5), eventName: 'GetCallerIdentity', eventSource: 'sts.amazonaws.com', userIdentity: { type: 'Root', principalId: '111122223333', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333', accessKeyId: 'AKIAROOT' } }),
  record({ eventID: 'e6', eventTime: t(6), eventName: 'Decrypt', eventSource: 'kms.amazonaws.com', userIdentity: { type: 'AWSService', invokedBy: 'sagemaker.amazonaws.com' } }),
  record({ eventID: 'e7', eventTime: t(7), eventName: 'CreateTrainingJob', eventSource: 'sagemaker.amazonaws.com', readOnly: false,
    requestParameters: { trainingJobName: 'tj', resourceConfig: { instanceType: 'ml.p4d.24xlarge' } } }),
  record({ eventID: 'e8', eventTime: t(8), eventName: 'RunInstances', eventSource: 'ec2.amazonaws.com', readOnly: false, requestParameters: { instanceType: 'p5.48xlarge' } }),
  record({ eventID: 'e9', eventTime: t(9), eventName: 'RunInstances', eventSource: 'ec2.amazonaws.com', readOnly: false, requestParameters: { instanceType: 't3.micro' } }),
  { eventVersion: '1.07', eventTime: t(10), awsRegion: 'us-east-1', eventID: 'i1', eventType: 'AwsCloudTrailInsight', recipientAccountId: '111122223333',
    insightDetails: { state: 'Start', eventSource: 'bedrock.amazonaws.com', eventName: 'InvokeModel', insightType: 'ApiCallRateInsight' }, eventCategory: 'Insight' },
  record({ eventID: 'e11', eventTime: t(11), eventName: 'Converse',
    requestParameters: { modelId: 'arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-1-70b-instruct-v1:0' },
    userIdentity: { type: 'FederatedUser', arn: 'arn:aws:sts::111122223333:federated-user/carol', accountId: '111122223333', principalId: '111122223333:carol' } }),
];

before(async () => {
  dir = tempDir();
  writeRaw(dir, 'logs/x.json', JSON.stringify({ Records: fixtures }));
  store = await Store.open({ dataDir: `${dir}/data` });
  const s = await ingest(store, [`${dir}/logs`]);
  assert.equal(s.eventsAdded, fixtures.length);
});
after(async () => {
  await store.close();
  rmDir(dir);
});

test('lookup-events: newest first, Insights excluded unless asked, CloudTrailEvent is the record', async () => {
  const res = await lookupEvents(store, {});
  assert.deepEqual(res.Events.map((e) => e.EventId), ['e11', 'e9', 'e8', 'e7', 'e6', 'e5', 'e4', 'e3', 'e2', 'e1']);
  const e3 = res.Events.find((e) => e.EventId === 'e3')!;
  assert.equal(e3.ReadOnly, 'false');
  assert.equal(e3.EventTime, '2026-11-01T00:03:00+00:00');
  assert.deepEqual(e3.Resources, [
    { ResourceType: 'AWS::S3::Object', ResourceName: 'arn:aws:s3:::acme-ml-training-data/a.csv' },
    { ResourceType: 'AWS::S3::Bucket', ResourceName: 'arn:aws:s3:::acme-ml-training-data' },
  ]);
  assert.deepEqual(JSON.parse(e3.CloudTrailEvent), fixtures[2]);
  const ins = await lookupEvents(store, { EventCategory: 'insight' });
  assert.deepEqual(ins.Events.map((e) => [e.EventId, e.EventName, e.EventSource]), [['i1', 'InvokeModel', 'bedrock.amazonaws.com']]);
});

test('lookup-events: each attribute key, and several at once (AND)', async () => {
  const ids = async (key: string, value: string) =>
    (await lookupEvents(store, { LookupAttributes: [{ AttributeKey: key as never, AttributeValue: value }] })).Events.map((e) => e.EventId);
  assert.deepEqual(await ids('EventId', 'e4'), ['e4']);
  assert.deepEqual(await ids('EventName', 'InvokeModel'), ['e2', 'e1']);
  assert.deepEqual(await ids('ReadOnly', 'false'), ['e9', 'e8', 'e7', 'e3']);
  assert.deepEqual(await ids('Username', 'alice'), ['e9', 'e8', 'e7', 'e3', 'e2', 'e1']);
  assert.deepEqual(await ids('Username', 'bob'), ['e4']);
  assert.deepEqual(await ids('Username', 'root'), ['e5']);
  assert.deepEqual(await ids('Username', 'sagemaker.amazonaws.com'), ['e6']);
  assert.deepEqual(await ids('Username', 'carol'), ['e11']);
  assert.deepEqual(await ids('ResourceType', 'AWS::S3::Bucket'), ['e3']);
  assert.deepEqual(await ids('ResourceName', 'acme-ml-training-data'), ['e3']);
  assert.deepEqual(await ids('ResourceName', 'arn:aws:s3:::acme-ml-training-data/a.csv'), ['e3']);
  // The name after an ARN's last '/' or ':', never part of one or a piece of its path.
  assert.deepEqual(await ids('ResourceName', 'a.csv'), ['e3']);
  assert.deepEqual(await ids('ResourceName', 'training-data'), []);
  assert.deepEqual(await ids('ResourceName', 'acme-ml-training-data/a.csv'), []);
  assert.deepEqual(await ids('ResourceName', 'arn:aws:s3:::acme-ml-training-data/a'), []);
  assert.deepEqual(await ids('EventSource', 'ec2.amazonaws.com'), ['e9', 'e8']);
  assert.deepEqual(await ids('AccessKeyId', 'AKIABOB'), ['e4']);
  const both = await lookupEvents(store, {
    LookupAttributes: [
      { AttributeKey: 'EventName', AttributeValue: 'InvokeModel' },
      { AttributeKey: 'Username', AttributeValue: 'alice' },
    ],
    Filters: ['errorCode=AccessDenied*'],
  });
  assert.deepEqual(both.Events.map((e) => e.EventId), ['e2']);
});

test('lookup-events: inclusive time range and NextToken pagination without gaps or repeats', async () => {
  const range = await lookupEvents(store, { StartTime: new Date(t(3)), EndTime: new Date(t(5)) });
  assert.deepEqual(range.Events.map((e) => e.EventId), ['e5', 'e4', 'e3']);
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await lookupEvents(store, { MaxResults: 3, NextToken: token });
    seen.push(...page.Events.map((e) => e.EventId!));
    token = page.NextToken;
    pages++;
  } while (token);
  assert.equal(pages, 4);
  assert.deepEqual(seen, ['e11', 'e9', 'e8', 'e7', 'e6', 'e5', 'e4', 'e3', 'e2', 'e1']);
});

test('lookup-events with a cache: the same pages, and rows already returned are not fetched again', async () => {
  const cache = new LookupCache();
  const plain = await lookupEvents(store, { MaxResults: 4 });
  const first = await lookupEvents(store, { MaxResults: 4 }, cache);
  assert.deepEqual(first, plain);
  assert.deepEqual([cache.hits, cache.misses, cache.size], [0, 4, 4]);
  const again = await lookupEvents(store, { MaxResults: 6 }, cache);
  assert.deepEqual(again, await lookupEvents(store, { MaxResults: 6 }));
  assert.deepEqual([cache.hits, cache.misses, cache.size], [4, 6, 6]);
  // A cache bounded to about two records keeps only the most recently used ones.
  const small = new LookupCache(2 * (first.Events[0]!.CloudTrailEvent.length + 256) + 10);
  await lookupEvents(store, { MaxResults: 5 }, small);
  assert.ok(small.size <= 2 && small.size >= 1, `size ${small.size}`);
});

test('AI classification and modelId', async () => {
  const rows = await store.all(`SELECT eventId, aiService, aiActivity, modelId FROM event_store ORDER BY eventId`);
  const m = Object.fromEntries(rows.map((r) => [r.eventId, [r.aiService, r.aiActivity, r.modelId]]));
  assert.deepEqual(m.e1, ['bedrock', 'inference', 'anthropic.claude-3-haiku-20240307-v1:0']);
  assert.deepEqual(m.e3, ['s3', 'data-change', null]);
  assert.deepEqual(m.e7, ['sagemaker', 'training', null]);
  assert.deepEqual(m.e8, ['ec2', 'compute', null]);
  assert.deepEqual(m.e9, [null, null, null]);
  assert.deepEqual(m.e4, [null, null, null]);
  assert.deepEqual(m.e11, ['bedrock', 'inference', 'meta.llama3-1-70b-instruct-v1:0']);
});

test('SQL: the events view and Athena-style queries on cloudtrail_logs', async () => {
  const a = await runSql(store, `SELECT eventName, count(*) AS n FROM events WHERE aiActivity IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1`);
  assert.deepEqual(a.columns, ['eventName', 'n']);
  assert.deepEqual(a.rows[0], ['InvokeModel', 3], 'e1, e2 and the Insights event about InvokeModel');
  const athena = await runSql(
    store,
    `SELECT useridentity.arn, eventname, json_extract_scalar(requestparameters, '$.bucketName') AS bucket, readonly
     FROM cloudtrail_logs WHERE eventsource = 's3.amazonaws.com' AND from_iso8601_timestamp(eventtime) > from_iso8601_timestamp('2026-10-31T00:00:00Z')`,
  );
  assert.deepEqual(athena.rows, [['arn:aws:sts::111122223333:assumed-role/DataScientist/alice', 'PutObject', 'acme-ml-training-data', 'false']]);
  const unnest = await runSql(
    store,
    `SELECT eventid, r.arn, r.type FROM cloudtrail_logs CROSS JOIN UNNEST(resources) AS t(r) ORDER BY 2`,
  );
  assert.deepEqual(unnest.rows, [
    ['e3', 'arn:aws:s3:::acme-ml-training-data', 'AWS::S3::Bucket'],
    ['e3', 'arn:aws:s3:::acme-ml-training-data/a.csv', 'AWS::S3::Object'],
  ]);
  const types = await runSql(store, `SELECT column_name, column_type FROM (DESCRIBE cloudtrail_logs) WHERE column_name IN ('eventtime', 'readonly', 'requestparameters', 'useridentity')`);
  const ty = Object.fromEntries(types.rows.map((r) => [r[0], r[1]]));
  assert.equal(ty.eventtime, 'VARCHAR');
  assert.equal(ty.readonly, 'VARCHAR');
  assert.equal(ty.requestparameters, 'VARCHAR');
  assert.match(String(ty.useridentity), /^STRUCT\(/);
  // tlsdetails: a struct where the record has tlsDetails, NULL where it has none.
  const tls = await runSql(store, `SELECT eventid, tlsdetails.tlsversion, tlsdetails.clientprovidedhostheader, tlsdetails IS NULL FROM cloudtrail_logs WHERE eventid IN ('e3', 'e4') ORDER BY 1`);
  assert.deepEqual(tls.rows, [['e3', 'TLSv1.3', 'acme-ml-training-data.s3.us-east-1.amazonaws.com', false], ['e4', null, null, true]]);
  // A query that reads no column built from the record does not read the records (a subquery per
  // row once made every query on the view read and hold all of them).
  const plan = await store.all(`EXPLAIN SELECT eventname, count(*) FROM cloudtrail_logs GROUP BY 1`);
  const text = plan.map((r) => String(r.explain_value)).join('\n');
  assert.match(text, /event_store/);
  assert.doesNotMatch(text, /record|DELIM/i);
});

test('SQL: the partition columns of the Athena tables people create over CloudTrail', async () => {
  // Athena's manual-partition and projection tables (region, year, month, day, account;
  // "timestamp"), and Security Analytics Bootstrap's and the playbooks workshop's table
  // (date_partition, region_partition, account_partition), all derived from the event.
  const cols = ['region', 'year', 'month', 'day', '"timestamp"', 'account', 'date_partition', 'region_partition', 'account_partition'];
  const e3 = await runSql(store, `SELECT ${cols.join(', ')} FROM cloudtrail_logs WHERE eventid = 'e3'`);
  assert.deepEqual(e3.rows, [['us-east-1', '2026', '11', '01', '2026/11/01', '111122223333', '2026/11/01', 'us-east-1', '111122223333']]);
  // The workshop's query shape: partition filters, grouped by one of them.
  const workshop = (from: string) => runSql(store, `SELECT region_partition, count(*) AS eventcount FROM cloudtrail_logs
    WHERE date_partition >= '${from}' AND date_partition <= '2026/11/30' AND account_partition = '111122223333'
    AND region_partition IN ('us-east-1', 'us-east-2', 'us-west-2') GROUP BY region_partition`);
  const all = await store.one(`SELECT count(*) AS n FROM event_store WHERE awsRegion = 'us-east-1' AND recipientAccountId = '111122223333'`);
  assert.ok(Number(all!.n) >= 10);
  assert.deepEqual((await workshop('2026/11/01')).rows, [['us-east-1', Number(all!.n)]]);
  assert.deepEqual((await workshop('2026/11/02')).rows, []);
});

test('SQL: Athena (Trino) functions DuckDB lacks or spells otherwise', async () => {
  const one = async (sql: string) => (await runSql(store, `SELECT ${sql} AS v FROM cloudtrail_logs WHERE eventid = 'e3'`)).rows[0]![0];
  // replace with two arguments removes; with three it is DuckDB's own.
  assert.equal(await one(`replace(resources[1].arn, 'arn:aws:s3:::')`), 'acme-ml-training-data/a.csv');
  assert.equal(await one(`replace(eventname, 'Put', 'Get')`), 'GetObject');
  // date_add with a unit, as Trino writes it; DuckDB's (date, interval) still works.
  assert.equal(await one(`date_add('day', -30, from_iso8601_timestamp(eventtime))`), '2026-10-02T00:03:00.000Z');
  assert.equal(await one(`date_add('hour', 2, from_iso8601_timestamp(eventtime))`), '2026-11-01T02:03:00.000Z');
  assert.equal(await one(`date_add(from_iso8601_timestamp(eventtime), INTERVAL 1 DAY)`), '2026-11-02T00:03:00.000Z');
  // date_format: MySQL's letters (%i minutes, %s seconds, %M month name, %W weekday, %T, %r, %% a percent sign).
  assert.equal(await one(`date_format(from_iso8601_timestamp(eventtime), '%Y/%m/%d %H:%i:%s %% %M %W %T %r %c/%e %k %l %h %j')`),
    '2026/11/01 00:03:00 % November Sunday 00:03:00 12:03:00 AM 11/1 0 12 12 305');
  assert.equal(await one(`date_format(from_iso8601_timestamp(eventtime), '%%i')`), '%i');
  assert.equal(await one(`array_join(list_transform(resources, r -> r.type), ',')`), 'AWS::S3::Object,AWS::S3::Bucket');
  assert.equal(await one(`json_format(json_parse(requestparameters))`), '{"bucketName":"acme-ml-training-data","key":"a.csv"}');
  assert.equal(await one(`day_of_week(from_iso8601_timestamp(eventtime))`), 7);
  assert.equal(await one(`day_of_year(from_iso8601_date('2026-02-01'))`), 32);
  assert.equal(await one(`url_extract_host('https://' || tlsdetails.clientprovidedhostheader || '/a.csv?x=1')`), 'acme-ml-training-data.s3.us-east-1.amazonaws.com');
  assert.equal(await one(`url_extract_host('not a url')`), null);
  assert.equal(await one(`codepoint('A')`), 65);
  assert.equal(await one(`is_nan(CAST('NaN' AS DOUBLE))`), true);
  const p = await runSql(store, `SELECT approx_percentile(x, 0.5) AS v FROM range(101) t(x)`);
  assert.equal(p.rows[0]![0], 50);
});

test('SQL: members of JSON text columns, as published playbooks write them, read the JSON', async () => {
  for (const opts of [{}, { guard: true }]) {
    const r = await runSql(store, `SELECT requestParameters.bucketName AS bucket, c.requestParameters.key, additionalEventData.nothing.here AS deep,
        count(DISTINCT requestParameters.key) AS objects
      FROM cloudtrail_logs c WHERE eventSource = 's3.amazonaws.com' AND requestParameters.bucketName IN ('acme-ml-training-data', 'other')
      GROUP BY requestParameters.bucketName, c.requestParameters.key, additionalEventData.nothing.here`, 10, opts);
    // Named as Trino names a field: its alias, or else its last member.
    assert.deepEqual(r.columns, ['bucket', 'key', 'deep', 'objects']);
    assert.deepEqual(r.rows, [['acme-ml-training-data', 'a.csv', null, 1]]);
  }
  // A key is found whatever its case (as a struct's fields are), the key as written first.
  assert.deepEqual((await runSql(store, `SELECT requestparameters.bucketname, REQUESTPARAMETERS.KEY FROM cloudtrail_logs WHERE eventid = 'e3'`)).rows, [['acme-ml-training-data', 'a.csv']]);
  assert.deepEqual((await runSql(store, `SELECT requestParameters.resourceconfig.INSTANCETYPE AS it FROM cloudtrail_logs WHERE eventid = 'e7'`)).rows, [['ml.p4d.24xlarge']]);
  // Nested members, and cloudtrail_lake's maps alike.
  assert.deepEqual((await runSql(store, `SELECT requestParameters.resourceConfig.instanceType FROM cloudtrail_logs WHERE eventid = 'e7'`)).rows, [['ml.p4d.24xlarge']]);
  assert.deepEqual((await runSql(store, `SELECT requestParameters.resourceConfig.instanceType AS it FROM cloudtrail_lake WHERE eventid = 'e7'`)).rows, [['ml.p4d.24xlarge']]);
  // Only statements DuckDB refused are rewritten: a struct of the same name keeps DuckDB's meaning.
  assert.deepEqual((await runSql(store, `WITH t AS (SELECT {'bucketName': 'x'} AS requestParameters) SELECT requestParameters.bucketName FROM t`)).rows, [['x']]);
  // Through the API's checks, what the rewritten statement reads is checked.
  await assert.rejects(runSql(store, `SELECT requestParameters.bucketName FROM cloudtrail_logs, event_store`, 10, { guard: true }), { code: 'QUERY_FORBIDDEN' });
});

test('SQL: Trino calls no macro can stand for (date_parse, parse_datetime, format_datetime, transform, any_match) are rewritten', async () => {
  const one = async (sql: string, opts = {}) => (await runSql(store, `SELECT ${sql} AS v FROM cloudtrail_logs WHERE eventid = 'e3'`, 10, opts)).rows[0]![0];
  for (const opts of [{}, { guard: true }]) {
    assert.equal(await one(`date_parse(eventtime, '%Y-%m-%dT%H:%i:%sZ')`, opts), '2026-11-01T00:03:00.000Z');
    assert.equal(await one(`date_parse('11/1/26 3:04 PM', '%c/%e/%y %l:%i %p')`, opts), '2026-11-01T15:04:00.000Z');
    assert.equal(await one(`parse_datetime(eventtime, 'yyyy-MM-dd''T''HH:mm:ss''Z''')`, opts), '2026-11-01T00:03:00.000Z');
    assert.equal(await one(`format_datetime(from_iso8601_timestamp(eventtime), 'EEE d MMM yyyy h:mm a ''(UTC)''')`, opts), 'Sun 1 Nov 2026 12:03 AM (UTC)');
    assert.deepEqual(await one(`transform(resources, r -> r.type)`, opts), ['AWS::S3::Object', 'AWS::S3::Bucket']);
    assert.equal(await one(`any_match(resources, r -> r.type = 'AWS::S3::Bucket')`, opts), true);
    assert.equal(await one(`all_match(resources, r -> r.type = 'AWS::S3::Bucket')`, opts), false);
    assert.equal(await one(`none_match(resources, r -> r.arn LIKE '%other%')`, opts), true);
  }
  // As a filter, several in one statement, and the columns keep their names.
  const r = await runSql(store, `SELECT eventid, transform(resources, r -> r.arn) AS arns FROM cloudtrail_logs
    WHERE date_parse(eventtime, '%Y-%m-%dT%H:%i:%sZ') BETWEEN date_parse('2026-11-01 00:02', '%Y-%m-%d %H:%i') AND date_parse('2026-11-01 00:03', '%Y-%m-%d %H:%i')
      AND any_match(resources, x -> x.type LIKE 'AWS::S3::%') ORDER BY eventid`, 10, { guard: true });
  assert.deepEqual(r.columns, ['eventid', 'arns']);
  assert.deepEqual(r.rows, [['e3', ['arn:aws:s3:::acme-ml-training-data/a.csv', 'arn:aws:s3:::acme-ml-training-data']]]);
  // Trino forms DuckDB reads as they are: UNNEST … WITH ORDINALITY, ROW and MAP constructors.
  const ord = await runSql(store, `SELECT t.r.type, t.n FROM cloudtrail_logs CROSS JOIN UNNEST(resources) WITH ORDINALITY AS t(r, n) WHERE eventid = 'e3' ORDER BY t.n`);
  assert.deepEqual(ord.rows, [['AWS::S3::Object', 1], ['AWS::S3::Bucket', 2]]);
  assert.deepEqual((await runSql(store, `SELECT CAST(ROW(1, 'a') AS ROW(x INTEGER, y VARCHAR)) AS r, element_at(map(ARRAY['k'], ARRAY[2]), 'k') AS m`)).rows, [[{ x: 1, y: 'a' }, 2]]);
  // The rewritten statement goes through the API's checks like any other.
  await assert.rejects(runSql(store, `SELECT date_parse(eventtime, '%Y') FROM event_store`, 10, { guard: true }), { code: 'QUERY_FORBIDDEN' });
  // A letter with no counterpart, and a format that is not a literal, say so.
  await assert.rejects(runSql(store, `SELECT date_parse(eventtime, '%Y %U') FROM cloudtrail_logs`), (e: Error & { code?: string }) =>
    e.code === 'QUERY_INVALID' && /format letter %U is not supported/.test(e.message));
  await assert.rejects(runSql(store, `SELECT date_parse(eventtime, eventname) FROM cloudtrail_logs`), (e: Error & { code?: string }) =>
    e.code === 'QUERY_INVALID' && /date_parse is rewritten to DuckDB's strptime when its format is a string literal/.test(e.message));
  // A value that does not match the format fails as in Athena.
  await assert.rejects(runSql(store, `SELECT date_parse(eventtime, '%Y/%m/%d') FROM cloudtrail_logs`), { code: 'QUERY_INVALID' });
});

test("SQL: Trino's lambda functions over lists and maps (zip_with, map_filter, transform_keys, transform_values, reduce) give Trino's results", async () => {
  const one = async (sql: string, opts = {}) => (await runSql(store, `SELECT ${sql} AS v`, 10, opts)).rows[0]![0];
  for (const opts of [{}, { guard: true }]) {
    // The examples of Trino's documentation; maps come back as lists of key and value.
    assert.deepEqual(await one(`zip_with(ARRAY[1, 3, 5], ARRAY['a', 'b', 'c'], (x, y) -> (y, 2 * x))`, opts),
      [{ field0: 'a', field1: 2 }, { field0: 'b', field1: 6 }, { field0: 'c', field1: 10 }]);
    // The shorter list reads NULL past its end.
    assert.deepEqual(await one(`zip_with(ARRAY['a', 'b'], ARRAY['c', 'd', 'e'], (x, y) -> coalesce(x, '-') || y)`, opts), ['ac', 'bd', '-e']);
    assert.deepEqual(await one(`map_filter(MAP(ARRAY[10, 20, 30], ARRAY['a', NULL, 'c']), (k, v) -> v IS NOT NULL)`, opts), [{ key: 10, value: 'a' }, { key: 30, value: 'c' }]);
    assert.deepEqual(await one(`transform_keys(MAP(ARRAY[1, 2], ARRAY['a', 'b']), (k, v) -> k + 1)`, opts), [{ key: 2, value: 'a' }, { key: 3, value: 'b' }]);
    assert.deepEqual(await one(`transform_values(MAP(ARRAY['a', 'b'], ARRAY[1, 2]), (k, v) -> k || CAST(v AS VARCHAR))`, opts), [{ key: 'a', value: 'a1' }, { key: 'b', value: 'b2' }]);
    assert.equal(await one(`reduce(ARRAY[5, 20, 50], 0, (s, x) -> s + x, s -> s)`, opts), 75);
    // A state of another type than the elements', and an output function.
    assert.equal(await one(`reduce(ARRAY[5, 6, 10, 20], CAST(ROW(0.0, 0) AS ROW(sum DOUBLE, count INTEGER)),
      (s, x) -> CAST(ROW(x + s.sum, s.count + 1) AS ROW(sum DOUBLE, count INTEGER)), s -> IF(s.count = 0, NULL, s.sum / s.count))`, opts), 10.25);
    assert.equal(await one(`reduce(ARRAY['a', 'bb', 'ccc'], 0, (s, x) -> s + length(x), s -> s * 2)`, opts), 12);
    assert.equal(await one(`reduce(CAST(ARRAY[] AS INTEGER[]), 7, (s, x) -> s + x, s -> s)`, opts), 7);
    // A lambda inside that takes the same name keeps its own: x is 100 there, not the outer list's 1.
    assert.deepEqual(await one(`zip_with(ARRAY[1], ARRAY[2], (x, y) -> transform(ARRAY[100], x -> x + y))`, opts), [[102]]);
    // DuckDB's own reduce (two arguments) is left as it is.
    assert.equal(await one(`reduce([1, 2, 3], (a, b) -> a + b)`, opts), 6);
  }
  // A rewritten call without an alias is named as Athena names it, by its place; an alias is kept.
  const named = await runSql(store, `SELECT 'x' AS eventname, date_parse('2026-01-01', '%Y-%m-%d'), transform([1], x -> x + 1) AS t, zip_with([1], [2], (a, b) -> a + b)`);
  assert.deepEqual(named.columns, ['eventname', '_col1', 't', '_col3']);
  assert.deepEqual(named.rows, [['x', '2026-01-01T00:00:00.000Z', [2], [3]]]);
  // Over the events, named by its alias.
  const r = await runSql(store, `SELECT eventid, transform_values(map_agg(r.type, r.arn), (k, v) -> length(v)) AS lens
    FROM cloudtrail_logs CROSS JOIN UNNEST(resources) AS t(r) GROUP BY eventid`, 10, { guard: true });
  assert.deepEqual(r.columns, ['eventid', 'lens']);
  const lens = (r.rows[0]![1] as { key: string; value: number }[]).slice().sort((a, b) => a.key.localeCompare(b.key));
  assert.deepEqual([r.rows.length, r.rows[0]![0], lens], [1, 'e3', [{ key: 'AWS::S3::Bucket', value: 34 }, { key: 'AWS::S3::Object', value: 40 }]]);
});

test('SQL: bytes come back as hex and intervals as text, however deep, whole or streamed', async () => {
  const sql = `SELECT encode('ab') AS b, INTERVAL 90 MINUTE AS i, [INTERVAL 1 DAY] AS l, {'x': encode('z')} AS s,
    MAP([encode('k')], [INTERVAL 2 HOUR]) AS m, CAST(NULL AS BLOB) AS n, TIMESTAMP '2026-11-03 10:00' - TIMESTAMP '2026-11-01 08:30' AS span`;
  const expected = ['6162', '01:30:00', ['1 day'], { x: '7a' }, [{ key: '6b', value: '02:00:00' }], null, '2 days 01:30:00'];
  assert.deepEqual((await runSql(store, sql)).rows, [expected]);
  const rows: unknown[][] = [];
  await streamSql(store, sql, 0, () => {}, (chunk) => void rows.push(...chunk));
  assert.deepEqual(rows, [expected]);
});

test('SQL: the fields of unnamed rows come back named as Athena shows them (field0, field1, …), however deep', async () => {
  const r = await runSql(store, `SELECT ROW(1, 'a') AS r, (2, 'b') AS t, CAST(ROW(1, 'x') AS ROW(n INTEGER, s VARCHAR)) AS named,
    [ROW(1, [ROW('q', 2)])] AS nested, MAP(ARRAY['k'], ARRAY[ROW(1, 2)]) AS m`);
  assert.deepEqual(r.rows, [[{ field0: 1, field1: 'a' }, { field0: 2, field1: 'b' }, { n: 1, s: 'x' },
    [{ field0: 1, field1: [{ field0: 'q', field1: 2 }] }], [{ key: 'k', value: { field0: 1, field1: 2 } }]]]);
  assert.deepEqual(r.columns, ['r', 't', 'named', 'nested', 'm']);
  // Also in a statement whose members of JSON text were rewritten after DuckDB refused it.
  const member = await runSql(store, `SELECT (requestParameters.bucketName, 1) AS r FROM cloudtrail_logs WHERE eventid = 'e3'`);
  assert.deepEqual(member.rows, [[{ field0: 'acme-ml-training-data', field1: 1 }]]);
  // In the order of the statement, streamed as well, and a statement ending in ; or a comment.
  const rows: unknown[][] = [];
  await streamSql(store, `SELECT i, ROW(i, 'x') AS r FROM range(3) t(i) ORDER BY i DESC; -- newest first`, 0, () => {}, (chunk) => void rows.push(...chunk));
  assert.deepEqual(rows.map((x) => [Number(x[0]), x[1]]), [[2, { field0: 2, field1: 'x' }], [1, { field0: 1, field1: 'x' }], [0, { field0: 0, field1: 'x' }]]);
});

test('SQL: more Trino functions under their Athena names', async () => {
  const v = async (sql: string) => (await runSql(store, `SELECT ${sql} AS v`)).rows[0]![0];
  assert.deepEqual(await v(`regexp_split('a,b,,c', ',')`), ['a', 'b', '', 'c']);
  assert.deepEqual([await v(`array_max([3, 1, 5])`), await v(`array_min([3, 1, 5])`)], [5, 1]);
  assert.deepEqual(await v(`array_remove([1, 2, 1, 3], 1)`), [2, 3]);
  assert.deepEqual(await v(`array_union([3, 1, 3], [2, 1, 4])`), [3, 1, 2, 4]);
  assert.deepEqual(await v(`array_except([1, 2, 2, 3], [3])`), [1, 2]);
  assert.equal(await v(`arrays_overlap([1, 2], [2, 5])`), true);
  assert.deepEqual([await v(`slice([1, 2, 3, 4, 5], 2, 2)`), await v(`slice([1, 2, 3, 4, 5], -2, 2)`)], [[2, 3], [4, 5]]);
  assert.equal(await v(`url_extract_path('https://x.example/a/b?c=1')`), '/a/b');
  assert.equal(await v(`url_extract_parameter('https://x.example/a?c=1&d=x%20y&e', 'd')`), 'x y');
  assert.equal(await v(`url_extract_parameter('https://x.example/a?c=1&e', 'e')`), '');
  assert.equal(await v(`url_extract_parameter('https://x.example/a?c=1', 'z')`), null);
  assert.deepEqual([await v(`dow(DATE '2026-11-01')`), await v(`doy(DATE '2026-02-01')`), await v(`yow(DATE '2024-12-30')`), await v(`year_of_week(DATE '2024-12-30')`)], [7, 32, 2025, 2025]);
  assert.equal(await v(`CAST(last_day_of_month(DATE '2024-02-10') AS VARCHAR)`), '2024-02-29');
  assert.deepEqual([await v(`is_finite(infinity())`), await v(`is_nan(nan())`)], [false, true]);
  assert.deepEqual([await v(`levenshtein_distance('kitten', 'sitting')`), await v(`hamming_distance('abc', 'abd')`)], [3, 1]);
  assert.equal(await v(`CAST(with_timezone(TIMESTAMP '2026-11-01 10:00', 'America/New_York') AS VARCHAR)`).then((x) => String(x).slice(0, 16)), await v(`CAST(TIMESTAMPTZ '2026-11-01 15:00:00+00' AS VARCHAR)`).then((x) => String(x).slice(0, 16)));
  assert.equal(await v(`CAST(at_timezone(TIMESTAMPTZ '2026-11-01 10:00:00+00', 'Asia/Tokyo') AS VARCHAR)`), '2026-11-01 19:00:00');
  assert.equal(await v(`CAST(from_iso8601_timestamp_nanos('2026-11-01T00:00:00.123456789Z') AS VARCHAR)`).then((x) => String(x).slice(0, 23)), '2026-11-01 00:00:00.123');
  const agg = await runSql(store, `SELECT every(readonly = 'true') AS e, map_agg(eventid, eventname) AS m FROM cloudtrail_logs WHERE eventid IN ('e1', 'e3')`);
  assert.equal(agg.rows[0]![0], false);
  const m = agg.rows[0]![1] as { key: string; value: string }[];
  assert.deepEqual([...m].sort((a, b) => a.key.localeCompare(b.key)), [{ key: 'e1', value: 'InvokeModel' }, { key: 'e3', value: 'PutObject' }]);
});

test('SQL: over the Athena and Lake tables, functions DuckDB means otherwise give Trino\'s results; over events, DuckDB\'s', async () => {
  const on = async (table: string, sql: string, opts = {}) => (await runSql(store, `SELECT ${sql} AS v FROM ${table} WHERE eventid = 'e1'`, 10, opts)).rows[0]![0];
  for (const opts of [{}, { guard: true }]) {
    for (const table of ['cloudtrail_logs', 'cloudtrail_lake']) {
      // Integers divide to an integer, truncated toward zero; other numbers as before.
      assert.deepEqual([await on(table, '7 / 2', opts), await on(table, '-7 / 2', opts), await on(table, '7.0 / 2', opts), await on(table, 'CAST(7 AS DOUBLE) / 2', opts)].map(Number), [3, -3, 3.5, 3.5]);
      // Every match replaced, groups written as Java writes them, `\$` a dollar; two arguments remove.
      assert.equal(await on(table, `regexp_replace('a-b-c', '-', '+')`, opts), 'a+b+c');
      assert.equal(await on(table, `regexp_replace('ab12 cd3', '([a-z]+)([0-9]+)', '$2$1')`, opts), '12ab 3cd');
      assert.equal(await on(table, `regexp_replace('a.b', '[.]', '\\$')`, opts), 'a$b');
      assert.equal(await on(table, `regexp_replace('a1b22c', '[0-9]')`, opts), 'abc');
      // Whole units between two times (10:59 to 11:01 is no hour), either way round.
      assert.equal(await on(table, `date_diff('hour', TIMESTAMP '2026-11-01 10:59:00', TIMESTAMP '2026-11-01 11:01:00')`, opts), 0);
      assert.equal(await on(table, `date_diff('hour', TIMESTAMP '2026-11-01 12:30:00', TIMESTAMP '2026-11-01 10:59:00')`, opts), -1);
      // Java's format: %s takes anything (null for NULL), %f any number, %n a line feed, %% a percent.
      assert.equal(await on(table, `format('%s:%s %05.1f%% %S %d%n', 'bedrock', NULL, 12.345, 'x', 7)`, opts), 'bedrock:null 012.3% X 7\n');
      // concat, greatest and least are NULL when an argument is; array_position is 0 for a value not there.
      assert.deepEqual([await on(table, `concat('a', NULL, 'b')`, opts), await on(table, `concat('a', 'b', 'c')`, opts)], [null, 'abc']);
      assert.deepEqual([await on(table, `greatest(1, NULL, 3)`, opts), await on(table, `greatest(1, 5, 3)`, opts), await on(table, `least(2, NULL)`, opts), await on(table, `least(4, 2)`, opts)], [null, 5, null, 2]);
      assert.deepEqual(await on(table, `array_distinct([3, 1, 3, NULL, 2, NULL, 1])`, opts), [3, 1, null, 2]);
      assert.deepEqual([await on(table, `array_position(ARRAY['a', 'b'], 'b')`, opts), await on(table, `array_position(ARRAY['a', 'b'], 'z')`, opts), await on(table, `array_position(CAST(NULL AS VARCHAR[]), 'z')`, opts)].map((x) => x === null ? x : Number(x)), [2, 0, null]);
    }
    // Over events (DuckDB's SQL), DuckDB's meaning stays.
    assert.deepEqual([Number(await on('events', '7 / 2', opts)), await on('events', `regexp_replace('a-b-c', '-', '+')`, opts), await on('events', `concat('a', NULL, 'b')`, opts), await on('events', `greatest(1, NULL, 3)`, opts),
      await on('events', `date_diff('hour', TIMESTAMP '2026-11-01 10:59:00', TIMESTAMP '2026-11-01 11:01:00')`, opts), await on('events', `format('{}-{}', 1, 2)`, opts)], [3.5, 'a+b-c', 'ab', 3, 1, '1-2']);
  }
  // Forms of format printf has not are refused with the form named; so is a wrong count of arguments.
  await assert.rejects(runSql(store, `SELECT format('%1$s', 'x') FROM cloudtrail_logs`), (e: Error & { code?: string }) => e.code === 'QUERY_INVALID' && /format: %1\$s is not supported here/.test(e.message));
  await assert.rejects(runSql(store, `SELECT format('%s %s', 'x') FROM cloudtrail_logs`), /format: "%s %s" takes 2 arguments, not 1/);
  // An unaliased rewritten expression is named as Athena names it.
  assert.deepEqual((await runSql(store, `SELECT eventname, count(*) / 2 FROM cloudtrail_logs GROUP BY 1 LIMIT 1`)).columns, ['eventname', '_col1']);
  // Trino's forms DuckDB lacks, wherever they are called.
  const v = async (sql: string) => (await runSql(store, `SELECT ${sql} AS v`)).rows[0]![0];
  assert.deepEqual(await Promise.all([`strpos('high', 'ig')`, `strpos('abcabc', 'bc', 2)`, `strpos('abcabc', 'bc', -1)`, `strpos('abcabc', 'bc', -2)`, `strpos('abcabc', 'bc', 3)`].map(v)), [2, 5, 5, 2, 0]);
  assert.deepEqual(await Promise.all([`split('a.b.c', '.', 2)`, `split('a.b.c', '.', 9)`, `split('a.b.c', '.')`].map(v)), [['a', 'b.c'], ['a', 'b', 'c'], ['a', 'b', 'c']]);
  assert.deepEqual((await Promise.all([`regexp_count('1a 2b 14m', '\\s*[a-z]+\\s*')`, `truncate(-2.7)`, `truncate(2.345, 2)`].map(v))).map(Number), [3, -2, 2.34]);
  // json_extract_scalar gives a scalar only (an object or array is NULL), unquoted.
  const doc = `'{"a": {"b": 1}, "c": [1], "d": "x\\"y", "e": 5, "g": true}'`;
  assert.deepEqual(await Promise.all(['$.a', '$.c', '$.d', '$.e', '$.g', '$.zz', '$.a.b'].map((p) => v(`json_extract_scalar(${doc}, '${p}')`))), [null, null, 'x"y', '5', 'true', null, '1']);
  // Over no Trino table, array_distinct is DuckDB's: each value once, NULL left out.
  assert.deepEqual(((await v(`array_distinct([3, 1, 3, NULL, 2, NULL, 1])`)) as number[]).sort(), [1, 2, 3]);
  // Bytes, bits, sampling and series under Trino's names; a hash's bytes in hex over a Trino table.
  assert.deepEqual(await Promise.all([`from_utf8(to_utf8('é'))`, `bitwise_and(6, 3)`, `bitwise_or(6, 3)`, `bitwise_xor(6, 3)`, `bitwise_not(6)`,
    `sequence(1, 3)`, `sequence(3, 1)`, `sequence(1, 9, 4)`, `rand() < 1`, `rand(10) BETWEEN 0 AND 9`].map(v)), ['é', 2, 7, 5, -7, [1, 2, 3], [3, 2, 1], [1, 5, 9], true, true]);
  const sha = 'CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB';
  assert.deepEqual((await runSql(store, `SELECT to_hex(sha256(to_utf8('a'))), to_hex(to_utf8('z')) FROM cloudtrail_logs LIMIT 1`)).rows, [[sha, '7A']]);
  // Over events, DuckDB's to_hex of the hash's text (its own bytes' hex) stays.
  assert.notEqual((await runSql(store, `SELECT to_hex(sha256(to_utf8('a'))) FROM events LIMIT 1`)).rows[0]![0], sha);
  // Over the events: a bucket name read as a scalar, the request's object as none.
  const scalar = await runSql(store, `SELECT json_extract_scalar(requestparameters, '$.bucketName') AS b, json_extract_scalar(requestparameters, '$') AS whole FROM cloudtrail_logs WHERE eventid = 'e3'`);
  assert.deepEqual(scalar.rows, [['acme-ml-training-data', null]]);
});

test('SQL: cloudtrail_lake has CloudTrail Lake\'s schema, so Lake queries run on it', async () => {
  const types = await runSql(store, `SELECT column_name, column_type FROM (DESCRIBE cloudtrail_lake)`);
  const ty = Object.fromEntries(types.rows.map((r) => [r[0], String(r[1])]));
  assert.equal(ty.eventtime, 'TIMESTAMP');
  assert.equal(ty.readonly, 'BOOLEAN');
  assert.equal(ty.managementevent, 'BOOLEAN');
  assert.equal(ty.requestparameters, 'MAP(VARCHAR, VARCHAR)');
  assert.match(ty.resources!, /^STRUCT\(accountid VARCHAR, "type" VARCHAR, arn VARCHAR, arnprefix VARCHAR\)\[\]$/);
  assert.match(ty.useridentity!, /sessioncontext STRUCT\(attributes STRUCT\(creationdate TIMESTAMP, mfaauthenticated VARCHAR\)/);
  // A Lake sample as published, its data store id replaced: times compare with string literals,
  // maps and arrays are read with element_at, nested values are their JSON text.
  const r = await runSql(store, `SELECT eventName, element_at(requestParameters, 'bucketName') AS bucket, element_at(resources, 1).arn AS first,
      userIdentity.sessioncontext.attributes.creationdate AS created, readOnly, tlsDetails.tlsversion
    FROM cloudtrail_lake WHERE eventTime > '2026-11-01 00:02:00' AND eventTime < '2026-11-01 00:04:00' AND eventSource = 's3.amazonaws.com'`);
  assert.deepEqual(r.rows, [['PutObject', 'acme-ml-training-data', 'arn:aws:s3:::acme-ml-training-data/a.csv', '2026-11-01T08:00:00.000Z', false, 'TLSv1.3']]);
  const nested = await runSql(store, `SELECT element_at(requestparameters, 'resourceConfig') AS rc, json_extract_scalar(element_at(requestparameters, 'resourceConfig'), '$.instanceType') AS it
    FROM cloudtrail_lake WHERE eventid = 'e7'`);
  assert.deepEqual(nested.rows, [['{"instanceType":"ml.p4d.24xlarge"}', 'ml.p4d.24xlarge']]);
  // eventjson is the record as stored; element_at still reads JSON text (cloudtrail_logs).
  const whole = await runSql(store, `SELECT l.eventjson = e.record, element_at(a.requestparameters, 'key') FROM cloudtrail_lake l JOIN events e ON e.eventId = l.eventid
    JOIN cloudtrail_logs a ON a.eventid = l.eventid WHERE l.eventid = 'e3'`);
  assert.deepEqual(whole.rows, [[true, 'a.csv']]);
  assert.deepEqual((await runSql(store, `SELECT json_array_get('[1,{"a":2},3]', 1) AS a, json_array_get('[1,2,3]', -1) AS b, json_array_get('[1]', 5) AS c`)).rows,
    [['{"a":2}', '3', null]]);
  // A Lake query pasted with its data store id (or a sample's placeholder) says which view to use, in the CLI and the API.
  for (const from of ['5e2676f8-9fce-46ef-8142-3e36a94e6691', '$EDS_ID', '<EDS ID>', 'event_data_store_ID']) {
    for (const guard of [false, true]) {
      await assert.rejects(runSql(store, `SELECT eventName FROM ${from} WHERE eventTime > '2026-01-01 00:00:00'`, 10, { guard }),
        (e: Error) => e.message.includes(`${from} looks like a CloudTrail Lake event data store: Lake queries run on the cloudtrail_lake view`) || assert.fail(`${from}, guard ${guard}: ${e.message}`));
    }
  }
  await assert.rejects(runSql(store, `SELECT nope FROM events`), (e: Error) => !e.message.includes('CloudTrail Lake') || assert.fail(e.message));
});

test('an Athena query that names its own CloudTrail table says which view stands for it; another unknown table lists the views', async () => {
  for (const from of ['cloudtrail_logs_pp', '"default"."cloudtrail_logs_acme"', '"irworkshopgluedatabase"."irworkshopgluetablecloudtrail"', 'CloudTrail']) {
    for (const guard of [false, true]) {
      await assert.rejects(runSql(store, `SELECT eventname FROM ${from} LIMIT 1`, 10, { guard }), (e: Error) => {
        assert.match(e.message, /looks like an Athena table over CloudTrail logs: here that table is the cloudtrail_logs view \(FROM cloudtrail_logs\)/, `${from}, guard ${guard}`);
        // DuckDB's own guess here would be cloudtrail_lake, a view of other columns.
        assert.doesNotMatch(e.message, /Did you mean/);
        return true;
      });
    }
  }
  // DuckDB guesses one of its catalog tables for an unknown name; the message lists what there is to read instead.
  await assert.rejects(runSql(store, 'SELECT * FROM nosuch'), (e: Error) => {
    assert.match(e.message, /Table with name nosuch does not exist/);
    assert.match(e.message, /Readable tables and views: events, cloudtrail_logs, cloudtrail_lake/);
    assert.doesNotMatch(e.message, /Did you mean|Athena table/);
    return true;
  });
  // A near miss of a view keeps DuckDB's guess.
  await assert.rejects(runSql(store, 'SELECT * FROM event'), /Did you mean "events"\?/);
});

test('every query of the console\'s gallery runs, through the API\'s checks', async () => {
  for (const q of GALLERY) {
    const r = await runSql(store, q.sql, 100, { guard: true });
    assert.ok(r.columns.length > 0, q.name);
  }
  // The Lake example finds the fixtures' Bedrock calls.
  // The playbook example, asked for writes instead of reads, finds the fixtures' PutObject to the training bucket.
  const playbook = await runSql(store, GALLERY.find((q) => q.sql.includes('date_parse'))!.sql.replace(`eventname = 'GetObject'`, `eventname = 'PutObject'`), 100, { guard: true });
  const e3 = (await runSql(store, `SELECT useridentity.arn, sourceipaddress FROM cloudtrail_logs WHERE eventid = 'e3'`)).rows[0]!;
  assert.deepEqual(playbook.columns, ['principal', 'sourceipaddress', 'bucket', 'reads', 'bytes_out', 'last_read']);
  assert.deepEqual(playbook.rows, [[e3[0], e3[1], 'acme-ml-training-data', 1, null, '2026-11-01T00:03:00.000Z']]);
  const lake = await runSql(store, GALLERY.find((q) => q.sql.includes('cloudtrail_lake'))!.sql, 100, { guard: true });
  assert.ok(lake.rows.some((r) => r[1] === 'InvokeModel' && r[2] === 'anthropic.claude-3-haiku-20240307-v1:0' && r[3] === 2), JSON.stringify(lake.rows));
});

test('SQL is read-only, one statement, and errors are readable', async () => {
  await assert.rejects(runSql(store, `DELETE FROM event_store`), { code: 'QUERY_NOT_READ_ONLY' });
  await assert.rejects(runSql(store, `CREATE TABLE x AS SELECT 1`), { code: 'QUERY_NOT_READ_ONLY' });
  await assert.rejects(runSql(store, `SELECT 1; SELECT 2`), { code: 'QUERY_INVALID' });
  await assert.rejects(runSql(store, `SELEC nonsense`), (e: Error & { code?: string }) => e.code === 'QUERY_INVALID' && /syntax error/i.test(e.message));
  const cut = await runSql(store, `SELECT * FROM range(100)`, 10);
  assert.equal(cut.rows.length, 10);
  assert.equal(cut.truncated, true);
});

test('SQL streamed: rows a chunk at a time, cut at the row limit or none, the same checks and errors', async () => {
  const chunks: number[] = [];
  let cols: string[] = [];
  const all: unknown[][] = [];
  const collect = (rows: unknown[][]) => void (chunks.push(rows.length), all.push(...rows));
  const whole = await streamSql(store, `SELECT i, 'r' || i AS s FROM range(5000) t(i) ORDER BY i`, 0, (c) => void (cols = c), collect);
  assert.deepEqual(whole, { rows: 5000, truncated: false });
  assert.deepEqual(cols, ['i', 's']);
  assert.ok(chunks.length >= 3, `in chunks: ${chunks.join(', ')}`);
  assert.deepEqual(all.map((r) => Number(r[0])), Array.from({ length: 5000 }, (_, i) => i));
  assert.equal(all[4999]![1], 'r4999');
  // Cut inside a chunk, at a chunk's end, and a limit the result just fits.
  for (const [max, truncated] of [[10, true], [2048, true], [5000, false]] as const) {
    let n = 0;
    const r = await streamSql(store, `SELECT * FROM range(5000)`, max, () => undefined, (rows) => void (n += rows.length));
    assert.deepEqual([r, n], [{ rows: max, truncated }, max]);
  }
  // The events view's values come as runSql gives them.
  const viaRun = await runSql(store, `SELECT eventId, eventTime, readOnly, resourceArns FROM events ORDER BY eventId`);
  const streamed: unknown[][] = [];
  await streamSql(store, `SELECT eventId, eventTime, readOnly, resourceArns FROM events ORDER BY eventId`, 0, () => undefined, (rows) => void streamed.push(...rows));
  assert.deepEqual(streamed, viaRun.rows);
  await assert.rejects(streamSql(store, `DELETE FROM event_store`, 0, () => undefined, () => undefined), { code: 'QUERY_NOT_READ_ONLY' });
  await assert.rejects(streamSql(store, `SELECT 1; SELECT 2`, 0, () => undefined, () => undefined), { code: 'QUERY_INVALID' });
  await assert.rejects(streamSql(store, `SELECT error('bad row ' || i) FROM range(3) t(i)`, 0, () => undefined, () => undefined), (e: Error & { code?: string }) => e.code === 'QUERY_INVALID' && /bad row/.test(e.message));
  // What the caller's writer throws (a closed pipe) comes back as it was.
  const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
  await assert.rejects(streamSql(store, `SELECT * FROM range(10)`, 0, () => undefined, () => { throw epipe; }), (e) => e === epipe);
});

test('rows written as they come: JSON as one stringify of the whole array would write it, JSON Lines, CSV', () => {
  const columns = ['a', 'b', 'c'];
  const rows: unknown[][] = [[1, 'x\ny', null], [2, 'q"uote,d', { k: [1, 2] }], [3, '', true]];
  const text = (format: 'json' | 'jsonl' | 'csv', parts: unknown[][][]) => {
    let out = '';
    const w = rowWriter(format, { write: (s: string) => (out += s) });
    w.columns(columns);
    for (const p of parts) w.rows(p);
    w.end();
    return out;
  };
  const objects = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
  for (const parts of [[rows], [rows.slice(0, 1), [], rows.slice(1)]]) {
    assert.equal(text('json', parts), JSON.stringify(objects, null, 2) + '\n');
    assert.equal(text('jsonl', parts), objects.map((o) => JSON.stringify(o) + '\n').join(''));
    assert.equal(text('csv', parts), 'a,b,c\n1,"x\ny",\n2,"q""uote,d","{""k"":[1,2]}"\n3,,true\n');
  }
  assert.equal(text('json', []), '[]\n');
  assert.equal(text('csv', []), 'a,b,c\n');
  assert.equal(text('jsonl', []), '');
});

test('get-event returns the record exactly and the derived fields', async () => {
  const ev = await getEvent(store, 'e3');
  assert.deepEqual(ev!.record, fixtures[2]);
  assert.equal(ev!.aiActivity, 'data-change');
  assert.equal(await getEvent(store, 'nope'), undefined);
});

/** A store of its own holding `files` (name → content), for tests that need odd records. */
async function withOwnStore(files: Record<string, string>, fn: (s: Store) => Promise<void>): Promise<void> {
  const d = tempDir();
  for (const [name, content] of Object.entries(files)) writeRaw(d, `logs/${name}`, content);
  const s = await Store.open({ dataDir: `${d}/data` });
  try {
    await ingest(s, [`${d}/logs`]);
    await fn(s);
  } finally {
    await s.close();
    rmDir(d);
  }
}

test('eventTime filters match the time as the record writes it, wildcards included; record paths reach large records', async () => {
  const { eventTime: _t, ...noTime } = record({ eventID: 'c5' });
  const recs = [
    record({ eventID: 'c1', eventTime: '2026-11-01T10:00:00Z', requestParameters: { bucketName: 'b1' } }),
    record({ eventID: 'c2', eventTime: '2026-11-01T11:00:00.000Z' }),
    record({ eventID: 'c3', eventTime: '2026-11-01T13:00:00+01:00' }),
    // Over 4,000 characters: kept in the store's column for large records.
    record({ eventID: 'c4', eventTime: '2026-11-02T10:00:00Z', requestParameters: { bucketName: 'b1', pad: 'x'.repeat(5000) } }),
    { ...noTime, '@timestamp': '2026-11-03T00:00:00.000Z' },
  ];
  await withOwnStore({ 'a.json': JSON.stringify({ Records: recs }) }, async (s) => {
    const ids = async (...Filters: string[]) => (await lookupEvents(s, { Filters })).Events.map((e) => e.EventId);
    assert.deepEqual(await ids('eventTime=2026-11-01*'), ['c3', 'c2', 'c1']);
    assert.deepEqual(await ids('eventTime=2026*'), ['c4', 'c3', 'c2', 'c1']);
    assert.deepEqual(await ids('eventTime=*'), ['c4', 'c3', 'c2', 'c1']);
    assert.deepEqual(await ids('eventTime=*.000Z'), ['c2']);
    assert.deepEqual(await ids('eventTime=2026-11-01T13:00:00+01:00'), ['c3']);
    assert.deepEqual(await ids('eventTime=2026-11-01T12:00:00Z'), [], 'the same instant written otherwise is other text');
    assert.deepEqual(await ids('eventTime=2026-11-01T10:00:00Z'), ['c1']);
    assert.deepEqual(await ids('eventTime!=2026-11-01T10:00:00Z'), ['c5', 'c4', 'c3', 'c2']);
    assert.deepEqual(await ids('eventTime!=x'), ['c5', 'c4', 'c3', 'c2', 'c1']);
    assert.deepEqual(await ids('eventTime=null'), ['c5']);
    assert.deepEqual(await ids('requestParameters.bucketName=b1'), ['c4', 'c1']);
    assert.deepEqual(await ids('requestParameters.bucketName!=b1'), ['c5', 'c3', 'c2']);
    assert.deepEqual(await ids('requestParameters.pad=x*'), ['c4']);
  });
});

test('an event as JSON: the stored record text spliced in as it is; records holding NaN come back valid, with null there', async () => {
  const odd = `{"eventTime":"2026-11-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"x1","__proto__":{"polluted":true},"big":12345678901234567890123,"huge":1e400,"requestParameters":{"__proto__":"x","n":-12345678901234567890123.5e-3}}`;
  const nan = JSON.stringify(record({ eventID: 'x2', requestParameters: { n: 0 } })).replace('"n":0', '"n":NaN');
  await withOwnStore({ 'a.json': `{"Records":[${odd},${nan}]}` }, async (s) => {
    const stored = String((await s.one(`SELECT CAST(record AS VARCHAR) AS r FROM events WHERE eventId = 'x1'`))!.r);
    assert.match(stored, /"__proto__":\{"polluted":true\},"big":12345678901234567890123,"huge":1e400/);
    const ev = (await getStoredEvent(s, 'x1'))!;
    assert.equal(ev.recordText, stored);
    for (const indent of [2, 0]) {
      const text = eventJson(ev, indent);
      assert.ok(text.includes(`"record":${indent ? ' ' : ''}${stored}`), text);
      assert.equal(text.includes('\n'), indent > 0);
      const v = JSON.parse(text);
      assert.equal(v.eventId, 'x1');
      assert.equal(v.eventSource, 's3.amazonaws.com');
      assert.equal(v.record.eventID, 'x1');
      assert.deepEqual(Object.keys(v), [...Object.keys(ev.fields), 'record']);
    }
    const withNan = (await getStoredEvent(s, 'x2'))!;
    const v = JSON.parse(eventJson(withNan));
    assert.equal(v.record.requestParameters.n, null);
    assert.equal(v.record.eventID, 'x2');
    assert.equal(eventJson({ fields: {}, recordText: '{"a":1}' }), '{\n  "record": {"a":1}\n}');
  });
});

test('the example queries in docs/sql.md run', async () => {
  const { readFileSync } = await import('node:fs');
  const doc = readFileSync(new URL('../../docs/sql.md', import.meta.url), 'utf8');
  const blocks = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const statements = blocks.flatMap((b) => b.split(';')).map((s) => s.replace(/--.*$/gm, '').trim()).filter(Boolean);
  assert.ok(statements.length >= 2);
  for (const s of statements) await runSql(store, s);
  const reads = await runSql(store, statements[1]!);
  assert.deepEqual(reads.rows, []);
  const calls = await runSql(store, statements[0]!.replace('current_date - INTERVAL 7 DAY', "DATE '2026-10-01'"));
  assert.deepEqual(calls.rows[0], ['arn:aws:sts::111122223333:assumed-role/DataScientist/alice', 'InvokeModel', 2, 1]);
  // The fixtures' Bedrock calls fall in the hour after midnight on 1 November: counted without the rewritten functions.
  const bedrock = await runSql(store, `SELECT count(*) FROM cloudtrail_logs WHERE eventsource = 'bedrock.amazonaws.com' AND eventtime LIKE '2026-11-01T00:%'
    AND NOT coalesce(list_bool_or(list_transform(resources, r -> r.arn LIKE '%foundation-model%')), FALSE)`);
  assert.ok(Number(bedrock.rows[0]![0]) >= 3);
  assert.deepEqual((await runSql(store, statements[2]!)).rows, [['2026-11-01T00:00:00.000Z', bedrock.rows[0]![0]]]);
});

test('a query that runs the store out of memory says so in words a user can act on', async () => {
  const dir = tempDir();
  // Records of 300 kB: every JSON column of cloudtrail_logs parses each of them again.
  const big = Array.from({ length: 40 }, (_, i) => record({ eventID: `big-${i}`, requestParameters: { blob: 'x'.repeat(200_000), n: i }, responseElements: { echo: 'y'.repeat(100_000) } }));
  writeRaw(dir, 'logs/a.json', JSON.stringify({ Records: big }));
  const full = await Store.open({ dataDir: `${dir}/data` });
  try {
    assert.equal((await ingest(full, [`${dir}/logs`])).eventsAdded, 40);
  } finally {
    await full.close();
  }
  const small = await Store.open({ dataDir: `${dir}/data`, memoryLimit: '32MB' });
  try {
    await assert.rejects(runSql(small, 'SELECT * FROM cloudtrail_logs'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'QUERY_INVALID');
      assert.match(e.message, /^the query needed more memory than the store allows \(.*AITRAIL_MEMORY_LIMIT sets it\): ask for fewer rows or columns/);
      assert.doesNotMatch(e.message, /SET threads/);
      return true;
    });
  } finally {
    await small.close();
    rmDir(dir);
  }
});

test('NextToken pages through events apart by less than a millisecond without losing any', async () => {
  const dir = tempDir();
  const own = await Store.open({ dataDir: `${dir}/data` });
  try {
    // Pushed events may carry microseconds: a page ending inside a millisecond must resume there.
    const times = ['2026-11-01T10:00:00.123900Z', '2026-11-01T10:00:00.123600Z', '2026-11-01T10:00:00.123300Z', '2026-11-01T10:00:00.123000Z', '2026-11-01T10:00:00.122000Z'];
    writeRaw(dir, 'logs/a.json', JSON.stringify({ Records: times.map((t, i) => record({ eventID: `us-${i}`, eventTime: t })) }));
    assert.equal((await ingest(own, [`${dir}/logs`])).eventsAdded, 5);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await lookupEvents(own, { MaxResults: 1, NextToken: token });
      seen.push(...page.Events.map((e) => e.EventId!));
      token = page.NextToken;
    } while (token && seen.length < 10);
    assert.deepEqual(seen, ['us-0', 'us-1', 'us-2', 'us-3', 'us-4']);
  } finally {
    await own.close();
    rmDir(dir);
  }
});
