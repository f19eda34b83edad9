import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Store } from '../src/store/db.js';
import { StoreAccess } from '../src/server/db.js';
import { record, tempDir, rmDir } from './helpers/fixtures.js';

/** Runs `fn` with a fresh store and a StoreAccess over it (one reader), then closes both. */
async function withAccess(fn: (a: { dir: string; store: Store; access: StoreAccess }) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const store = await Store.open({ dataDir: join(dir, 'data') });
  try {
    const access = await StoreAccess.create(store, 1);
    try {
      await fn({ dir, store, access });
    } finally {
      await access.close();
    }
  } finally {
    await store.close();
    rmDir(dir);
  }
}

test('the write log tells which time windows a write may have changed', () =>
  withAccess(async ({ access }) => {
    const v0 = access.version;
    const day = (d: number) => Date.UTC(2026, 10, d);
    // Events of 10 November leave windows ending before then untouched.
    await access.push('push:t', [JSON.stringify(record({ eventID: 'w1', eventTime: '2026-11-10T00:00:00Z' }))], day(10));
    assert.equal(access.version, v0 + 1);
    assert.equal(access.unchangedThrough(v0, day(5)), true);
    assert.equal(access.unchangedThrough(v0, day(10)), false);
    // A write without a time bound (findings, settings, …) may change anything.
    await access.write(async (s) => s.run('SELECT 1'));
    assert.equal(access.unchangedThrough(v0, day(5)), false);
    assert.equal(access.unchangedThrough(access.version, day(5)), true);
    // An unparseable bound counts as unbounded.
    const v1 = access.version;
    await access.write(async (s) => s.run('SELECT 1'), NaN);
    assert.equal(access.unchangedThrough(v1, day(1)), false);
  }));

test('a pushed event sent again with other whitespace is a duplicate; other content under its eventID is a flagged conflict', () =>
  withAccess(async ({ store, access }) => {
    const rec = record({ eventID: 'same-1', eventTime: '2026-11-10T00:00:00Z' });
    const first = await access.push('push:t', [JSON.stringify(rec)]);
    assert.equal(first[0]!.status, 'stored');
    const again = await access.push('push:t', [JSON.stringify(rec, null, 2)]);
    assert.equal(again[0]!.status, 'duplicate');
    const other = await access.push('push:t', [JSON.stringify({ ...rec, eventName: 'Other' })]);
    assert.equal(other[0]!.status, 'stored');
    const rows = await store.all(`SELECT eventName, flags FROM event_store WHERE eventId = 'same-1' ORDER BY seq`);
    assert.deepEqual(rows.map((r) => [r.eventName, r.flags]), [[rec.eventName, []], ['Other', ['eventid-conflict']]]);
    // Plans prepared on earlier, clean batches must still see rejects (regression: reused plans
    // once carried the statistics of the batch they were planned on).
    const bad = await access.push('push:t', [JSON.stringify({ eventVersion: '1.08', eventSource: 'x.amazonaws.com', eventName: 'Y', eventID: 'no-time' }), JSON.stringify(record({ eventID: 'fine-2', eventTime: '2026-11-10T00:00:01Z' }))]);
    assert.deepEqual(bad.map((o) => o.status), ['rejected', 'stored']);
    assert.match(String(bad[0]!.reason), /missing eventTime/);
    // Half a surrogate pair, which DuckDB's JSON reader refuses: that record alone is rejected.
    const lone = JSON.stringify(record({ eventID: 'lone-1', eventTime: '2026-11-10T00:00:02Z', userAgent: 'x' })).replace('"userAgent":"x"', '"userAgent":"x\\udc00"');
    const mixed = await access.push('push:t', [lone, JSON.stringify(record({ eventID: 'fine-4', eventTime: '2026-11-10T00:00:03Z' }))]);
    assert.deepEqual(mixed.map((o) => o.status), ['rejected', 'stored']);
    assert.match(String(mixed[0]!.reason), /holds \\udc00, half of a UTF-16 surrogate pair/);
    assert.equal((await store.one(`SELECT raw FROM rejects WHERE reason LIKE '%surrogate%'`))!.raw, lone);
    // The stored text is the caller's, as sent.
    const text = await store.one(`SELECT record FROM event_store WHERE eventId = 'same-1' ORDER BY seq LIMIT 1`);
    assert.equal(text!.record, JSON.stringify(rec));
  }));

