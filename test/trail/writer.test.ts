import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { record, rmDir, tempDir } from '../helpers/fixtures.js';
import { FolderDestination, type Destination } from '../../src/trail/destination.js';
import { parseDigestKey, parseLogFileKey } from '../../src/trail/layout.js';
import { TrailWriter } from '../../src/trail/writer.js';
import { GENAI_PRESET } from '../../src/trail/selectors.js';
import { ACCOUNT, HOUR, MIN, T0, gunzipJson, keysUnder, logFor, openTrail, validate } from './trail-helpers.js';

const LOGS = `AWSLogs/${ACCOUNT}/CloudTrail/`;
const DIGESTS = `AWSLogs/${ACCOUNT}/CloudTrail-Digest/`;

test('delivery: after the interval, at maxEventsPerFile, per region, gzipped {"Records":[…]} named by delivery time', async () => {
  const t = await openTrail({ maxEventsPerFile: 5 });
  const d = new FolderDestination(t.folder);
  try {
    const first = await t.writer.append([record(), record(), record()]);
    assert.equal(first.accepted, 3);
    assert.deepEqual(first.logFiles, []);
    t.clock.advance(4 * MIN + 59_000);
    assert.deepEqual((await t.writer.tick()).logFiles, []);
    t.clock.advance(1000);
    const due = await t.writer.tick();
    assert.equal(due.logFiles.length, 1);
    assert.equal(due.logFiles[0]!.events, 3);
    const key = due.logFiles[0]!.key;
    const p = parseLogFileKey(key)!;
    assert.equal(p.deliveryTime.toISOString(), '2026-11-01T00:05:00.000Z');
    assert.match(key, /^AWSLogs\/111122223333\/CloudTrail\/us-east-1\/2026\/11\/01\/111122223333_CloudTrail_us-east-1_20261101T0005Z_[A-Za-z0-9]{16}\.json\.gz$/);
    const body = gunzipJson((await d.get(key)).body);
    assert.deepEqual(Object.keys(body), ['Records']);
    assert.equal((body.Records as unknown[]).length, 3);

    const burst = await t.writer.append([
      ...Array.from({ length: 12 }, () => record()),
      record({ awsRegion: 'eu-west-1' }),
    ]);
    assert.deepEqual(burst.logFiles.map((l) => l.events), [5, 5], 'full files go out at once');
    assert.equal(t.writer.pendingCount, 3);
    const fl = await t.writer.flush();
    assert.deepEqual(fl.logFiles.map((l) => `${l.region}:${l.events}`).sort(), ['eu-west-1:1', 'us-east-1:2']);
    assert.deepEqual(fl.digests.map((x) => x.region).sort(), ['eu-west-1', 'us-east-1'], 'flush writes a digest now for every region');
    assert.equal(fl.digests[0]!.endTime, '2026-11-01T00:05:00Z');
    assert.equal((await keysUnder(d, `${LOGS}eu-west-1/`)).length, 1);
  } finally {
    rmDir(t.dir);
  }
});

test('hourly digests: one per hour including empty hours, chained, each covering the logs of its hour', async () => {
  const t = await openTrail();
  const d = new FolderDestination(t.folder);
  try {
    await logFor(t, 60);
    t.clock.advance(2 * HOUR);
    const r = await t.writer.tick();
    assert.deepEqual(r.digests.map((x) => x.endTime), ['2026-11-01T02:00:00Z', '2026-11-01T03:00:00Z']);
    const keys = await keysUnder(d, DIGESTS);
    assert.equal(keys.length, 3);
    const digests = await Promise.all(keys.map(async (k) => gunzipJson((await d.get(k)).body)));
    assert.equal(digests[0]!.previousDigestS3Object, null, 'the first digest starts the chain');
    assert.equal((digests[0]!.logFiles as unknown[]).length, 6);
    assert.equal(digests[1]!.previousDigestS3Object, keys[0]);
    assert.equal(digests[2]!.previousDigestS3Object, keys[1]);
    assert.deepEqual(digests[1]!.logFiles, []);
    assert.equal(digests[1]!.newestEventTime, null);
    assert.equal(digests[1]!.digestStartTime, '2026-11-01T01:00:00Z');
    assert.equal(digests[1]!.digestEndTime, '2026-11-01T02:00:00Z');
    assert.equal(parseDigestKey(keys[2]!)!.endTime.toISOString(), '2026-11-01T03:00:00.000Z');
  } finally {
    rmDir(t.dir);
  }
});

test('a restart after a crash continues the chain and writes the missed (empty) hours', async () => {
  const t = await openTrail();
  const d = new FolderDestination(t.folder);
  try {
    await logFor(t, 90);
    // No stop(): the process died. Two hours later it comes back.
    const again = await openTrail(t.config, t.dir, t.clock.t + 2 * HOUR);
    const r = await again.writer.tick();
    assert.deepEqual(r.digests.map((x) => x.endTime), ['2026-11-01T02:00:00Z', '2026-11-01T03:00:00Z']);
    const keys = await keysUnder(d, DIGESTS);
    const second = gunzipJson((await d.get(keys[1]!)).body);
    assert.equal(second.previousDigestS3Object, keys[0]);
    assert.equal((second.logFiles as unknown[]).length, 3, 'logs delivered before the crash are covered after it');
    const v = await validate(again, { verbose: false });
    assert.equal(v.exitCode, 0, v.stderr);
    assert.equal(v.stderr, '');
  } finally {
    rmDir(t.dir);
  }
});

