import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rename, rm, readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateKeyPairSync } from 'node:crypto';
import { record, rmDir, tempDir } from '../helpers/fixtures.js';
import { FolderDestination } from '../../src/trail/destination.js';
import { digestKey, logFileKey } from '../../src/trail/layout.js';
import { fingerprintOf, publicKeyMapFromList } from '../../src/trail/keys.js';
import { buildDigest, encodeDigest, sha256Hex, type PreviousDigest } from '../../src/trail/digest.js';
import { validateLogs } from '../../src/trail/validate.js';
import { ACCOUNT, ARN, HOUR, MIN, T0, TRAIL, gunzipJson, gzipJson, invalidLines, keysUnder, logFor, openTrail, validate, type TestTrail } from './trail-helpers.js';

const dkey = (h: number, m = 0, s = 0, region = 'us-east-1'): string =>
  digestKey({ accountId: ACCOUNT, region, trailName: TRAIL, homeRegion: 'us-east-1', endTime: new Date(T0 + h * HOUR + m * MIN + s * 1000) });

/** A trail that logged 5 hours: digests D1..D5 ending 01:00..05:00, 6 log files each. */
async function fiveHours(): Promise<TestTrail> {
  const t = await openTrail();
  await logFor(t, 5 * 60);
  return t;
}

function fileOf(t: TestTrail, key: string): string {
  return join(t.folder, ...key.split('/'));
}

async function logsOfDigest(t: TestTrail, h: number): Promise<string[]> {
  const d = gunzipJson(await readFile(fileOf(t, dkey(h))));
  return (d.logFiles as Array<{ s3Object: string }>).map((l) => l.s3Object);
}

test('an untouched trail validates: exact CLI text, counts and exit code 0', async () => {
  const t = await fiveHours();
  try {
    const r = await validate(t, { verbose: false });
    assert.equal(r.exitCode, 0);
    assert.equal(r.stderr, '');
    assert.equal(
      r.stdout,
      `Validating log files for trail ${ARN} between 2026-11-01T00:00:00Z and 2026-11-01T05:00:00Z\n\n` +
        'Results requested for 2026-11-01T00:00:00Z to 2026-11-01T05:00:00Z\n' +
        'Results found for 2026-11-01T01:00:00Z to 2026-11-01T05:00:00Z:\n' +
        '\n5/5 digest files valid\n30/30 log files valid\n',
    );
    const v = await validate(t);
    const lines = v.stdout.split('\n');
    assert.equal(lines[2], `Digest file\tfile://${t.folder}/${dkey(5)}\tvalid`, 'newest digest first, then its logs');
    assert.match(lines[3]!, /^Log file\tfile:\/\/.*_CloudTrail_us-east-1_20261101T0405Z_[A-Za-z0-9]{16}\.json\.gz\tvalid$/);
    assert.equal(v.entries.filter((e) => e.type === 'digest').map((e) => e.key).join(','), [5, 4, 3, 2, 1].map((h) => dkey(h)).join(','));
    assert.equal(v.stdout.split('\n').at(-4), '', 'a blank line separates verbose lines from the summary');
  } finally {
    rmDir(t.dir);
  }
});

test('a modified log file: hash mismatch; a deleted log file: not found; exit code 1', async () => {
  const t = await fiveHours();
  try {
    const [a, b] = await logsOfDigest(t, 3);
    const body = gunzipJson(await readFile(fileOf(t, a!)));
    (body.Records as Array<Record<string, unknown>>)[0]!.eventName = 'DeleteModel';
    await writeFile(fileOf(t, a!), gzipJson(body));
    await rm(fileOf(t, b!));
    const r = await validate(t, { verbose: false });
    assert.equal(r.exitCode, 1);
    assert.deepEqual(invalidLines(r), [
      `Log file\tfile://${t.folder}/${a}\tINVALID: hash value doesn't match`,
      `Log file\tfile://${t.folder}/${b}\tINVALID: not found`,
    ]);
    assert.equal(r.stderr, invalidLines(r).map((l) => `${l}\n\n`).join(''));
    assert.match(r.stdout, /\n5\/5 digest files valid\n28\/30 log files valid, 2\/30 log files INVALID\n$/);
  } finally {
    rmDir(t.dir);
  }
});

