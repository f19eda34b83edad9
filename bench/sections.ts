/**
 * The core benchmark sections of BENCHMARKS.md (machine, data, ingest, lookups, SQL aggregates)
 * and the target checks derived from them. Pure formatting: the measuring is in run.ts.
 */
import type { IngestChildResult } from './ingest-child.js';
import type { DuckdbPeerResult } from './duckdb-peer-child.js';
import type { S3ChildResult } from './s3-child.js';
import type { PhaseLoad } from './load.js';
import { bytes, int, mdTable, ms, num, ratio, verdict, type ReportSection, type TargetCheck } from './report.js';
import type { Timing } from './stats.js';

/** The machine and software the run was made on. */
export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  totalMemBytes: number;
  node: string;
  duckdb: string;
  platform: string;
  date: string;
  /** The commit the run was built from, and whether the working tree had changes. */
  code: string;
}

/** The generated data set. */
export interface GenerationResult {
  events: number;
  days: number;
  seed: number;
  endTime: string;
  files: number;
  compressedBytes: number;
  seconds: number;
  /** True when the files of an earlier run (same N, seed, generator) were reused. */
  reused: boolean;
  generatedAt: string;
}

/** The parse floor: gunzip + JSON.parse in worker threads, nothing stored. */
export interface FloorResult {
  workers: number;
  attempts: number[];
  seconds: number;
  files: number;
  records: number;
  compressedBytes: number;
  plainBytes: number;
  eventsPerSecond: number;
  /** Process CPU time ÷ (wall time × cores) for the best attempt. */
  cpuUtilization: number;
}

/** The ingest run, as measured by the child and the parent around it. */
export interface IngestResult extends IngestChildResult {
  /** open + ingest() + close, seconds. */
  totalSeconds: number;
  eventsPerSecond: number;
  pipelineEventsPerSecond: number;
  /** Peak RSS in bytes: the larger of the child's maxRSS and the parent's VmHWM samples. */
  peakRssBytes: number;
  sampledHwmBytes: number;
  dbBytes: number;
  walBytes: number;
  eventsInStore: number;
  cpuUtilization: number;
  /** DuckDB memory_limit the child opened the store with. */
  memoryLimit: string;
}

/** DuckDB's own JSON reader loading the same files into a 33-column table. */
export interface DuckdbPeer extends DuckdbPeerResult {
  eventsPerSecond: number;
  cpuUtilization: number;
}

/** One LookupEvents benchmark row. */
export interface LookupResult {
  key: string;
  value: string;
  /** Events in the window matching the attribute. */
  matches: number;
  returned: number;
  timing: Timing;
}

/** One SQL aggregate benchmark row. */
export interface AggregateResult {
  name: string;
  sql: string;
  resultRows: number;
  timing: Timing;
  /** One of the listed aggregates (which have a target), or shown for information. */
  listed: boolean;
}

/** Everything the core sections are built from. */
/** The JSON Lines ingest: aitrail's readers on the same records, next to DuckDB reading them alone. */
export interface JsonlResult {
  events: number;
  files: number;
  bytes: number;
  reused: boolean;
  records: number;
  eventsAdded: number;
  rejected: number;
  seconds: number;
  eventsPerSecond: number;
  cpuMs: number;
  peakRssBytes: number;
  peer: { seconds: number; eventsPerSecond: number; cpuMs: number; records: number };
}

export interface CoreResults {
  machine: MachineInfo;
  /** Ingest from S3 next to plain downloads of the same objects (bench/s3-child.ts). */
  s3: S3ChildResult;
  generation: GenerationResult;
  floor: FloorResult;
  ingest: IngestResult;
  duckdbPeer: DuckdbPeer;
  jsonl: JsonlResult;
  lookupWindow: { start: string; end: string; events: number };
  lookupFloor: Timing;
  lookups: LookupResult[];
  aggregateFloor: Timing & { events: number };
  aggregates: AggregateResult[];
  /** CPU use per phase: this benchmark's own versus everything else on the machine. */
  load: { phase: string; load: PhaseLoad }[];
}