test('stop writes a final digest; re-enabling validation starts a fresh chain without the logs of the disabled period', async () => {
  const t = await openTrail();
  const d = new FolderDestination(t.folder);
  try {
    await logFor(t, 30);
    const stop = await t.writer.stop();
    assert.equal(stop.digests.length, 1);
    assert.equal(stop.digests[0]!.endTime, '2026-11-01T00:30:00Z');
    assert.equal(t.writer.snapshot().logging, false);

    const off = await openTrail({ ...t.config, validation: false }, t.dir, t.clock.t + HOUR);
    await logFor(off, 60);
    assert.equal((await keysUnder(d, DIGESTS)).length, 1, 'no digests while validation is off');

    const on = await openTrail(t.config, t.dir, off.clock.t);
    await logFor(on, 70);
    const keys = await keysUnder(d, DIGESTS);
    const fresh = gunzipJson((await d.get(keys[1]!)).body);
    assert.equal(fresh.digestStartTime, '2026-11-01T02:30:00Z');
    for (const f of ['previousDigestS3Bucket', 'previousDigestS3Object', 'previousDigestHashValue', 'previousDigestHashAlgorithm', 'previousDigestSignature']) {
      assert.equal(fresh[f], null, f);
    }
    const covered = new Set((fresh.logFiles as Array<{ s3Object: string }>).map((l) => l.s3Object));
    for (const k of await keysUnder(d, LOGS)) {
      if (parseLogFileKey(k)!.deliveryTime.getTime() < T0 + 2.5 * HOUR) assert.ok(!covered.has(k));
    }
  } finally {
    rmDir(t.dir);
  }
});

test('deliveredThrough: the mark waits for earlier pending records, survives a restart, and makes replays idempotent', async () => {
  const t = await openTrail({ maxEventsPerFile: 2 });
  const d = new FolderDestination(t.folder);
  try {
    const a = record({ eventID: 'a' });
    const b = record({ eventID: 'b', awsRegion: 'eu-west-1' });
    const c = record({ eventID: 'c' });
    const e = record({ eventID: 'e' });
    const r1 = await t.writer.append([a, b, c]);
    assert.deepEqual(r1.logFiles.map((l) => l.events), [2]);
    assert.equal(r1.deliveredThrough, 'a', 'b (eu-west-1) is still pending, so the mark stops at a');
    const r2 = await t.writer.flush();
    assert.equal(r2.deliveredThrough, 'c');
    const again = await openTrail(t.config, t.dir, t.clock.t + MIN);
    assert.equal(again.writer.deliveredThrough, 'c');
    const replay = await again.writer.append([a, b, c, e], { deliveredThrough: again.writer.deliveredThrough });
    assert.equal(replay.skipped, 3);
    assert.equal(replay.accepted, 1);
    await again.writer.flush();
    let events = 0;
    for (const k of await keysUnder(d, LOGS)) events += ((gunzipJson((await d.get(k)).body).Records as unknown[]) ?? []).length;
    assert.equal(events, 4, 'every event delivered exactly once');
    assert.equal(again.writer.deliveredThrough, 'e');
  } finally {
    rmDir(t.dir);
  }
});

test('an interrupted write is repaired on open from the persisted intent', async () => {
  const dir = tempDir('aitrail-trail-');
  try {
    const real = new FolderDestination(join(dir, 'bucket'));
    let hang = false;
    // A destination that stores the object, then never answers: the process "dies" mid-write.
    const flaky: Destination = Object.create(real) as Destination;
    flaky.put = async (key, body, meta) => {
      await real.put(key, body, meta);
      if (hang) await new Promise(() => undefined);
    };
    const t = await openTrail({}, dir, T0, flaky);
    await t.writer.append([record({ eventID: 'x1' })]);
    hang = true;
    void t.writer.flush();
    await new Promise((r) => setTimeout(r, 50));
    const state = JSON.parse(readFileSync(join(dir, 'state', 'trail-state.json'), 'utf8')) as { intent: { kind: string } | null; deliveredThrough: string | null };
    assert.equal(state.intent?.kind, 'log');
    assert.equal(state.deliveredThrough, null);
    const again = await openTrail(t.config, dir, T0 + MIN);
    assert.equal(again.writer.deliveredThrough, 'x1', 'the stored file counts as delivered');
    assert.equal(again.writer.snapshot().intent, null);
    await again.writer.flush();
    const v = await validate(again, { verbose: false });
    assert.equal(v.exitCode, 0, v.stderr);
    assert.equal(v.logFiles.valid, 1);
    assert.deepEqual(readdirSync(join(dir, 'state')), ['trail-state.json'], 'no temporary state files left behind');
  } finally {
    rmDir(dir);
  }
});

test('event selectors filter what a trail delivers', async () => {
  const t = await openTrail({ selectors: { AdvancedEventSelectors: [...GENAI_PRESET] } });
  try {
    const r = await t.writer.append([
      record(),
      record({ eventSource: 'iam.amazonaws.com', eventName: 'CreateUser' }),
      record({ eventSource: 'aitrail.local', eventName: 'RunQuery' }),
    ]);
    assert.equal(r.accepted, 2);
    assert.equal(r.filtered, 1);
    await assert.rejects(
      TrailWriter.open({ ...t.config, selectors: { AdvancedEventSelectors: [{ FieldSelectors: [] }] } }),
      /AdvancedEventSelectors\[0\]: FieldSelectors must contain at least one field selector/,
    );
    await assert.rejects(TrailWriter.open({ ...t.config, accountId: '12' }), /trail config: accountId/);
  } finally {
    rmDir(t.dir);
  }
});
