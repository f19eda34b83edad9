import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Store } from '../src/store/db.js';
import { ingest } from '../src/ingest/index.js';
import { StoreAccess } from '../src/server/db.js';
import { createApp, type RouteInfo } from '../src/server/app.js';
import { createToken, revokeToken } from '../src/server/auth.js';
import { startServer, isLoopback } from '../src/server/index.js';
import { can, type Role } from '../src/model/auth.js';
import { record, tempDir, rmDir, writeRaw } from './helpers/fixtures.js';

let dir: string;
let store: Store;
let access: StoreAccess;
let app: ReturnType<typeof createApp>;
const tokens: Partial<Record<Role, string>> = {};

before(async () => {
  dir = tempDir();
  // a2's requestParameters hold an integer beyond 2^53: the finding's events give it back as stored.
  writeRaw(dir, 'logs/x.json', JSON.stringify({ Records: [
    record({ eventID: 'a1', eventTime: '2026-11-01T10:00:00Z' }),
    record({ eventID: 'a2', eventTime: '2026-11-01T10:05:00Z', eventName: 'StopLogging', eventSource: 'cloudtrail.amazonaws.com', requestParameters: { name: 'trail', big: 0 } }),
  ] }).replace('"big":0', '"big":12345678901234567890123'));
  store = await Store.open({ dataDir: `${dir}/data` });
  await ingest(store, [`${dir}/logs`]);
  for (const role of ['admin', 'analyst', 'viewer', 'ingest'] as Role[]) tokens[role] = (await createToken(store, `t-${role}`, role)).token;
  access = await StoreAccess.create(store, 2);
  app = createApp({ access, version: 'test' });
});

after(async () => {
  await app.auditor.flush();
  await access.close();
  await store.close();
  rmDir(dir);
});

async function call(method: string, path: string, role?: Role, body?: unknown, headers: Record<string, string> = {}) {
  const h: Record<string, string> = { ...headers };
  if (role) h.authorization = `Bearer ${tokens[role]}`;
  if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json';
  const res = await app.app.request(path, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers, text };
}

