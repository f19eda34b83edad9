import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseBytes, Store, STORAGE_VERSION } from '../src/store/db.js';
import { ingest } from '../src/ingest/index.js';
import { lookupEvents } from '../src/store/events.js';
import { record, tempDir, rmDir, writeRaw } from './helpers/fixtures.js';

const at = (d: number, m: number) => new Date(Date.UTC(2026, 10, d, 0, m)).toISOString().replace('.000', '');

/** Opens the store in `dataDir`, runs `fn` on it and closes it. */
async function withOpen<T>(opts: { dataDir: string; readOnly?: boolean }, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await Store.open(opts);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

test('a new store compresses records with zstd and writes the lake oldest file first whatever the listing order', async () => {
  const dir = tempDir();
  try {
    // Files listed account-first (b before a), with days interleaved across them.
    writeRaw(dir, 'AWSLogs/222/CloudTrail/us-east-1/2026/11/01/222_CloudTrail_us-east-1_20261101T0000Z_x.json', JSON.stringify({ Records: [record({ eventID: 'b1', eventTime: at(1, 5) })] }));
    writeRaw(dir, 'AWSLogs/222/CloudTrail/us-east-1/2026/11/03/222_CloudTrail_us-east-1_20261103T0000Z_x.json', JSON.stringify({ Records: [record({ eventID: 'b3', eventTime: at(3, 5) })] }));
    writeRaw(dir, 'AWSLogs/111/CloudTrail/us-east-1/2026/11/02/111_CloudTrail_us-east-1_20261102T0000Z_x.json', JSON.stringify({ Records: [record({ eventID: 'a2', eventTime: at(2, 5) }), record({ eventID: 'a1', eventTime: at(1, 1) })] }));
    const data = join(dir, 'data');
    await withOpen({ dataDir: data }, async (store) => {
      assert.equal(await store.storageVersion(), `${STORAGE_VERSION}+`);
      // One file per batch, so the order batches are written in shows.
      await ingest(store, [join(dir, 'AWSLogs')], { batchFiles: 1 });
      await store.run('CHECKPOINT');
      const order = (await store.all('SELECT eventId FROM event_store ORDER BY rowid')).map((r) => r.eventId);
      // Files are read oldest first by the time in their name: b1's file, then a's, then b3's
      // (rows are not sorted within a batch).
      assert.deepEqual([order[0], [...order.slice(1, 3)].sort(), order[3]], ['b1', ['a1', 'a2'], 'b3']);
      const comp = await store.all("SELECT DISTINCT compression FROM pragma_storage_info('event_store') WHERE column_name = 'record' AND segment_type = 'VARCHAR'");
      assert.deepEqual(comp.map((r) => r.compression), ['ZSTD']);
      const page = await lookupEvents(store, { MaxResults: 2 });
      assert.deepEqual(page.Events.map((e) => e.EventId), ['b3', 'a2']);
      assert.equal(JSON.parse(page.Events[0]!.CloudTrailEvent).eventID, 'b3');
    });
  } finally {
    rmDir(dir);
  }
});

test('the lake is written in row groups of at most 30,720 rows, and a store reopens with its data', async () => {
  const dir = tempDir();
  try {
    const data = join(dir, 'data');
    await withOpen({ dataDir: data }, async (store) => {
      await store.run(`INSERT INTO event_store (eventId, eventTime, eventSource, eventName, ingestedAt, record, seq)
        SELECT 'id-' || i, TIMESTAMP '2026-11-01' + INTERVAL (i) SECOND, 'x.amazonaws.com', 'Y', now(), '{}', i FROM range(70000) t(i)`);
      await store.run('CHECKPOINT');
      const groups = await store.all(`SELECT row_group_id, max(count) AS n FROM pragma_storage_info('event_store') WHERE column_name = 'eventId' GROUP BY ALL`);
      assert.ok(groups.length >= 3, `70,000 rows in ${groups.length} row groups`);
      assert.ok(groups.every((g) => Number(g.n) <= 30_720), JSON.stringify(groups.map((g) => Number(g.n))));
    });
    // Reopened (read-only, then as the writer), the data and the settings are there.
    await withOpen({ dataDir: data, readOnly: true }, async (store) => {
      assert.equal(Number((await store.one('SELECT count(*) AS n FROM event_store'))!.n), 70000);
    });
    await withOpen({ dataDir: data }, async (store) => {
      assert.equal(Number((await store.one('SELECT count(*) AS n FROM event_store'))!.n), 70000);
      assert.equal(await store.storageVersion(), `${STORAGE_VERSION}+`);
    });
  } finally {
    rmDir(dir);
  }
});

test('rows a small write left in memory are checkpointed out once they hold a quarter of the memory limit', async () => {
  const dir = tempDir();
  try {
    await withOpen({ dataDir: dir }, async (store) => {
      const held = async () => Number((await store.one(`SELECT coalesce(sum(memory_usage_bytes), 0) AS b FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'`))!.b);
      await store.run(`SET memory_limit = '64MB'`);
      // Fewer rows than a row group: committed through the WAL, kept in memory.
      await store.run(`CREATE TABLE scratch AS SELECT repeat('x', 1500) || i AS s FROM range(5000) t(i)`);
      const before = await held();
      assert.ok(before > 0 && before <= 16 * 1024 * 1024, `held ${before}`);
      assert.equal(await store.relieveMemory(), false);
      await store.run(`INSERT INTO scratch SELECT repeat('y', 1500) || i FROM range(10000) t(i)`);
      assert.ok((await held()) > 16 * 1024 * 1024);
      assert.equal(await store.relieveMemory(), true);
      assert.ok((await held()) < before, 'checkpointed to the file');
      assert.equal(Number((await store.one('SELECT count(*) AS n FROM scratch'))!.n), 15000);
    });
  } finally {
    rmDir(dir);
  }
  assert.deepEqual(['244.1 MiB', '1.5 GB', '512 bytes', '3 KiB', 'lots'].map(parseBytes), [244.1 * 2 ** 20, 1.5e9, 512, 3072, 0]);
});

test('long strings held in memory count as held, and a checkpoint gets the room to write them out', async () => {
  const dir = tempDir();
  try {
    await withOpen({ dataDir: dir }, async (store) => {
      await store.run(`CREATE TABLE big (k INTEGER, doc VARCHAR USING COMPRESSION zstd)`);
      // 300 strings of about 200 kB (records of large requests): too few rows for a row group, so
      // committed through the WAL and held in memory, apart from the rows, until a checkpoint.
      await store.run(`INSERT INTO big SELECT i, (SELECT string_agg('{"name":"c' || j || '_' || i || '","comment":"' || md5(j::VARCHAR || i::VARCHAR) || '"}', ',') FROM range(4000) r(j)) FROM range(300) t(i)`);
      const held = await store.heldInMemory();
      assert.ok(held > 60 * 2 ** 20, `held ${held}`);
      await store.run(`SET memory_limit = '64MB'`);
      // A plain CHECKPOINT under this limit runs out of memory, and that invalidates the database.
      assert.equal(await store.relieveMemory(), true);
      assert.ok((await store.heldInMemory()) < 8 * 2 ** 20, 'written to the file');
      assert.equal((await store.one(`SELECT current_setting('memory_limit') AS m`))!.m, '61.0 MiB', 'limit restored');
      // Reading a block of zstd-compressed long strings takes more than this limit.
      await store.run(`SET memory_limit = '512MB'`);
      assert.equal(Number((await store.one('SELECT count(*) AS n FROM big WHERE strlen(doc) > 200000'))!.n), 300);
    });
    await withOpen({ dataDir: dir, readOnly: true }, async (store) => {
      assert.equal(Number((await store.one('SELECT count(*) AS n FROM big WHERE strlen(doc) > 200000'))!.n), 300);
    });
  } finally {
    rmDir(dir);
  }
});

test('a store held by another process is refused with STORE_LOCKED, for writers and readers alike', async () => {
  const dir = tempDir();
  const data = join(dir, 'data');
  await withOpen({ dataDir: data }, async () => undefined);
  // Another process opens the store as its writer and holds it until its stdin closes.
  const db = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'store', 'db.js');
  const holder = spawn(process.execPath, ['--input-type=module', '-e',
    `const { Store } = await import(${JSON.stringify(db)}); const s = await Store.open({ dataDir: ${JSON.stringify(data)} }); process.stdout.write('open\\n'); process.stdin.on('end', async () => { await s.close(); process.exit(0); }); process.stdin.resume();`]);
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (d: Buffer) => (String(d).includes('open') ? resolve() : undefined));
      holder.on('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    });
    await assert.rejects(Store.open({ dataDir: data }), (e: Error & { code?: string }) => e.code === 'STORE_LOCKED' && /only one writer/.test(e.message));
    await assert.rejects(Store.open({ dataDir: data, readOnly: true }), (e: Error & { code?: string }) => e.code === 'STORE_LOCKED' && /a writer holds it/.test(e.message));
    holder.stdin.end();
    await new Promise((r) => holder.once('exit', r));
    // Once released, it opens again.
    await withOpen({ dataDir: data }, async () => undefined);
  } finally {
    holder.kill();
    rmDir(dir);
  }
});

