/** Event history: LookupEvents with attributes, time ranges, facet filters, paging and JSON. */
import { Fragment } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { can, post, type LookupEvent, type LookupResponse, type SqlResult } from '../api.js';
import { ErrorBox, JsonBlock, CopyButton, Segmented } from '../components/ui.js';
import {
  AI_ACTIVITIES, AI_SERVICES, ATTRIBUTE_KEYS, ATTRIBUTE_LABELS, FILTER_FIELDS, attributeSql, eventsHref, filterSql, parseSearch, resolveTimes,
  splitFilter, timeSql, type Search,
} from '../filters.js';
import { Link, navigate, useLocation } from '../router.js';
import { useMe } from '../session.js';
import { fmtTime, fromInputTime, num, RANGE_LABEL, shortArn, toInputTime, useTitle } from '../util.js';

const PAGE = 50;

interface Row {
  ev: LookupEvent;
  rec: Record<string, unknown> | null;
}
interface Ai {
  aiService: string | null;
  aiActivity: string | null;
  modelId: string | null;
}

export function EventsPage() {
  useTitle('Event history');
  const me = useMe();
  const sqlOk = can(me, 'sql');
  const loc = useLocation();
  const search = useMemo(() => parseSearch(loc.query), [loc.search]);
  const key = loc.search;

  const [rows, setRows] = useState<Row[]>([]);
  const [next, setNext] = useState<string>();
  const [times, setTimes] = useState<{ StartTime?: string; EndTime?: string }>({});
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>();
  const [ai, setAi] = useState<Map<string, Ai>>(new Map());
  const [refresh, setRefresh] = useState(0);
  const reqRef = useRef<AbortController | undefined>(undefined);

  const body = (s: Search, t: { StartTime?: string; EndTime?: string }, token?: string) => ({
    LookupAttributes: s.value ? [{ AttributeKey: s.attr, AttributeValue: s.value }] : undefined,
    ...t,
    Filters: s.filters.length ? s.filters : undefined,
    MaxResults: PAGE,
    NextToken: token,
  });

  const enrich = async (evs: LookupEvent[], signal: AbortSignal) => {
    if (!sqlOk) return;
    const ids = evs.map((e) => e.EventId).filter((x): x is string => !!x);
    if (!ids.length) return;
    try {
      const r = await post<SqlResult>('/api/sql', { sql: `SELECT eventId, aiService, aiActivity, modelId FROM events WHERE eventId IN (${ids.map((i) => `'${i.replace(/'/g, "''")}'`).join(',')})`, maxRows: 1000 }, signal);
      setAi((m) => {
        const n = new Map(m);
        for (const [id, s, a, mo] of r.rows) n.set(String(id), { aiService: s as string | null, aiActivity: a as string | null, modelId: mo as string | null });
        return n;
      });
    } catch {
      /* enrichment is best effort */
    }
  };

  // Run the search whenever the URL (or Refresh) changes.
  useEffect(() => {
    reqRef.current?.abort();
    const ctrl = new AbortController();
    reqRef.current = ctrl;
    const t = resolveTimes(search);
    setTimes(t);
    setLoading(true);
    setError(undefined);
    post<LookupResponse>('/api/events/lookup', body(search, t), ctrl.signal).then(
      (r) => {
        if (ctrl.signal.aborted) return;
        setRows(r.Events.map((ev) => ({ ev, rec: parse(ev.CloudTrailEvent) })));
        setNext(r.NextToken);
        setLoading(false);
        void enrich(r.Events, ctrl.signal);
      },
      (e) => {
        if (ctrl.signal.aborted) return;
        setRows([]);
        setNext(undefined);
        setError(e);
        setLoading(false);
      },
    );
    return () => ctrl.abort();
  }, [key, refresh]);

  const loadMore = async () => {
    if (!next) return;
    const ctrl = new AbortController();
    reqRef.current = ctrl;
    setLoading(true);
    try {
      const r = await post<LookupResponse>('/api/events/lookup', body(search, times, next), ctrl.signal);
      if (ctrl.signal.aborted) return;
      setRows((old) => [...old, ...r.Events.map((ev) => ({ ev, rec: parse(ev.CloudTrailEvent) }))]);
      setNext(r.NextToken);
      void enrich(r.Events, ctrl.signal);
    } catch (e) {
      if (!ctrl.signal.aborted) setError(e);
    } finally {
      if (!ctrl.signal.aborted) setLoading(false);
    }
  };

  const go = (s: Partial<Search>) => navigate(eventsHref({ ...search, ...s }));
  const setFilter = (field: string, value: string | null, op: '=' | '!=' = '=') => {
    const rest = search.filters.filter((f) => splitFilter(f)?.field.toLowerCase() !== field.toLowerCase());
    go({ filters: value === null ? rest : [...rest, `${field}${op}${value}`] });
  };

  return (
    <div class="events-page">
      <div class="page-head">
        <h1>Event history</h1>
        <div class="head-actions">
          <CopyButton text={location.href} label="Copy link" />
        </div>
      </div>
      <SearchForm search={search} onSearch={go} />
      <div class={sqlOk ? 'with-facets' : ''}>
        {sqlOk ? <Facets search={search} times={times} refresh={refresh} onPick={setFilter} /> : null}
        <section class="results" aria-labelledby="results-title">
          <FilterBar search={search} sqlOk={sqlOk} onRemove={(f) => go({ filters: search.filters.filter((x) => x !== f) })} onAdd={(f) => go({ filters: [...search.filters.filter((x) => x !== f), f] })} onPick={setFilter} />
          <div class="results-head">
            <h2 id="results-title" class="h3">
              Events
            </h2>
            <p class="status" role="status" aria-live="polite">
              {loading ? (
                <>
                  <span class="spinner" aria-hidden="true" /> Loading…
                </>
              ) : error ? (
                ''
              ) : (
                `${num(rows.length)} event${rows.length === 1 ? '' : 's'}${next ? ', more available' : ''} · ${RANGE_LABEL[search.range] ?? ''}${search.range === 'custom' ? `: ${fmtTime(search.start) || '…'} – ${fmtTime(search.end) || 'now'} UTC` : ''}`
              )}
            </p>
            <button type="button" class="btn small" onClick={() => setRefresh((n) => n + 1)}>
              Refresh
            </button>
          </div>
          <ErrorBox error={error} title="The search failed" />
          <EventTable rows={rows} ai={ai} showAi={sqlOk} />
          {!loading && !error && rows.length === 0 ? <p class="empty">No events match. Widen the time range or remove a filter.</p> : null}
          {next ? (
            <div class="more">
              <button type="button" class="btn" onClick={loadMore} disabled={loading}>
                {loading ? 'Loading…' : `Load ${PAGE} more`}
              </button>
            </div>
          ) : null}
        </section>
      </div>
    </div>
  );
}

