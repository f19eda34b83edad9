import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileMetricFilter, explain } from './index.js';
import { cases } from './conformance.cases.js';

test('the conformance table has at least 70 distinct cases', () => {
  assert.ok(cases.length >= 70, `only ${cases.length} cases`);
  assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, 'case names must be unique');
});

for (const c of cases) {
  test(`conformance: ${c.name}`, () => {
    const filter = compileMetricFilter(c.pattern);
    assert.equal(filter.match(c.event), c.expected, `${c.pattern}\n  read as: ${filter.explain()}`);
    // The explained form is an equivalent pattern.
    assert.equal(compileMetricFilter(explain(c.pattern)).match(c.event), c.expected, 'explain() changed the meaning');
  });
}
