import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Store } from '../src/store/db.js';
import { record, tempDir, rmDir, writeDelivery, writeRaw } from './helpers/fixtures.js';

const bin = fileURLToPath(new URL('../../bin/aitrail.js', import.meta.url));

function runIngest(src: string, dataDir: string, killAfterMs?: number, env: Record<string, string> = { AITRAIL_BATCH_FILES: '4' }): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, 'ingest', src, '--data-dir', dataDir], { stdio: 'ignore', env: { ...process.env, ...env } });
    if (killAfterMs !== undefined) setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    p.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

/**
 * Writes `files` delivery files (or JSON Lines files) of `per` events each, kills ingest runs at
 * `delays`, reruns, and checks every event is stored once.
 */
async function killAndResume(files: number, per: number, delays: number[], env?: Record<string, string>, jsonl = false): Promise<void> {
  const dir = tempDir();
  const logs = `${dir}/logs`;
  for (let f = 0; f < files; f++) {
    const recs = Array.from({ length: per }, (_, i) => record({ eventID: `ev-${f}-${i}`, eventTime: new Date(Date.UTC(2026, 9, 1) + (f * per + i) * 1000).toISOString() }));
    const name = `AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/f${String(f).padStart(3, '0')}`;
    if (jsonl) writeRaw(logs, `${name}.jsonl`, recs.map((r) => JSON.stringify(r)).join('\n'));
    else writeDelivery(logs, `${name}.json.gz`, recs);
  }
  const data = `${dir}/data`;
  // What each run left behind, for the failure messages: how it ended, and the store's counts.
  const history: string[] = [];
  const snapshot = async (label: string, r: { code: number | null; signal: string | null }) => {
    let state = 'no store';
    try {
      const s = await Store.open({ dataDir: data, readOnly: true });
      try {
        const c = await s.one(`SELECT (SELECT count(*) FROM event_store) AS n, (SELECT count(*) FROM ingested_objects) AS files,
          (SELECT coalesce(sum(events), 0) FROM ingested_objects) AS e, (SELECT coalesce(sum(duplicates), 0) FROM ingested_objects) AS d`);
        state = `events ${String(c!.n)}, manifest ${String(c!.files)} files (${String(c!.e)} events, ${String(c!.d)} duplicates)`;
      } finally {
        await s.close();
      }
    } catch (e) {
      state = (e as Error).message;
    }
    history.push(`${label}: ${r.signal ?? `exit ${r.code}`}; ${state}`);
  };
  try {
    let kills = 0;
    for (const ms of delays) {
      const r = await runIngest(logs, data, ms, env);
      if (r.signal === 'SIGKILL') kills++;
      await snapshot(`run killed at ${ms} ms (if still running)`, r);
    }
    assert.ok(kills >= 2, `expected some runs to be killed, got ${kills}`);
    const final = await runIngest(logs, data, undefined, env);
    await snapshot('final run', final);
    const said = `\n${history.join('\n')}`;
    assert.equal(final.code, 0, said);
    // The killed runs' scratch folders are gone too.
    assert.deepEqual(readdirSync(`${data}/tmp`).filter((d) => d.startsWith('ingest-')), []);
    const store = await Store.open({ dataDir: data, readOnly: true });
    try {
      const r = await store.one(`SELECT count(*) AS n, count(DISTINCT eventId) AS d FROM event_store`);
      assert.equal(Number(r!.n), files * per, said);
      assert.equal(Number(r!.d), files * per, said);
      const m = await store.one(`SELECT count(*) AS n, sum(events) AS e FROM ingested_objects WHERE status = 'ok'`);
      assert.equal(Number(m!.n), files, said);
      assert.equal(Number(m!.e), files * per, said);
    } finally {
      await store.close();
    }
  } finally {
    rmDir(dir);
  }
}

test('kill -9 at any moment, then rerun: every event stored exactly once', async () => {
  // Small batches (4 files): kills land during start-up, mid-batch and mid-commit.
  await killAndResume(40, 800, [150, 600, 1100, 1700, 2400]);
});

