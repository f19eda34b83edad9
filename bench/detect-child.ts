/**
 * Runs detections over the bench store in its own process, so its peak memory is its own.
 * Usage: node dist/bench/detect-child.js STORE_DIR [RULES_DIR…]; prints one JSON line.
 */
import { Store } from '../src/store/db.js';
import { detect } from '../src/detect/run.js';

const [storeDir, ...dirs] = process.argv.slice(2);
const store = await Store.open({ dataDir: storeDir!, memoryLimit: process.env.AITRAIL_MEMORY_LIMIT ?? '384MB' });
try {
  await store.run('DELETE FROM findings');
  const t = performance.now();
  const s = await detect(store, { rulesDirs: dirs });
  const seconds = (performance.now() - t) / 1000;
  const findings = Number((await store.one('SELECT count(*) AS n FROM findings'))!.n);
  process.stdout.write(
    JSON.stringify({ seconds, events: s.events, matches: s.matches, correlationMatches: s.correlationMatches, findings, fullRecords: s.fullRecordsParsed, partialRecords: s.partialRecordsParsed, rulesOnValues: s.rulesOnValues, valueCombinations: s.valueCombinations, rulesOnHotRows: s.rulesOnHotRows, hotRows: s.hotRows, peakRssBytes: process.resourceUsage().maxRSS * 1024 }) + '\n',
  );
} finally {
  await store.close();
}
