/**
 * Opt-in corpus check: loads the real SigmaHQ and suzaku CloudTrail rules from ../shared/corpus
 * and runs them over the traildiscover example events. Skipped when the corpus is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  createCorrelationEngine,
  createMatcher,
  correlationInput,
  evaluate,
  formatSigmaError,
  LEGACY_V1_MESSAGE,
  loadSigmaDir,
  type CompiledSigmaRule,
} from './index.js';

const corpus = path.resolve(process.cwd(), '../shared/corpus');
const present = existsSync(path.join(corpus, 'sigma')) && existsSync(path.join(corpus, 'traildiscover', 'logExamples'));
// Skipped (not failed) when the corpus is absent.
const skip = present ? false : `corpus not found under ${corpus}`;

const sigmaHq = path.join(corpus, 'sigma', 'rules');
const placeholderDir = path.join(corpus, 'sigma', 'rules-placeholder');
const unsupportedDir = path.join(corpus, 'sigma', 'unsupported');
const suzakuDir = path.join(corpus, 'sigma-community', 'suzaku-rules', 'suzaku', 'aws', 'cloudtrail');
const examplesDir = path.join(corpus, 'traildiscover', 'logExamples');
const placeholders = { Legitimate_Countries: ['US', 'JP'], Legitimate_IP_Ranges: ['10.*', '192.168.*'] };

function countYaml(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countYaml(path.join(dir, e.name));
    else if (/\.ya?ml$/.test(e.name)) n++;
  }
  return n;
}

function examples(): { file: string; records: Record<string, unknown>[] }[] {
  return readdirSync(examplesDir)
    .sort()
    .map((f) => {
      const j = JSON.parse(readFileSync(path.join(examplesDir, f), 'utf8')) as unknown;
      const records = (Array.isArray(j) ? j : [j]) as Record<string, unknown>[];
      return { file: f, records };
    });
}

test('all 57 SigmaHQ CloudTrail rules load and apply to CloudTrail', { skip }, async () => {
  const set = await loadSigmaDir([sigmaHq]);
  assert.deepEqual(set.errors.map(formatSigmaError), []);
  assert.equal(countYaml(sigmaHq), 57);
  assert.equal(set.rules.length, 57);
  assert.deepEqual(set.notApplicable, []);
});

test('the placeholder rule loads with placeholder values and is rejected, naming them, without', { skip }, async () => {
  const ok = await loadSigmaDir([placeholderDir], { placeholders });
  assert.deepEqual(ok.errors.map(formatSigmaError), []);
  assert.equal(ok.rules.length, 1);
  const missing = await loadSigmaDir([placeholderDir]);
  assert.equal(missing.rules.length, 0);
  const msgs = missing.errors.map((e) => e.message).join('\n');
  assert.match(msgs, /unknown placeholder '%Legitimate_Countries%'/);
  assert.match(msgs, /unknown placeholder '%Legitimate_IP_Ranges%'/);
});

test('the 8 legacy v1 rules are reported as unsupported with the reason', { skip }, async () => {
  const set = await loadSigmaDir([unsupportedDir]);
  assert.equal(set.rules.length, 0);
  const files = new Set(set.errors.map((e) => path.basename(e.file)));
  assert.equal(files.size, 8);
  assert.equal(countYaml(unsupportedDir), 8);
  for (const e of set.errors) {
    assert.ok(e.message.startsWith(LEGACY_V1_MESSAGE), formatSigmaError(e));
    assert.ok(e.line > 1);
  }
});

test('all 738 suzaku files load, including the 5 multi-document correlation files', { skip }, async () => {
  const set = await loadSigmaDir([suzakuDir]);
  assert.deepEqual(set.errors.map(formatSigmaError), []);
  assert.equal(set.files.length, 738);
  assert.equal(set.correlations.length, 5);
  assert.deepEqual(set.correlations.map((c) => c.correlation.type).sort(), ['event_count', 'event_count', 'temporal_ordered', 'temporal_ordered', 'value_count']);
  // 733 single-rule files + 7 base rules inside correlation files, one of which duplicates a standalone rule.
  assert.equal(set.rules.length, 739);
  const filesWithSomething = new Set([...set.rules.map((r) => r.rule.source.file), ...set.correlations.map((c) => c.source.file)]);
  assert.equal(filesWithSomething.size, 738);
  const correlationOnly = set.rules.filter((r) => !r.standalone).map((r) => r.title).sort();
  assert.deepEqual(correlationOnly, ['AccessDenied Error', 'GetCallerIdentity Call', 'IAM CreateAccessKey', 'IAM CreateUser', 'Recon Event', 'S3 ListBuckets Call']);
});

test('every rule runs over every example event; index and full scan agree; matches are sensible', { skip }, async () => {
  const set = await loadSigmaDir([sigmaHq, placeholderDir, unsupportedDir, suzakuDir], { placeholders });
  assert.ok(set.errors.every((e) => e.message.startsWith(LEGACY_V1_MESSAGE)));
  assert.equal(set.rules.length, 57 + 1 + 739);
  const idx = createMatcher(set.rules);
  const ex = examples();
  let records = 0;
  let matches = 0;
  const hitRules = new Set<CompiledSigmaRule>();
  for (const { records: recs } of ex) {
    for (const rec of recs) {
      records++;
      const viaIndex = idx.matches(rec).map((r) => r.id).sort();
      const full = evaluate(set.rules, rec).map((r) => r.id).sort();
      assert.deepEqual(viaIndex, full, `index disagrees on ${String(rec.eventName)}`);
      matches += full.length;
      for (const r of evaluate(set.rules, rec)) hitRules.add(r);
    }
  }
  const sigmaHits = [...hitRules].filter((r) => r.rule.source.file.startsWith(sigmaHq));
  console.log(`corpus: ${records} records, ${matches} matches, ${hitRules.size} distinct rules fired (${sigmaHits.length} SigmaHQ)`);
  assert.ok(records > 500);
  assert.ok(matches > 1000, `only ${matches} matches`);
  assert.ok(sigmaHits.length >= 15, `only ${sigmaHits.length} SigmaHQ rules fired`);
});

test('each suzaku success/attempt pair fires exactly the right rule on its own example events', { skip }, async () => {
  const set = await loadSigmaDir([suzakuDir]);
  type Pair = { success?: CompiledSigmaRule; attempt?: CompiledSigmaRule };
  const pairs = new Map<string, Pair>();
  for (const r of set.rules) {
    const cond = r.rule.detection.conditionText.join(' ');
    const kind = cond === 'selection and not (error_code or error_msg)' ? 'success' : cond === 'selection and (error_code or error_msg)' ? 'attempt' : undefined;
    if (!kind || r.eventNames?.length !== 1 || r.eventSources?.length !== 1) continue;
    const key = `${r.eventSources[0]}|${r.eventNames[0]}`;
    const p = pairs.get(key) ?? {};
    p[kind] = r;
    pairs.set(key, p);
  }
  assert.ok(pairs.size >= 340, `${pairs.size} pairs`);
  let checked = 0;
  const examplesByPair = new Set<string>();
  for (const { file, records } of examples()) {
    for (const rec of records) {
      if (typeof rec.eventName !== 'string' || typeof rec.eventSource !== 'string') continue;
      const key = `${rec.eventSource.toLowerCase()}|${rec.eventName.toLowerCase()}`;
      const p = pairs.get(key);
      if (!p?.success || !p.attempt) continue;
      const failed = rec.errorCode !== undefined || rec.errorMessage !== undefined;
      assert.equal(p.attempt.match(rec), failed, `${file}: attempt rule '${p.attempt.title}'`);
      assert.equal(p.success.match(rec), !failed, `${file}: success rule '${p.success.title}'`);
      checked++;
      examplesByPair.add(key);
    }
  }
  console.log(`suzaku pairs: ${pairs.size}, example events checked: ${checked}, pairs exercised: ${examplesByPair.size}`);
  assert.ok(checked >= 450, `only ${checked} example events had a suzaku pair`);
});

test('correlations run over the example stream without growing memory', { skip }, async () => {
  const set = await loadSigmaDir([sigmaHq, suzakuDir]);
  const idx = createMatcher(set.rules);
  const engine = createCorrelationEngine(set);
  assert.deepEqual(engine.errors, []);
  const all = examples()
    .flatMap((e) => e.records)
    .filter((r) => typeof r.eventTime === 'string')
    .sort((a, b) => Date.parse(a.eventTime as string) - Date.parse(b.eventTime as string));
  let fired = 0;
  for (const rec of all) {
    const m = idx.matches(rec);
    if (m.length) fired += engine.push(correlationInput(rec, m)).length;
  }
  fired += engine.flush().length;
  console.log(`correlations over ${all.length} time-ordered examples: ${fired} fired, ${engine.size.groups} groups left`);
  assert.ok(engine.size.events < all.length);
});