test('a store in the older storage format skips the zstd rebuild and keeps working', async () => {
  const dir = tempDir();
  try {
    const data = join(dir, 'data');
    mkdirSync(data, { recursive: true });
    // A file created the way DuckDB creates one by default (storage v1.0).
    const inst = await DuckDBInstance.create(join(data, 'aitrail.duckdb'));
    inst.closeSync();
    await withOpen({ dataDir: data }, async (store) => {
      assert.match(String(await store.storageVersion()), /^v1\.0/);
      const m = await store.all('SELECT name FROM schema_migrations WHERE version = 6');
      assert.match(String(m[0]!.name), /skipped: storage v1\.0/);
      writeRaw(dir, 'in/a.json', JSON.stringify({ Records: [record({ eventID: 'x1', eventTime: at(1, 1) }), record({ eventID: 'x2', eventTime: at(1, 2) })] }));
      const s = await ingest(store, [join(dir, 'in')]);
      assert.equal(s.eventsAdded, 2);
      const page = await lookupEvents(store, { MaxResults: 1 });
      assert.equal(page.Events[0]!.EventId, 'x2');
      const next = await lookupEvents(store, { MaxResults: 1, NextToken: page.NextToken });
      assert.equal(next.Events[0]!.EventId, 'x1');
    });
  } finally {
    rmDir(dir);
  }
});

