import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { AuditClient, AuditBufferFullError, auditedLlmFetch } from '../src/sdk/index.js';
import { startServer } from '../src/server/index.js';
import { Store } from '../src/store/db.js';
import { createToken } from '../src/server/auth.js';
import { lookupEvents } from '../src/store/events.js';
import { tempDir, rmDir } from './helpers/fixtures.js';

async function listen(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => srv.close(() => r())) };
}

test('retries with backoff through a failing server; every event arrives exactly once', async () => {
  let calls = 0;
  const received: string[] = [];
  const srv = await listen((_req, body, res) => {
    calls++;
    if (calls <= 3) {
      res.writeHead(calls === 2 ? 429 : 503).end('busy');
      return;
    }
    const { auditEvents } = JSON.parse(body) as { auditEvents: { id: string; eventData: string }[] };
    received.push(...auditEvents.map((e) => e.id));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ successful: auditEvents.map((e) => ({ id: e.id, eventID: e.id })), failed: [] }));
  });
  try {
    const client = new AuditClient({ endpoint: srv.url, token: 't', batchSize: 10, flushIntervalMs: 10, baseDelayMs: 5, maxDelayMs: 20 });
    const ids = Array.from({ length: 25 }, (_, i) => client.record({ eventSource: 'svc.test', eventName: 'Op', requestParameters: { i } }));
    await client.close();
    assert.equal(client.stats.retries, 3);
    assert.equal(client.stats.sent, 25);
    assert.deepEqual([...received].sort(), [...ids].sort());
    assert.equal(new Set(received).size, 25);
  } finally {
    await srv.close();
  }
});

test('requests reuse kept-alive connections; a caller-supplied fetch is used instead when given', async () => {
  const sockets = new Set<unknown>();
  let bodies = 0;
  const srv = await listen((req, body, res) => {
    sockets.add(req.socket);
    const { auditEvents } = JSON.parse(body) as { auditEvents: { id: string }[] };
    bodies += auditEvents.length;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ successful: auditEvents.map((e) => ({ id: e.id, eventID: e.id })), failed: [] }));
  });
  try {
    const client = new AuditClient({ endpoint: srv.url, token: 't', batchSize: 10, concurrency: 1, flushIntervalMs: 5 });
    for (let i = 0; i < 50; i++) client.record({ eventSource: 'svc.test', eventName: 'Op' });
    await client.close();
    assert.equal(client.stats.sent, 50);
    // Five requests one after another over one connection.
    assert.equal(sockets.size, 1);
    let viaFetch = 0;
    const counting: typeof fetch = (input, init) => {
      viaFetch++;
      return fetch(input, init);
    };
    const other = new AuditClient({ endpoint: srv.url, token: 't', batchSize: 10, flushIntervalMs: 5, fetch: counting });
    for (let i = 0; i < 20; i++) other.record({ eventSource: 'svc.test', eventName: 'Op' });
    await other.close();
    assert.equal(other.stats.sent, 20);
    assert.equal(viaFetch, 2);
    assert.equal(bodies, 70);
  } finally {
    await srv.close();
  }
});

test('a non-retryable answer fails the batch at once and reports it', async () => {
  const srv = await listen((_req, _body, res) => res.writeHead(400).end('{"error":{"code":"USAGE","message":"bad"}}'));
  try {
    const errors: { reason: string; events: number }[] = [];
    const client = new AuditClient({ endpoint: srv.url, token: 't', flushIntervalMs: 5, onError: (e) => errors.push(e) });
    client.record({ eventSource: 's', eventName: 'n' });
    await client.close();
    assert.equal(client.stats.failed, 1);
    assert.equal(client.stats.retries, 0);
    assert.deepEqual(errors.map((e) => e.reason), ['server answered 400']);
  } finally {
    await srv.close();
  }
});

