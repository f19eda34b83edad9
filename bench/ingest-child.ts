/**
 * Child process for the ingest benchmark: opens a fresh store, runs the real `ingest()` over a
 * folder, closes (checkpoints) the store, and prints one JSON line with its timings and peak RSS.
 * Usage: node dist/bench/ingest-child.js <logs-folder> <store-dir> [duckdb-memory-limit]
 */
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { Store } from '../src/store/db.js';
import { ingest } from '../src/ingest/index.js';
import { timeStatements, type SqlKindTime } from './sql-timer.js';

/** The JSON line the child prints on stdout when it is done. */
export interface IngestChildResult {
  records: number;
  eventsAdded: number;
  duplicates: number;
  rejected: number;
  filesRead: number;
  bytesRead: number;
  /** The pipeline's own figure (ingestObjects only). */
  summarySeconds: number;
  openMs: number;
  ingestMs: number;
  closeMs: number;
  /** Peak resident set size of this process, KiB (process.resourceUsage().maxRSS). */
  maxRssKiB: number;
  userCpuMs: number;
  systemCpuMs: number;
  /** Wall time inside DuckDB statements during ingest() and close, by statement kind. */
  sql: SqlKindTime[];
  /** Memory as the run went on: at each tenth of the files done, the RSS then and the peak so far (bytes). */
  memorySteps: { share: number; events: number; rssBytes: number; peakBytes: number }[];
}

/** This process's peak RSS so far (VmHWM), in bytes. */
function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

async function main(): Promise<void> {
  const [logs, storeDir, memoryLimit] = process.argv.slice(2);
  if (!logs || !storeDir) throw new Error('usage: ingest-child <logs-folder> <store-dir> [duckdb-memory-limit]');
  const t0 = performance.now();
  const store = await Store.open({ dataDir: storeDir, ...(memoryLimit ? { memoryLimit } : {}) });
  const sqlTimes = timeStatements(store);
  const t1 = performance.now();
  let nextReport = 0.1;
  const memorySteps: IngestChildResult['memorySteps'] = [];
  const summary = await ingest(store, [logs], {
    onProgress: (p) => {
      if (p.filesTotal > 0 && p.filesDone / p.filesTotal >= nextReport) {
        memorySteps.push({ share: Math.floor((p.filesDone / p.filesTotal) * 10) / 10, events: p.eventsAdded, rssBytes: process.memoryUsage.rss(), peakBytes: peakRss() });
        process.stderr.write(`  ingest: ${Math.round((p.filesDone / p.filesTotal) * 100)}% (${p.eventsAdded.toLocaleString('en-US')} events, ${((performance.now() - t1) / 1000).toFixed(1)} s)\n`);
        while (p.filesDone / p.filesTotal >= nextReport) nextReport += 0.1;
      }
    },
  });
  const t2 = performance.now();
  await store.close();
  const t3 = performance.now();
  const ru = process.resourceUsage();
  const out: IngestChildResult = {
    records: summary.records,
    eventsAdded: summary.eventsAdded,
    duplicates: summary.duplicates,
    rejected: summary.rejected,
    filesRead: summary.filesRead,
    bytesRead: summary.bytesRead,
    summarySeconds: summary.seconds,
    openMs: t1 - t0,
    ingestMs: t2 - t1,
    closeMs: t3 - t2,
    maxRssKiB: ru.maxRSS,
    userCpuMs: ru.userCPUTime / 1000,
    systemCpuMs: ru.systemCPUTime / 1000,
    sql: sqlTimes(),
    memorySteps,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`ingest-child failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