/** Other processes using more than this many cores during a phase get a warning. */
const NOISY_CORES = 0.25;

/** Targets from the issue, for orientation. */
export const TARGETS = {
  ingestEventsPerSecond: 100_000,
  ingestFloorShare: 1 / 3,
  peakRssBytes: 1024 ** 3,
  lookupP95Ms: 50,
  aggregateMs: 250,
  storeShareOfRaw: 0.5,
};

const MB = 1e6;

/** Machine, software and run parameters. */
export function machineSection(r: CoreResults): ReportSection {
  const m = r.machine;
  return {
    id: 'machine',
    title: 'Machine',
    lines: [
      ...mdTable(
        ['', ''],
        [
          ['Date', m.date],
          ['CPU', `${m.cpuModel} × ${m.cpus} (os.cpus())`],
          ['Memory', bytes(m.totalMemBytes, true)],
          ['OS', m.platform],
          ['Node.js', m.node],
          ['DuckDB', m.duckdb],
          ['Code', m.code],
          ['Events (N)', `${int(r.generation.events)} over ${r.generation.days} days (seed ${r.generation.seed})`],
        ],
      ),
      '**CPU use per phase** (from /proc/stat): the machine is shared, so other processes running at the same time are shown; ' +
        'a phase where they took a noticeable share of the cores reads pessimistic.',
      '',
      ...mdTable(
        ['Phase', 'Wall time', 'This benchmark', 'Other processes', 'Load avg (1 min, at end)'],
        r.load.map(({ phase, load: l }) => [
          phase,
          `${num(l.seconds, 1)} s`,
          `${num(l.ownCores, 2)} cores`,
          l.otherCores === null ? 'n/a' : `${num(l.otherCores, 2)} cores${l.otherCores > NOISY_CORES ? ' ⚠' : ''}`,
          num(l.loadAvg1, 2),
        ]),
        ['l', 'r', 'r', 'r', 'r'],
      ),
      ...noisyNote(r),
    ],
  };
}

/** A warning line naming the phases where other processes competed for the CPU, if any. */
export function noisyNote(r: CoreResults): string[] {
  const noisy = r.load.filter(({ load: l }) => l.otherCores !== null && l.otherCores > NOISY_CORES);
  if (noisy.length === 0) return [];
  return [
    `⚠ Other processes used more than ${NOISY_CORES} of ${r.machine.cpus} cores during: ${noisy.map(({ phase, load: l }) => `${phase} (${num(l.otherCores ?? 0, 2)})`).join(', ')}. ` +
      'Figures from those phases include that contention.',
    '',
  ];
}

/** The generated data set and the parse floor. */
export function dataSection(r: CoreResults): ReportSection {
  const g = r.generation;
  const f = r.floor;
  return {
    id: 'data',
    title: 'Data set and parse floor',
    lines: [
      `Generated with \`generateDemo\` (seed ${g.seed}, ${g.days} days ending ${g.endTime}) into \`bench-data/logs\`` +
        (g.reused ? `; reused from a run at ${g.generatedAt} (same N, seed and generator source), generation time as measured then.` : '.'),
      '',
      ...mdTable(
        ['Figure', 'Value'],
        [
          ['Events', int(g.events)],
          ['Delivery files', `${int(g.files)} (${num(g.events / Math.max(1, g.files), 1)} events/file)`],
          ['Compressed (gzip) size', bytes(g.compressedBytes)],
          ['Raw JSON size (uncompressed)', `${bytes(f.plainBytes)} (${int(f.plainBytes / Math.max(1, f.records))} B/event)`],
          ['Generation time', `${num(g.seconds, 1)} s (${int(g.events / g.seconds)} events/s)`],
        ],
        ['l', 'r'],
      ),
      `**Parse floor**: ${f.workers} worker threads (one per core), each reading, gunzipping and \`JSON.parse\`-ing its share of the files and counting records; nothing is stored. ` +
        `Best of ${f.attempts.length} attempts (${f.attempts.map((s) => num(s, 2) + ' s').join(', ')}).`,
      '',
      ...mdTable(
        ['Figure', 'Value'],
        [
          ['Records parsed', int(f.records)],
          ['Wall time', `${num(f.seconds, 2)} s`],
          ['Events/s', int(f.eventsPerSecond)],
          ['MB/s compressed', num(f.compressedBytes / MB / f.seconds)],
          ['MB/s uncompressed', num(f.plainBytes / MB / f.seconds)],
          ['CPU utilization', `${Math.round(f.cpuUtilization * 100)} % of ${f.workers} cores`],
        ],
        ['l', 'r'],
      ),
    ],
  };
}

