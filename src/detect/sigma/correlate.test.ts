import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSigmaText } from './parse.js';
import { CorrelationEngine, type CorrelationInput, type CorrelationMatch } from './correlate.js';
import { createCorrelationEngine, createMatcher, correlationInput, loadSigmaSources } from './index.js';

const S = 1000;
const M = 60 * S;

function corr(body: string, extra = '') {
  const r = loadSigmaText(`title: C\nid: corr-1\nlevel: high\ncorrelation:\n${body}${extra}`, 'c.yml');
  assert.deepEqual(r.errors, []);
  return r.correlations;
}

function ev(time: number, id: string, fields: Record<string, unknown> = {}, rules = ['a']) {
  return { rules, time, eventId: id, record: { sourceIPAddress: '1.1.1.1', userIdentity: { arn: 'arn:u1' }, ...fields } };
}

function run(engine: CorrelationEngine, events: CorrelationInput[]): CorrelationMatch[] {
  const out: CorrelationMatch[] = [];
  for (const e of events) out.push(...engine.push(e));
  return out;
}

const countBody = (cond: string, span = '5m', groupBy = 'sourceIPAddress') =>
  `    type: event_count\n    rules: [a]\n    group-by: [${groupBy}]\n    timespan: ${span}\n    condition:\n${cond}`;

test('event_count fires inside the window with every contributing eventID, then resets', () => {
  const engine = new CorrelationEngine(corr(countBody('        gte: 3\n')));
  assert.deepEqual(engine.errors, []);
  const out = run(engine, [ev(0, 'e1'), ev(1 * M, 'e2'), ev(2 * M, 'e3'), ev(3 * M, 'e4')]);
  assert.equal(out.length, 1);
  const m = out[0]!;
  assert.deepEqual(m.eventIds, ['e1', 'e2', 'e3']);
  assert.equal(m.firstTime, 0);
  assert.equal(m.lastTime, 2 * M);
  assert.equal(m.value, 3);
  assert.deepEqual(m.group, { sourceIPAddress: '1.1.1.1' });
  assert.equal(m.id, 'corr-1');
  assert.equal(m.level, 'high');
  assert.equal(m.type, 'event_count');
});

test('event_count evicts events older than the timespan', () => {
  const engine = new CorrelationEngine(corr(countBody('        gte: 3\n')));
  // e1 and e2 fall out of the 5-minute window before e4 arrives; e3, e4, e5 then fire.
  const out = run(engine, [ev(0, 'e1'), ev(1 * M, 'e2'), ev(7 * M, 'e3'), ev(8 * M, 'e4'), ev(12 * M, 'e5')]);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]!.eventIds, ['e3', 'e4', 'e5']);
  // Exactly timespan apart still counts (inclusive window).
  const e2 = new CorrelationEngine(corr(countBody('        gte: 2\n')));
  assert.equal(run(e2, [ev(0, 'x1'), ev(5 * M, 'x2')]).length, 1);
  const e3 = new CorrelationEngine(corr(countBody('        gte: 2\n')));
  assert.equal(run(e3, [ev(0, 'x1'), ev(5 * M + 1, 'x2')]).length, 0);
});

test('group-by separates groups, uses dotted fields, and skips events without the field', () => {
  const engine = new CorrelationEngine(corr(countBody('        gte: 2\n', '5m', 'userIdentity.arn')));
  const out = run(engine, [
    ev(0, 'u1a', { userIdentity: { arn: 'arn:u1' } }),
    ev(1, 'u2a', { userIdentity: { arn: 'arn:u2' } }),
    ev(2, 'none', { userIdentity: {} }),
    ev(3, 'u2b', { userIdentity: { arn: 'arn:u2' } }),
  ]);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]!.group, { 'userIdentity.arn': 'arn:u2' });
  assert.deepEqual(out[0]!.eventIds, ['u2a', 'u2b']);
});

test('upper-bounded conditions are judged when the window closes', () => {
  const engine = new CorrelationEngine(corr(countBody('        gte: 2\n        lte: 3\n')));
  const out = run(engine, [ev(0, 'a1'), ev(1 * M, 'a2'), ev(2 * M, 'a3'), ev(3 * M, 'a4')]);
  assert.equal(out.length, 0, 'four events in the window is too many, and the window is still open');
  assert.equal(engine.flush().length, 0);
  const e2 = new CorrelationEngine(corr(countBody('        gte: 2\n        lte: 3\n')));
  assert.equal(run(e2, [ev(0, 'b1'), ev(1 * M, 'b2')]).length, 0);
  const closed = e2.advance(6 * M);
  assert.equal(closed.length, 1);
  assert.deepEqual(closed[0]!.eventIds, ['b1', 'b2']);
  // A later event also closes the previous window.
  const e3 = new CorrelationEngine(corr(countBody('        lt: 2\n')));
  const out3 = run(e3, [ev(0, 'c1'), ev(10 * M, 'c2')]);
  assert.equal(out3.length, 1);
  assert.deepEqual(out3[0]!.eventIds, ['c1']);
});

