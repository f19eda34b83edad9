/**
 * A small pool of worker threads that hash local log files (read, gunzip, SHA-256) in parallel;
 * validation of folder destinations is CPU-bound, and one thread per core beats async I/O on
 * the many small files CloudTrail writes.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { HashReply, HashRequest } from './hash-worker.js';

/** Hashes files on worker threads. */
export class HashPool {
  private workers: Array<{ w: Worker; load: number }> = [];
  private waiting = new Map<number, { resolve: (r: HashReply) => void; reject: (e: Error) => void; worker: number }>();
  private nextId = 0;

  /** Starts `size` workers (default: one per core). */
  constructor(size = availableParallelism()) {
    for (let i = 0; i < Math.max(1, size); i++) {
      const w = new Worker(new URL('./hash-worker.js', import.meta.url));
      w.unref();
      w.on('message', (r: HashReply) => {
        const p = this.waiting.get(r.id);
        if (!p) return;
        this.waiting.delete(r.id);
        this.workers[p.worker]!.load--;
        p.resolve(r);
      });
      w.on('error', (e) => {
        for (const [id, p] of this.waiting) if (p.worker === i) {
          this.waiting.delete(id);
          p.reject(e);
        }
      });
      this.workers.push({ w, load: 0 });
    }
  }

  /** Hashes the gzip file at `path` (see `hashGzipStream` for the error reasons). */
  hash(path: string, maxBuffer: number): Promise<HashReply> {
    let best = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.workers[i]!.load < this.workers[best]!.load) best = i;
    const id = this.nextId++;
    this.workers[best]!.load++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, worker: best });
      this.workers[best]!.w.postMessage({ id, path, maxBuffer } satisfies HashRequest);
    });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((x) => x.w.terminate()));
  }
}
