/**
 * The aitrail SDK for Node.js services: record CloudTrail-shaped audit events from any AI
 * workload (a self-hosted model, an LLM gateway, an agent) and send them to an aitrail server's
 * PutAuditEvents endpoint, batched, with retries, and with a bounded buffer.
 *
 *   const audit = new AuditClient({ endpoint: 'http://127.0.0.1:8080', token: process.env.AITRAIL_TOKEN });
 *   audit.record({ eventSource: 'llm-gateway.acme.internal', eventName: 'ChatCompletion', userIdentity: { type: 'User', principalId: 'alice' } });
 *   await audit.close();
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { hostname } from 'node:os';

/** Who made the call. */
export interface Identity {
  type: string;
  principalId?: string;
  arn?: string;
  accountId?: string;
  userName?: string;
  accessKeyId?: string;
  [k: string]: unknown;
}

/** What a service records about one operation. */
export interface AuditEventInput {
  eventSource: string;
  eventName: string;
  userIdentity?: Identity;
  eventTime?: Date | string;
  awsRegion?: string;
  sourceIPAddress?: string;
  userAgent?: string;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  additionalEventData?: Record<string, unknown>;
  errorCode?: string;
  errorMessage?: string;
  resources?: { ARN?: string; type?: string; accountId?: string }[];
  readOnly?: boolean;
  eventID?: string;
  recipientAccountId?: string;
}

/** What to do when the buffer is full. */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'throw';

/** Client options. */
export interface AuditClientOptions {
  /** The aitrail server, e.g. http://127.0.0.1:8080. */
  endpoint: string;
  /** An API token with the `ingest` (or `admin`) role. */
  token: string;
  /** Events per request (PutAuditEvents allows at most 100). */
  batchSize?: number;
  /** Send at least this often (ms). */
  flushIntervalMs?: number;
  /** Events held in memory while the server is unreachable. */
  maxBufferSize?: number;
  /** When the buffer is full: drop the oldest events (default), drop the new one, or throw. */
  overflow?: OverflowPolicy;
  /** Batches in flight at once (default 8): the server commits concurrent requests together. */
  concurrency?: number;
  /** Attempts per batch before it is counted as failed (default 8). */
  maxAttempts?: number;
  /** First retry delay (ms); doubles each attempt up to maxDelayMs, with full jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A channel name; events are stored under push:<channel>. */
  channel?: string;
  /** Called with events that could not be delivered (dropped, rejected, or retries exhausted). */
  onError?: (e: { reason: string; events: number; detail?: unknown }) => void;
  /** Send through this fetch instead of the client's own kept-alive node:http(s) connections. */
  fetch?: typeof fetch;
}

/** What the client reads of an HTTP answer. */
interface Reply {
  status: number;
  text: string;
}

type Post = (url: string, headers: Record<string, string>, body: string) => Promise<Reply>;

/** POSTs through a fetch function. */
function fetchPost(f: typeof fetch): Post {
  return async (url, headers, body) => {
    const res = await f(url, { method: 'POST', headers, body });
    return { status: res.status, text: await res.text() };
  };
}

/**
 * POSTs over node:http(s) with kept-alive connections: cheaper per request than fetch, which
 * counts when the client shares its cores with the workload it records. Idle sockets do not
 * keep the process alive.
 */
