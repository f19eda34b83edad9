/** Findings: filter by severity, status, rule and principal (all in the URL), page through. */
import { useEffect, useState } from 'preact/hooks';
import { get, type Finding, type RuleInfo } from '../api.js';
import { ErrorBox, SeverityBadge, Status, StatusBadge } from '../components/ui.js';
import { Link, href, navigate, useLocation } from '../router.js';
import { fmtTime, num, shortPrincipal, useAsync, useTitle } from '../util.js';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'];
const STATUSES = ['open', 'acknowledged', 'resolved', 'suppressed'];
const DEFAULT_STATUS = 'open,acknowledged';
const PAGE = 50;

export function FindingsPage() {
  useTitle('Findings');
  const loc = useLocation();
  const q = loc.query;
  const statusParam = q.get('status') ?? DEFAULT_STATUS;
  const status = statusParam === 'any' ? [] : statusParam.split(',').filter(Boolean);
  const severity = (q.get('severity') ?? '').split(',').filter(Boolean);
  const ruleId = q.get('ruleId') ?? '';
  const principal = q.get('principal') ?? '';
  const page = Math.max(0, Number(q.get('page') ?? 0) || 0);

  const set = (p: Record<string, string | undefined>) => {
    const next = { status: statusParam === DEFAULT_STATUS ? undefined : statusParam, severity: severity.join(',') || undefined, ruleId: ruleId || undefined, principal: principal || undefined, page: undefined as string | undefined, ...p };
    navigate(href('/findings', next));
  };
  const toggle = (list: string[], v: string) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);

  const api = href('/api/findings', { status: status.join(','), severity: severity.join(','), ruleId, principal, limit: String(PAGE), offset: String(page * PAGE) });
  const { data, error, loading } = useAsync((signal) => get<{ findings: Finding[]; total: number }>(api, signal), [api]);
  const rules = useAsync((signal) => get<{ rules: RuleInfo[] }>('/api/rules', signal), []);

  const [principalText, setPrincipalText] = useState(principal);
  useEffect(() => setPrincipalText(principal), [principal]);

  return (
    <div>
      <div class="page-head">
        <h1>Findings</h1>
      </div>
      <form
        class="panel filters-form"
        aria-label="Filter findings"
        onSubmit={(e) => {
          e.preventDefault();
          set({ principal: principalText.trim() || undefined });
        }}
      >
        <fieldset class="checks">
          <legend>Severity</legend>
          {SEVERITIES.map((s) => (
            <label key={s} class="check">
              <input type="checkbox" checked={severity.includes(s)} onChange={() => set({ severity: toggle(severity, s).join(',') || undefined })} />
              <SeverityBadge severity={s} />
            </label>
          ))}
        </fieldset>
        <fieldset class="checks">
          <legend>Status</legend>
          {STATUSES.map((s) => (
            <label key={s} class="check">
              <input type="checkbox" checked={status.includes(s)} onChange={() => { const n = toggle(status, s); set({ status: n.length ? (n.join(',') === DEFAULT_STATUS ? undefined : n.join(',')) : 'any' }); }} />
              {s}
            </label>
          ))}
          <span class="muted small">{status.length === 0 ? '(any status)' : ''}</span>
        </fieldset>
        <div class="field">
          <label for="f-rule">Rule</label>
          <select id="f-rule" value={ruleId} onChange={(e) => set({ ruleId: e.currentTarget.value || undefined })}>
            <option value="">All rules</option>
            {(rules.data?.rules ?? []).slice().sort((a, b) => a.title.localeCompare(b.title)).map((r) => (
              <option key={r.id} value={r.id}>
                {r.title}
              </option>
            ))}
            {ruleId && rules.data && !rules.data.rules.some((r) => r.id === ruleId) ? <option value={ruleId}>{ruleId}</option> : null}
          </select>
        </div>
        <div class="field">
          <label for="f-principal">Principal (ARN)</label>
          <input id="f-principal" type="search" value={principalText} onInput={(e) => setPrincipalText(e.currentTarget.value)} placeholder="arn:aws:…" spellcheck={false} />
        </div>
        <button type="submit" class="btn">
          Apply
        </button>
        {q.toString() ? (
          <button type="button" class="btn ghost" onClick={() => navigate('/findings')}>
            Reset
          </button>
        ) : null}
      </form>
      <Status loading={loading}>{data ? `${num(data.total)} finding${data.total === 1 ? '' : 's'}${data.total > PAGE ? `, showing ${page * PAGE + 1}–${Math.min(data.total, (page + 1) * PAGE)}` : ''}` : ''}</Status>
      <ErrorBox error={error} title="Findings could not be loaded" />
      {data && data.findings.length === 0 ? <p class="empty">No findings match these filters.</p> : null}
      {data && data.findings.length ? (
        <div class="table-scroll">
          <table class="grid findings-table">
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Finding</th>
                <th scope="col">Principal</th>
                <th scope="col">Account</th>
                <th scope="col">Region</th>
                <th scope="col">Last event (UTC)</th>
                <th scope="col" class="num">Events</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {data.findings.map((f) => (
                <tr key={f.findingId}>
                  <td>
                    <SeverityBadge severity={f.severity} />
                  </td>
                  <td>
                    <Link href={`/findings/${encodeURIComponent(f.findingId)}`}>{f.title}</Link>
                    <div class="muted small mono">{f.ruleId}</div>
                  </td>
                  <td class="trunc" title={f.principal ?? ''}>
                    {shortPrincipal(f.principal)}
                  </td>
                  <td class="mono">{f.accountId ?? ''}</td>
                  <td>{f.region ?? ''}</td>
                  <td class="nowrap mono">{fmtTime(f.lastEventTime)}</td>
                  <td class="num">{num(f.eventCount)}</td>
                  <td>
                    <StatusBadge status={f.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {data && data.total > PAGE ? (
        <nav class="pager" aria-label="Pages of findings">
          <button type="button" class="btn" disabled={page === 0} onClick={() => set({ page: page - 1 > 0 ? String(page - 1) : undefined })}>
            ← Previous
          </button>
          <span>
            Page {page + 1} of {Math.ceil(data.total / PAGE)}
          </span>
          <button type="button" class="btn" disabled={(page + 1) * PAGE >= data.total} onClick={() => set({ page: String(page + 1) })}>
            Next →
          </button>
        </nav>
      ) : null}
    </div>
  );
}