/** Ingest throughput, memory and store size, each next to its floor and target. */
export function ingestSection(r: CoreResults): ReportSection {
  const i = r.ingest;
  const f = r.floor;
  const storeBytes = i.dbBytes + i.walBytes;
  return {
    id: 'ingest',
    title: 'Ingest',
    lines: [
      `The real \`ingest()\` into a fresh store, in a child process (\`dist/bench/ingest-child.js\`) so its peak RSS is its own. ` +
        `Time is open + \`ingest()\` + close (the close checkpoints); the pipeline's own figure excludes open, file listing and close. ` +
        `DuckDB memory_limit ${i.memoryLimit} (what \`aitrail ingest\` uses), 2 DuckDB threads.`,
      '',
      ...mdTable(
        ['Figure', 'Measured', 'Floor / peer', 'Ratio', 'Target', 'Verdict'],
        [
          ['Events/s (open → close)', int(i.eventsPerSecond), `${int(f.eventsPerSecond)} (parse floor)`, ratio(i.eventsPerSecond, f.eventsPerSecond, 3), `≥ ${int(TARGETS.ingestEventsPerSecond)} and ≥ 1/3 of the floor`, verdict(i.eventsPerSecond >= TARGETS.ingestEventsPerSecond && i.eventsPerSecond / f.eventsPerSecond >= TARGETS.ingestFloorShare)],
          ['Events/s (open → close) vs DuckDB alone', int(i.eventsPerSecond), `${int(r.duckdbPeer.eventsPerSecond)} (DuckDB read_json peer)`, ratio(i.eventsPerSecond, r.duckdbPeer.eventsPerSecond), '', ''],
          ['Events/s (pipeline only)', int(i.pipelineEventsPerSecond), `${int(f.eventsPerSecond)} (parse floor)`, ratio(i.pipelineEventsPerSecond, f.eventsPerSecond), '', ''],
          ['MB/s compressed', num(i.bytesRead / MB / i.totalSeconds), num(f.compressedBytes / MB / f.seconds), ratio(i.bytesRead / i.totalSeconds, f.compressedBytes / f.seconds), '', ''],
          ['MB/s uncompressed', num(f.plainBytes / MB / i.totalSeconds), num(f.plainBytes / MB / f.seconds), ratio(1 / i.totalSeconds, 1 / f.seconds), '', ''],
          ['Wall time', `${num(i.totalSeconds, 1)} s (open ${num(i.openMs / 1000, 2)} s, ingest ${num(i.ingestMs / 1000, 1)} s, close ${num(i.closeMs / 1000, 2)} s)`, `${num(f.seconds, 2)} s`, '', '', ''],
          ['CPU utilization', `${Math.round(i.cpuUtilization * 100)} % of ${r.machine.cpus} cores`, `${Math.round(f.cpuUtilization * 100)} %`, '', '', ''],
          ['Peak RSS', bytes(i.peakRssBytes, true), '', '', '≤ 1 GiB', verdict(i.peakRssBytes <= TARGETS.peakRssBytes)],
          ['Store size (aitrail.duckdb + .wal)', `${bytes(storeBytes)} (db ${bytes(i.dbBytes)}, wal ${bytes(i.walBytes)})`, `${bytes(f.plainBytes)} raw JSON`, `${num((storeBytes / f.plainBytes) * 100, 1)} %`, '≤ 50 % of raw JSON', verdict(storeBytes / f.plainBytes <= TARGETS.storeShareOfRaw)],
          ['Events in store', int(i.eventsInStore), `${int(r.generation.events)} generated`, '', '', i.eventsInStore === r.generation.events ? 'all stored' : '**mismatch**'],
        ],
        ['l', 'r', 'r', 'r', 'l', 'l'],
      ),
      ...ingestBreakdown(i),
      ...peerLines(r),
      `Peak RSS is the larger of the child's \`process.resourceUsage().maxRSS\` (${bytes(i.maxRssKiB * 1024, true)}) and VmHWM sampled from /proc every 100 ms (${bytes(i.sampledHwmBytes, true)}). ` +
        `Records ${int(i.records)}, added ${int(i.eventsAdded)}, duplicates ${int(i.duplicates)}, rejected ${int(i.rejected)}, files ${int(i.filesRead)}.`,
      '',
      ...memoryStepLines(i),
      ...jsonlLines(r),
      ...s3Lines(r),
    ],
  };
}

