/**
 * The HTTP app factory: every route declares its request and response schemas (the OpenAPI
 * document at /api/openapi.json is generated from them), the permission it needs, and the
 * event name it is audited under. It listens nowhere; src/server/index.ts does.
 */
import { OpenAPIHono, createRoute, z, type RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { readFile, stat } from 'node:fs/promises';
import { join, normalize, extname } from 'node:path';
import { AitrailError, choices, isAitrailError } from '../model/errors.js';
import { can, RoleSchema, type Permission } from '../model/auth.js';
import { FindingSchema, FindingStatusSchema, SeveritySchema } from '../model/findings.js';
import { LOOKUP_ATTRIBUTE_KEYS, parseTime } from '../query/lookup.js';
import { eventJson, getStoredEvent, LookupCache, lookupEvents, runSql } from '../store/events.js';
import { dashboardStats } from '../store/stats.js';
import { addSuppression, activeSuppressions, getFinding, listFindings, setFindingStatus, ruleSettings, setRuleEnabled } from '../store/findings.js';
import { loadEnabledRules, detect } from '../detect/run.js';
import { createToken, listTokens, revokeToken, Sessions, verifyToken, type Principal } from './auth.js';
import { Auditor } from './audit.js';
import type { StoreAccess } from './db.js';
import { Metrics } from './metrics.js';
import { putAuditEvents, PutAuditEventsRequestSchema, PutAuditEventsResponseSchema } from './push.js';
import type { TrailManager } from '../trail/manager.js';
import { describeTrails, getTrailStatus } from '../trail/ops.js';
import { storedRecord } from '../model/stored-json.js';

/** What the app needs. */
export interface AppDeps {
  access: StoreAccess;
  sessions?: Sessions;
  /** Folder of the built console (index.html + assets), if any. */
  webDir?: string;
  /** Loopback-only development mode: every request is an admin. */
  noAuth?: boolean;
  /** Cookies are marked Secure (set when served over HTTPS). */
  secureCookies?: boolean;
  version?: string;
  /** Extra rule directories for detections and the rules list. */
  rulesDirs?: string[];
  now?: () => Date;
  /** The trails the server delivers (flush and status routes). */
  trails?: TrailManager;
}

type Env = { Variables: { principal?: Principal; requestId: string } };
/**
 * A request part hono's validator has already checked against its route's zod schema; each
 * handler reads it in the shape its own schema declares.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Validated = any;
/** The validated-input accessor of a request (typed per route by hono; here for every route). */
type ValidatingRequest = { valid(target: 'json' | 'query' | 'param'): Validated };

const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).openapi('Error');
const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const errors = {
  400: json(ErrorSchema, 'Bad request'),
  401: json(ErrorSchema, 'Not signed in'),
  403: json(ErrorSchema, 'Not allowed for this role'),
};

const LookupRequestSchema = z
  .object({
    LookupAttributes: z.array(z.object({ AttributeKey: z.enum(LOOKUP_ATTRIBUTE_KEYS), AttributeValue: z.string().min(1).max(2000) })).optional(),
    StartTime: z.union([z.string(), z.number()]).optional(),
    EndTime: z.union([z.string(), z.number()]).optional(),
    EventCategory: z.literal('insight').optional(),
    MaxResults: z.number().int().min(1).max(10_000).optional(),
    NextToken: z.string().optional(),
    Filters: z.array(z.string()).optional(),
  })
  .openapi('LookupEventsRequest');
const LookupEventSchema = z.object({
  EventId: z.string().nullable(),
  EventName: z.string(),
  ReadOnly: z.string().nullable(),
  AccessKeyId: z.string().nullable(),
  EventTime: z.string(),
  EventSource: z.string(),
  Username: z.string().nullable(),
  Resources: z.array(z.object({ ResourceType: z.string().nullable(), ResourceName: z.string() })),
  CloudTrailEvent: z.string(),
});
const LookupResponseSchema = z.object({ Events: z.array(LookupEventSchema), NextToken: z.string().optional() }).openapi('LookupEventsResponse');
const SqlRequestSchema = z
  .object({ sql: z.string().min(1).max(100_000), maxRows: z.number().int().min(1).max(100_000).optional(), timeoutMs: z.number().int().min(100).max(300_000).optional(), queryId: z.string().max(100).optional() })
  .openapi('SqlRequest');
