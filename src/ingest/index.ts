/**
 * Ingest entry point: resolves source arguments (paths, s3:// URIs, `-` for stdin) into
 * objects and runs the pipeline over them.
 */
import { createReadStream, statSync } from 'node:fs';
import type { Store } from '../store/db.js';
import { ingestObjects, type IngestOptions, type IngestSummary } from './pipeline.js';
import { listLocal, listS3, makeS3Client, spoolStdin, type InputObject, type SkipReason } from './sources.js';

export type { IngestSummary, IngestProblem, IngestProgress } from './pipeline.js';

/** Options for `ingest`. */
export interface IngestRunOptions extends IngestOptions {
  startTime?: Date;
  endTime?: Date;
  endpointUrl?: string;
  region?: string;
  /** The AWS config files' profile whose credentials read S3 sources. */
  profile?: string;
  stdin?: NodeJS.ReadableStream;
  /** Hears, while an S3 source is listed, how many keys have been listed so far. */
  onListing?: (source: string, keys: number) => void;
}

/** Whether a path names a pipe, socket or device (read once, like stdin) rather than a file or folder. */
function isPipe(path: string): boolean {
  try {
    const st = statSync(path);
    return !st.isFile() && !st.isDirectory();
  } catch {
    return false;
  }
}

/** Ingests every source into the store and returns the run's summary. */
export async function ingest(store: Store, sources: string[], opts: IngestRunOptions = {}): Promise<IngestSummary> {
  const objects: InputObject[] = [];
  const skipped: { uri: string; reason: SkipReason }[] = [];
  const onSkip = (uri: string, reason: SkipReason) => skipped.push({ uri, reason });
  const range = { start: opts.startTime, end: opts.endTime };
  let s3: ReturnType<typeof makeS3Client> | undefined;
  let stdinRead = false;
  let pipeDir: string | undefined;
  for (const src of sources) {
    if (src === '-') {
      // Standard input can be read once: `-` named again adds nothing (as any source named twice).
      if (stdinRead) continue;
      stdinRead = true;
      objects.push(await spoolStdin(store.tmpDir(`stdin-${process.pid}`), opts.stdin));
    } else if (src.startsWith('s3://')) {
      s3 ??= makeS3Client(opts.endpointUrl, opts.region, opts.profile);
      objects.push(...(await listS3(s3, src, onSkip, range, opts.onListing && ((n) => opts.onListing!(src, n)))));
    } else if (isPipe(src)) {
      pipeDir ??= store.tmpDir(`pipe-${process.pid}`);
      objects.push(await spoolStdin(pipeDir, createReadStream(src), 'pipe'));
    } else {
      objects.push(...(await listLocal(src, onSkip, range)));
    }
  }
  try {
    return await ingestObjects(store, objects, skipped, opts);
  } finally {
    s3?.destroy();
  }
}