/** Memory over the run: whether the peak grows with the share of the corpus ingested. */
function memoryStepLines(i: CoreResults['ingest']): string[] {
  const steps = i.memorySteps ?? [];
  if (steps.length < 2) return [];
  const half = steps.find((s) => s.share >= 0.5) ?? steps[0]!;
  const last = steps[steps.length - 1]!;
  return [
    `**Memory as the corpus grows**: the child's RSS when each tenth of the files had been ingested, and its peak so far. The peak after all ${int(last.events)} events is ${ratio(last.peakBytes, half.peakBytes)} the peak after ${int(half.events)}.`,
    '',
    ...mdTable(
      ['Files done', 'Events stored', 'RSS', 'Peak RSS so far'],
      steps.map((s) => [`${Math.round(s.share * 100)} %`, int(s.events), bytes(s.rssBytes, true), bytes(s.peakBytes, true)]),
      ['r', 'r', 'r', 'r'],
    ),
  ];
}

/** What the DuckDB peer is, and what it measured. */
function peerLines(r: CoreResults): string[] {
  const p = r.duckdbPeer;
  const i = r.ingest;
  const cpuPerEvent = (ms: number, n: number) => `${num((ms * 1000) / Math.max(1, n), 1)} µs`;
  return [
    `**DuckDB peer** (\`dist/bench/duckdb-peer-child.js\`, a child process): DuckDB's own \`read_json\` reading the same ${int(r.generation.files)} gzip files and storing each record as ${p.columns} typed columns ` +
      `(CloudTrail's top-level fields, \`userIdentity\`'s and the session issuer's, \`resources\` as a list, request and response as JSON), memory_limit ${p.memoryLimit}, 2 threads. ` +
      'It is the load one would write with DuckDB alone: no record text is kept (so nothing can be returned as it came in), nothing is validated, rejected or classified, ' +
      'nothing is deduplicated, and no manifest makes a rerun or a killed run safe. aitrail does all of that on top of such a load.',
    '',
    ...mdTable(
      ['Figure', 'aitrail ingest', 'DuckDB peer', 'Ratio'],
      [
        ['Events/s', int(i.eventsPerSecond), int(p.eventsPerSecond), ratio(i.eventsPerSecond, p.eventsPerSecond)],
        ['Wall time', `${num(i.totalSeconds, 1)} s`, `${num(p.seconds, 1)} s`, ratio(i.totalSeconds, p.seconds)],
        ['CPU time per event', cpuPerEvent(i.userCpuMs + i.systemCpuMs, i.records), cpuPerEvent(p.userCpuMs + p.systemCpuMs, p.records), ratio(i.userCpuMs + i.systemCpuMs, p.userCpuMs + p.systemCpuMs)],
        ['Peak RSS', bytes(i.peakRssBytes, true), bytes(p.maxRssKiB * 1024, true), ''],
        ['Stored size', bytes(i.dbBytes + i.walBytes), bytes(p.dbBytes), ''],
        ['Records', int(i.records), int(p.records), ''],
      ],
      ['l', 'r', 'r', 'r'],
    ),
  ];
}

