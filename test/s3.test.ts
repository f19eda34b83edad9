import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { Store } from '../src/store/db.js';
import { ingest } from '../src/ingest/index.js';
import { skipReason } from '../src/ingest/sources.js';
import { record, tempDir, rmDir, deliveryKey } from './helpers/fixtures.js';
import { s3Front, startS3, type S3Server } from './helpers/s3server.js';
import { openDestination } from '../src/trail/destination.js';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/aitrail.js', import.meta.url));

/** Runs `fn` with a fresh S3 server holding `bucket` and a fresh store, and cleans both up. */
async function withS3Store(bucket: string, fn: (s3: S3Server, store: Store) => Promise<void>): Promise<void> {
  const s3 = await startS3([bucket]);
  const dir = tempDir();
  const store = await Store.open({ dataDir: `${dir}/data` });
  try {
    await fn(s3, store);
  } finally {
    await store.close();
    rmDir(dir);
    await s3.stop();
  }
}

test('ingest from s3://bucket/prefix through a real S3-protocol server: layout, pruning, manifest', async () => {
  await withS3Store('trail-bucket', async (s3, store) => {
    const days = ['2026-10-01T10:05:00Z', '2026-10-15T10:05:00Z', '2026-10-16T00:03:00Z', '2026-10-30T10:05:00Z'];
    let n = 0;
    for (const d of days) {
      const when = new Date(d);
      const recs = [record({ eventTime: new Date(when.getTime() - 120_000).toISOString().replace('.000', '') }), record()];
      n += recs.length;
      await s3.put('trail-bucket', 'org/' + deliveryKey('111122223333', 'us-east-1', when, `U${d.slice(8, 10)}AAAAAAAAAAAAA`), gzipSync(JSON.stringify({ Records: recs })));
    }
    await s3.put('trail-bucket', 'org/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/15/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261015T110000Z.json.gz', gzipSync('{}'));
    await s3.put('trail-bucket', 'org/AWSLogs/111122223333/CloudTrail/us-east-1/', '');
    await s3.put('trail-bucket', 'elsewhere/x.json.gz', gzipSync(JSON.stringify({ Records: [record()] })));
    await s3.fillFolders('trail-bucket');

    // Key-date pruning: only the folders of Oct 15 and Oct 16 (one-day delivery margin) are read.
    const pruned = await ingest(store, ['s3://trail-bucket/org/'], {
      endpointUrl: s3.endpoint,
      startTime: new Date('2026-10-15T00:00:00Z'),
      endTime: new Date('2026-10-15T23:59:59Z'),
    });
    assert.equal(pruned.filesRead, 2);
    assert.equal(pruned.eventsAdded, 4);
    // Only the folders on the way to those two days are listed (a note in each of org/, AWSLogs/,
    // the account, CloudTrail/, the region, 2026/ and 10/); the digest folder and the days of
    // Oct 1 and Oct 30 never are, so nothing is counted outside the range.
    assert.deepEqual(pruned.filesSkipped, { digest: 0, 'not-a-log-file': 7, 'folder-marker': 1, 'outside-time-range': 0 });

    const all = await ingest(store, ['s3://trail-bucket/org/'], { endpointUrl: s3.endpoint });
    assert.equal(all.filesUnchanged, 2, 'the manifest (key, size, ETag) skips objects already read');
    assert.equal(all.filesRead, 2);
    assert.equal(all.eventsAdded, n - 4);
    const uris = (await store.all(`SELECT uri FROM ingested_objects ORDER BY uri`)).map((r) => String(r.uri));
    assert.ok(uris.every((u) => u.startsWith('s3://trail-bucket/org/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/')));
    const rows = await store.all(`SELECT DISTINCT sourceUri FROM events WHERE sourceUri LIKE 's3://%'`);
    assert.equal(rows.length, 4);
  });
});

