import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store } from '../src/store/db.js';
import { createToken } from '../src/server/auth.js';
import { record, tempDir, rmDir, writeRaw } from './helpers/fixtures.js';
import { startServe } from './helpers/server.js';
import { parse as parseYaml } from 'yaml';

const bin = fileURLToPath(new URL('../../bin/aitrail.js', import.meta.url));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function walk(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

function deliveredRecords(dest: string): Record<string, any>[] {
  return walk(dest)
    .filter((f) => /_CloudTrail_[\w-]+_\d{8}T\d{4}Z_\w+\.json\.gz$/.test(f))
    .flatMap((f) => (JSON.parse(gunzipSync(readFileSync(f)).toString('utf8')) as { Records: Record<string, any>[] }).Records);
}

test('a trail records a filtered copy of ingested events, signs digests, validates, and its files ingest unchanged', () => {
  const dir = tempDir();
  try {
    const data = `${dir}/data`;
    const dest = `${dir}/trail-bucket`;
    writeRaw(dir, 'before/x.json', JSON.stringify({ Records: [record({ eventID: 'before-1' })] }));
    assert.equal(cli(['ingest', `${dir}/before`, '--data-dir', data]).code, 0);
    const sel = JSON.stringify([{ Name: 'bedrock only', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }, { Field: 'eventSource', Equals: ['bedrock.amazonaws.com'] }] }]);
    const created = cli(['trail', 'create', 'ai-trail', '--destination', dest, '--enable-log-file-validation', '--account-id', '111122223333', '--advanced-event-selectors', sel, '--data-dir', data]);
    assert.equal(created.code, 0, created.err);
    const desc = JSON.parse(created.out);
    assert.equal(desc.TrailARN, 'arn:aws:cloudtrail:us-east-1:111122223333:trail/ai-trail');
    assert.equal(desc.LogFileValidationEnabled, true);
    assert.equal(desc.S3BucketName, 'trail-bucket');

    const bad = cli(['put-event-selectors', '--trail-name', 'ai-trail', '--advanced-event-selectors', '[{"FieldSelectors":[{"Field":"eventName","Contains":["x"]}]}]', '--data-dir', data]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /AdvancedEventSelectors\[0\]/);

    const evs = [
      record({ eventID: 'br-1', eventTime: '2026-11-01T10:00:00Z' }),
      record({ eventID: 'br-2', eventTime: '2026-11-01T10:01:00Z', awsRegion: 'us-west-2' }),
      record({ eventID: 's3-1', eventSource: 's3.amazonaws.com', eventName: 'GetObject', eventCategory: 'Data', eventTime: '2026-11-01T10:02:00Z' }),
      record({ eventID: 'iam-1', eventSource: 'iam.amazonaws.com', eventName: 'ListRoles', eventTime: '2026-11-01T10:03:00Z' }),
    ];
    writeRaw(dir, 'after/x.json', JSON.stringify({ Records: evs }));
    assert.equal(cli(['ingest', `${dir}/after`, '--data-dir', data]).code, 0);
    const fl = cli(['trail', 'flush', 'ai-trail', '--data-dir', data]);
    assert.equal(fl.code, 0, fl.err);
    const flushed = JSON.parse(fl.out);
    assert.ok(flushed.LogFiles.length >= 2, fl.out);
    assert.ok(flushed.DigestFiles.length >= 1, fl.out);

    const got = deliveredRecords(dest);
    assert.deepEqual(got.map((r) => r.eventID).sort(), ['br-1', 'br-2'], 'only events after the trail started, and only what the selectors select');
    assert.deepEqual(got.find((r) => r.eventID === 'br-1'), evs[0], 'records are delivered exactly as stored');
    const files = walk(dest).map((f) => f.slice(dest.length + 1));
    assert.ok(files.some((f) => /^AWSLogs\/111122223333\/CloudTrail\/us-west-2\/\d{4}\/\d{2}\/\d{2}\/111122223333_CloudTrail_us-west-2_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$/.test(f)), files.join('\n'));
    assert.ok(files.some((f) => /^AWSLogs\/111122223333\/CloudTrail-Digest\/us-east-1\/\d{4}\/\d{2}\/\d{2}\/111122223333_CloudTrail-Digest_us-east-1_ai-trail_us-east-1_\d{8}T\d{6}Z\.json\.gz$/.test(f)), files.join('\n'));

    const status = JSON.parse(cli(['get-trail-status', '--name', 'ai-trail', '--data-dir', data]).out);
    assert.equal(status.IsLogging, true);
    assert.ok(status.LatestDeliveryTime && status.LatestDigestDeliveryTime);
    const keys = JSON.parse(cli(['list-public-keys', '--trail-name', 'ai-trail', '--data-dir', data]).out);
    assert.equal(keys.PublicKeyList.length, 1);
    assert.match(keys.PublicKeyList[0].Fingerprint, /^[0-9a-f]{32}$/);

    // The AWS CLI's --query and --output text|table on the AWS-shaped answers.
    assert.equal(cli(['describe-trails', '--query', 'trailList[].[Name, HomeRegion, LogFileValidationEnabled]', '--output', 'text', '--data-dir', data]).out, 'ai-trail\tus-east-1\tTrue\n');
    assert.equal(cli(['get-trail-status', '--name', 'ai-trail', '--query', 'IsLogging', '--data-dir', data]).out, 'true\n');
    const table = cli(['describe-trails', '--output', 'table', '--data-dir', data]).out.split('\n');
    assert.match(table[1]!, /^\| +DescribeTrails +\|$/);
    assert.ok(table.some((l) => /^\|\| +trailList +\|\|$/.test(l)), table.join('\n'));
    assert.ok(table.some((l) => /^\|\| {2}TrailARN +\| {2}arn:aws:cloudtrail:us-east-1:111122223333:trail\/ai-trail +\|\|$/.test(l)), table.join('\n'));
    assert.equal(new Set(table.filter(Boolean).map((l) => l.length)).size, 1, 'every line of the table is as wide');
    // The AWS CLI's global options: --color on colours the table even when piped; --no-cli-pager changes nothing.
    assert.ok(cli(['describe-trails', '--output', 'table', '--color', 'on', '--data-dir', data]).out.includes('\u001b['));
    assert.equal(cli(['describe-trails', '--output', 'table', '--no-cli-pager', '--data-dir', data]).out, table.join('\n'));
    // --output yaml: the same answer as the JSON, members sorted; yaml-stream: as the one item of a list.
    const described = JSON.parse(cli(['describe-trails', '--data-dir', data]).out);
    const yamlText = cli(['describe-trails', '--output', 'yaml', '--data-dir', data]).out;
    assert.deepEqual(parseYaml(yamlText, { version: '1.1' }), described);
    assert.match(yamlText, /^trailList:\n- Destination: \S+\n {2}HasCustomEventSelectors: (true|false)\n {2}HasInsightSelectors: false\n {2}HomeRegion: us-east-1\n/);
    assert.equal(cli(['get-trail-status', '--name', 'ai-trail', '--query', '{logging: IsLogging}', '--output', 'yaml-stream', '--data-dir', data]).out, '- logging: true\n');
    // Both are checked before a command changes anything.
    for (const [args, why] of [[['--output', 'xml'], /--output must be json, text, table, yaml or yaml-stream, not 'xml'/], [['--color', 'red'], /--color must be on, off or auto, not 'red'/], [['--query', 'Name['], /--query 'Name\[' is not a JMESPath expression/]] as const) {
      const r = cli(['create-trail', '--name', 'not-made', '--destination', `${dir}/other`, ...args, '--data-dir', data]);
      assert.equal(r.code, 2);
      assert.match(r.err, why);
    }
    assert.deepEqual(JSON.parse(cli(['describe-trails', '--data-dir', data]).out).trailList.map((t: { Name: string }) => t.Name), ['ai-trail']);

    const v = cli(['validate-logs', '--trail-arn', desc.TrailARN, '--start-time', '2020-01-01T00:00:00Z', '--path', dest, '--data-dir', data, '--verbose']);
    assert.equal(v.code, 0, v.out + v.err);
    assert.match(v.out, /Validating log files for trail arn:aws:cloudtrail:us-east-1:111122223333:trail\/ai-trail between/);
    assert.match(v.out, /\d+\/\d+ digest files valid/);
    assert.match(v.out, /2\/2 log files valid/);

    // Key rotation: later digests are signed with the new key and the whole chain still validates.
    const rot = cli(['trail', 'rotate-key', 'ai-trail', '--data-dir', data]);
    assert.equal(rot.code, 0, rot.err);
    writeRaw(dir, 'later/x.json', JSON.stringify({ Records: [record({ eventID: 'br-3', eventTime: '2026-11-01T11:00:00Z' })] }));
    assert.equal(cli(['ingest', `${dir}/later`, '--data-dir', data]).code, 0);
    assert.equal(cli(['trail', 'flush', 'ai-trail', '--data-dir', data]).code, 0);
    assert.equal(JSON.parse(cli(['list-public-keys', '--trail-name', 'ai-trail', '--data-dir', data]).out).PublicKeyList.length, 2);
    const v2 = cli(['validate-logs', '--trail-arn', desc.TrailARN, '--start-time', '2020-01-01T00:00:00Z', '--path', dest, '--data-dir', data]);
    assert.equal(v2.code, 0, v2.out + v2.err);
    assert.match(v2.out, /3\/3 log files valid/);

    // Tampering is caught: one byte of a delivered log changed.
    const log = walk(dest).find((f) => f.includes('_CloudTrail_us-west-2_'))!;
    const body = gunzipSync(readFileSync(log)).toString('utf8').replace('br-2', 'br-X');
    writeRaw('/', log, (await_gzip(body)));
    const t = cli(['validate-logs', '--trail-arn', desc.TrailARN, '--start-time', '2020-01-01T00:00:00Z', '--path', dest, '--data-dir', data]);
    assert.equal(t.code, 1);
    assert.match(t.out + t.err, /Log file\t.*_CloudTrail_us-west-2_.*\tINVALID: hash value doesn't match/);

    // aitrail's own ingest reads the delivered files unchanged.
    const again = cli(['ingest', dest, '--data-dir', `${dir}/data2`, '--output', 'json']);
    assert.equal(again.code, 0, again.err);
    const sum = JSON.parse(again.out);
    assert.equal(sum.eventsAdded, 3);
    assert.equal(sum.filesSkipped.digest >= 1, true);

    // Trail changes are events too, and the existing rules catch them.
    assert.equal(cli(['stop-logging', '--name', 'ai-trail', '--data-dir', data]).code, 0);
    const changes = JSON.parse(cli(['query', "SELECT eventName, userIdentityType FROM events WHERE eventSource = 'aitrail.local' ORDER BY eventTime, eventName", '--data-dir', data, '--output', 'json']).out);
    const names = changes.map((c: { eventName: string }) => c.eventName);
    for (const n of ['CreateTrail', 'PutEventSelectors', 'StopLogging']) assert.ok(names.includes(n), names.join(','));
    assert.equal(cli(['detect', '--data-dir', data]).code, 0);
    const f = JSON.parse(cli(['findings', 'list', '--rule', 'aws.cloudtrail.logging_stopped', '--data-dir', data, '--output', 'json']).out);
    assert.equal(f.total, 1);
    assert.equal(JSON.parse(cli(['get-trail-status', '--name', 'ai-trail', '--data-dir', data]).out).IsLogging, false);
  } finally {
    rmDir(dir);
  }
});

