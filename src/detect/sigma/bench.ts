/**
 * Single-core throughput of compiled Sigma rules over CloudTrail-like records.
 * Usage: node dist/src/detect/sigma/bench.js [records=200000] [suzakuRules=100]
 * Loads the 57 SigmaHQ rules plus the first N suzaku rules from ../shared/corpus and evaluates
 * them over records built by deep-copying the traildiscover examples (fresh objects, so no cache
 * carries over between copies), through the index and by scanning every rule.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMatcher, evaluate, loadSigmaSources, type CompiledSigmaRule } from './index.js';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? yamlFiles(path.join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [path.join(dir, e.name)] : []))
    .sort();
}

function main(): void {
  const corpus = path.resolve(process.cwd(), '../shared/corpus');
  const total = Number(process.argv[2] ?? 200_000);
  const suzakuCount = Number(process.argv[3] ?? 100);
  const files = [
    ...yamlFiles(path.join(corpus, 'sigma', 'rules')),
    ...yamlFiles(path.join(corpus, 'sigma-community', 'suzaku-rules', 'suzaku', 'aws', 'cloudtrail')).slice(0, suzakuCount),
  ];
  const t0 = process.hrtime.bigint();
  const set = loadSigmaSources(files.map((f) => ({ file: f, text: readFileSync(f, 'utf8') })));
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const rules: CompiledSigmaRule[] = set.rules;
  const idx = createMatcher(rules);

  const dir = path.join(corpus, 'traildiscover', 'logExamples');
  const texts: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const j = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as unknown;
    for (const r of Array.isArray(j) ? j : [j]) texts.push(JSON.stringify(r));
  }
  const records: object[] = [];
  for (let i = 0; i < total; i++) records.push(JSON.parse(texts[i % texts.length]!) as object);

  const runIndexed = (): number => {
    let hits = 0;
    const cb = () => {
      hits++;
    };
    for (let i = 0; i < records.length; i++) idx.forEachMatch(records[i]!, cb);
    return hits;
  };
  const runScan = (): number => {
    let hits = 0;
    for (let i = 0; i < records.length; i++) hits += evaluate(rules, records[i]!).length;
    return hits;
  };
  // CPU time as well as wall time: on a shared machine the wall clock also counts time spent waiting for a core.
  const time = (fn: () => number) => {
    const s = process.hrtime.bigint();
    const c = process.cpuUsage();
    const hits = fn();
    const ms = Number(process.hrtime.bigint() - s) / 1e6;
    const cpu = process.cpuUsage(c);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return { hits, ms, cpuMs, perSec: Math.round((records.length / ms) * 1000), perCpuSec: Math.round((records.length / cpuMs) * 1000) };
  };
  time(runIndexed);
  const indexed = time(runIndexed);
  time(runScan);
  const scan = time(runScan);
  console.log(
    JSON.stringify(
      {
        rules: rules.length,
        loadAndCompileMs: Math.round(loadMs),
        unconstrainedRules: idx.unconstrainedCount,
        records: records.length,
        indexed: { matches: indexed.hits, wallMs: Math.round(indexed.ms), cpuMs: Math.round(indexed.cpuMs), recordsPerSec: indexed.perSec, recordsPerCpuSec: indexed.perCpuSec },
        fullScan: { matches: scan.hits, wallMs: Math.round(scan.ms), cpuMs: Math.round(scan.cpuMs), recordsPerSec: scan.perSec, recordsPerCpuSec: scan.perCpuSec },
      },
      null,
      2,
    ),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
