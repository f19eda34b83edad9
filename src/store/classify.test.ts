import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  AI_MAPPING,
  EVENT_NAME_VERSION_SUFFIX_REGEX,
  defaultAiConfig,
  type AiClassificationConfig,
  type AiCondition,
} from '../model/ai-activity.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { classificationSql, conditionSql, normalizedEventNameSql, sourceFamilies } from './classify.js';
import { Store, sqlString } from './db.js';
import { reclassify } from './load.js';
import { ingest } from '../ingest/index.js';

/** The table read as its documentation says: the first row whose source, name and condition hold. */
function byTable(source: string, name: string, conds: Record<AiCondition, boolean>): string | null {
  const nm = name.replace(new RegExp(EVENT_NAME_VERSION_SUFFIX_REGEX), '');
  for (const row of AI_MAPPING) {
    const sourceOk = row.sources.some((s) => (s.endsWith('*') ? source.startsWith(s.slice(0, -1)) : source === s));
    if (sourceOk && (!row.names || row.names.includes(nm)) && (!row.when || conds[row.when])) return `${row.service}|${row.activity}`;
  }
  return null;
}

/** A glob read literally: `*` any run of characters, `?` one character, nothing else special. */
function globMatches(value: string, glob: string): boolean {
  const re = glob
    .toLowerCase()
    .split('')
    .map((c) => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[\\^$.|?*+()[\]{}/-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`).test(value.toLowerCase());
}

async function connect() {
  return (await DuckDBInstance.create(':memory:')).connect();
}

test('source families: rows that can match the same eventSource share one, in the order of the table', () => {
  const families = sourceFamilies(AI_MAPPING);
  const bedrock = families.find((f) => f.sources.includes('bedrock*'))!;
  assert.ok(bedrock.rows.some((r) => r.sources.includes('bedrock-agentcore*')), 'bedrock-agentcore* overlaps bedrock*');
  for (const f of families) {
    const idx = f.rows.map((r) => AI_MAPPING.indexOf(r));
    assert.deepEqual(idx, [...idx].sort((a, b) => a - b));
  }
  assert.equal(families.reduce((n, f) => n + f.rows.length, 0), AI_MAPPING.length);
  // Rows given in an order that joins two families late still end in one.
  const joined = sourceFamilies([
    { service: 'llm', sources: ['a.x'], activity: 'other' },
    { service: 'llm', sources: ['b.x'], activity: 'other' },
    { service: 'llm', sources: ['a.x', 'b.x'], activity: 'inference' },
    { service: 'llm', sources: ['c*'], activity: 'other' },
    { service: 'llm', sources: ['cd.x'], activity: 'inference' },
  ]);
  assert.deepEqual(joined.map((f) => f.sources.sort()), [['a.x', 'b.x'], ['c*', 'cd.x']]);
});

test('classification SQL gives the first matching row of the table for every source, name and condition', async () => {
  const c = await connect();
  const sources = [
    ...new Set(AI_MAPPING.flatMap((r) => r.sources).flatMap((s) => (s.endsWith('*') ? [s.slice(0, -1) + 'amazonaws.com', s.slice(0, -1) + 'runtime.amazonaws.com', s.slice(0, -1)] : [s]))),
    'bedrock-runtime.amazonaws.com', 'bedrock-agentcore.amazonaws.com', 'bedrock-agent-runtime.amazonaws.com', 'iam.amazonaws.com', 'llm.gateway.local', 'sagemaker', '',
  ];
  const names = [...new Set([...AI_MAPPING.flatMap((r) => r.names ?? []), 'Invoke20150331', 'UpdateFunctionCode20150331v2', 'GetDistribution2019_03_26', 'Whatever', ''])];
  const conds: Record<AiCondition, boolean>[] = [];
  for (let m = 0; m < 16; m++) conds.push({ aiBucket: !!(m & 1), aiFunction: !!(m & 2), aiRepository: !!(m & 4), gpuInstance: !!(m & 8) });
  const cls = classificationSql({
    eventSource: 'es',
    eventName: 'nm',
    conditions: { aiBucket: 'b', aiFunction: 'f', aiRepository: 'r', gpuInstance: 'g' },
  });
  await c.run(`CREATE TABLE s AS SELECT unnest(${`[${sources.map(sqlString).join(', ')}]`}) AS es`);
  await c.run(`CREATE TABLE n AS SELECT unnest(${`[${names.map(sqlString).join(', ')}]`}) AS en`);
  const rows = (
    await c.runAndReadAll(`SELECT es, en, b, f, r, g, ${cls} AS cls FROM (
      SELECT es, en, ${normalizedEventNameSql('en')} AS nm, b, f, r, g FROM s, n,
        (SELECT unnest([false, true]) AS b), (SELECT unnest([false, true]) AS f), (SELECT unnest([false, true]) AS r), (SELECT unnest([false, true]) AS g))`)
  ).getRowObjectsJS();
  assert.equal(rows.length, sources.length * names.length * conds.length);
  let ai = 0;
  for (const row of rows) {
    const want = byTable(String(row.es), String(row.en), { aiBucket: !!row.b, aiFunction: !!row.f, aiRepository: !!row.r, gpuInstance: !!row.g });
    if (want) ai++;
    if (row.cls !== want) assert.fail(`${row.es} ${row.en} b=${row.b} f=${row.f} r=${row.r} g=${row.g}: SQL ${row.cls}, table ${want}`);
  }
  assert.ok(ai > rows.length / 10, `${ai} AI events among ${rows.length}`);
});

test('conditions: a name matches the globs as the globs read, lowercased, with no other special character', async () => {
  const c = await connect();
  const cfg: AiClassificationConfig = {
    ...defaultAiConfig(),
    aiBuckets: [...defaultAiConfig().aiBuckets, 'Exact.Bucket', 'a?c', 'x+y*', '(p)*', '[z]', '50%_off', 'back\\slash*', 'dot.?'],
  };
  const names = [
    'acme-ml-training-data', 'ACME-TRAINING', 'logs-bucket', 'ml-x', 'x-ml', 'xml', 'exact.bucket', 'exactxbucket', 'abc', 'a.c', 'ac', 'abbc',
    'x+yz', 'xxyz', '(p)q', 'pq', '[z]', 'z', '50%_off', '50x_off', 'back\\slash-1', 'dot.x', 'dotxx', 'ai-team', 'team-ai', 'chain', 'rag-docs', 'dragon', '',
  ];
  const inputs = { bucketName: 'v', functionName: 'v', repositoryName: 'v', instanceType: 'v' };
  const rows = (
    await c.runAndReadAll(`SELECT v, ${conditionSql('aiBucket', inputs, cfg)} AS hit FROM (SELECT unnest([${names.map(sqlString).join(', ')}]) AS v)`)
  ).getRowObjectsJS();
  let hits = 0;
  for (const row of rows) {
    const want = cfg.aiBuckets.some((g) => globMatches(String(row.v), g));
    if (want) hits++;
    assert.equal(row.hit, want, `${row.v}`);
  }
  assert.ok(hits >= 10 && hits < names.length, `${hits} of ${names.length}`);
  const none = (await c.runAndReadAll(`SELECT ${conditionSql('aiBucket', inputs, { ...cfg, aiBuckets: [] })} AS hit FROM (SELECT 'model' AS v)`)).getRowObjectsJS();
  assert.equal(none[0]!.hit, false);
});

test('reclassify: new AI name lists apply to every stored event, Lambda names by function ARN included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aitrail-reclassify-'));
  try {
    const ev = (id: string, source: string, name: string, requestParameters: Record<string, unknown>, resources?: unknown[]) => ({
      eventVersion: '1.08', eventTime: '2026-11-01T10:00:00Z', eventSource: source, eventName: name, awsRegion: 'us-east-1',
      eventID: id, recipientAccountId: '111122223333', userIdentity: { type: 'IAMUser', userName: 'bob' }, requestParameters, ...(resources ? { resources } : {}),
    });
    const records = [
      ev('s1', 's3.amazonaws.com', 'GetObject', { bucketName: 'Corp-Logs-2026' }),
      ev('s2', 's3.amazonaws.com', 'PutObject', { bucketName: 'team-training-data' }),
      ev('l1', 'lambda.amazonaws.com', 'Invoke20150331', {}, [{ ARN: 'arn:aws:lambda:us-east-1:111122223333:function:Summarize-Tickets', type: 'AWS::Lambda::Function' }]),
      ev('r1', 'ecr.amazonaws.com', 'BatchGetImage', { repositoryName: 'web-frontend' }),
    ];
    const file = join(dir, '111122223333_CloudTrail_us-east-1_20261101T1000Z_abc.json');
    writeFileSync(file, JSON.stringify({ Records: records }));
    const store = await Store.open({ dataDir: join(dir, 'data') });
    try {
      await ingest(store, [file]);
      const activities = async () =>
        Object.fromEntries((await store.all('SELECT eventId, aiActivity FROM event_store ORDER BY eventId')).map((r) => [r.eventId, r.aiActivity]));
      assert.deepEqual(await activities(), { l1: null, r1: null, s1: null, s2: 'data-change' });
      const changed = await reclassify(store, { aiBuckets: ['*logs*'], aiFunctions: ['summarize-*'], aiRepositories: ['web-?rontend'] });
      assert.equal(changed, 4);
      assert.deepEqual(await activities(), { l1: 'inference', r1: 'deployment', s1: 'data-access', s2: null });
      assert.equal(await reclassify(store, { aiBuckets: ['*logs*'], aiFunctions: ['summarize-*'], aiRepositories: ['web-?rontend'] }), 0);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
