import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync, existsSync, mkdirSync, symlinkSync, createWriteStream, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import { Store } from '../src/store/db.js';
import { ingest } from '../src/ingest/index.js';
import { ingestObjects } from '../src/ingest/pipeline.js';
import { skipReason } from '../src/ingest/sources.js';
import { record, tempDir, rmDir, writeDelivery, deliveryKey, writeRaw } from './helpers/fixtures.js';

async function withStore<T>(fn: (store: Store, dir: string) => Promise<T>, memoryLimit?: string): Promise<T> {
  const dir = tempDir();
  const store = await Store.open({ dataDir: `${dir}/data`, ...(memoryLimit ? { memoryLimit } : {}) });
  try {
    return await fn(store, dir);
  } finally {
    await store.close();
    rmDir(dir);
  }
}

const count = async (store: Store, sql = 'SELECT count(*) AS n FROM event_store') => Number((await store.one(sql))!.n);
const sqlLiteral = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** A trail bucket's layout: two delivery files (3 events, two regions) and a digest file. */
function trailBucket(logs: string): string {
  const t = new Date('2026-11-01T10:05:00Z');
  writeDelivery(logs, deliveryKey('111122223333', 'us-east-1', t, 'AAAABBBBCCCCDDDD'), [record(), record()]);
  writeDelivery(logs, deliveryKey('111122223333', 'eu-west-1', t, 'EEEEFFFFGGGGHHHH'), [record({ awsRegion: 'eu-west-1' })]);
  writeRaw(logs, 'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/01/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20261101T110000Z.json.gz', gzipSync('{}'));
  return logs;
}

test('a trail bucket layout: logs read, digests and other objects skipped and counted', async () => {
  await withStore(async (store, dir) => {
    const logs = trailBucket(`${dir}/bucket`);
    writeRaw(logs, 'AWSLogs/111122223333/README.txt', 'not a log');
    const s = await ingest(store, [logs]);
    assert.equal(s.filesRead, 2);
    assert.equal(s.filesSkipped.digest, 1);
    assert.equal(s.filesSkipped['not-a-log-file'], 1);
    assert.equal(s.eventsAdded, 3);
    assert.equal(s.rejected, 0);
    assert.equal(await count(store), 3);
  });
});

test('overlapping sources (a folder twice, or a folder and its subfolder) read each file once', async () => {
  await withStore(async (store, dir) => {
    const logs = trailBucket(`${dir}/bucket`);
    const s = await ingest(store, [logs, `${logs}/AWSLogs/111122223333/CloudTrail/us-east-1`, logs]);
    assert.deepEqual([s.filesSeen, s.filesRead, s.filesSkipped.digest, s.eventsAdded, s.duplicates], [3, 2, 1, 3, 0]);
    assert.equal(await count(store, 'SELECT count(*) AS n FROM ingested_objects'), 2);
    assert.equal(await count(store), 3);
  });
});

test('links are followed once; a file that cannot be read is reported, the rest stored, and tried again next run', async () => {
  await withStore(async (store, dir) => {
    const real = `${dir}/real`;
    const a = writeDelivery(real, 'a.json.gz', [record(), record()]);
    writeDelivery(real, 'b.json', [record()], false);
    const links = `${dir}/links`;
    mkdirSync(links);
    symlinkSync(real, `${links}/to-real`);
    symlinkSync(a, `${links}/a-again.json.gz`);
    symlinkSync(`${dir}/nowhere.json.gz`, `${links}/broken.json.gz`);
    // A link back to a folder already walked ends there, instead of going round for ever.
    symlinkSync('.', `${links}/loop`);
    const s = await ingest(store, [links]);
    // a and b through to-real, a once more through its own link (its events are duplicates),
    // and the broken link.
    assert.deepEqual([s.filesRead, s.eventsAdded, s.duplicates, s.filesRejected], [4, 3, 2, 1]);
    const broken = s.problems.find((p) => p.uri.endsWith('broken.json.gz'));
    assert.equal(broken?.code, 'INGEST_READ_ERROR');
    assert.match(broken!.reason, /^cannot read the file: ENOENT.*the next run tries it again/);
    // Not in the manifest: once the link points at a file, the next run reads it.
    assert.equal(await count(store, `SELECT count(*) AS n FROM ingested_objects WHERE uri LIKE '%broken.json.gz'`), 0);
    writeDelivery(dir, 'nowhere.json.gz', [record({ eventID: 'late' })]);
    const again = await ingest(store, [links]);
    assert.deepEqual([again.filesRead, again.eventsAdded, again.filesRejected], [1, 1, 0]);
    // A download that fails is the same: reported, the other objects stored.
    const obj = (uri: string, path: string | null) => ({
      uri, size: 10, mtimeMs: 1, explicit: true,
      fetch: async () => (path === null ? Promise.reject(new Error('connection reset')) : path),
      release: async () => undefined,
    });
    const f = await ingestObjects(store, [obj('s3://b/x.json', null), obj('s3://b/y.json', writeDelivery(dir, 'y.json', [record({ eventID: 'y' })], false))], []);
    assert.deepEqual([f.filesRead, f.eventsAdded, f.filesRejected], [2, 1, 1]);
    assert.deepEqual(f.problems.map((p) => [p.uri, p.code, p.reason.split(' (')[0]]), [['s3://b/x.json', 'INGEST_READ_ERROR', 'cannot fetch the file: connection reset']]);
  });
});

