/** The SQL workbench: editor, run/cancel, results grid, CSV, a chart, saved and ready-made queries. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { EChartsCoreOption } from 'echarts/core';
import { get, post, type SqlResult } from '../api.js';
import { Chart, baseOption } from '../components/chart.js';
import { ErrorBox, Segmented, errorText } from '../components/ui.js';
import { GALLERY } from '../gallery.js';
import { href, navigate, useLocation } from '../router.js';
import { fmtTime, num, useAsync, useTitle } from '../util.js';

const DEFAULT_SQL = GALLERY[0]!.sql;
const SHOW_ROWS = 1000;
const isNum = (t: string) => /INT|DOUBLE|DECIMAL|FLOAT|REAL|NUMERIC/i.test(t);
const isTime = (t: string) => /^(TIMESTAMP|DATE)/i.test(t);

function newId(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : Math.random().toString(36).slice(2) + Date.now().toString(36);
}

export function SqlPage() {
  useTitle('SQL');
  const loc = useLocation();
  const urlSql = loc.query.get('q') ?? '';
  const [sql, setSql] = useState(urlSql || DEFAULT_SQL);
  const [maxRows, setMaxRows] = useState('10000');
  const [result, setResult] = useState<SqlResult>();
  const [error, setError] = useState<unknown>();
  const [running, setRunning] = useState<{ id: string; started: number }>();
  const [elapsed, setElapsed] = useState(0);
  const [view, setView] = useState<'table' | 'chart'>('table');
  const [message, setMessage] = useState('');
  const ctrlRef = useRef<AbortController | undefined>(undefined);
  const lastRun = useRef<string | undefined>(undefined);
  const editor = useRef<HTMLTextAreaElement>(null);

  const run = async (text: string) => {
    const q = text.trim();
    if (!q) return;
    ctrlRef.current?.abort();
    const ctrl = new AbortController();
    ctrlRef.current = ctrl;
    const id = newId();
    lastRun.current = q;
    setRunning({ id, started: performance.now() });
    setError(undefined);
    setMessage('');
    try {
      const r = await post<SqlResult>('/api/sql', { sql: q, maxRows: Number(maxRows), queryId: id, timeoutMs: 120_000 }, ctrl.signal);
      if (ctrl.signal.aborted) return;
      setResult(r);
      setMessage(`${num(r.rows.length)} row${r.rows.length === 1 ? '' : 's'} in ${num(r.elapsedMs)} ms${r.truncated ? ` (cut at ${num(Number(maxRows))} rows)` : ''}`);
    } catch (e) {
      if (ctrl.signal.aborted) return;
      setResult(undefined);
      setError(e);
    } finally {
      if (!ctrl.signal.aborted) setRunning(undefined);
    }
  };

  const submit = () => {
    const q = sql.trim();
    if (!q) return;
    if (q === urlSql.trim()) void run(q);
    else navigate(href('/sql', { q }));
  };

  // The URL holds the query: run it when it changes (shared links, back/forward).
  useEffect(() => {
    if (!urlSql) return;
    setSql(urlSql);
    if (lastRun.current !== urlSql.trim()) void run(urlSql);
  }, [urlSql]);

  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setElapsed(performance.now() - running.started), 100);
    return () => clearInterval(t);
  }, [running]);

  const cancel = async () => {
    if (!running) return;
    const id = running.id;
    try {
      await post(`/api/sql/${encodeURIComponent(id)}/cancel`, {});
    } catch {
      /* the request below is aborted anyway */
    }
    ctrlRef.current?.abort();
    setRunning(undefined);
    setMessage('Query cancelled.');
  };

  const saved = useAsync((signal) => get<{ queryId: string; name: string; sql: string }[]>('/api/sql/saved', signal), []);
  const [saveName, setSaveName] = useState('');
  const [saveError, setSaveError] = useState<unknown>();
  const save = async () => {
    if (!saveName.trim() || !sql.trim()) return;
    setSaveError(undefined);
    try {
      await post('/api/sql/saved', { name: saveName.trim(), sql: sql.trim() });
      setSaveName('');
      setMessage(`Saved as “${saveName.trim()}”.`);
      saved.reload();
    } catch (err) {
      setSaveError(err);
    }
  };

  const load = (text: string) => {
    setSql(text);
    navigate(href('/sql', { q: text.trim() }));
    editor.current?.focus();
  };

  return (
    <div class="sql-page">
      <div class="page-head">
        <h1>SQL workbench</h1>
        <p class="muted">
          Read-only DuckDB SQL over <code>events</code>, <code>cloudtrail_logs</code>, <code>findings</code>, <code>rejects</code>, <code>ingested_objects</code>, <code>suppressions</code>.
        </p>
      </div>
      <div class="sql-layout">
        <aside class="panel sql-side" aria-label="Queries">
          <h2 class="h3">Ready-made queries</h2>
          <ul class="gallery">
            {GALLERY.map((g) => (
              <li key={g.name}>
                <button type="button" class="gallery-btn" onClick={() => load(g.sql)} title={g.description}>
                  <span class="g-name">{g.name}</span>
                  <span class="g-desc">{g.description}</span>
                </button>
              </li>
            ))}
          </ul>
          <h2 class="h3">Saved queries</h2>
          <ErrorBox error={saved.error} title="Saved queries could not be loaded" />
          {saved.data && saved.data.length === 0 ? <p class="muted small">None yet.</p> : null}
          <ul class="gallery">
            {(saved.data ?? []).map((s) => (
              <li key={s.queryId}>
                <button type="button" class="gallery-btn" onClick={() => load(s.sql)} title={s.sql}>
                  <span class="g-name">{s.name}</span>
                </button>
              </li>
            ))}
          </ul>
        </aside>
        <section class="sql-main" aria-label="Query and results">
          <form
            class="panel"
            onSubmit={(e) => {
              e.preventDefault();
              submit();
            }}
          >
            <label for="sql-editor" class="h4 block">
              Query
            </label>
            <textarea
              id="sql-editor"
              ref={editor}
              class="editor"
              value={sql}
              rows={10}
              spellcheck={false}
              autocapitalize="off"
              autocomplete="off"
              aria-describedby="sql-help"
              onInput={(e) => setSql(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                  e.preventDefault();
                  submit();
                } else if (e.key === 'Escape' && running) {
                  e.preventDefault();
                  void cancel();
                }
              }}
            />
            <p id="sql-help" class="help">
              Ctrl+Enter (⌘+Enter) runs the query; Escape cancels it.
            </p>
            <div class="btn-row">
              <button type="submit" class="btn primary" disabled={!!running}>
                Run
              </button>
              <button type="button" class="btn" disabled={!running} onClick={cancel}>
                Cancel
              </button>
              <div class="field inline">
                <label for="max-rows">Max rows</label>
                <select id="max-rows" value={maxRows} onChange={(e) => setMaxRows(e.currentTarget.value)}>
                  <option>100</option>
                  <option>1000</option>
                  <option>10000</option>
                  <option>100000</option>
                </select>
              </div>
              <span class="spacer" />
              <div class="field inline">
                <label for="save-name">Save as</label>
                <input
                  id="save-name"
                  value={saveName}
                  onInput={(e) => setSaveName(e.currentTarget.value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') {
                      e.preventDefault();
                      void save();
                    }
                  }}
                  placeholder="query name"
                  maxLength={200}
                />
              </div>
              <button type="button" class="btn" disabled={!saveName.trim()} onClick={() => void save()}>
                Save query
              </button>
            </div>
            <ErrorBox error={saveError} title="Not saved" />
          </form>
          <p class="status" role="status" aria-live="polite">
            {running ? (
              <>
                <span class="spinner" aria-hidden="true" /> Running… {(elapsed / 1000).toFixed(1)} s
              </>
            ) : (
              message
            )}
          </p>
          {error ? <SqlError error={error} /> : null}
          {result && !running ? <Results r={result} view={view} setView={setView} /> : null}
        </section>
      </div>
    </div>
  );
}

