import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rmDir, tempDir } from '../helpers/fixtures.js';
import {
  digestKey,
  digestKeyStamp,
  logFileKey,
  parseDigestKey,
  parseLogFileKey,
  parseTrailArn,
  trailArn,
  uniqueString,
} from '../../src/trail/layout.js';
import { TrailKeys, fingerprintOf, publicKeysFromFiles } from '../../src/trail/keys.js';
import { FolderDestination } from '../../src/trail/destination.js';
import { keysUnder } from './trail-helpers.js';

test('log-file keys: CloudTrail layout, delivery time in minutes, prefix and organization variants, parse round trip', () => {
  const when = new Date('2015-08-01T02:10:59Z');
  const k = logFileKey({ accountId: '111122223333', region: 'us-east-2', deliveryTime: when, unique: 'Mu0KsOhtH1ar15ZZ' });
  assert.equal(k, 'AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz');
  assert.match(k, /.+_CloudTrail_[\w-]+_\d{8}T\d{4}Z_[\w]+\.json\.gz/, 'the processing library recognises it');
  const org = logFileKey({ prefix: 'trails/', accountId: '111122223333', organizationId: 'o-exampleorgid', region: 'eu-west-1', deliveryTime: when, unique: 'AAAAAAAAAAAAAAAA' });
  assert.equal(org, 'trails/AWSLogs/o-exampleorgid/111122223333/CloudTrail/eu-west-1/2015/08/01/111122223333_CloudTrail_eu-west-1_20150801T0210Z_AAAAAAAAAAAAAAAA.json.gz');
  const p = parseLogFileKey(org)!;
  assert.deepEqual({ ...p, deliveryTime: p.deliveryTime.toISOString() }, {
    prefix: 'trails',
    organizationId: 'o-exampleorgid',
    accountId: '111122223333',
    region: 'eu-west-1',
    deliveryTime: '2015-08-01T02:10:00.000Z',
    unique: 'AAAAAAAAAAAAAAAA',
  });
  assert.equal(parseLogFileKey(k.replace('us-east-2_2015', 'us-west-2_2015')), null, 'folder and name must agree');
  assert.equal(parseLogFileKey('AWSLogs/111122223333/CloudTrail/us-east-2/x.json.gz'), null);
  assert.match(uniqueString(), /^[A-Za-z0-9]{16}$/);
});

test('digest keys: end time with seconds, trail and home region, backfill, parse round trip, CLI stamp slice', () => {
  const end = new Date('2015-08-17T15:01:31Z');
  const k = digestKey({ accountId: '111122223333', region: 'us-east-2', trailName: 'your-trail-name', homeRegion: 'us-east-2', endTime: end });
  assert.equal(k, 'AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz');
  assert.equal(digestKeyStamp(k), '20150817T150131Z');
  const bf = digestKey({ prefix: 'p/q', accountId: '111122223333', organizationId: 'o-exampleorgid', region: 'eu-west-1', trailName: 'my_trail.v2', homeRegion: 'us-east-1', endTime: end, backfill: true });
  assert.equal(bf, 'p/q/AWSLogs/o-exampleorgid/111122223333/CloudTrail-Digest/eu-west-1/2015/08/17/111122223333_CloudTrail-Digest_eu-west-1_my_trail.v2_us-east-1_20150817T150131Z_backfill.json.gz');
  assert.equal(digestKeyStamp(bf), '20150817T150131Z');
  const p = parseDigestKey(bf)!;
  assert.equal(p.trailName, 'my_trail.v2', 'underscores in trail names survive parsing');
  assert.equal(p.homeRegion, 'us-east-1');
  assert.equal(p.region, 'eu-west-1');
  assert.equal(p.backfill, true);
  assert.equal(p.prefix, 'p/q');
  assert.equal(p.organizationId, 'o-exampleorgid');
  assert.equal(p.endTime.toISOString(), '2015-08-17T15:01:31.000Z');
  assert.equal(parseDigestKey(k)!.backfill, false);
  assert.equal(trailArn('us-east-1', '111122223333', 't'), 'arn:aws:cloudtrail:us-east-1:111122223333:trail/t');
  assert.deepEqual(parseTrailArn('arn:aws:cloudtrail:us-east-1:111122223333:trail/t'), { partition: 'aws', homeRegion: 'us-east-1', accountId: '111122223333', trailName: 't' });
});