test('a file too large to read whole is streamed and stored in parts, its manifest row with the last', async () => {
  await withStore(async (store, dir) => {
    const l = `${dir}/l`;
    const pad = { requestParameters: { pad: 'p'.repeat(500) } };
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify(record({ eventID: `line-${i}`, ...pad })));
    lines.splice(150, 0, '{"not": json');
    writeRaw(l, 'export.jsonl', lines.join('\n'));
    writeDelivery(l, 'delivery.json.gz', Array.from({ length: 200 }, (_, i) => record({ eventID: `del-${i}`, ...pad })));
    writeDelivery(l, 'small.json', [record({ eventID: 'small' })], false);
    // Every file over 10 kB is streamed, in parts of about 40 kB.
    const opts = { largeFileBytes: 10_000, batchBytes: 40_000 };
    const s = await ingest(store, [l], opts);
    assert.deepEqual([s.filesRead, s.eventsAdded, s.duplicates, s.rejected], [3, 501, 0, 1]);
    assert.deepEqual(s.problems.map((p) => [p.uri.split('/').pop(), p.line, p.reason.split(':')[0]]), [['export.jsonl', 151, 'line 151 is not valid JSON']]);
    const m = await store.all(`SELECT regexp_extract(uri, '[^/]+$') AS f, status, events, rejected FROM ingested_objects ORDER BY f`);
    assert.deepEqual(m.map((r) => [r.f, r.status, Number(r.events), Number(r.rejected)]), [
      ['delivery.json.gz', 'ok', 200, 0],
      ['export.jsonl', 'partial', 300, 1],
      ['small.json', 'ok', 1, 0],
    ]);
    // Stored in several transactions: the parts carry their own times.
    const parts = await store.one(`SELECT count(DISTINCT ingestedAt) AS n FROM event_store WHERE eventId LIKE 'line-%'`);
    assert.ok(Number(parts!.n) >= 3, `parts: ${String(parts!.n)}`);
    // Every record once, as it came in.
    assert.equal(await count(store, `SELECT count(DISTINCT eventId) AS n FROM event_store`), 501);
    const back = await store.one(`SELECT CAST(record AS VARCHAR) AS r FROM event_store WHERE eventId = 'line-7'`);
    assert.deepEqual(JSON.parse(String(back!.r)), JSON.parse(lines[7]!));
    const again = await ingest(store, [l], opts);
    assert.deepEqual([again.filesRead, again.filesUnchanged, again.eventsAdded], [0, 3, 0]);
    // A gzip file whose trailer understates its content (here: 10 bytes) is found out when it
    // inflates past the large-file size, and streamed: its records stored, the lie reported.
    // (zlib stops on the trailer with its last 64 kB step, so the last few records are not among
    // those stored; the file is kept as it was.)
    const liar = gzipSync(JSON.stringify({ Records: Array.from({ length: 400 }, (_, i) => record({ eventID: `liar-${i}`, ...pad })) }));
    liar.writeUInt32LE(10, liar.length - 4);
    writeRaw(l, 'liar.json.gz', liar);
    const lied = await ingest(store, [l], opts);
    const told = /^corrupt gzip \(incorrect length check\); (\d+) records recovered before the damage$/.exec(lied.problems[0]?.reason ?? '');
    assert.ok(told, JSON.stringify(lied.problems));
    const recovered = Number(told[1]);
    assert.ok(recovered > 300 && recovered < 400, `${recovered} recovered`);
    assert.deepEqual([lied.filesRead, lied.eventsAdded, lied.problems.length, lied.problems[0]!.code], [1, recovered, 1, 'INGEST_BAD_GZIP']);
    const keptLiar = await store.one(`SELECT rawPath FROM rejects WHERE sourceUri LIKE '%liar.json.gz'`);
    assert.ok(readFileSync(String(keptLiar!.rawPath)).equals(liar));
    // A run killed between parts leaves no manifest row: the next reads the file from its start,
    // and the records already stored are duplicates, not added twice.
    await store.run(`DELETE FROM ingested_objects WHERE uri LIKE '%export.jsonl'`);
    const resumed = await ingest(store, [l], opts);
    assert.deepEqual([resumed.filesRead, resumed.eventsAdded, resumed.duplicates], [1, 0, 300]);
    assert.equal(await count(store), 501 + recovered);
  });
});

test('ingesting twice adds nothing; a changed file is re-read and only its new events added', async () => {
  await withStore(async (store, dir) => {
    const logs = `${dir}/logs`;
    const a = [record(), record()];
    const f = writeDelivery(logs, 'a.json.gz', a);
    writeDelivery(logs, 'b.json.gz', [record()]);
    const first = await ingest(store, [logs]);
    assert.equal(first.eventsAdded, 3);
    const second = await ingest(store, [logs]);
    assert.equal(second.filesUnchanged, 2);
    assert.equal(second.filesRead, 0);
    assert.equal(second.eventsAdded, 0);
    // The same events in another file are duplicates, not new events.
    writeDelivery(logs, 'copy.json', a, false);
    const third = await ingest(store, [logs]);
    assert.equal(third.filesRead, 1);
    assert.equal(third.duplicates, 2);
    assert.equal(third.eventsAdded, 0);
    // A rewritten file is read again; its old events are duplicates, the new one is added.
    const extra = record();
    writeFileSync(f, gzipSync(JSON.stringify({ Records: [...a, extra] })));
    const fourth = await ingest(store, [logs]);
    assert.equal(fourth.eventsAdded, 1);
    assert.equal(fourth.duplicates, 2);
    assert.equal(await count(store), 4);
    assert.equal(await count(store, 'SELECT count(DISTINCT eventId) AS n FROM event_store'), 4);
  });
});

test('the same eventID with different content is kept and flagged, not silently dropped', async () => {
  await withStore(async (store, dir) => {
    const a = record({ eventID: 'same-id' });
    const b = { ...a, errorCode: 'AccessDenied' };
    writeDelivery(`${dir}/l`, 'x.json.gz', [a]);
    writeDelivery(`${dir}/l`, 'y.json.gz', [b, a]);
    const s = await ingest(store, [`${dir}/l`]);
    assert.equal(s.eventsAdded, 2);
    assert.equal(s.duplicates, 1);
    assert.equal(s.conflicts, 1);
    const flagged = await store.all(`SELECT errorCode, flags FROM event_store WHERE eventId = 'same-id' ORDER BY errorCode NULLS FIRST`);
    assert.deepEqual(flagged.map((r) => r.flags), [[], ['eventid-conflict']]);
  });
});

test('delivery files stream into the lake: rejects moved out, duplicates dropped and conflicts flagged, across batches and runs', async () => {
  await withStore(async (store, dir) => {
    const l = `${dir}/l`;
    const a = record({ eventID: 'dup-a' });
    const c = record({ eventID: 'conflict-c' });
    const { eventTime: _t, ...noTime } = record({ eventID: 'bad-1' });
    // Delivery files go through DuckDB's own reader; one file per batch so the duplicate and the
    // conflict meet the first copy in an earlier batch of the same run.
    writeDelivery(l, deliveryKey('111122223333', 'us-east-1', new Date('2026-11-01T10:00:00Z'), 'AAAA000000000001'), [a, c, record()]);
    writeDelivery(l, deliveryKey('111122223333', 'us-east-1', new Date('2026-11-01T10:05:00Z'), 'AAAA000000000002'), [noTime, a, record({ eventID: 'kept-2' })]);
    writeDelivery(l, deliveryKey('111122223333', 'us-east-1', new Date('2026-11-01T10:10:00Z'), 'AAAA000000000003'), [{ ...c, errorCode: 'AccessDenied' }, 'not an object']);
    const s = await ingest(store, [l], { batchFiles: 1 });
    assert.equal(s.records, 8);
    assert.equal(s.eventsAdded, 5);
    assert.equal(s.duplicates, 1);
    assert.equal(s.conflicts, 1);
    assert.equal(s.rejected, 2);
    assert.deepEqual(s.problems.map((p) => `${p.index}:${p.reason}`).sort(), ['0:missing eventTime', '1:record is not a JSON object (found a string)']);
    // Nothing of the intermediate rows is left: each record is an event or a reject, once.
    assert.equal(await count(store), 5);
    assert.equal(await count(store, `SELECT count(*) AS n FROM event_store WHERE list_contains(flags, '!rejected') OR eventTime = TIMESTAMP '1970-01-01'`), 0);
    assert.equal(await count(store, `SELECT count(DISTINCT seq) AS n FROM event_store`), 5);
    const rej = await store.all(`SELECT recordIndex, code, raw FROM rejects ORDER BY recordIndex`);
    assert.deepEqual(rej.map((r) => [r.recordIndex, r.code]), [[0, 'INGEST_BAD_RECORD'], [1, 'INGEST_BAD_RECORD']]);
    assert.deepEqual(JSON.parse(String(rej[0]!.raw)), noTime);
    assert.equal(rej[1]!.raw, '"not an object"');
    const conflict = await store.all(`SELECT errorCode, flags FROM event_store WHERE eventId = 'conflict-c' ORDER BY errorCode NULLS FIRST`);
    assert.deepEqual(conflict.map((r) => r.flags), [[], ['eventid-conflict']]);
    // Per-file outcomes in the manifest.
    const files = await store.all(`SELECT status, events, duplicates, rejected FROM ingested_objects ORDER BY uri`);
    assert.deepEqual(files.map((f) => [f.status, f.events, f.duplicates, f.rejected]), [['ok', 3, 0, 0], ['partial', 1, 1, 1], ['partial', 1, 0, 1]]);
    // A later run with the same records in a new file adds nothing.
    writeDelivery(l, deliveryKey('111122223333', 'us-east-1', new Date('2026-11-01T10:15:00Z'), 'AAAA000000000004'), [a, c]);
    const again = await ingest(store, [l]);
    assert.deepEqual([again.filesRead, again.eventsAdded, again.duplicates, again.conflicts], [1, 0, 2, 0]);
    assert.equal(await count(store), 5);
  });
});

