/**
 * API tokens (shown once, stored hashed) and console sessions (HttpOnly cookie → token).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AitrailError } from '../model/errors.js';
import { RoleSchema, type Role } from '../model/auth.js';
import { plain } from '../store/events.js';
import type { Store } from '../store/db.js';

/** Who is calling: the token's id, name and role. */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
  via: 'bearer' | 'session';
}

/** A token as listed (never with its secret). */
export interface TokenInfo {
  tokenId: string;
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

const PREFIX = 'aitr';

function hash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Creates a token; the returned secret is shown once and never stored. */
export async function createToken(store: Store, name: string, role: Role, createdBy: string | null = null): Promise<{ token: string; info: TokenInfo }> {
  RoleSchema.parse(role);
  if (!/^[\w.@-]{1,64}$/.test(name)) throw new AitrailError('USAGE', `token name must be 1-64 letters, digits, '.', '@', '_' or '-', not '${name}'`);
  const tokenId = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  await store.run(`INSERT INTO api_tokens (tokenId, name, role, secretHash, createdAt, createdBy) VALUES (?, ?, ?, ?, now(), ?)`, [tokenId, name, role, hash(secret), createdBy]);
  const info = (await listTokens(store)).find((t) => t.tokenId === tokenId)!;
  return { token: `${PREFIX}_${tokenId}_${secret}`, info };
}

/** Lists tokens (ids, names, roles, dates). */
export async function listTokens(store: Store): Promise<TokenInfo[]> {
  const rows = await store.all(`SELECT tokenId, name, role, createdAt, createdBy, revokedAt, lastUsedAt FROM api_tokens ORDER BY createdAt, tokenId`);
  return rows.map((r) => plain(r) as TokenInfo);
}

/** Revokes a token by id or name. */
export async function revokeToken(store: Store, idOrName: string): Promise<number> {
  const rows = await store.all(`UPDATE api_tokens SET revokedAt = now() WHERE (tokenId = ? OR name = ?) AND revokedAt IS NULL RETURNING tokenId`, [idOrName, idOrName]);
  if (rows.length === 0) throw new AitrailError('NOT_FOUND', `no active token with id or name '${idOrName}'`);
  return rows.length;
}

/** Verifies a presented token; returns its principal or undefined. */
export async function verifyToken(store: Store, presented: string): Promise<Principal | undefined> {
  const m = /^aitr_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$/.exec(presented.trim());
  if (!m) return undefined;
  const row = await store.one(`SELECT name, role, secretHash FROM api_tokens WHERE tokenId = ? AND revokedAt IS NULL`, [m[1]!]);
  if (!row) return undefined;
  const a = Buffer.from(String(row.secretHash), 'hex');
  const b = Buffer.from(hash(m[2]!), 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
  return { tokenId: m[1]!, name: String(row.name), role: RoleSchema.parse(row.role), via: 'bearer' };
}

/** Console sessions, kept in memory: a restart signs everyone out. */
export class Sessions {
  private readonly sessions = new Map<string, { principal: Principal; expires: number }>();
  constructor(private readonly ttlMs = 12 * 3_600_000) {}

  /** Starts a session for a verified principal; returns the cookie value. */
  create(principal: Principal): string {
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { principal: { ...principal, via: 'session' }, expires: Date.now() + this.ttlMs });
    return id;
  }

  /** The principal of a live session. */
  get(id: string | undefined): Principal | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expires < Date.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s.principal;
  }

  /** Ends a session. */
  delete(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  /** Ends every session of a token (after revocation). */
  revokeToken(tokenId: string): void {
    for (const [k, s] of this.sessions) if (s.principal.tokenId === tokenId) this.sessions.delete(k);
  }
}
