/**
 * The aitrail benchmark, in one run: generate N CloudTrail events (default 1,000,000, env
 * BENCH_EVENTS), measure the gunzip+JSON.parse floor, ingest with the real pipeline in a child
 * process, then time lookup-events and SQL aggregates against scan-floor peers, and write
 * BENCHMARKS.md. Figures are reported, never asserted.
 * Run: npm run bench   (or BENCH_EVENTS=100000 npm run bench for a quick pass)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { generateDemo } from '../src/demo/generate.js';
import { ingestMemoryLimit } from '../src/cli/ingest-commands.js';
import { packageRoot, sqlString, Store } from '../src/store/db.js';
import { lookupEvents, runSql } from '../src/store/events.js';
import { buildLookupQuery, sqlTime, type LookupAttributeKey, type LookupRequest } from '../src/query/lookup.js';
import type { FloorWorkerResult } from './floor-worker.js';
import type { IngestChildResult } from './ingest-child.js';
import type { DuckdbPeerResult } from './duckdb-peer-child.js';
import type { S3ChildResult } from './s3-child.js';
import { bytes, int, ms, num, ratio, reportPath, targetsSection, textTable, verdict, writeReport, type SectionBuilder } from './report.js';
import {
  aggregateSection,
  coreTargetChecks,
  dataSection,
  ingestSection,
  lookupSection,
  machineSection,
  noisyNote,
  type AggregateResult,
  type CoreResults,
  type DuckdbPeer,
  type FloorResult,
  type GenerationResult,
  type IngestResult,
  type JsonlResult,
  type LookupResult,
  type MachineInfo,
} from './sections.js';
import { markCpu, phaseLoad, type PhaseLoad } from './load.js';
import { collectGarbage, measure } from './stats.js';
import { moreSections, type MoreResults } from './more.js';
import { prepareJsonl } from './jsonl.js';

const DAYS = 30;
const SEED = 20240601;
/** Fixed so that the data set (and every figure derived from it) is the same from run to run. */
const END_TIME = '2026-06-01T00:00:00.000Z';
const FLOOR_ATTEMPTS = 3;
const LOOKUP_RUNS = 40;
const AGGREGATE_RUNS = 20;
const WARMUPS = 3;
const DAY_MS = 86_400_000;
/** The DuckDB memory limit `aitrail ingest` runs under (src/cli/ingest-commands.ts), mirrored so the child measures the same setup. */
const INGEST_MEMORY_LIMIT = ingestMemoryLimit(); // what `aitrail ingest` uses

const root = packageRoot();
const benchData = join(root, 'bench-data');
const logsDir = join(benchData, 'logs');
const markerPath = join(benchData, 'logs.marker.json');
const storeDir = join(benchData, 'store');
const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * Runs a bench script in a child process and parses the JSON line it prints last; `onStart`
 * sees the child (to sample its memory). Progress goes to this process's stderr.
 */
