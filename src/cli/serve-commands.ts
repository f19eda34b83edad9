/**
 * Server commands: serve, tokens.
 */
import { startServer } from '../server/index.js';
import { createToken, listTokens, revokeToken, type TokenInfo } from '../server/auth.js';
import { RoleSchema } from '../model/auth.js';
import { AitrailError } from '../model/errors.js';
import { Store } from '../store/db.js';
import { note, pickFormat, printJson, printRows } from './output.js';
import { withWriteStore } from './ingest-commands.js';
import type { Command } from './main.js';

const STORE = { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

/** `aitrail serve`: the API and the console in one process that owns the store. */
export const serveCommand: Command = {
  summary: 'serve the HTTP API and the web console (owns the store while running)',
  usage: `aitrail serve [--data-dir DIR] [--host 127.0.0.1] [--port 8080] [--rules DIR]... [--insecure-no-auth]

  Every request needs an API token (aitrail tokens create --role admin|analyst|viewer|ingest).
  --insecure-no-auth treats every request as an admin and is refused on non-loopback addresses.`,
  options: { ...STORE, host: { type: 'string' }, port: { type: 'string' }, rules: { type: 'string', multiple: true }, 'insecure-no-auth': { type: 'boolean' } },
  async run(values) {
    const port = values.port !== undefined ? Number(values.port) : 8080;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new AitrailError('USAGE', `--port must be 0-65535, not '${values.port}'`);
    const srv = await startServer({
      dataDir: values['data-dir'] as string | undefined,
      host: values.host as string | undefined,
      port,
      rulesDirs: values.rules as string[] | undefined,
      noAuth: Boolean(values['insecure-no-auth']),
    });
    note(`aitrail is serving ${srv.url} (API at ${srv.url}/api, OpenAPI at ${srv.url}/api/openapi.json)`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        note('shutting down…');
        void srv.close().then(resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};

/** A store held by a running server: say how to reach the tokens through it. */
function lockedHint(e: unknown): never {
  if (e instanceof AitrailError && e.code === 'STORE_LOCKED') {
    throw new AitrailError('STORE_LOCKED', `${e.message}; with the server running, use --server URL --token ADMIN_TOKEN (or AITRAIL_SERVER and AITRAIL_TOKEN)`);
  }
  throw e;
}

function printTokens(tokens: TokenInfo[], output: unknown): void {
  const format = pickFormat(output as string | undefined);
  if (format === 'json') printJson(tokens);
  else printRows(['tokenId', 'name', 'role', 'createdAt', 'revokedAt', 'lastUsedAt'], tokens.map((t) => [t.tokenId, t.name, t.role, t.createdAt, t.revokedAt, t.lastUsedAt]), format);
}

/** The tokens subcommands through a running server's API (an admin token is needed). */
async function tokensViaServer(server: string, token: string | undefined, sub: string | undefined, id: string | undefined, values: Record<string, unknown>): Promise<number> {
  if (!token) throw new AitrailError('USAGE', 'with --server, pass an admin token with --token or AITRAIL_TOKEN');
  const call = async (method: string, path: string, body?: unknown) => {
    let res: Response;
    try {
      res = await fetch(`${server.replace(/\/$/, '')}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw new AitrailError('USAGE', `cannot reach ${server}: ${(e as Error).message}`);
    }
    const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } } & Record<string, unknown>;
    if (!res.ok) throw new AitrailError(res.status === 404 ? 'NOT_FOUND' : res.status === 403 ? 'FORBIDDEN' : res.status === 401 ? 'UNAUTHENTICATED' : 'USAGE', `${server}: ${json.error?.message ?? res.statusText}`);
    return json;
  };
  if (sub === 'create') {
    const role = RoleSchema.safeParse(values.role);
    if (!role.success) throw new AitrailError('USAGE', `--role must be admin, analyst, viewer or ingest`);
    const out = (await call('POST', '/api/tokens', { role: role.data, ...(values.name ? { name: values.name } : {}) })) as unknown as { token: string; info: TokenInfo };
    process.stdout.write(`${out.token}\n`);
    note(`token ${out.info.tokenId} (${out.info.name}, role ${out.info.role}) created; it is shown only this once`);
    return 0;
  }
  if (sub === 'list' || sub === undefined) {
    printTokens(((await call('GET', '/api/tokens')) as unknown as { tokens: TokenInfo[] }).tokens, values.output);
    return 0;
  }
  if (sub === 'revoke') {
    if (!id) throw new AitrailError('USAGE', 'tokens revoke needs a TOKEN_ID or NAME');
    await call('DELETE', `/api/tokens/${encodeURIComponent(id)}`);
    process.stdout.write(`revoked ${id}\n`);
    return 0;
  }
  throw new AitrailError('USAGE', `unknown tokens subcommand '${sub}' (create, list, revoke)`);
}

/** `aitrail tokens create|list|revoke`. */
export const tokensCommand: Command = {
  summary: 'create, list and revoke API tokens (admin, analyst, viewer, ingest)',
  usage: `aitrail tokens create --role admin|analyst|viewer|ingest [--name NAME]
       aitrail tokens list [--output …]
       aitrail tokens revoke TOKEN_ID|NAME
  [--server URL --token ADMIN_TOKEN]   through a running server (or AITRAIL_SERVER, AITRAIL_TOKEN)

  A token is shown once, at creation; only a hash of it is stored. Without --server the command
  opens the store itself, which a running server holds: then go through the server.`,
  options: { ...STORE, role: { type: 'string' }, name: { type: 'string' }, output: { type: 'string' }, server: { type: 'string' }, token: { type: 'string' } },
  async run(values, positionals) {
    const [sub, id] = positionals;
    const server = (values.server as string | undefined) ?? process.env.AITRAIL_SERVER;
    if (server) return tokensViaServer(server, (values.token as string | undefined) ?? process.env.AITRAIL_TOKEN, sub, id, values);
    if (sub === 'create') {
      const role = RoleSchema.safeParse(values.role);
      if (!role.success) throw new AitrailError('USAGE', `--role must be admin, analyst, viewer or ingest`);
      const name = (values.name as string | undefined) ?? `${role.data}-${Date.now().toString(36)}`;
      const { token, info } = await withWriteStore(values, (s) => createToken(s, name, role.data, process.env.USER ?? null)).catch(lockedHint);
      process.stdout.write(`${token}\n`);
      note(`token ${info.tokenId} (${info.name}, role ${info.role}) created; it is shown only this once`);
      return 0;
    }
    if (sub === 'list' || sub === undefined) {
      const store = await Store.open({ dataDir: values['data-dir'] as string | undefined, readOnly: true });
      try {
        printTokens(await listTokens(store), values.output);
      } finally {
        await store.close();
      }
      return 0;
    }
    if (sub === 'revoke') {
      if (!id) throw new AitrailError('USAGE', 'tokens revoke needs a TOKEN_ID or NAME');
      await withWriteStore(values, (s) => revokeToken(s, id)).catch(lockedHint);
      process.stdout.write(`revoked ${id}\n`);
      return 0;
    }
    throw new AitrailError('USAGE', `unknown tokens subcommand '${sub}' (create, list, revoke)`);
  },
};