test('keys: 2048-bit pairs, private key mode 0600, MD5-of-DER fingerprints, rotation, ListPublicKeys ranges, key files', async () => {
  const dir = tempDir('aitrail-keys-');
  try {
    const t1 = new Date('2026-11-01T00:00:00Z');
    const keys = await TrailKeys.open(dir, t1);
    const k1 = keys.current();
    assert.equal(statSync(join(dir, `${k1.fingerprint}.pem`)).mode & 0o777, 0o600);
    assert.equal(k1.fingerprint, createHash('md5').update(k1.publicKeyDer).digest('hex'));
    assert.equal(fingerprintOf(k1.publicKeyDer), k1.fingerprint);
    assert.equal(createPublicKey({ key: k1.publicKeyDer, format: 'der', type: 'pkcs1' }).asymmetricKeyDetails?.modulusLength, 2048);
    const t2 = new Date('2026-11-02T00:00:00Z');
    const k2 = await keys.rotate(t2);
    assert.notEqual(k2.fingerprint, k1.fingerprint);
    const all = keys.listPublicKeys();
    assert.equal(all.PublicKeyList.length, 2);
    assert.deepEqual(Object.keys(all.PublicKeyList[0]!), ['Value', 'ValidityStartTime', 'ValidityEndTime', 'Fingerprint']);
    assert.equal(all.PublicKeyList[0]!.ValidityEndTime!.toISOString(), t2.toISOString(), 'the old key ends when the new one starts');
    assert.equal(all.PublicKeyList[1]!.ValidityStartTime.toISOString(), t2.toISOString());
    assert.equal(all.PublicKeyList[1]!.ValidityEndTime, undefined, 'the active key has no end');
    assert.equal(Buffer.from(all.PublicKeyList[0]!.Value, 'base64').equals(k1.publicKeyDer), true);
    assert.deepEqual(keys.listPublicKeys({ StartTime: new Date('2026-11-03T00:00:00Z') }).PublicKeyList.map((k) => k.Fingerprint), [k2.fingerprint]);
    assert.deepEqual(keys.listPublicKeys({ EndTime: new Date('2026-11-01T12:00:00Z') }).PublicKeyList.map((k) => k.Fingerprint), [k1.fingerprint]);
    // Reopening keeps the same active key.
    assert.equal((await TrailKeys.open(dir)).current().fingerprint, k2.fingerprint);

    // --public-key files: PKCS#1 PEM, SPKI DER, a private key, and list-public-keys JSON.
    const spkiDer = createPublicKey({ key: k1.publicKeyDer, format: 'der', type: 'pkcs1' }).export({ format: 'der', type: 'spki' });
    writeFileSync(join(dir, 'k1.der'), spkiDer);
    writeFileSync(join(dir, 'list.json'), JSON.stringify({ PublicKeyList: [{ Value: 'AAAA', Fingerprint: 'aws-fp', ValidityStartTime: '2026-01-01T00:00:00Z' }] }));
    const m = publicKeysFromFiles([join(dir, `${k2.fingerprint}.pub.pem`), join(dir, 'k1.der'), join(dir, `${k1.fingerprint}.pem`), join(dir, 'list.json')]);
    assert.deepEqual([...m.keys()].sort(), [k1.fingerprint, k2.fingerprint, 'aws-fp'].sort());
    assert.equal(m.get(k1.fingerprint)!.equals(k1.publicKeyDer), true);
    writeFileSync(join(dir, 'bad.pem'), 'hello');
    assert.throws(() => publicKeysFromFiles([join(dir, 'bad.pem')]), /not a public key/);
    assert.match(readFileSync(join(dir, `${k1.fingerprint}.pub.pem`), 'utf8'), /BEGIN RSA PUBLIC KEY/);
  } finally {
    rmDir(dir);
  }
});

test('folder destination: metadata sidecars, listing order without sidecars, StartAfter, delete', async () => {
  const dir = tempDir('aitrail-dest-');
  try {
    const d = new FolderDestination(join(dir, 'my-bucket'));
    assert.equal(d.bucket, 'my-bucket');
    await d.put('a/b/c.json.gz', Buffer.from('x'), { signature: 'ab', 'signature-algorithm': 'SHA256withRSA' });
    await d.put('a/b-c.json.gz', Buffer.from('y'));
    await d.put('a/bz.json.gz', Buffer.from('z'));
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'my-bucket', 'a', 'b', 'c.json.gz.meta.json'), 'utf8')), { signature: 'ab', 'signature-algorithm': 'SHA256withRSA' });
    assert.deepEqual(await keysUnder(d, 'a/'), ['a/b-c.json.gz', 'a/b/c.json.gz', 'a/bz.json.gz'], 'byte order, as S3 lists');
    assert.deepEqual(await keysUnder(d, 'a/b'), ['a/b-c.json.gz', 'a/b/c.json.gz', 'a/bz.json.gz']);
    assert.deepEqual(await keysUnder(d, 'a/b/'), ['a/b/c.json.gz']);
    const after: string[] = [];
    for await (const k of d.list('a/', { startAfter: 'a/b-c.json.gz' })) after.push(k);
    assert.deepEqual(after, ['a/b/c.json.gz', 'a/bz.json.gz']);
    assert.deepEqual((await d.get('a/b/c.json.gz')).metadata, { signature: 'ab', 'signature-algorithm': 'SHA256withRSA' });
    await d.delete('a/b/c.json.gz');
    await assert.rejects(d.get('a/b/c.json.gz'), (e: { code?: string }) => e.code === 'NOT_FOUND');
    assert.deepEqual(await keysUnder(d, 'a/'), ['a/b-c.json.gz', 'a/bz.json.gz']);
    await assert.rejects(d.get('../escape'), /invalid object key/);
  } finally {
    rmDir(dir);
  }
});