function nodePost(agents: { http: http.Agent; https: https.Agent }): Post {
  return (url, headers, body) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const secure = u.protocol === 'https:';
      const payload = Buffer.from(body);
      const req = (secure ? https : http).request(
        u,
        { method: 'POST', agent: secure ? agents.https : agents.http, headers: { ...headers, 'content-length': String(payload.length) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}

/** Counters, for health checks and tests. */
export interface AuditClientStats {
  recorded: number;
  sent: number;
  rejected: number;
  dropped: number;
  failed: number;
  retries: number;
  buffered: number;
}

/** Thrown by record() with the `throw` overflow policy. */
export class AuditBufferFullError extends Error {
  constructor(size: number) {
    super(`the audit buffer is full (${size} events); the aitrail server is not accepting events fast enough`);
    this.name = 'AuditBufferFullError';
  }
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

let host: string | undefined;
/** This machine's name, asked of the OS once (a system call per event showed in profiles). */
function thisHost(): string {
  return (host ??= hostname());
}

/** Builds the CloudTrail-shaped record of an input. */
export function buildRecord(e: AuditEventInput): Record<string, unknown> {
  const t = e.eventTime instanceof Date ? e.eventTime : e.eventTime ? new Date(e.eventTime) : new Date();
  const rec: Record<string, unknown> = {
    eventVersion: '1.11',
    userIdentity: e.userIdentity ?? { type: 'Unknown' },
    eventTime: t.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: e.eventSource,
    eventName: e.eventName,
    awsRegion: e.awsRegion ?? 'local',
    sourceIPAddress: e.sourceIPAddress ?? thisHost(),
    userAgent: e.userAgent ?? `aitrail-sdk/0.1 node/${process.versions.node}`,
    requestParameters: e.requestParameters ?? null,
    responseElements: e.responseElements ?? null,
    requestID: randomUUID(),
    eventID: e.eventID ?? randomUUID(),
    readOnly: e.readOnly ?? false,
    eventType: 'AwsApiCall',
    // Like Bedrock's InvokeModel, model calls are management events: trails record them by default.
    managementEvent: true,
    recipientAccountId: e.recipientAccountId ?? 'aitrail',
    eventCategory: 'Management',
  };
  if (e.additionalEventData) rec.additionalEventData = e.additionalEventData;
  if (e.resources) rec.resources = e.resources;
  if (e.errorCode) {
    rec.errorCode = e.errorCode;
    rec.errorMessage = e.errorMessage ?? '';
  }
  return rec;
}

/** Batches audit events to an aitrail server with retries, backoff and jitter. */
export class AuditClient {
  private readonly opts: Required<Omit<AuditClientOptions, 'onError' | 'fetch' | 'channel'>> & Pick<AuditClientOptions, 'onError' | 'channel'>;
  private readonly post: Post;
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  private buffer: { id: string; eventData: string }[] = [];
  /** Events sent and not yet answered (they still count against maxBufferSize). */
  private inflight = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private closed = false;
  readonly stats: AuditClientStats = { recorded: 0, sent: 0, rejected: 0, dropped: 0, failed: 0, retries: 0, buffered: 0 };

  constructor(options: AuditClientOptions) {
    if (!options.endpoint || !options.token) throw new Error('AuditClient needs an endpoint and a token');
    this.opts = {
      batchSize: Math.min(options.batchSize ?? 100, 100),
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      maxBufferSize: options.maxBufferSize ?? 10_000,
      overflow: options.overflow ?? 'drop-oldest',
      maxAttempts: options.maxAttempts ?? 8,
      concurrency: Math.max(1, options.concurrency ?? 8),
      baseDelayMs: options.baseDelayMs ?? 100,
      maxDelayMs: options.maxDelayMs ?? 10_000,
      ...options,
    };
    this.post = options.fetch ? fetchPost(options.fetch) : nodePost(this.agents);
  }

  /** Records one event; returns its eventID. Never blocks on the network. */
  record(event: AuditEventInput): string {
    if (this.closed) throw new Error('AuditClient is closed');
    const rec = buildRecord(event);
    if (this.buffer.length + this.inflight >= this.opts.maxBufferSize) {
      if (this.opts.overflow === 'throw') throw new AuditBufferFullError(this.buffer.length + this.inflight);
      this.stats.dropped++;
      // Events already in flight cannot be dropped; with nothing else buffered the new one goes.
      if (this.opts.overflow === 'drop-newest' || this.buffer.length === 0) {
        this.opts.onError?.({ reason: 'buffer full: event dropped', events: 1 });
        return String(rec.eventID);
      }
      this.buffer.shift();
      this.opts.onError?.({ reason: 'buffer full: oldest event dropped', events: 1 });
    }
    this.buffer.push({ id: String(rec.eventID), eventData: JSON.stringify(rec) });
    this.stats.recorded++;
    this.stats.buffered = this.buffer.length;
    if (this.buffer.length >= this.opts.batchSize) void this.kick();
    else this.timer ??= setTimeout(() => void this.kick(), this.opts.flushIntervalMs).unref();
    return String(rec.eventID);
  }

  private kick(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.sending ??= this.drain().finally(() => {
      this.sending = undefined;
      if (this.buffer.length && !this.closed) this.timer ??= setTimeout(() => void this.kick(), this.opts.flushIntervalMs).unref();
    });
    return this.sending;
  }

  private async drain(): Promise<void> {
    // A sliding window of batches in flight: a new one starts as soon as any finishes, so the
    // server (which commits concurrent requests together) always has work from this client.
    const inflight = new Set<Promise<void>>();
    let failed = false;
    while (!failed && this.buffer.length > 0) {
      while (!failed && inflight.size < this.opts.concurrency && this.buffer.length > 0) {
        const batch = this.buffer.splice(0, this.opts.batchSize);
        this.inflight += batch.length;
        this.stats.buffered = this.buffer.length;
        const p: Promise<void> = this.send(batch).then((ok) => {
          this.inflight -= batch.length;
          inflight.delete(p);
          if (!ok) {
            // Not acknowledged: back to the front of the buffer, to be tried at the next flush.
            failed = true;
            this.buffer.unshift(...batch);
            this.stats.buffered = this.buffer.length;
          }
        });
        inflight.add(p);
      }
      if (inflight.size) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  }

  private async send(batch: { id: string; eventData: string }[]): Promise<boolean> {
    const body = JSON.stringify({ auditEvents: batch, ...(this.opts.channel ? { channelArn: this.opts.channel } : {}) });
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let detail: unknown;
      try {
        const res = await this.post(`${this.opts.endpoint.replace(/\/$/, '')}/api/audit-events`, { 'content-type': 'application/json', authorization: `Bearer ${this.opts.token}` }, body);
        status = res.status;
        if (status >= 200 && status < 300) {
          const out = JSON.parse(res.text) as { successful: unknown[]; failed: { id: string; errorCode: string; errorMessage: string }[] };
          this.stats.sent += out.successful.length;
          if (out.failed.length) {
            this.stats.rejected += out.failed.length;
            this.opts.onError?.({ reason: 'events rejected by the server', events: out.failed.length, detail: out.failed });
          }
          return true;
        }
        detail = res.text;
      } catch (e) {
        detail = (e as Error).message;
      }
      if (status !== 0 && !RETRYABLE.has(status)) {
        // The server refused the batch itself (bad request, auth): retrying cannot help.
        this.stats.failed += batch.length;
        this.opts.onError?.({ reason: `server answered ${status}`, events: batch.length, detail });
        return true;
      }
      if (attempt >= this.opts.maxAttempts) {
        // Still unreachable: the batch stays buffered and is tried again at the next flush.
        this.opts.onError?.({ reason: status ? `server answered ${status}; will retry` : 'server unreachable; will retry', events: batch.length, detail });
        return false;
      }
      this.stats.retries++;
      const cap = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (attempt - 1));
      await new Promise((r) => setTimeout(r, Math.random() * cap));
    }
  }

  /** Sends everything buffered now and waits for it. */
  async flush(): Promise<void> {
    while (this.buffer.length > 0 || this.sending) {
      const before = this.buffer.length;
      await this.kick();
      if (this.buffer.length >= before && before > 0) break;
    }
  }

  /** Flushes and stops accepting events. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.agents.http.destroy();
    this.agents.https.destroy();
    if (this.buffer.length) {
      this.stats.failed += this.buffer.length;
      this.opts.onError?.({ reason: 'closed with events the server never acknowledged', events: this.buffer.length });
      this.buffer = [];
      this.stats.buffered = 0;
    }
  }
}

/** Options for recording LLM calls. */
export interface LlmAuditOptions {
  /** Who is calling (the end user or service on whose behalf the call is made). */
  identity: Identity;
  /** eventSource of the recorded events (default `llm.<host of baseURL>`). */
  eventSource?: string;
  /** Store prompt and completion text; by default only their SHA-256 is kept. */
  recordText?: boolean;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/**
 * Wraps a fetch to an OpenAI-compatible HTTP API so that every call is recorded: caller,
 * model, operation, outcome, token counts and latency, with a SHA-256 of the prompt instead
 * of its text unless `recordText` is set. Returns a fetch-compatible function.
 */
export function auditedLlmFetch(client: AuditClient, opts: LlmAuditOptions, baseFetch: typeof fetch = fetch): typeof fetch {
  return (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const operation = url.pathname.replace(/^.*\/v\d+\//, '').replace(/\//g, '.') || url.pathname;
    let body: Record<string, unknown> = {};
    if (typeof init?.body === 'string') {
      try {
        body = JSON.parse(init.body) as Record<string, unknown>;
      } catch {
        body = {};
      }
    }
    const prompt = body.messages !== undefined ? JSON.stringify(body.messages) : body.prompt !== undefined ? JSON.stringify(body.prompt) : body.input !== undefined ? JSON.stringify(body.input) : '';
    const started = performance.now();
    const req: Record<string, unknown> = { model: body.model ?? null, stream: body.stream ?? false };
    if (typeof body.max_tokens === 'number') req.max_tokens = body.max_tokens;
    if (typeof body.temperature === 'number') req.temperature = body.temperature;
    if (opts.recordText) req.prompt = prompt;
    else req.promptSha256 = prompt ? sha256(prompt) : null;
    const eventSource = opts.eventSource ?? `llm.${url.hostname}`;
    const eventName = operation === 'chat.completions' ? 'ChatCompletion' : operation === 'completions' ? 'Completion' : operation === 'embeddings' ? 'CreateEmbedding' : operation === 'responses' ? 'CreateResponse' : operation;
    try {
      const res = await baseFetch(input, init);
      const latencyMs = Math.round(performance.now() - started);
      let usage: Record<string, unknown> | undefined;
      let completionText = '';
      let model = body.model;
      if (!body.stream) {
        try {
          const j = (await res.clone().json()) as { usage?: Record<string, unknown>; model?: string; choices?: { message?: { content?: string }; text?: string }[] };
          usage = j.usage;
          model = j.model ?? model;
          completionText = (j.choices ?? []).map((c) => c.message?.content ?? c.text ?? '').join('');
        } catch {
          // Not JSON: record the call without usage.
        }
      }
      const resp: Record<string, unknown> = { status: res.status, model: model ?? null };
      if (opts.recordText) resp.completion = completionText;
      else if (completionText) resp.completionSha256 = sha256(completionText);
      client.record({
        eventSource,
        eventName,
        userIdentity: opts.identity,
        requestParameters: req,
        responseElements: resp,
        additionalEventData: {
          latencyMs,
          inputTokens: usage?.prompt_tokens ?? usage?.input_tokens ?? null,
          outputTokens: usage?.completion_tokens ?? usage?.output_tokens ?? null,
          totalTokens: usage?.total_tokens ?? null,
          endpoint: `${url.protocol}//${url.host}`,
        },
        resources: [{ type: 'AITrail::LLM::Model', ARN: `model/${String(model ?? 'unknown')}` }],
        readOnly: false,
        ...(res.ok ? {} : { errorCode: `HTTP${res.status}`, errorMessage: res.statusText || `status ${res.status}` }),
      });
      return res;
    } catch (e) {
      client.record({
        eventSource,
        eventName,
        userIdentity: opts.identity,
        requestParameters: req,
        additionalEventData: { latencyMs: Math.round(performance.now() - started), endpoint: `${url.protocol}//${url.host}` },
        errorCode: 'NetworkError',
        errorMessage: (e as Error).message,
      });
      throw e;
    }
  }) as typeof fetch;
}
