/**
 * Child process for the S3 benchmark: puts some of the bench's delivery files into a
 * real S3-protocol server (s3rver, a separate process) behind a proxy that holds every request
 * for a fixed latency, then measures, over the same objects through the same proxy:
 *   - the floor: every object downloaded with the AWS SDK, as many at once as ingest fetches, into
 *     memory, nothing else done;
 *   - aitrail's `ingest` of the prefix into a fresh store (listing, downloading, loading).
 * Prints one JSON line. Usage: node dist/bench/s3-child.js <logs-folder> <store-dir> <files> <latency-ms>
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { FOLDER_NOTE, listAllKeys, s3Front, startS3 } from '../test/helpers/s3server.js';
import { Store } from '../src/store/db.js';
import { ingest } from '../src/ingest/index.js';
import { FETCH_CONCURRENCY, makeS3Client } from '../src/ingest/sources.js';

/** The JSON line the child prints. */
export interface S3ChildResult {
  files: number;
  bytes: number;
  latencyMs: number;
  concurrency: number;
  floor: { seconds: number; cpuMs: number };
  ingest: { seconds: number; cpuMs: number; filesRead: number; records: number; eventsAdded: number };
}

const BUCKET = 'bench-trail';

async function main(): Promise<void> {
  const [logs, storeDir, filesArg, latencyArg] = process.argv.slice(2);
  if (!logs || !storeDir) throw new Error('usage: s3-child <logs-folder> <store-dir> <files> <latency-ms>');
  const wanted = Number(filesArg ?? 3000);
  const latencyMs = Number(latencyArg ?? 50);
  // Spread over the whole set (accounts, regions and days alike), so files are of the usual sizes.
  const all = (readdirSync(logs, { recursive: true }) as string[]).filter((f) => f.endsWith('.json.gz')).sort();
  const keys = Array.from({ length: Math.min(wanted, all.length) }, (_, i) => all[Math.floor((i * all.length) / Math.min(wanted, all.length))]!);
  const s3 = await startS3([BUCKET]);
  try {
    let bytes = 0;
    for (let i = 0; i < keys.length; i += 32) {
      await Promise.all(
        keys.slice(i, i + 32).map((k) => {
          const body = readFileSync(join(logs, k));
          bytes += body.length;
          return s3.put(BUCKET, k, body);
        }),
      );
    }
    // s3rver reports in a `/`-delimited listing only the subfolders that directly hold an object
    // (S3 reports every one), and ingest walks a prefix of more than 1,000 keys folder by folder:
    // a small note in each folder (not a log file: skipped by ingest, left out of the floor).
    await s3.fillFolders(BUCKET);
    const front = await s3Front(s3, { delayMs: latencyMs });
    const endpoint = front.endpoint;

    // Floor: list, then download every object, FETCH_CONCURRENCY at once, keeping nothing.
    const client = makeS3Client(endpoint);
    let cpu = process.cpuUsage();
    let t = performance.now();
    const listed = (await listAllKeys(client, BUCKET)).filter((k) => !k.endsWith(FOLDER_NOTE));
    let next = 0;
    const worker = async () => {
      while (next < listed.length) {
        const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: listed[next++]! }));
        await res.Body!.transformToByteArray();
      }
    };
    await Promise.all(Array.from({ length: FETCH_CONCURRENCY }, worker));
    const floor = { seconds: (performance.now() - t) / 1000, cpuMs: cpuMs(process.cpuUsage(cpu)) };
    client.destroy();
    if (listed.length !== keys.length) throw new Error(`listed ${listed.length} of ${keys.length} objects`);

    rmSync(storeDir, { recursive: true, force: true });
    const store = await Store.open({ dataDir: storeDir });
    cpu = process.cpuUsage();
    t = performance.now();
    const s = await ingest(store, [`s3://${BUCKET}/AWSLogs/`], { endpointUrl: endpoint });
    await store.close();
    const seconds = (performance.now() - t) / 1000;
    const out: S3ChildResult = {
      files: keys.length,
      bytes,
      latencyMs,
      concurrency: FETCH_CONCURRENCY,
      floor,
      ingest: { seconds, cpuMs: cpuMs(process.cpuUsage(cpu)), filesRead: s.filesRead, records: s.records, eventsAdded: s.eventsAdded },
    };
    process.stdout.write(JSON.stringify(out) + '\n');
    await front.close();
  } finally {
    await s3.stop();
    rmSync(storeDir, { recursive: true, force: true });
  }
}

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

main().catch((e: unknown) => {
  process.stderr.write(`s3-child failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