test('one push holding an event twice stores it once, and flags a different record under the same eventID', () =>
  withAccess(async ({ store, access }) => {
    const rec = record({ eventID: 'twice-1', eventTime: '2026-11-10T00:00:00Z' });
    const other = record({ eventID: 'fine-3', eventTime: '2026-11-10T00:00:02Z' });
    const out = await access.push('push:t', [JSON.stringify(rec), JSON.stringify(other), JSON.stringify(rec, null, 1), JSON.stringify({ ...rec, eventName: 'Changed' }), '{"eventName": 3}']);
    assert.deepEqual(out.map((o) => o.status), ['stored', 'stored', 'duplicate', 'stored', 'rejected']);
    assert.deepEqual(out.map((o) => o.eventId), ['twice-1', 'fine-3', 'twice-1', 'twice-1', null]);
    const rows = await store.all(`SELECT eventName, flags FROM event_store WHERE eventId = 'twice-1' ORDER BY seq`);
    assert.deepEqual(rows.map((r) => [r.eventName, r.flags]), [[rec.eventName, []], ['Changed', ['eventid-conflict']]]);
    // The channel's counters in the manifest add up to the outcomes.
    const m = await store.one(`SELECT events, duplicates, rejected FROM ingested_objects WHERE uri = 'push:t'`);
    assert.deepEqual([Number(m!.events), Number(m!.duplicates), Number(m!.rejected)], [3, 1, 1]);
    // The reject is kept with its raw text.
    const rej = await store.one(`SELECT raw, reason FROM rejects WHERE sourceUri = 'push:t'`);
    assert.equal(rej!.raw, '{"eventName": 3}');
    // The load's own summary counts the conflict, and reads nothing back when all were stored.
    const { loadRecords } = await import('../src/ingest/records.js');
    const again = await loadRecords(store, 'push:u', [JSON.stringify({ ...rec, eventName: 'Third' })]);
    assert.deepEqual([again.result.added, again.result.conflicts, again.result.duplicates], [1, 1, 0]);
    const plain = await loadRecords(store, 'push:u', [JSON.stringify(record({ eventID: 'fresh-9', eventTime: '2026-11-10T00:00:03Z' }))]);
    assert.deepEqual([plain.result.added, plain.result.conflicts, plain.outcomes[0]!.status, plain.outcomes[0]!.eventId], [1, 0, 'stored', 'fresh-9']);
  }));

test('a push spread over weeks finds its duplicates and conflicts among stored events of the whole range, with and without eventIDs', () =>
  withAccess(async ({ store, access }) => {
    const day = 86_400_000;
    const at = (i: number) => new Date(Date.UTC(2026, 9, 1) + Math.floor((i * 28 * day) / 3000)).toISOString().replace(/\.\d+Z$/, 'Z');
    // 3,000 stored events over 28 days, every tenth without an eventID (its key is its record's hash).
    const stored = Array.from({ length: 3000 }, (_, i) => {
      const r = record({ eventID: `wide-${i}`, eventTime: at(i), requestParameters: { n: i } });
      if (i % 10 === 0) delete r.eventID;
      return r;
    });
    for (let i = 0; i < stored.length; i += 500) await access.push('push:wide', stored.slice(i, i + 500).map((r) => JSON.stringify(r)));
    await store.checkpoint();
    const texts = [
      JSON.stringify(stored[5]), // a duplicate near the start of the range
      JSON.stringify(stored[2995]), // and near its end
      JSON.stringify(stored[1500]), // a duplicate of an event without an eventID
      JSON.stringify({ ...stored[1501], errorCode: 'AccessDenied' }), // other content under a stored eventID
      JSON.stringify(record({ eventID: 'wide-new', eventTime: at(2000) })),
      JSON.stringify({ ...stored[1510], requestParameters: { n: -1 } }), // no eventID and new content: a new event
    ];
    const out = await access.push('push:wide', texts);
    assert.deepEqual(out.map((o) => o.status), ['duplicate', 'duplicate', 'duplicate', 'stored', 'stored', 'stored']);
    const flagged = await store.all(`SELECT eventId, errorCode FROM event_store WHERE list_contains(flags, 'eventid-conflict')`);
    assert.deepEqual(flagged.map((r) => [r.eventId, r.errorCode]), [['wide-1501', 'AccessDenied']]);
    assert.equal(Number((await store.one('SELECT count(*) AS n FROM event_store'))!.n), 3003);
  }));

