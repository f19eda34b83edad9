/**
 * Shared set-up for the trail tests: a writer on a fake clock that logs for some hours into a
 * temporary folder, and small helpers to tamper with the result.
 */
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { record, tempDir } from '../helpers/fixtures.js';
import { TrailWriter, type TrailConfigInput } from '../../src/trail/writer.js';
import type { Destination } from '../../src/trail/destination.js';
import { validateLogs, type ValidateLogsOptions, type ValidationResult } from '../../src/trail/validate.js';

/** A mutable fake clock. */
export class Clock {
  constructor(public t: number) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** 2026-11-01T00:00:00Z. */
export const T0 = Date.parse('2026-11-01T00:00:00Z');
export const HOUR = 3_600_000;
export const MIN = 60_000;
export const ACCOUNT = '111122223333';
export const TRAIL = 'ai-trail';
export const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/${TRAIL}`;

/** A trail in a temp folder: `bucket/` is the destination (pseudo-bucket "bucket"). */
export interface TestTrail {
  dir: string;
  folder: string;
  clock: Clock;
  writer: TrailWriter;
  config: TrailConfigInput;
}

/** Opens a writer at T0 (or `at`) on a fresh or given folder. */
export async function openTrail(over: Partial<TrailConfigInput> = {}, dir = tempDir('aitrail-trail-'), at = T0, destination?: Destination): Promise<TestTrail> {
  const clock = new Clock(at);
  const config: TrailConfigInput = {
    name: TRAIL,
    accountId: ACCOUNT,
    homeRegion: 'us-east-1',
    destination: join(dir, 'bucket'),
    keyDir: join(dir, 'keys'),
    stateDir: join(dir, 'state'),
    deliveryIntervalMs: 5 * MIN,
    maxEventsPerFile: 1000,
    ...over,
  };
  const writer = await TrailWriter.open(config, { now: clock.now, ...(destination ? { destination } : {}) });
  return { dir, folder: join(dir, 'bucket'), clock, writer, config };
}

/** Logs `minutes` minutes: every 10 minutes, `perStep` records are appended; then ticks every 5 minutes. */
export async function logFor(t: TestTrail, minutes: number, perStep = 2, region = 'us-east-1'): Promise<void> {
  for (let m = 0; m < minutes; m += 5) {
    if (m % 10 === 0) {
      const recs = Array.from({ length: perStep }, () => record({ eventTime: new Date(t.clock.t - 30_000).toISOString().replace('.000', ''), awsRegion: region }));
      await t.writer.append(recs);
    }
    t.clock.advance(5 * MIN);
    await t.writer.tick();
  }
}

/** Runs validation over the test trail's folder with its own public keys. */
export async function validate(t: TestTrail, over: Partial<ValidateLogsOptions> = {}): Promise<ValidationResult> {
  return validateLogs({
    destination: t.folder,
    trailArn: ARN,
    startTime: new Date(T0),
    endTime: new Date(t.clock.t),
    publicKeys: await t.writer.listPublicKeys(),
    now: t.clock.now,
    verbose: true,
    ...over,
  });
}

/** Lists every key under a prefix of a destination. */
export async function keysUnder(d: Destination, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const k of d.list(prefix)) out.push(k);
  return out;
}

/** Decodes a gzipped JSON object. */
export function gunzipJson(b: Buffer): Record<string, unknown> {
  return JSON.parse(gunzipSync(b).toString('utf8')) as Record<string, unknown>;
}

/** Gzips JSON. */
export function gzipJson(v: unknown): Buffer {
  return gzipSync(JSON.stringify(v));
}

/** The INVALID lines of a result, in order. */
export function invalidLines(r: ValidationResult): string[] {
  return r.entries.filter((e) => e.status !== 'valid').map((e) => e.line);
}