/** A valid request for each route, so that a permitted role gets past validation. */
function sample(r: RouteInfo): { path: string; body?: unknown } {
  const path = r.path.replace('{tokenId}', 'no-such-token').replace('{eventId}', 'a1').replace('{findingId}', 'f-missing').replace('{queryId}', 'q1').replace('{ruleId}', 'aws.cis.4_5_cloudtrail_config_changes');
  const bodies: Record<string, unknown> = {
    'POST /api/events/lookup': {},
    'POST /api/sql': { sql: 'SELECT 1 AS x' },
    'POST /api/sql/saved': { name: 'n', sql: 'SELECT 1' },
    'POST /api/findings/{findingId}/status': { status: 'acknowledged' },
    'POST /api/suppressions': { ruleId: 'x.y', expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
    'POST /api/rules/{ruleId}/enabled': { enabled: true },
    'POST /api/audit-events': { auditEvents: [{ id: 'p1', eventData: JSON.stringify(record({ eventID: `push-${Math.random()}` })) }] },
    'POST /api/session': { token: 'x' },
    'POST /api/tokens': { role: 'viewer', name: 'sample-token' },
  };
  return { path, body: bodies[`${r.method} ${r.path}`] };
}

test('every route enforces its role (route × role table)', async () => {
  const routes = app.routes;
  assert.ok(routes.length >= 18, `${routes.length} routes`);
  for (const r of routes) {
    const { path, body } = sample(r);
    for (const role of [undefined, 'admin', 'analyst', 'viewer', 'ingest'] as (Role | undefined)[]) {
      const res = await call(r.method, path, role, body);
      const label = `${r.method} ${r.path} as ${role ?? 'nobody'} → ${res.status} ${JSON.stringify(res.json).slice(0, 200)}`;
      if (r.permission === 'public') {
        assert.ok(res.status !== 403, label);
      } else if (!role) {
        assert.equal(res.status, 401, label);
        assert.equal(res.json.error.code, 'UNAUTHENTICATED', label);
      } else if (can(role, r.permission)) {
        assert.ok(res.status !== 401 && res.status !== 403, label);
      } else {
        assert.equal(res.status, 403, label);
        assert.equal(res.json.error.code, 'FORBIDDEN', label);
      }
    }
  }
});

test('the OpenAPI document lists every route with its schemas', async () => {
  const res = await call('GET', '/api/openapi.json');
  assert.equal(res.status, 200);
  const doc = res.json;
  assert.equal(doc.openapi, '3.1.0');
  for (const r of app.routes) {
    const p = doc.paths[r.path];
    assert.ok(p && p[r.method.toLowerCase()], `${r.method} ${r.path} missing from OpenAPI`);
    assert.ok(p[r.method.toLowerCase()].responses['200'], `${r.path} has no 200 response schema`);
  }
  assert.ok(doc.paths['/api/events/lookup'].post.requestBody);
});

test('bad input: malformed JSON, schema errors, unknown routes, bad SQL, writing SQL, forbidden relations', async () => {
  const bad = await call('POST', '/api/events/lookup', 'viewer', '{not json');
  assert.equal(bad.status, 400);
  assert.ok(['USAGE'].includes(bad.json.error.code));
  const schema = await call('POST', '/api/events/lookup', 'viewer', { MaxResults: 'ten' });
  assert.equal(schema.status, 400);
  assert.match(schema.json.error.message, /MaxResults/);
  const attr = await call('POST', '/api/events/lookup', 'viewer', { LookupAttributes: [{ AttributeKey: 'Nope', AttributeValue: 'x' }] });
  assert.equal(attr.status, 400);
  assert.equal((await call('GET', '/api/nothing', 'viewer')).status, 404);
  const sql = await call('POST', '/api/sql', 'analyst', { sql: 'SELEC 1' });
  assert.equal(sql.status, 400);
  assert.equal(sql.json.error.code, 'QUERY_INVALID');
  const write = await call('POST', '/api/sql', 'analyst', { sql: 'DELETE FROM events' });
  assert.equal(write.status, 403);
  assert.equal(write.json.error.code, 'QUERY_NOT_READ_ONLY');
  for (const q of [`SELECT * FROM read_csv('/etc/passwd')`, `SELECT * FROM '/etc/passwd'`, 'SELECT * FROM api_tokens', `SELECT getenv('HOME')`]) {
    const r = await call('POST', '/api/sql', 'admin', { sql: q });
    assert.equal(r.status, 403, q);
    assert.equal(r.json.error.code, 'QUERY_FORBIDDEN', q);
  }
  const ok = await call('POST', '/api/sql', 'analyst', { sql: `WITH x AS (SELECT eventName FROM events WHERE eventId IN ('a1', 'a2')) SELECT count(*) AS n FROM x, range(2)` });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.deepEqual(ok.json.rows, [[4]]);
  const limited = await call('POST', '/api/sql', 'analyst', { sql: 'SELECT * FROM range(1000)', maxRows: 10 });
  assert.equal(limited.json.rows.length, 10);
  assert.equal(limited.json.truncated, true);
  const slow = await call('POST', '/api/sql', 'analyst', { sql: 'SELECT count(*) FROM range(1000000000000) a', timeoutMs: 200 });
  assert.equal(slow.status, 408);
  assert.equal(slow.json.error.code, 'QUERY_TIMEOUT');
});

test('lookup, event by id, findings, dashboard through the API', async () => {
  const lk = await call('POST', '/api/events/lookup', 'viewer', { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'StopLogging' }], StartTime: '2026-11-01T00:00:00Z' });
  assert.equal(lk.status, 200);
  assert.deepEqual(lk.json.Events.map((e: { EventId: string }) => e.EventId), ['a2']);
  // The same page again comes from the lookup cache, unchanged, and the metrics say so.
  const hitsOf = (text: string) => Number(/^aitrail_lookup_cache_hits_total (\d+)$/m.exec(text)?.[1] ?? NaN);
  const before = hitsOf((await call('GET', '/api/metrics', 'viewer')).json);
  const again = await call('POST', '/api/events/lookup', 'viewer', { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'StopLogging' }], StartTime: '2026-11-01T00:00:00Z' });
  assert.deepEqual(again.json, lk.json);
  assert.equal(hitsOf((await call('GET', '/api/metrics', 'viewer')).json), before + 1);
  const page = await call('POST', '/api/events/lookup', 'viewer', { MaxResults: 1, Filters: ['eventSource=*.amazonaws.com'] });
  assert.equal(page.json.Events.length, 1);
  const next = await call('POST', '/api/events/lookup', 'viewer', { MaxResults: 1, Filters: ['eventSource=*.amazonaws.com'], NextToken: page.json.NextToken });
  assert.notEqual(next.json.Events[0].EventId, page.json.Events[0].EventId);
  const ev = await call('GET', '/api/events/a1', 'viewer');
  assert.equal(ev.json.record.eventID, 'a1');
  assert.equal((await call('GET', '/api/events/nope', 'viewer')).status, 404);
  const dash = await call('GET', '/api/stats/dashboard?start=2026-10-31T00:00:00Z&end=2026-11-02T00:00:00Z', 'viewer');
  assert.equal(dash.status, 200);
  assert.equal(dash.json.bucket, 'hour');
  const inWindow = await access.read((s) => s.one(`SELECT count(*) AS n FROM event_store WHERE eventTime BETWEEN '2026-10-31' AND '2026-11-02'`));
  assert.equal(dash.json.totals.events, Number(inWindow!.n));
  assert.deepEqual(dash.json.bedrockByModel.map((m: { modelId: string }) => m.modelId), ['anthropic.claude-3-haiku-20240307-v1:0']);
  const det = await call('POST', '/api/detect', 'analyst');
  assert.equal(det.status, 200);
  const list = await call('GET', '/api/findings?status=open', 'viewer');
  const stop = list.json.findings.find((f: { title: string }) => /StopLogging|logging/i.test(f.title) || f.title.toLowerCase().includes('cloudtrail'));
  assert.ok(stop, JSON.stringify(list.json.findings.map((f: { ruleId: string }) => f.ruleId)));
  const one = await call('GET', `/api/findings/${stop.findingId}`, 'viewer');
  assert.ok(one.json.events.some((e: { eventId: string }) => e.eventId === 'a2'));
  assert.match(one.text, /"requestParameters":\{"name":"trail","big":12345678901234567890123\}/);
  assert.ok(one.json.rule);
  const ack = await call('POST', `/api/findings/${stop.findingId}/status`, 'analyst', { status: 'acknowledged', note: 'looking' });
  assert.equal(ack.json.status, 'acknowledged');
  assert.equal(ack.json.statusBy, 't-analyst');
});

