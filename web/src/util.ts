/** Small helpers: time formatting and ranges, async loading, names. */
import { useEffect, useRef, useState } from 'preact/hooks';

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-11-27 02:59:56` (UTC). */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** The value of a datetime-local input (UTC) for an ISO time, and back. */
export function toInputTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}
export function fromInputTime(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v + (v.length === 16 ? ':00Z' : 'Z'));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export const num = (n: number | null | undefined) => (n ?? 0).toLocaleString('en-US');

export const RANGE_MS: Record<string, number> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };
export const RANGE_LABEL: Record<string, string> = { '1h': 'Last hour', '24h': 'Last 24 hours', '7d': 'Last 7 days', '30d': 'Last 30 days', all: 'All time', custom: 'Custom' };

/** The last part of an ARN or path, for labels: `.../assumed-role/Role/alice` → `Role/alice`. */
export function shortPrincipal(arn: string | null | undefined): string {
  if (!arn) return '';
  const m = /^arn:aws[\w-]*:(?:iam|sts)::\d+:(?:assumed-role|user|role|federated-user)\/(.+)$/.exec(arn);
  if (m) {
    const parts = m[1]!.split('/');
    return parts.length > 2 ? parts.slice(-2).join('/') : m[1]!;
  }
  if (arn.startsWith('arn:')) return arn.split(/[:/]/).slice(-1)[0] || arn;
  return arn;
}

/** The last part of a resource ARN. */
export function shortArn(arn: string): string {
  if (!arn.startsWith('arn:')) return arn;
  const rest = arn.split(':').slice(5).join(':');
  return rest || arn;
}

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `fn` whenever `deps` change; stale answers are dropped and in-flight requests aborted. */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    const ctrl = new AbortController();
    setState((s) => ({ data: s.data, error: undefined, loading: true }));
    fnRef.current(ctrl.signal).then(
      (data) => {
        if (!ctrl.signal.aborted) setState({ data, error: undefined, loading: false });
      },
      (error) => {
        if (!ctrl.signal.aborted) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
    return () => ctrl.abort();
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}

/** Sets the document title. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · aitrail` : 'aitrail';
  }, [title]);
}

/** Downloads text as a file. */
export function downloadText(name: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Copies text to the clipboard (with a fallback for non-secure contexts). */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      /* fall back below */
    }
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  const ok = document.execCommand('copy');
  ta.remove();
  if (!ok) throw new Error('the browser refused to copy');
}