/** The other containers' path, with its peer (no target of its own). */
function jsonlLines(r: CoreResults): string[] {
  const j = r.jsonl;
  const cpuPerEvent = (ms: number, n: number) => `${num((ms * 1000) / Math.max(1, n), 1)} µs`;
  return [
    `**JSON Lines** (no target of its own): the first ${int(j.events)} of these records written one per line into ${j.files} files (${bytes(j.bytes)}), ` +
      "the shape of an export or of Firehose's delivery, ingested the same way in a child process. They go through aitrail's own readers " +
      '(each line checked in Node: one written as CloudTrail writes a record is staged on disk as its bytes, any other parsed, checked and unwrapped) and then the same INSERT as delivery files, which parses the records. ' +
      'The peer is DuckDB reading the same files alone into the same 33 columns.',
    '',
    ...mdTable(
      ['Figure', 'aitrail ingest', 'DuckDB peer', 'Ratio'],
      [
        ['Events/s', int(j.eventsPerSecond), int(j.peer.eventsPerSecond), ratio(j.eventsPerSecond, j.peer.eventsPerSecond)],
        ['Wall time', `${num(j.seconds, 1)} s`, `${num(j.peer.seconds, 1)} s`, ratio(j.seconds, j.peer.seconds)],
        ['CPU time per event', cpuPerEvent(j.cpuMs, j.records), cpuPerEvent(j.peer.cpuMs, j.peer.records), ratio(j.cpuMs, j.peer.cpuMs)],
        ['Peak RSS', bytes(j.peakRssBytes, true), '', ''],
        ['Records (added, rejected)', `${int(j.records)} (${int(j.eventsAdded)}, ${int(j.rejected)})`, int(j.peer.records), ''],
      ],
      ['l', 'r', 'r', 'r'],
    ),
    '',
  ];
}

/** S3 ingest, next to downloading the same objects and nothing else (no target of its own). */
function s3Lines(r: CoreResults): string[] {
  const s = r.s3;
  return [
    `**S3** (no target of its own): ${int(s.files)} of these delivery files (${bytes(s.bytes)} gzipped, spread over the whole set) put into s3rver, an S3-protocol server running as its own process, ` +
      `behind a proxy that holds every request ${s.latencyMs} ms, about what a GET costs from outside the bucket's region. The floor lists the objects and downloads each with the AWS SDK, ` +
      `${s.concurrency} at once as ingest does, keeping nothing; aitrail's \`ingest s3://…\` lists, downloads and stores them in a fresh store (a child process runs both; the proxy's CPU counts in both).`,
    '',
    ...mdTable(
      ['Figure', 'aitrail ingest', 'Downloads alone', 'Ratio'],
      [
        ['Files/s', int(s.files / s.ingest.seconds), int(s.files / s.floor.seconds), ratio(s.floor.seconds, s.ingest.seconds)],
        ['Events/s', int(s.ingest.records / s.ingest.seconds), '', ''],
        ['Wall time', `${num(s.ingest.seconds, 2)} s`, `${num(s.floor.seconds, 2)} s`, ratio(s.ingest.seconds, s.floor.seconds)],
        ['CPU time per file', `${num(s.ingest.cpuMs / s.files, 2)} ms`, `${num(s.floor.cpuMs / s.files, 2)} ms`, ratio(s.ingest.cpuMs, s.floor.cpuMs)],
        ['Files read, events added', `${int(s.ingest.filesRead)}, ${int(s.ingest.eventsAdded)}`, '', ''],
      ],
      ['l', 'r', 'r', 'r'],
    ),
    '',
  ];
}