test('a flipped byte in a compressed log and a truncated log are invalid format; trailing bytes are reported', async () => {
  const t = await fiveHours();
  try {
    const [a, b, c] = await logsOfDigest(t, 2);
    const raw = await readFile(fileOf(t, a!));
    raw[raw.length - 12] ^= 0xff;
    await writeFile(fileOf(t, a!), raw);
    const rb = await readFile(fileOf(t, b!));
    await writeFile(fileOf(t, b!), rb.subarray(0, Math.floor(rb.length / 2)));
    const rc = await readFile(fileOf(t, c!));
    await writeFile(fileOf(t, c!), Buffer.concat([rc, Buffer.from('garbage')]));
    const r = await validate(t, { verbose: false });
    assert.deepEqual(invalidLines(r), [
      `Log file\tfile://${t.folder}/${a}\tINVALID: invalid format`,
      `Log file\tfile://${t.folder}/${b}\tINVALID: invalid format`,
      `Log file\tfile://${t.folder}/${c}\tINVALID: unexpected data after end of compressed stream`,
    ]);
    assert.equal(r.exitCode, 1);
  } finally {
    rmDir(t.dir);
  }
});

test('one deleted digest: not found, the chain gap, and its log files reported as not covered', async () => {
  const t = await fiveHours();
  try {
    const logs = await logsOfDigest(t, 3);
    await rm(fileOf(t, dkey(3)));
    const r = await validate(t, { verbose: false });
    assert.equal(r.exitCode, 1);
    assert.deepEqual(invalidLines(r), [
      `Digest file\tfile://${t.folder}/${dkey(3)}\tINVALID: not found`,
      'Digest chain broken between 2026-11-01T02:00:00Z and 2026-11-01T03:00:00Z: 1 digest file missing',
      ...logs.map((k) => `Log file\tfile://${t.folder}/${k}\tINVALID: not covered by any digest`),
    ]);
    assert.match(r.stdout, /4\/5 digest files valid, 1\/5 digest files INVALID\n24\/30 log files valid, 6\/30 log files INVALID\n$/);
  } finally {
    rmDir(t.dir);
  }
});

test('two consecutive deleted digests are both reported (the CLI would name only one)', async () => {
  const t = await fiveHours();
  try {
    await rm(fileOf(t, dkey(3)));
    await rm(fileOf(t, dkey(2)));
    const r = await validate(t, { verbose: false, checkUncovered: false });
    assert.deepEqual(invalidLines(r), [
      `Digest file\tfile://${t.folder}/${dkey(3)}\tINVALID: not found`,
      `Digest file\tfile://${t.folder}/${dkey(2)}\tINVALID: not found (inferred from the digest cadence)`,
      'Digest chain broken between 2026-11-01T01:00:00Z and 2026-11-01T03:00:00Z: 2 digest files missing',
    ]);
    assert.equal(r.digestFiles.invalid, 2);
    assert.equal(r.digestFiles.valid, 3);
    // Three in a row, including the newest-but-one.
    await rm(fileOf(t, dkey(4)));
    const r3 = await validate(t, { verbose: false, checkUncovered: false });
    assert.deepEqual(
      r3.entries.filter((e) => e.status === 'INVALID').map((e) => e.key),
      [dkey(4), dkey(3), dkey(2)],
    );
  } finally {
    rmDir(t.dir);
  }
});

test('a digest moved to another key: has been moved from its original location', async () => {
  const t = await fiveHours();
  try {
    const moved = dkey(2, 59, 59);
    await mkdir(dirname(fileOf(t, moved)), { recursive: true });
    await rename(fileOf(t, dkey(3)), fileOf(t, moved));
    await rename(fileOf(t, dkey(3)) + '.meta.json', fileOf(t, moved) + '.meta.json');
    const r = await validate(t, { verbose: false, checkUncovered: false });
    const lines = invalidLines(r);
    assert.equal(lines[0], `Digest file\tfile://${t.folder}/${dkey(3)}\tINVALID: not found`);
    assert.equal(lines[1], `Digest file\tfile://${t.folder}/${moved}\tINVALID: has been moved from its original location`);
    assert.equal(r.exitCode, 1);
  } finally {
    rmDir(t.dir);
  }
});

