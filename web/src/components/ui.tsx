/** Shared pieces: errors, loading, badges, JSON with copy. */
import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { copyText } from '../util.js';

export function errorText(e: unknown): { code: string; message: string } {
  if (e instanceof ApiError) return { code: e.code, message: e.message };
  if (e instanceof Error) return { code: e.name, message: e.message };
  return { code: 'ERROR', message: String(e) };
}

/** An API error, announced to screen readers. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const { code, message } = errorText(error);
  return (
    <div class="error" role="alert">
      <strong>{title ?? 'Something went wrong'}</strong>
      <span class="error-code">{code}</span>
      <div class="error-msg">{message}</div>
    </div>
  );
}

/** A polite live region: says what is loading, or nothing. */
export function Status({ loading, children }: { loading?: boolean; children?: ComponentChildren }) {
  return (
    <p class="status" role="status" aria-live="polite">
      {loading ? <span class="spinner" aria-hidden="true" /> : null}
      {loading ? 'Loading…' : children}
    </p>
  );
}

export function SeverityBadge({ severity }: { severity: string }) {
  return <span class={`badge sev-${severity}`}>{severity}</span>;
}
export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge st-${status}`}>{status}</span>;
}

/** ATT&CK technique links. */
export function AttackLinks({ ids }: { ids: string[] }) {
  if (!ids.length) return <span class="muted">—</span>;
  return (
    <span class="attack">
      {ids.map((id) => (
        <a key={id} href={`https://attack.mitre.org/techniques/${id.replace('.', '/')}/`} target="_blank" rel="noopener noreferrer" title={`MITRE ATT&CK ${id} (opens in a new tab)`}>
          {id}
        </a>
      ))}
    </span>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'' | 'ok' | 'fail'>('');
  return (
    <>
      <button
        type="button"
        class="btn small"
        onClick={async () => {
          try {
            await copyText(text);
            setState('ok');
          } catch {
            setState('fail');
          }
          setTimeout(() => setState(''), 2000);
        }}
      >
        {state === 'ok' ? 'Copied' : label}
      </button>
      <span class="sr-only" role="status" aria-live="polite">
        {state === 'ok' ? 'Copied to the clipboard' : state === 'fail' ? 'Copy failed' : ''}
      </span>
    </>
  );
}

const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

/** Pretty-printed JSON, lightly coloured, with a Copy button. */
export function JsonBlock({ value, label }: { value: unknown; label?: string }) {
  const text = useMemo(() => (typeof value === 'string' ? prettyJson(value) : JSON.stringify(value, null, 2)), [value]);
  const parts = useMemo(() => {
    const out: (string | preact.JSX.Element)[] = [];
    let last = 0;
    let i = 0;
    for (const m of text.matchAll(TOKEN)) {
      if (m.index! > last) out.push(text.slice(last, m.index));
      const cls = m[1] ? (m[2] ? 'j-key' : 'j-str') : m[3] ? 'j-lit' : 'j-num';
      out.push(
        <span key={i++} class={cls}>
          {m[1] ?? m[0]}
        </span>,
      );
      if (m[1] && m[2]) out.push(m[2]);
      last = m.index! + m[0].length;
    }
    out.push(text.slice(last));
    return out;
  }, [text]);
  return (
    <div class="json">
      <div class="json-bar">
        <span class="muted">{label ?? 'JSON'}</span>
        <CopyButton text={text} label="Copy JSON" />
      </div>
      <pre tabIndex={0} aria-label={label ?? 'JSON'}>
        <code>{parts}</code>
      </pre>
    </div>
  );
}

export function prettyJson(s: string): string {
  try {
    return JSON.stringify(JSON.parse(s), null, 2);
  } catch {
    return s;
  }
}

/** A segmented control (radio group) that looks like buttons. */
export function Segmented<T extends string>({ label, value, options, onChange }: { label: string; value: T; options: { value: T; label: string }[]; onChange: (v: T) => void }) {
  return (
    <fieldset class="segmented">
      <legend class="sr-only">{label}</legend>
      {options.map((o) => (
        <label key={o.value} class={o.value === value ? 'on' : ''}>
          <input type="radio" name={label} value={o.value} checked={o.value === value} onChange={() => onChange(o.value)} />
          {o.label}
        </label>
      ))}
    </fieldset>
  );
}
