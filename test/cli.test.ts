import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { record, tempDir, rmDir, writeDelivery, writeRaw } from './helpers/fixtures.js';
import { startServe } from './helpers/server.js';
import { ingestMemoryLimit } from '../src/cli/ingest-commands.js';
import { lookupResources } from '../src/store/events.js';
import { parse as parseYaml } from 'yaml';

const bin = fileURLToPath(new URL('../../bin/aitrail.js', import.meta.url));

/** The CLI without blocking the event loop (for tests that also talk to a server this process started). */
function cliAsync(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { env: { ...process.env, AITRAIL_DATA_DIR: '' } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

function cli(args: string[], input?: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, env: { ...process.env, AITRAIL_DATA_DIR: '', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('ingest prints a summary; bad input is named, kept, and fails only with --strict', () => {
  const dir = tempDir();
  try {
    const data = `${dir}/data`;
    writeDelivery(`${dir}/logs`, 'good.json.gz', [record({ eventID: 'a' }), record({ eventID: 'b', eventName: 'Converse' })]);
    writeRaw(`${dir}/logs`, 'bad.json', '{"Records": [{"eventName": "X"}]}');
    const r = cli(['ingest', `${dir}/logs`, '--data-dir', data]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /events: 2 added, 0 duplicates, 0 eventID conflicts kept, 1 rejected \(of 3 records\)/);
    assert.match(r.err, /bad\.json:record 0: INGEST_BAD_RECORD: missing eventTime/);
    const again = cli(['ingest', `${dir}/logs`, '--data-dir', data, '--output', 'json']);
    assert.equal(again.code, 0);
    const sum = JSON.parse(again.out);
    assert.equal(sum.filesUnchanged, 2);
    assert.equal(sum.eventsAdded, 0);
    writeRaw(`${dir}/logs2`, 'bad.json', 'nope');
    assert.equal(cli(['ingest', `${dir}/logs2`, '--data-dir', data, '--strict']).code, 1);
    // stdin
    const piped = cli(['ingest', '-', '--data-dir', data], JSON.stringify(record({ eventID: 'c' })));
    assert.equal(piped.code, 0, piped.err);
    assert.match(piped.out, /events: 1 added/);

    // lookup-events: the AWS response shape
    const lk = cli(['lookup-events', '--data-dir', data, '--lookup-attributes', 'AttributeKey=EventName,AttributeValue=Converse']);
    assert.equal(lk.code, 0, lk.err);
    const res = JSON.parse(lk.out);
    assert.deepEqual(Object.keys(res.Events[0]).sort(), ['AccessKeyId', 'CloudTrailEvent', 'EventId', 'EventName', 'EventSource', 'EventTime', 'ReadOnly', 'Resources', 'Username']);
    assert.equal(res.Events[0].EventId, 'b');
    assert.equal(typeof res.Events[0].CloudTrailEvent, 'string');
    const page = JSON.parse(cli(['lookup-events', '--data-dir', data, '--max-results', '1']).out);
    assert.equal(page.Events.length, 1);
    assert.ok(page.NextToken);
    const bad = cli(['lookup-events', '--data-dir', data, '--lookup-attributes', 'AttributeKey=Nope,AttributeValue=x']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /InvalidLookupAttributesException/);
    const badTime = cli(['lookup-events', '--data-dir', data, '--start-time', '2026-02-01', '--end-time', '2026-01-01']);
    assert.match(badTime.err, /InvalidTimeRangeException/);

    // query: CSV and JSON output
    const q = cli(['query', 'SELECT eventId, eventName FROM events ORDER BY eventId', '--data-dir', data, '--output', 'csv']);
    assert.equal(q.code, 0, q.err);
    assert.equal(q.out, 'eventId,eventName\na,InvokeModel\nb,Converse\nc,InvokeModel\n');
    const rej = JSON.parse(cli(['query', 'SELECT code, reason FROM rejects ORDER BY rejectId', '--data-dir', data, '--output', 'json']).out);
    assert.equal(rej[0].reason, 'missing eventTime');
    // Every row (0), cut rows said on stderr, and a limit that is no number refused.
    const many = cli(['query', 'SELECT i FROM range(12000) t(i)', '--data-dir', data, '--output', 'jsonl', '--max-rows', '0']);
    assert.equal(many.out.trimEnd().split('\n').length, 12000);
    assert.doesNotMatch(many.err, /cut/);
    const cut = cli(['query', 'SELECT i FROM range(12000) t(i)', '--data-dir', data, '--output', 'csv']);
    assert.equal(cut.out.trimEnd().split('\n').length, 10001);
    assert.match(cut.err, /results cut at 10000 rows/);
    const nan = cli(['query', 'SELECT 1', '--data-dir', data, '--max-rows', 'lots']);
    assert.equal(nan.code, 2);
    assert.match(nan.err, /--max-rows must be a whole number/);
    const w = cli(['query', 'DROP TABLE event_store', '--data-dir', data]);
    assert.equal(w.code, 1);
    assert.match(w.err, /QUERY_NOT_READ_ONLY/);

    // get-event and summary
    const ev = JSON.parse(cli(['get-event', 'b', '--data-dir', data]).out);
    assert.equal(ev.record.eventID, 'b');
    assert.equal(ev.aiActivity, 'inference');
    const sm = JSON.parse(cli(['summary', '--data-dir', data, '--output', 'json']).out);
    assert.equal(sm.events, 3);
    assert.equal(sm.errors, 0);
    assert.deepEqual(sm.topErrors, []);
  } finally {
    rmDir(dir);
  }
});

test('an S3 source that cannot be listed is one clear line, without the AWS SDK\'s notice about Node versions', () => {
  const dir = tempDir();
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const r = spawnSync(process.execPath, [bin, 'ingest', 's3://no-such-bucket/x', '--endpoint-url', 'http://127.0.0.1:9', '--data-dir', `${dir}/data`], { encoding: 'utf8', env });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^aitrail ingest: INGEST_SOURCE: cannot list s3:\/\/no-such-bucket\/x: /);
    assert.doesNotMatch(r.stderr, /NodeVersionSupportWarning/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  } finally {
    rmDir(dir);
  }
});

test('ingest\'s memory limit grows with DuckDB\'s threads unless set outright', () => {
  assert.equal(ingestMemoryLimit({}), '384MB');
  assert.equal(ingestMemoryLimit({ AITRAIL_THREADS: '1' }), '384MB');
  assert.equal(ingestMemoryLimit({ AITRAIL_THREADS: '4' }), '768MB');
  assert.equal(ingestMemoryLimit({ AITRAIL_THREADS: '4', AITRAIL_MEMORY_LIMIT: '300MB' }), '300MB');
  assert.equal(ingestMemoryLimit({ AITRAIL_THREADS: 'lots' }), '384MB');
});

test('usage errors exit 2 with the usage text; a missing store is a clear error', () => {
  const dir = tempDir();
  try {
    assert.equal(cli([]).code, 2);
    const u = cli(['frobnicate']);
    assert.equal(u.code, 2);
    assert.match(u.err, /unknown command 'frobnicate'/);
    const o = cli(['ingest', '--bogus']);
    assert.equal(o.code, 2);
    assert.match(o.err, /Usage: aitrail ingest/);
    const n = cli(['ingest']);
    assert.equal(n.code, 2);
    const m = cli(['lookup-events', '--data-dir', `${dir}/none`]);
    assert.equal(m.code, 1);
    assert.match(m.err, /no aitrail store in/);
    assert.match(cli(['--help']).out, /lookup-events/);
  } finally {
    rmDir(dir);
  }
});

test('tokens through a running server: create, list, revoke; the local command explains the lock', async () => {
  const dir = tempDir();
  const data = `${dir}/data`;
  const admin = cli(['tokens', 'create', '--role', 'admin', '--name', 'boot', '--data-dir', data]);
  assert.equal(admin.code, 0, admin.err);
  const adminToken = admin.out.trim();
  const srv = await startServe(data, 19000 + Math.floor(Math.random() * 5000));
  try {
    const acli = (args: string[]) => cliAsync(args);
    const locked = await acli(['tokens', 'create', '--role', 'viewer', '--data-dir', data]);
    assert.notEqual(locked.code, 0);
    assert.match(locked.err, /--server URL --token ADMIN_TOKEN/);
    const made = await acli(['tokens', 'create', '--role', 'viewer', '--name', 'via-api', '--server', srv.url, '--token', adminToken]);
    assert.equal(made.code, 0, made.err);
    const viewer = made.out.trim();
    assert.equal((await fetch(`${srv.url}/api/session`, { headers: { authorization: `Bearer ${viewer}` } })).status, 200);
    const list = await acli(['tokens', 'list', '--server', srv.url, '--token', adminToken, '--output', 'json']);
    assert.deepEqual(JSON.parse(list.out).map((t: { name: string }) => t.name).sort(), ['boot', 'via-api']);
    const revoked = await acli(['tokens', 'revoke', 'via-api', '--server', srv.url, '--token', adminToken]);
    assert.equal(revoked.code, 0, revoked.err);
    assert.equal((await fetch(`${srv.url}/api/session`, { headers: { authorization: `Bearer ${viewer}` } })).status, 401);
    const denied = await acli(['tokens', 'list', '--server', srv.url, '--token', viewer]);
    assert.notEqual(denied.code, 0);
  } finally {
    srv.proc.kill('SIGTERM');
    await srv.exited;
    rmDir(dir);
  }
});

test('lookup-events, get-event and findings list: eventTime wildcards, JSON attribute lists, the record as stored, one-line usage errors', () => {
  const dir = tempDir();
  try {
    const data = `${dir}/data`;
    const odd = `{"eventTime":"2026-11-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"g1","__proto__":{"polluted":true},"big":12345678901234567890123,"huge":1e400}`;
    writeRaw(`${dir}/logs`, 'a.json', `{"Records":[${odd},${JSON.stringify(record({ eventID: 'g2', eventTime: '2026-11-02T10:00:00Z' }))}]}`);
    assert.equal(cli(['ingest', `${dir}/logs`, '--data-dir', data]).code, 0);
    const ids = (...args: string[]) => {
      const r = cli(['lookup-events', '--data-dir', data, ...args]);
      assert.equal(r.code, 0, r.err);
      return JSON.parse(r.out).Events.map((e: { EventId: string }) => e.EventId);
    };
    const usage = (args: string[], message: RegExp) => {
      const r = cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, message);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
    };

    // eventTime filters compare the record's time text.
    assert.deepEqual(ids('--filter', 'eventTime=2026-11-01*'), ['g1']);
    assert.deepEqual(ids('--filter', 'eventTime=*'), ['g2', 'g1']);
    assert.deepEqual(ids('--filter', 'eventTime!=x'), ['g2', 'g1']);

    // --lookup-attributes as JSON: every attribute of a list is used; bad JSON is a usage error.
    const attrs = (...list: [string, string][]) => JSON.stringify(list.map(([k, v]) => ({ AttributeKey: k, AttributeValue: v })));
    assert.deepEqual(ids('--lookup-attributes', attrs(['EventName', 'GetObject'], ['EventId', 'g2'])), []);
    assert.deepEqual(ids('--lookup-attributes', attrs(['EventName', 'GetObject'], ['EventId', 'g1'])), ['g1']);
    usage(['lookup-events', '--data-dir', data, '--lookup-attributes', '{bad'], /^aitrail lookup-events: --lookup-attributes '\{bad' is not valid JSON: /);
    usage(['lookup-events', '--data-dir', data, '--output', 'xml'], /--output must be json, text, table, yaml, yaml-stream, jsonl or csv, not 'xml'/);

    // get-event: the stored text itself, not a parsed and rewritten copy.
    const stored = JSON.parse(cli(['query', `SELECT CAST(record AS VARCHAR) AS r FROM events WHERE eventId = 'g1'`, '--data-dir', data, '--output', 'json']).out)[0].r;
    assert.match(stored, /"__proto__":\{"polluted":true\},"big":12345678901234567890123,"huge":1e400/);
    const ev = cli(['get-event', 'g1', '--data-dir', data]);
    assert.equal(ev.code, 0, ev.err);
    assert.ok(ev.out.endsWith(`,\n  "record": ${stored}\n}\n`), ev.out);
    assert.equal(JSON.parse(ev.out).eventId, 'g1');
    assert.equal(cli(['get-event', 'g1', '--data-dir', data, '--output', 'json']).out, ev.out);
    const line = cli(['get-event', 'g1', '--data-dir', data, '--output', 'jsonl']);
    assert.equal(line.code, 0, line.err);
    assert.ok(line.out.endsWith(`,"record":${stored}}\n`), line.out);
    assert.equal(line.out.split('\n').length, 2);
    assert.deepEqual(JSON.parse(line.out), JSON.parse(ev.out));
    usage(['get-event', 'g1', '--data-dir', data, '--output', 'table'], /get-event prints JSON \(--output json or jsonl\), not table/);

    // findings list: filter values are checked and named.
    usage(['findings', 'list', '--severity', 'high,bogus', '--data-dir', data], /--severity takes informational, low, medium, high, critical .*not 'bogus'/);
    usage(['findings', 'list', '--status', 'nope', '--data-dir', data], /--status takes open, acknowledged, resolved, suppressed .*not 'nope'/);
    usage(['findings', 'list', '--limit', 'many', '--data-dir', data], /--limit takes a whole number from 1 to 10000, not 'many'/);
    const found = cli(['findings', 'list', '--severity', 'high, critical', '--status', 'open', '--data-dir', data, '--output', 'json']);
    assert.equal(found.code, 0, found.err);
    assert.deepEqual(JSON.parse(found.out), { findings: [], total: 0 });
  } finally {
    rmDir(dir);
  }
});

test('a reader that stops early (`aitrail query … | head`) ends the command quietly, with exit 0', async () => {
  const dir = tempDir();
  try {
    const data = `${dir}/data`;
    writeDelivery(`${dir}/logs`, 'one.json.gz', [record({ eventID: 'a' })]);
    assert.equal(cli(['ingest', `${dir}/logs`, '--data-dir', data]).code, 0);
    const r = await new Promise<{ code: number | null; first: string; err: string }>((resolve) => {
      const p = spawn(process.execPath, [bin, 'query', 'SELECT * FROM range(5000000)', '--data-dir', data, '--output', 'jsonl', '--max-rows', '0']);
      let first = '';
      let err = '';
      p.stderr.on('data', (d) => (err += d));
      // Take the first chunk, then close the pipe as `head` does.
      p.stdout.once('data', (d) => {
        first = String(d);
        p.stdout.destroy();
      });
      p.on('close', (code) => resolve({ code, first, err }));
    });
    assert.match(r.first, /^\{"range":0\}\n/);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.err, /EPIPE|Error/);
  } finally {
    rmDir(dir);
  }
});

test('lookup-events pages as the AWS CLI does: every event by default, --max-items and --starting-token, --page-size, --query and --output text', () => {
  const dir = tempDir();
  try {
    const data = `${dir}/data`;
    // Seven events a minute apart; one has no access key (an AWS service's call).
    const recs = Array.from({ length: 7 }, (_, i) => record({ eventID: `p${i}`, eventTime: `2026-11-01T10:0${i}:00Z`, eventName: i % 2 ? 'Converse' : 'InvokeModel' }));
    delete (recs[3]!.userIdentity as Record<string, unknown>).accessKeyId;
    recs[2]!.awsRegion = 'eu-west-1';
    writeDelivery(`${dir}/logs`, 'a.json.gz', recs);
    assert.equal(cli(['ingest', `${dir}/logs`, '--data-dir', data]).code, 0);
    const run = (...args: string[]) => {
      const r = cli(['lookup-events', '--data-dir', data, ...args]);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
      return r;
    };
    const newestFirst = ['p6', 'p5', 'p4', 'p3', 'p2', 'p1', 'p0'];

    // No paging option: every matching event, no NextToken, in the response's JSON shape.
    const all = run();
    const whole = JSON.parse(all.out);
    assert.deepEqual(whole.Events.map((e: { EventId: string }) => e.EventId), newestFirst);
    assert.equal(whole.NextToken, undefined);
    assert.equal(all.out, JSON.stringify(whole, null, 2) + '\n');
    // Pages of two are fetched one after another: the same answer, byte for byte.
    assert.equal(run('--page-size', '2').out, all.out);

    // --max-items stops there and gives a token that --starting-token continues from, without gaps or repeats.
    const seen: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 3; i++) {
      const page = JSON.parse(run('--max-items', '3', '--page-size', '2', ...(token ? ['--starting-token', token] : [])).out);
      seen.push(...page.Events.map((e: { EventId: string }) => e.EventId));
      token = page.NextToken;
    }
    assert.deepEqual(seen, newestFirst);
    assert.equal(token, undefined);

    // The API's own options still ask for one page.
    const one = JSON.parse(run('--max-results', '2').out);
    assert.deepEqual(one.Events.map((e: { EventId: string }) => e.EventId), ['p6', 'p5']);
    const two = JSON.parse(run('--max-results', '2', '--next-token', one.NextToken).out);
    assert.deepEqual(two.Events.map((e: { EventId: string }) => e.EventId), ['p4', 'p3']);
    assert.equal(JSON.parse(run('--no-paginate').out).Events.length, 7);

    // --query: JMESPath over the whole answer, printed as JSON, text or JSON Lines.
    assert.deepEqual(JSON.parse(run('--query', 'Events[].EventId').out), newestFirst);
    assert.equal(run('--query', "Events[?EventName=='Converse'].[EventId, EventName]", '--output', 'text').out, 'p5\tConverse\np3\tConverse\np1\tConverse\n');
    assert.equal(run('--query', 'length(Events)', '--output', 'text').out, '7\n');
    assert.equal(run('--query', 'Events[:2].{id: EventId}', '--output', 'jsonl').out, '{"id":"p6"}\n{"id":"p5"}\n');
    // --output table with --query: the AWS CLI's table, under the operation's name (80 columns off a terminal).
    assert.equal(run('--query', "Events[?EventName=='Converse'].[EventId, EventName]", '--output', 'table').out, [
      '--------------------',
      '|   LookupEvents   |',
      '+-----+------------+',
      '|  p5 |  Converse  |',
      '|  p3 |  Converse  |',
      '|  p1 |  Converse  |',
      '+-----+------------+',
      '',
    ].join('\n'));

    // --output yaml: the whole answer as the AWS CLI writes it (members sorted, times quoted), the
    // same value as the JSON; yaml-stream: each page read (here pages of 3) as an item of a list,
    // with --query applied to each page.
    const yamlText = run('--output', 'yaml', '--max-items', '2').out;
    assert.deepEqual(parseYaml(yamlText, { version: '1.1' }), JSON.parse(run('--max-items', '2').out));
    assert.match(yamlText, /^Events:\n- AccessKeyId: ASIA\w+\n {2}CloudTrailEvent: '\{"eventVersion":/);
    assert.match(yamlText, /\n {2}EventTime: '2026-11-01T10:06:00\+00:00'\n/);
    assert.equal(run('--query', 'Events[0].EventName', '--max-items', '1', '--output', 'yaml').out, 'InvokeModel\n...\n');
    assert.equal(run('--query', 'Events[].EventId', '--page-size', '3', '--output', 'yaml-stream').out, [
      '- - p6', '  - p5', '  - p4', '- - p3', '  - p2', '  - p1', '- - p0', '',
    ].join('\n'));
    const stream = parseYaml(run('--page-size', '3', '--max-items', '5', '--output', 'yaml-stream').out, { version: '1.1' }) as { Events: { EventId: string }[]; NextToken?: string }[];
    assert.deepEqual(stream.map((p) => p.Events.map((e) => e.EventId)), [['p6', 'p5', 'p4'], ['p3', 'p2']]);
    // Each page carries its token; the last one's continues after the fifth event.
    assert.deepEqual(JSON.parse(run('--starting-token', stream[1]!.NextToken!, '--query', 'Events[].EventId').out), ['p1', 'p0']);

    // The AWS CLI's global options are taken, as a command line written for it has them: --color
    // sets the table's colours (on: even when piped); the others change nothing, and --profile
    // says it is not used.
    const asText = run('--query', 'Events[].EventId', '--output', 'text');
    const withGlobals = run('--query', 'Events[].EventId', '--output', 'text', '--no-cli-pager', '--profile', 'prod', '--debug', '--cli-read-timeout', '0',
      '--endpoint-url', 'https://cloudtrail.us-east-1.amazonaws.com', '--no-verify-ssl', '--color', 'off');
    assert.equal(withGlobals.out, asText.out);
    assert.equal(asText.err, '');
    assert.match(withGlobals.err, /--profile prod is not used: .*--filter recipientAccountId=ID/);
    const coloured = run('--query', "Events[?EventName=='Converse'].[EventId]", '--output', 'table', '--color', 'on').out;
    assert.ok(coloured.includes('\u001b[') && coloured.includes('p5'), coloured);
    assert.ok(!run('--query', "Events[?EventName=='Converse'].[EventId]", '--output', 'table', '--color', 'auto').out.includes('\u001b['));

    // --output text: one EVENTS line per event with its scalar members in key order (empty where
    // it has none), a RESOURCES line per resource; with a NextToken, the token comes first.
    const text = run('--output', 'text').out.split('\n').filter(Boolean);
    assert.equal(text.length, 7);
    text.forEach((line, i) => {
      const e = whole.Events[i];
      assert.deepEqual(line.split('\t'), ['EVENTS', e.AccessKeyId ?? '', e.CloudTrailEvent, e.EventId, e.EventName, e.EventSource, e.EventTime, e.ReadOnly, e.Username]);
    });
    assert.equal(text[3]!.split('\t')[1], '');
    const cut = run('--output', 'text', '--max-items', '1').out.split('\n');
    assert.equal(cut[0], JSON.parse(run('--max-items', '1').out).NextToken);
    assert.match(cut[1]!, /^EVENTS\tASIA\w+\t\{/);

    // --region: the events recorded there, as that Region's Event history shows them.
    assert.deepEqual(JSON.parse(run('--region', 'eu-west-1', '--query', 'Events[].EventId').out), ['p2']);
    assert.deepEqual(JSON.parse(run('--region', 'us-east-1', '--query', 'Events[].EventId').out), newestFirst.filter((id) => id !== 'p2'));

    // --cli-input-json: the request as JSON (text or file://), options on the command line winning.
    const request = { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'Converse' }], MaxResults: 2, StartTime: '2026-11-01T10:02:00' };
    const asJson = JSON.parse(run('--cli-input-json', JSON.stringify(request)).out);
    // One page (MaxResults asks for one), Converse only, from 10:02 UTC (a time without a zone is UTC).
    assert.deepEqual(asJson.Events.map((e: { EventId: string }) => e.EventId), ['p5', 'p3']);
    assert.ok(asJson.NextToken === undefined);
    writeRaw(dir, 'request.json', JSON.stringify({ ...request, StartTime: '2026-11-01T10:00:00Z' }));
    const fromFile = JSON.parse(run('--cli-input-json', `file://${dir}/request.json`, '--max-results', '1').out);
    assert.deepEqual(fromFile.Events.map((e: { EventId: string }) => e.EventId), ['p5']);
    assert.ok(fromFile.NextToken);
    // --cli-input-yaml: the same request as YAML; the YAML skeleton is the JSON one, commented.
    const yamlRequest = 'LookupAttributes:\n- AttributeKey: EventName\n  AttributeValue: Converse\nMaxResults: 2\nStartTime: 2026-11-01T10:02:00\n';
    assert.equal(run('--cli-input-yaml', yamlRequest).out, run('--cli-input-json', JSON.stringify(request)).out);
    writeRaw(dir, 'request.yaml', yamlRequest);
    assert.deepEqual(JSON.parse(run('--cli-input-yaml', `file://${dir}/request.yaml`, '--max-results', '1', '--query', 'Events[].EventId').out), ['p5']);
    const yamlSkeleton = run('--generate-cli-skeleton', 'yaml-input').out;
    assert.deepEqual(parseYaml(yamlSkeleton), JSON.parse(run('--generate-cli-skeleton').out));
    assert.match(yamlSkeleton, /^ {2}AttributeValue: '' # \[REQUIRED\] /m);
    assert.match(yamlSkeleton, /^- AttributeKey: EventId # \[REQUIRED\] Valid values are: EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId\.$/m);
    // An empty list of attributes is no attribute, as in the API.
    assert.equal(JSON.parse(run('--cli-input-json', '{"LookupAttributes": [], "NextToken": null}').out).Events.length, 7);
    const skeleton = JSON.parse(run('--generate-cli-skeleton').out);
    assert.deepEqual(Object.keys(skeleton), ['LookupAttributes', 'StartTime', 'EndTime', 'EventCategory', 'MaxResults', 'NextToken']);
    assert.deepEqual(JSON.parse(run('--generate-cli-skeleton', 'input').out), skeleton);
    // The response's skeleton has the members of a real answer, in the same order.
    const shape = JSON.parse(run('--generate-cli-skeleton', 'output').out);
    const answer = JSON.parse(run('--max-items', '1').out);
    assert.deepEqual(Object.keys(shape), Object.keys(answer));
    assert.deepEqual(Object.keys(shape.Events[0]), Object.keys(answer.Events[0]));
    const resources = lookupResources(JSON.stringify({ resources: [{ type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::b' }] }));
    assert.deepEqual(Object.keys(shape.Events[0].Resources[0]), Object.keys(resources[0]!));
    assert.match(cli(['lookup-events', '--generate-cli-skeleton', 'yaml']).err, /skeleton \('input', or 'yaml-input'\) or the response's \('output'\), not 'yaml'/);

    // The two kinds of paging options do not mix; bad values and expressions are usage errors.
    for (const [args, message] of [
      [['--max-items', '2', '--max-results', '2'], /--max-items cannot be used with --max-results/],
      [['--starting-token', 'x', '--no-paginate'], /--starting-token cannot be used with --no-paginate/],
      [['--page-size', '0'], /--page-size must be a whole number of at least 1, not '0'/],
      [['--max-items', 'ten'], /--max-items must be a whole number of at least 1, not 'ten'/],
      [['--query', 'Events[?'], /--query 'Events\[\?' is not a JMESPath expression/],
      [['--query', 'Events', '--output', 'csv'], /--query's result is printed as json, jsonl, text, table, yaml or yaml-stream, not csv/],
      [['--region', 'eu-*'], /--region must be a Region name such as us-east-1, not 'eu-\*'/],
      [['--color', 'blue'], /--color must be on, off or auto, not 'blue'/],
      [['--cli-input-json', '{"Nope": 1}'], /--cli-input-json: unknown parameter "Nope", must be one of: LookupAttributes, StartTime/],
      [['--cli-input-json', '{"MaxResults": "2"}'], /--cli-input-json: MaxResults must be a number, not "2"/],
      [['--cli-input-json', '[1]'], /--cli-input-json must be a JSON object/],
      [['--cli-input-yaml', 'MaxResults: ['], /--cli-input-yaml is not valid YAML: .*line 1, column 14$/m],
      [['--cli-input-yaml', '[1]'], /--cli-input-yaml must be a YAML mapping/],
      [['--cli-input-yaml', 'MaxResults: two'], /--cli-input-yaml: MaxResults must be a number, not "two"/],
      [['--cli-input-yaml', 'MaxResults: 2', '--cli-input-json', '{}'], /--cli-input-json and --cli-input-yaml cannot be used together/],
      [['--cli-input-json', `file://${dir}/missing.json`], /--cli-input-json: cannot read .*missing\.json: ENOENT/],
      [['stray'], /lookup-events takes options only, not 'stray'/],
    ] as [string[], RegExp][]) {
      const r = cli(['lookup-events', '--data-dir', data, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, message);
      assert.equal(r.out, '');
    }
    // A token made for other parameters is refused, and nothing is printed before the error.
    const wrong = cli(['lookup-events', '--data-dir', data, '--starting-token', one.NextToken, '--filter', 'eventName=Converse']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /InvalidNextTokenException/);
    assert.equal(wrong.out, '');
  } finally {
    rmDir(dir);
  }
});

test('query: one that runs out of memory before writing anything runs again with four times the memory', () => {
  const dir = tempDir();
  try {
    const data = `${dir}/data`;
    // 400 records of about 50 kB (Glue tables): Athena's requestparameters over them needs between
    // 128 and 256 MB of DuckDB's memory, far more than the 20 MB of records.
    const columns = (k: number) => Array.from({ length: 500 }, (_, j) => ({ name: `c${j}_${k}`, type: 'string', comment: 'x'.repeat(60) }));
    for (let f = 0; f < 40; f++) {
      const recs = Array.from({ length: 10 }, (_, i) =>
        record({ eventSource: 'glue.amazonaws.com', eventName: 'CreateTable', requestParameters: { tableInput: { columns: columns(f * 10 + i) } } }));
      writeDelivery(`${dir}/logs`, `f${f}.json.gz`, recs);
    }
    assert.equal(cli(['ingest', `${dir}/logs`, '--data-dir', data]).code, 0);
    const sql = "SELECT count(json_extract_scalar(requestparameters, '$.tableInput.columns[0].name')) AS n FROM cloudtrail_logs";
    // 96 MB is too little, and 384 MB (the second run's) enough: each output gives the answer.
    for (const [output, expected] of [['csv', 'n\n400\n'], ['jsonl', '{"n":400}\n'], ['table', 'n\n---\n400\n']]) {
      const r = cli(['query', sql, '--data-dir', data, '--output', output!], undefined, { AITRAIL_MEMORY_LIMIT: '96MB' });
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, expected);
    }
    // Too little even with four times as much: the error says so, once.
    const r = cli(['query', sql, '--data-dir', data, '--output', 'csv'], undefined, { AITRAIL_MEMORY_LIMIT: '16MB' });
    assert.notEqual(r.code, 0);
    assert.equal(r.out, '');
    assert.match(r.err, /the query needed more memory than the store allows \(6\d\.\d MiB/);
  } finally {
    rmDir(dir);
  }
});
