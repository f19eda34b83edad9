/**
 * Write commands: ingest, demo, ai-config.
 */
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { Store } from '../store/db.js';
import { reclassify } from '../store/load.js';
import { ingest, type IngestSummary, type IngestProgress } from '../ingest/index.js';
import { parseTime } from '../query/lookup.js';
import { AitrailError } from '../model/errors.js';
import { defaultAiConfig, type AiClassificationConfig } from '../model/ai-activity.js';
import { generateDemo } from '../demo/generate.js';
import { note, pickFormat, printJson } from './output.js';
import { pumpTrails } from './trail-commands.js';
import type { Command } from './main.js';

const STORE = { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

/**
 * The DuckDB memory limit of bulk loads: tighter than other commands' so the whole process stays
 * within about 1 GiB, and 192 MB per DuckDB thread (384 MB with the default 2). Each thread of a
 * load holds its own buffers: DuckDB's JSON reader alone takes about 40 MB per thread whatever
 * the files' size, and what is left holds the row groups being written. Under 128 MB per thread
 * those were written out to temporary files and read back (about 6 % of a 1M-event ingest's CPU);
 * with 3 threads under 256 MB, a 1M-event ingest took 53 s instead of 16 s. AITRAIL_MEMORY_LIMIT
 * sets it outright.
 */
export function ingestMemoryLimit(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AITRAIL_MEMORY_LIMIT) return env.AITRAIL_MEMORY_LIMIT;
  const threads = Math.max(1, Math.floor(Number(env.AITRAIL_THREADS) || 2));
  return `${192 * Math.max(2, threads)}MB`;
}
const INGEST_MEMORY = ingestMemoryLimit();