test('an unknown key: public key not found for its fingerprint; a wrong key with that fingerprint: signature verification failed', async () => {
  const t = await fiveHours();
  try {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'der', type: 'pkcs1' });
    const fp = (await t.writer.listPublicKeys()).PublicKeyList[0]!.Fingerprint;
    const r = await validate(t, { verbose: false, publicKeys: new Map([[fingerprintOf(other), other]]) });
    assert.equal(invalidLines(r)[0], `Digest file\tfile://${t.folder}/${dkey(5)}\tINVALID: public key not found in region us-east-1 for fingerprint ${fp}`);
    assert.equal(r.digestFiles.invalid, 5);
    const r2 = await validate(t, { verbose: false, checkUncovered: false, publicKeys: new Map([[fp, other]]) });
    assert.deepEqual(invalidLines(r2), [5, 4, 3, 2, 1].map((h) => `Digest file\tfile://${t.folder}/${dkey(h)}\tINVALID: signature verification failed`));
    const r3 = await validate(t, { verbose: false, checkUncovered: false, publicKeys: new Map([[fp, Buffer.from('not a key')]]) });
    assert.equal(invalidLines(r3)[0], `Digest file\tfile://${t.folder}/${dkey(5)}\tINVALID: Unable to load PKCS #1 key with fingerprint ${fp}`);
    await assert.rejects(validate(t, { publicKeys: new Map() }), /No public keys found between 2026-11-01T00:00:00Z and 2026-11-01T05:00:00Z/);
  } finally {
    rmDir(t.dir);
  }
});

test('digest tampering: edited content, missing signature metadata, truncated gzip', async () => {
  const t = await fiveHours();
  try {
    const d4 = gunzipJson(await readFile(fileOf(t, dkey(4))));
    (d4.logFiles as unknown[]).pop();
    await writeFile(fileOf(t, dkey(4)), gzipJson(d4));
    await rm(fileOf(t, dkey(3)) + '.meta.json');
    const raw2 = await readFile(fileOf(t, dkey(2)));
    await writeFile(fileOf(t, dkey(2)), raw2.subarray(0, 20));
    const r = await validate(t, { verbose: false, checkUncovered: false });
    assert.deepEqual(invalidLines(r), [
      `Digest file\tfile://${t.folder}/${dkey(4)}\tINVALID: signature verification failed`,
      `Digest file\tfile://${t.folder}/${dkey(3)}\tINVALID: signature verification failed`,
      `Digest file\tfile://${t.folder}/${dkey(2)}\tINVALID: invalid format`,
    ]);
    assert.equal(r.digestFiles.valid, 2);
  } finally {
    rmDir(t.dir);
  }
});

test('logging stopped and restarted: the CLI gap line, fresh chain, all valid', async () => {
  const t = await openTrail();
  try {
    await logFor(t, 150);
    await t.writer.stop();
    t.clock.advance(2 * HOUR);
    const again = await openTrail(t.config, t.dir, t.clock.t);
    await logFor(again, 120);
    const r = await validate(again, { verbose: false });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stderr, 'No log files were delivered by CloudTrail between 2026-11-01T02:30:00Z and 2026-11-01T04:30:00Z\n\n');
    const restart = gunzipJson(await readFile(fileOf(t, dkey(5))));
    assert.equal(restart.digestStartTime, '2026-11-01T04:30:00Z');
    assert.equal(restart.previousDigestSignature, null);
  } finally {
    rmDir(t.dir);
  }
});