/** Where the ingest's wall time went: DuckDB statements by kind, and everything between them. */
function ingestBreakdown(i: IngestResult): string[] {
  if (!i.sql || i.sql.length === 0) return [];
  const wall = i.ingestMs + i.closeMs;
  const inSql = i.sql.reduce((a, k) => a + k.ms, 0);
  const top = i.sql.slice(0, 6);
  const rest = i.sql.slice(6);
  const rows = top.map((k) => [`\`${k.kind}\``, int(k.count), `${num(k.ms / 1000, 2)} s`, `${num((k.ms / wall) * 100, 1)} %`]);
  if (rest.length) {
    const ms = rest.reduce((a, k) => a + k.ms, 0);
    rows.push([`${rest.length} other statement kinds`, int(rest.reduce((a, k) => a + k.count, 0)), `${num(ms / 1000, 2)} s`, `${num((ms / wall) * 100, 1)} %`]);
  }
  rows.push(['**Outside DuckDB statements** (file listing, per-file fetch and probe, inflating and bundling in JavaScript, waits)', '', `${num((wall - inSql) / 1000, 2)} s`, `${num(((wall - inSql) / wall) * 100, 1)} %`]);
  return [
    `**Where the time goes** (ingest() + close, ${num(wall / 1000, 1)} s): wall time inside each kind of DuckDB statement, timed around the store's connection in the child.`,
    '',
    ...mdTable(['Statement', 'Count', 'Time', 'Share'], rows, ['l', 'r', 'r', 'r']),
  ];
}

/** LookupEvents latency per attribute key, next to the window's scan floor. */
export function lookupSection(r: CoreResults): ReportSection {
  const w = r.lookupWindow;
  const fl = r.lookupFloor;
  return {
    id: 'lookups',
    title: 'lookup-events latency',
    lines: [
      `\`lookupEvents()\` with one attribute, a 7-day window ending at the newest event (${w.start} → ${w.end}, ${int(w.events)} events), MaxResults 50; ` +
        `3 warm-ups, then ${fl.runs} timed runs each, in-process on a read-only store. ` +
        `Peer ("scan floor"): \`SELECT count(*) FROM event_store WHERE eventTime BETWEEN …\` over the same window: p50 ${ms(fl.p50)}, p95 ${ms(fl.p95)}.`,
      '',
      ...mdTable(
        ['AttributeKey', 'Value', 'Matches in window', 'Returned', 'p50', 'p95', 'p95 ÷ scan-floor p95', 'Target p95', 'Verdict'],
        r.lookups.map((l) => [
          l.key,
          '`' + (l.value.length > 60 ? l.value.slice(0, 57) + '…' : l.value) + '`',
          int(l.matches),
          int(l.returned),
          ms(l.timing.p50),
          ms(l.timing.p95),
          ratio(l.timing.p95, fl.p95, 1),
          `≤ ${TARGETS.lookupP95Ms} ms`,
          verdict(l.timing.p95 <= TARGETS.lookupP95Ms),
        ]),
        ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l', 'l'],
      ),
    ],
  };
}

