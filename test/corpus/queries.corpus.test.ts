/**
 * Opt-in (`npm run test:corpus`): the published Athena queries over CloudTrail (AWS's incident
 * response playbooks and workshop, the Athena user guide) run on `cloudtrail_logs` over real
 * corpus events, their table name replaced. A query that fails must fail for a reason listed
 * here (a table of other logs, or what Athena's own CloudTrail table refuses as well); any other
 * failure is a gap in aitrail's Athena compatibility and fails the check. Skips when the corpus
 * is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Store } from '../../src/store/db.js';
import { ingest } from '../../src/ingest/index.js';
import { runSql } from '../../src/store/events.js';
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

/** The SELECT statements of a file of queries (comments dropped, split at `;` ending a line). */
function selects(path: string): string[] {
  const text = readFileSync(path, 'utf8').replace(/--[^\n]*/g, '');
  return text.split(/;\s*(?:\n|$)/).map((s) => s.trim()).filter((s) => /^(SELECT|WITH)\b/i.test(s));
}

/** Failures that are not aitrail's: each a pattern of DuckDB's error, and why. */
const EXPECTED: [RegExp, string][] = [
  [/Table with name (s3_access_logs|cloudfront_logs|waf_logs|vpc_flow_logs) does not exist/, 'a table of other logs'],
  // Athena's CloudTrail table holds these as JSON text, so it refuses `requestparameters.x` too.
  [/Cannot extract field '\w+' from expression "(requestparameters|responseelements|additionaleventdata)"/, 'a member of a JSON text column'],
  // The workshop's own Glue table names its partitions so; Athena's documented tables do not.
  [/Referenced column "(account|region|date)_partition" not found/, "the workshop table's partition names"],
];

test('the published Athena queries over CloudTrail run on cloudtrail_logs', { skip: !present && 'no ../shared/corpus' }, async () => {
  const dir = tempDir();
  const store = await Store.open({ dataDir: join(dir, 'data') });
  try {
    const s = await ingest(store, ['traildiscover/logExamples', 'awsdocs-examples', 'cloud-custodian-cwe', 'blog-transcribed'].map((d) => join(corpus, d)));
    assert.ok(s.eventsAdded > 400, `${s.eventsAdded} events`);
    let ran = 0;
    let rows = 0;
    const why = new Map<string, number>();
    const unexpected: string[] = [];
    for (const file of sqlFiles(join(corpus, 'queries/athena'))) {
      for (const q of selects(file)) {
        // Whatever the query calls its CloudTrail table (`cloudtrail_logs_pp`, `"db"."…cloudtrail…"`).
        const sql = q.replace(/("\w+"\.)?"?\w*cloudtrail\w*"?/gi, 'cloudtrail_logs');
        try {
          rows += (await runSql(store, sql, 100, { timeoutMs: 60_000 })).rows.length;
          ran++;
        } catch (e) {
          const msg = (e as Error).message;
          const known = EXPECTED.find(([re]) => re.test(msg));
          if (known) why.set(known[1], (why.get(known[1]) ?? 0) + 1);
          else unexpected.push(`${file.slice(corpus.length + 1)}: ${sql.replace(/\s+/g, ' ').slice(0, 200)}\n  → ${msg.split('\n')[0]}`);
        }
      }
    }
    console.log(`# Athena queries: ${ran} ran (${rows} rows), ${[...why].map(([w, n]) => `${n} on ${w}`).join(', ')}`);
    assert.deepEqual(unexpected, []);
    // The queries on the CloudTrail table that Athena itself can run: all of them here.
    assert.ok(ran >= 29, `${ran} ran`);
  } finally {
    await store.close();
    rmDir(dir);
  }
});