test('a log file no digest lists is reported as not covered; a log after the newest digest is pending', async () => {
  const t = await fiveHours();
  try {
    const d = new FolderDestination(t.folder);
    const stray = logFileKey({ accountId: ACCOUNT, region: 'us-east-1', deliveryTime: new Date(T0 + 2 * HOUR + 7 * MIN), unique: 'StrayStrayStray1' });
    await d.put(stray, gzipSync(JSON.stringify({ Records: [record()] })));
    const pending = logFileKey({ accountId: ACCOUNT, region: 'us-east-1', deliveryTime: new Date(T0 + 5 * HOUR + 1 * MIN), unique: 'PendingPending12' });
    await d.put(pending, gzipSync(JSON.stringify({ Records: [record()] })));
    const r = await validate(t, { verbose: false, endTime: new Date(T0 + 5 * HOUR + 10 * MIN) });
    assert.deepEqual(invalidLines(r), [`Log file\tfile://${t.folder}/${stray}\tINVALID: not covered by any digest`]);
    assert.equal(r.exitCode, 1);
    const off = await validate(t, { checkUncovered: false });
    assert.equal(off.exitCode, 0);
  } finally {
    rmDir(t.dir);
  }
});

test('a listed digest outside the chain is reported', async () => {
  const t = await fiveHours();
  try {
    const d = new FolderDestination(t.folder);
    const copy = await d.get(dkey(2));
    await d.put(dkey(2, 30), copy.body, copy.metadata);
    const r = await validate(t, { verbose: false, checkUncovered: false });
    assert.deepEqual(invalidLines(r), [`Digest file\tfile://${t.folder}/${dkey(2, 30)}\tINVALID: not part of the digest chain`]);
  } finally {
    rmDir(t.dir);
  }
});

test('empty hours produce valid empty digests', async () => {
  const t = await openTrail();
  try {
    t.clock.advance(3 * HOUR);
    await t.writer.tick();
    const d1 = gunzipJson(await readFile(fileOf(t, dkey(1))));
    assert.deepEqual(d1.logFiles, []);
    assert.equal(d1.newestEventTime, null);
    assert.equal(d1.oldestEventTime, null);
    const r = await validate(t, { verbose: false });
    assert.equal(r.exitCode, 0);
    assert.match(r.stdout, /\n3\/3 digest files valid\n$/, 'no log line when there are no log files');
  } finally {
    rmDir(t.dir);
  }
});

test('key rotation mid-chain validates with ListPublicKeys; an old ListPublicKeys without the new key does not', async () => {
  const t = await openTrail();
  try {
    await logFor(t, 90);
    const before = await t.writer.listPublicKeys();
    const fp2 = await t.writer.rotateKey();
    await logFor(t, 90);
    const all = await t.writer.listPublicKeys();
    assert.equal(all.PublicKeyList.length, 2);
    const r = await validate(t, { verbose: false, publicKeys: all });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.digestFiles.valid, 3);
    const d3 = gunzipJson(await readFile(fileOf(t, dkey(3))));
    assert.equal(d3.digestPublicKeyFingerprint, fp2);
    const old = await validate(t, { verbose: false, publicKeys: publicKeyMapFromList(before) });
    assert.equal(invalidLines(old)[0], `Digest file\tfile://${t.folder}/${dkey(3)}\tINVALID: public key not found in region us-east-1 for fingerprint ${fp2}`);
  } finally {
    rmDir(t.dir);
  }
});

test('JSON output: one machine-readable object, no text', async () => {
  const t = await fiveHours();
  try {
    await rm(fileOf(t, dkey(2)));
    const r = await validate(t, { output: 'json' });
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(r.stderr, '');
    assert.equal(j.exitCode, 1);
    assert.deepEqual(j.digestFiles, { valid: 4, invalid: 1, total: 5 });
    assert.equal(j.trailArn, ARN);
    const missing = (j.entries as Array<Record<string, unknown>>).find((e) => e.status === 'INVALID' && e.type === 'digest');
    assert.equal(missing?.key, dkey(2));
    assert.equal(missing?.message, 'not found');
  } finally {
    rmDir(t.dir);
  }
});

