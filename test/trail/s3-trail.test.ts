import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { rmDir, tempDir } from '../helpers/fixtures.js';
import { s3Front, startS3 } from '../helpers/s3server.js';
import { S3Destination, openDestination } from '../../src/trail/destination.js';
import { digestKey } from '../../src/trail/layout.js';
import { validateLogs } from '../../src/trail/validate.js';
import { ACCOUNT, ARN, HOUR, T0, TRAIL, gunzipJson, invalidLines, keysUnder, logFor, openTrail } from './trail-helpers.js';

test('S3 destination through a real S3-protocol server: trail delivery, x-amz-meta-signature, validation, tampering', async () => {
  const s3 = await startS3(['trail-bucket']);
  const dir = tempDir('aitrail-s3trail-');
  try {
    const dest = openDestination('s3://trail-bucket/org-trails', { endpoint: s3.endpoint });
    assert.ok(dest instanceof S3Destination);
    assert.equal(dest.defaultPrefix, 'org-trails');
    const t = await openTrail({ destination: 's3://trail-bucket/org-trails', endpoint: s3.endpoint }, dir, T0, dest);
    await logFor(t, 3 * 60);

    const digests = await keysUnder(dest, 'org-trails/AWSLogs/111122223333/CloudTrail-Digest/');
    assert.equal(digests.length, 3);
    const k2 = digestKey({ prefix: 'org-trails', accountId: ACCOUNT, region: 'us-east-1', trailName: TRAIL, homeRegion: 'us-east-1', endTime: new Date(T0 + 2 * HOUR) });
    assert.equal(digests[1], k2);
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'trail-bucket', Key: k2 }));
    assert.match(head.Metadata?.signature ?? '', /^[0-9a-f]{512}$/, 'stored as x-amz-meta-signature');
    assert.equal(head.Metadata?.['signature-algorithm'], 'SHA256withRSA');
    const d2 = gunzipJson((await dest.get(k2)).body);
    assert.equal(d2.digestS3Bucket, 'trail-bucket');
    assert.equal(d2.digestS3Object, k2);

    // Paginated listing with StartAfter (more keys than one page is not needed to exercise the token path).
    const after: string[] = [];
    for await (const k of dest.list('org-trails/AWSLogs/111122223333/CloudTrail-Digest/', { startAfter: digests[0] })) after.push(k);
    assert.deepEqual(after, digests.slice(1));

    const opts = {
      destination: 's3://trail-bucket/org-trails',
      endpoint: s3.endpoint,
      trailArn: ARN,
      startTime: new Date(T0),
      endTime: new Date(t.clock.t),
      publicKeys: await t.writer.listPublicKeys(),
      now: t.clock.now,
    };
    const ok = await validateLogs({ ...opts, verbose: true });
    assert.equal(ok.exitCode, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`Digest file\\ts3://trail-bucket/${k2.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\tvalid`));
    assert.match(ok.stdout, /\n3\/3 digest files valid\n18\/18 log files valid\n$/);

    await dest.delete(k2);
    const d3 = gunzipJson((await dest.get(digests[2]!)).body);
    const gone = (d3.logFiles as Array<{ s3Object: string }>)[0]!.s3Object;
    await dest.delete(gone);
    const bad = await validateLogs({ ...opts, checkUncovered: false });
    assert.equal(bad.exitCode, 1);
    assert.deepEqual(invalidLines(bad), [
      `Log file\ts3://trail-bucket/${gone}\tINVALID: not found`,
      `Digest file\ts3://trail-bucket/${k2}\tINVALID: not found`,
      'Digest chain broken between 2026-11-01T01:00:00Z and 2026-11-01T02:00:00Z: 1 digest file missing',
    ]);
    const withUncovered = await validateLogs(opts);
    assert.equal(withUncovered.logFiles.invalid, 1 + 6, 'the six log files of the deleted digest are not covered');
  } finally {
    rmDir(dir);
    await s3.stop();
  }
});

test('an S3 destination in another region than the configured one is followed there, as S3 redirects', async () => {
  const s3 = await startS3(['eu-trail-bucket']);
  const front = await s3Front(s3, { region: 'eu-west-1' });
  try {
    const dest = openDestination('s3://eu-trail-bucket/t', { endpoint: front.endpoint, region: 'us-east-1' });
    await dest.put('t/a.json', Buffer.from('{"a":1}'), { signature: 'ab' });
    assert.equal((await dest.get('t/a.json')).body.toString(), '{"a":1}');
    assert.ok(front.redirected() >= 1, 'the first request went to the configured region');
  } finally {
    await front.close();
    await s3.stop();
  }
});