test('PutAuditEvents: shapes, limits, per-event failures, round trip', async () => {
  const ok = JSON.stringify(record({ eventID: 'pushed-1', eventName: 'InvokeModel', eventSource: 'llm-gateway.internal' }));
  const res = await call('POST', '/api/audit-events', 'ingest', {
    auditEvents: [
      { id: 'e1', eventData: ok, eventDataChecksum: createHash('sha256').update(ok).digest('hex') },
      { id: 'e2', eventData: '{broken' },
      { id: 'e3', eventData: ok, eventDataChecksum: 'deadbeef' },
      { id: 'e4', eventData: JSON.stringify({ eventName: 'NoTimeNoSource' }) },
      { id: 'e1', eventData: ok },
      { id: 'e5', eventData: JSON.stringify({ UID: 'uid-5', eventSource: 'gateway', eventName: 'Chat', eventTime: '2026-11-01T11:00:00Z' }) },
      // The same member twice: DuckDB would read one value, JSON readers the other.
      { id: 'e6', eventData: ok.replace('"eventName":"InvokeModel"', '"eventName":"InvokeModel","requestParameters":{"modelId":"a","modelId":"b"}').replace('pushed-1', 'pushed-6') },
    ],
  });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.deepEqual(res.json.successful, [{ id: 'e1', eventID: 'pushed-1' }, { id: 'e5', eventID: 'uid-5' }]);
  const failed = Object.fromEntries(res.json.failed.map((f: { id: string; errorCode: string }) => [f.id, f.errorCode]));
  assert.deepEqual(failed, { e2: 'InvalidEventData', e3: 'InvalidChecksum', e4: 'InvalidEventData', e1: 'DuplicateId', e6: 'InvalidEventData' });
  const dup = res.json.failed.find((f: { id: string }) => f.id === 'e6');
  assert.match(dup.errorMessage, /'modelId' twice in \$\.requestParameters/);
  const stored = await call('GET', '/api/events/pushed-1', 'viewer');
  assert.equal(stored.json.record.eventSource, 'llm-gateway.internal');
  const many = await call('POST', '/api/audit-events', 'ingest', { auditEvents: Array.from({ length: 101 }, (_, i) => ({ id: `x${i}`, eventData: '{}' })) });
  assert.equal(many.status, 400);
  assert.equal(many.json.error.code, 'TOO_MANY_EVENTS');
  const big = await call('POST', '/api/audit-events', 'ingest', { auditEvents: Array.from({ length: 5 }, (_, i) => ({ id: `b${i}`, eventData: JSON.stringify({ pad: 'x'.repeat(250_000) }) })) });
  assert.equal(big.status, 413);
  // Concurrent pushes are group-committed and every acknowledged event is stored.
  const results = await Promise.all(Array.from({ length: 10 }, (_, k) =>
    call('POST', '/api/audit-events', 'ingest', { auditEvents: Array.from({ length: 20 }, (_, i) => ({ id: `c${i}`, eventData: JSON.stringify(record({ eventID: `conc-${k}-${i}` })) })) })));
  const acked = results.flatMap((r) => r.json.successful.map((s: { eventID: string }) => s.eventID));
  assert.equal(acked.length, 200);
  const n = await access.read((s) => s.one(`SELECT count(*) AS n FROM event_store WHERE eventId LIKE 'conc-%'`));
  assert.equal(Number(n!.n), 200);
});

