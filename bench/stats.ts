/**
 * Timing helpers for the benchmarks: repeated runs after warm-ups, and nearest-rank percentiles.
 */
import { performance } from 'node:perf_hooks';

/** Latency summary of repeated runs, in milliseconds. */
export interface Timing {
  runs: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
  mean: number;
}

/** The nearest-rank percentile `p` (0–100) of ascending-sorted samples. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** Summarizes latency samples (milliseconds) into p50/p95/min/max/mean. */
export function summarizeTimes(samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { runs: s.length, p50: percentile(s, 50), p95: percentile(s, 95), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN, mean };
}

/** Runs `fn` `warmups` times untimed, then `runs` times timed, and summarizes the timed runs. */
export async function measure(fn: () => Promise<unknown>, runs: number, warmups = 3): Promise<Timing> {
  for (let i = 0; i < warmups; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return summarizeTimes(samples);
}

/** Asks V8 for a full collection when run with --expose-gc, so one phase's garbage does not land in the next. */
export function collectGarbage(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}