/** Opens the store for writing, runs `fn`, and closes it. */
export async function withWriteStore<T>(values: Record<string, unknown>, fn: (s: Store) => Promise<T>, memoryLimit?: string): Promise<T> {
  const store = await Store.open({ dataDir: values['data-dir'] as string | undefined, ...(memoryLimit ? { memoryLimit } : {}) });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function progressPrinter(): ((p: IngestProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  const started = Date.now();
  return (p) => {
    const s = (Date.now() - started) / 1000;
    process.stderr.write(
      `\r\x1b[K${p.filesDone}/${p.filesTotal} files, ${p.eventsAdded.toLocaleString('en-US')} events added, ${(p.bytesRead / 1e6).toFixed(1)} MB, ${Math.round(p.eventsAdded / Math.max(s, 0.001)).toLocaleString('en-US')} events/s   `,
    );
  };
}

/** Prints an ingest summary as text (stderr for problems) or JSON. */
export function printIngestSummary(sum: IngestSummary, json: boolean): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  if (json) {
    printJson(sum);
    return;
  }
  const skipped = Object.entries(sum.filesSkipped).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
  const lines = [
    `files: ${sum.filesSeen} seen, ${sum.filesRead} read, ${sum.filesUnchanged} unchanged since last run, ${sum.filesRejected} damaged or unreadable${skipped ? `, skipped: ${skipped}` : ''}`,
    `events: ${sum.eventsAdded} added, ${sum.duplicates} duplicates, ${sum.conflicts} eventID conflicts kept, ${sum.rejected - sum.fileProblems} rejected (of ${sum.records - sum.fileProblems} records)${sum.fileProblems ? `; ${sum.fileProblems} problem(s) of whole files` : ''}`,
    `speed: ${sum.seconds.toFixed(2)} s, ${sum.eventsPerSecond.toLocaleString('en-US')} events/s, ${sum.megabytesPerSecond} MB/s read`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (sum.problems.length) {
    note(`\n${sum.problemsTotal} problem(s)${sum.problemsTotal > sum.problems.length ? ` (first ${sum.problems.length} shown)` : ''}; raw input is kept in the rejects table:`);
    for (const p of sum.problems) {
      const where = p.line !== null ? `:line ${p.line}` : p.index !== null ? `:record ${p.index}` : '';
      note(`  ${p.uri}${where}: ${p.code}: ${p.reason}`);
    }
    note(`  (see: aitrail query "SELECT * FROM rejects ORDER BY rejectId DESC")`);
  }
}

/** `aitrail ingest SOURCE…`: folders, files, s3://bucket/prefix, or - for stdin. */
export const ingestCommand: Command = {
  summary: 'ingest CloudTrail logs from folders, files, s3://bucket/prefix or - (stdin)',
  usage: `aitrail ingest SOURCE... [--data-dir DIR] [--start-time T] [--end-time T] [--endpoint-url URL] [--region R]
       [--profile NAME] [--strict] [--output text|json]

  Reads .json, .json.gz, JSON Lines, arrays, single records, EventBridge envelopes and lookup-events output.
  Reruns read only new or changed files; an event already stored is never added twice.
  --start-time/--end-time select delivery files by the date in their key (with a one-day margin).
  s3:// sources are read with the standard AWS credential chain, or a profile of the AWS config files (--profile).
  Exit code 0 even when some input was rejected, unless --strict.`,
  options: {
    ...STORE,
    'start-time': { type: 'string' },
    'end-time': { type: 'string' },
    'endpoint-url': { type: 'string' },
    region: { type: 'string' },
    profile: { type: 'string' },
    strict: { type: 'boolean' },
    output: { type: 'string' },
  },
  async run(values, positionals) {
    if (positionals.length === 0) throw new AitrailError('USAGE', 'ingest needs at least one SOURCE (a folder, file, s3://bucket/prefix, or -)');
    const startTime = values['start-time'] ? parseTime(String(values['start-time']), '--start-time') : undefined;
    const endTime = values['end-time'] ? parseTime(String(values['end-time']), '--end-time') : undefined;
    if (startTime && endTime && startTime > endTime) throw new AitrailError('USAGE', '--start-time must be before --end-time');
    const sum = await withWriteStore(values, async (store) => {
      const s = await ingest(store, positionals, {
        startTime,
        endTime,
        endpointUrl: values['endpoint-url'] as string | undefined,
        region: values.region as string | undefined,
        profile: values.profile as string | undefined,
        onProgress: progressPrinter(),
        onListing: process.stderr.isTTY ? (src, n) => process.stderr.write(`\r\x1b[Klisting ${src}: ${n.toLocaleString('en-US')} keys`) : undefined,
      });
      // Trails keep a filtered, verifiable copy of what was ingested.
      await pumpTrails(store);
      return s;
    }, INGEST_MEMORY);
    printIngestSummary(sum, values.output === 'json');
    return values.strict && (sum.rejected > 0 || sum.filesRejected > 0) ? 1 : 0;
  },
};

/** `aitrail demo`: generates a realistic AI-team dataset in the S3 layout and ingests it. */
export const demoCommand: Command = {
  summary: 'generate a realistic, seeded AI-workload CloudTrail dataset and ingest it',
  usage: `aitrail demo [--events N] [--days D] [--seed S] [--data-dir DIR] [--output text|json]

  Writes delivery files under DATA_DIR/demo-logs/AWSLogs/... (the real S3 key layout), then ingests them.`,
  options: {
    ...STORE,
    events: { type: 'string' },
    days: { type: 'string' },
    seed: { type: 'string' },
    output: { type: 'string' },
  },
  async run(values) {
    const events = Number(values.events ?? 50_000);
    const days = Number(values.days ?? 14);
    const seed = Number(values.seed ?? 42);
    for (const [k, n] of Object.entries({ events, days, seed })) {
      if (!Number.isFinite(n) || n < 0 || (k !== 'seed' && n === 0)) throw new AitrailError('USAGE', `--${k} must be a positive number`);
    }
    return withWriteStore(values, async (store) => {
      const outDir = join(store.dataDir, 'demo-logs');
      rmSync(outDir, { recursive: true, force: true });
      const gen = await generateDemo({ outDir, events, days, seed });
      note(`generated ${gen.events} events in ${gen.files} files under ${outDir}`);
      for (const inc of gen.incidents) note(`  incident: ${inc.name} at ${inc.startTime} (${inc.principalArn})`);
      const sum = await ingest(store, [outDir], { onProgress: progressPrinter() });
      printIngestSummary(sum, values.output === 'json');
      return 0;
    });
  },
};

/** `aitrail ai-config`: shows or changes which buckets, functions and repositories count as AI. */
export const aiConfigCommand: Command = {
  summary: 'show or set the names of AI data buckets, functions and repositories, and reclassify',
  usage: `aitrail ai-config [--ai-buckets GLOB,...] [--ai-functions GLOB,...] [--ai-repositories GLOB,...] [--replace] [--data-dir DIR]

  Globs use * and ?; matching is case-insensitive. Without --replace, globs are added to the defaults.
  Changing them reclassifies every stored event.`,
  options: {
    ...STORE,
    'ai-buckets': { type: 'string' },
    'ai-functions': { type: 'string' },
    'ai-repositories': { type: 'string' },
    replace: { type: 'boolean' },
    output: { type: 'string' },
  },
  async run(values) {
    return withWriteStore(values, async (store) => {
      const current = (await store.getSetting<AiClassificationConfig>('aiClassification')) ?? defaultAiConfig();
      const split = (v: unknown) => String(v).split(',').map((s) => s.trim()).filter(Boolean);
      const base = values.replace ? { aiBuckets: [], aiFunctions: [], aiRepositories: [] } : current;
      const next: AiClassificationConfig = {
        aiBuckets: values['ai-buckets'] ? [...new Set([...base.aiBuckets, ...split(values['ai-buckets'])])] : current.aiBuckets,
        aiFunctions: values['ai-functions'] ? [...new Set([...base.aiFunctions, ...split(values['ai-functions'])])] : current.aiFunctions,
        aiRepositories: values['ai-repositories'] ? [...new Set([...base.aiRepositories, ...split(values['ai-repositories'])])] : current.aiRepositories,
      };
      const changed = JSON.stringify(next) !== JSON.stringify(current);
      if (changed) {
        await store.setSetting('aiClassification', next);
        const n = await reclassify(store, next);
        note(`reclassified ${n} events`);
      }
      if (pickFormat(values.output as string | undefined) === 'table') {
        process.stdout.write(`AI data buckets: ${next.aiBuckets.join(', ')}\nAI functions: ${next.aiFunctions.join(', ')}\nAI repositories: ${next.aiRepositories.join(', ')}\n`);
      } else printJson(next);
      return 0;
    });
  },
};
