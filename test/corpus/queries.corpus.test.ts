/**
 * Opt-in (`npm run test:corpus`): the published Athena queries over CloudTrail (AWS's incident
 * response playbooks and workshop, the Athena user guide) run on `cloudtrail_logs`, and the
 * published CloudTrail Lake queries (AWS's samples, the CloudTrail user guide) on
 * `cloudtrail_lake`, over real corpus events, their table names and placeholders filled in. A
 * query that fails must fail for a reason listed here (a table of other logs, a mistake in the
 * sample itself, or what Athena's own table refuses as well); any other failure is a gap in
 * aitrail's compatibility and fails the check. Skips when the corpus is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Store } from '../../src/store/db.js';
import { ingest } from '../../src/ingest/index.js';
import { runSql } from '../../src/store/events.js';
import { rewriteTrinoCalls } from '../../src/query/trino.js';
import { tempDir, rmDir } from '../helpers/fixtures.js';

const corpus = resolve(process.cwd(), '../shared/corpus');
const present = existsSync(corpus);

function sqlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sqlFiles(p));
    else if (name.endsWith('.sql')) out.push(p);
  }
  return out;
}

/** The SELECT statements of a file of queries (comments dropped, split at `;`). */
function selects(path: string): string[] {
  const text = readFileSync(path, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/--[^\n]*/g, '');
  return text.split(';').map((s) => s.trim()).filter((s) => /^(SELECT|WITH)\b/i.test(s));
}

/** Failures that are not aitrail's: each a pattern of DuckDB's error, and why. */
const EXPECTED: [RegExp, string][] = [
  [/Table with name (s3_access_logs|cloudfront_logs|waf_logs|vpc_flow_logs) does not exist/, 'a table of other logs'],
  [/syntax error at or near "SELECT"/, 'two queries without a ; between them'],
];

/** Runs `fn` on a store holding the corpus's events. */
async function withCorpusStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const store = await Store.open({ dataDir: join(dir, 'data') });
  try {
    const s = await ingest(store, ['traildiscover/logExamples', 'awsdocs-examples', 'cloud-custodian-cwe', 'blog-transcribed'].map((d) => join(corpus, d)));
    assert.ok(s.eventsAdded > 400, `${s.eventsAdded} events`);
    await fn(store);
  } finally {
    await store.close();
    rmDir(dir);
  }
}

/** A statement's tree as DuckDB parses it. */
async function parsed(store: Store, sql: string): Promise<{ error?: boolean }> {
  return JSON.parse(String((await store.one('SELECT json_serialize_sql(CAST(? AS VARCHAR)) AS j', [sql]))!.j)) as { error?: boolean };
}

/** A tree without the places of its nodes in the text (which differ between two texts). */
function placeless(n: unknown): unknown {
  if (Array.isArray(n)) return n.map(placeless);
  if (!n || typeof n !== 'object') return n;
  return Object.fromEntries(Object.entries(n).filter(([k]) => k !== 'query_location').map(([k, v]) => [k, placeless(v)]));
}

/**
 * Runs each query and sorts the failures by `reason` (undefined: not a known one); fails on any
 * failure without a known reason. Says how many ran.
 */
async function runAll(store: Store, label: string, queries: { file: string; sql: string }[], reason: (file: string, msg: string) => string | undefined): Promise<number> {
  let ran = 0;
  let rows = 0;
  const why = new Map<string, number>();
  const unexpected: string[] = [];
  let same = 0;
  for (const q of queries) {
    // A statement with Trino calls runs as DuckDB writes back its rewritten tree (src/query/trino.ts):
    // written back, every published statement must parse to the very tree it came from.
    const tree = await parsed(store, q.sql);
    if (!tree.error) {
      const rewritten = rewriteTrinoCalls(tree).tree;
      const back = String((await store.one('SELECT json_deserialize_sql(CAST(? AS JSON)) AS s', [JSON.stringify(rewritten)]))!.s);
      if (JSON.stringify(placeless(await parsed(store, back))) === JSON.stringify(placeless(rewritten))) same++;
      else unexpected.push(`${q.file}: written back as ${back.slice(0, 200)}\n  → parses to another tree`);
    }
    try {
      rows += (await runSql(store, q.sql, 100, { timeoutMs: 60_000 })).rows.length;
      ran++;
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0]!;
      const known = reason(q.file, msg);
      if (known) why.set(known, (why.get(known) ?? 0) + 1);
      else unexpected.push(`${q.file}: ${q.sql.replace(/\s+/g, ' ').slice(0, 200)}\n  → ${msg}`);
    }
  }
  console.log(`# ${label}: ${queries.length}; ${ran} ran (${rows} rows), ${[...why].map(([w, n]) => `${n} on ${w}`).join(', ')}; ${same} written back unchanged`);
  assert.deepEqual(unexpected, []);
  assert.ok(rows > 0);
  assert.ok(same >= ran, `${same} written back unchanged, ${ran} ran`);
  return ran;
}

test('the published Athena queries over CloudTrail run on cloudtrail_logs', { skip: !present && 'no ../shared/corpus' }, async () => {
  await withCorpusStore(async (store) => {
    const queries = sqlFiles(join(corpus, 'queries/athena')).flatMap((file) =>
      // Whatever the query calls its CloudTrail table (`cloudtrail_logs_pp`, `"db"."…cloudtrail…"`).
      selects(file).map((q) => ({ file: file.slice(corpus.length + 1), sql: q.replace(/("\w+"\.)?"?\w*cloudtrail\w*"?/gi, 'cloudtrail_logs') })));
    const ran = await runAll(store, 'Athena queries', queries, (_, msg) => EXPECTED.find(([re]) => re.test(msg))?.[1]);
    assert.ok(ran >= 47, `${ran} ran`);
  });
});

/** Lake samples that cannot run anywhere as published, or query something else: file, and why. */
const LAKE_EXPECTED: [RegExp, string][] = [
  [/ConfigItemCountQuery\.sql$|ssm-patch-compliance-/, 'a data store of AWS Config items'],
  [/top-errors\.sql$|top-s3-actions\.sql$|list-attempted-s3-requests\.\.sql$/, 'a typo in the sample: no space before ORDER BY'],
  [/iam-idc-authenticate-api\.sql$/, 'a typo in the sample: FROM FROM'],
  [/list-all-errors-for-s3-events\.sql$|list-all-events-not-in-authorized-region\.sql$|list-publicly-accessible-rds-instances\.sql$/, 'an example pasted after the query'],
  [/query-create-edit-query-01\.sql$/, "a typo in the guide: '< ='"],
  [/network-activity-events-vpce-access-denied-s3\.sql$/, 'a column selected but not grouped by'],
];

test('the published CloudTrail Lake queries run on cloudtrail_lake', { skip: !present && 'no ../shared/corpus' }, async () => {
  await withCorpusStore(async (store) => {
    const queries = sqlFiles(join(corpus, 'queries/cloudtrail-lake')).flatMap((file) =>
      selects(file).map((q) => ({
        file: file.slice(corpus.length + 1),
        // The data store's id, however the sample writes its placeholder, and its other placeholders.
        sql: q.replace(/\$\{\w+\}/g, '2026-01-01 00:00:00').replace(
          /\$EDS_ID|<[^<>=']*(EDS|event[_ -]data[_ -]store)[^<>=']*>|\bevent_data_store_ID\b|\beds-ID\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi,
          'cloudtrail_lake'),
      })));
    const ran = await runAll(store, 'Lake queries', queries, (file) => LAKE_EXPECTED.find(([re]) => re.test(file))?.[1]);
    assert.ok(ran >= 63, `${ran} ran`);
  });
});