test('a logging trail that has nothing new to deliver leaves the caches of every time window valid', () =>
  withAccess(async ({ dir, store, access }) => {
    const { createTrail } = await import('../src/trail/ops.js');
    const { TrailManager } = await import('../src/trail/manager.js');
    await createTrail(store, { name: 'test', via: 'cli' }, { name: 'quiet-trail', destination: join(dir, 'dest'), accountId: '111122223333' });
    const trails = new TrailManager(store.dataDir, (fn) => access.write(fn), Date.now, (fn) => access.read(fn));
    await trails.pump();
    const v = access.version;
    // Pumping with no new events reads the trail list and finds nothing: no write happened.
    await trails.pump();
    await trails.pump();
    assert.equal(access.version, v);
    assert.equal(access.unchangedThrough(v, Date.now()), true);
    // A pushed event is a write.
    await access.push('push:t', [JSON.stringify(record({ eventID: 'q1', eventTime: '2026-11-10T00:00:00Z' }))]);
    assert.equal(access.version, v + 1);
    await trails.close();
  }));

test('trails take pushed rows from the writer, and read the store when other rows share their seq range', () =>
  withAccess(async ({ dir, store, access }) => {
    const { createTrail } = await import('../src/trail/ops.js');
    const { TrailManager } = await import('../src/trail/manager.js');
    const { loadRecords } = await import('../src/ingest/records.js');
    const dest = join(dir, 'dest');
    await createTrail(store, { name: 'test', via: 'cli' }, { name: 'fed-trail', destination: dest, accountId: '111122223333' });
    // Rows of stored records the trails read from the store.
    let rowsRead = 0;
    const counting = (s: Store): Store =>
      new Proxy(s, {
        get: (target, prop) =>
          prop === 'all'
            ? async (sql: string, params?: never) => {
                const rows = await target.all(sql, params);
                if (sql.includes('coalesce(record, recordLarge)')) rowsRead += rows.length;
                return rows;
              }
            : (Reflect.get(target, prop) as unknown),
      });
    const trails = new TrailManager(store.dataDir, (fn) => access.write(fn), Date.now, (fn) => access.read((s) => fn(counting(s))));
    access.storedListener = trails;
    // The first pump reads the trail's own events (CreateTrail, …), stored before any push.
    await trails.pump();
    const before = await store.one(`SELECT count(*) AS n FROM event_store WHERE seq > (SELECT startSeq FROM trails WHERE name = 'fed-trail')`);
    assert.equal(rowsRead, Number(before!.n));
    rowsRead = 0;
    const text = (id: string, extra = '') => JSON.stringify(record({ eventID: id, eventTime: '2026-11-10T00:00:00Z' })).replace('{', `{${extra}`);
    // Pushed rows come from the writer (one with newlines between tokens: the trail gets the stored text).
    const fed1 = text('fed-1');
    await access.push('push:t', [fed1, text('fed-2', '\n  ')]);
    // A duplicate stores nothing and hands nothing over.
    await access.push('push:t', [fed1]);
    await trails.pump();
    assert.equal(rowsRead, 0);
    // A row stored without the feed (e.g. a trail change recorded by the CLI path) lies in the
    // range of the next pushed row: the trail reads the store and still gets every row once.
    await access.write((s) => loadRecords(s, 'audit:aitrail', [text('unfed-3')]));
    await access.push('push:t', [text('fed-4')]);
    await trails.pump();
    assert.equal(rowsRead, 2);
    await trails.flush('fed-trail');
    // Every delivered file holds the texts the store holds, byte for byte, each row once.
    const stored = new Map((await store.all(`SELECT eventId, coalesce(record, recordLarge) AS t FROM event_store`)).map((r) => [r.eventId, r.t]));
    const ids: string[] = [];
    for (const f of (readdirSync(dest, { recursive: true }) as string[]).filter((f) => f.endsWith('.json.gz'))) {
      const content = gunzipSync(readFileSync(join(dest, f))).toString('utf8');
      const inFile = (JSON.parse(content) as { Records: { eventID: string }[] }).Records.map((r) => r.eventID);
      assert.equal(content, `{"Records":[${inFile.map((id) => stored.get(id)).join(',')}]}`);
      ids.push(...inFile);
    }
    assert.deepEqual(ids.filter((id) => id.startsWith('fed-') || id.startsWith('unfed-')), ['fed-1', 'fed-2', 'unfed-3', 'fed-4']);
    assert.equal(new Set(ids).size, ids.length);
    await trails.close();
  }));