test('time range: start after end is a usage error; no digests in range says so', async () => {
  const t = await fiveHours();
  try {
    await assert.rejects(validate(t, { startTime: new Date(T0 + HOUR), endTime: new Date(T0) }), /Invalid time range specified: start-time must occur before end-time/);
    await assert.rejects(validate(t, { startTime: 'yesterday' }), /Unable to parse date value: yesterday/);
    const asText = await validate(t, { startTime: '2026-11-01T00:00:00Z', endTime: '2026-11-01T05:00:00Z', verbose: false });
    assert.equal(asText.exitCode, 0);
    assert.equal(asText.digestFiles.valid, 5);
    const r = await validate(t, { startTime: new Date(T0 + 20 * HOUR), endTime: new Date(T0 + 21 * HOUR) });
    assert.match(r.stdout, /Results requested for 2026-11-01T20:00:00Z to 2026-11-01T21:00:00Z\nNo digests found\n$/);
    assert.equal(r.exitCode, 0);
    // A window inside the chain: the walk stops after the first digest starting before the window.
    const mid = await validate(t, { startTime: new Date(T0 + 2 * HOUR + 30 * MIN), endTime: new Date(T0 + 3 * HOUR + 30 * MIN), verbose: false });
    assert.equal(mid.digestFiles.valid, 2, 'D4 (listed up to end + 1 h) and D3, whose start precedes the window');
    assert.equal(mid.exitCode, 0, mid.stderr);
  } finally {
    rmDir(t.dir);
  }
});

test('a local copy of a bucket validates under its original bucket name (bucket option)', async () => {
  const t = await fiveHours();
  try {
    const copy = join(t.dir, 'elsewhere');
    await rename(t.folder, copy);
    const moved = await validateLogs({ destination: copy, trailArn: ARN, startTime: new Date(T0), endTime: new Date(t.clock.t), publicKeys: await t.writer.listPublicKeys(), checkUncovered: false });
    assert.match(moved.stderr, /INVALID: has been moved from its original location/);
    const ok = await validateLogs({ destination: copy, bucket: 'bucket', trailArn: ARN, startTime: new Date(T0), endTime: new Date(t.clock.t), publicKeys: await t.writer.listPublicKeys() });
    assert.equal(ok.exitCode, 0, ok.stderr);
    assert.equal(ok.logFiles.valid, 30);
  } finally {
    rmDir(t.dir);
  }
});

test('multi-region trails: each region has its own chain and all are walked', async () => {
  const t = await openTrail({ regions: ['eu-west-1'] });
  try {
    await logFor(t, 60, 2, 'us-east-1');
    await logFor(t, 60, 2, 'eu-west-1');
    const r = await validate(t, { verbose: false });
    assert.deepEqual(r.regions, ['us-east-1', 'eu-west-1']);
    assert.equal(r.digestFiles.valid, 4);
    assert.equal(r.logFiles.valid, 12);
    const d = new FolderDestination(t.folder);
    assert.equal((await keysUnder(d, `AWSLogs/${ACCOUNT}/CloudTrail-Digest/eu-west-1/`)).length, 2);
    await rm(fileOf(t, dkey(2, 0, 0, 'eu-west-1')));
    const bad = await validate(t, { verbose: false, checkUncovered: false });
    assert.deepEqual(invalidLines(bad), []);
    assert.equal(bad.digestFiles.valid, 3, 'deleting the newest digest is not detectable from the chain');
  } finally {
    rmDir(t.dir);
  }
});

test('a present but invalid digest inside a missing run is not inferred as missing', async () => {
  const t = await fiveHours();
  try {
    await rm(fileOf(t, dkey(4)));
    await rm(fileOf(t, dkey(3)) + '.meta.json');
    const r = await validate(t, { verbose: false, checkUncovered: false });
    assert.deepEqual(invalidLines(r), [
      `Digest file\tfile://${t.folder}/${dkey(4)}\tINVALID: not found`,
      'Digest chain broken between 2026-11-01T03:00:00Z and 2026-11-01T04:00:00Z: 1 digest file missing',
      `Digest file\tfile://${t.folder}/${dkey(3)}\tINVALID: signature verification failed`,
    ]);
  } finally {
    rmDir(t.dir);
  }
});

