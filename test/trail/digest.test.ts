import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { rmDir } from '../helpers/fixtures.js';
import { FolderDestination } from '../../src/trail/destination.js';
import { buildDigest, hashGzipStream, stringToSign } from '../../src/trail/digest.js';
import { ACCOUNT, HOUR, gunzipJson, keysUnder, logFor, openTrail } from './trail-helpers.js';

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

const FIELDS = [
  'awsAccountId',
  'digestStartTime',
  'digestEndTime',
  'digestS3Bucket',
  'digestS3Object',
  'digestPublicKeyFingerprint',
  'digestSignatureAlgorithm',
  'newestEventTime',
  'oldestEventTime',
  'previousDigestS3Bucket',
  'previousDigestS3Object',
  'previousDigestHashValue',
  'previousDigestHashAlgorithm',
  'previousDigestSignature',
  'logFiles',
];

test('digest golden fields: names and order, hashes of uncompressed files, chain links, metadata', async () => {
  const t = await openTrail();
  const d = new FolderDestination(t.folder);
  try {
    await logFor(t, 120);
    const [k1, k2] = await keysUnder(d, `AWSLogs/${ACCOUNT}/CloudTrail-Digest/`);
    const o1 = await d.get(k1!);
    const o2 = await d.get(k2!);
    const d1 = gunzipJson(o1.body);
    const d2 = gunzipJson(o2.body);
    assert.deepEqual(Object.keys(d2), FIELDS);
    assert.equal(d2.awsAccountId, ACCOUNT);
    assert.equal(d2.digestStartTime, '2026-11-01T01:00:00Z');
    assert.equal(d2.digestEndTime, '2026-11-01T02:00:00Z');
    assert.equal(d2.digestS3Bucket, 'bucket', 'folder destinations name their basename as the bucket');
    assert.equal(d2.digestS3Object, k2);
    assert.match(String(d2.digestPublicKeyFingerprint), /^[0-9a-f]{32}$/);
    assert.equal(d2.digestSignatureAlgorithm, 'SHA256withRSA');
    assert.equal(d2.previousDigestS3Bucket, 'bucket');
    assert.equal(d2.previousDigestS3Object, k1);
    assert.equal(d2.previousDigestHashValue, sha256(gunzipSync(o1.body)));
    assert.equal(d2.previousDigestHashAlgorithm, 'SHA-256');
    assert.equal(d2.previousDigestSignature, o1.metadata.signature);
    assert.deepEqual(o2.metadata['signature-algorithm'], 'SHA256withRSA');
    assert.match(o2.metadata.signature!, /^[0-9a-f]{512}$/);
    assert.equal(d1.previousDigestSignature, null);
    const logs = d2.logFiles as Array<Record<string, string>>;
    assert.equal(logs.length, 6);
    for (const l of logs) {
      assert.deepEqual(Object.keys(l), ['s3Bucket', 's3Object', 'hashValue', 'hashAlgorithm', 'newestEventTime', 'oldestEventTime']);
      assert.equal(l.hashValue, sha256(gunzipSync((await d.get(l.s3Object!)).body)), 'hashValue is the SHA-256 of the uncompressed log');
      assert.equal(l.hashAlgorithm, 'SHA-256');
      assert.match(l.newestEventTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    assert.equal(d2.newestEventTime, logs.map((l) => l.newestEventTime!).sort().at(-1));
    assert.equal(d2.oldestEventTime, logs.map((l) => l.oldestEventTime!).sort()[0]);
  } finally {
    rmDir(t.dir);
  }
});

test('empty and starting digests: logFiles [] and null times; null previous fields', () => {
  const dg = buildDigest({ accountId: ACCOUNT, startTime: 0, endTime: HOUR, bucket: 'b', key: 'k', fingerprint: 'f'.repeat(32), previous: null, logFiles: [] });
  assert.deepEqual(Object.keys(dg), FIELDS);
  assert.equal(dg.digestStartTime, '1970-01-01T00:00:00Z');
  assert.equal(dg.digestEndTime, '1970-01-01T01:00:00Z');
  assert.equal(dg.newestEventTime, null);
  assert.equal(dg.oldestEventTime, null);
  assert.deepEqual(dg.logFiles, []);
  assert.equal(dg.previousDigestHashAlgorithm, null);
  assert.equal(stringToSign(dg, Buffer.from('{}')), `1970-01-01T01:00:00Z\nb/k\n${sha256('{}')}\nnull`);
});

test('signatures verify independently with openssl over the exact string to sign', async (tc) => {
  const which = spawnSync('sh', ['-c', 'command -v openssl']);
  if (which.status !== 0) {
    tc.skip('openssl is not installed: independent signature check skipped');
    return;
  }
  const t = await openTrail();
  const d = new FolderDestination(t.folder);
  try {
    await logFor(t, 120);
    const pub = (await t.writer.listPublicKeys()).PublicKeyList[0]!;
    const pem = createPublicKey({ key: Buffer.from(pub.Value, 'base64'), format: 'der', type: 'pkcs1' }).export({ format: 'pem', type: 'spki' });
    writeFileSync(join(t.dir, 'pub.pem'), pem);
    for (const key of await keysUnder(d, `AWSLogs/${ACCOUNT}/CloudTrail-Digest/`)) {
      const o = await d.get(key);
      const inflated = gunzipSync(o.body);
      const dg = JSON.parse(inflated.toString('utf8')) as Record<string, string | null>;
      // Built here by hand from §3.4, not with the module's stringToSign.
      const toSign = `${dg.digestEndTime}\nbucket/${key}\n${sha256(inflated)}\n${dg.previousDigestSignature ?? 'null'}`;
      writeFileSync(join(t.dir, 'data.txt'), toSign);
      writeFileSync(join(t.dir, 'sig.bin'), Buffer.from(o.metadata.signature!, 'hex'));
      const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(t.dir, 'pub.pem'), '-signature', join(t.dir, 'sig.bin'), join(t.dir, 'data.txt')]).toString();
      assert.equal(out.trim(), 'Verified OK');
      writeFileSync(join(t.dir, 'data.txt'), toSign + '\n');
      const bad = spawnSync('openssl', ['dgst', '-sha256', '-verify', join(t.dir, 'pub.pem'), '-signature', join(t.dir, 'sig.bin'), join(t.dir, 'data.txt')]);
      assert.notEqual(bad.status, 0, 'a trailing newline breaks the signature');
    }
  } finally {
    rmDir(t.dir);
  }
});

test('hashGzipStream: streaming hash, trailing bytes, corruption, truncation', async () => {
  const text = JSON.stringify({ Records: Array.from({ length: 2000 }, (_, i) => ({ i, pad: 'x'.repeat(100) })) });
  const gz = gzipSync(text);
  const chunks = (b: Buffer): Readable => Readable.from([b.subarray(0, 1), b.subarray(1, 1000), b.subarray(1000)]);
  assert.equal((await hashGzipStream(chunks(gz))).hash, sha256(text));
  const cases: Array<[string, Buffer, RegExp]> = [
    ['trailing zeros', Buffer.concat([gz, Buffer.alloc(16)]), /unexpected data after end of compressed stream/],
    ['trailing garbage', Buffer.concat([gz, Buffer.from('tail')]), /unexpected data after end of compressed stream/],
    ['truncated', gz.subarray(0, gz.length - 100), /invalid format/],
    ['not gzip', Buffer.from(text), /invalid format/],
    ['empty', Buffer.alloc(0), /invalid format/],
  ];
  for (const [name, buf, re] of cases) await assert.rejects(hashGzipStream(Readable.from([buf])), re, name);
});
