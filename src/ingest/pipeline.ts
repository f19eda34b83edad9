/**
 * The ingest pipeline: sources → manifest check → batches → DuckDB bulk load.
 * Standard delivery files (`{"Records":[…]}`) are parsed by DuckDB itself in batches (the fast
 * path), concatenated into bundles (bundle.ts) while the previous batch loads; every other
 * container, and any file or batch DuckDB cannot read, goes through the JavaScript readers in
 * formats.ts and a staged JSON Lines file. Each batch commits atomically with its
 * manifest rows, so a killed run resumes with every event exactly once.
 */
import { createWriteStream, promises as fsp, type WriteStream } from 'node:fs';
import { join, basename, dirname } from 'node:path';
import { createHash } from 'node:crypto';
import { defaultAiConfig, type AiClassificationConfig } from '../model/ai-activity.js';
import { isOutOfMemory, sqlString, type Store } from '../store/db.js';
import { loadDirect, loadRelation, mergeLoads, type LoadResult, type SourceCounts } from '../store/load.js';
import { BundleWriter, startsLikeDelivery, withoutBom, type Bundles } from './bundle.js';
import { clip, extractFromBytes, isGzip, surrogateProblem, type ExtractedItem } from './formats.js';
import { streamItems } from './stream.js';
import { FETCH_CONCURRENCY, probeFile, sortByKey, type InputObject, type SkipReason } from './sources.js';

/** Options of one ingest run. */
export interface IngestOptions {
  /** Files per DuckDB batch. */
  batchFiles?: number;
  /** Uncompressed bytes per batch. */
  batchBytes?: number;
  /** Objects fetched at once (S3 downloads; FETCH_CONCURRENCY by default). */
  concurrency?: number;
  /** Files larger than this (bytes, compressed or not) are streamed rather than read whole. */
  largeFileBytes?: number;
  /** Uncompressed bytes of the first batch and of batches of records averaging over 16 kB (at most batchBytes; 16 MB). */
  largeRecordBatchBytes?: number;
  onProgress?: (p: IngestProgress) => void;
}

/** Live counters, reported after each batch. */
export interface IngestProgress {
  filesDone: number;
  filesTotal: number;
  eventsAdded: number;
  bytesRead: number;
}

/** A problem with one file or record, for the summary. */
export interface IngestProblem {
  uri: string;
  index: number | null;
  line: number | null;
  code: string;
  reason: string;
}

/** The summary of an ingest run. */
export interface IngestSummary {
  filesSeen: number;
  filesRead: number;
  filesUnchanged: number;
  filesSkipped: Record<SkipReason, number>;
  /** Files not read cleanly as a whole: damaged (corrupt, truncated, a bad line or value, empty) or unreadable. */
  filesRejected: number;
  records: number;
  eventsAdded: number;
  duplicates: number;
  conflicts: number;
  /** Of `rejected` (and `records`), problems of a whole file rather than of a record or line: an empty file, bytes that are not UTF-8, a corrupt gzip stream's end. */
  fileProblems: number;
  rejected: number;
  bytesRead: number;
  seconds: number;
  eventsPerSecond: number;
  megabytesPerSecond: number;
  problems: IngestProblem[];
  problemsTotal: number;
}

interface ManifestRow {
  sourceId: number;
  size: number | null;
  etag: string | null;
  mtimeMs: number | null;
}

interface Fetched {
  obj: InputObject;
  path: string;
  sourceId: number;
  bytes: number;
  /** Uncompressed size estimate. */
  plainBytes: number;
  fast: boolean;
  gzip: boolean;
  /** The whole file, when probing read all of it. */
  data?: Buffer;
  /** Why the file could not be fetched or opened (it is reported, and left for the next run). */
  readError?: string;
}

const MAX_PROBLEMS = 200;
/** Records averaging more than this (bytes of JSON) are loaded in batches of LARGE_RECORD_BATCH_BYTES. */
const LARGE_RECORD_BYTES = 16 * 1024;
const LARGE_RECORD_BATCH_BYTES = 16 * 1024 * 1024;

/** Creates an empty summary. */
export function emptySummary(): IngestSummary {
  return {
    filesSeen: 0,
    filesRead: 0,
    filesUnchanged: 0,
    filesSkipped: { digest: 0, 'not-a-log-file': 0, 'folder-marker': 0, 'outside-time-range': 0 },
    filesRejected: 0,
    records: 0,
    eventsAdded: 0,
    duplicates: 0,
    conflicts: 0,
    rejected: 0,
    bytesRead: 0,
    seconds: 0,
    eventsPerSecond: 0,
    megabytesPerSecond: 0,
    problems: [],
    problemsTotal: 0,
    fileProblems: 0,
  };
}

/**
 * Whether a file may be a delivery file DuckDB can read in a bundle. A plain file must start with
 * `{"Records":[` (after a byte order mark, which the bundle drops). A gzip file is taken on trust:
 * the bundle writer inflates it anyway and checks its start and end there, and a file that is
 * something else after all goes to the JavaScript readers from there.
 */
function maybeDelivery(head: Buffer): boolean {
  if (isGzip(head)) return true;
  return startsLikeDelivery(withoutBom(head));
}