test('value_count counts distinct values of a field', () => {
  const body = '    type: value_count\n    rules: [a]\n    group-by: [userIdentity.arn]\n    timespan: 1m\n    condition:\n        gte: 3\n        field: eventName\n';
  const engine = new CorrelationEngine(corr(body));
  const out = run(engine, [
    ev(0, 'v1', { eventName: 'ListUsers' }),
    ev(1 * S, 'v2', { eventName: 'ListUsers' }),
    ev(2 * S, 'v3', { eventName: 'ListRoles' }),
    ev(3 * S, 'v4', { eventName: 'ListRoles' }),
    ev(4 * S, 'v5', { eventName: 'GetUser' }),
  ]);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.value, 3);
  assert.deepEqual(out[0]!.eventIds, ['v1', 'v2', 'v3', 'v4', 'v5']);
  const e2 = new CorrelationEngine(corr(body));
  assert.equal(run(e2, [ev(0, 'w1', { eventName: 'A' }), ev(1 * S, 'w2', { eventName: 'B' }), ev(2 * M, 'w3', { eventName: 'C' })]).length, 0);
});

test('value_sum adds a numeric field', () => {
  const body = '    type: value_sum\n    rules: [a]\n    group-by: [sourceIPAddress]\n    timespan: 1h\n    condition:\n        gt: 100\n        field: bytes\n';
  const engine = new CorrelationEngine(corr(body));
  const out = run(engine, [ev(0, 's1', { bytes: 60 }), ev(1, 'sx', { bytes: 'n/a' }), ev(2, 's2', { bytes: '50' })]);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.value, 110);
  assert.deepEqual(out[0]!.eventIds, ['s1', 's2']);
});

const temporalDoc = (type: string) => `title: Chain
id: chain-1
correlation:
    type: ${type}
    rules:
        - first_step
        - second_step
    group-by:
        - sourceIPAddress
    timespan: 10m
---
title: First
name: first_step
logsource:
    product: aws
    service: cloudtrail
detection:
    s:
        eventName: CreateUser
    condition: s
---
title: Second
name: second_step
logsource:
    product: aws
    service: cloudtrail
detection:
    s:
        eventName: CreateAccessKey
    condition: s
`;

function chainRun(type: string, names: [string, number, string][]) {
  const set = loadSigmaSources([{ file: 'chain.yml', text: temporalDoc(type) }]);
  assert.deepEqual(set.errors, []);
  const engine = createCorrelationEngine(set);
  const idx = createMatcher(set.rules);
  const out: CorrelationMatch[] = [];
  for (const [eventName, t, id] of names) {
    const record = { eventName, sourceIPAddress: '9.9.9.9', eventTime: new Date(t).toISOString(), eventID: id };
    const matched = idx.matches(record);
    if (matched.length) out.push(...engine.push(correlationInput(record, matched)));
  }
  return { out, set };
}

test('temporal accepts any order, temporal_ordered only the listed order', () => {
  const reversed: [string, number, string][] = [
    ['CreateAccessKey', 0, 'k1'],
    ['CreateUser', 1 * M, 'u1'],
  ];
  assert.equal(chainRun('temporal', reversed).out.length, 1);
  assert.deepEqual(chainRun('temporal', reversed).out[0]!.eventIds, ['k1', 'u1']);
  assert.equal(chainRun('temporal_ordered', reversed).out.length, 0);
  const ordered: [string, number, string][] = [
    ['CreateAccessKey', 0, 'k0'],
    ['CreateUser', 1 * M, 'u1'],
    ['CreateUser', 2 * M, 'u2'],
    ['CreateAccessKey', 3 * M, 'k1'],
  ];
  const r = chainRun('temporal_ordered', ordered);
  assert.equal(r.out.length, 1);
  // k0 precedes the chain start and does not contribute; both CreateUser events and k1 do.
  assert.deepEqual(r.out[0]!.eventIds, ['u1', 'u2', 'k1']);
  assert.equal(r.out[0]!.firstTime, 1 * M);
  assert.equal(r.out[0]!.lastTime, 3 * M);
  // Base rules referenced by a generate:false correlation do not alert alone.
  assert.deepEqual(
    r.set.rules.map((x) => x.standalone),
    [false, false],
  );
});

test('temporal_ordered respects the timespan between first and last step', () => {
  const late: [string, number, string][] = [
    ['CreateUser', 0, 'u1'],
    ['CreateAccessKey', 11 * M, 'k1'],
  ];
  assert.equal(chainRun('temporal_ordered', late).out.length, 0);
  assert.equal(chainRun('temporal', late).out.length, 0);
  const refreshed: [string, number, string][] = [
    ['CreateUser', 0, 'u1'],
    ['CreateUser', 9 * M, 'u2'],
    ['CreateAccessKey', 11 * M, 'k1'],
  ];
  const r = chainRun('temporal_ordered', refreshed);
  assert.equal(r.out.length, 1);
  assert.deepEqual(r.out[0]!.eventIds, ['u2', 'k1']);
});