const SqlResponseSchema = z
  .object({ columns: z.array(z.string()), types: z.array(z.string()), rows: z.array(z.array(z.unknown())), truncated: z.boolean(), elapsedMs: z.number() })
  .openapi('SqlResponse');
const FindingSummarySchema = FindingSchema.omit({ eventIds: true });

function toDate(v: string | number | undefined, what: string): Date | undefined {
  if (v === undefined) return undefined;
  // Text is read as the CLI reads it: a date and time without a zone is UTC, not the server's zone.
  if (typeof v === 'string') return parseTime(v, what);
  const d = new Date(v * 1000);
  if (Number.isNaN(d.getTime())) throw new AitrailError('USAGE', `${what} is not a time: ${v}`);
  return d;
}

function clientIp(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
}

/** One declared route: how it is reached and what it needs. */
export interface RouteInfo {
  method: string;
  path: string;
  permission: Permission | 'public';
  auditName?: string;
}

/** Builds the app. */
export function createApp(deps: AppDeps): { app: OpenAPIHono<Env>; auditor: Auditor; metrics: Metrics; sessions: Sessions; routes: RouteInfo[] } {
  const routes: RouteInfo[] = [];
  const sessions = deps.sessions ?? new Sessions();
  const auditor = new Auditor(deps.access);
  const metrics = new Metrics();
  const now = deps.now ?? (() => new Date());
  const runningQueries = new Map<string, AbortController>();
  const dashCache = new Map<string, { at: number; version: number; value: Promise<unknown> }>();
  const lookupCache = new LookupCache();

  // Verified tokens are remembered for one second: a revocation takes effect within it (it is
  // normally done while the server is stopped), and busy clients do not cost a query per call.
  const tokenCache = new Map<string, { at: number; p: Principal | undefined }>();
  const verifyCached = async (token: string): Promise<Principal | undefined> => {
    const hit = tokenCache.get(token);
    if (hit && Date.now() - hit.at < 1000) return hit.p;
    const p = await deps.access.read((s) => verifyToken(s, token));
    if (tokenCache.size > 1000) tokenCache.clear();
    tokenCache.set(token, { at: Date.now(), p });
    return p;
  };

  const app = new OpenAPIHono<Env>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const where = issue?.path.length ? issue.path.join('.') + ': ' : '';
        return c.json({ error: { code: 'USAGE', message: `invalid request: ${where}${issue?.message ?? 'bad input'}` } }, 400);
      }
      return undefined;
    },
  });

  app.onError((err, c) => {
    if (isAitrailError(err)) return c.json({ error: { code: err.code, message: err.message } }, err.status as 400);
    if (err instanceof HTTPException && err.status < 500) return c.json({ error: { code: err.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'USAGE', message: err.message || 'bad request' } }, err.status);
    if (err instanceof SyntaxError) return c.json({ error: { code: 'USAGE', message: `malformed JSON body: ${err.message}` } }, 400);
    process.stderr.write(`aitrail serve: internal error on ${c.req.method} ${c.req.path}: ${err.stack ?? err}\n`);
    return c.json({ error: { code: 'INTERNAL', message: 'internal error; see the server log' } }, 500);
  });

  // Who is calling: a bearer token, or the console's session cookie.
  app.use('/api/*', async (c, next) => {
    const started = performance.now();
    c.set('requestId', crypto.randomUUID());
    if (deps.noAuth) c.set('principal', { tokenId: 'local', name: 'local-admin', role: 'admin', via: 'bearer' });
    else {
      const h = c.req.header('authorization');
      if (h?.startsWith('Bearer ')) {
        const p = await verifyCached(h.slice(7));
        if (p) c.set('principal', p);
        else c.set('principal', undefined);
      } else {
        const p = sessions.get(getCookie(c, 'aitrail_session'));
        if (p) c.set('principal', p);
      }
    }
    await next();
    metrics.observe(c.req.method, c.req.routePath ?? c.req.path, c.res.status, (performance.now() - started) / 1000);
  });

  /** Declares a route: schema, permission, audit name; the handler gets validated input. */
  function route<R extends RouteConfig>(
    def: R & { permission: Permission | 'public'; audit?: { name: string; readOnly: boolean } },
    handler: (c: Context<Env>, input: { json: Validated; query: Validated; param: Validated }) => Promise<Response>,
  ): void {
    const guard: MiddlewareHandler<Env> = async (c, next) => {
      if (def.permission === 'public') return next();
      const p = c.get('principal');
      const fail = (code: 'UNAUTHENTICATED' | 'FORBIDDEN', message: string) => {
        if (def.audit) {
          auditor.record({ eventName: def.audit.name, principal: p, sourceIPAddress: clientIp(c), userAgent: c.req.header('user-agent'), readOnly: def.audit.readOnly, requestParameters: { path: c.req.path }, errorCode: code === 'UNAUTHENTICATED' ? 'UnauthenticatedException' : 'AccessDenied', errorMessage: message });
        }
        throw new AitrailError(code, message);
      };
      if (!p) fail('UNAUTHENTICATED', c.req.header('authorization') ? 'the token is not valid or was revoked' : 'sign in, or send Authorization: Bearer <token>');
      else if (!can(p.role, def.permission)) fail('FORBIDDEN', `role '${p.role}' may not do this (needs '${def.permission}')`);
      return next();
    };
    const { permission: _p, audit, ...rest } = def;
    routes.push({ method: def.method.toUpperCase(), path: def.path, permission: def.permission, auditName: audit?.name });
    const r = createRoute({ ...rest, middleware: [guard] } as unknown as R);
    app.openapi(r, (async (c: Context<Env>) => {
      const input = {
        json: rest.request?.body ? (c.req as ValidatingRequest).valid('json') : undefined,
        query: rest.request?.query ? (c.req as ValidatingRequest).valid('query') : undefined,
        param: rest.request?.params ? (c.req as ValidatingRequest).valid('param') : undefined,
      };
      if (!audit) return handler(c, input);
      const base = { eventName: audit.name, principal: c.get('principal'), sourceIPAddress: clientIp(c), userAgent: c.req.header('user-agent'), readOnly: audit.readOnly };
      const params = auditParams(audit.name, input);
      try {
        const res = await handler(c, input);
        auditor.record({ ...base, requestParameters: params, responseElements: res.status >= 400 ? null : { status: res.status } });
        return res;
      } catch (e) {
        auditor.record({ ...base, requestParameters: params, errorCode: isAitrailError(e) ? e.code : 'InternalError', errorMessage: (e as Error).message });
        throw e;
      }
    }) as never);
  }

  route(
    { method: 'get', path: '/api/health', permission: 'public', summary: 'Liveness and store status', tags: ['meta'], responses: { 200: json(z.object({ status: z.literal('ok'), version: z.string(), events: z.number() }), 'Healthy') } },
    async (c) => {
      const n = await deps.access.read(async (s) => Number((await s.one('SELECT count(*) AS n FROM event_store'))!.n));
      return c.json({ status: 'ok' as const, version: deps.version ?? '0', events: n });
    },
  );

  route(
    { method: 'get', path: '/api/metrics', permission: 'read', summary: 'Prometheus metrics', tags: ['meta'], responses: { 200: { content: { 'text/plain': { schema: z.string() } }, description: 'Prometheus text format' }, ...errors } },
    async (c) => {
      const g = await deps.access.read(async (s) => ({
        events: Number((await s.one('SELECT count(*) AS n FROM event_store'))!.n),
        open: Number((await s.one(`SELECT count(*) AS n FROM findings WHERE status = 'open'`))!.n),
        rejects: Number((await s.one('SELECT count(*) AS n FROM rejects'))!.n),
      }));
      return c.text(metrics.render({ aitrail_events_stored: g.events, aitrail_findings_open: g.open, aitrail_rejects_stored: g.rejects, aitrail_lookup_cache_rows: lookupCache.size }, { aitrail_lookup_cache_hits_total: lookupCache.hits, aitrail_lookup_cache_misses_total: lookupCache.misses }), 200, { 'content-type': 'text/plain; version=0.0.4' });
    },
  );

  // Console sign-in: exchange a token for an HttpOnly, SameSite session cookie.
  route(
    {
      method: 'post', path: '/api/session', permission: 'public', summary: 'Sign in with an API token (sets a session cookie)', tags: ['session'],
      request: { body: { content: { 'application/json': { schema: z.object({ token: z.string().min(1).max(200) }) } } } },
      responses: { 200: json(z.object({ name: z.string(), role: z.string() }), 'Signed in'), ...errors },
    },
    async (c, { json: body }) => {
      const p = deps.noAuth ? c.get('principal') : await deps.access.read((s) => verifyToken(s, body.token));
      const base = { eventName: 'ConsoleLogin', sourceIPAddress: clientIp(c), userAgent: c.req.header('user-agent'), readOnly: false, eventType: 'AwsConsoleSignIn' as const, requestParameters: null };
      if (!p) {
        auditor.record({ ...base, principal: undefined, errorCode: 'Failed authentication', errorMessage: 'Failed authentication', responseElements: { ConsoleLogin: 'Failure' } });
        throw new AitrailError('UNAUTHENTICATED', 'that token is not valid or was revoked');
      }
      const id = sessions.create(p);
      setCookie(c, 'aitrail_session', id, { httpOnly: true, sameSite: 'Strict', path: '/', secure: deps.secureCookies ?? false, maxAge: 12 * 3600 });
      auditor.record({ ...base, principal: { ...p, via: 'session' }, responseElements: { ConsoleLogin: 'Success' } });
      return c.json({ name: p.name, role: p.role });
    },
  );
  route(
    { method: 'get', path: '/api/session', permission: 'read', summary: 'Who is signed in', tags: ['session'], responses: { 200: json(z.object({ name: z.string(), role: z.string() }), 'The caller'), ...errors } },
    async (c) => {
      const p = c.get('principal')!;
      return c.json({ name: p.name, role: p.role });
    },
  );
  route(
    { method: 'delete', path: '/api/session', permission: 'public', summary: 'Sign out', tags: ['session'], audit: { name: 'ConsoleLogout', readOnly: false }, responses: { 200: json(z.object({ ok: z.boolean() }), 'Signed out') } },
    async (c) => {
      sessions.delete(getCookie(c, 'aitrail_session'));
      deleteCookie(c, 'aitrail_session', { path: '/' });
      return c.json({ ok: true });
    },
  );

  route(
    {
      method: 'post', path: '/api/events/lookup', permission: 'read', summary: 'LookupEvents: search events, newest first, with cursor pagination', tags: ['events'],
      audit: { name: 'LookupEvents', readOnly: true },
      request: { body: { content: { 'application/json': { schema: LookupRequestSchema } } } },
      responses: { 200: json(LookupResponseSchema, 'A page of events'), ...errors },
    },
    async (c, { json: b }) => {
      const req = { ...b, StartTime: toDate(b.StartTime, 'StartTime'), EndTime: toDate(b.EndTime, 'EndTime') };
      const res = await deps.access.read((s) => lookupEvents(s, req, lookupCache));
      return c.json(res);
    },
  );

  route(
    {
      method: 'get', path: '/api/events/{eventId}', permission: 'read', summary: 'One event with its raw record', tags: ['events'], audit: { name: 'GetEvent', readOnly: true },
      request: { params: z.object({ eventId: z.string().min(1).max(200) }) },
      responses: { 200: json(z.record(z.string(), z.unknown()), 'The event'), 404: json(ErrorSchema, 'Not found'), ...errors },
    },
    async (c, { param }) => {
      const ev = await deps.access.read((s) => getStoredEvent(s, param.eventId));
      if (!ev) throw new AitrailError('NOT_FOUND', `no event with eventID ${param.eventId}`);
      // The record goes out as stored, spliced into the answer (c.json would parse and rewrite it).
      return c.body(eventJson(ev, 0), 200, { 'content-type': 'application/json' });
    },
  );

  route(
    {
      method: 'post', path: '/api/sql', permission: 'sql', summary: 'Run one read-only SQL query (row limit, timeout, cancellable)', tags: ['sql'], audit: { name: 'RunQuery', readOnly: true },
      request: { body: { content: { 'application/json': { schema: SqlRequestSchema } } } },
      responses: { 200: json(SqlResponseSchema, 'Rows'), 408: json(ErrorSchema, 'Timed out'), ...errors },
    },
    async (c, { json: b }) => {
      const ctrl = new AbortController();
      const qid = b.queryId ?? c.get('requestId');
      runningQueries.set(qid, ctrl);
      c.req.raw.signal?.addEventListener('abort', () => ctrl.abort());
      const started = performance.now();
      try {
        const res = await deps.access.read((s) => runSql(s, b.sql, b.maxRows ?? 10_000, { guard: true, timeoutMs: b.timeoutMs ?? 30_000, signal: ctrl.signal }));
        return c.json({ ...res, elapsedMs: Math.round(performance.now() - started) });
      } finally {
        runningQueries.delete(qid);
      }
    },
  );
  route(
    {
      method: 'post', path: '/api/sql/{queryId}/cancel', permission: 'sql', summary: 'Cancel a running query', tags: ['sql'], audit: { name: 'CancelQuery', readOnly: false },
      request: { params: z.object({ queryId: z.string().max(100) }) },
      responses: { 200: json(z.object({ cancelled: z.boolean() }), 'Whether a query was running'), ...errors },
    },
    async (c, { param }) => {
      const ctrl = runningQueries.get(param.queryId);
      ctrl?.abort();
      return c.json({ cancelled: Boolean(ctrl) });
    },
  );
  route(
    { method: 'get', path: '/api/sql/saved', permission: 'sql', summary: 'Saved queries', tags: ['sql'], responses: { 200: json(z.array(z.object({ queryId: z.string(), name: z.string(), sql: z.string() })), 'Saved queries'), ...errors } },
    async (c) => c.json((await deps.access.read((s) => s.all('SELECT queryId, name, sql FROM saved_queries ORDER BY createdAt'))) as { queryId: string; name: string; sql: string }[]),
  );
  route(
    {
      method: 'post', path: '/api/sql/saved', permission: 'sql', summary: 'Save a query', tags: ['sql'], audit: { name: 'SaveQuery', readOnly: false },
      request: { body: { content: { 'application/json': { schema: z.object({ name: z.string().min(1).max(200), sql: z.string().min(1).max(100_000) }) } } } },
      responses: { 200: json(z.object({ queryId: z.string() }), 'Saved'), ...errors },
    },
    async (c, { json: b }) => {
      const queryId = crypto.randomUUID();
      await deps.access.write((s) => s.run('INSERT INTO saved_queries VALUES (?, ?, ?, ?, now())', [queryId, b.name, b.sql, c.get('principal')?.name ?? null]));
      return c.json({ queryId });
    },
  );

  const FindingsQuery = z.object({
    status: z.string().optional(),
    severity: z.string().optional(),
    ruleId: z.string().optional(),
    principal: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
    offset: z.coerce.number().int().min(0).optional(),
  });
  route(
    {
      method: 'get', path: '/api/findings', permission: 'read', summary: 'List findings (filter by status, severity, rule, principal)', tags: ['findings'], audit: { name: 'ListFindings', readOnly: true },
      request: { query: FindingsQuery },
      responses: { 200: json(z.object({ findings: z.array(FindingSummarySchema), total: z.number() }), 'Findings'), ...errors },
    },
    async (c, { query }) => {
      const status = choices(query.status, FindingStatusSchema.options, 'status');
      const severity = choices(query.severity, SeveritySchema.options, 'severity');
      return c.json(await deps.access.read((s) => listFindings(s, { status, severity, ruleId: query.ruleId, principal: query.principal, limit: query.limit, offset: query.offset })));
    },
  );
  route(
    {
      method: 'get', path: '/api/findings/{findingId}', permission: 'read', summary: 'One finding with its rule and matched events', tags: ['findings'], audit: { name: 'GetFinding', readOnly: true },
      request: { params: z.object({ findingId: z.string().max(100) }) },
      responses: { 200: json(z.object({ finding: FindingSchema, rule: z.record(z.string(), z.unknown()).nullable(), events: z.array(z.record(z.string(), z.unknown())) }), 'The finding'), 404: json(ErrorSchema, 'Not found'), ...errors },
    },
    async (c, { param }) => {
      const out = await deps.access.read(async (s) => {
        const f = await getFinding(s, param.findingId);
        if (!f) throw new AitrailError('NOT_FOUND', `no finding ${param.findingId}`);
        const ids = f.eventIds.slice(0, 500);
        const events = ids.length
          ? await s.all(`SELECT eventId, eventTime, eventName, eventSource, awsRegion, sourceIPAddress, userIdentityArn, errorCode, coalesce(record, recordLarge) AS record FROM event_store WHERE eventId IN (${ids.map(() => '?').join(',')}) ORDER BY eventTime`, ids)
          : [];
        return { f, events };
      });
      const { set } = await deps.access.read((s) => loadEnabledRules(s, { rulesDirs: deps.rulesDirs }));
      const rule = set.rules.find((r) => r.id === out.f.ruleId);
      const head = JSON.stringify({
        finding: out.f,
        rule: rule ? { id: rule.id, title: rule.title, description: rule.description, severity: rule.severity, attack: rule.attack, references: rule.references, falsepositives: rule.falsepositives, kind: rule.kind, pattern: rule.pattern ?? null } : null,
      });
      // Each event's record is the stored text spliced in, as GET /api/events/{eventId} gives it.
      const events = out.events.map(({ record, ...e }) =>
        eventJson({ fields: { ...e, eventTime: (e.eventTime as Date).toISOString() }, recordText: storedRecord(String(record)).text }, 0),
      );
      return c.body(`${head.slice(0, -1)},"events":[${events.join(',')}]}`, 200, { 'content-type': 'application/json' });
    },
  );
  route(
    {
      method: 'post', path: '/api/findings/{findingId}/status', permission: 'triage', summary: 'Acknowledge, resolve or reopen a finding', tags: ['findings'], audit: { name: 'UpdateFindingStatus', readOnly: false },
      request: { params: z.object({ findingId: z.string().max(100) }), body: { content: { 'application/json': { schema: z.object({ status: z.enum(['open', 'acknowledged', 'resolved']), note: z.string().max(2000).optional() }) } } } },
      responses: { 200: json(FindingSchema, 'The updated finding'), 404: json(ErrorSchema, 'Not found'), ...errors },
    },
    async (c, { param, json: b }) => c.json(await deps.access.write((s) => setFindingStatus(s, param.findingId, b.status, c.get('principal')?.name ?? null, b.note ?? null))),
  );
  const SuppressionSchema = z.object({ suppressionId: z.number(), ruleId: z.string(), principal: z.string().nullable(), reason: z.string().nullable(), expiresAt: z.string().nullable(), createdAt: z.string(), createdBy: z.string().nullable() });
  route(
    {
      method: 'post', path: '/api/suppressions', permission: 'triage', summary: 'Suppress a rule (optionally for one principal) until an expiry', tags: ['findings'], audit: { name: 'CreateSuppression', readOnly: false },
      request: { body: { content: { 'application/json': { schema: z.object({ ruleId: z.string().min(1), principal: z.string().optional(), reason: z.string().max(2000).optional(), expiresAt: z.string().optional() }) } } } },
      responses: { 200: json(z.object({ suppression: SuppressionSchema, suppressedFindings: z.number() }), 'Created'), ...errors },
    },
    async (c, { json: b }) =>
      c.json(await deps.access.write((s) => addSuppression(s, { ruleId: b.ruleId, principal: b.principal ?? null, reason: b.reason ?? null, expiresAt: toDate(b.expiresAt, 'expiresAt') ?? null, by: c.get('principal')?.name ?? null }))),
  );
  route(
    { method: 'get', path: '/api/suppressions', permission: 'read', summary: 'Active suppressions', tags: ['findings'], audit: { name: 'ListSuppressions', readOnly: true }, responses: { 200: json(z.array(SuppressionSchema), 'Active suppressions'), ...errors } },
    async (c) => c.json(await deps.access.read((s) => activeSuppressions(s, now()))),
  );

  route(
    {
      method: 'get', path: '/api/stats/dashboard', permission: 'read', summary: 'AI activity dashboard statistics for a time window', tags: ['stats'], audit: { name: 'GetDashboardStatistics', readOnly: true },
      request: { query: z.object({ start: z.string().optional(), end: z.string().optional() }) },
      responses: { 200: json(z.record(z.string(), z.unknown()), 'Statistics'), ...errors },
    },
    async (c, { query }) => {
      const end = toDate(query.end, 'end') ?? now();
      const start = toDate(query.start, 'start') ?? new Date(end.getTime() - 7 * 86_400_000);
      if (start > end) throw new AitrailError('InvalidTimeRangeException', 'start must be before end');
      // The same dashboard is computed once per window for every client asking, and again only
      // when a write may have touched the window (new events newer than it, like self-audit
      // events of a historical window, leave it valid) or after ten seconds.
      const key = `${start.toISOString()}|${end.toISOString()}`;
      let hit = dashCache.get(key);
      if (!hit || Date.now() - hit.at > 10_000 || !deps.access.unchangedThrough(hit.version, end.getTime())) {
        hit = { at: Date.now(), version: deps.access.version, value: dashboardStats((fn) => deps.access.read(fn), start, end) };
        dashCache.set(key, hit);
        if (dashCache.size > 50) dashCache.delete(dashCache.keys().next().value!);
        hit.value.catch(() => dashCache.delete(key));
      }
      return c.json((await hit.value) as Record<string, unknown>);
    },
  );

  // API tokens, for admins: create (the secret is in that response only, never stored, logged
  // or audited), list, revoke. A revocation takes effect at once on this server.
  const TokenInfoSchema = z
    .object({ tokenId: z.string(), name: z.string(), role: RoleSchema, createdAt: z.string(), createdBy: z.string().nullable(), revokedAt: z.string().nullable(), lastUsedAt: z.string().nullable() })
    .openapi('TokenInfo');
  route(
    { method: 'get', path: '/api/tokens', permission: 'manage', summary: 'API tokens (ids, names, roles, dates; never secrets)', tags: ['tokens'], audit: { name: 'ListTokens', readOnly: true }, responses: { 200: json(z.object({ tokens: z.array(TokenInfoSchema) }), 'Tokens'), ...errors } },
    async (c) => c.json({ tokens: await deps.access.read((s) => listTokens(s)) }),
  );
  route(
    {
      method: 'post', path: '/api/tokens', permission: 'manage', summary: 'Create a token; its secret is shown in this response only', tags: ['tokens'], audit: { name: 'CreateToken', readOnly: false },
      request: { body: { content: { 'application/json': { schema: z.object({ role: RoleSchema, name: z.string().min(1).max(64).optional() }) } } } },
      responses: { 200: json(z.object({ token: z.string(), info: TokenInfoSchema }), 'The new token'), ...errors },
    },
    async (c, { json: b }) => {
      const by = c.get('principal')?.name ?? null;
      const created = await deps.access.write((s) => createToken(s, b.name ?? `${b.role}-${Date.now().toString(36)}`, b.role, by));
      return c.json(created);
    },
  );
  route(
    {
      method: 'delete', path: '/api/tokens/{tokenId}', permission: 'manage', summary: 'Revoke a token by id or name', tags: ['tokens'], audit: { name: 'RevokeToken', readOnly: false },
      request: { params: z.object({ tokenId: z.string().min(1).max(100) }) },
      responses: { 200: json(z.object({ revoked: z.number() }), 'Revoked'), 404: json(ErrorSchema, 'No such active token'), ...errors },
    },
    async (c, { param }) => {
      const revoked = await deps.access.write((s) => revokeToken(s, param.tokenId));
      tokenCache.clear();
      return c.json({ revoked });
    },
  );

  const RuleSchema = z.object({ id: z.string(), title: z.string(), kind: z.string(), pack: z.string(), severity: z.string(), attack: z.array(z.string()), enabled: z.boolean(), description: z.string(), tests: z.number() });
  route(
    { method: 'get', path: '/api/rules', permission: 'read', summary: 'Detection rules with their enabled state', tags: ['rules'], audit: { name: 'ListRules', readOnly: true }, responses: { 200: json(z.object({ rules: z.array(RuleSchema), errors: z.array(z.object({ file: z.string(), line: z.number(), message: z.string() })) }), 'Rules'), ...errors } },
    async (c) => {
      const { set } = await deps.access.read((s) => loadEnabledRules(s, { rulesDirs: deps.rulesDirs }));
      const settings = await deps.access.read((s) => ruleSettings(s));
      return c.json({
        rules: set.rules.map((r) => ({ id: r.id, title: r.title, kind: r.kind, pack: r.pack, severity: r.severity, attack: r.attack, enabled: settings.get(r.id) ?? true, description: r.description, tests: r.tests.length })),
        errors: set.errors,
      });
    },
  );
  route(
    {
      method: 'post', path: '/api/rules/{ruleId}/enabled', permission: 'manage', summary: 'Enable or disable a rule', tags: ['rules'], audit: { name: 'UpdateRule', readOnly: false },
      request: { params: z.object({ ruleId: z.string().max(300) }), body: { content: { 'application/json': { schema: z.object({ enabled: z.boolean() }) } } } },
      responses: { 200: json(z.object({ ruleId: z.string(), enabled: z.boolean() }), 'Updated'), ...errors },
    },
    async (c, { param, json: b }) => {
      await deps.access.write((s) => setRuleEnabled(s, param.ruleId, b.enabled));
      return c.json({ ruleId: param.ruleId, enabled: b.enabled });
    },
  );
  route(
    { method: 'post', path: '/api/detect', permission: 'detect', summary: 'Run detections now', tags: ['rules'], audit: { name: 'RunDetections', readOnly: false }, responses: { 200: json(z.record(z.string(), z.unknown()), 'Detection summary'), ...errors } },
    async (c) => c.json((await deps.access.write((s) => detect(s, { rulesDirs: deps.rulesDirs, now: now() }))) as unknown as Record<string, unknown>),
  );

  route(
    {
      method: 'post', path: '/api/audit-events', permission: 'push', summary: 'PutAuditEvents: push events (CloudTrail Lake request and response shapes)', tags: ['ingest'],
      audit: { name: 'PutAuditEvents', readOnly: false },
      request: { body: { content: { 'application/json': { schema: PutAuditEventsRequestSchema } } } },
      responses: { 200: json(PutAuditEventsResponseSchema, 'Per-event outcome'), 413: json(ErrorSchema, 'Too large'), ...errors },
    },
    async (c, { json: b }) => c.json(await putAuditEvents(deps.access, b, c.get('principal')!)),
  );

  route(
    { method: 'get', path: '/api/trails', permission: 'read', summary: 'Trails and their status (DescribeTrails + GetTrailStatus)', tags: ['trails'], audit: { name: 'DescribeTrails', readOnly: true }, responses: { 200: json(z.object({ trailList: z.array(z.record(z.string(), z.unknown())) }), 'Trails'), ...errors } },
    async (c) =>
      c.json(
        await deps.access.read(async (s) => {
          const d = await describeTrails(s);
          return { trailList: await Promise.all(d.trailList.map(async (t) => ({ ...t, Status: await getTrailStatus(s, t.Name) }))) };
        }),
      ),
  );
  route(
    {
      method: 'post', path: '/api/trails/{name}/flush', permission: 'manage', summary: 'Deliver pending events of a trail and write a digest now', tags: ['trails'], audit: { name: 'FlushTrail', readOnly: false },
      request: { params: z.object({ name: z.string().max(128) }) },
      responses: { 200: json(z.object({ logFiles: z.array(z.unknown()), digests: z.array(z.unknown()) }), 'What was delivered'), 404: json(ErrorSchema, 'Not found'), ...errors },
    },
    async (c, { param }) => {
      if (!deps.trails) throw new AitrailError('NOT_FOUND', 'this server runs no trails');
      const r = await deps.trails.flush(param.name);
      return c.json({ logFiles: r.logFiles, digests: r.digests });
    },
  );

  app.doc31('/api/openapi.json', { openapi: '3.1.0', info: { title: 'aitrail API', version: deps.version ?? '0', description: 'Search, query and triage the aitrail event lake. Authenticate with `Authorization: Bearer <token>`.' } });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });

  app.all('/api/*', (c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } }, 404));

  // The console: static files with an SPA fallback to index.html.
  if (deps.webDir) {
    const root = deps.webDir;
    const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2' };
    app.get('*', async (c) => {
      const rel = normalize(decodeURIComponent(c.req.path)).replace(/^(\.\.[/\\])+/, '');
      let file = join(root, rel);
      if (!file.startsWith(root)) return c.text('not found', 404);
      const st = await stat(file).catch(() => undefined);
      if (!st?.isFile()) file = join(root, 'index.html');
      const body = await readFile(file).catch(() => undefined);
      if (!body) return c.text('the console is not built: run `npm run build:web`', 404);
      const ext = extname(file);
      const headers: Record<string, string> = {
        'content-type': types[ext] ?? 'application/octet-stream',
        'x-content-type-options': 'nosniff',
        'cache-control': file.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      };
      if (ext === '.html') {
        headers['content-security-policy'] = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
        headers['x-frame-options'] = 'DENY';
      }
      return c.body(body, 200, headers);
    });
  }
  return { app, auditor, metrics, sessions, routes };
}

/** What the audit record keeps of a request: parameters, never secrets or whole payloads. */
function auditParams(name: string, input: { json: Validated; query: Validated; param: Validated }): Record<string, unknown> | null {
  if (name === 'PutAuditEvents') return { auditEventCount: Array.isArray(input.json?.auditEvents) ? input.json.auditEvents.length : 0, channelArn: input.json?.channelArn ?? null };
  const out: Record<string, unknown> = {};
  if (input.param) Object.assign(out, input.param);
  if (input.query) Object.assign(out, input.query);
  if (input.json && typeof input.json === 'object') {
    for (const [k, v] of Object.entries(input.json)) if (k !== 'token') out[k] = typeof v === 'string' && v.length > 4000 ? v.slice(0, 4000) + '…' : v;
  }
  return Object.keys(out).length ? out : null;
}
