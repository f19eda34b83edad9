import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AI_ACTIVITIES, AI_MAPPING, AI_SERVICES, renderMappingMarkdown } from './ai-activity.js';
import { packageRoot } from '../store/db.js';

test('every mapping row uses a known service and activity, and no eventName is shadowed', () => {
  const seen = new Map<string, string>();
  for (const row of AI_MAPPING) {
    assert.ok((AI_SERVICES as readonly string[]).includes(row.service), row.service);
    assert.ok((AI_ACTIVITIES as readonly string[]).includes(row.activity), row.activity);
    for (const name of row.names ?? []) {
      const key = `${row.sources.join(',')}|${row.when ?? ''}|${name}`;
      assert.ok(!seen.has(key), `${name} is listed twice (${seen.get(key)} and ${row.activity})`);
      seen.set(key, row.activity);
    }
  }
});

test('docs/ai-activity.md shows the current table', () => {
  const doc = readFileSync(join(packageRoot(), 'docs', 'ai-activity.md'), 'utf8');
  assert.ok(doc.includes(renderMappingMarkdown()), 'run `node scripts/gen-docs.mjs` after changing the table');
});