test('every record comes back exactly as it came in, unknown fields included', async () => {
  await withStore(async (store, dir) => {
    const odd = record({
      brandNewField: { nested: [1, 2.5, 'x', null, true, -0.125, 1e21], 'weird key': 'é"\\' },
      requestParameters: { big: 'BIG', tiny: 1e-7 },
      eventVersion: '1.11',
    });
    const text = JSON.stringify(odd).replace('"BIG"', '12345678901234567890');
    // The same record through the DuckDB path (delivery file) and the JavaScript path (JSON Lines).
    writeRaw(`${dir}/l`, 'one.json', `{"Records":[${text}]}`);
    writeRaw(`${dir}/m`, 'one.jsonl', `${text.replace('"eventVersion":"1.11"', '"eventVersion":"1.12"')}\n`);
    await ingest(store, [`${dir}/l`, `${dir}/m`]);
    const rows = await store.all(`SELECT CAST(record AS VARCHAR) AS r FROM event_store ORDER BY r`);
    assert.equal(rows.length, 2);
    for (const row of rows) {
      const back = String(row.r);
      assert.ok(back.includes('"big":12345678901234567890'), `large integers keep their digits: ${back}`);
      const expected = JSON.parse(text.replace('12345678901234567890', '1'));
      const got = JSON.parse(back.replace('12345678901234567890', '1'));
      delete expected.eventVersion;
      delete got.eventVersion;
      assert.deepEqual(got, expected);
    }
  });
});