test('base rules may be referenced by title (suzaku quirk) or id', () => {
  const text = `title: Repeated login failures
correlation:
    type: event_count
    rules:
        - Login Failure Seen
    group-by:
        - sourceIPAddress
    timespan: 5m
    condition:
        gte: 2
---
title: Login Failure Seen
id: aaaaaaaa-0000-4000-8000-000000000001
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventName: ConsoleLogin
        responseElements.ConsoleLogin: Failure
    condition: selection
`;
  const set = loadSigmaSources([{ file: 'f.yml', text }]);
  assert.deepEqual(set.errors, []);
  const engine = createCorrelationEngine(set);
  const rec = (id: string, t: number) => ({ eventName: 'ConsoleLogin', responseElements: { ConsoleLogin: 'Failure' }, sourceIPAddress: '5.5.5.5', eventID: id, eventTime: new Date(t).toISOString() });
  const idx = createMatcher(set.rules);
  const out = [rec('f1', 0), rec('f2', 30 * S)].flatMap((r) => engine.push(correlationInput(r, idx.matches(r))));
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]!.eventIds, ['f1', 'f2']);
  // Pushing by title works as well.
  const e2 = createCorrelationEngine(set);
  e2.push({ rules: ['Login Failure Seen'], record: rec('t1', 0), time: 0, eventId: 't1' });
  assert.equal(e2.push({ rules: ['Login Failure Seen'], record: rec('t2', 1), time: 1, eventId: 't2' }).length, 1);
});

test('unresolved references are reported and the correlation is dropped', () => {
  const set = loadSigmaSources([{ file: 'u.yml', text: 'title: U\ncorrelation:\n    type: temporal\n    rules:\n        - nowhere\n    group-by: [x]\n    timespan: 1m\n' }]);
  assert.equal(set.correlations.length, 0);
  assert.deepEqual(set.errors.map((e) => [e.file, e.line, e.message]), [
    ['u.yml', 5, "correlation 'U' references unknown rule 'nowhere' (expected the name, id or title of a loaded rule)"],
  ]);
});

test('correlations can chain on correlations', () => {
  const text = `title: Brute force then success
correlation:
    type: temporal_ordered
    rules:
        - many_failed
        - success
    group-by:
        - sourceIPAddress
    timespan: 10m
---
title: Many failed
name: many_failed
correlation:
    type: event_count
    rules:
        - failed
    group-by:
        - sourceIPAddress
    timespan: 10m
    condition:
        gte: 2
`;
  const engine = new CorrelationEngine(loadSigmaText(text, 'ch.yml').correlations);
  assert.deepEqual(engine.errors, []);
  const out = run(engine, [ev(0, 'f1', {}, ['failed']), ev(1 * M, 'f2', {}, ['failed']), ev(2 * M, 's1', {}, ['success'])]);
  assert.deepEqual(
    out.map((m) => m.title),
    ['Many failed', 'Brute force then success'],
  );
  assert.deepEqual(out[1]!.eventIds, ['f1', 'f2', 's1']);
});

test('aliases map group-by names to per-rule fields', () => {
  const text = `title: Same address both ways
correlation:
    type: temporal
    rules:
        - inbound
        - outbound
    group-by:
        - peer
    timespan: 1m
    aliases:
        peer:
            inbound: sourceIPAddress
            outbound: requestParameters.destination
`;
  const engine = new CorrelationEngine(loadSigmaText(text, 'al.yml').correlations);
  const out = run(engine, [
    { rules: ['inbound'], time: 0, eventId: 'i1', record: { sourceIPAddress: '7.7.7.7' } },
    { rules: ['outbound'], time: 1, eventId: 'o-other', record: { requestParameters: { destination: '8.8.8.8' } } },
    { rules: ['outbound'], time: 2, eventId: 'o1', record: { requestParameters: { destination: '7.7.7.7' } } },
  ]);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]!.group, { peer: '7.7.7.7' });
  assert.deepEqual(out[0]!.eventIds, ['i1', 'o1']);
});

test('memory stays bounded: idle groups are swept and groups are capped', () => {
  const engine = new CorrelationEngine(corr(countBody('        gte: 1000000\n', '1m')), { maxEventsPerGroup: 50 });
  for (let i = 0; i < 5000; i++) engine.push(ev(i * 10, `g${i}`, { sourceIPAddress: `10.0.${i % 500}.1` }));
  assert.ok(engine.size.groups <= 500);
  assert.ok(engine.size.events <= 500 * 50);
  engine.push(ev(10 * M, 'late', { sourceIPAddress: 'other' }));
  assert.deepEqual(engine.size, { groups: 1, events: 1 });
  const hot = new CorrelationEngine(corr(countBody('        gte: 1000000\n', '1h')), { maxEventsPerGroup: 50 });
  for (let i = 0; i < 1000; i++) hot.push(ev(i, `h${i}`));
  assert.deepEqual(hot.size, { groups: 1, events: 50 });
  assert.equal(hot.advance(3 * 60 * M).length, 0);
  assert.deepEqual(hot.size, { groups: 0, events: 0 });
});