test('a store from before the sessionCredentialFromConsole column gets it filled from its records', async () => {
  const dir = tempDir();
  try {
    const data = join(dir, 'data');
    writeRaw(dir, 'in/a.json', JSON.stringify({ Records: [
      record({ eventID: 'c-text', sessionCredentialFromConsole: 'true' }),
      record({ eventID: 'c-bool', sessionCredentialFromConsole: true }),
      record({ eventID: 'c-none' }),
    ] }));
    await withOpen({ dataDir: data }, async (store) => {
      await ingest(store, [join(dir, 'in')]);
      // Back to what a store written before migration 8 holds.
      await store.run('ALTER TABLE event_store DROP COLUMN sessionCredentialFromConsole');
      await store.run(`UPDATE event_store SET flags = []`);
      await store.run('DELETE FROM schema_migrations WHERE version = 8');
    });
    await withOpen({ dataDir: data }, async (store) => {
      const rows = await store.all('SELECT eventId, sessionCredentialFromConsole AS c, flags FROM events ORDER BY eventId');
      assert.deepEqual(rows.map((r) => [r.eventId, r.c, [...(r.flags as string[])]]), [
        ['c-bool', 'true', ['odd-typed-field']],
        ['c-none', null, []],
        ['c-text', 'true', []],
      ]);
      assert.equal((await store.all('SELECT version FROM schema_migrations WHERE version = 8')).length, 1);
    });
  } finally {
    rmDir(dir);
  }
});

