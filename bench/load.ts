/**
 * Background-load accounting for a shared machine: how many cores the whole machine was busy
 * during a phase (from /proc/stat) versus how many this benchmark itself used, so figures taken
 * while other processes competed for the CPU are flagged instead of silently reported.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';

/** A point-in-time reading of machine-wide CPU time (jiffies) and wall time. */
export interface CpuMark {
  busy: number;
  total: number;
  at: number;
  ownCpuMs: number;
  /** CPU of this process's exited and reaped children (cutime + cstime), or NaN without /proc. */
  childCpuMs: number;
}

/** Linux reports per-process times in USER_HZ ticks, 100 per second on every mainstream build. */
const TICKS_PER_SECOND = 100;

function readChildCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of /proc/<pid>/stat (cutime, cstime); f[0] is field 3.
    return ((Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND) * 1000;
  } catch {
    return NaN;
  }
}

/** CPU use during one phase, in cores (0 … os.cpus().length). */
export interface PhaseLoad {
  seconds: number;
  /** Cores busy machine-wide on average (null where /proc/stat is unavailable). */
  machineCores: number | null;
  /** Cores used by this benchmark (its own process, or the measured child). */
  ownCores: number;
  /** Cores used by everything else: machine minus own, floored at 0. */
  otherCores: number | null;
  /** 1-minute load average at the end of the phase. */
  loadAvg1: number;
}

function readProcStat(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  } catch {
    return null;
  }
}

/** Marks the start of a phase. */
export function markCpu(): CpuMark {
  const s = readProcStat();
  const u = process.cpuUsage();
  return { busy: s?.busy ?? NaN, total: s?.total ?? NaN, at: performance.now(), ownCpuMs: (u.user + u.system) / 1000, childCpuMs: readChildCpuMs() };
}

/**
 * Ends a phase started with `markCpu`. The benchmark's own CPU is this process plus every child
 * process it ran and reaped during the phase (ingest, detections, the server, CLI calls). Where
 * /proc is unavailable, `fallbackChildCpuMs` stands in for the children's CPU.
 */
export function phaseLoad(start: CpuMark, fallbackChildCpuMs = 0): PhaseLoad {
  const end = markCpu();
  const seconds = (end.at - start.at) / 1000;
  const cores = os.cpus().length;
  const childMs = Number.isFinite(end.childCpuMs - start.childCpuMs) ? end.childCpuMs - start.childCpuMs : fallbackChildCpuMs;
  const ownCores = seconds > 0 ? (end.ownCpuMs - start.ownCpuMs + childMs) / 1000 / seconds : 0;
  const dTotal = end.total - start.total;
  const machineCores = Number.isFinite(dTotal) && dTotal > 0 ? ((end.busy - start.busy) / dTotal) * cores : null;
  return {
    seconds,
    machineCores,
    ownCores,
    otherCores: machineCores === null ? null : Math.max(0, machineCores - ownCores),
    loadAvg1: os.loadavg()[0]!,
  };
}