test('self-audit: calls are recorded as CloudTrail-shaped events, failures included, secrets never', async () => {
  await call('POST', '/api/events/lookup', 'viewer', { Filters: ['eventName=StopLogging'] });
  await call('POST', '/api/sql', 'viewer', { sql: 'SELECT 1' });
  await call('GET', '/api/findings', undefined);
  const signIn = await call('POST', '/api/session', undefined, { token: tokens.analyst });
  assert.equal(signIn.status, 200);
  assert.match(signIn.headers.get('set-cookie') ?? '', /aitrail_session=.*HttpOnly.*SameSite=Strict/i);
  await call('POST', '/api/session', undefined, { token: 'aitr_000000000000_wrongwrongwrongwrongwrong' });
  await app.auditor.flush();
  const rows = await access.read((s) => s.all(`SELECT eventName, errorCode, userIdentityUserName, readOnly, eventType, CAST(record AS VARCHAR) AS r FROM event_store WHERE eventSource = 'aitrail.local' ORDER BY eventTime, eventName`));
  const names = rows.map((r) => `${r.eventName}:${r.errorCode ?? 'ok'}:${r.userIdentityUserName ?? '-'}`);
  assert.ok(names.includes('LookupEvents:ok:t-viewer'), names.join('\n'));
  assert.ok(names.includes('RunQuery:AccessDenied:t-viewer'), names.join('\n'));
  assert.ok(names.includes('ListFindings:UnauthenticatedException:-'), names.join('\n'));
  assert.ok(names.includes('ConsoleLogin:ok:t-analyst'));
  assert.ok(names.includes('ConsoleLogin:Failed authentication:-'));
  const lookup = rows.find((r) => r.eventName === 'LookupEvents' && String(r.r).includes('eventName=StopLogging'))!;
  assert.deepEqual(JSON.parse(String(lookup.r)).requestParameters, { Filters: ['eventName=StopLogging'] });
  for (const r of rows) {
    // The secret is everything after `aitr_<id>_` (it may itself contain underscores).
    for (const t of Object.values(tokens)) assert.ok(!String(r.r).includes(t!.slice(t!.indexOf('_', 5) + 1)), 'a token secret leaked into the audit trail');
  }
  // Self-audit events are searchable like any other.
  const lk = await call('POST', '/api/events/lookup', 'viewer', { LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'aitrail.local' }] });
  assert.ok(lk.json.Events.length >= 5);
});

