/** One finding: its rule, the matched events in order, and triage (status, suppression). */
import { useEffect, useRef, useState } from 'preact/hooks';
import { can, get, post, type Finding, type FindingDetail } from '../api.js';
import { AttackLinks, ErrorBox, JsonBlock, SeverityBadge, Status, StatusBadge } from '../components/ui.js';
import { eventsHref } from '../filters.js';
import { Link } from '../router.js';
import { useMe } from '../session.js';
import { fmtTime, useAsync, useTitle } from '../util.js';

export function FindingDetailPage({ id }: { id: string }) {
  const me = useMe();
  const { data, error, loading, reload } = useAsync((signal) => get<FindingDetail>(`/api/findings/${encodeURIComponent(id)}`, signal), [id]);
  const [finding, setFinding] = useState<Finding>();
  useEffect(() => setFinding(data?.finding), [data]);
  useTitle(finding?.title ?? 'Finding');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>();
  const [said, setSaid] = useState('');
  const [suppressOpen, setSuppressOpen] = useState(false);
  const triage = can(me, 'triage');

  const setStatus = async (status: 'open' | 'acknowledged' | 'resolved') => {
    setBusy(true);
    setActionError(undefined);
    try {
      const f = await post<Finding>(`/api/findings/${encodeURIComponent(id)}/status`, { status, note: note.trim() || undefined });
      setFinding(f);
      setNote('');
      setSaid(`Status changed to ${f.status}.`);
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };

  const f = finding;
  const rule = data?.rule;
  const events = data?.events ?? [];
  const t0 = events.length ? new Date(events[0]!.eventTime).getTime() : 0;
  return (
    <div>
      <p class="crumbs">
        <Link href="/findings">← Findings</Link>
      </p>
      {loading && !data ? <Status loading /> : null}
      <ErrorBox error={error} title="This finding could not be loaded" />
      {f ? (
        <>
          <div class="page-head">
            <h1>
              {f.title}
            </h1>
            <div class="head-actions">
              <SeverityBadge severity={f.severity} />
              <StatusBadge status={f.status} />
            </div>
          </div>
          <div class="detail-grid">
            <section class="panel" aria-labelledby="f-summary">
              <h2 id="f-summary" class="h3">
                Summary
              </h2>
              <dl class="kv">
                <div>
                  <dt>Principal</dt>
                  <dd class="break">{f.principal ? <Link href={eventsHref({ filters: [`userIdentityArn=${f.principal}`], range: 'custom', start: new Date(new Date(f.firstEventTime).getTime() - 3_600_000).toISOString(), end: new Date(new Date(f.lastEventTime).getTime() + 3_600_000).toISOString() })}>{f.principal}</Link> : '—'}</dd>
                </div>
                <div>
                  <dt>Account / region</dt>
                  <dd>
                    {f.accountId ?? '—'} / {f.region ?? '—'}
                  </dd>
                </div>
                <div>
                  <dt>First event</dt>
                  <dd class="mono">{fmtTime(f.firstEventTime)} UTC</dd>
                </div>
                <div>
                  <dt>Last event</dt>
                  <dd class="mono">{fmtTime(f.lastEventTime)} UTC</dd>
                </div>
                <div>
                  <dt>Events</dt>
                  <dd>{f.eventCount}</dd>
                </div>
                <div>
                  <dt>ATT&amp;CK</dt>
                  <dd>
                    <AttackLinks ids={f.attack} />
                  </dd>
                </div>
                <div>
                  <dt>Rule</dt>
                  <dd class="mono break">
                    <Link href={`/rules?q=${encodeURIComponent(f.ruleId)}`}>{f.ruleId}</Link>
                  </dd>
                </div>
                <div>
                  <dt>Finding ID</dt>
                  <dd class="mono">{f.findingId}</dd>
                </div>
                {f.statusBy || f.statusNote ? (
                  <div>
                    <dt>Last triage</dt>
                    <dd>
                      {f.statusBy ? <>by {f.statusBy}, </> : null}
                      {fmtTime(f.updatedAt)} UTC{f.statusNote ? <> — “{f.statusNote}”</> : null}
                    </dd>
                  </div>
                ) : null}
              </dl>
              {triage ? (
                <div class="triage">
                  <h3 class="h4">Triage</h3>
                  <div class="field">
                    <label for="note">Note (optional)</label>
                    <input id="note" value={note} onInput={(e) => setNote(e.currentTarget.value)} placeholder="e.g. confirmed with the ML platform team" maxLength={2000} />
                  </div>
                  <div class="btn-row">
                    {f.status === 'open' ? (
                      <button type="button" class="btn primary" disabled={busy} onClick={() => setStatus('acknowledged')}>
                        Acknowledge
                      </button>
                    ) : null}
                    {f.status !== 'resolved' ? (
                      <button type="button" class="btn" disabled={busy} onClick={() => setStatus('resolved')}>
                        Resolve
                      </button>
                    ) : null}
                    {f.status !== 'open' ? (
                      <button type="button" class="btn" disabled={busy} onClick={() => setStatus('open')}>
                        Reopen
                      </button>
                    ) : null}
                    <button type="button" class="btn ghost" disabled={busy} onClick={() => setSuppressOpen(true)}>
                      Suppress…
                    </button>
                  </div>
                  <p class="status" role="status" aria-live="polite">
                    {said}
                  </p>
                  <ErrorBox error={actionError} title="The change was not saved" />
                </div>
              ) : (
                <p class="help">Your role ({me?.role}) can read findings but not triage them.</p>
              )}
            </section>
            <section class="panel" aria-labelledby="f-rule">
              <h2 id="f-rule" class="h3">
                Rule
              </h2>
              {rule ? (
                <>
                  <p>
                    <strong>{rule.title}</strong> <span class="tag">{rule.kind}</span> <SeverityBadge severity={rule.severity} />
                  </p>
                  <p>{rule.description || <span class="muted">No description.</span>}</p>
                  {rule.pattern ? (
                    <>
                      <h3 class="h4">Metric-filter pattern</h3>
                      <pre class="code">{rule.pattern}</pre>
                    </>
                  ) : null}
                  <h3 class="h4">ATT&amp;CK</h3>
                  <p>
                    <AttackLinks ids={rule.attack} />
                  </p>
                  {rule.references.length ? (
                    <>
                      <h3 class="h4">References</h3>
                      <ul class="refs">
                        {rule.references.map((r) => (
                          <li key={r}>{/^https?:\/\//.test(r) ? <a href={r} target="_blank" rel="noopener noreferrer">{r}</a> : r}</li>
                        ))}
                      </ul>
                    </>
                  ) : null}
                  {rule.falsepositives.length ? (
                    <>
                      <h3 class="h4">False positives</h3>
                      <ul>
                        {rule.falsepositives.map((r) => (
                          <li key={r}>{r}</li>
                        ))}
                      </ul>
                    </>
                  ) : null}
                </>
              ) : (
                <p class="muted">The rule {f.ruleId} is no longer loaded.</p>
              )}
            </section>
          </div>

          <section class="panel" aria-labelledby="f-events">
            <h2 id="f-events" class="h3">
              Matched events ({events.length}
              {f.eventCount > events.length ? ` of ${f.eventCount}` : ''})
            </h2>
            <ol class="timeline">
              {events.map((e) => {
                const dt = new Date(e.eventTime).getTime() - t0;
                return (
                  <li key={e.eventId}>
                    <div class="tl-head">
                      <time class="mono" dateTime={e.eventTime}>
                        {fmtTime(e.eventTime)}
                      </time>
                      <span class="muted small">{dt > 0 ? `+${fmtDelta(dt)}` : 'first'}</span>
                      <Link href={`/events/${encodeURIComponent(e.eventId)}`}>{e.eventName}</Link>
                      <span class="muted">{e.eventSource.replace('.amazonaws.com', '')}</span>
                      <span>{e.awsRegion}</span>
                      <span class="mono small">{e.sourceIPAddress}</span>
                      {e.errorCode ? <span class="err-text">{e.errorCode}</span> : null}
                    </div>
                    <details>
                      <summary>Raw record</summary>
                      <JsonBlock value={e.record} label={`Record of ${e.eventName}`} />
                    </details>
                  </li>
                );
              })}
            </ol>
          </section>
          {suppressOpen ? <SuppressDialog f={f} onClose={() => setSuppressOpen(false)} onDone={(n) => { setSuppressOpen(false); setSaid(`Suppressed; ${n} finding${n === 1 ? '' : 's'} closed.`); reload(); }} /> : null}
        </>
      ) : null}
    </div>
  );
}

function fmtDelta(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

function SuppressDialog({ f, onClose, onDone }: { f: Finding; onClose: () => void; onDone: (n: number) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [onlyPrincipal, setOnlyPrincipal] = useState(!!f.principal);
  const [reason, setReason] = useState('');
  const [expiry, setExpiry] = useState('30');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const d = ref.current!;
    if (!d.open) d.showModal();
    const close = () => onClose();
    d.addEventListener('close', close);
    return () => d.removeEventListener('close', close);
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await post<{ suppressedFindings: number }>('/api/suppressions', {
        ruleId: f.ruleId,
        principal: onlyPrincipal && f.principal ? f.principal : undefined,
        reason: reason.trim() || undefined,
        expiresAt: expiry === 'never' ? undefined : new Date(Date.now() + Number(expiry) * 86_400_000).toISOString(),
      });
      onDone(r.suppressedFindings);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="sup-title">
      <form onSubmit={submit}>
        <h2 id="sup-title" class="h3">
          Suppress this rule
        </h2>
        <p>
          New findings of <code>{f.ruleId}</code> are suppressed, and open ones are closed.
        </p>
        {f.principal ? (
          <div class="field">
            <label class="check">
              <input type="checkbox" checked={onlyPrincipal} onChange={(e) => setOnlyPrincipal(e.currentTarget.checked)} aria-describedby="sup-principal" /> Only for this finding's principal
            </label>
            <span id="sup-principal" class="mono small break muted">
              {f.principal}
            </span>
          </div>
        ) : null}
        <div class="field">
          <label for="sup-reason">Reason</label>
          <textarea id="sup-reason" rows={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} maxLength={2000} />
        </div>
        <div class="field">
          <label for="sup-exp">Expires</label>
          <select id="sup-exp" value={expiry} onChange={(e) => setExpiry(e.currentTarget.value)}>
            <option value="1">in 1 day</option>
            <option value="7">in 7 days</option>
            <option value="30">in 30 days</option>
            <option value="90">in 90 days</option>
            <option value="never">never</option>
          </select>
        </div>
        <ErrorBox error={error} title="Not suppressed" />
        <div class="btn-row end">
          <button type="button" class="btn ghost" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" class="btn primary" disabled={busy}>
            {busy ? 'Suppressing…' : 'Suppress'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