test('a prefix of more than one listing page (1,000 keys) is walked folder by folder, listings side by side, digests skipped; a rerun reads nothing', async () => {
  await withS3Store('big-trail', async (s3, store) => {
    const start = Date.parse('2026-10-01T00:00:00Z');
    const puts: Promise<void>[] = [];
    const put = async (key: string, body: Buffer) => {
      puts.push(s3.put('big-trail', key, body));
      if (puts.length >= 32) await Promise.all(puts.splice(0));
    };
    // 1,150 delivery files of one record each, a minute apart, over two days and two regions, and
    // a digest every 50 files in a second account's folder. (s3rver lists in the order it walks its folders, not S3's byte order, and its
    // second page drops keys that sort before the first page's last: the keys are chosen to come
    // in the same order both ways.)
    for (let i = 0; i < 1150; i++) {
      const when = new Date(start + i * 60_000 + (i >= 1100 ? 86_400_000 : 0));
      const region = i % 100 === 7 ? 'eu-west-1' : 'us-east-1';
      await put(deliveryKey('111122223333', region, when, `P${String(i).padStart(15, '0')}`), gzipSync(JSON.stringify({ Records: [record({ eventID: `page-${i}`, eventTime: when.toISOString().replace('.000', '') })] })));
      if (i % 50 === 0) {
        const d = when.toISOString().slice(0, 10).replaceAll('-', '/');
        await put(`AWSLogs/222233334444/CloudTrail-Digest/us-east-1/${d}/222233334444_CloudTrail-Digest_us-east-1_t_us-east-1_${i}.json.gz`, gzipSync('{}'));
      }
    }
    await Promise.all(puts);
    // Notes in the digest folders count as digests (everything there is skipped as one).
    const digestNotes = (await s3.fillFolders('big-trail')).filter((f) => f.includes('/CloudTrail-Digest/')).length;
    const front = await s3Front(s3, { delayMs: 20 });
    try {
      const heard: [string, number][] = [];
      const first = await ingest(store, ['s3://big-trail/AWSLogs/'], { endpointUrl: front.endpoint, onListing: (src, n) => heard.push([src, n]) });
      assert.deepEqual([first.filesRead, first.eventsAdded, first.rejected, first.filesSkipped.digest], [1150, 1150, 0, 23 + digestNotes]);
      const ids = await store.one(`SELECT count(DISTINCT eventId) AS n, min(eventId) AS lo, max(eventId) AS hi FROM events`);
      assert.deepEqual([Number(ids!.n), ids!.lo, ids!.hi], [1150, 'page-0', 'page-999']);
      // One page of the whole prefix said there is more; then folders down to the years, several
      // at once, each year listed whole (us-east-1's over two pages).
      const l = front.listings;
      assert.deepEqual(l[0], { prefix: 'AWSLogs/', delimited: false, page: false });
      assert.ok(l.slice(1).some((x) => x.delimited), 'walked folder by folder');
      assert.ok(l.some((x) => x.page && x.prefix === 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/'), 'a year folder of more than a page');
      assert.ok(!l.some((x) => /\/2026\/./.test(x.prefix)), 'year folders listed whole');
      assert.ok(front.mostListingsAtOnce() > 1, `listings side by side (${front.mostListingsAtOnce()} at most)`);
      // Listing progress: a count after every page, growing to every key listed (logs, digests,
      // notes); the first page's keys are not counted, as the walk lists them again.
      assert.ok(heard.length > 5 && heard.every(([src]) => src === 's3://big-trail/AWSLogs/'), `${heard.length} reports`);
      assert.ok(heard.every(([, n], i) => i === 0 || n >= heard[i - 1]![1]), 'growing');
      assert.equal(heard.at(-1)![1], first.filesSeen);
      const again = await ingest(store, ['s3://big-trail/AWSLogs/'], { endpointUrl: front.endpoint });
      assert.deepEqual([again.filesRead, again.filesUnchanged, again.eventsAdded], [0, 1150, 0]);
    } finally {
      await front.close();
    }
  });
});

test('a prefix of at most 1,000 keys is listed with one request', async () => {
  await withS3Store('small-trail', async (s3, store) => {
    for (let i = 0; i < 3; i++) {
      const when = new Date(Date.parse('2026-10-01T00:00:00Z') + i * 86_400_000);
      await s3.put('small-trail', deliveryKey('111122223333', 'us-east-1', when, `S${i}`), gzipSync(JSON.stringify({ Records: [record({ eventTime: when.toISOString().replace('.000', '') })] })));
    }
    const front = await s3Front(s3, {});
    try {
      const s = await ingest(store, ['s3://small-trail/'], { endpointUrl: front.endpoint });
      assert.equal(s.eventsAdded, 3);
      assert.deepEqual(front.listings, [{ prefix: '', delimited: false, page: false }]);
    } finally {
      await front.close();
    }
  });
});

test('a Firehose bucket of EventBridge events over S3: extensionless objects found by their name, records one after another, date folders pruned', async () => {
  await withS3Store('firehose-bucket', async (s3, store) => {
    const envelope = (r: Record<string, unknown>) => JSON.stringify({ version: '0', id: 'x', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.bedrock', account: '111122223333', time: r.eventTime, region: 'us-east-1', resources: [], detail: r });
    const object = (day: string, n: number) => `cloudtrail/2026/10/${day}/10/ct-stream-1-2026-10-${day}-10-15-02-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c${String(n).padStart(2, '0')}`;
    await s3.put('firehose-bucket', object('15', 1), [record({ eventTime: '2026-10-15T10:10:00Z' }), record({ eventTime: '2026-10-15T10:11:00Z' })].map(envelope).join(''));
    await s3.put('firehose-bucket', object('15', 2), gzipSync([record({ eventTime: '2026-10-15T10:12:00Z' })].map(envelope).join('')));
    await s3.put('firehose-bucket', object('30', 3), [record({ eventTime: '2026-10-30T10:10:00Z' })].map(envelope).join(''));
    // Firehose's own error output and other extensionless objects are not logs.
    await s3.put('firehose-bucket', 'cloudtrail/ConfigWritabilityCheckFile', 'x');
    await s3.fillFolders('firehose-bucket');
    const s = await ingest(store, ['s3://firehose-bucket/cloudtrail/'], { endpointUrl: s3.endpoint, startTime: new Date('2026-10-15T00:00:00Z'), endTime: new Date('2026-10-15T23:59:59Z') });
    // Not logs: the check file, and the notes of the folders listed (2026/, 10/ and 15/). The
    // folder of Oct 30 is never listed.
    assert.deepEqual([s.filesRead, s.eventsAdded, s.rejected, s.filesSkipped['not-a-log-file'], s.filesSkipped['outside-time-range']], [2, 3, 0, 4, 0]);
    // The records are the envelopes' details, as they came.
    const times = (await store.all(`SELECT strftime(eventTime, '%H:%M') AS t, json_extract_string(record, '$.detail-type') AS dt FROM events ORDER BY eventTime`)).map((r) => [r.t, r.dt]);
    assert.deepEqual(times, [['10:10', null], ['10:11', null], ['10:12', null]]);
  });
});

test('with a time range, a bucket walked folder by folder yields exactly the files a whole listing would keep, and no folder outside the range is listed', async () => {
  const s3 = await startS3(['org-trail']);
  const dir = tempDir();
  try {
    const keys: string[] = [];
    const days = ['2025-06-15', '2025-12-30', '2025-12-31', '2026-01-01', '2026-01-02', '2026-01-03', '2026-02-28', '2026-03-01'];
    for (const account of ['AWSLogs/111122223333', 'AWSLogs/o-abc123def4/444455556666']) {
      for (const region of ['us-east-1', 'eu-west-1']) {
        const id = account.split('/').pop()!;
        for (const day of days) {
          const file = deliveryKey(id, region, new Date(`${day}T12:05:00Z`), `R${keys.length}`).split('/').pop()!;
          keys.push(`${account}/CloudTrail/${region}/${day.replaceAll('-', '/')}/${file}`);
          keys.push(`${account}/CloudTrail-Digest/${region}/${day.replaceAll('-', '/')}/${id}_CloudTrail-Digest_${region}_t_${region}_${day.replaceAll('-', '')}T130000Z.json.gz`);
        }
      }
    }
    // Files CloudTrail does not write: no full date in their key, so every range reads them.
    keys.push('AWSLogs/exports/2026/01/monthly.json', 'AWSLogs/exports/2026/yearly.json', 'AWSLogs/readme.json');
    for (const [i, k] of keys.entries()) await s3.put('org-trail', k, gzipSync(JSON.stringify({ Records: [record({ eventID: `k-${i}` })] })));
    const notes = await s3.fillFolders('org-trail');
    // Each with how many delivery files it takes (the folders of D and D+1 hold events of day D).
    const ranges: [string, string | undefined, string | undefined, number][] = [
      ['New Year', '2026-01-01T00:00:00Z', '2026-01-01T23:59:59Z', 8],
      ['from March', '2026-03-01T00:00:00Z', undefined, 4],
      ['until June 2025', undefined, '2025-06-15T00:00:00Z', 4],
      ['a day with no folder', '2026-02-10T00:00:00Z', '2026-02-10T23:59:59Z', 0],
    ];
    for (const [name, from, to, delivery] of ranges) {
      const range = { ...(from ? { start: new Date(from) } : {}), ...(to ? { end: new Date(to) } : {}) };
      const store = await Store.open({ dataDir: `${dir}/${name}` });
      try {
        const s = await ingest(store, ['s3://org-trail/AWSLogs/'], { endpointUrl: s3.endpoint, startTime: range.start, endTime: range.end });
        const read = (await store.all(`SELECT uri FROM ingested_objects ORDER BY uri`)).map((r) => String(r.uri));
        const expected = keys.filter((k) => skipReason(k, false, range) === undefined).map((k) => `s3://org-trail/${k}`).sort();
        assert.deepEqual(read, expected, name);
        assert.equal(read.filter((u) => u.includes('/CloudTrail/')).length, delivery, name);
        assert.equal(s.filesRead, delivery + 3, name);
        // The folders listed are those that can hold a file the range keeps: the notes seen are
        // those of folders under the prefix where a log file would be kept.
        const listed = notes.filter((f) => f.startsWith('AWSLogs/') && skipReason(`${f}x.json`, false, range) === undefined);
        assert.equal(s.filesSkipped['not-a-log-file'], listed.length, name);
        assert.ok(listed.length < notes.length - 1, name);
        // No file outside the range or in a digest folder is even listed.
        assert.deepEqual([s.filesSkipped['outside-time-range'], s.filesSkipped.digest], [0, 0], name);
      } finally {
        await store.close();
      }
    }
  } finally {
    rmDir(dir);
    await s3.stop();
  }
});

test('an object over 1 MiB streams to disk, one under it is taken whole, and both are read alike', async () => {
  await withS3Store('exports', async (s3, store) => {
    const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => JSON.stringify(record({ eventID: `${tag}-${i}`, requestParameters: { pad: 'x'.repeat(600) } }))).join('\n') + '\n';
    const big = lines(2000, 'big');
    assert.ok(Buffer.byteLength(big) > 1024 * 1024);
    await s3.put('exports', 'lake/part-0001.jsonl', big);
    await s3.put('exports', 'lake/part-0002.jsonl', lines(10, 'small'));
    const s = await ingest(store, ['s3://exports/lake/'], { endpointUrl: s3.endpoint });
    assert.deepEqual([s.filesRead, s.eventsAdded, s.rejected], [2, 2010, 0]);
    const back = await store.one(`SELECT count(*) AS n FROM events WHERE eventId LIKE 'big-%' AND json_extract_string(record, '$.requestParameters.pad') = repeat('x', 600)`);
    assert.equal(Number(back!.n), 2000);
  });
});

test('a bucket in another region than the configured one is followed there, as S3 redirects (301 with x-amz-bucket-region)', async () => {
  await withS3Store('eu-trail', async (s3, store) => {
    const front = await s3Front(s3, { region: 'eu-west-1' });
    try {
      await s3.put('eu-trail', deliveryKey('111122223333', 'eu-west-1', new Date('2026-10-15T10:05:00Z'), 'EUAAAAAAAAAAAAAA'), gzipSync(JSON.stringify({ Records: [record(), record()] })));
      const s = await ingest(store, ['s3://eu-trail/AWSLogs/'], { endpointUrl: front.endpoint, region: 'us-east-1' });
      assert.deepEqual([s.filesRead, s.eventsAdded, s.rejected], [1, 2, 0]);
      assert.ok(front.redirected() >= 1, 'the first request went to the configured region');
    } finally {
      await front.close();
    }
  });
});

test('an unreachable S3 endpoint is a clear source error', async () => {
  const dir = tempDir();
  const store = await Store.open({ dataDir: `${dir}/data` });
  try {
    await assert.rejects(ingest(store, ['s3://nope/x'], { endpointUrl: 'http://127.0.0.1:9' }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'INGEST_SOURCE');
      assert.match(e.message, /cannot list s3:\/\/nope\/x/);
      return true;
    });
  } finally {
    await store.close();
    rmDir(dir);
  }
});

test('--profile names the credentials of S3 reads and writes: ingest, the trail commands, validate-logs', async () => {
  const s3 = await startS3(['profile-bucket']);
  const dir = tempDir();
  try {
    await s3.put('profile-bucket', deliveryKey('111122223333', 'us-east-1', new Date('2026-10-01T10:05:00Z'), 'PROFILEAAAAAAAAA'), gzipSync(JSON.stringify({ Records: [record(), record()] })));
    // The profile's keys are the only credentials the command has: none in its environment.
    writeFileSync(join(dir, 'credentials'), '[audit]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n');
    writeFileSync(join(dir, 'config'), '');
    const env: NodeJS.ProcessEnv = { ...process.env, AITRAIL_DATA_DIR: '', AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: join(dir, 'config'), AWS_EC2_METADATA_DISABLED: 'true' };
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
    delete env.AWS_PROFILE;
    const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'ingest', 's3://profile-bucket/', '--endpoint-url', s3.endpoint, '--data-dir', join(dir, 'data'), '--output', 'json', ...args], { encoding: 'utf8', env });
    const missing = run('--profile', 'nope');
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /cannot list s3:\/\/profile-bucket\/: CredentialsProviderError: .*\(profile 'nope' of the AWS config files\)/);
    const ok = run('--profile', 'audit');
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).eventsAdded, 2);
    // A trail command's S3 writes (a flush) use the profile it names; none found is said in a line, not a stack.
    const trail = (...args: string[]) => spawnSync(process.execPath, [bin, ...args, '--data-dir', join(dir, 'data')], { encoding: 'utf8', env });
    assert.equal(trail('create-trail', '--name', 'ai-trail', '--destination', 's3://profile-bucket/trail', '--endpoint-url', s3.endpoint).status, 0);
    const noCredentials = trail('trail', 'flush', 'ai-trail', '--profile', 'nope');
    assert.equal(noCredentials.status, 1);
    assert.match(noCredentials.stderr, /^aitrail trail: AWS: CredentialsProviderError: .*\(profile 'nope' of the AWS config files\)\n$/);
    const flushed = trail('trail', 'flush', 'ai-trail', '--profile', 'audit');
    assert.equal(flushed.status, 0, flushed.stderr);
    const written = await s3.client.send(new ListObjectsV2Command({ Bucket: 'profile-bucket', Prefix: 'trail/' }));
    assert.ok((written.Contents ?? []).some((o) => o.Key === JSON.parse(flushed.stdout).LogFiles[0].key), JSON.stringify(written.Contents));
    // validate-logs opens its S3 destination with the profile it is given.
    const dest = openDestination('s3://profile-bucket/logs', { endpoint: s3.endpoint, profile: 'audit' }) as unknown as { client: { config: { profile?: string } } };
    assert.equal(dest.client.config.profile, 'audit');
  } finally {
    rmDir(dir);
    await s3.stop();
  }
});
