import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cases, conformancePlaceholders } from './conformance.cases.js';
import { loadSigmaText, formatSigmaError } from './parse.js';
import { compileRule, createMatcher } from './index.js';

test('conformance table has broad coverage', () => {
  assert.ok(cases.length >= 80, `only ${cases.length} cases`);
  assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, 'case names are unique');
  assert.ok(cases.some((c) => c.expected) && cases.some((c) => !c.expected));
});

for (const c of cases) {
  test(`conformance: ${c.name}`, () => {
    const loaded = loadSigmaText(c.rule, 'case.yml', { placeholders: conformancePlaceholders });
    assert.deepEqual(loaded.errors.map(formatSigmaError), []);
    assert.equal(loaded.rules.length, 1);
    const compiled = compileRule(loaded.rules[0]!);
    assert.equal(compiled.match(c.event), c.expected, 'direct predicate');
    // The indexed path must agree with the direct predicate.
    assert.equal(createMatcher([compiled]).matches(c.event).length === 1, c.expected, 'indexed evaluation');
  });
}
