/** Detection rules: pack, kind, severity, ATT&CK, enable/disable (admins), run detections. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { can, get, post, type RuleInfo } from '../api.js';
import { AttackLinks, ErrorBox, SeverityBadge, Status } from '../components/ui.js';
import { Link, href, navigate, useLocation } from '../router.js';
import { useMe } from '../session.js';
import { num, useAsync, useTitle } from '../util.js';

const SEV_ORDER: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, informational: 4 };

export function RulesPage() {
  useTitle('Rules');
  const me = useMe();
  const admin = can(me, 'manage');
  const loc = useLocation();
  const q = loc.query.get('q') ?? '';
  const pack = loc.query.get('pack') ?? '';
  const kind = loc.query.get('kind') ?? '';
  const { data, error, loading, reload } = useAsync((signal) => get<{ rules: RuleInfo[]; errors: { file: string; line: number; message: string }[] }>('/api/rules', signal), []);
  const [rules, setRules] = useState<RuleInfo[]>([]);
  useEffect(() => setRules(data?.rules ?? []), [data]);
  const [toggleError, setToggleError] = useState<unknown>();
  const [said, setSaid] = useState('');
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const set = (p: Record<string, string>) => navigate(href('/rules', { q, pack, kind, ...p }), { replace: 'q' in p });

  const packs = useMemo(() => [...new Set(rules.map((r) => r.pack))].sort(), [rules]);
  const kinds = useMemo(() => [...new Set(rules.map((r) => r.kind))].sort(), [rules]);
  const shown = useMemo(() => {
    const needle = q.toLowerCase();
    return rules
      .filter((r) => (!pack || r.pack === pack) && (!kind || r.kind === kind))
      .filter((r) => !needle || `${r.id} ${r.title} ${r.description} ${r.attack.join(' ')}`.toLowerCase().includes(needle))
      .sort((a, b) => a.pack.localeCompare(b.pack) || (SEV_ORDER[a.severity] ?? 9) - (SEV_ORDER[b.severity] ?? 9) || a.title.localeCompare(b.title));
  }, [rules, q, pack, kind]);

  const toggle = async (r: RuleInfo, enabled: boolean) => {
    setToggleError(undefined);
    setRules((rs) => rs.map((x) => (x.id === r.id ? { ...x, enabled } : x)));
    try {
      await post(`/api/rules/${encodeURIComponent(r.id)}/enabled`, { enabled });
      setSaid(`${r.title} ${enabled ? 'enabled' : 'disabled'}.`);
    } catch (e) {
      setRules((rs) => rs.map((x) => (x.id === r.id ? { ...x, enabled: !enabled } : x)));
      setToggleError(e);
    }
  };

  const [detecting, setDetecting] = useState(false);
  const [detectError, setDetectError] = useState<unknown>();
  const runDetect = async () => {
    setDetecting(true);
    setDetectError(undefined);
    setSaid('Running detections…');
    try {
      const s = await post<{ findingsCreated: number; findingsExtended: number; events: number; seconds: number }>('/api/detect', {});
      setSaid(`Detections ran over ${num(s.events)} events in ${s.seconds.toFixed(1)} s: ${num(s.findingsCreated)} new findings, ${num(s.findingsExtended)} extended.`);
    } catch (e) {
      setSaid('');
      setDetectError(e);
    } finally {
      setDetecting(false);
    }
  };

  return (
    <div>
      <div class="page-head">
        <h1>Detection rules</h1>
        {can(me, 'detect') ? (
          <div class="head-actions">
            <button type="button" class="btn" onClick={runDetect} disabled={detecting}>
              {detecting ? 'Running…' : 'Run detections now'}
            </button>
          </div>
        ) : null}
      </div>
      <form
        class="panel filters-form"
        role="search"
        aria-label="Filter rules"
        onSubmit={(e) => {
          e.preventDefault();
          set({ q: text.trim() });
        }}
      >
        <div class="field grow">
          <label for="r-q">Search</label>
          <input id="r-q" type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="title, id, description or ATT&CK id" />
        </div>
        <div class="field">
          <label for="r-pack">Pack</label>
          <select id="r-pack" value={pack} onChange={(e) => set({ pack: e.currentTarget.value })}>
            <option value="">All packs</option>
            {packs.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="r-kind">Kind</label>
          <select id="r-kind" value={kind} onChange={(e) => set({ kind: e.currentTarget.value })}>
            <option value="">All kinds</option>
            {kinds.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </div>
        <button type="submit" class="btn">
          Search
        </button>
      </form>
      <Status loading={loading}>{data ? `${num(shown.length)} of ${num(rules.length)} rules, ${num(rules.filter((r) => r.enabled).length)} enabled` : ''}</Status>
      <p class="status" role="status" aria-live="polite">
        {said}
      </p>
      <ErrorBox error={error} title="Rules could not be loaded" />
      <ErrorBox error={toggleError} title="The rule was not changed" />
      <ErrorBox error={detectError} title="Detections failed" />
      {data?.errors.length ? (
        <details class="panel warn-box">
          <summary>
            {data.errors.length} rule file problem{data.errors.length === 1 ? '' : 's'}
          </summary>
          <ul>
            {data.errors.map((e, i) => (
              <li key={i} class="mono small">
                {e.file}:{e.line}: {e.message}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {shown.length ? (
        <div class="table-scroll">
          <table class="grid rules-table">
            <thead>
              <tr>
                <th scope="col">Enabled</th>
                <th scope="col">Rule</th>
                <th scope="col">Pack</th>
                <th scope="col">Kind</th>
                <th scope="col">Severity</th>
                <th scope="col">ATT&amp;CK</th>
                <th scope="col" class="num">Tests</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.id} class={r.enabled ? '' : 'disabled'}>
                  <td>
                    {admin ? (
                      <label class="switch">
                        <input type="checkbox" role="switch" checked={r.enabled} onChange={(e) => toggle(r, e.currentTarget.checked)} />
                        <span class="sr-only">Enable {r.title}</span>
                        <span class="switch-ui" aria-hidden="true" />
                      </label>
                    ) : (
                      <span class={r.enabled ? 'on-text' : 'muted'}>{r.enabled ? 'on' : 'off'}</span>
                    )}
                  </td>
                  <td>
                    <div class="rule-title">{r.title}</div>
                    <div class="muted small mono">{r.id}</div>
                    {r.description ? <div class="rule-desc">{r.description}</div> : null}
                    <Link class="small" href={href('/findings', { ruleId: r.id, status: 'any' })}>
                      Findings of this rule
                    </Link>
                  </td>
                  <td>{r.pack}</td>
                  <td>
                    <span class="tag">{r.kind}</span>
                  </td>
                  <td>
                    <SeverityBadge severity={r.severity} />
                  </td>
                  <td>
                    <AttackLinks ids={r.attack} />
                  </td>
                  <td class="num">{r.tests}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : data ? (
        <p class="empty">No rule matches.</p>
      ) : null}
      {!admin ? <p class="help">Only admins can enable or disable rules.</p> : null}
      <p class="help">
        <button type="button" class="linklike" onClick={reload}>
          Reload the rule list
        </button>
      </p>
    </div>
  );
}
