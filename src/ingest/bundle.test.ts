import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BundleWriter, type BundleInput } from './bundle.js';

const delivery = (n: number) => JSON.stringify({ Records: Array.from({ length: n }, (_, i) => ({ eventID: `e-${n}-${i}`, eventName: 'GetObject' })) });

/** The wrapped lines of every bundle, parsed. */
function lines(paths: string[]): Record<string, unknown>[] {
  return paths.flatMap((p) =>
    readFileSync(p, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  );
}

test('bundles wrap each file with its source id; gzip files are inflated, byte order marks dropped, damaged files named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aitrail-bundle-'));
  try {
    const file = (name: string, body: Buffer | string, sourceId: number, gzip: boolean, keep = false): BundleInput => {
      const path = join(dir, name);
      writeFileSync(path, body);
      return { path, sourceId, gzip, ...(keep ? { data: readFileSync(path) } : {}) };
    };
    const texts = [delivery(1), delivery(2), delivery(3), delivery(4), delivery(5)];
    // A gzip file of two members: its trailer gives only the last member's size, so it is left
    // out (the JavaScript readers read every member).
    const twoMembers = Buffer.concat([gzipSync(texts[3]!.slice(0, 10)), gzipSync(texts[3]!.slice(10))]);
    const files = [
      file('a.json.gz', gzipSync(texts[0]!), 11, true),
      file('b.json.gz', gzipSync(texts[1]!), 12, true, true),
      file('c.json', '\uFEFF' + texts[2]!, 13, false),
      file('d.json.gz', twoMembers, 14, true),
      file('bad.json.gz', gzipSync(texts[4]!).subarray(0, 30), 15, true),
      file('e.json.gz', gzipSync(texts[4]!), 16, true),
    ];
    files.push({ path: join(dir, 'missing.json.gz'), sourceId: 17, gzip: true });
    // A file that goes on after its object would read as valid inside the wrapper: left out.
    files.push(file('junk.json', `${texts[0]!}, "x": {"y": 1}}`, 18, false));
    files.push(file('spaced.json', `${texts[0]!.slice(0, -2)} ]\t\r }  `, 19, false));
    // Gzip files are only looked into here: one that is not a delivery file is left out.
    files.push(file('lines.json.gz', gzipSync(`${JSON.stringify({ eventID: 'l1' })}\n${JSON.stringify({ eventID: 'l2' })}`), 20, true));
    // lookup-events output ends as a delivery file does: only its start tells them apart.
    files.push(file('lookup.json.gz', gzipSync(JSON.stringify({ Events: [{ EventId: 'x', CloudTrailEvent: '{}' }] })), 21, true));
    files.push(file('bom.json.gz', gzipSync('\uFEFF' + texts[1]!), 22, true));
    // A trailer that understates the content (a file made to blow up in memory): left out, its
    // content never inflated past what the trailer said.
    const liar = gzipSync(texts[4]!);
    liar.writeUInt32LE(10, liar.length - 4);
    files.push(file('liar.json.gz', liar, 23, true));
    const w = new BundleWriter(dir, 'x', 4);
    for (const f of files) w.add(f);
    const b = w.finish();
    // Four files per bundle, less the seven left out.
    assert.equal(b.paths.length, 3);
    const got = lines(b.paths);
    assert.deepEqual(
      got.map((l) => [l[b.sourceKey], JSON.stringify(l[b.dataKey])]),
      [
        [11, texts[0]],
        [12, texts[1]],
        [13, texts[2]],
        [16, texts[4]],
        [19, texts[0]],
        [22, texts[1]],
      ],
    );
    // Only the two member names, each with the set's own suffix.
    assert.match(b.sourceKey, /^s_[0-9a-f]{12}$/);
    assert.equal(b.dataKey, b.sourceKey.replace('s_', 'd_'));
    assert.ok(got.every((l) => Object.keys(l).length === 2));
    assert.deepEqual(w.unreadable.map((u) => u.sourceId).sort(), [14, 15, 17, 18, 20, 21, 23]);
    // Another writer's names differ: no file can know them in advance.
    const other = new BundleWriter(dir, 'y');
    other.add(files[0]!);
    assert.notEqual(other.finish().sourceKey, b.sourceKey);
    assert.deepEqual(b.multiLinePaths, []);
    w.discard();
    assert.ok(b.paths.every((p) => !existsSync(p)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('files with line breaks inside go to bundles of their own; whitespace around a file is dropped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aitrail-bundle-'));
  try {
    const file = (name: string, body: string, sourceId: number): BundleInput => {
      const path = join(dir, name);
      writeFileSync(path, body);
      return { path, sourceId, gzip: false };
    };
    const value = JSON.parse(delivery(3)) as unknown;
    const w = new BundleWriter(dir, 'z', 2);
    w.add(file('pretty.json', JSON.stringify(value, null, 2), 1));
    w.add(file('trailing.json', `\r\n ${delivery(3)}\n\n`, 2));
    w.add(file('plain.json', delivery(3), 3));
    w.add(file('crlf.json', JSON.stringify(value, null, 1).replace(/\n/g, '\r\n'), 4));
    const b = w.finish();
    // One line per file in the single-line bundles, the files themselves unchanged in value.
    assert.equal(b.paths.length, 2);
    const single = lines(b.paths);
    assert.deepEqual(single.map((l) => l[b.sourceKey]), [2, 3]);
    assert.ok(single.every((l) => JSON.stringify(l[b.dataKey]) === JSON.stringify(value)));
    for (const p of b.paths) assert.ok(!readFileSync(p, 'utf8').slice(0, -1).includes('\n'), p);
    // The others as they were, each wrapper ending its own line.
    assert.equal(b.multiLinePaths.length, 2);
    const multi = b.multiLinePaths.map((p) => readFileSync(p, 'utf8'));
    assert.ok(multi.every((t) => t.endsWith('}\n') && t.includes('\n  "Records"') !== t.includes('\r\n "Records"')));
    const parsed = multi.map((t) => JSON.parse(t) as Record<string, unknown>);
    assert.deepEqual(parsed.map((l) => l[b.sourceKey]), [1, 4]);
    assert.ok(parsed.every((l) => JSON.stringify(l[b.dataKey]) === JSON.stringify(value)));
    w.discard();
    assert.ok([...b.paths, ...b.multiLinePaths].every((p) => !existsSync(p)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