async function runChild<T>(script: string, args: string[], what: string, onStart?: (child: ChildProcess) => () => void): Promise<T> {
  const child = spawn(process.execPath, [join(here, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = onStart?.(child);
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  stop?.();
  if (code !== 0) throw new Error(`${what} exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop() ?? '') as T;
}

function log(msg: string): void {
  process.stdout.write(msg + '\n');
}

function eventsWanted(): number {
  const raw = process.env.BENCH_EVENTS;
  if (raw === undefined || raw === '') return 1_000_000;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < 1000) throw new Error(`BENCH_EVENTS must be an integer ≥ 1000, not '${raw}'`);
  return n;
}

/** A hash of the generator's source, so data made by an older generator is not reused. */
function generatorHash(): string {
  const dir = join(root, 'src', 'demo');
  const h = createHash('sha256');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort()) {
    h.update(f).update(readFileSync(join(dir, f)));
  }
  return h.digest('hex').slice(0, 16);
}

interface Marker {
  events: number;
  days: number;
  seed: number;
  endTime: string;
  generator: string;
  files: number;
  compressedBytes: number;
  seconds: number;
  generatedAt: string;
}

async function generate(n: number): Promise<GenerationResult> {
  const generator = generatorHash();
  if (existsSync(markerPath) && existsSync(logsDir)) {
    const m = JSON.parse(readFileSync(markerPath, 'utf8')) as Marker;
    if (m.events === n && m.days === DAYS && m.seed === SEED && m.endTime === END_TIME && m.generator === generator) {
      log(`generate: reusing ${int(m.files)} files from ${m.generatedAt}`);
      return { events: m.events, days: m.days, seed: m.seed, endTime: m.endTime, files: m.files, compressedBytes: m.compressedBytes, seconds: m.seconds, reused: true, generatedAt: m.generatedAt };
    }
  }
  rmSync(markerPath, { force: true });
  rmSync(logsDir, { recursive: true, force: true });
  mkdirSync(logsDir, { recursive: true });
  log(`generate: ${int(n)} events over ${DAYS} days …`);
  const t0 = performance.now();
  const res = await generateDemo({ outDir: logsDir, events: n, days: DAYS, seed: SEED, endTime: new Date(END_TIME) });
  const seconds = (performance.now() - t0) / 1000;
  const marker: Marker = { events: res.events, days: DAYS, seed: SEED, endTime: END_TIME, generator, files: res.files, compressedBytes: res.bytes, seconds, generatedAt: new Date().toISOString() };
  writeFileSync(markerPath, JSON.stringify(marker, null, 2) + '\n');
  log(`generate: ${int(res.files)} files, ${bytes(res.bytes)} in ${num(seconds, 1)} s`);
  return { ...marker, reused: false };
}

function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.json.gz'))
    .map((f) => join(dir, f))
    .sort();
}

async function floorOnce(files: string[], workers: number): Promise<{ seconds: number; cpuMs: number; total: FloorWorkerResult }> {
  // Deal files out largest-first to the least-loaded worker so the shares finish together.
  const sized = files.map((f) => ({ f, size: statSync(f).size })).sort((a, b) => b.size - a.size);
  const shares: { files: string[]; bytes: number }[] = Array.from({ length: workers }, () => ({ files: [], bytes: 0 }));
  for (const s of sized) {
    const w = shares.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    w.files.push(s.f);
    w.bytes += s.size;
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const results = await Promise.all(
    shares.map(
      (s) =>
        new Promise<FloorWorkerResult>((resolve, reject) => {
          const w = new Worker(join(here, 'floor-worker.js'), { workerData: { files: s.files } });
          w.once('message', (m: FloorWorkerResult) => resolve(m));
          w.once('error', reject);
          w.once('exit', (code) => code !== 0 && reject(new Error(`floor worker exited with ${code}`)));
        }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const total = results.reduce((a, b) => ({ files: a.files + b.files, records: a.records + b.records, compressedBytes: a.compressedBytes + b.compressedBytes, plainBytes: a.plainBytes + b.plainBytes }));
  return { seconds, cpuMs: (cpu.user + cpu.system) / 1000, total };
}

async function floor(): Promise<FloorResult> {
  const files = listFiles(logsDir);
  const workers = os.cpus().length;
  const attempts: number[] = [];
  let best: Awaited<ReturnType<typeof floorOnce>> | undefined;
  for (let i = 0; i < FLOOR_ATTEMPTS; i++) {
    collectGarbage();
    const r = await floorOnce(files, workers);
    attempts.push(r.seconds);
    log(`floor: attempt ${i + 1}: ${int(r.total.records)} records in ${num(r.seconds, 2)} s (${int(r.total.records / r.seconds)} events/s)`);
    if (!best || r.seconds < best.seconds) best = r;
  }
  const b = best!;
  return {
    workers,
    attempts,
    seconds: b.seconds,
    files: b.total.files,
    records: b.total.records,
    compressedBytes: b.total.compressedBytes,
    plainBytes: b.total.plainBytes,
    eventsPerSecond: b.total.records / b.seconds,
    cpuUtilization: b.cpuMs / 1000 / b.seconds / workers,
  };
}

function readHwm(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function fileSize(p: string): number {
  return existsSync(p) ? statSync(p).size : 0;
}

async function runIngest(): Promise<Omit<IngestResult, 'eventsInStore'>> {
  rmSync(storeDir, { recursive: true, force: true });
  log('ingest: child process …');
  let hwm = 0;
  const r = await runChild<IngestChildResult>('ingest-child.js', [logsDir, storeDir, INGEST_MEMORY_LIMIT], 'ingest child', (child) => {
    const sampler = setInterval(() => {
      if (child.pid) hwm = Math.max(hwm, readHwm(child.pid));
    }, 100);
    return () => clearInterval(sampler);
  });
  const totalSeconds = (r.openMs + r.ingestMs + r.closeMs) / 1000;
  return {
    ...r,
    totalSeconds,
    eventsPerSecond: r.records / totalSeconds,
    pipelineEventsPerSecond: r.records / r.summarySeconds,
    peakRssBytes: Math.max(r.maxRssKiB * 1024, hwm),
    sampledHwmBytes: hwm,
    dbBytes: fileSize(join(storeDir, 'aitrail.duckdb')),
    walBytes: fileSize(join(storeDir, 'aitrail.duckdb.wal')),
    cpuUtilization: (r.userCpuMs + r.systemCpuMs) / 1000 / totalSeconds / os.cpus().length,
    memoryLimit: INGEST_MEMORY_LIMIT,
  };
}

/** DuckDB's own JSON reader loading the same files into a typed table (see duckdb-peer-child.ts). */
async function runDuckdbPeer(): Promise<DuckdbPeer> {
  log('duckdb peer: read_json into a 33-column table, child process …');
  const r = await runChild<DuckdbPeerResult>('duckdb-peer-child.js', [logsDir, join(benchData, 'peer')], 'DuckDB peer child');
  return { ...r, eventsPerSecond: r.records / r.seconds, cpuUtilization: (r.userCpuMs + r.systemCpuMs) / 1000 / r.seconds / os.cpus().length };
}

/**
 * The other containers' path: the same records as JSON Lines files, through the same `ingest()`
 * (aitrail's own readers, then the same INSERT), next to DuckDB reading those files alone.
 */
async function runJsonl(n: number, generation: GenerationResult): Promise<JsonlResult> {
  const dir = join(benchData, 'jsonl');
  const set = prepareJsonl(logsDir, dir, Math.min(200_000, n), `${generation.generatedAt}/${generation.events}`);
  log(`json lines: ${int(set.events)} records in ${set.files} files${set.reused ? ' (reused)' : ''}; ingest child …`);
  const store = join(benchData, 'jsonl-store');
  rmSync(store, { recursive: true, force: true });
  const r = await runChild<IngestChildResult>('ingest-child.js', [dir, store, INGEST_MEMORY_LIMIT], 'JSON Lines ingest child');
  rmSync(store, { recursive: true, force: true });
  log('json lines: DuckDB read_json peer …');
  const p = await runChild<DuckdbPeerResult>('duckdb-peer-child.js', [dir, join(benchData, 'peer'), 'jsonl'], 'DuckDB JSON Lines peer child');
  const seconds = (r.openMs + r.ingestMs + r.closeMs) / 1000;
  return {
    ...set,
    records: r.records,
    eventsAdded: r.eventsAdded,
    rejected: r.rejected,
    seconds,
    eventsPerSecond: r.records / seconds,
    cpuMs: r.userCpuMs + r.systemCpuMs,
    peakRssBytes: r.maxRssKiB * 1024,
    peer: { seconds: p.seconds, eventsPerSecond: p.records / p.seconds, cpuMs: p.userCpuMs + p.systemCpuMs, records: p.records },
  };
}

/** S3 objects the S3 phase ingests, and the latency its proxy adds to every request. */
const S3_FILES = 3000;
const S3_LATENCY_MS = 50;

/** Ingest from an S3-protocol server behind a latency proxy, next to plain downloads of the same objects. */
async function runS3(): Promise<S3ChildResult> {
  log(`s3: ${int(S3_FILES)} delivery files through a real S3-protocol server, ${S3_LATENCY_MS} ms added to each request; child process …`);
  return runChild<S3ChildResult>('s3-child.js', [logsDir, join(benchData, 's3-store'), String(S3_FILES), String(S3_LATENCY_MS)], 'S3 child');
}

/** The commit the benchmark runs from, noting uncommitted changes under src/. */
function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length;
    return dirty ? `${head} + uncommitted changes in ${dirty} path(s) under src/` : head;
  } catch {
    return 'unknown (no git)';
  }
}

function asDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v).replace(' ', 'T') + 'Z');
}

/** Picks one value from a query's first row, failing loudly if the store has none. */
async function pick(store: Store, sql: string, params: (string | number | boolean)[]): Promise<string> {
  const row = await store.one(sql, params);
  if (!row || row.v === null || row.v === undefined) throw new Error(`no value for: ${sql}`);
  return String(row.v);
}

async function lookups(store: Store, start: Date, end: Date): Promise<{ floor: LookupResult['timing']; rows: LookupResult[]; events: number }> {
  const w = [sqlTime(start), sqlTime(end)];
  const inWindow = 'eventTime BETWEEN CAST(? AS TIMESTAMP) AND CAST(? AS TIMESTAMP)';
  const valuesOf = (expr: string) => `SELECT ${expr} AS v FROM event_store WHERE ${inWindow}`;
  const most = (expr: string) => `SELECT v, count(*) AS n FROM (${valuesOf(expr)}) WHERE v IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT 1`;
  const randomOf = (expr: string) => `SELECT DISTINCT v FROM (${valuesOf(expr)}) WHERE v IS NOT NULL ORDER BY hash(v || '${SEED}') LIMIT 1`;
  // Common values for the "broad" keys, a seeded random pick for the "needle" keys.
  const values: [LookupAttributeKey, string][] = [
    ['EventId', await pick(store, randomOf('eventId'), w)],
    ['EventName', await pick(store, most('eventName'), w)],
    ['ReadOnly', 'false'],
    ['Username', await pick(store, most('username'), w)],
    ['ResourceType', await pick(store, most('unnest(resourceTypes)'), w)],
    ['ResourceName', await pick(store, randomOf('unnest(resourceArns)'), w)],
    ['EventSource', await pick(store, most('eventSource'), w)],
    ['AccessKeyId', await pick(store, randomOf('userIdentityAccessKeyId'), w)],
  ];
  const floorSql = `SELECT count(*) AS n FROM event_store WHERE ${inWindow}`;
  const events = Number((await store.one(floorSql, w))?.n ?? 0);
  log(`lookups: window ${w[0]} → ${w[1]} (${int(events)} events); scan floor …`);
  const floorTiming = await measure(() => store.all(floorSql, w), LOOKUP_RUNS, WARMUPS);
  const rows: LookupResult[] = [];
  for (const [key, value] of values) {
    const req: LookupRequest = { LookupAttributes: [{ AttributeKey: key, AttributeValue: value }], StartTime: start, EndTime: end, MaxResults: 50 };
    const count = buildLookupQuery({ ...req, MaxResults: 1_000_000_000 });
    const matches = Number((await store.one(`SELECT count(*) AS n FROM (${count.sql})`, count.params))?.n ?? 0);
    const returned = (await lookupEvents(store, req)).Events.length;
    const timing = await measure(() => lookupEvents(store, req), LOOKUP_RUNS, WARMUPS);
    log(`lookups: ${key.padEnd(12)} p50 ${ms(timing.p50).padStart(9)}  p95 ${ms(timing.p95).padStart(9)}  (${int(matches)} matches, ${returned} returned)`);
    rows.push({ key, value, matches, returned, timing });
  }
  return { floor: floorTiming, rows, events };
}

async function aggregates(store: Store, first: Date, last: Date): Promise<{ floor: CoreResults['aggregateFloor']; rows: AggregateResult[] }> {
  const lit = (d: Date) => `TIMESTAMP ${sqlString(sqlTime(d))}`;
  const dayStart = new Date(last.getTime() - DAY_MS);
  const monthStart = new Date(last.getTime() - 30 * DAY_MS);
  const principal = await pick(store, 'SELECT userIdentityArn AS v, count(*) AS n FROM event_store WHERE userIdentityArn IS NOT NULL GROUP BY 1 ORDER BY n DESC, v LIMIT 1', []);
  const iso = (d: Date) => sqlString(d.toISOString().replace('.000Z', 'Z'));
  const queries: { name: string; sql: string; listed?: false }[] = [
    {
      name: 'count by eventName, one day',
      sql: `SELECT eventName, count(*) AS events FROM event_store
  WHERE eventTime BETWEEN ${lit(dayStart)} AND ${lit(last)}
  GROUP BY eventName ORDER BY events DESC`,
    },
    {
      name: "one principal's events, 30 days",
      sql: `SELECT eventName, count(*) AS events FROM event_store
  WHERE userIdentityArn = ${sqlString(principal)} AND eventTime BETWEEN ${lit(monthStart)} AND ${lit(last)}
  GROUP BY eventName ORDER BY events DESC`,
    },
    {
      name: 'errors by eventSource, all data',
      sql: `SELECT eventSource, count(*) AS errors FROM event_store
  WHERE errorCode IS NOT NULL
  GROUP BY eventSource ORDER BY errors DESC`,
    },
    {
      // Not one of the issue's queries: an Athena query as written for Athena, on the view.
      name: 'Athena query on cloudtrail_logs: errors by principal, one day',
      sql: `SELECT useridentity.arn, eventsource, count(*) AS errors FROM cloudtrail_logs
  WHERE errorcode IS NOT NULL AND from_iso8601_timestamp(eventtime) >= from_iso8601_timestamp(${iso(dayStart)})
  GROUP BY 1, 2 ORDER BY errors DESC LIMIT 20`,
      listed: false,
    },
  ];
  const floorSql = `SELECT count(*) AS n FROM event_store WHERE eventTime BETWEEN ${lit(first)} AND ${lit(last)}`;
  const events = Number((await runSql(store, floorSql)).rows[0]?.[0] ?? 0);
  log(`aggregates: full-scan floor over ${int(events)} events …`);
  const floorTiming = await measure(() => runSql(store, floorSql), AGGREGATE_RUNS, WARMUPS);
  const rows: AggregateResult[] = [];
  for (const q of queries) {
    const resultRows = (await runSql(store, q.sql)).rows.length;
    const timing = await measure(() => runSql(store, q.sql), AGGREGATE_RUNS, WARMUPS);
    log(`aggregates: ${q.name.padEnd(34)} p50 ${ms(timing.p50).padStart(9)}  p95 ${ms(timing.p95).padStart(9)}  (${resultRows} rows)`);
    rows.push({ name: q.name, sql: q.sql, resultRows, timing, listed: q.listed ?? true });
  }
  return { floor: { ...floorTiming, events }, rows };
}

function printSummary(r: CoreResults): void {
  const i = r.ingest;
  const f = r.floor;
  const storeBytes = i.dbBytes + i.walBytes;
  const rows: string[][] = [
    ['Parse floor (gunzip+JSON.parse)', `${int(f.eventsPerSecond)} ev/s`, `${f.workers} workers`, '', '', ''],
    ['Ingest events/s (open→close)', `${int(i.eventsPerSecond)} ev/s`, `${int(f.eventsPerSecond)} ev/s floor`, ratio(i.eventsPerSecond, f.eventsPerSecond), '≥ 100,000 & ≥ 0.33×', verdict(i.eventsPerSecond >= 100_000 && i.eventsPerSecond / f.eventsPerSecond >= 1 / 3)],
    ['DuckDB read_json peer (33 columns)', `${int(r.duckdbPeer.eventsPerSecond)} ev/s`, 'ingest ÷ peer', ratio(i.eventsPerSecond, r.duckdbPeer.eventsPerSecond), '', ''],
    ['Ingest, JSON Lines (informational)', `${int(r.jsonl.eventsPerSecond)} ev/s`, `${int(r.jsonl.peer.eventsPerSecond)} ev/s DuckDB alone`, ratio(r.jsonl.eventsPerSecond, r.jsonl.peer.eventsPerSecond), '', ''],
    [`Ingest from S3 (${r.s3.latencyMs} ms per request)`, `${int(r.s3.files / r.s3.ingest.seconds)} files/s`, `${int(r.s3.files / r.s3.floor.seconds)} files/s downloads alone`, ratio(r.s3.floor.seconds, r.s3.ingest.seconds), '', ''],
    ['Ingest MB/s (compressed / raw)', `${num(i.bytesRead / 1e6 / i.totalSeconds)} / ${num(f.plainBytes / 1e6 / i.totalSeconds)}`, `${num(f.compressedBytes / 1e6 / f.seconds)} / ${num(f.plainBytes / 1e6 / f.seconds)}`, '', '', ''],
    ['Ingest peak RSS', bytes(i.peakRssBytes, true), '', '', '≤ 1 GiB', verdict(i.peakRssBytes <= 1024 ** 3)],
    ['Store size', bytes(storeBytes), `${bytes(f.plainBytes)} raw`, `${num((storeBytes / f.plainBytes) * 100)} %`, '≤ 50 %', verdict(storeBytes / f.plainBytes <= 0.5)],
    ['Lookup scan floor (7 d count)', `p95 ${ms(r.lookupFloor.p95)}`, '', '', '', ''],
    ...r.lookups.map((l) => [`lookup ${l.key}`, `p50 ${ms(l.timing.p50)} p95 ${ms(l.timing.p95)}`, `floor p95 ${ms(r.lookupFloor.p95)}`, ratio(l.timing.p95, r.lookupFloor.p95, 1), '≤ 50 ms', verdict(l.timing.p95 <= 50)]),
    ['SQL full-scan floor', `p95 ${ms(r.aggregateFloor.p95)}`, '', '', '', ''],
    ...r.aggregates.map((a) => [`sql ${a.name}`, `p50 ${ms(a.timing.p50)} p95 ${ms(a.timing.p95)}`, `floor p95 ${ms(r.aggregateFloor.p95)}`, ratio(a.timing.p95, r.aggregateFloor.p95, 1), a.listed ? '≤ 250 ms' : '', a.listed ? verdict(a.timing.p95 <= 250) : '']),
  ];
  log('');
  log(textTable(['Figure', 'Measured', 'Floor / peer', 'Ratio', 'Target', 'Verdict'], rows));
  const wall = i.ingestMs + i.closeMs;
  const inSql = i.sql.reduce((a, k) => a + k.ms, 0);
  log(`Ingest time: ${num((inSql / wall) * 100, 0)} % inside DuckDB statements (${i.sql.slice(0, 3).map((k) => `${k.kind} ${num(k.ms / 1000, 1)} s`).join(', ')}), ${num(((wall - inSql) / wall) * 100, 0)} % outside them.`);
  log('');
  log(textTable(['Phase', 'Wall', 'This bench (cores)', 'Others (cores)', 'Load avg'], r.load.map(({ phase, load: l }) => [phase, `${num(l.seconds, 1)} s`, num(l.ownCores, 2), l.otherCores === null ? 'n/a' : num(l.otherCores, 2), num(l.loadAvg1, 2)])));
  for (const line of noisyNote(r)) if (line) log(line);
  log('');
}

async function main(): Promise<void> {
  const n = eventsWanted();
  const code = codeVersion();
  mkdirSync(benchData, { recursive: true });
  const cpus = os.cpus();
  log(`aitrail bench: N=${int(n)} on ${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, ${bytes(os.totalmem(), true)} RAM, Node ${process.version}`);

  const load: { phase: string; load: PhaseLoad }[] = [];
  let mark = markCpu();
  const generation = await generate(n);
  if (!generation.reused) load.push({ phase: 'generate', load: phaseLoad(mark) });
  collectGarbage();
  mark = markCpu();
  const floorResult = await floor();
  load.push({ phase: `parse floor (${FLOOR_ATTEMPTS} attempts)`, load: phaseLoad(mark) });
  collectGarbage();
  mark = markCpu();
  const ingestPart = await runIngest();
  load.push({ phase: 'ingest (child process)', load: phaseLoad(mark, ingestPart.userCpuMs + ingestPart.systemCpuMs) });
  log(`ingest: ${int(ingestPart.records)} records in ${num(ingestPart.totalSeconds, 1)} s → ${int(ingestPart.eventsPerSecond)} events/s, peak RSS ${bytes(ingestPart.peakRssBytes, true)}`);
  collectGarbage();
  mark = markCpu();
  const duckdbPeer = await runDuckdbPeer();
  load.push({ phase: 'DuckDB read_json peer (child process)', load: phaseLoad(mark, duckdbPeer.userCpuMs + duckdbPeer.systemCpuMs) });
  log(`duckdb peer: ${int(duckdbPeer.records)} records in ${num(duckdbPeer.seconds, 1)} s → ${int(duckdbPeer.eventsPerSecond)} events/s`);
  collectGarbage();
  mark = markCpu();
  const jsonl = await runJsonl(n, generation);
  load.push({ phase: 'JSON Lines ingest and peer (child processes)', load: phaseLoad(mark, jsonl.cpuMs + jsonl.peer.cpuMs) });
  log(`json lines: ${int(jsonl.records)} records in ${num(jsonl.seconds, 1)} s → ${int(jsonl.eventsPerSecond)} events/s (DuckDB alone ${int(jsonl.peer.eventsPerSecond)})`);
  collectGarbage();
  mark = markCpu();
  const s3 = await runS3();
  load.push({ phase: 'S3 ingest and download floor (child process)', load: phaseLoad(mark, s3.floor.cpuMs + s3.ingest.cpuMs) });
  log(`s3: ${int(s3.files)} files in ${num(s3.ingest.seconds, 1)} s → ${int(s3.files / s3.ingest.seconds)} files/s, ${int(s3.ingest.records / s3.ingest.seconds)} events/s (downloads alone ${int(s3.files / s3.floor.seconds)} files/s)`);

  const store = await Store.open({ dataDir: storeDir, readOnly: true });
  let results: CoreResults;
  try {
    const duckdb = String((await store.one('SELECT version() AS v'))?.v ?? 'unknown');
    const span = await store.one('SELECT count(*) AS n, min(eventTime) AS lo, max(eventTime) AS hi FROM event_store');
    const first = asDate(span?.lo);
    const last = asDate(span?.hi);
    const start = new Date(last.getTime() - 7 * DAY_MS);
    mark = markCpu();
    const lk = await lookups(store, start, last);
    load.push({ phase: 'lookup-events', load: phaseLoad(mark) });
    mark = markCpu();
    const ag = await aggregates(store, first, last);
    load.push({ phase: 'SQL aggregates', load: phaseLoad(mark) });
    const machine: MachineInfo = {
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      cpus: cpus.length,
      totalMemBytes: os.totalmem(),
      node: process.version,
      duckdb,
      platform: `${os.type()} ${os.release()} (${os.arch()})`,
      date: new Date().toISOString(),
      code,
    };
    results = {
      machine,
      generation,
      floor: floorResult,
      ingest: { ...ingestPart, eventsInStore: Number(span?.n ?? 0) },
      duckdbPeer,
      jsonl,
      s3,
      lookupWindow: { start: start.toISOString(), end: last.toISOString(), events: lk.events },
      lookupFloor: lk.floor,
      lookups: lk.rows,
      aggregateFloor: ag.floor,
      aggregates: ag.rows,
      load,
    };
  } finally {
    await store.close();
  }

  printSummary(results);
  // Detections, the server under load, and trails, on the same store.
  mark = markCpu();
  // In a process of their own (see more-child.ts): the load generator starts with a fresh heap.
  const more = moreSections(await runChild<MoreResults>('more-child.js', [storeDir], 'the detection, server and trail stages'));
  results.load.push({ phase: 'detections, server, trails', load: phaseLoad(mark) });
  const builders: SectionBuilder[] = [
    () => targetsSection([...coreTargetChecks(results), ...more.checks]),
    () => machineSection(results),
    () => dataSection(results),
    () => ingestSection(results),
    () => lookupSection(results),
    () => aggregateSection(results),
    ...more.sections.map((m) => () => m),
  ];
  const sections = [];
  for (const b of builders) sections.push(await b());
  const path = writeReport(sections, {
    preamble: [
      `Produced by \`npm run bench\` (\`bench/run.ts\`) on ${results.machine.date.slice(0, 10)} with N = ${int(n)} events. ` +
        'Each figure sits next to a floor or peer measured in the same run on the same machine, and the ratio between them; ' +
        'the targets are the ones from the performance issue, shown for orientation and reported as met or not met, never asserted.',
    ],
  });
  log(`wrote ${path === reportPath() ? 'BENCHMARKS.md' : path}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