test('CloudTrail-made digests (drifting end times, real bucket name) validate from a local copy; deletions are inferred', async () => {
  const dir = tempDir('aitrail-aws-');
  try {
    // Written the way CloudTrail writes them, signed with a stand-in "AWS" key.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const der = publicKey.export({ format: 'der', type: 'pkcs1' });
    const fp = 'a'.repeat(32); // AWS's own fingerprint, whatever its derivation
    const copy = new FolderDestination(join(dir, 'copy'), 'my-cloudtrail-bucket');
    const ends = ['2026-11-01T01:01:31Z', '2026-11-01T02:01:33Z', '2026-11-01T03:01:34Z', '2026-11-01T04:01:36Z', '2026-11-01T05:01:37Z'];
    let prev: PreviousDigest | null = null;
    let start = Date.parse('2026-11-01T00:01:30Z');
    const keys: string[] = [];
    for (const e of ends) {
      const end = Date.parse(e);
      const lk = logFileKey({ prefix: 'ct', accountId: ACCOUNT, region: 'us-west-2', deliveryTime: new Date(end - 20 * MIN) });
      const body = JSON.stringify({ Records: [record({ awsRegion: 'us-west-2' })] });
      await copy.put(lk, gzipSync(body));
      const key = digestKey({ prefix: 'ct', accountId: ACCOUNT, region: 'us-west-2', trailName: 'org', homeRegion: 'us-west-2', endTime: new Date(end) });
      const dg = buildDigest({
        accountId: ACCOUNT, startTime: start, endTime: end, bucket: 'my-cloudtrail-bucket', key, fingerprint: fp, previous: prev,
        logFiles: [{ s3Bucket: 'my-cloudtrail-bucket', s3Object: lk, hashValue: sha256Hex(body), hashAlgorithm: 'SHA-256', newestEventTime: null, oldestEventTime: null }],
      });
      const enc = encodeDigest(dg, privateKey);
      await copy.put(key, enc.gz, enc.metadata);
      prev = { bucket: 'my-cloudtrail-bucket', key, hash: enc.hash, signature: enc.signature };
      keys.push(key);
      start = end;
    }
    const opts = {
      destination: copy,
      prefix: 'ct',
      trailArn: `arn:aws:cloudtrail:us-west-2:${ACCOUNT}:trail/org`,
      regions: ['us-west-2'],
      startTime: new Date('2026-11-01T00:00:00Z'),
      endTime: new Date('2026-11-01T06:00:00Z'),
      publicKeys: { PublicKeyList: [{ Value: der.toString('base64'), Fingerprint: fp, ValidityStartTime: new Date('2026-01-01T00:00:00Z') }] },
      now: () => Date.parse('2026-11-01T06:00:00Z'),
    };
    const ok = await validateLogs(opts);
    assert.equal(ok.exitCode, 0, ok.stderr);
    assert.match(ok.stdout, /Results found for 2026-11-01T00:01:30Z to 2026-11-01T05:01:37Z:\n\n5\/5 digest files valid\n5\/5 log files valid\n$/);
    await copy.delete(keys[3]!);
    await copy.delete(keys[2]!);
    const bad = await validateLogs({ ...opts, checkUncovered: false });
    const inferred = digestKey({ prefix: 'ct', accountId: ACCOUNT, region: 'us-west-2', trailName: 'org', homeRegion: 'us-west-2', endTime: new Date('2026-11-01T03:01:36Z') });
    assert.deepEqual(invalidLines(bad), [
      `Digest file\t${copy.displayUri(keys[3]!)}\tINVALID: not found`,
      `Digest file\t${copy.displayUri(inferred)}\tINVALID: not found (inferred from the digest cadence)`,
      'Digest chain broken between 2026-11-01T02:01:33Z and 2026-11-01T04:01:36Z: 2 digest files missing',
    ]);
  } finally {
    rmDir(dir);
  }
});