function await_gzip(s: string): Buffer {
  // Imported lazily to keep the test's imports short.
  return (spawnSync(process.execPath, ['-e', 'process.stdout.write(require("zlib").gzipSync(require("fs").readFileSync(0)))'], { input: s }).stdout as Buffer);
}

test('durability: kill -9 right after acknowledgement; after a restart every acknowledged event is stored and delivered exactly once', async () => {
  const dir = tempDir();
  try {
    const data = `${dir}/data`;
    const dest = `${dir}/dest`;
    const pre = await Store.open({ dataDir: data });
    const { token } = await createToken(pre, 'pusher', 'admin');
    await pre.close();
    // No selectors: all management events (the pushed ones, and aitrail's own).
    const mk = cli(['trail', 'create', 'gateway-trail', '--destination', dest, '--enable-log-file-validation', '--account-id', '111122223333', '--delivery-interval', '1s', '--data-dir', data]);
    assert.equal(mk.code, 0, mk.err);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const acked: string[] = [];
    for (let round = 0; round < 3; round++) {
      const { proc, url, exited } = await startServe(data, port);
      const batches = Array.from({ length: 5 }, (_, b) =>
        Array.from({ length: 20 }, (_, i) => ({ id: `r${round}-${b}-${i}`, eventData: JSON.stringify(record({ eventID: `ev-${round}-${b}-${i}`, eventSource: 'gateway.acme', eventName: 'Chat', eventCategory: 'Management' })) })),
      );
      // The kill lands just after the first acknowledgement, while later batches are in flight.
      let firstAck: () => void = () => undefined;
      const acknowledged = new Promise<void>((r) => (firstAck = r));
      const sends = batches.map(async (auditEvents, b) => {
        await new Promise((r) => setTimeout(r, b * 10));
        try {
          const res = await fetch(`${url}/api/audit-events`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ auditEvents }) });
          if (res.ok) {
            acked.push(...((await res.json()) as { successful: { eventID: string }[] }).successful.map((s) => s.eventID));
            firstAck();
          }
        } catch {
          // killed mid-request: not acknowledged
        }
      });
      await Promise.race([acknowledged, new Promise((r) => setTimeout(r, 15_000))]);
      await new Promise((r) => setTimeout(r, round * 5));
      proc.kill('SIGKILL');
      await Promise.all(sends);
      await exited;
    }
    assert.ok(acked.length > 0, 'some batches were acknowledged before the kills');
    const { proc, url, exited } = await startServe(data, port);
    try {
      const fl = await fetch(`${url}/api/trails/gateway-trail/flush`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      assert.equal(fl.status, 200, await fl.clone().text());
      const got = deliveredRecords(dest).filter((r) => r.eventSource === 'gateway.acme').map((r) => r.eventID as string);
      for (const id of acked) assert.equal(got.filter((g) => g === id).length, 1, `${id} must be delivered exactly once`);
      assert.equal(new Set(got).size, got.length, 'no event delivered twice');
      const stored = await (await fetch(`${url}/api/sql`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ sql: "SELECT eventId FROM events WHERE eventSource = 'gateway.acme'" }) })).json() as { rows: string[][] };
      const storedIds = new Set(stored.rows.map((r) => r[0]));
      for (const id of acked) assert.ok(storedIds.has(id), `${id} acknowledged but not stored`);
      assert.deepEqual([...storedIds].sort(), [...new Set(got)].sort(), 'everything stored for the trail was delivered');
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
    const v = cli(['validate-logs', '--trail-arn', 'arn:aws:cloudtrail:us-east-1:111122223333:trail/gateway-trail', '--start-time', '2020-01-01T00:00:00Z', '--path', dest, '--data-dir', data]);
    assert.equal(v.code, 0, v.out + v.err);
  } finally {
    rmDir(dir);
  }
});