function SqlError({ error }: { error: unknown }) {
  const { code } = errorText(error);
  return <ErrorBox error={error} title={code === 'QUERY_TIMEOUT' ? 'The query timed out' : code === 'QUERY_CANCELLED' ? 'The query was cancelled' : 'The query failed'} />;
}

function cell(v: unknown, type: string): string {
  if (v === null || v === undefined) return '';
  if (isTime(type) && typeof v === 'string') return type.startsWith('DATE') && !type.startsWith('DATETIME') ? v.slice(0, 10) : fmtTime(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function csv(r: SqlResult): string {
  const esc = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [r.columns.map(esc).join(',')];
  for (const row of r.rows) lines.push(row.map((v) => esc(v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v))).join(','));
  return lines.join('\r\n') + '\r\n';
}

function Results({ r, view, setView }: { r: SqlResult; view: 'table' | 'chart'; setView: (v: 'table' | 'chart') => void }) {
  const csvUrl = useMemo(() => URL.createObjectURL(new Blob([csv(r)], { type: 'text/csv' })), [r]);
  useEffect(() => () => URL.revokeObjectURL(csvUrl), [csvUrl]);
  const chart = useMemo(() => chartOf(r), [r]);
  return (
    <section class="panel results-panel" aria-label="Results">
      <div class="btn-row">
        <Segmented label="Show results as" value={view} options={[{ value: 'table', label: 'Table' }, { value: 'chart', label: 'Chart' }]} onChange={setView} />
        <span class="spacer" />
        <a class="btn small" href={csvUrl} download={`aitrail-query-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '')}.csv`}>
          Download CSV
        </a>
      </div>
      {view === 'chart' ? (
        chart ? (
          <Chart option={chart.option} label={chart.label} points={r.rows.length} height={340} />
        ) : (
          <p class="empty">No chart for this result: it needs a text or time column followed by a numeric column.</p>
        )
      ) : (
        <>
          <div class="table-scroll result-grid" tabIndex={0} aria-label="Result rows">
            <table class="grid">
              <thead>
                <tr>
                  <th scope="col" class="rownum">
                    #
                  </th>
                  {r.columns.map((c, i) => (
                    <th scope="col" key={i} class={isNum(r.types[i] ?? '') ? 'num' : ''} title={r.types[i]}>
                      {c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {r.rows.slice(0, SHOW_ROWS).map((row, i) => (
                  <tr key={i}>
                    <td class="rownum">{i + 1}</td>
                    {row.map((v, j) => (
                      <td key={j} class={`${isNum(r.types[j] ?? '') ? 'num' : ''}${v === null ? ' null' : ''}`}>
                        {v === null ? 'NULL' : cell(v, r.types[j] ?? '')}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {r.rows.length > SHOW_ROWS ? <p class="help">Showing the first {num(SHOW_ROWS)} of {num(r.rows.length)} rows; the CSV has them all.</p> : null}
          {r.rows.length === 0 ? <p class="empty">The query returned no rows.</p> : null}
        </>
      )}
    </section>
  );
}

/** A bar chart of the first text column by the first numeric one, or lines over a leading time column. */
function chartOf(r: SqlResult): { option: EChartsCoreOption; label: string } | null {
  if (r.rows.length === 0) return null;
  const numCols = r.types.map((t, i) => (isNum(t) ? i : -1)).filter((i) => i >= 0);
  if (isTime(r.types[0] ?? '') && numCols.length) {
    const cols = numCols.slice(0, 6);
    const rows = [...r.rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    return {
      label: `Line chart of ${cols.map((i) => r.columns[i]).join(', ')} over ${r.columns[0]}`,
      option: {
        ...baseOption,
        legend: { top: 0 },
        xAxis: { type: 'time' },
        yAxis: { type: 'value' },
        series: cols.map((i) => ({ name: r.columns[i], type: 'line', showSymbol: rows.length < 60, data: rows.map((row) => [row[0], Number(row[i])]) })),
      },
    };
  }
  const textCol = r.types.findIndex((t) => /VARCHAR|TEXT|STRING|UUID|ENUM/i.test(t));
  const numCol = numCols[0];
  if (textCol < 0 || numCol === undefined) return null;
  const rows = r.rows.slice(0, 40);
  const labels = rows.map((row) => (row[textCol] === null ? 'NULL' : String(row[textCol])));
  return {
    label: `Bar chart of ${r.columns[numCol]} by ${r.columns[textCol]}`,
    option: {
      ...baseOption,
      grid: { ...baseOption.grid, left: 8 },
      yAxis: { type: 'category', inverse: true, data: labels, axisLabel: { width: 260, overflow: 'truncate', fontSize: 11 } },
      xAxis: { type: 'value' },
      series: [{ name: r.columns[numCol], type: 'bar', data: rows.map((row) => Number(row[numCol])), itemStyle: { color: '#2563eb' } }],
    },
  };
}