function parse(s: string): Record<string, unknown> | null {
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function SearchForm({ search, onSearch }: { search: Search; onSearch: (s: Partial<Search>) => void }) {
  const [attr, setAttr] = useState(search.attr);
  const [value, setValue] = useState(search.value);
  const [start, setStart] = useState(toInputTime(search.start));
  const [end, setEnd] = useState(toInputTime(search.end));
  const [custom, setCustom] = useState(search.range === 'custom');
  // Follow the URL (back/forward, links).
  useEffect(() => {
    setAttr(search.attr);
    setValue(search.value);
    setStart(toInputTime(search.start));
    setEnd(toInputTime(search.end));
    setCustom(search.range === 'custom');
  }, [search.attr, search.value, search.start, search.end, search.range]);

  const submit = (e: Event) => {
    e.preventDefault();
    if (custom) onSearch({ attr, value: value.trim(), range: 'custom', start: fromInputTime(start), end: fromInputTime(end) });
    else onSearch({ attr, value: value.trim() });
  };
  const ranges = ['1h', '24h', '7d', '30d', 'all', 'custom'];
  return (
    <form class="panel search" onSubmit={submit} role="search" aria-label="Look up events">
      <div class="row">
        <div class="field">
          <label for="attr">Lookup attribute</label>
          <select id="attr" value={attr} onChange={(e) => setAttr(e.currentTarget.value)}>
            {ATTRIBUTE_KEYS.map((k) => (
              <option key={k} value={k}>
                {ATTRIBUTE_LABELS[k]}
              </option>
            ))}
          </select>
        </div>
        <div class="field grow">
          <label for="attr-value">{ATTRIBUTE_LABELS[attr] ?? attr} value</label>
          {attr === 'ReadOnly' ? (
            <select id="attr-value" value={value} onChange={(e) => setValue(e.currentTarget.value)}>
              <option value="">any</option>
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          ) : (
            <input id="attr-value" type="search" value={value} placeholder={attr === 'EventName' ? 'e.g. InvokeModel' : 'exact value'} onInput={(e) => setValue(e.currentTarget.value)} spellcheck={false} />
          )}
        </div>
        <button type="submit" class="btn primary">
          Search
        </button>
      </div>
      <div class="row">
        <span class="label-inline" id="range-label">
          Time range
        </span>
        <Segmented
          label="Time range"
          value={custom ? 'custom' : search.range}
          options={ranges.map((r) => ({ value: r, label: r === 'all' ? 'All' : r === 'custom' ? 'Custom' : r }))}
          onChange={(r) => {
            if (r === 'custom') {
              setCustom(true);
              if (!start) setStart(toInputTime(new Date(Date.now() - 86_400_000).toISOString()));
            } else {
              setCustom(false);
              onSearch({ attr, value: value.trim(), range: r, start: undefined, end: undefined });
            }
          }}
        />
        {custom ? (
          <div class="custom-range">
            <div class="field">
              <label for="start">Start (UTC)</label>
              <input id="start" type="datetime-local" value={start} onInput={(e) => setStart(e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="end">End (UTC)</label>
              <input id="end" type="datetime-local" value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
            </div>
            <button type="submit" class="btn">
              Apply range
            </button>
          </div>
        ) : null}
      </div>
    </form>
  );
}

function FilterBar({ search, sqlOk, onRemove, onAdd, onPick }: { search: Search; sqlOk: boolean; onRemove: (f: string) => void; onAdd: (f: string) => void; onPick: (field: string, v: string | null) => void }) {
  const [field, setField] = useState('aiActivity');
  const [op, setOp] = useState<'=' | '!='>('=');
  const [value, setValue] = useState('');
  const active = (f: string) => search.filters.find((x) => splitFilter(x)?.field === f && splitFilter(x)?.op === '=')?.split('=').slice(1).join('=');
  return (
    <div class="filterbar">
      <div class="chips" aria-label="Active filters" role="group">
        <span class="label-inline">Filters</span>
        {search.filters.length === 0 ? <span class="muted">none</span> : null}
        {search.filters.map((f) => (
          <span class="chip" key={f}>
            <code>{f}</code>
            <button type="button" class="chip-x" aria-label={`Remove filter ${f}`} title="Remove filter" onClick={() => onRemove(f)}>
              ×
            </button>
          </span>
        ))}
      </div>
      {!sqlOk ? (
        <div class="quick-facets">
          <div class="field">
            <label for="q-service">AI service</label>
            <select id="q-service" value={active('aiService') ?? ''} onChange={(e) => onPick('aiService', e.currentTarget.value || null)}>
              <option value="">any</option>
              {AI_SERVICES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="q-activity">AI activity</label>
            <select id="q-activity" value={active('aiActivity') ?? ''} onChange={(e) => onPick('aiActivity', e.currentTarget.value || null)}>
              <option value="">any</option>
              {AI_ACTIVITIES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </div>
        </div>
      ) : null}
      <form
        class="add-filter"
        onSubmit={(e) => {
          e.preventDefault();
          const f = field.trim();
          if (!f || !value.trim()) return;
          onAdd(`${f}${op}${value.trim()}`);
          setValue('');
        }}
      >
        <div class="field">
          <label for="af-field">Filter field</label>
          <input id="af-field" list="af-fields" value={field} onInput={(e) => setField(e.currentTarget.value)} size={14} spellcheck={false} />
          <datalist id="af-fields">
            {FILTER_FIELDS.map((f) => (
              <option key={f.field} value={f.field}>
                {f.label}
              </option>
            ))}
            <option value="requestParameters.bucketName">S3 bucket (record path)</option>
          </datalist>
        </div>
        <div class="field">
          <label for="af-op">Operator</label>
          <select id="af-op" value={op} onChange={(e) => setOp(e.currentTarget.value as '=' | '!=')}>
            <option value="=">equals</option>
            <option value="!=">does not equal</option>
          </select>
        </div>
        <div class="field">
          <label for="af-value">Value (* wildcard, null = missing)</label>
          <input id="af-value" value={value} onInput={(e) => setValue(e.currentTarget.value)} placeholder="e.g. AccessDenied*" spellcheck={false} />
        </div>
        <button type="submit" class="btn">
          Add filter
        </button>
      </form>
    </div>
  );
}

const FACETS: { field: string; label: string; none: string }[] = [
  { field: 'aiService', label: 'AI service', none: 'not AI' },
  { field: 'aiActivity', label: 'AI activity', none: 'not AI' },
  { field: 'accountId', label: 'Account', none: '(none)' },
  { field: 'awsRegion', label: 'Region', none: '(none)' },
  { field: 'errorCode', label: 'Error', none: 'no error' },
];

/** Value counts per facet, each counted under every other active filter (SQL roles only). */
function Facets({ search, times, refresh, onPick }: { search: Search; times: { StartTime?: string; EndTime?: string }; refresh: number; onPick: (field: string, v: string | null) => void }) {
  const [data, setData] = useState<Record<string, { value: string | null; n: number }[]>>({});
  const [partial, setPartial] = useState(false);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  useEffect(() => {
    const ctrl = new AbortController();
    const base = [...timeSql(times)];
    let untranslated = false;
    if (search.value) {
      const a = attributeSql(search.attr, search.value);
      if (a) base.push(a);
      else untranslated = true;
    }
    const parts = FACETS.map((f) => {
      const conds = [...base];
      for (const flt of search.filters) {
        if (splitFilter(flt)?.field.toLowerCase() === f.field.toLowerCase()) continue;
        const s = filterSql(flt);
        if (s) conds.push(s);
        else untranslated = true;
      }
      return `(SELECT '${f.field}' AS facet, CAST("${f.field}" AS VARCHAR) AS value, count(*) AS n FROM events ${conds.length ? 'WHERE ' + conds.join(' AND ') : ''} GROUP BY 2 ORDER BY 3 DESC LIMIT 8)`;
    });
    setPartial(untranslated);
    setLoading(true);
    post<SqlResult>('/api/sql', { sql: parts.join('\nUNION ALL\n'), maxRows: 100, timeoutMs: 20_000 }, ctrl.signal).then(
      (r) => {
        const out: Record<string, { value: string | null; n: number }[]> = {};
        for (const [facet, value, n] of r.rows) (out[String(facet)] ??= []).push({ value: value as string | null, n: Number(n) });
        for (const k of Object.keys(out)) out[k]!.sort((a, b) => b.n - a.n);
        setData(out);
        setError(undefined);
        setLoading(false);
      },
      (e) => {
        if (!ctrl.signal.aborted) {
          setError(e);
          setLoading(false);
        }
      },
    );
    return () => ctrl.abort();
  }, [JSON.stringify(search), times.StartTime, times.EndTime, refresh]);

  const selected = (field: string) => {
    const f = search.filters.map(splitFilter).find((p) => p && p.op === '=' && p.field.toLowerCase() === field.toLowerCase());
    return f ? (f.value === '' || f.value === 'null' ? null : f.value) : undefined;
  };
  return (
    <aside class="facets panel" aria-label="Facets" aria-busy={loading}>
      <h2 class="h3">Narrow down</h2>
      <ErrorBox error={error} title="Facet counts failed" />
      {FACETS.map((f) => {
        const sel = selected(f.field);
        const vals = data[f.field] ?? [];
        return (
          <section key={f.field} class="facet">
            <h3 class="facet-title">{f.label}</h3>
            {vals.length === 0 ? <p class="muted small">{loading ? '…' : 'none'}</p> : null}
            <ul>
              {vals.map((v) => {
                const on = sel !== undefined && sel === v.value;
                return (
                  <li key={String(v.value)}>
                    <button type="button" class={`facet-btn${on ? ' on' : ''}`} aria-pressed={on} onClick={() => onPick(f.field, on ? null : v.value ?? 'null')} title={v.value ?? f.none}>
                      <span class="facet-val">{v.value ?? <em>{f.none}</em>}</span>
                      <span class="facet-n">{num(v.n)}</span>
                    </button>
                  </li>
                );
              })}
            </ul>
          </section>
        );
      })}
      {partial ? <p class="help">Counts ignore filters on record paths.</p> : null}
    </aside>
  );
}

function EventTable({ rows, ai, showAi }: { rows: Row[]; ai: Map<string, Ai>; showAi: boolean }) {
  const [open, setOpen] = useState<Set<string>>(new Set());
  const toggle = (id: string) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  if (rows.length === 0) return null;
  const cols = showAi ? 9 : 8;
  return (
    <div class="table-scroll">
      <table class="grid events-table">
        <colgroup>
          <col style={{ width: '32px' }} />
          <col style={{ width: '158px' }} />
          <col style={{ width: '15%' }} />
          <col style={{ width: '11%' }} />
          <col style={{ width: '92px' }} />
          <col style={{ width: '9%' }} />
          <col />
          {showAi ? <col style={{ width: '106px' }} /> : null}
          <col style={{ width: '10%' }} />
        </colgroup>
        <thead>
          <tr>
            <th scope="col" class="w-toggle">
              <span class="sr-only">Details</span>
            </th>
            <th scope="col">Event time (UTC)</th>
            <th scope="col">Event name</th>
            <th scope="col">User name</th>
            <th scope="col">Event source</th>
            <th scope="col">Resource type</th>
            <th scope="col">Resource name</th>
            {showAi ? <th scope="col">AI activity</th> : null}
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ ev, rec }, i) => {
            const id = ev.EventId ?? `row-${i}`;
            const isOpen = open.has(id);
            const a = ev.EventId ? ai.get(ev.EventId) : undefined;
            const res = ev.Resources[0];
            const err = (rec?.errorCode as string | undefined) ?? '';
            return (
              <Fragment key={id}>
                <tr class={isOpen ? 'open' : ''}>
                  <td>
                    <button type="button" class="expander" aria-expanded={isOpen} aria-controls={`json-${i}`} aria-label={`${isOpen ? 'Hide' : 'Show'} the record of ${ev.EventName} at ${fmtTime(ev.EventTime)}`} onClick={() => toggle(id)}>
                      <span aria-hidden="true">{isOpen ? '▾' : '▸'}</span>
                    </button>
                  </td>
                  <td class="nowrap tnum">{fmtTime(ev.EventTime)}</td>
                  <td class="trunc">{ev.EventId ? <Link href={`/events/${encodeURIComponent(ev.EventId)}`}>{ev.EventName}</Link> : ev.EventName}</td>
                  <td class="trunc" title={ev.Username ?? ''}>
                    {ev.Username ?? ''}
                  </td>
                  <td class="trunc" title={ev.EventSource}>
                    {ev.EventSource.replace('.amazonaws.com', '')}
                  </td>
                  <td class="trunc" title={ev.Resources.map((r) => r.ResourceType).join('\n')}>
                    {res?.ResourceType?.replace(/^AWS::/, '') ?? ''}
                  </td>
                  {res ? (
                    <td class="trunc" title={ev.Resources.map((r) => r.ResourceName).join('\n')}>
                      {ev.Resources.length > 1 ? <span class="more-n">+{ev.Resources.length - 1}</span> : null}
                      {shortArn(res.ResourceName)}
                    </td>
                  ) : (
                    <td class="trunc muted" title={a?.modelId ? `model ${a.modelId}` : ''}>
                      {a?.modelId ?? ''}
                    </td>
                  )}
                  {showAi ? <td class="trunc">{a?.aiActivity ? <span class="tag">{a.aiActivity}</span> : ''}</td> : null}
                  <td class="trunc" title={err}>
                    {err ? <span class="err-text">{err}</span> : ''}
                  </td>
                </tr>
                {isOpen ? (
                  <tr class="json-row">
                    <td colSpan={cols} id={`json-${i}`}>
                      <div
                        onKeyDown={(e) => {
                          if (e.key === 'Escape') {
                            toggle(id);
                            (e.currentTarget.closest('tr')?.previousElementSibling?.querySelector('button.expander') as HTMLElement | null)?.focus();
                          }
                        }}
                      >
                        <div class="json-links">
                          {ev.EventId ? <Link href={`/events/${encodeURIComponent(ev.EventId)}`}>Open event page</Link> : null}
                          {a?.modelId ? <span class="muted">model {a.modelId}</span> : null}
                        </div>
                        <JsonBlock value={ev.CloudTrailEvent} label="CloudTrailEvent" />
                      </div>
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
