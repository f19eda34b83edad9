/**
 * The server's entry: owns the store, listens, and shuts down in order
 * (stop accepting → drain → flush audit events → close the store).
 */
import os from 'node:os';
import { serve as honoServe } from '@hono/node-server';
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { Store, packageRoot } from '../store/db.js';
import { AitrailError } from '../model/errors.js';
import { createApp } from './app.js';
import { StoreAccess } from './db.js';
import { createToken, verifyToken } from './auth.js';
import { TrailManager } from '../trail/manager.js';

/** Options of `aitrail serve`. */
export interface ServeOptions {
  dataDir?: string;
  host?: string;
  port?: number;
  rulesDirs?: string[];
  noAuth?: boolean;
  /** Where the built console lives (default: web/dist of the package). */
  webDir?: string;
  /** Keep (and reuse) an admin token for the console in <data-dir>/console-token. */
  consoleToken?: boolean;
  log?: (line: string) => void;
  /** How often trails pick up newly stored events (ms). */
  trailIntervalMs?: number;
  /** DuckDB memory limit of the server's store, e.g. '1GB' (default: $AITRAIL_MEMORY_LIMIT or the store's default). */
  memoryLimit?: string;
}

/** A running server. */
export interface RunningServer {
  url: string;
  port: number;
  token?: string;
  close(): Promise<void>;
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/** Starts the server. */
export async function startServer(opts: ServeOptions = {}): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  if (opts.noAuth && !isLoopback(host)) {
    throw new AitrailError('USAGE', `refusing to serve without authentication on ${host}: --insecure-no-auth is allowed on loopback addresses only`);
  }
  // A server answers many small queries at once: DuckDB gets half the cores for parallelism
  // within a query, the rest serve other requests (AITRAIL_THREADS overrides).
  const store = await Store.open({ dataDir: opts.dataDir, memoryLimit: opts.memoryLimit, threads: Number(process.env.AITRAIL_THREADS) || Math.max(1, Math.floor(os.availableParallelism() / 2)) });
  // Pushes commit often; checkpointing (recompressing) only every few hundred MB of WAL keeps
  // each commit cheap, and the WAL keeps every acknowledged event durable meanwhile.
  await store.run(`SET checkpoint_threshold = '${process.env.AITRAIL_CHECKPOINT_THRESHOLD ?? '512MB'}'`);
  const access = await StoreAccess.create(store, 4);
  const version = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const webDir = opts.webDir ?? join(packageRoot(), 'web', 'dist');
  const trails = new TrailManager(store.dataDir, (fn) => access.write(fn), Date.now, (fn) => access.read(fn));
  access.storedListener = trails;
  const { app, auditor } = createApp({ access, webDir: existsSync(webDir) ? webDir : undefined, noAuth: opts.noAuth, version, rulesDirs: opts.rulesDirs, trails });
  if (opts.log) auditor.log = opts.log;
  // Self-audit events a previous run could not store (kept in <data-dir>/audit-pending.jsonl)
  // are stored first; if that fails they stay queued and on disk, and are retried.
  await auditor.recover();
  // Trails follow the store: every second, newly stored events go to every logging trail.
  let pumping = false;
  const pumpTimer = setInterval(() => {
    if (pumping) return;
    pumping = true;
    trails
      .pump()
      .catch((e: Error) => (opts.log ?? ((l: string) => process.stderr.write(l + '\n')))(`aitrail serve: trail delivery failed: ${e.message}`))
      .finally(() => (pumping = false));
  }, opts.trailIntervalMs ?? 1000);
  pumpTimer.unref();
  let token: string | undefined;
  if (opts.consoleToken && !opts.noAuth) {
    const file = join(store.dataDir, 'console-token');
    const saved = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
    if (saved && (await verifyToken(store, saved))) token = saved;
    else {
      token = (await createToken(store, `console-${Date.now().toString(36)}`, 'admin', 'aitrail start')).token;
      writeFileSync(file, token + '\n', { mode: 0o600 });
      chmodSync(file, 0o600);
    }
  }
  const server = await new Promise<ReturnType<typeof honoServe>>((resolve, reject) => {
    const s = honoServe({ fetch: app.fetch, hostname: host, port: opts.port ?? 8080 }, () => resolve(s));
    s.once('error', reject);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port ?? 8080;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    token,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((r) => server.close(() => r()));
        clearInterval(pumpTimer);
        await auditor.close();
        await trails.pump().catch(() => undefined);
        await trails.close();
        await access.close();
        await store.close();
      })()),
  };
}
