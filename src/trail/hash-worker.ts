/**
 * Worker thread of the log-hash pool: reads a log file, gunzips it and returns the SHA-256 of
 * its content (or why it could not), so validation uses every core.
 */
import { parentPort } from 'node:worker_threads';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { hashGzipStream, hashGzipSync, LogHashError } from './digest.js';

/** A request: hash the file at `path`; files larger than `maxBuffer` are streamed. */
export interface HashRequest {
  id: number;
  path: string;
  maxBuffer: number;
}

/** A reply: the hash, or the reason (`not found`, `invalid format`, …). */
export interface HashReply {
  id: number;
  hash?: string;
  error?: string;
}

async function handle(m: HashRequest): Promise<HashReply> {
  try {
    const size = statSync(m.path).size;
    if (size > m.maxBuffer) return { id: m.id, hash: (await hashGzipStream(createReadStream(m.path, { highWaterMark: 256 * 1024 }))).hash };
    return { id: m.id, hash: hashGzipSync(readFileSync(m.path)).hash };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { id: m.id, error: code === 'ENOENT' || code === 'EISDIR' ? 'not found' : e instanceof LogHashError ? e.reason : 'invalid format' };
  }
}

parentPort?.on('message', (m: HashRequest) => {
  void handle(m).then((r) => parentPort!.postMessage(r));
});
