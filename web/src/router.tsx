/** A tiny History API router: real paths (/events?...), back/forward, links that stay in the app. */
import type { AnchorHTMLAttributes, ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((l) => l());
window.addEventListener('popstate', notify);

/** Goes to `to` (path + query); `replace` rewrites the current history entry instead. */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const cur = location.pathname + location.search;
  if (to === cur) return;
  const samePath = new URL(to, location.origin).pathname === location.pathname;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  if (!samePath) window.scrollTo(0, 0);
  notify();
}

export interface Loc {
  path: string;
  query: URLSearchParams;
  search: string;
}

/** The current location; re-renders on every navigation. */
export function useLocation(): Loc {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((n) => n + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search), search: location.search };
}

/** Builds `path?query` from a record; arrays repeat the key, empty values are dropped. */
export function href(path: string, params: Record<string, string | string[] | undefined | null> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else q.set(k, v);
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

type AProps = AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

/** An <a> that navigates inside the app (ctrl/cmd/middle-click still open a new tab). */
export function Link(props: AProps) {
  const { href: to, onClick, ...rest } = props;
  return (
    <a
      {...rest}
      href={to}
      onClick={(e) => {
        if (onClick) (onClick as (e: MouseEvent) => void)(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    />
  );
}
