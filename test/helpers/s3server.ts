/**
 * Starts a real S3-protocol server (s3rver) as a separate process on 127.0.0.1 for tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { S3Client, CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { tempDir, rmDir } from './fixtures.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Every key of a bucket, page by page, through `client`. */
export async function listAllKeys(client: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** The name of the objects fillFolders puts (no log file's name). */
export const FOLDER_NOTE = 'folder-note.txt';

/** A running S3 server with a client pointed at it. */
export interface S3Server {
  endpoint: string;
  client: S3Client;
  put(bucket: string, key: string, body: string | Buffer): Promise<void>;
  /**
   * Puts an object named FOLDER_NOTE into every folder of the bucket that holds none directly.
   * s3rver answers a `/`-delimited listing with only the subfolders that directly hold an object
   * (S3 gives every subfolder), so a bucket listed folder by folder needs one in each. Each note is
   * listed only when its folder is, and skipped as no log file: their count says which were.
   * Returns the folders given one.
   */
  fillFolders(bucket: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** Starts s3rver with a fresh data directory and creates `buckets`. */
export async function startS3(buckets: string[]): Promise<S3Server> {
  const dir = tempDir('aitrail-s3-');
  const port = await freePort();
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve('s3rver/package.json')), 'bin', 's3rver.js');
  // s3rver makes ListObjectsV2's continuation tokens with a cipher OpenSSL 3 keeps in its legacy
  // provider: without it, a listing of more than one page (1,000 keys) fails with a 500.
  const proc: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent'], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  for (let i = 0; ; i++) {
    try {
      for (const b of buckets) await client.send(new CreateBucketCommand({ Bucket: b }));
      break;
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    endpoint,
    client,
    put: async (bucket, key, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    fillFolders: async (bucket) => {
      const keys = await listAllKeys(client, bucket);
      const folders = new Set<string>(['']);
      const holding = new Set<string>();
      for (const k of keys) {
        const parts = k.split('/');
        for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/') + '/');
        if (!k.endsWith('/')) holding.add(k.slice(0, k.lastIndexOf('/') + 1));
      }
      const missing = [...folders].filter((f) => !holding.has(f));
      for (const f of missing) await client.send(new PutObjectCommand({ Bucket: bucket, Key: f + FOLDER_NOTE, Body: 'x' }));
      return missing;
    },
    stop: async () => {
      client.destroy();
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmDir(dir);
    },
  };
}

/** A proxy in front of an S3 server (see `s3Front`). */
export interface S3Front {
  endpoint: string;
  /** Requests answered with a redirect so far. */
  redirected(): number;
  /** The listings (ListObjectsV2) passed on so far: prefix, delimiter, and whether a later page. */
  listings: { prefix: string; delimited: boolean; page: boolean }[];
  /** The most listings that were in flight at once. */
  mostListingsAtOnce(): number;
  close(): Promise<void>;
}

/**
 * Starts a proxy to `s3` on 127.0.0.1 that notes the listings it passes on. With `delayMs`, every request waits that long first (the
 * latency of a distant S3). With `region`, only requests signed for that region are passed on;
 * any other gets S3's answer for a bucket that lives there: 301 PermanentRedirect with the header
 * `x-amz-bucket-region`.
 */
export async function s3Front(s3: S3Server, opts: { region?: string; delayMs?: number }): Promise<S3Front> {
  let redirected = 0;
  const listings: S3Front['listings'] = [];
  let listing = 0;
  let most = 0;
  const up = new URL(s3.endpoint);
  const scope = opts.region && `/${opts.region}/s3/aws4_request`;
  const server = createHttpServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const isList = req.method === 'GET' && q.get('list-type') === '2';
    if (isList) {
      most = Math.max(most, ++listing);
      res.on('close', () => listing--);
    }
    setTimeout(() => {
      if (scope && !String(req.headers.authorization).includes(scope)) {
        redirected++;
        res.writeHead(301, { 'x-amz-bucket-region': opts.region, 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message></Error>');
        return;
      }
      if (isList) listings.push({ prefix: q.get('prefix') ?? '', delimited: q.has('delimiter'), page: q.has('continuation-token') });
      const fwd = httpRequest({ host: up.hostname, port: up.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      fwd.on('error', (e) => res.writeHead(502).end(String(e)));
      req.pipe(fwd);
    }, opts.delayMs ?? 0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    redirected: () => redirected,
    listings,
    mostListingsAtOnce: () => most,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
