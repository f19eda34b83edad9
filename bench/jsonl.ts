/**
 * The JSON Lines data set of the benchmark: the first records of the generated delivery files
 * (in key order), written as files of 10,000 records, one per line, the way an export or a
 * Firehose delivery holds them. Reused while the delivery files it came from are the same.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** What was written. */
export interface JsonlSet {
  events: number;
  files: number;
  bytes: number;
}

const PER_FILE = 10_000;

/** Writes (or reuses) `events` records of `logsDir`'s delivery files as JSON Lines under `outDir`. */
export function prepareJsonl(logsDir: string, outDir: string, events: number, source: string): JsonlSet & { reused: boolean } {
  // Beside the folder, not in it: the folder is what is ingested.
  const markerPath = `${outDir}.marker.json`;
  if (existsSync(markerPath)) {
    const m = JSON.parse(readFileSync(markerPath, 'utf8')) as JsonlSet & { source: string; wanted: number };
    if (m.source === source && m.wanted === events) return { events: m.events, files: m.files, bytes: m.bytes, reused: true };
  }
  rmSync(outDir, { recursive: true, force: true });
  rmSync(markerPath, { force: true });
  mkdirSync(outDir, { recursive: true });
  const files = (readdirSync(logsDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.json.gz')).sort();
  let lines: string[] = [];
  const out: JsonlSet = { events: 0, files: 0, bytes: 0 };
  const flush = () => {
    if (lines.length === 0) return;
    const text = lines.join('\n') + '\n';
    writeFileSync(join(outDir, `part-${String(out.files).padStart(4, '0')}.jsonl`), text);
    out.files++;
    out.bytes += Buffer.byteLength(text);
    lines = [];
  };
  for (const f of files) {
    if (out.events >= events) break;
    const { Records } = JSON.parse(gunzipSync(readFileSync(join(logsDir, f))).toString('utf8')) as { Records: unknown[] };
    for (const r of Records) {
      if (out.events >= events) break;
      lines.push(JSON.stringify(r));
      out.events++;
      if (lines.length >= PER_FILE) flush();
    }
  }
  flush();
  writeFileSync(markerPath, JSON.stringify({ ...out, source, wanted: events }) + '\n');
  return { ...out, reused: false };
}