/** Runs one ingest over the given objects. */
export async function ingestObjects(
  store: Store,
  objects: InputObject[],
  skipped: { uri: string; reason: SkipReason }[],
  opts: IngestOptions = {},
): Promise<IngestSummary> {
  const started = Date.now();
  const summary = emptySummary();
  // Sources may overlap (a folder and a subfolder of it, or one named twice): each object once.
  const uris = new Set<string>();
  const inputs = objects.filter((o) => !uris.has(o.uri) && uris.add(o.uri));
  const skippedOnce = new Map(skipped.map((s) => [s.uri, s.reason] as const));
  summary.filesSeen = inputs.length + skippedOnce.size;
  for (const reason of skippedOnce.values()) summary.filesSkipped[reason]++;
  const cfg = (await store.getSetting<AiClassificationConfig>('aiClassification')) ?? defaultAiConfig();
  // Checkpoint rarely during a bulk load: every checkpoint recompresses the newest row groups,
  // so frequent ones cost time and leave them poorly compressed. The WAL keeps each batch durable.
  await store.run(`SET checkpoint_threshold = '${process.env.AITRAIL_CHECKPOINT_THRESHOLD ?? '1GB'}'`);
  // Each thread of a batch's INSERT ends with a partly filled row group. A checkpoint would merge
  // them by decompressing and rewriting them (7 of 33 s on 1M events with DuckDB's default row
  // groups, and the old blocks left the file 60 % larger); left as they are, they only make a few
  // more, smaller row groups.
  await store.run('SET max_vacuum_tasks = 0');
  // FSST string compression costs about 6 % of a bulk load (measured on 1M events) for a store
  // about 15 % smaller (17.5 % of the raw JSON instead of 15.2 %). The record columns (zstd) and
  // the dictionary-compressed typed columns hold most of the gain; scans of plain strings are no
  // slower. Other writes (pushes, self-audit) keep DuckDB's default. (In stores of format v1.5.0
  // the typed columns take dictionary-with-FSST, which this leaves on; trying plain FSST as well
  // cost about 13 % more instructions a load there, and was never picked.)
  await store.run(`SET disabled_compression_methods = 'fsst'`);
  // The WAL of a run that was killed is replayed into memory when the store opens: write what
  // it holds to the file before the first batch needs the room.
  await store.relieveMemory();
  const tmp = store.tmpDir(`ingest-${process.pid}`);
  // Only one process writes a store at a time, so other runs' scratch folders (bundles, staged
  // files, spooled standard input and pipes of a run that was killed) are left over: remove them.
  for (const d of await fsp.readdir(dirname(tmp)).catch(() => [] as string[])) {
    const m = /^(ingest|stdin|pipe)-(\d+)$/.exec(d);
    if (m && Number(m[2]) !== process.pid) await fsp.rm(join(dirname(tmp), d), { recursive: true, force: true });
  }
  const manifest = new Map<string, ManifestRow>();
  for (const r of await store.all('SELECT uri, sourceId, size, etag, mtimeMs FROM ingested_objects')) {
    manifest.set(String(r.uri), {
      sourceId: Number(r.sourceId),
      size: r.size === null ? null : Number(r.size),
      etag: r.etag === null ? null : String(r.etag),
      mtimeMs: r.mtimeMs === null ? null : Number(r.mtimeMs),
    });
  }
  let nextId = Number((await store.one('SELECT coalesce(max(sourceId), 0) + 1 AS n FROM ingested_objects'))?.n ?? 1);
  const todo: { obj: InputObject; sourceId: number }[] = [];
  /** Files read before that changed since: their manifest rows are updated, not added. */
  const rereads = new Set<number>();
  /** Files that could not be fetched or opened in this run. */
  const unreadable = new Set<number>();
  // Oldest files first (by the time in a delivery file's name or key), so the lake is written
  // close to eventTime order whatever the account/region layout of the source.
  for (const obj of sortByKey(inputs, (o) => timeKey(o.uri))) {
    const known = manifest.get(obj.uri);
    if (known) {
      const same = known.size === obj.size && (obj.etag ? known.etag === obj.etag : known.mtimeMs === (obj.mtimeMs ?? null));
      if (same) {
        summary.filesUnchanged++;
        continue;
      }
      todo.push({ obj, sourceId: known.sourceId });
      rereads.add(known.sourceId);
    } else {
      todo.push({ obj, sourceId: nextId++ });
    }
  }

  const batchFiles = opts.batchFiles ?? (Number(process.env.AITRAIL_BATCH_FILES) || 20000);
  // Records stream into the lake in one statement per batch, whatever their container (delivery
  // files bundled, others staged as JSON Lines). Batches of several row groups (30,720 rows,
  // ~50 MB of CloudTrail JSON) are written compressed straight to the database file, not first to
  // the WAL and then again. On 1M events, 192 MB batches peaked at ~870 MiB RSS and 384 MB ones at
  // ~940 MiB, in about the same time; staged JSON Lines in 20 MB batches took 1.8 times as long.
  const batchBytes = opts.batchBytes ?? (Number(process.env.AITRAIL_BATCH_BYTES) || 192 * 1024 * 1024);
  // The size at which a batch of delivery files is cut (see loadFast).
  let fastLimit = batchBytes;
  let fastFits = 0;
  // The batch size the records call for, in any container. DuckDB works on chunks of 2,048 rows,
  // and the copies of a chunk's strings its statement makes are outside its memory limit: with
  // records of 200 kB, batches of 50 MB peaked at about 1.05 GiB, batches of 16 MB at about 0.8.
  // So the first batch is small, each after doubles while the records are of the usual size, and
  // records averaging more than 16 kB keep batches at 16 MB. (On 1M records of 1.6 kB that costs
  // nothing measurable: DuckDB starts sooner, and the small batches' rows are checkpointed once.)
  const largeBatch = Math.max(1, Math.min(batchBytes, opts.largeRecordBatchBytes ?? LARGE_RECORD_BATCH_BYTES));
  const largeRecords = (bytes: number, records: number) => records > 0 && bytes / records > LARGE_RECORD_BYTES;
  let sizeLimit = largeBatch;
  const noteRecordSize = (bytes: number, records: number) => {
    sizeLimit = largeRecords(bytes, records) ? largeBatch : Math.min(batchBytes, sizeLimit * 2);
  };
  // A streamed file's records are staged a group at a time (one write each), parts cut between groups.
  const groupChars = Math.min(1024 * 1024, Math.ceil(batchBytes / 8));
  const concurrency = opts.concurrency ?? FETCH_CONCURRENCY;
  // Above this size a file is not read whole (see loadLarge): CloudTrail's own files are far smaller.
  const largeFileBytes = opts.largeFileBytes ?? (Number(process.env.AITRAIL_LARGE_FILE_BYTES) || 48 * 1024 * 1024);
  const progress: IngestProgress = { filesDone: 0, filesTotal: todo.length, eventsAdded: 0, bytesRead: 0 };

  const addProblems = (res: LoadResult, uris: Map<number, string>) => {
    summary.problemsTotal += res.rejected;
    for (const r of res.rejects) {
      if (summary.problems.length >= MAX_PROBLEMS) break;
      summary.problems.push({ uri: uris.get(r.sourceId) ?? '?', index: r.idx, line: r.line, code: r.code, reason: r.reason });
    }
  };
  const account = (res: LoadResult, batch: Fetched[]) => {
    summary.records += res.records;
    summary.eventsAdded += res.added;
    summary.duplicates += res.duplicates;
    summary.conflicts += res.conflicts;
    summary.rejected += res.rejected;
    summary.filesRead += batch.length;
    for (const f of batch) summary.bytesRead += f.bytes;
    progress.filesDone += batch.length;
    progress.eventsAdded = summary.eventsAdded;
    progress.bytesRead = summary.bytesRead;
    opts.onProgress?.({ ...progress });
  };

  const writeManifest = async (batch: Fetched[], res: LoadResult, fileRejects: Map<number, string>) => {
    // A file that could not be read at all is not recorded: the next run tries it again.
    const read = batch.filter((f) => !unreadable.has(f.sourceId));
    if (read.length === 0) return;
    const rows = read.map((f) => {
      const c = res.perSource.get(f.sourceId);
      const bad = fileRejects.get(f.sourceId);
      const status = bad ? (c && c.added + c.duplicates > 0 ? 'partial' : 'rejected') : c && c.rejected > 0 ? 'partial' : 'ok';
      return { sourceId: f.sourceId, uri: f.obj.uri, size: f.obj.size, etag: f.obj.etag ?? null, mtimeMs: f.obj.mtimeMs ?? null, status,
        events: c?.added ?? 0, duplicates: c?.duplicates ?? 0, rejected: c?.rejected ?? 0, message: bad ?? null };
    });
    // One statement per batch, its rows read from a JSON Lines file: manifests of many small
    // files must not cost a round trip each, a long VALUES list costs more to plan than to run,
    // and DuckDB reads such a file several times faster than it parses one JSON parameter.
    const path = join(tmp, `manifest-${read[0]!.sourceId}.jsonl`);
    const lines = rows.map((r) => JSON.stringify(r));
    await fsp.writeFile(path, lines.join('\n') + '\n');
    const longest = lines.reduce((n, l) => Math.max(n, Buffer.byteLength(l)), 0);
    const select = `SELECT sourceId, uri, size, etag, mtimeMs, status, events, duplicates, rejected, message, now()
       FROM read_json(${sqlString(path)}, format = 'newline_delimited', columns = {sourceId: 'INTEGER', uri: 'VARCHAR', size: 'BIGINT',
         etag: 'VARCHAR', mtimeMs: 'BIGINT', status: 'VARCHAR', events: 'INTEGER', duplicates: 'INTEGER', rejected: 'INTEGER', message: 'VARCHAR'},
         maximum_object_size = ${longest + 1024})`;
    const columns = 'sourceId, uri, size, etag, mtimeMs, status, events, duplicates, rejected, message, ingestedAt';
    try {
      // Files new to the manifest (nearly always all of them) are plain inserts; a batch with a
      // file read before updates that file's row in place.
      await store.run(
        read.some((f) => rereads.has(f.sourceId))
          ? `INSERT INTO ingested_objects (${columns}) ${select}
             ON CONFLICT (sourceId) DO UPDATE SET size = excluded.size, etag = excluded.etag, mtimeMs = excluded.mtimeMs,
               status = excluded.status, events = excluded.events, duplicates = excluded.duplicates, rejected = excluded.rejected,
               message = excluded.message, ingestedAt = excluded.ingestedAt`
          : `INSERT INTO ingested_objects (${columns}) ${select}`,
      );
    } finally {
      await fsp.rm(path, { force: true });
    }
  };

  // Fast path: DuckDB reads the delivery files itself, bundled (see bundle.ts). A batch's bundles
  // are written while the previous batch loads; a part of a batch that is retried alone gets its own.
  const loadFast = async (batch: Fetched[], prebuilt?: Bundles): Promise<boolean> => {
    let own: BundleWriter | undefined;
    let bundles = prebuilt;
    if (!bundles) {
      own = new BundleWriter(tmp, `bundle-${batch[0]!.sourceId}-${batch.length}`);
      for (const f of batch) own.add(f);
      bundles = own.finish();
      if (own.unreadable.length > 0) {
        own.discard();
        return false;
      }
    }
    const uris = new Map(batch.map((f) => [f.sourceId, f.obj.uri]));
    const maxObj = Math.max(...batch.map((f) => f.plainBytes)) + 1024;
    const { sourceKey, dataKey } = bundles;
    // Bundles of one line per file are read as JSON Lines: finding where each object ends by its
    // structure ('unstructured') cost about 12 % of a record's instructions.
    const read = (paths: string[], format: string) => `SELECT "${sourceKey}" AS sourceId, CAST(idx AS INTEGER) AS idx, NULL::INTEGER AS line, rec,
        NULL::VARCHAR AS xcode, NULL::VARCHAR AS xreason, NULL::VARCHAR AS xraw, NULL::VARCHAR AS xpath
      FROM (SELECT "${sourceKey}", unnest("${dataKey}".Records) AS rec, unnest(range(len("${dataKey}".Records))) AS idx
              FROM read_json([${paths.map(sqlString).join(', ')}], columns = {"${sourceKey}": 'INTEGER', "${dataKey}": 'STRUCT("Records" JSON[])'},
                format = '${format}', maximum_object_size = ${Math.min(maxObj, 2 ** 31 - 1)}))`;
    const rel = [
      ...(bundles.paths.length ? [read(bundles.paths, 'newline_delimited')] : []),
      ...(bundles.multiLinePaths.length ? [read(bundles.multiLinePaths, 'unstructured')] : []),
    ].join(' UNION ALL ');
    try {
      const res = await store.transaction(async () => {
        const res = await loadDirect(store, rel, uris, cfg);
        await writeManifest(batch, res, new Map());
        addProblems(res, uris);
        account(res, batch);
        return res;
      });
      if (++fastFits >= 8) fastLimit = Math.min(batchBytes, fastLimit * 2);
      noteRecordSize(batch.reduce((a, f) => a + f.plainBytes, 0), res.records);
      return true;
    } catch (e) {
      // Some file in the batch is damaged (or DuckDB ran short of memory): smaller batches, and
      // in the end the JavaScript path, isolate it. Records of hundreds of kilobytes can take
      // more memory than a batch of the usual size has: the batches after it are made smaller
      // (each out-of-memory failure costs most of a load), and grow back after 8 that fit.
      if (isOutOfMemory(e)) {
        const bytes = batch.reduce((a, f) => a + f.plainBytes, 0);
        fastLimit = Math.max(1024 * 1024, Math.min(fastLimit, Math.floor(bytes / 2)));
        fastFits = 0;
      }
      return false;
    } finally {
      own?.discard();
    }
  };

  // JavaScript path: readers for every container, staged as JSON Lines for DuckDB: records in one
  // file, which loads as delivery files do (loadDirect), what the readers rejected in another.
  const newStage = (name: string) => {
    const file = (kind: string) => {
      const path = join(tmp, `stage-${name}-${kind}.jsonl`);
      const out = createWriteStream(path);
      const f = {
        path,
        /** The longest line's length in UTF-16 units: at most a third of its UTF-8 bytes. */
        longest: 0,
        bytes: 0,
        lines: 0,
        /**
         * Writes lines with one call (a call per line cost 10 µs a record): text ending in a line
         * feed, or a record line's bytes (extractJsonLines) after the text `head` (ASCII), closed
         * here. `longest` is the longest line's length, in UTF-16 units or, bounding that, bytes.
         */
        write(lines: (string | StagedBytes)[], longest = Math.max(0, ...lines.map((l) => (typeof l === 'string' ? l.length : 0)))) {
          if (lines.length === 0) return;
          f.longest = Math.max(f.longest, longest);
          f.lines += lines.length;
          if (lines.every((l) => typeof l === 'string')) {
            const text = lines.length === 1 ? lines[0]! : lines.join('');
            f.bytes += Buffer.byteLength(text);
            return writeLine(out, text);
          }
          let size = 0;
          for (const l of lines) size += typeof l === 'string' ? Buffer.byteLength(l) : l.head.length + l.body.length + 2;
          const buf = Buffer.allocUnsafe(size);
          let at = 0;
          for (const l of lines) {
            if (typeof l === 'string') {
              at += buf.write(l, at);
            } else {
              at += buf.write(l.head, at, 'latin1');
              at += l.body.copy(buf, at);
              buf[at++] = 0x7d; // }
              buf[at++] = 0x0a;
            }
          }
          f.bytes += size;
          return writeLine(out, buf);
        },
        close: () => new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r()))),
        /** The file as rows of the columns loads take. */
        rel: (columns: string) => `SELECT s AS sourceId, i AS idx, l AS line, ${columns}
          FROM read_json(${sqlString(path)}, format = 'newline_delimited', maximum_object_size = ${3 * f.longest + 1024},
            columns = {s: 'INTEGER', i: 'INTEGER', l: 'INTEGER', r: 'JSON', xc: 'VARCHAR', x: 'VARCHAR', raw: 'VARCHAR', rp: 'VARCHAR'})`,
      };
      return f;
    };
    const records = file('records');
    const rejects = file('rejects');
    return {
      get bytes() {
        return records.bytes + rejects.bytes;
      },
      /** Records staged, and their bytes: how large they are decides the size of the batches. */
      get records() {
        return records.lines;
      },
      get recordBytes() {
        return records.bytes;
      },
      /** How many records were staged on trust, unparsed (ReadOptions.trustRecords). */
      trusted: 0,
      /** How many problems of whole files were staged (IngestSummary.fileProblems). */
      fileProblems: 0,
      /** Stages items of file `f`; `keep` makes the copy a file-level reject points to. */
      async items(f: Fetched, items: Iterable<ExtractedItem>, keep: () => Promise<string>, fileRejects: Map<number, string>): Promise<void> {
        // Lines given as bytes (extractJsonLines) are written without being decoded.
        const lines: (string | StagedBytes)[] = [];
        let longest = 0;
        for (const item of items) {
          if ('record' in item) {
            if (item.record === undefined) this.trusted++;
            if (item.bytes) {
              const head = `{"s":${f.sourceId},"i":${item.idx},"l":${item.line ?? 'null'},"r":`;
              lines.push({ head, body: item.bytes });
              longest = Math.max(longest, head.length + item.bytes.length + 2);
              continue;
            }
            // JSON whitespace can be folded; newlines inside strings are always escaped.
            const raw = item.raw;
            const text = raw === undefined ? JSON.stringify(item.record) ?? 'null' : raw.includes('\n') || raw.includes('\r') ? raw.replace(/[\r\n]+/g, ' ') : raw;
            const problem = surrogateProblem(text);
            if (problem === undefined) {
              const line = `{"s":${f.sourceId},"i":${item.idx},"l":${item.line ?? 'null'},"r":${text}}\n`;
              lines.push(line);
              longest = Math.max(longest, line.length);
            }
            else await rejects.write([JSON.stringify({ s: f.sourceId, i: item.idx, l: item.line, xc: 'INGEST_BAD_RECORD', x: `record ${item.idx} ${problem}`, raw: clip(text), rp: null }) + '\n']);
            continue;
          }
          let kept: string | null = null;
          if (item.idx === null) {
            fileRejects.set(f.sourceId, item.reject.reason);
            kept = await keep();
            if (item.line === null) this.fileProblems++;
          }
          await rejects.write([JSON.stringify({ s: f.sourceId, i: item.idx, l: item.line, xc: item.reject.code, x: item.reject.reason, raw: item.reject.raw, rp: kept }) + '\n']);
        }
        await records.write(lines, longest);
      },
      /** A file that could not be read (or stored) at all: reported, and left out of the manifest; `kept`, a copy of it. */
      unread(f: Fetched, reason: string, fileRejects: Map<number, string>, kept: string | null = null) {
        this.fileProblems++;
        fileRejects.set(f.sourceId, reason);
        unreadable.add(f.sourceId);
        return rejects.write([JSON.stringify({ s: f.sourceId, i: null, l: null, xc: 'INGEST_READ_ERROR', x: `${reason} (not recorded as read: the next run tries it again)`, raw: '', rp: kept }) + '\n']);
      },
      /** Closes the files and loads them in one transaction with `inTransaction`'s statements. */
      async load(uris: Map<number, string>, inTransaction: (res: LoadResult) => Promise<void>): Promise<LoadResult> {
        await Promise.all([records.close(), rejects.close()]);
        // Typed columns straight from the reader: taking each member out of a JSON object per
        // line cost a parse per member, and held so much memory that 4,000 records of 1.6 kB
        // did not fit in 256 MB.
        const attempt = () => store.transaction(async () => {
          const parts: LoadResult[] = [];
          if (rejects.lines > 0) {
            parts.push(await loadRelation(store, rejects.rel('NULL::JSON AS rec, xc AS xcode, x AS xreason, raw AS xraw, rp AS xpath'), uris, cfg));
          }
          if (records.lines > 0) {
            const rel = records.rel('r AS rec, NULL::VARCHAR AS xcode, NULL::VARCHAR AS xreason, NULL::VARCHAR AS xraw, NULL::VARCHAR AS xpath');
            parts.push(await loadDirect(store, rel, uris, cfg, { lines: true }));
          }
          const res = mergeLoads(parts);
          await inTransaction(res);
          addProblems(res, uris);
          return res;
        });
        try {
          // Records of hundreds of kilobytes each can need more than ingest's memory limit.
          return await store.retryWithMoreMemory(4, attempt);
        } finally {
          await Promise.all([fsp.rm(records.path, { force: true }), fsp.rm(rejects.path, { force: true })]);
        }
      },
    };
  };

  // Reads a batch's files and stages their items (Node's work, done while DuckDB loads the batch
  // before), then loads them (DuckDB's). Lines and values that look like records (or EventBridge
  // envelopes of one) are staged unparsed (DuckDB parses them anyway): JSON Lines load in a
  // quarter less time. If one is not valid JSON, DuckDB fails the batch, which is read again
  // with every line and value checked.
  const stageSlow = async (batch: Fetched[], trust = true) => {
    const stage = newStage(String(batch[0]!.sourceId));
    const fileRejects = new Map<number, string>();
    for (const f of batch) {
      let buf: Buffer;
      try {
        if (f.readError) throw new Error(f.readError);
        buf = await fsp.readFile(f.path);
      } catch (e) {
        await stage.unread(f, f.readError ?? `cannot read the file: ${(e as Error).message}`, fileRejects);
        continue;
      }
      // A file whose content turns out far larger than its size said (a gzip trailer that
      // understates it, or a file made to blow up) is streamed instead of read whole.
      const ex = await extractFromBytes(buf, largeFileBytes, { trustRecords: trust });
      let kept: Promise<string> | undefined;
      const keep = () => (kept ??= keepRejectedFile(store.dataDir, f, buf));
      if (ex.kind !== 'too-large') await stage.items(f, ex.items, keep, fileRejects);
      else for await (const items of inGroups(streamItems(f.path, f.gzip), groupChars)) await stage.items(f, items, keep, fileRejects);
    }
    return { batch, stage, fileRejects };
  };
  const loadStaged = async ({ batch, stage, fileRejects }: Awaited<ReturnType<typeof stageSlow>>): Promise<void> => {
    const uris = new Map(batch.map((f) => [f.sourceId, f.obj.uri]));
    await stage.load(uris, async (res) => {
      await writeManifest(batch, res, fileRejects);
      account(res, batch);
      summary.filesRejected += fileRejects.size;
      summary.fileProblems += stage.fileProblems;
    });
  };
  const loadChecked = async (staged: Awaited<ReturnType<typeof stageSlow>>): Promise<void> => {
    let error: unknown;
    try {
      return await loadStaged(staged);
    } catch (e) {
      error = e;
    }
    // Lines taken on trust are read again checked when DuckDB refused the batch, not when it ran
    // out of memory (that load was already retried with more).
    if (staged.stage.trusted > 0 && !isOutOfMemory(error)) {
      try {
        return await loadStaged(await stageSlow(staged.batch, false));
      } catch (e) {
        error = e;
      }
    }
    // What DuckDB still cannot store (a file needing more memory than even the retry gives):
    // the batch is split until the file is found, which is reported, kept, and left out of the
    // manifest so that the next run tries it again. Errors of the store itself (a full disk)
    // stop the run.
    if (storeFailure(error)) throw error;
    const { batch } = staged;
    if (batch.length > 1) {
      const mid = Math.ceil(batch.length / 2);
      await loadChecked(await stageSlow(batch.slice(0, mid), false));
      await loadChecked(await stageSlow(batch.slice(mid), false));
      return;
    }
    await reportUnstored(batch[0]!, error);
  };
  /** Reports a file DuckDB could not store, keeps a copy of it, and leaves it out of the manifest. */
  const reportUnstored = async (f: Fetched, error: unknown): Promise<void> => {
    const stage = newStage(`${f.sourceId}-failed`);
    const fileRejects = new Map<number, string>();
    const kept = f.path ? await keepRejectedFile(store.dataDir, f).catch(() => null) : null;
    const message = (error as Error).message.split('\n')[0]!;
    const hint = isOutOfMemory(error) ? '; a higher AITRAIL_MEMORY_LIMIT lets it be stored' : '';
    await stage.unread(f, `could not be stored: ${message}${hint}`, fileRejects, kept);
    await loadStaged({ batch: [f], stage, fileRejects });
  };
  const loadSlow = async (batch: Fetched[]): Promise<void> => loadChecked(await stageSlow(batch));

  // A file too large to read whole is streamed, and loaded in parts of the JavaScript path's
  // batch size; its manifest row comes with the last part. A run killed between parts reads the
  // file again from its start, and finds the records of the parts already stored as duplicates.
  const loadLarge = async (f: Fetched): Promise<void> => {
    const uris = new Map([[f.sourceId, f.obj.uri]]);
    const fileRejects = new Map<number, string>();
    const total: SourceCounts = { sourceId: f.sourceId, records: 0, added: 0, duplicates: 0, conflicts: 0, rejected: 0 };
    let part = 0;
    let stage = newStage(`${f.sourceId}-${part}`);
    let kept: Promise<string> | undefined;
    const keep = () => (kept ??= keepRejectedFile(store.dataDir, f));
    const loadPart = async (done: typeof stage, last: boolean) => {
      await done.load(uris, async (res) => {
        const c = res.perSource.get(f.sourceId);
        if (c) for (const k of ['records', 'added', 'duplicates', 'conflicts', 'rejected'] as const) total[k] += c[k];
        if (last) await writeManifest([f], { ...res, perSource: new Map([[f.sourceId, total]]) }, fileRejects);
        account(res, last ? [f] : []);
        summary.fileProblems += done.fileProblems;
      });
    };
    // A part loads while the next is read and staged.
    let loadingPart: Promise<void> = Promise.resolve();
    for await (const items of inGroups(streamItems(f.path, f.gzip), groupChars)) {
      await stage.items(f, items, keep, fileRejects);
      if (stage.bytes >= (largeRecords(stage.recordBytes, stage.records) ? largeBatch : batchBytes)) {
        const done = stage;
        await loadingPart;
        // What a part leaves in memory (its records over 4 kB, say) is checkpointed out before the next.
        loadingPart = loadPart(done, false).then(async () => void (await store.relieveMemory()));
        loadingPart.catch(() => undefined);
        stage = newStage(`${f.sourceId}-${++part}`);
      }
    }
    await loadingPart;
    await loadPart(stage, true);
    summary.filesRejected += fileRejects.size;
  };

  // Fetch with bounded parallelism, in order; flush batches as they fill.
  let fast: Fetched[] = [];
  let bundler: BundleWriter | undefined;
  let slow: Fetched[] = [];
  let fastBytes = 0;
  let slowBytes = 0;
  const flushFast = async () => {
    if (fast.length === 0) return;
    const batch = fast;
    const writer = bundler!;
    fast = [];
    fastBytes = 0;
    bundler = undefined;
    // A batch DuckDB cannot read is bisected, so one damaged file costs a few retries, not the
    // whole batch going through the slower JavaScript readers.
    const loadOrSplit = async (part: Fetched[], prebuilt?: Bundles): Promise<void> => {
      // Parts of a split batch are smaller: what they leave in memory is checkpointed out as they go.
      if (await loadFast(part, prebuilt)) {
        if (part.length < batch.length) await store.relieveMemory();
        return;
      }
      if (part.length === 1) return loadSlow(part);
      const mid = Math.ceil(part.length / 2);
      await loadOrSplit(part.slice(0, mid));
      await loadOrSplit(part.slice(mid));
    };
    try {
      const bundles = writer.finish();
      // Files that are not delivery files after all, or could not be inflated, go to the
      // JavaScript readers (which say what is wrong with a damaged one), in batches of their size.
      const bad = new Set(writer.unreadable);
      const good = bad.size ? batch.filter((f) => !bad.has(f)) : batch;
      if (good.length) await loadOrSplit(good, bundles);
      let part: Fetched[] = [];
      let partBytes = 0;
      for (const f of bad.size ? batch.filter((f) => bad.has(f)) : []) {
        if (part.length > 0 && (part.length >= batchFiles || partBytes + f.plainBytes > batchBytes)) {
          await loadSlow(part);
          part = [];
          partBytes = 0;
        }
        part.push(f);
        partBytes += f.plainBytes;
      }
      if (part.length) await loadSlow(part);
    } finally {
      writer.discard();
    }
    await Promise.all(batch.map((f) => f.obj.release()));
  };
  // Staged before the batch under way has loaded: Node reads and stages while DuckDB loads.
  const flushSlow = async () => {
    if (slow.length === 0) return;
    const batch = slow;
    slow = [];
    slowBytes = 0;
    const staged = await stageSlow(batch);
    noteRecordSize(staged.stage.recordBytes, staged.stage.records);
    await startLoad(async () => {
      try {
        await loadChecked(staged);
      } finally {
        await Promise.all(batch.map((f) => f.obj.release()));
      }
    });
  };
  const prepare = async (t: { obj: InputObject; sourceId: number }): Promise<Fetched> => {
    // A file that cannot be fetched or opened (a link to nothing, a file removed or made
    // unreadable since the listing, a download that failed) is reported and the run goes on.
    const unread = (what: string, e: unknown): Fetched => ({
      obj: t.obj, path: '', sourceId: t.sourceId, bytes: t.obj.size, plainBytes: t.obj.size, gzip: false, fast: false,
      readError: `cannot ${what} the file: ${(e as Error).message}`,
    });
    let path: string;
    try {
      path = await t.obj.fetch(tmp);
    } catch (e) {
      return unread('fetch', e);
    }
    let probe: ReturnType<typeof probeFile>;
    try {
      // Most delivery files are a few kB: probing reads them whole, and bundling needs no second read.
      probe = probeFile(path, t.obj.size, 64 * 1024);
    } catch (e) {
      return unread('read', e);
    }
    const { head, gzipSize } = probe;
    const gzip = isGzip(head);
    // The listing's size is the fetched file's size (local files are read in place, downloads are whole).
    const size = t.obj.size;
    const plainBytes = gzip ? (gzipSize ?? size) : size;
    const fast = maybeDelivery(head);
    return { obj: t.obj, path, sourceId: t.sourceId, bytes: size, plainBytes, gzip, fast, ...(fast && head.length === size ? { data: head } : {}) };
  };
  const inflight: Promise<Fetched>[] = [];
  // One batch loads in DuckDB while the next one's files are fetched and sniffed: a flush starts
  // only once the previous one has finished (batches commit in order), but does not stop fetching.
  let loading: Promise<void> = Promise.resolve();
  // Rows a small batch left in memory are checkpointed out before they crowd the next (db.ts).
  const startLoad = async (flush: () => Promise<void>) => {
    await loading;
    loading = flush().then(async () => void (await store.relieveMemory()));
    // A failure surfaces at the next wait on `loading`; keep it from being reported as unhandled meanwhile.
    loading.catch(() => undefined);
  };
  let sinceYield = 0;
  // Files are taken by index: shifting a 58,000-element array once per file cost about a second.
  let nextTodo = 0;
  while (nextTodo < todo.length || inflight.length > 0) {
    while (inflight.length < concurrency && nextTodo < todo.length) inflight.push(prepare(todo[nextTodo++]!));
    const f = await inflight.shift()!;
    // Local files are probed synchronously, so this loop could run through a whole batch's files
    // on promises that are already settled, and DuckDB's replies to the load under way (its next
    // statement) would wait for it: let them through every few files.
    if (++sinceYield >= 32) {
      sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
    if (!f.readError && Math.max(f.bytes, f.plainBytes) > largeFileBytes) {
      await startLoad(async () => {
        try {
          await loadLarge(f);
        } catch (e) {
          // The parts stored before stay; the next run reads the file again and finds them as duplicates.
          if (storeFailure(e)) throw e;
          await reportUnstored(f, e);
        } finally {
          await f.obj.release();
        }
      });
    } else if (f.fast) {
      if (fast.length > 0 && (fast.length >= batchFiles || fastBytes + f.plainBytes > Math.min(fastLimit, sizeLimit))) await startLoad(flushFast);
      (bundler ??= new BundleWriter(tmp, `bundle-${f.sourceId}`)).add(f);
      // The bytes read while probing are in the bundle now.
      delete f.data;
      fast.push(f);
      fastBytes += f.plainBytes;
    } else {
      if (slow.length >= batchFiles || slowBytes + f.plainBytes > sizeLimit) await flushSlow();
      slow.push(f);
      slowBytes += f.plainBytes;
    }
  }
  // The last batches: other containers are staged while the load under way runs (a load started
  // for an empty batch of delivery files would wait for it first).
  if (fast.length) await startLoad(flushFast);
  await flushSlow();
  await loading;
  await fsp.rm(tmp, { recursive: true, force: true });
  // Checkpoint while merging is off; later checkpoints (only other writes' row groups) merge as usual.
  await store.checkpoint();
  await store.run('RESET max_vacuum_tasks');
  await store.run('RESET disabled_compression_methods');

  summary.seconds = (Date.now() - started) / 1000;
  summary.eventsPerSecond = summary.seconds > 0 ? Math.round(summary.records / summary.seconds) : summary.records;
  summary.megabytesPerSecond = summary.seconds > 0 ? Math.round((summary.bytesRead / 1e6 / summary.seconds) * 10) / 10 : 0;
  return summary;
}

