/**
 * Starts `aitrail serve` as a child process on a loopback port and waits until it answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const bin = fileURLToPath(new URL('../../../bin/aitrail.js', import.meta.url));

/** A running server: its process, base URL, and a promise of its exit. */
export interface Served {
  proc: ChildProcess;
  url: string;
  exited: Promise<unknown>;
}

/**
 * Starts the server on `port` over `data` and resolves once /api/health answers (within
 * `waitMs`; a large store takes longer to open). `stderr: 'inherit'` shows the server's log.
 */
export async function startServe(data: string, port: number, opts: { waitMs?: number; stderr?: 'ignore' | 'inherit' } = {}): Promise<Served> {
  const proc = spawn(process.execPath, [bin, 'serve', '--data-dir', data, '--port', String(port)], { stdio: ['ignore', 'ignore', opts.stderr ?? 'ignore'] });
  const exited = new Promise((r) => proc.once('exit', r));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < (opts.waitMs ?? 20_000) / 100; i++) {
    try {
      if ((await fetch(`${url}/api/health`)).ok) return { proc, url, exited };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error('server did not start');
}
