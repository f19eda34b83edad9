/**
 * Opt-in (`npm run test:corpus`): ingests every event file of ../shared/corpus and proves that
 * nothing is lost or altered. Skips when the corpus is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Store } from '../../src/store/db.js';
import { ingest } from '../../src/ingest/index.js';
import { tempDir, rmDir } from '../helpers/fixtures.js';

const corpus = resolve(process.cwd(), '../shared/corpus');
const present = existsSync(corpus);

/** Event folders of the corpus (everything else there is rules, queries and notes). */
const EVENT_DIRS = ['traildiscover/logExamples', 'panther-analysis/cloudtrail', 'panther-analysis/test_scenarios', 'awsdocs-examples', 'otrf-security-datasets', 'cloud-custodian-cwe', 'blog-transcribed'];

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(json|jsonl|cloudtrail)$/.test(name)) out.push(p);
  }
  return out;
}

/** An independent reader of the corpus's own shapes (written for this test, not the product's). */
function expectedRecords(path: string): unknown[] {
  const text = readFileSync(path, 'utf8');
  if (path.endsWith('.jsonl')) {
    return text.split('\n').filter((l) => l.trim()).map((l) => {
      const v = JSON.parse(l) as Record<string, unknown>;
      return '_source' in v ? v.event : v;
    });
  }
  const v = JSON.parse(text) as unknown;
  if (Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  if (Array.isArray(o.tests)) return (o.tests as { log: unknown }[]).map((t) => t.log);
  if (o.detail && o['detail-type']) return [o.detail];
  return [v];
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

test('every corpus event is stored exactly or rejected with a reason; nothing is lost', { skip: !present && 'no ../shared/corpus' }, async () => {
  const dir = tempDir();
  const store = await Store.open({ dataDir: join(dir, 'data') });
  try {
    const stats = JSON.parse(readFileSync(join(corpus, 'STATS.json'), 'utf8')) as { total_events: number };
    const expected = new Map<string, number>();
    let countIn = 0;
    const sources: string[] = [];
    for (const d of EVENT_DIRS) {
      for (const f of files(join(corpus, d))) {
        sources.push(f);
        for (const r of expectedRecords(f)) {
          countIn++;
          const k = canonical(r);
          expected.set(k, (expected.get(k) ?? 0) + 1);
        }
      }
    }
    assert.ok(countIn >= stats.total_events, `read ${countIn} events, STATS.json says ${stats.total_events}`);
    const sum = await ingest(store, sources);
    assert.equal(sum.records, countIn, 'the product found exactly the records the independent reader found');
    assert.equal(sum.filesRejected, 0);
    const stored = await store.all(`SELECT coalesce(record, recordLarge) AS r FROM event_store`);
    const rejected = await store.all(`SELECT raw FROM rejects WHERE recordIndex IS NOT NULL`);
    assert.equal(stored.length + rejected.length + sum.duplicates, countIn, 'count in = stored + rejected + identical duplicates');
    assert.equal(stored.length, sum.eventsAdded);
    // Stored records round-trip exactly: each one is an input record, value for value.
    const remaining = new Map(expected);
    const take = (k: string, what: string) => {
      const n = remaining.get(k) ?? 0;
      assert.ok(n > 0, `${what} does not match any input record: ${k.slice(0, 300)}`);
      remaining.set(k, n - 1);
    };
    for (const s of stored) take(canonical(JSON.parse(String(s.r))), 'stored record');
    for (const r of rejected) take(canonical(JSON.parse(String(r.raw))), 'rejected record');
    // What is left are identical duplicates of stored records.
    const left = [...remaining].filter(([, n]) => n > 0);
    assert.equal(left.reduce((a, [, n]) => a + n, 0), sum.duplicates);
    const storedKeys = new Set(stored.map((s) => canonical(JSON.parse(String(s.r)))));
    for (const [k] of left) assert.ok(storedKeys.has(k), 'a duplicate is identical to a stored record');
    // Every reject names a reason.
    const reasons = await store.all(`SELECT reason, count(*) AS n FROM rejects GROUP BY 1 ORDER BY 2 DESC`);
    for (const r of reasons) assert.ok(String(r.reason).length > 5);
    process.stdout.write(`# corpus: ${countIn} in, ${stored.length} stored, ${rejected.length} rejected, ${sum.duplicates} duplicates\n`);
    for (const r of reasons) process.stdout.write(`#   rejected ${r.n}: ${r.reason}\n`);
  } finally {
    await store.close();
    rmDir(dir);
  }
});