test('a store holding events dated outside years 0000 to 9999 has them moved to rejects', async () => {
  const dir = tempDir();
  try {
    const data = join(dir, 'data');
    writeRaw(dir, 'in/a.json', JSON.stringify({ Records: [record({ eventID: 'keep' }), record({ eventID: 'far', eventTime: '2026-11-01T00:00:00Z' })] }));
    await withOpen({ dataDir: data }, async (store) => {
      await ingest(store, [join(dir, 'in')]);
      // What an older version stored: a time DuckDB reads, past what a JavaScript Date holds.
      await store.run(`UPDATE event_store SET eventTime = TIMESTAMP '294247-01-10 04:00:54', record = replace(record, '2026-11-01T00:00:00Z', '294247-01-10T04:00:54Z') WHERE eventId = 'far'`);
      await store.run('DELETE FROM schema_migrations WHERE version = 11');
    });
    await withOpen({ dataDir: data }, async (store) => {
      assert.deepEqual((await store.all('SELECT eventId FROM events')).map((r) => r.eventId), ['keep']);
      const rej = await store.all('SELECT sourceUri, recordIndex, reason, raw FROM rejects');
      assert.equal(rej.length, 1);
      assert.match(String(rej[0]!.sourceUri), /a\.json$/);
      assert.equal(rej[0]!.recordIndex, 1);
      assert.equal(rej[0]!.reason, 'eventTime "294247-01-10T04:00:54Z" is outside years 0000 to 9999');
      assert.equal(JSON.parse(String(rej[0]!.raw)).eventID, 'far');
      // Readers of stored times work again.
      assert.ok((await store.one('SELECT max(eventTime) AS t FROM event_store'))!.t instanceof Date);
    });
  } finally {
    rmDir(dir);
  }
});

test('a bulk load writes typed columns without FSST, and leaves the connection at DuckDB defaults for later writes', async () => {
  const dir = tempDir();
  try {
    // Enough varied strings (request ids, agents, ARNs) that DuckDB would pick FSST for some columns.
    const recs = Array.from({ length: 6000 }, (_, i) =>
      record({
        eventID: `fsst-${i}`,
        eventTime: at(1 + (i % 5), i % 60),
        requestID: `req-${(i * 7919).toString(36)}-${(i * 104729).toString(16)}`,
        userAgent: `aws-sdk-js/3.${i % 500}.0 ua/2.1 os/linux#6.${i % 17} lang/js md/nodejs#20.${i % 13}.0 api/bedrock-runtime#3.${i % 400}.0`,
        sourceIPAddress: `10.${i % 256}.${(i * 31) % 256}.${(i * 7) % 256}`,
      }),
    );
    writeRaw(dir, 'AWSLogs/111/CloudTrail/us-east-1/2026/11/01/111_CloudTrail_us-east-1_20261101T0000Z_f.json', JSON.stringify({ Records: recs }));
    await withOpen({ dataDir: join(dir, 'data') }, async (store) => {
      await ingest(store, [join(dir, 'AWSLogs')]);
      const fsst = await store.one(`SELECT count(*) AS n FROM pragma_storage_info('event_store') WHERE compression = 'FSST'`);
      assert.equal(Number(fsst!.n), 0);
      const setting = await store.one(`SELECT current_setting('disabled_compression_methods') AS v`);
      assert.equal(setting!.v, '');
      assert.equal(Number((await store.one('SELECT count(*) AS n FROM event_store'))!.n), 6000);
    });
  } finally {
    rmDir(dir);
  }
});
