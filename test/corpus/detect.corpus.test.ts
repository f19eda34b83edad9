/**
 * Opt-in (`npm run test:corpus`): every corpus event shape, every built-in, SigmaHQ and community
 * rule. Detection that reads typed columns and extracted record members must find exactly what
 * it finds when every rule reads whole records. Skips when the corpus is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Store } from '../../src/store/db.js';
import { ingest } from '../../src/ingest/index.js';
import { detect, type DetectSummary } from '../../src/detect/run.js';
import { tempDir, rmDir } from '../helpers/fixtures.js';

const corpus = resolve(process.cwd(), '../shared/corpus');
const present = existsSync(join(corpus, 'sigma'));
const EVENT_DIRS = ['traildiscover/logExamples', 'panther-analysis/cloudtrail', 'panther-analysis/test_scenarios', 'awsdocs-examples', 'otrf-security-datasets', 'cloud-custodian-cwe', 'blog-transcribed'];
const RULE_DIRS = ['sigma/rules', 'sigma-community/suzaku-rules/suzaku/aws/cloudtrail'];

test('over the corpus, findings from typed columns and extracted members equal findings from whole records', { skip: !present && 'no ../shared/corpus', timeout: 600_000 }, async () => {
  const dir = tempDir();
  const stores: Store[] = [];
  try {
    const sources = EVENT_DIRS.map((d) => join(corpus, d)).filter((d) => existsSync(d));
    const rulesDirs = RULE_DIRS.map((d) => join(corpus, d)).filter((d) => existsSync(d));
    const placeholders = { Legitimate_Countries: ['US', 'JP'], Legitimate_IP_Ranges: ['10.*', '192.168.*'] };
    const out: { summary: DetectSummary; findings: string[] }[] = [];
    for (const wholeRecords of [false, true]) {
      const store = await Store.open({ dataDir: join(dir, `data-${wholeRecords}`) });
      stores.push(store);
      await ingest(store, sources);
      // valuesMinRows 0: rules on typed columns run on value combinations whatever their event count.
      const summary = await detect(store, { rulesDirs, placeholders, wholeRecords, valuesMinRows: 0, now: new Date('2026-01-01T00:00:00Z') });
      const rows = await store.all(`SELECT findingId, ruleId, dedupKey, region, firstEventTime, lastEventTime, eventCount, eventIds FROM findings`);
      out.push({
        summary,
        findings: rows
          .map((r) => `${String(r.ruleId)} ${String(r.dedupKey)} ${[...(r.eventIds as string[])].sort().join(',')} ${String(r.findingId)} ${String(r.region)} ${(r.firstEventTime as Date).toISOString()} ${(r.lastEventTime as Date).toISOString()} ${Number(r.eventCount)}`)
          .sort(),
      });
    }
    const [fast, whole] = out as [(typeof out)[0], (typeof out)[0]];
    assert.ok(fast.summary.events > 500, `events ${fast.summary.events}`);
    assert.ok(fast.summary.partialRecordsParsed > 0);
    assert.ok(fast.summary.rulesOnValues > 0 && whole.summary.rulesOnValues === 0);
    assert.ok(fast.findings.length > 20, `findings ${fast.findings.length}`);
    assert.equal(fast.summary.matches, whole.summary.matches);
    assert.equal(fast.summary.correlationMatches, whole.summary.correlationMatches);
    assert.deepEqual(fast.findings, whole.findings);
  } finally {
    for (const s of stores) await s.close();
    rmDir(dir);
  }
});
