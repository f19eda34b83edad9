import { test } from 'node:test';
import assert from 'node:assert/strict';
import { digestKey, digestKeyStamp, digestStamp, isoSeconds, logStamp, parseDigestKey, parseStamp } from './layout.js';

test('stamps: log (minutes) and digest (seconds) forms, display form, parsing', () => {
  const d = new Date('2026-01-02T03:04:05.678Z');
  assert.equal(logStamp(d), '20260102T0304Z');
  assert.equal(digestStamp(d), '20260102T030405Z');
  assert.equal(isoSeconds(d), '2026-01-02T03:04:05Z');
  assert.equal(parseStamp('20260102T0304Z')!.toISOString(), '2026-01-02T03:04:00.000Z');
  assert.equal(parseStamp('20260102T030405Z')!.toISOString(), '2026-01-02T03:04:05.000Z');
  assert.equal(parseStamp('2026-01-02'), null);
});

test('digest keys round-trip for awkward trail names and both key forms', () => {
  for (const trailName of ['a_b_c', 'us-east-1', 'x.y-z_1', 'CloudTrail_Digest']) {
    for (const backfill of [false, true]) {
      const endTime = new Date('2026-12-31T23:59:59Z');
      const k = digestKey({ accountId: '123456789012', region: 'ap-southeast-2', trailName, homeRegion: 'eu-central-1', endTime, backfill });
      const p = parseDigestKey(k)!;
      assert.equal(p.trailName, trailName);
      assert.equal(p.homeRegion, 'eu-central-1');
      assert.equal(p.backfill, backfill);
      assert.equal(digestKeyStamp(k), '20261231T235959Z');
    }
  }
});
