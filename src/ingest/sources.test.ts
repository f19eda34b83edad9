import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listLocal, sortByKey } from './sources.js';

test('sortByKey orders by key, computes each key once, and keeps items of equal keys in their order', () => {
  const items = [
    { name: 'c', key: '2' },
    { name: 'a', key: '1' },
    { name: 'd', key: '2' },
    { name: 'b', key: '1' },
    { name: 'e', key: '0' },
  ];
  let calls = 0;
  const sorted = sortByKey(items, (i) => {
    calls++;
    return i.key;
  });
  assert.equal(sorted, items, 'sorted in place');
  assert.deepEqual(sorted.map((i) => i.name), ['e', 'a', 'b', 'c', 'd']);
  assert.equal(calls, 5);
});

test('a local folder lists its files oldest delivery first, each with its size and time as they are when first asked for', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aitrail-sources-'));
  try {
    const day = join(dir, 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/01');
    mkdirSync(day, { recursive: true });
    const later = join(day, '111122223333_CloudTrail_us-east-1_20261101T1005Z_b.json');
    const earlier = join(day, '111122223333_CloudTrail_us-east-1_20261101T0955Z_a.json');
    writeFileSync(later, '{"Records":[]}');
    writeFileSync(earlier, '{"Records":[{}]}');
    symlinkSync(join(dir, 'nowhere.json'), join(day, '111122223333_CloudTrail_us-east-1_20261101T1010Z_c.json'));
    const skipped: string[] = [];
    const found = await listLocal(dir, (uri) => skipped.push(uri));
    assert.deepEqual(
      found.map((o) => o.uri.split('_').pop()),
      ['a.json', 'b.json', 'c.json'],
    );
    assert.deepEqual(skipped, []);
    // Grown after the listing, before its size was asked for: the size is the file's when read.
    appendFileSync(later, ' ');
    const [a, b, c] = found;
    assert.equal(a!.size, statSync(earlier).size);
    assert.equal(a!.mtimeMs, Math.trunc(statSync(earlier).mtimeMs));
    assert.equal(b!.size, statSync(later).size);
    assert.equal(b!.size, '{"Records":[]} '.length);
    // Asked for again after it changed: the first answer stands, one size from probe to manifest.
    appendFileSync(later, ' ');
    assert.equal(b!.size, '{"Records":[]} '.length);
    // A link to nothing is listed (reading it reports it), with no size.
    assert.equal(c!.size, 0);
    assert.equal(await a!.fetch(dir), earlier);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