test('kill -9 while a batch larger than a row group is written straight to the database file', async () => {
  // One batch of 96,000 events: DuckDB writes its row groups to the file before the commit.
  await killAndResume(24, 4000, [900, 1500, 2200], { AITRAIL_BATCH_FILES: '100' });
});

test('kill -9 while JSON Lines are staged and loaded, each batch staged while the one before loads', async () => {
  await killAndResume(40, 800, [150, 600, 1100, 1700, 2400], { AITRAIL_BATCH_FILES: '4' }, true);
});

test('records of hundreds of kB left in the WAL by a killed run: the next run under a small memory limit writes them out and goes on', async () => {
  const dir = tempDir();
  const data = `${dir}/data`;
  // About 200 kB each, as a Glue table or a SageMaker pipeline definition in requestParameters.
  const big = (f: number, i: number) => record({
    eventID: `big-${f}-${i}`, eventTime: new Date(Date.UTC(2026, 9, 1) + (f * 10 + i) * 1000).toISOString(),
    requestParameters: { tableInput: { columns: Array.from({ length: 2500 }, (_, j) => ({ name: `c${j}_${f}_${i}`, type: 'string', comment: `column ${j} of ${f}/${i}` })) } },
  });
  const written = new Map<string, Record<string, unknown>>();
  const write = (from: number, to: number) => {
    for (let f = from; f < to; f++) {
      const recs = Array.from({ length: 10 }, (_, i) => big(f, i));
      for (const r of recs) written.set(String(r.eventID), r);
      writeDelivery(`${dir}/logs`, `AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/f${String(f).padStart(3, '0')}.json`, recs, false);
    }
  };
  try {
    write(0, 40);
    // A run with room to spare commits batch after batch (held in memory and in the WAL, none of
    // it checkpointed) and is killed once 300 of the 400 events are in.
    const db = fileURLToPath(new URL('../src/store/db.js', import.meta.url));
    const ing = fileURLToPath(new URL('../src/ingest/index.js', import.meta.url));
    const killed = await new Promise<string | null>((resolve) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', `const { Store } = await import(${JSON.stringify(db)}); const { ingest } = await import(${JSON.stringify(ing)});
        const s = await Store.open({ dataDir: ${JSON.stringify(data)}, memoryLimit: '2GB' }); await ingest(s, [${JSON.stringify(`${dir}/logs`)}], { batchFiles: 5, onProgress: (p) => { if (p.eventsAdded >= 300) process.kill(process.pid, 'SIGKILL'); } });`], { stdio: 'ignore' });
      p.on('exit', (_code, signal) => resolve(signal));
    });
    assert.equal(killed, 'SIGKILL');
    const wal = statSync(`${data}/aitrail.duckdb.wal`).size;
    assert.ok(wal > 40e6, `the records are in the WAL (${wal} bytes)`);
    write(40, 50);
    // The WAL is replayed into memory at open; a checkpoint without room for it failed and left
    // the store unusable (every later run failed the same way).
    const r = await runIngest(`${dir}/logs`, data, undefined, { AITRAIL_MEMORY_LIMIT: '128MB' });
    assert.equal(r.code, 0);
    const store = await Store.open({ dataDir: data, readOnly: true });
    try {
      const c = await store.one(`SELECT count(*) AS n, count(DISTINCT eventId) AS d, min(strlen(recordLarge)) AS len FROM event_store`);
      assert.deepEqual([Number(c!.n), Number(c!.d)], [500, 500]);
      assert.ok(Number(c!.len) > 150_000, `records of ${String(c!.len)} characters`);
      // One from the killed run and one from the next come back as written.
      for (const id of ['big-2-3', 'big-45-3']) {
        const back = await store.one(`SELECT recordLarge AS r FROM event_store WHERE eventId = '${id}'`);
        assert.deepEqual(JSON.parse(String(back!.r)), written.get(id));
      }
    } finally {
      await store.close();
    }
  } finally {
    rmDir(dir);
  }
});
