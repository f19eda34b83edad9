/**
 * The built-in rule packs (rules/ai, rules/cis, rules/identity): they load without errors, carry
 * the metadata findings need, match the CIS patterns byte for byte, and pass their inline tests.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parse } from 'yaml';
import { packageRoot } from '../store/db.js';
import { SeveritySchema } from '../model/findings.js';
import { loadRules, type DetectionRule, type RuleSet } from './rules.js';
import { rulesMissingTests, runRuleTests } from './testing.js';
import { CIS_METRIC_FILTERS } from './metric-filter/cis.js';

const RULES_DIR = join(packageRoot(), 'rules');
let set: RuleSet;

before(async () => {
  set = await loadRules({ builtinDir: RULES_DIR });
});

const where = (r: DetectionRule) => `${relative(RULES_DIR, r.file)}:${r.line} (${r.id})`;
const fileId = (r: DetectionRule) => basename(r.file).replace(/\.ya?ml$/i, '');
const packRules = (pack: string) => set.rules.filter((r) => r.pack === pack);

test('built-in packs load without errors', () => {
  const errors = set.errors.map((e) => `${relative(RULES_DIR, e.file)}:${e.line}: ${e.message}`);
  assert.deepEqual(errors, []);
  assert.deepEqual(set.notApplicable.map((n) => `${relative(RULES_DIR, n.file)}:${n.line}: ${n.reason}`), []);
  assert.deepEqual([...new Set(set.rules.map((r) => r.pack))].sort(), ['ai', 'cis', 'identity']);
});

test('rule ids are unique and match file names', () => {
  const seen = new Map<string, string>();
  for (const r of set.rules) {
    assert.ok(!seen.has(r.id), `duplicate id ${r.id}: ${where(r)} and ${seen.get(r.id)}`);
    seen.set(r.id, where(r));
    assert.match(r.id, /^aws\.[a-z0-9_]+\.[a-z0-9_.]+$/, `id is not a dotted aws.<service>.<what> name: ${where(r)}`);
    if (r.kind === 'sigma' && !r.standalone) {
      // Base rules of a correlation live in the correlation's file and are named after it.
      assert.ok(r.id.startsWith(`${fileId(r)}.`), `base rule id should start with '${fileId(r)}.': ${where(r)}`);
    } else {
      assert.equal(r.id, fileId(r), `id differs from the file name: ${where(r)}`);
    }
  }
  // One alerting rule (or correlation) per file.
  const perFile = new Map<string, number>();
  for (const r of set.rules.filter((x) => x.standalone)) perFile.set(r.file, (perFile.get(r.file) ?? 0) + 1);
  for (const [file, n] of perFile) assert.equal(n, 1, `${relative(RULES_DIR, file)} holds ${n} alerting rules`);
});

test('every rule has the metadata findings need', () => {
  for (const r of set.rules) {
    assert.ok(r.title.trim(), `missing title: ${where(r)}`);
    assert.ok(r.description.trim().length >= 40, `missing or too short description: ${where(r)}`);
    assert.ok(SeveritySchema.safeParse(r.severity).success, `bad severity: ${where(r)}`);
    assert.ok(r.attack.length >= 1, `no ATT&CK technique tag (attack.tNNNN): ${where(r)}`);
    assert.ok(r.references.length >= 1, `no references: ${where(r)}`);
    for (const u of r.references) assert.match(u, /^https:\/\/\S+$/, `reference is not an https URL: ${where(r)}`);
    assert.ok(r.falsepositives.length >= 1, `no falsepositives: ${where(r)}`);
  }
  // The loader falls back to 'medium' for unknown levels, so check the level as written.
  for (const r of set.rules) {
    const level = r.kind === 'correlation' ? r.correlation?.level : r.kind === 'sigma' ? r.sigma?.level : undefined;
    if (r.kind !== 'metric-filter') assert.equal(level, r.severity, `level missing or invalid: ${where(r)}`);
  }
  for (const r of set.rules.filter((x) => x.kind === 'metric-filter')) {
    const raw = parse(readFileSync(r.file, 'utf8')) as { level?: unknown };
    assert.ok(SeveritySchema.safeParse(raw.level).success, `level missing or invalid: ${where(r)}`);
  }
});

test('the ai pack has at least 32 alerting rules, correlations included', () => {
  const ai = packRules('ai').filter((r) => r.standalone);
  assert.ok(ai.length >= 32, `ai pack has ${ai.length} rules`);
  assert.ok(ai.some((r) => r.kind === 'correlation'), 'ai pack has no correlation');
  // Base rules of correlations never alert alone.
  for (const r of set.rules.filter((x) => x.kind === 'sigma' && x.id !== fileId(x))) assert.equal(r.standalone, false, `base rule alerts alone: ${where(r)}`);
});

test('every CIS monitoring control 4.1-4.15 is a metric-filter rule with its exact pattern', () => {
  const cis = packRules('cis');
  assert.equal(cis.length, CIS_METRIC_FILTERS.length);
  for (const c of CIS_METRIC_FILTERS) {
    const prefix = `aws.cis.${c.cis.replace('.', '_')}_`;
    const found = cis.filter((r) => r.id.startsWith(prefix));
    assert.equal(found.length, 1, `CIS ${c.cis}: expected one rule with an id starting '${prefix}'`);
    const r = found[0]!;
    assert.equal(r.kind, 'metric-filter', `CIS ${c.cis} is not a metric-filter rule`);
    // 4.1 uses the CIS v3/v5 form (with the log-delivery and HeadBucket exclusions); the others their default.
    const expected = c.cis === '4.1' ? c.variants.find((v) => v.id === 'cis-v3-v5')!.pattern : c.pattern;
    assert.equal(r.pattern, expected, `CIS ${c.cis} pattern differs from CIS_METRIC_FILTERS`);
    assert.ok(c.variants.some((v) => v.pattern === r.pattern));
    const raw = parse(readFileSync(r.file, 'utf8')) as { cis?: unknown; cisV12?: unknown; securityHub?: unknown };
    assert.equal(raw.cis, c.cis, `${where(r)}: cis key`);
    assert.equal(raw.cisV12 ?? null, c.cisV12, `${where(r)}: cisV12 key`);
    assert.equal(raw.securityHub ?? null, c.securityHub, `${where(r)}: securityHub key`);
  }
});

test('every rule has a test that must match and one that must not', () => {
  assert.deepEqual(rulesMissingTests(set.rules).map(where), []);
});

test('all inline rule tests pass', () => {
  const results = runRuleTests(set);
  assert.ok(results.length >= 2 * set.rules.length);
  const failures = results
    .filter((r) => !r.passed)
    .map((r) => `${r.ruleId} (${relative(RULES_DIR, r.file)}:${r.line}) test '${r.test}': expected ${r.expected ? 'a match' : 'no match'}, got ${r.actual ? 'a match' : 'no match'}${r.error ? ` (error: ${r.error})` : ''}`);
  if (failures.length) console.error(failures.join('\n'));
  assert.deepEqual(failures, []);
});

test('identity pack covers the required detections', () => {
  const ids = new Set(packRules('identity').map((r) => r.id));
  for (const id of [
    'aws.signin.console_login_without_mfa',
    'aws.iam.root_account_activity',
    'aws.signin.console_login_failure_burst',
    'aws.iam.root_access_key_created',
    'aws.iam.access_key_created_for_another_user',
  ]) {
    assert.ok(ids.has(id), `missing ${id}`);
  }
  const other = set.rules.find((r) => r.id === 'aws.iam.access_key_created_for_another_user')!;
  assert.ok(other.fields?.includes('requestParameters.userName'), 'the another-user rule should compare fields with fieldref');
});