test('tokens through the API: created by an admin, shown once, listed without secrets, revoked at once, audited without the secret', async () => {
  const made = await call('POST', '/api/tokens', 'admin', { role: 'viewer', name: 'api-made' });
  assert.equal(made.status, 200);
  assert.equal(made.json.info.role, 'viewer');
  assert.equal(made.json.info.createdBy, 't-admin');
  const secret = String(made.json.token);
  const use = () => app.app.request('/api/session', { headers: { authorization: `Bearer ${secret}` } });
  assert.deepEqual(await (await use()).json(), { name: 'api-made', role: 'viewer' });
  const list = await call('GET', '/api/tokens', 'admin');
  const listed = list.json.tokens.find((t: { name: string }) => t.name === 'api-made');
  assert.ok(listed && listed.revokedAt === null);
  assert.ok(!JSON.stringify(list.json).includes(secret.slice(secret.indexOf('_', 5) + 1)), 'a secret in the token list');
  assert.equal((await call('POST', '/api/tokens', 'analyst', { role: 'admin' })).status, 403);
  assert.equal((await call('POST', '/api/tokens', 'admin', { role: 'root' })).status, 400);
  const gone = await call('DELETE', '/api/tokens/api-made', 'admin');
  assert.deepEqual(gone.json, { revoked: 1 });
  assert.equal((await use()).status, 401, 'a revoked token stops working at once');
  assert.equal((await call('DELETE', '/api/tokens/api-made', 'admin')).status, 404);
  await app.auditor.flush();
  const audit = await access.read((s) => s.all(`SELECT eventName, CAST(record AS VARCHAR) AS r FROM event_store WHERE eventSource = 'aitrail.local' AND eventName IN ('CreateToken', 'RevokeToken')`));
  assert.ok(audit.some((a) => a.eventName === 'CreateToken') && audit.some((a) => a.eventName === 'RevokeToken'));
  for (const a of audit) assert.ok(!String(a.r).includes(secret.slice(secret.indexOf('_', 5) + 1)), 'the new secret leaked into the audit trail');
});