test('every container shape is read: arrays, single records, JSON Lines, EventBridge, lookup-events, stdin', async () => {
  await withStore(async (store, dir) => {
    const l = `${dir}/l`;
    writeRaw(l, 'array.json', JSON.stringify([record(), record()]));
    writeRaw(l, 'single.json', JSON.stringify(record()));
    writeRaw(l, 'lines.jsonl', [record(), record(), record()].map((r) => JSON.stringify(r)).join('\n'));
    writeRaw(l, 'eb.json', JSON.stringify({ version: '0', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.bedrock', detail: record() }));
    writeRaw(l, 'lookup.json', JSON.stringify({ Events: [{ EventId: 'x', CloudTrailEvent: JSON.stringify(record()) }] }));
    writeRaw(l, 'pretty.json.gz', gzipSync(JSON.stringify({ Records: [record()] }, null, 2)));
    // Gzip files are only looked into once inflated for a bundle: the other shapes go on from
    // there to the JavaScript readers, and a byte order mark does not stop a delivery file.
    writeRaw(l, 'lines.jsonl.gz', gzipSync([record(), record(), record()].map((r) => JSON.stringify(r)).join('\n')));
    writeRaw(l, 'array.json.gz', gzipSync(JSON.stringify([record(), record()])));
    writeRaw(l, 'lookup.json.gz', gzipSync(JSON.stringify({ Events: [{ EventId: 'y', CloudTrailEvent: JSON.stringify(record()) }] })));
    writeRaw(l, 'bom.json.gz', gzipSync('\uFEFF' + JSON.stringify({ Records: [record()] })));
    const s = await ingest(store, [l]);
    assert.equal(s.rejected, 0);
    assert.equal(s.filesRead, 10);
    assert.equal(s.eventsAdded, 16);
    // `-` named twice reads standard input once (it cannot be read again).
    const viaStdin = await ingest(store, ['-', '-'], { stdin: Readable.from([JSON.stringify({ Records: [record(), record()] })]) });
    assert.deepEqual([viaStdin.filesSeen, viaStdin.eventsAdded], [1, 2]);
    assert.equal(await count(store), 18);
  });
});

test('values one after another are read: jq output, delivery files joined with cat, a Firehose bucket of EventBridge events', async () => {
  await withStore(async (store, dir) => {
    const l = `${dir}/l`;
    const pretty = (v: unknown) => JSON.stringify(v, null, 2);
    const eb = (r: Record<string, unknown>) => JSON.stringify({ version: '0', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.bedrock', detail: r });
    // `jq '.Records[]' *.json > selected.json`
    writeRaw(l, 'selected.json', [record(), record(), record()].map(pretty).join('\n'));
    // `zcat *.json.gz | gzip > joined.json.gz`: delivery files end without a line feed.
    writeRaw(l, 'joined.json.gz', gzipSync(JSON.stringify({ Records: [record(), record()] }) + JSON.stringify({ Records: [record()] })));
    // Firehose's objects have no extension; records follow one another with nothing between.
    writeRaw(l, 'fh/2026/11/01/10/ai-trail-stream-1-2026-11-01-10-15-02-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', [record(), record()].map(eb).join(''));
    writeRaw(l, 'fh/2026/11/01/11/ai-trail-stream-1-2026-11-01-11-15-02-1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d.gz', gzipSync([record()].map(eb).join('')));
    // Other objects without an extension are still passed over.
    writeRaw(l, 'fh/ConfigWritabilityCheckFile', 'x');
    // Text that is no JSON value ends a sequence: the values before it are kept, the rest is reported.
    const before = `${pretty(record())}\n${pretty(record({ eventID: 'kept-before-the-damage' }))}\n`;
    writeRaw(l, 'cut.json', `${before}<html>`);
    const at = before.split('\n').length;
    const s = await ingest(store, [l]);
    assert.deepEqual([s.filesRead, s.filesSkipped['not-a-log-file'], s.eventsAdded, s.rejected], [5, 1, 11, 1]);
    assert.deepEqual(s.problems.map((p) => [p.uri.split('/').pop(), p.line, p.reason]), [
      ['cut.json', at, `line ${at}: text after value 2 is not a JSON object or array; 2 complete records kept`],
    ]);
    assert.equal(await count(store, `SELECT count(*) AS n FROM events WHERE eventId = 'kept-before-the-damage'`), 1);
    assert.equal(await count(store, `SELECT count(*) AS n FROM rejects WHERE raw = '<html>'`), 1);
    // Read again: nothing added.
    const again = await ingest(store, [l]);
    assert.deepEqual([again.filesRead, again.eventsAdded], [0, 0]);
  });
});

test('CloudWatch Logs exports are read: filter-log-events output, a subscription delivered by Firehose, an export to S3', async () => {
  await withStore(async (store, dir) => {
    const l = `${dir}/l`;
    const at = Date.parse('2026-11-01T10:00:00Z');
    const stream = '111122223333_CloudTrail_us-east-1';
    // `aws logs filter-log-events --log-group-name aws-cloudtrail-logs > events.json`
    const filtered = [record(), record()];
    writeRaw(l, 'events.json', JSON.stringify({ events: filtered.map((r, i) => ({ logStreamName: stream, timestamp: at + i, message: JSON.stringify(r), ingestionTime: at + i + 9, eventId: `${i}` })), searchedLogStreams: [] }, null, 2));
    // A subscription to Firehose: gzip, its records one after another, a health check among them.
    const data = (rs: Record<string, unknown>[]) => JSON.stringify({ messageType: 'DATA_MESSAGE', owner: '111122223333', logGroup: 'aws-cloudtrail-logs', logStream: stream, subscriptionFilters: ['f'], logEvents: rs.map((r, i) => ({ id: `${i}`, timestamp: at, message: JSON.stringify(r) })) });
    const control = JSON.stringify({ messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', subscriptionFilters: [], logEvents: [{ id: '', timestamp: at, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }] });
    writeRaw(l, 'fh/2026/11/01/10/cwl-to-s3-1-2026-11-01-10-15-02-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d.gz', gzipSync(control + data([record(), record()]) + data([record({ eventID: 'via-subscription' })])));
    // An export task to S3: gzip, each line a time stamp and a record.
    writeRaw(l, 'exportedlogs/task/111122223333_CloudTrail_us-east-1/000000.gz', gzipSync([record(), record({ eventID: 'via-export' })].map((r, i) => `2026-11-01T10:00:0${i}.000Z ${JSON.stringify(r)}`).join('\n') + '\n'));
    const s = await ingest(store, [l]);
    assert.deepEqual([s.filesRead, s.eventsAdded, s.rejected], [3, 7, 0]);
    assert.equal(await count(store, `SELECT count(*) AS n FROM events WHERE eventId IN ('via-subscription', 'via-export')`), 2);
    // Stored as CloudTrail wrote them, not as the log events that carried them.
    const back = await store.one(`SELECT CAST(record AS VARCHAR) AS r FROM event_store WHERE eventId = ${JSON.stringify(filtered[0]!.eventID).replaceAll('"', "'")}`);
    assert.deepEqual(JSON.parse(String(back!.r)), filtered[0]);
  });
});

test('between batches, rows a small batch left in memory are checkpointed out before the next batch needs the room', async () => {
  await withStore(async (store, dir) => {
    const pad = { requestParameters: { pad: 'p'.repeat(1200) } };
    for (let k = 0; k < 3; k++) writeRaw(`${dir}/l`, `part-${k}.jsonl`, Array.from({ length: 12000 }, (_, i) => JSON.stringify(record({ eventID: `p${k}-${i}`, ...pad }))).join('\n'));
    const calls: boolean[] = [];
    const relieve = store.relieveMemory.bind(store);
    store.relieveMemory = async (share?: number) => {
      const did = await relieve(share);
      calls.push(did);
      return did;
    };
    // Batches of one file: none fills a row group, so each is held in memory until checkpointed.
    const s = await ingest(store, [`${dir}/l`], { batchBytes: 16_000_000 });
    assert.equal(s.eventsAdded, 36000);
    assert.ok(calls.length >= 3, 'asked after every batch');
    assert.ok(calls.includes(true), `checkpointed: ${JSON.stringify(calls)}`);
  }, '256MB');
});

test('lines and values taken on trust: one that is not valid JSON is read again checked and rejected alone; envelopes give their detail', async () => {
  await withStore(async (store, dir) => {
    const l = `${dir}/l`;
    const good = [record(), record(), record()];
    // Starts and ends as a record does, so it is first staged unparsed; DuckDB's reader fails on it.
    const bad = JSON.stringify(record()).replace('"eventName":', '"eventName" ');
    // A space JSON does not have before a bracket after a comma (DuckDB refuses it too), and a
    // number DuckDB takes and JSON.parse not (never taken on trust).
    const wideSpace = JSON.stringify(record({ resources: [] })).replace('"resources":[]', '"resources":[1,\u2000]');
    const nan = JSON.stringify(record({ requestParameters: { n: 0 } })).replace('"n":0', '"n":-inf');
    writeRaw(l, 'a.jsonl', [JSON.stringify(good[0]), bad, JSON.stringify(good[1]), wideSpace, nan].join('\n'));
    writeRaw(l, 'b.jsonl', JSON.stringify(good[2]));
    const s = await ingest(store, [l]);
    assert.deepEqual([s.filesRead, s.eventsAdded, s.rejected], [2, 3, 3]);
    assert.deepEqual(s.problems.map((p) => [p.uri.split('/').pop(), p.line, p.reason.split(':')[0]]), [2, 4, 5].map((n) => ['a.jsonl', n, `line ${n} is not valid JSON`]));
    // Firehose's EventBridge envelopes, one whose detail is not its last member: taken on trust,
    // each stores its detail as it came.
    const late = record({ eventID: 'detail-not-last' });
    const envelope = (detail: Record<string, unknown>, after = {}) => JSON.stringify({ version: '0', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.s3', detail, ...after });
    writeRaw(`${dir}/fh`, 's-1-2026-11-01-10-15-02-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', envelope(record()) + envelope(late, { 'replay-name': 'r', r: 5 }));
    const fh = await ingest(store, [`${dir}/fh`]);
    assert.deepEqual([fh.eventsAdded, fh.rejected], [2, 0]);
    const back = await store.one(`SELECT CAST(record AS VARCHAR) AS r FROM event_store WHERE eventId = 'detail-not-last'`);
    assert.deepEqual(JSON.parse(String(back!.r)), late);
    assert.equal(await count(store, `SELECT count(*) AS n FROM rejects WHERE raw = ${sqlLiteral(bad)}`), 1);
    const again = await ingest(store, [l]);
    assert.deepEqual([again.filesRead, again.eventsAdded], [0, 0]);
  });
});

test('a record holding half a surrogate pair is rejected alone, from JSON Lines and from a delivery file', async () => {
  await withStore(async (store, dir) => {
    const l = `${dir}/l`;
    const lone = (id: string) => JSON.stringify(record({ eventID: id, userAgent: 'x' })).replace('"userAgent":"x"', '"userAgent":"x\\ud800"');
    writeRaw(l, 'a.jsonl', [JSON.stringify(record({ eventID: 'a1' })), lone('a2'), JSON.stringify(record({ eventID: 'a3' }))].join('\n'));
    writeRaw(l, 'd.json', `{"Records":[${JSON.stringify(record({ eventID: 'd1' }))},${lone('d2')}]}`);
    writeDelivery(l, 'ok.json.gz', [record({ eventID: 'ok' })]);
    const s = await ingest(store, [l]);
    assert.deepEqual([s.filesRead, s.eventsAdded, s.rejected], [3, 4, 2]);
    assert.deepEqual(s.problems.map((p) => [p.uri.split('/').pop(), p.index, p.code]).sort(), [['a.jsonl', 1, 'INGEST_BAD_RECORD'], ['d.json', 1, 'INGEST_BAD_RECORD']]);
    assert.match(s.problems[0]!.reason, /holds \\ud800, half of a UTF-16 surrogate pair/);
    assert.equal(await count(store, `SELECT count(*) AS n FROM rejects WHERE raw LIKE '%\\ud800%'`), 2);
  });
});

test('duplicates are found whatever the time: microseconds after the batch\'s last millisecond, and the last moment of 9999', async () => {
  await withStore(async (store, dir) => {
    const early = record({ eventID: 'early', eventTime: '2026-11-01T09:00:00Z' });
    const micro = record({ eventID: 'micro', eventTime: '2026-11-01T10:00:00.123456Z' });
    const far = record({ eventID: 'far', eventTime: '9999-12-31T23:59:59.999999Z' });
    // The same records in two containers (the JavaScript readers' path and delivery files').
    writeRaw(`${dir}/a`, 'x.jsonl', [early, micro].map((r) => JSON.stringify(r)).join('\n'));
    writeRaw(`${dir}/b`, 'y.json', JSON.stringify({ Records: [early, micro] }));
    writeRaw(`${dir}/c`, 'z.jsonl', [JSON.stringify(far), JSON.stringify(micro)].join('\n'));
    writeRaw(`${dir}/d`, 'w.json', JSON.stringify({ Records: [far] }));
    const runs = [];
    for (const src of ['a', 'b', 'c', 'd']) {
      const s = await ingest(store, [`${dir}/${src}`]);
      runs.push([s.eventsAdded, s.duplicates, s.rejected]);
    }
    assert.deepEqual(runs, [[2, 0, 0], [0, 2, 0], [1, 1, 0], [0, 1, 0]]);
    assert.equal(await count(store), 3);
  });
});

test('a file needing more memory than ingest\'s limit is stored with four times as much; one needing more still is reported and kept, and the run goes on', async () => {
  // 800 records of 10 kB that do not compress (8 MB), next to an ordinary file.
  const write = (dir: string) => {
    const big = Array.from({ length: 800 }, (_, i) => record({ eventID: `big-${i}`, requestParameters: { blob: randomBytes(5000).toString('hex') } }));
    writeRaw(`${dir}/logs`, 'big.json', JSON.stringify({ Records: big }));
    writeRaw(`${dir}/logs`, 'good.json', JSON.stringify({ Records: [record({ eventID: 'good' })] }));
  };
  const settings = (store: Store) => store.one(`SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t`);
  await withStore(async (store, dir) => {
    write(dir);
    const before = await settings(store);
    const s = await ingest(store, [`${dir}/logs`]);
    assert.deepEqual([s.eventsAdded, s.rejected, s.filesRejected], [801, 0, 0]);
    assert.deepEqual(await settings(store), before);
  }, '64MB');
  await withStore(async (store, dir) => {
    write(dir);
    const s = await ingest(store, [`${dir}/logs`]);
    assert.deepEqual([s.eventsAdded, s.filesRejected], [1, 1]);
    assert.deepEqual(s.problems.map((p) => [p.uri.split('/').pop(), p.code]), [['big.json', 'INGEST_READ_ERROR']]);
    assert.match(s.problems[0]!.reason, /^could not be stored: Out of Memory Error.*AITRAIL_MEMORY_LIMIT/);
    const kept = await store.one(`SELECT rawPath FROM rejects`);
    assert.equal(readFileSync(String(kept!.rawPath), 'utf8'), readFileSync(`${dir}/logs/big.json`, 'utf8'));
    // Not recorded as read: the next run tries it again.
    const again = await ingest(store, [`${dir}/logs`]);
    assert.deepEqual([again.filesRead, again.filesRejected], [1, 1]);
    // 20 MB: four times that (80 MB) holds a load of the ordinary file (about 66 MB with DuckDB's
    // 32 MB JSON buffer), and the large one fails even at 128 MB.
  }, '20MB');
});

test('a null where a record should be is rejected as null, from delivery files and JSON Lines', async () => {
  await withStore(async (store, dir) => {
    writeRaw(`${dir}/l`, 'd.json', JSON.stringify({ Records: [record(), null] }));
    writeRaw(`${dir}/l`, 'l.jsonl', [JSON.stringify(record()), 'null'].join('\n'));
    const s = await ingest(store, [`${dir}/l`]);
    assert.deepEqual([s.eventsAdded, s.rejected], [2, 2]);
    assert.deepEqual(s.problems.map((p) => p.reason), ['record is not a JSON object (found null)', 'record is not a JSON object (found null)']);
  });
});

test('an eventTime outside years 0000 to 9999 (DuckDB reads up to 294,247 and infinity) is rejected with its reason', async () => {
  await withStore(async (store, dir) => {
    const times = ['10000-01-01T00:00:00Z', '294247-01-10T04:00:54Z', 'infinity', '-infinity', '-000001-06-01T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z'];
    const recs = times.map((t, i) => record({ eventID: `r-${i}`, eventTime: t }));
    writeRaw(`${dir}/l`, 'a.json', JSON.stringify({ Records: recs }));
    writeRaw(`${dir}/l`, 'b.jsonl', JSON.stringify(record({ eventID: 'line', eventTime: 'Infinity' })));
    const s = await ingest(store, [`${dir}/l`]);
    assert.deepEqual([s.eventsAdded, s.rejected], [2, 6]);
    assert.deepEqual(s.problems.map((p) => p.reason), [...times.slice(0, 5), 'Infinity'].map((t) => `eventTime "${t}" is outside years 0000 to 9999`));
    // Every reader of stored times still works.
    const r = await store.one(`SELECT min(eventTime) AS lo, max(eventTime) AS hi FROM event_store`);
    assert.deepEqual([(r!.lo as Date).getUTCFullYear(), (r!.hi as Date).getUTCFullYear()], [0, 9999]);
  });
});

test('a long rejected line is kept cut to 64 kB, never inside a character, and the run goes on', async () => {
  await withStore(async (store, dir) => {
    // Not JSON (a trailing comma), 80,000 UTF-16 units of emoji: the cut falls after the first half of a pair.
    const long = JSON.stringify(record({ eventID: 'long', userAgent: 'a' + '😀'.repeat(40000) })).replace(/}$/, ',}');
    writeRaw(`${dir}/l`, 'a.jsonl', [JSON.stringify(record({ eventID: 'before' })), long, JSON.stringify(record({ eventID: 'after' }))].join('\n'));
    const s = await ingest(store, [`${dir}/l`]);
    assert.deepEqual([s.eventsAdded, s.rejected], [2, 1]);
    assert.deepEqual(s.problems.map((p) => [p.line, p.code]), [[2, 'INGEST_BAD_JSON']]);
    const kept = await store.one(`SELECT raw FROM rejects`);
    assert.equal(long.startsWith(String(kept!.raw).replace(/…\[\d+ more characters\]$/, '')), true);
  });
});

test('a named pipe (a shell\'s <(command)) is read once, like standard input, and named by its content', async () => {
  await withStore(async (store, dir) => {
    const fifo = `${dir}/pipe`;
    execFileSync('mkfifo', [fifo]);
    const body = JSON.stringify({ Records: [record({ eventID: 'piped-1' }), record({ eventID: 'piped-2' })] });
    const feed = () => new Promise<void>((resolve, reject) => createWriteStream(fifo).on('error', reject).end(body, resolve));
    // Spool folders a killed run left behind are removed; this run's own are not.
    for (const left of ['stdin-4999999', 'pipe-4999998', 'ingest-4999997']) mkdirSync(`${dir}/data/tmp/${left}/x`, { recursive: true });
    const [s] = await Promise.all([ingest(store, [fifo]), feed()]);
    assert.deepEqual([s.filesRead, s.eventsAdded], [1, 2]);
    assert.deepEqual(readdirSync(`${dir}/data/tmp`).filter((d) => /-49999\d\d$/.test(d)), []);
    const uri = String((await store.one('SELECT uri FROM ingested_objects'))!.uri);
    assert.equal(uri, `pipe:sha256:${createHash('sha256').update(body).digest('hex')}`);
    // The same content again is already read.
    const [again] = await Promise.all([ingest(store, [fifo]), feed()]);
    assert.deepEqual([again.filesUnchanged, again.eventsAdded], [1, 0]);
  });
});

test('an eventTime not written as CloudTrail writes it is flagged, and the Athena view gives its text as it came', async () => {
  const dir = tempDir();
  let store = await Store.open({ dataDir: `${dir}/data` });
  try {
    const times = { canonical: '2026-11-01T10:00:00Z', millis: '2026-11-01T10:00:00.250Z', offset: '2026-11-01T12:00:00+02:00', spaced: '2026-11-01 10:00:00' };
    writeRaw(`${dir}/l`, 'times.json', JSON.stringify({ Records: Object.entries(times).map(([id, eventTime]) => record({ eventID: id, eventTime })) }));
    assert.equal((await ingest(store, [`${dir}/l`])).eventsAdded, 4);
    const view = async () =>
      (await store.all(`SELECT e.eventId, e.flags, c.eventtime FROM event_store e JOIN cloudtrail_logs c ON c.eventid = e.eventId ORDER BY 1`)).map((r) => [
        r.eventId,
        [...(r.flags as string[])],
        r.eventtime,
      ]);
    const expected = [
      ['canonical', [], times.canonical],
      ['millis', ['odd-eventTime-format'], times.millis],
      ['offset', ['odd-eventTime-format'], times.offset],
      ['spaced', ['odd-eventTime-format'], times.spaced],
    ];
    assert.deepEqual(await view(), expected);
    // Events stored before the flag existed get it from migration 10.
    await store.run(`UPDATE event_store SET flags = []`);
    await store.run(`DELETE FROM schema_migrations WHERE version = 10`);
    await store.close();
    store = await Store.open({ dataDir: `${dir}/data` });
    assert.deepEqual(await view(), expected);
  } finally {
    await store.close();
    rmDir(dir);
  }
});

test('bad input: each bad file and record is named with its reason, kept raw, and the rest is stored', async () => {
  await withStore(async (store, dir) => {
    const l = `${dir}/l`;
    const good = [record(), record()];
    writeDelivery(l, 'good.json.gz', good);
    // corrupt gzip: a valid prefix, then garbage
    const gz = gzipSync(JSON.stringify({ Records: Array.from({ length: 50 }, () => record({ requestParameters: { pad: randomBytes(300).toString('hex') } })) }));
    const corrupt = Buffer.concat([gz.subarray(0, Math.floor(gz.length / 2)), Buffer.from('garbage!garbage!')]);
    writeRaw(l, 'corrupt.json.gz', corrupt);
    // truncated JSON delivery file
    const full = JSON.stringify({ Records: [record({ eventID: 'kept-1' }), record({ eventID: 'kept-2' }), record()] });
    writeRaw(l, 'truncated.json', full.slice(0, full.length - 30));
    writeRaw(l, 'notjson.json', 'this is not JSON at all');
    // empty files: CloudTrail never delivers one, so they are reported, not passed over
    writeRaw(l, 'zero.json.gz', '');
    // not UTF-8 (one byte of Latin-1): the records are kept, the file reported and kept as it was
    const latin1 = Buffer.from(JSON.stringify({ Records: [record({ eventID: 'latin-1', userAgent: 'caf\u00e9' })] }), 'latin1');
    writeRaw(l, 'latin1.json', latin1);
    writeRaw(l, 'blank.json.gz', gzipSync(' \n'));
    // records missing required fields, with wrong types, and odd-but-valid ones
    const { eventTime: _t, ...noTime } = record();
    const { eventName: _n, ...noName } = record();
    const { eventSource: _s, ...noSource } = record();
    writeRaw(
      l,
      'records.json',
      JSON.stringify({
        Records: [
          noTime,
          noName,
          noSource,
          record({ eventName: 42 }),
          record({ eventTime: '[REDACTED]' }),
          'just a string',
          record({ eventID: 'odd-but-fine', sourceIPAddress: '010.300.1.1', awsRegion: 'mars-north-9z', readOnly: 'yes', eventType: 'AwsConsoleSignin' }),
          record({ eventID: 'fine' }),
        ],
      }),
    );
    // The same in JSON Lines: a bad record is named by its line too.
    writeRaw(l, 'records.jsonl', [JSON.stringify(record()), JSON.stringify(noTime), '', JSON.stringify(record({ eventName: 42 }))].join('\n'));
    const s = await ingest(store, [l]);
    const reasons = s.problems.map((p) => `${p.uri.split('/').pop()}:${p.index ?? '-'}:${p.reason}`);
    const jsonl = s.problems.filter((p) => p.uri.endsWith('records.jsonl')).map((p) => [p.index, p.line, p.reason]);
    assert.deepEqual(jsonl, [[1, 2, 'missing eventTime'], [2, 4, 'eventName must be a string, found a number']]);
    const jsonlRejects = await store.all(`SELECT recordIndex, line FROM rejects WHERE sourceUri LIKE '%records.jsonl' ORDER BY line`);
    assert.deepEqual(jsonlRejects.map((r) => [r.recordIndex, r.line]), [[1, 2], [2, 4]]);
    const has = (re: RegExp) => assert.ok(reasons.some((r) => re.test(r)), `expected ${re} in\n${reasons.join('\n')}`);
    has(/^corrupt\.json\.gz:-:corrupt gzip/);
    has(/^truncated\.json:-:file is truncated or damaged after record 2/);
    has(/^notjson\.json:-:not valid JSON/);
    has(/^zero\.json\.gz:-:empty file \(0 bytes\): no records in it$/);
    has(/^latin1\.json:-:not valid UTF-8: 1 records read with U\+FFFD in place of the bytes that are not; the file is kept as it was$/);
    const kept1 = await store.one(`SELECT rawPath FROM rejects WHERE code = 'INGEST_BAD_UTF8'`);
    assert.ok(readFileSync(String(kept1!.rawPath)).equals(latin1), 'the copy holds the bytes as they were');
    assert.equal((await store.one(`SELECT userAgent FROM event_store WHERE eventId = 'latin-1'`))!.userAgent, 'caf\uFFFD');
    has(/^blank\.json\.gz:-:empty file \(\d+ bytes of gzip that inflate to no text\)/);
    has(/^records\.json:0:missing eventTime/);
    has(/^records\.json:1:missing eventName/);
    has(/^records\.json:2:missing eventSource/);
    has(/^records\.json:3:eventName must be a string, found a number$/);
    has(/^records\.json:4:eventTime "\[REDACTED\]" is not a timestamp/);
    has(/^records\.json:5:record is not a JSON object \(found a string\)$/);
    // Problems of whole files (no record index, no line) are told apart from rejected records.
    const whole = s.problems.filter((p) => p.index === null && p.line === null).length;
    assert.ok(whole >= 6, `${whole}`);
    assert.equal(s.fileProblems, whole);
    assert.ok(s.rejected > s.fileProblems);
    // Valid neighbours are never lost.
    const ids = (await store.all('SELECT eventId FROM event_store')).map((r) => r.eventId);
    for (const id of ['kept-1', 'kept-2', 'odd-but-fine', 'fine', 'latin-1', good[0]!.eventID, good[1]!.eventID]) assert.ok(ids.includes(id), `missing ${id}`);
    assert.ok(s.eventsAdded >= 6 + 1, 'some records recovered from the corrupt gzip too');
    // Odd values are kept and flagged.
    const odd = await store.one(`SELECT flags, readOnly, eventType FROM event_store WHERE eventId = 'odd-but-fine'`);
    assert.deepEqual([...(odd!.flags as string[])].sort(), ['odd-readOnly', 'odd-region', 'odd-source-ip']);
    assert.equal(odd!.readOnly, null);
    assert.equal(odd!.eventType, 'AwsConsoleSignin');
    // The raw input is kept where the user can see it.
    const rej = await store.all(`SELECT sourceUri, recordIndex, code, reason, raw, rawPath FROM rejects ORDER BY rejectId`);
    assert.ok(rej.some((r) => String(r.raw).includes('"eventName":42')));
    assert.ok(rej.some((r) => r.raw === 'this is not JSON at all'));
    const kept = rej.find((r) => String(r.sourceUri).endsWith('corrupt.json.gz') && r.rawPath);
    assert.ok(kept && existsSync(String(kept.rawPath)));
    assert.deepEqual(readFileSync(String(kept.rawPath)), corrupt);
    assert.equal(s.rejected, rej.length);
  });
});

test('Insights events, @timestamp exports and Lambda versioned names are stored', async () => {
  await withStore(async (store, dir) => {
    const insight = {
      eventVersion: '1.07', eventTime: '2026-11-01T00:52:00Z', awsRegion: 'us-east-1', eventID: 'insight-1',
      eventType: 'AwsCloudTrailInsight', recipientAccountId: '111122223333', sharedEventID: 's-1',
      insightDetails: { state: 'Start', eventSource: 'bedrock.amazonaws.com', eventName: 'InvokeModel', insightType: 'ApiCallRateInsight' },
      eventCategory: 'Insight',
    };
    const { eventTime: _t, ...rest } = record({ eventID: 'logstash-1' });
    const logstash = { ...rest, '@timestamp': '2026-11-01T03:00:00.000Z', '@version': '1' };
    const lambda = record({ eventID: 'lambda-1', eventSource: 'lambda.amazonaws.com', eventName: 'UpdateFunctionCode20150331v2', requestParameters: { functionName: 'rag-retriever' } });
    writeRaw(`${dir}/l`, 'x.jsonl', [insight, logstash, lambda].map((r) => JSON.stringify(r)).join('\n'));
    const s = await ingest(store, [`${dir}/l`]);
    assert.equal(s.rejected, 0);
    const rows = await store.all(`SELECT eventId, eventSource, eventName, eventTime, flags, aiService, aiActivity FROM event_store ORDER BY eventId`);
    const byId = Object.fromEntries(rows.map((r) => [r.eventId, r]));
    assert.equal(byId['insight-1']!.eventName, 'InvokeModel');
    assert.equal(byId['insight-1']!.eventSource, 'bedrock.amazonaws.com');
    assert.deepEqual(byId['logstash-1']!.flags, ['eventTime-from-@timestamp']);
    assert.equal((byId['logstash-1']!.eventTime as Date).toISOString(), '2026-11-01T03:00:00.000Z');
    assert.equal(byId['lambda-1']!.aiActivity, 'deployment');
  });
});

test('a typed field holding something other than a string is flagged, so readers needing the difference read the record', async () => {
  const dir = tempDir();
  const store = await Store.open({ dataDir: `${dir}/data` });
  try {
    const root = { type: 'Root', principalId: '111122223333', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' };
    // A member name written with an escape ("\u0065rrorCode" is errorCode) is still found.
    const escaped = JSON.stringify(record({ eventID: 'escaped-null', errorCode: null })).replace('"errorCode"', '"\\u0065rrorCode"');
    writeRaw(dir, 'logs/2.json', `{"Records":[${escaped}]}`);
    writeRaw(dir, 'logs/1.json', JSON.stringify({ Records: [
      record({ eventID: 'plain', userIdentity: root }),
      record({ eventID: 'null-invoker', userIdentity: { ...root, invokedBy: null } }),
      record({ eventID: 'number-error', errorCode: 403 }),
      record({ eventID: 'object-agent', userAgent: { name: 'x' } }),
      record({ eventID: 'mfa-upper', userIdentity: { ...root, sessionContext: { attributes: { mfaAuthenticated: 'TRUE' } } } }),
      record({ eventID: 'console-bool', sessionCredentialFromConsole: true }),
      record({ eventID: 'console-text', sessionCredentialFromConsole: 'true' }),
    ] }));
    await ingest(store, [`${dir}/logs`]);
    const flags = Object.fromEntries((await store.all('SELECT eventId, flags FROM event_store')).map((r) => [String(r.eventId), [...(r.flags as string[])].sort()]));
    assert.deepEqual(flags, {
      plain: [],
      'null-invoker': ['odd-typed-field'],
      'number-error': ['odd-typed-field'],
      'object-agent': ['odd-typed-field'],
      'mfa-upper': ['odd-mfaAuthenticated'],
      'console-bool': ['odd-typed-field'],
      'console-text': [],
      'escaped-null': ['odd-typed-field'],
    });
    const console = Object.fromEntries((await store.all('SELECT eventId, sessionCredentialFromConsole AS c FROM event_store')).map((r) => [String(r.eventId), r.c]));
    assert.equal(console['console-text'], 'true');
    assert.equal(console['console-bool'], 'true');
    assert.equal(console.plain, null);
    // Pushed texts are stored as sent, escapes included: the escaped name is still found.
    const { loadRecords } = await import('../src/ingest/records.js');
    const pushed = JSON.stringify(record({ eventID: 'pushed-escaped', userIdentity: { ...root, invokedBy: null } })).replace('"invokedBy"', '"\\u0069nvokedBy"');
    await loadRecords(store, 'push:test', [pushed]);
    const p = await store.one(`SELECT flags, record FROM events WHERE eventId = 'pushed-escaped'`);
    assert.deepEqual([...(p!.flags as string[])], ['odd-typed-field']);
    assert.ok(String(p!.record).includes('\\u0069nvokedBy'));
    // The records themselves are kept exactly.
    const rec = await store.one(`SELECT record FROM events WHERE eventId = 'null-invoker'`);
    assert.equal((JSON.parse(String(rec!.record)) as { userIdentity: { invokedBy: unknown } }).userIdentity.invokedBy, null);
  } finally {
    await store.close();
    rmDir(dir);
  }
});

test('a local folder with a time range: date folders outside it and digest folders are not read; the files kept are those the key dates keep', async () => {
  const dir = tempDir();
  try {
    const logs = `${dir}/logs`;
    const keys: string[] = [];
    const days = ['2025-12-31', '2026-01-01', '2026-01-02', '2026-01-03', '2026-03-01'];
    for (const account of ['AWSLogs/111122223333', 'AWSLogs/o-abc123def4/444455556666']) {
      const id = account.split('/').pop()!;
      for (const day of days) {
        keys.push(`${account}/CloudTrail/us-east-1/${day.replaceAll('-', '/')}/${deliveryKey(id, 'us-east-1', new Date(`${day}T12:05:00Z`), `L${keys.length}`).split('/').pop()!}`);
        keys.push(`${account}/CloudTrail-Digest/us-east-1/${day.replaceAll('-', '/')}/${id}_CloudTrail-Digest_us-east-1_t_us-east-1_${day.replaceAll('-', '')}T130000Z.json.gz`);
      }
    }
    // No full date in the key: read whatever the range.
    keys.push('AWSLogs/exports/2026/01/monthly.json', 'AWSLogs/exports/2026/yearly.json');
    for (const [i, k] of keys.entries()) writeDelivery(logs, k, [record({ eventID: `l-${i}` })], k.endsWith('.gz'));
    const ranges: [string, string | undefined, string | undefined, number][] = [
      ['New Year', '2026-01-01T00:00:00Z', '2026-01-01T23:59:59Z', 4],
      ['from March', '2026-03-01T00:00:00Z', undefined, 2],
      ['a day with no folder', '2026-02-10T00:00:00Z', '2026-02-10T23:59:59Z', 0],
    ];
    for (const [name, from, to, delivery] of ranges) {
      const range = { ...(from ? { start: new Date(from) } : {}), ...(to ? { end: new Date(to) } : {}) };
      const store = await Store.open({ dataDir: `${dir}/${name}` });
      try {
        const s = await ingest(store, [logs], { startTime: range.start, endTime: range.end });
        const read = (await store.all(`SELECT uri FROM ingested_objects ORDER BY uri`)).map((r) => String(r.uri).slice(logs.length + 1));
        const expected = keys.filter((k) => skipReason(k, false, range) === undefined).sort();
        assert.deepEqual(read, expected, name);
        assert.equal(s.filesRead, delivery + 2, name);
        // Files outside the range, and digests, are never even listed.
        assert.deepEqual([s.filesSkipped['outside-time-range'], s.filesSkipped.digest], [0, 0], name);
      } finally {
        await store.close();
      }
    }
    // Without a range, every folder is read and digests are counted as skipped.
    await withStore(async (store) => {
      const s = await ingest(store, [logs]);
      assert.deepEqual([s.filesRead, s.filesSkipped.digest], [days.length * 2 + 2, days.length * 2]);
    });
  } finally {
    rmDir(dir);
  }
});

test('batches follow the size of the records: they grow while records are small, and stay small while records average over 16 kB', async () => {
  await withStore(async (store, dir) => {
    // Delivery files and JSON Lines files, each of 32 records of about 1 kB (small) or of 2 records
    // of about 20 kB (large): about 40 kB either way. A batch starts at `largeRecordBatchBytes`.
    const pad = (n: number) => ({ requestParameters: { note: 'x'.repeat(n) } });
    let t = 0;
    const records = (large: boolean) =>
      Array.from({ length: large ? 2 : 32 }, () => record({ eventTime: new Date(Date.UTC(2026, 10, 1) + 1000 * t++).toISOString(), ...pad(large ? 20_000 : 200) }));
    for (let i = 0; i < 30; i++) {
      writeDelivery(`${dir}/small`, `f${String(i).padStart(2, '0')}.json`, records(false), false);
      writeDelivery(`${dir}/large`, `f${String(i).padStart(2, '0')}.json`, records(true), false);
      writeRaw(`${dir}/small-lines`, `f${String(i).padStart(2, '0')}.jsonl`, records(false).map((r) => JSON.stringify(r)).join('\n') + '\n');
      writeRaw(`${dir}/large-lines`, `f${String(i).padStart(2, '0')}.jsonl`, records(true).map((r) => JSON.stringify(r)).join('\n') + '\n');
    }
    // Files per batch, from the progress reported after each.
    const batches = async (folder: string) => {
      const steps: number[] = [];
      let done = 0;
      const s = await ingest(store, [`${dir}/${folder}`], {
        batchBytes: 1_000_000,
        largeRecordBatchBytes: 60_000,
        onProgress: (p) => {
          steps.push(p.filesDone - done);
          done = p.filesDone;
        },
      });
      assert.equal(s.rejected, 0, folder);
      assert.equal(s.filesRead, 30, folder);
      return steps;
    };
    for (const kind of ['', '-lines']) {
      const small = await batches(`small${kind}`);
      const large = await batches(`large${kind}`);
      // Small records: the first batch holds one file (a second would pass 60 kB); batches double
      // once a load has shown the size of the records (delivery files: 1, 1, 3, 6, 12, 7).
      assert.equal(small[0], 1, `small${kind}: ${small}`);
      assert.ok(small.length <= 6 && Math.max(...small) >= 8, `small${kind}: ${small}`);
      // Large records: every batch holds one file, as the first did.
      assert.deepEqual(large, Array.from({ length: 30 }, () => 1), `large${kind}`);
    }
    // A file streamed in parts: of 1 MB (the whole file) for small records; for large ones, of a
    // group or two of staged records (an eighth of the batch size, 125 kB, here).
    writeRaw(`${dir}/big-small`, 'all.jsonl', Array.from({ length: 20 }, () => records(false).map((r) => JSON.stringify(r)).join('\n')).join('\n') + '\n');
    writeRaw(`${dir}/big-large`, 'all.jsonl', Array.from({ length: 20 }, () => records(true).map((r) => JSON.stringify(r)).join('\n')).join('\n') + '\n');
    const parts = async (folder: string) => {
      let n = 0;
      const s = await ingest(store, [`${dir}/${folder}`], { batchBytes: 1_000_000, largeRecordBatchBytes: 60_000, largeFileBytes: 100_000, onProgress: () => n++ });
      assert.equal(s.eventsAdded, folder === 'big-small' ? 640 : 40);
      return n;
    };
    assert.equal(await parts('big-small'), 1);
    const largeParts = await parts('big-large');
    assert.ok(largeParts >= 5, `${largeParts} parts`);
    assert.equal(await count(store), 30 * 32 * 2 + 30 * 2 * 2 + 640 + 40);
  });
});