/** SQL aggregates, next to the full-scan floor. */
export function aggregateSection(r: CoreResults): ReportSection {
  const fl = r.aggregateFloor;
  return {
    id: 'aggregates',
    title: 'SQL aggregates',
    lines: [
      `Through \`runSql()\` (the \`aitrail query\` path) on a read-only store; 3 warm-ups, then ${fl.runs} timed runs each. ` +
        `Peer ("full-scan floor"): \`SELECT count(*) FROM event_store WHERE eventTime BETWEEN <first> AND <last>\` over all ${int(fl.events)} events: p50 ${ms(fl.p50)}, p95 ${ms(fl.p95)}.`,
      '',
      ...mdTable(
        ['Query', 'Rows', 'p50', 'p95', 'p95 ÷ floor p95', 'Target', 'Verdict'],
        [
          ...r.aggregates.map((a) => [a.name, int(a.resultRows), ms(a.timing.p50), ms(a.timing.p95), ratio(a.timing.p95, fl.p95, 1), a.listed ? `≤ ${TARGETS.aggregateMs} ms (p95)` : '(not a listed query)', a.listed ? verdict(a.timing.p95 <= TARGETS.aggregateMs) : '']),
          ['count(*) full-scan floor', '1', ms(fl.p50), ms(fl.p95), '1.0×', '', ''],
        ],
        ['l', 'r', 'r', 'r', 'r', 'l', 'l'],
      ),
      '<details><summary>SQL</summary>',
      '',
      ...r.aggregates.flatMap((a) => [`${a.name}:`, '', '```sql', a.sql.trim(), '```', '']),
      '</details>',
      '',
    ],
  };
}

/** The targets checked against this run. */
export function coreTargetChecks(r: CoreResults): TargetCheck[] {
  const i = r.ingest;
  const storeShare = (i.dbBytes + i.walBytes) / r.floor.plainBytes;
  const worstLookup = [...r.lookups].sort((a, b) => b.timing.p95 - a.timing.p95)[0];
  const worstAgg = r.aggregates.filter((a) => a.listed).sort((a, b) => b.timing.p95 - a.timing.p95)[0];
  return [
    {
      area: 'Ingest throughput',
      target: `≥ ${int(TARGETS.ingestEventsPerSecond)} events/s`,
      measured: `${int(i.eventsPerSecond)} events/s (DuckDB's own read_json into 33 columns, same files: ${int(r.duckdbPeer.eventsPerSecond)}; ${ratio(i.eventsPerSecond, r.duckdbPeer.eventsPerSecond)})`,
      met: i.eventsPerSecond >= TARGETS.ingestEventsPerSecond,
    },
    { area: 'Ingest vs parse floor', target: '≥ 1/3 of the floor', measured: `${ratio(i.eventsPerSecond, r.floor.eventsPerSecond, 3)} (floor ${int(r.floor.eventsPerSecond)} events/s)`, met: i.eventsPerSecond / r.floor.eventsPerSecond >= TARGETS.ingestFloorShare },
    { area: 'Ingest peak RSS', target: '≤ 1 GiB', measured: bytes(i.peakRssBytes, true), met: i.peakRssBytes <= TARGETS.peakRssBytes },
    { area: 'Store size', target: '≤ 50 % of raw JSON', measured: `${num(storeShare * 100, 1)} %`, met: storeShare <= TARGETS.storeShareOfRaw },
    {
      area: 'lookup-events p95 (worst of 8 keys)',
      target: `≤ ${TARGETS.lookupP95Ms} ms`,
      measured: worstLookup ? `${ms(worstLookup.timing.p95)} (${worstLookup.key}); ${r.lookups.filter((l) => l.timing.p95 <= TARGETS.lookupP95Ms).length}/${r.lookups.length} keys met` : 'n/a',
      met: worstLookup ? worstLookup.timing.p95 <= TARGETS.lookupP95Ms : null,
    },
    {
      area: 'SQL aggregates p95 (worst)',
      target: `≤ ${TARGETS.aggregateMs} ms each`,
      measured: worstAgg ? `${ms(worstAgg.timing.p95)} (${worstAgg.name})` : 'n/a',
      met: worstAgg ? worstAgg.timing.p95 <= TARGETS.aggregateMs : null,
    },
  ];
}
