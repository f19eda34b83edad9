/**
 * Worker thread for the parse floor: reads, gunzips and JSON.parses its share of the delivery
 * files and counts their records. It stores nothing; it is the least work any ingest must do.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parentPort, workerData } from 'node:worker_threads';

/** What one floor worker reports back. */
export interface FloorWorkerResult {
  files: number;
  records: number;
  compressedBytes: number;
  plainBytes: number;
}

const files = (workerData as { files: string[] }).files;
const out: FloorWorkerResult = { files: 0, records: 0, compressedBytes: 0, plainBytes: 0 };
for (const f of files) {
  const gz = readFileSync(f);
  const plain = gunzipSync(gz);
  const doc = JSON.parse(plain.toString('utf8')) as { Records?: unknown[] };
  out.files++;
  out.records += Array.isArray(doc.Records) ? doc.Records.length : 0;
  out.compressedBytes += gz.length;
  out.plainBytes += plain.length;
}
parentPort!.postMessage(out);
