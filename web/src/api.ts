/** The API client: JSON in and out, errors as ApiError with the server's code and message. */
import type { DashboardStats } from '../../src/model/api.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();
/** Called when the API says the session is gone (401 outside of sign-in). */
export function onUnauthorized(l: Listener): () => void {
  unauthorizedListeners.add(l);
  return () => unauthorizedListeners.delete(l);
}

export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', `cannot reach the aitrail server (${(e as Error).message})`);
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
    if (res.status === 401 && path !== '/api/session') unauthorizedListeners.forEach((l) => l());
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? `${res.status} ${res.statusText || 'error'}`);
  }
  return data as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>('GET', path, undefined, signal);
export const post = <T>(path: string, body: unknown, signal?: AbortSignal) => api<T>('POST', path, body, signal);

// ---- Shapes returned by the API ----

export type Role = 'admin' | 'analyst' | 'viewer' | 'ingest';
export interface Me {
  name: string;
  role: Role;
}

const PERMS: Record<Role, string[]> = {
  admin: ['read', 'sql', 'triage', 'detect', 'manage'],
  analyst: ['read', 'sql', 'triage', 'detect'],
  viewer: ['read'],
  ingest: [],
};
export type Permission = 'read' | 'sql' | 'triage' | 'detect' | 'manage';
export function can(me: Me | null | undefined, p: Permission): boolean {
  return !!me && (PERMS[me.role] ?? []).includes(p);
}

export type { LookupEvent, LookupResponse } from '../../src/model/api.js';
export interface SqlResult {
  columns: string[];
  types: string[];
  rows: unknown[][];
  truncated: boolean;
  elapsedMs: number;
}
export type Severity = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export type FindingStatus = 'open' | 'acknowledged' | 'resolved' | 'suppressed';
export interface Finding {
  findingId: string;
  ruleId: string;
  title: string;
  severity: Severity;
  attack: string[];
  principal: string | null;
  accountId: string | null;
  region: string | null;
  firstEventTime: string;
  lastEventTime: string;
  eventCount: number;
  eventIds?: string[];
  status: FindingStatus;
  createdAt: string;
  updatedAt: string;
  statusNote: string | null;
  statusBy: string | null;
}
export interface RuleInfo {
  id: string;
  title: string;
  kind: string;
  pack: string;
  severity: Severity;
  attack: string[];
  enabled: boolean;
  description: string;
  tests: number;
}
export interface FindingDetail {
  finding: Finding;
  rule: {
    id: string;
    title: string;
    description: string;
    severity: Severity;
    attack: string[];
    references: string[];
    falsepositives: string[];
    kind: string;
    pattern: string | null;
  } | null;
  events: {
    eventId: string;
    eventTime: string;
    eventName: string;
    eventSource: string;
    awsRegion: string | null;
    sourceIPAddress: string | null;
    userIdentityArn: string | null;
    errorCode: string | null;
    record: unknown;
  }[];
}
/** The dashboard statistics, with severities typed for the console. */
export type Dashboard = Omit<DashboardStats, 'findingsBySeverity'> & { findingsBySeverity: { severity: Severity; open: number; total: number }[] };

/** A SQL string literal. */
export function sqlStr(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