/**
 * A sortable time key for an object: the timestamp in a CloudTrail log file name
 * (`…_20260523T0747Z_…`), else a /yyyy/mm/dd/ key prefix, else '' (kept in listing order).
 */
export function timeKey(uri: string): string {
  const m = /_(\d{8}T\d{4})Z_[^/]*$/.exec(uri);
  if (m) return m[1]!;
  const d = /\/(\d{4})\/(\d{2})\/(\d{2})\//.exec(uri);
  return d ? `${d[1]}${d[2]}${d[3]}T` : '';
}

/** Items of a stream in groups of about `chars` characters of records, to be staged with one write each. */
async function* inGroups(items: AsyncIterable<ExtractedItem>, chars: number): AsyncGenerator<ExtractedItem[]> {
  let group: ExtractedItem[] = [];
  let size = 0;
  for await (const item of items) {
    group.push(item);
    size += 'record' in item ? (item.raw?.length ?? 1000) : 1000;
    if (size >= chars) {
      yield group;
      group = [];
      size = 0;
    }
  }
  if (group.length) yield group;
}

/**
 * Whether an error is the store's own (a full or unwritable disk, DuckDB invalidated or
 * interrupted) rather than one a file's content caused: the run stops on those.
 */
function storeFailure(e: unknown): boolean {
  return /^(IO|FATAL|INTERNAL|Interrupt) Error|database has been invalidated|ENOSPC|EACCES|EROFS|EIO/i.test((e as Error)?.message ?? '');
}

/** A staged record line given as bytes: `head` + `body` + `}` and a line feed. */
interface StagedBytes {
  head: string;
  body: Buffer;
}

function writeLine(out: WriteStream, s: string | Buffer): Promise<void> | void {
  if (!out.write(s)) return new Promise((r) => out.once('drain', () => r()));
}

/**
 * Keeps a copy of a file that could not be fully read, under <data-dir>/rejects/: the bytes that
 * were read, or (a large file, never held whole) a copy of the file.
 */
async function keepRejectedFile(dataDir: string, f: Fetched, buf?: Buffer): Promise<string> {
  const dir = join(dataDir, 'rejects');
  await fsp.mkdir(dir, { recursive: true });
  const id = createHash('sha256').update(`${f.obj.uri}\0${f.obj.size}\0${f.obj.etag ?? f.obj.mtimeMs ?? ''}`).digest('hex').slice(0, 16);
  const p = join(dir, `${id}-${basename(f.obj.uri).replace(/[^\w.-]/g, '_')}`);
  await (buf ? fsp.writeFile(p, buf) : fsp.copyFile(f.path, p));
  return p;
}