test('the buffer is bounded: drop-oldest, drop-newest and throw', async () => {
  // Nothing listens on port 9: every send fails, so the buffer fills.
  const mk = (overflow: 'drop-oldest' | 'drop-newest' | 'throw') =>
    new AuditClient({ endpoint: 'http://127.0.0.1:9', token: 't', maxBufferSize: 3, overflow, flushIntervalMs: 60_000, batchSize: 100, maxAttempts: 1 });
  const oldest = mk('drop-oldest');
  const ids = [1, 2, 3, 4, 5].map((i) => oldest.record({ eventSource: 's', eventName: `e${i}` }));
  assert.equal(oldest.stats.dropped, 2);
  assert.equal(oldest.stats.buffered, 3);
  assert.deepEqual((oldest as unknown as { buffer: { id: string }[] }).buffer.map((b) => b.id), ids.slice(2));
  // Unreachable: a flush keeps the events buffered for a later try; close() reports them lost.
  await oldest.flush();
  assert.equal(oldest.stats.buffered, 3);
  assert.equal(oldest.stats.failed, 0);
  await oldest.close();
  assert.equal(oldest.stats.failed, 3);
  const newest = mk('drop-newest');
  const ids2 = [1, 2, 3, 4].map((i) => newest.record({ eventSource: 's', eventName: `e${i}` }));
  assert.deepEqual((newest as unknown as { buffer: { id: string }[] }).buffer.map((b) => b.id), ids2.slice(0, 3));
  const strict = mk('throw');
  for (let i = 0; i < 3; i++) strict.record({ eventSource: 's', eventName: 'e' });
  assert.throws(() => strict.record({ eventSource: 's', eventName: 'e' }), AuditBufferFullError);
});

test('end to end: the SDK and the LLM wrapper record into a real aitrail server', async () => {
  const dir = tempDir();
  const llm = await listen((req, body, res) => {
    const b = JSON.parse(body) as { model: string };
    if (b.model === 'broken') {
      res.writeHead(500).end('boom');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      id: 'c1', model: b.model, choices: [{ message: { role: 'assistant', content: 'Paris.' } }],
      usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 }, path: req.url,
    }));
  });
  const messages = [{ role: 'user', content: 'What is the capital of France? secret-project-x' }];
  try {
    const pre = await Store.open({ dataDir: `${dir}/data` });
    const { token } = await createToken(pre, 'gateway', 'ingest');
    await pre.close();
    const srv = await startServer({ dataDir: `${dir}/data`, port: 0 });
    try {
      const client = new AuditClient({ endpoint: srv.url, token, flushIntervalMs: 20 });
      const f = auditedLlmFetch(client, { identity: { type: 'User', principalId: 'alice', userName: 'alice' }, eventSource: 'llm.gateway.acme' });
      const r = await f(`${llm.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'llama-3-70b', messages, max_tokens: 50 }) });
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content, 'Paris.');
      await f(`${llm.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'broken', messages }) });
      const textual = auditedLlmFetch(client, { identity: { type: 'User', principalId: 'bob' }, eventSource: 'llm.gateway.acme', recordText: true });
      await textual(`${llm.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'llama-3-70b', messages }) });
      client.record({ eventSource: 'agent.acme', eventName: 'ToolCall', userIdentity: { type: 'Service', principalId: 'planner' }, requestParameters: { tool: 'search' } });
      await client.close();
      assert.equal(client.stats.sent, 4);
    } finally {
      await srv.close();
    }
    const store = await Store.open({ dataDir: `${dir}/data`, readOnly: true });
    try {
      const res = await lookupEvents(store, { LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'llm.gateway.acme' }] });
      assert.equal(res.Events.length, 3);
      const recs = res.Events.map((e) => JSON.parse(e.CloudTrailEvent) as Record<string, any>);
      const ok = recs.find((r) => r.userIdentity.principalId === 'alice' && !r.errorCode)!;
      assert.equal(ok.eventName, 'ChatCompletion');
      assert.equal(ok.requestParameters.model, 'llama-3-70b');
      assert.equal(ok.requestParameters.promptSha256, createHash('sha256').update(JSON.stringify(messages)).digest('hex'));
      assert.ok(!JSON.stringify(ok).includes('secret-project-x'), 'the prompt text is not stored by default');
      assert.deepEqual([ok.additionalEventData.inputTokens, ok.additionalEventData.outputTokens, ok.additionalEventData.totalTokens], [12, 3, 15]);
      assert.equal(typeof ok.additionalEventData.latencyMs, 'number');
      const failed = recs.find((r) => r.errorCode)!;
      assert.equal(failed.errorCode, 'HTTP500');
      const withText = recs.find((r) => r.userIdentity.principalId === 'bob')!;
      assert.ok(JSON.stringify(withText.requestParameters.prompt).includes('secret-project-x'));
      assert.equal(withText.responseElements.completion, 'Paris.');
      const cls = await store.all(`SELECT aiService, aiActivity, modelId FROM event_store WHERE eventSource = 'llm.gateway.acme' AND errorCode IS NULL`);
      assert.deepEqual(cls.map((c) => [c.aiService, c.aiActivity, c.modelId]), [['llm', 'inference', 'llama-3-70b'], ['llm', 'inference', 'llama-3-70b']]);
    } finally {
      await store.close();
    }
  } finally {
    await llm.close();
    rmDir(dir);
  }
});