test('revoked tokens stop working; sessions work with the cookie', async () => {
  const t = await createToken(store, 'temp-viewer', 'viewer');
  const use = () => app.app.request('/api/session', { headers: { authorization: `Bearer ${t.token}` } });
  assert.equal((await use()).status, 200);
  await revokeToken(store, 'temp-viewer');
  await new Promise((r) => setTimeout(r, 1100)); // verified tokens are cached for one second
  assert.equal((await use()).status, 401);
  const s = await app.app.request('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: tokens.viewer }) });
  const cookie = s.headers.get('set-cookie')!.split(';')[0]!;
  const me = await app.app.request('/api/session', { headers: { cookie } });
  assert.deepEqual(await me.json(), { name: 't-viewer', role: 'viewer' });
  const out = await app.app.request('/api/session', { method: 'DELETE', headers: { cookie } });
  assert.equal(out.status, 200);
  assert.equal((await app.app.request('/api/session', { headers: { cookie } })).status, 401);
});

test('the server listens on loopback over a real socket and refuses unauthenticated remote binds', async () => {
  assert.equal(isLoopback('127.0.0.1'), true);
  assert.equal(isLoopback('0.0.0.0'), false);
  await assert.rejects(startServer({ dataDir: `${dir}/other`, host: '0.0.0.0', port: 0, noAuth: true }), { code: 'USAGE' });
  const d2 = tempDir();
  try {
    const srv = await startServer({ dataDir: `${d2}/data`, port: 0, consoleToken: true });
    try {
      assert.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const h = await fetch(`${srv.url}/api/health`);
      assert.equal(h.status, 200);
      const me = await fetch(`${srv.url}/api/session`, { headers: { authorization: `Bearer ${srv.token}` } });
      assert.equal(((await me.json()) as { role: string }).role, 'admin');
      assert.equal((await fetch(`${srv.url}/api/findings`)).status, 401);
    } finally {
      await srv.close();
    }
  } finally {
    rmDir(d2);
  }
});

test('lookup filters on eventTime, findings filter values, and an event\'s record exactly as stored', async () => {
  const d = tempDir();
  try {
    writeRaw(d, 'logs/raw.json', `{"Records":[{"eventTime":"2026-10-30T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"raw-1","__proto__":{"polluted":true},"big":12345678901234567890123,"huge":1e400}]}`);
    await access.write((s) => ingest(s, [`${d}/logs`]));
  } finally {
    rmDir(d);
  }
  const ids = async (Filters: string[]) => {
    const r = await call('POST', '/api/events/lookup', 'viewer', { Filters });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json.Events.map((e: { EventId: string }) => e.EventId);
  };
  assert.deepEqual(await ids(['eventTime=2026-11-01T10:05*']), ['a2']);
  assert.deepEqual(await ids(['eventTime=2026-10*']), ['raw-1']);
  assert.deepEqual(await ids(['eventTime=*', 'eventId=a1']), ['a1']);
  assert.deepEqual(await ids(['eventTime!=x', 'eventId=raw-1']), ['raw-1']);

  for (const [query, message] of [
    ['severity=bogus', /^severity takes informational, low, medium, high, critical .*not 'bogus'$/],
    ['status=open,nope', /^status takes open, acknowledged, resolved, suppressed .*not 'nope'$/],
  ] as const) {
    const r = await call('GET', `/api/findings?${query}`, 'viewer');
    assert.equal(r.status, 400, query);
    assert.equal(r.json.error.code, 'USAGE', query);
    assert.match(r.json.error.message, message);
  }
  assert.equal((await call('GET', '/api/findings?severity=high,critical&status=open', 'viewer')).status, 200);

  const stored = String((await access.read((s) => s.one(`SELECT CAST(record AS VARCHAR) AS r FROM events WHERE eventId = 'raw-1'`)))!.r);
  assert.match(stored, /"__proto__":\{"polluted":true\},"big":12345678901234567890123,"huge":1e400/);
  const res = await app.app.request('/api/events/raw-1', { headers: { authorization: `Bearer ${tokens.viewer}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const text = await res.text();
  assert.ok(text.endsWith(`,"record":${stored}}`), text);
  // The console reads it with JSON.parse (large integers round there, nothing else changes).
  const ev = JSON.parse(text);
  assert.equal(ev.eventId, 'raw-1');
  assert.equal(ev.record.eventID, 'raw-1');
});

test('big records: SQL calls answer (rows, or a clear out-of-memory error) and every call is audited even when storing audit events fails', async () => {
  const { existsSync } = await import('node:fs');
  const d = tempDir();
  const dataDir = `${d}/data`;
  // Records of ~200 kB of small JSON values: the JSON columns of cloudtrail_logs parse each one
  // many times over, so `SELECT * FROM cloudtrail_logs` needs far more than the server's 160 MB.
  const big = (i: number) => record({
    eventID: `big-${i}`,
    eventTime: `2026-11-01T11:${String(i).padStart(2, '0')}:00Z`,
    requestParameters: { items: Array.from({ length: 3400 }, (_, k) => ({ key: `k${k}`, n: k, ok: true, tag: ['a', 'b'] })) },
    responseElements: { note: 'x'.repeat(20_000) },
  });
  writeRaw(d, 'logs/big.json', JSON.stringify({ Records: Array.from({ length: 20 }, (_, i) => big(i)) }));
  const s0 = await Store.open({ dataDir });
  await ingest(s0, [`${d}/logs`]);
  await s0.close();
  // Storing this server's audit events fails while `failAudit` > 0, as it does when a query holds the store's memory.
  let failAudit = 0;
  const push = StoreAccess.prototype.push;
  StoreAccess.prototype.push = function (this: StoreAccess, ...args: Parameters<StoreAccess['push']>) {
    if (args[0] === 'audit:aitrail' && this.primary.dataDir === dataDir && failAudit-- > 0) {
      return Promise.reject(new Error('Out of Memory Error: failed to pin block of size 256.0 KiB (160.0 MiB/160.0 MiB used) [injected]'));
    }
    return push.apply(this, args);
  };
  const logs: string[] = [];
  let calls = 0;
  const sql = async (url: string, q: string) => {
    calls++;
    const res = await fetch(`${url}/api/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: q }) });
    const body = (await res.json()) as { rows?: unknown[][]; error?: { code: string; message: string } };
    if (res.status === 200) assert.ok(body.rows!.length > 0, q);
    else {
      assert.equal(res.status, 400, `${q}: ${JSON.stringify(body)}`);
      assert.match(body.error!.message, /needed more memory than the store allows .*ask for fewer rows or columns/s, q);
    }
    return res.status;
  };
  const audited = async () => {
    const s = await Store.open({ dataDir, readOnly: true });
    try {
      return Number((await s.one(`SELECT count(*) AS n FROM event_store WHERE eventSource = 'aitrail.local' AND eventName = 'RunQuery'`))!.n);
    } finally {
      await s.close();
    }
  };
  try {
    // 1. The fuzz sequence, then two heavy queries at once; the first two attempts to store audit events fail.
    failAudit = 2;
    let srv = await startServer({ dataDir, port: 0, noAuth: true, memoryLimit: '160MB', log: (l) => logs.push(l) });
    try {
      for (const q of ['SELECT requestparameters FROM cloudtrail_logs', 'SELECT useridentity FROM cloudtrail_logs', 'SELECT * FROM events', 'SELECT * FROM cloudtrail_logs LIMIT 1000', 'SELECT * FROM cloudtrail_logs LIMIT 1000']) await sql(srv.url, q);
      await Promise.all([sql(srv.url, 'SELECT * FROM cloudtrail_logs LIMIT 1000'), sql(srv.url, 'SELECT requestparameters, responseelements FROM cloudtrail_logs')]);
      assert.equal(await sql(srv.url, 'SELECT count(*) FROM events'), 200, 'the server still answers');
    } finally {
      await srv.close();
    }
    assert.ok(failAudit <= 0, 'storing audit events failed as injected');
    assert.equal(await audited(), calls, `every SQL call is audited\n${logs.join('\n')}`);
    assert.ok(!existsSync(`${dataDir}/audit-pending.jsonl`));

    // 2. Storing keeps failing until the server stops: the events are kept on disk and stored by the next start.
    failAudit = Infinity;
    srv = await startServer({ dataDir, port: 0, noAuth: true, memoryLimit: '160MB', log: (l) => logs.push(l) });
    try {
      await sql(srv.url, 'SELECT 1');
      await sql(srv.url, 'SELECT 2');
    } finally {
      await srv.close();
    }
    assert.ok(existsSync(`${dataDir}/audit-pending.jsonl`), logs.join('\n'));
    assert.equal(await audited(), calls - 2);
    failAudit = 0;
    srv = await startServer({ dataDir, port: 0, noAuth: true, memoryLimit: '160MB', log: (l) => logs.push(l) });
    await srv.close();
    assert.equal(await audited(), calls, `audit events kept on disk are stored at the next start\n${logs.join('\n')}`);
    assert.ok(!existsSync(`${dataDir}/audit-pending.jsonl`));
  } finally {
    StoreAccess.prototype.push = push;
    rmDir(d);
  }
});
