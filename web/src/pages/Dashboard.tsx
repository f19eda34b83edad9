/** The AI activity dashboard: every chart drills down into Event history or Findings. */
import type { ComponentChildren } from 'preact';
import { useMemo } from 'preact/hooks';
import { get, type Dashboard } from '../api.js';
import { Chart, ChartData, PALETTE, baseOption, type ChartClick } from '../components/chart.js';
import { ErrorBox, Segmented, SeverityBadge, Status } from '../components/ui.js';
import { eventsHref } from '../filters.js';
import { Link, href, navigate, useLocation } from '../router.js';
import { fmtTime, num, RANGE_MS, shortPrincipal, useAsync, useTitle } from '../util.js';

const RANGES = ['24h', '7d', '30d'] as const;
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'];

export function DashboardPage() {
  useTitle('Dashboard');
  const loc = useLocation();
  const range = (RANGES as readonly string[]).includes(loc.query.get('range') ?? '') ? loc.query.get('range')! : '7d';
  // The window ends at the current minute, so reloads within a minute share the server's cache.
  const win = useMemo(() => {
    const end = Math.floor(Date.now() / 60_000) * 60_000;
    return { start: new Date(end - RANGE_MS[range]!).toISOString(), end: new Date(end).toISOString() };
  }, [range, loc.search]);
  const { data, error, loading, reload } = useAsync((signal) => get<Dashboard>(href('/api/stats/dashboard', win), signal), [win.start, win.end]);

  return (
    <div class="dashboard">
      <div class="page-head">
        <h1>AI activity</h1>
        <div class="head-actions">
          <Segmented label="Dashboard time range" value={range} options={RANGES.map((r) => ({ value: r, label: `Last ${r}` }))} onChange={(r) => navigate(href('/', { range: r }))} />
          <button type="button" class="btn small" onClick={reload}>
            Refresh
          </button>
        </div>
      </div>
      <Status loading={loading}>{data ? `${fmtTime(data.start)} – ${fmtTime(data.end)} UTC, by ${data.bucket}` : ''}</Status>
      <ErrorBox error={error} title="The dashboard could not be loaded" />
      {data ? <DashboardBody d={data} /> : null}
    </div>
  );
}

function bucketsOf(d: Dashboard): string[] {
  const step = d.bucket === 'hour' ? 3_600_000 : 86_400_000;
  const s = new Date(d.start);
  const first = d.bucket === 'hour' ? Date.UTC(s.getUTCFullYear(), s.getUTCMonth(), s.getUTCDate(), s.getUTCHours()) : Date.UTC(s.getUTCFullYear(), s.getUTCMonth(), s.getUTCDate());
  const out: string[] = [];
  for (let t = first; t <= new Date(d.end).getTime(); t += step) out.push(new Date(t).toISOString());
  return out;
}

function DashboardBody({ d }: { d: Dashboard }) {
  const step = d.bucket === 'hour' ? 3_600_000 : 86_400_000;
  const buckets = useMemo(() => bucketsOf(d), [d]);
  const label = (t: string) => (d.bucket === 'hour' ? `${t.slice(5, 10)} ${t.slice(11, 13)}h` : t.slice(5, 10));
  const whole = { range: 'custom', start: d.start, end: d.end };
  // A bucket's events, clipped to the dashboard's window (the first and last buckets are partial).
  const inBucket = (t: string) => {
    const s = Math.max(new Date(t).getTime(), new Date(d.start).getTime());
    const e = Math.min(new Date(t).getTime() + step - 1, new Date(d.end).getTime());
    return { range: 'custom', start: new Date(s).toISOString(), end: new Date(e).toISOString() };
  };
  const go = (filters: string[], time: { range: string; start: string; end: string } = whole) => navigate(eventsHref({ ...time, filters }));
  const norm = (t: string) => new Date(t).toISOString();

  // Events over time, stacked by AI activity.
  const timeline = useMemo(() => {
    const totals = new Map<string, number>();
    for (const r of d.timeline) totals.set(r.aiActivity, (totals.get(r.aiActivity) ?? 0) + r.events);
    const acts = [...totals.keys()].sort((a, b) => (a === 'not AI' ? 1 : b === 'not AI' ? -1 : totals.get(b)! - totals.get(a)!));
    const idx = new Map(buckets.map((b, i) => [b, i]));
    const series = acts.map((a, i) => {
      const data = buckets.map(() => 0);
      for (const r of d.timeline) if (r.aiActivity === a) data[idx.get(norm(r.t)) ?? 0]! += r.events;
      return { name: a, type: 'bar', stack: 'all', data, itemStyle: a === 'not AI' ? { color: '#cbd5e1' } : { color: PALETTE[i % PALETTE.length] }, emphasis: { focus: 'series' } };
    });
    return {
      acts,
      option: {
        ...baseOption,
        legend: { top: 0, itemWidth: 14, itemHeight: 10, itemGap: 8, textStyle: { fontSize: 11 } },
        grid: { ...baseOption.grid, top: 50 },
        xAxis: { type: 'category', data: buckets.map(label), axisLabel: { fontSize: 11 } },
        yAxis: { type: 'value', axisLabel: { fontSize: 11 } },
        series,
      },
    };
  }, [d]);

  const byModel = useMemo(() => {
    const rows = [...d.bedrockByModel].reverse();
    return {
      ...baseOption,
      legend: { top: 0 },
      yAxis: { type: 'category', data: rows.map((r) => r.modelId), axisLabel: { fontSize: 11, width: 220, overflow: 'truncate' } },
      xAxis: { type: 'value', axisLabel: { fontSize: 11 } },
      series: [
        { name: 'Succeeded', type: 'bar', stack: 'x', data: rows.map((r) => r.invocations - r.errors), itemStyle: { color: '#2563eb' } },
        { name: 'Errors', type: 'bar', stack: 'x', data: rows.map((r) => r.errors), itemStyle: { color: '#dc2626' } },
      ],
    };
  }, [d]);

  const byPrincipal = useMemo(() => {
    const rows = [...d.bedrockByPrincipal].reverse();
    return {
      ...baseOption,
      tooltip: { ...baseOption.tooltip, formatter: (ps: { dataIndex: number }[]) => { const r = rows[ps[0]!.dataIndex]!; return `${escapeHtml(r.principal)}<br/><b>${num(r.invocations)}</b> invocations of ${r.models} model${r.models === 1 ? '' : 's'}`; } },
      yAxis: { type: 'category', data: rows.map((r) => shortPrincipal(r.principal)), axisLabel: { fontSize: 11, width: 200, overflow: 'truncate' } },
      xAxis: { type: 'value', axisLabel: { fontSize: 11 } },
      series: [{ name: 'Invocations', type: 'bar', data: rows.map((r) => r.invocations), itemStyle: { color: '#7c3aed' } }],
    };
  }, [d]);

  const sagemaker = useMemo(() => {
    const idx = new Map(buckets.map((b, i) => [b, i]));
    const tr = buckets.map(() => 0);
    const de = buckets.map(() => 0);
    for (const r of d.sagemaker) {
      const i = idx.get(norm(r.t));
      if (i === undefined) continue;
      tr[i] += r.training;
      de[i] += r.deployment;
    }
    return {
      points: tr.reduce((a, b) => a + b, 0) + de.reduce((a, b) => a + b, 0),
      tr, de,
      option: {
        ...baseOption,
        legend: { top: 0 },
        xAxis: { type: 'category', data: buckets.map(label), axisLabel: { fontSize: 11 } },
        yAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: 11 } },
        series: [
          { name: 'Training', type: 'bar', data: tr, itemStyle: { color: '#059669' } },
          { name: 'Deployment', type: 'bar', data: de, itemStyle: { color: '#d97706' } },
        ],
      },
    };
  }, [d]);

  const reads = useMemo(() => {
    const rows = [...d.aiDataReads].reverse();
    return {
      ...baseOption,
      tooltip: { ...baseOption.tooltip, formatter: (ps: { dataIndex: number }[]) => { const r = rows[ps[0]!.dataIndex]!; return `${escapeHtml(r.bucket)}<br/><b>${num(r.reads)}</b> reads by ${r.principals} principal${r.principals === 1 ? '' : 's'}`; } },
      yAxis: { type: 'category', data: rows.map((r) => r.bucket), axisLabel: { fontSize: 11, width: 200, overflow: 'truncate' } },
      xAxis: { type: 'value', axisLabel: { fontSize: 11 } },
      series: [{ name: 'Reads', type: 'bar', data: rows.map((r) => r.reads), itemStyle: { color: '#0891b2' } }],
    };
  }, [d]);

  const errors = useMemo(() => {
    const idx = new Map(buckets.map((b, i) => [b, i]));
    const ev = buckets.map(() => 0);
    const er = buckets.map(() => 0);
    const ad = buckets.map(() => 0);
    for (const r of d.errorRates) {
      const i = idx.get(norm(r.t));
      if (i === undefined) continue;
      ev[i] += r.events;
      er[i] += r.errors;
      ad[i] += r.accessDenied;
    }
    const rate = ev.map((n, i) => (n ? Math.round((er[i]! / n) * 1000) / 10 : 0));
    return {
      ev, er, ad, rate,
      option: {
        ...baseOption,
        legend: { top: 0 },
        xAxis: { type: 'category', data: buckets.map(label), axisLabel: { fontSize: 11 } },
        yAxis: [
          { type: 'value', name: 'calls', minInterval: 1, axisLabel: { fontSize: 11 }, nameTextStyle: { fontSize: 11 } },
          { type: 'value', name: 'error %', axisLabel: { fontSize: 11, formatter: '{value}%' }, splitLine: { show: false }, nameTextStyle: { fontSize: 11 } },
        ],
        series: [
          { name: 'Errors', type: 'bar', data: er, itemStyle: { color: '#fca5a5' } },
          { name: 'AccessDenied', type: 'bar', data: ad, barGap: '-100%', itemStyle: { color: '#b91c1c' } },
          { name: 'Error rate', type: 'line', yAxisIndex: 1, data: rate, symbolSize: 5, itemStyle: { color: '#334155' }, tooltip: { valueFormatter: (v: number) => `${v}%` } },
        ],
      },
    };
  }, [d]);

  const findings = useMemo(() => {
    const by = new Map(d.findingsBySeverity.map((r) => [r.severity, r]));
    const sevs = SEVERITIES.filter((s) => by.has(s as never));
    return {
      sevs,
      option: {
        ...baseOption,
        legend: { top: 0 },
        xAxis: { type: 'category', data: sevs, axisLabel: { fontSize: 12 } },
        yAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: 11 } },
        series: [
          { name: 'Open', type: 'bar', stack: 's', data: sevs.map((s) => by.get(s as never)!.open), itemStyle: { color: '#dc2626' } },
          { name: 'Closed', type: 'bar', stack: 's', data: sevs.map((s) => by.get(s as never)!.total - by.get(s as never)!.open), itemStyle: { color: '#cbd5e1' } },
        ],
      },
    };
  }, [d]);

  const t = d.totals;
  const modelRows = d.bedrockByModel;
  const principalRows = d.bedrockByPrincipal;
  const readRows = d.aiDataReads;
  const inv = ['aiService=bedrock', 'aiActivity=inference'];

  return (
    <>
      <ul class="cards" aria-label="Totals">
        <Card label="Events" value={t.events} href={eventsHref(whole)} />
        <Card label="AI events" value={t.aiEvents} href={eventsHref({ ...whole, filters: ['aiActivity!=null'] })} />
        <Card label="Errors" value={t.errors} href={eventsHref({ ...whole, filters: ['errorCode!=null'] })} tone={t.errors ? 'warn' : ''} />
        <Card label="AccessDenied" value={t.accessDenied} href={eventsHref({ ...whole, filters: ['errorCode=AccessDenied*'] })} tone={t.accessDenied ? 'bad' : ''} />
        <Card label="Principals" value={t.principals} />
      </ul>

      <div class="dash-grid">
        <Panel title="Events over time by AI activity" wide hint="Click a segment to see its events">
          <Chart
            label={`Stacked bar chart of ${num(t.events)} events per ${d.bucket} by AI activity`}
            option={timeline.option}
            points={d.timeline.length}
            height={280}
            onClick={(p) => go([p.seriesName === 'not AI' ? 'aiActivity=null' : `aiActivity=${p.seriesName}`], inBucket(buckets[p.dataIndex]!))}
          />
          <ChartData>
            <table class="grid">
              <thead>
                <tr>
                  <th scope="col">AI activity</th>
                  <th scope="col" class="num">Events</th>
                </tr>
              </thead>
              <tbody>
                {timeline.acts.map((a) => (
                  <tr key={a}>
                    <th scope="row">
                      <Link href={eventsHref({ ...whole, filters: [a === 'not AI' ? 'aiActivity=null' : `aiActivity=${a}`] })}>{a}</Link>
                    </th>
                    <td class="num">{num(d.timeline.filter((r) => r.aiActivity === a).reduce((s, r) => s + r.events, 0))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ChartData>
        </Panel>

        <Panel title="Bedrock invocations by model" hint="Click a bar to see the invocations">
          <Chart
            label={`Bar chart of Bedrock invocations for ${modelRows.length} models`}
            option={byModel}
            points={modelRows.length}
            height={Math.max(200, 40 + modelRows.length * 22)}
            onClick={(p) => go([...inv, `modelId=${p.name}`, ...(p.seriesName === 'Errors' ? ['errorCode!=null'] : [])])}
          />
          <ChartData>
            <SimpleTable head={['Model', 'Invocations', 'Errors']} rows={modelRows.map((r) => [<Link href={eventsHref({ ...whole, filters: [...inv, `modelId=${r.modelId}`] })}>{r.modelId}</Link>, num(r.invocations), num(r.errors)])} />
          </ChartData>
        </Panel>

        <Panel title="Bedrock invocations by principal" hint="Click a bar to see the invocations">
          <Chart
            label={`Bar chart of Bedrock invocations for ${principalRows.length} principals`}
            option={byPrincipal}
            points={principalRows.length}
            height={Math.max(200, 40 + principalRows.length * 22)}
            onClick={(p) => {
              const r = [...principalRows].reverse()[p.dataIndex];
              if (r) go([...inv, principalFilter(r.principal)]);
            }}
          />
          <ChartData>
            <SimpleTable head={['Principal', 'Invocations', 'Models']} rows={principalRows.map((r) => [<Link href={eventsHref({ ...whole, filters: [...inv, principalFilter(r.principal)] })}>{r.principal}</Link>, num(r.invocations), num(r.models)])} />
          </ChartData>
        </Panel>

        <Panel title="SageMaker training and deployments" hint="Write calls (create, update, stop, delete). Click a bar to see them">
          <Chart
            label={`Bar chart of SageMaker training and deployment calls per ${d.bucket}`}
            option={sagemaker.option}
            points={sagemaker.points}
            onClick={(p) => go(['aiService=sagemaker', `aiActivity=${p.seriesName === 'Training' ? 'training' : 'deployment'}`, 'readOnly=false'], inBucket(buckets[p.dataIndex]!))}
          />
          <ChartData>
            <SimpleTable head={['Time (UTC)', 'Training', 'Deployment']} rows={buckets.map((b, i) => [fmtTime(b).slice(0, d.bucket === 'hour' ? 16 : 10), num(sagemaker.tr[i]), num(sagemaker.de[i])]).filter((_, i) => sagemaker.tr[i] || sagemaker.de[i])} />
          </ChartData>
        </Panel>

        <Panel title="Reads of AI data buckets" hint="Click a bar to see the reads">
          <Chart
            label={`Bar chart of object reads in ${readRows.length} AI data buckets`}
            option={reads}
            points={readRows.length}
            height={Math.max(200, 40 + readRows.length * 22)}
            onClick={(p) => {
              const r = [...readRows].reverse()[p.dataIndex];
              if (r) go(['aiService=s3', 'aiActivity=data-access', `requestParameters.bucketName=${r.bucket === '(unknown)' ? 'null' : r.bucket}`]);
            }}
          />
          <ChartData>
            <SimpleTable head={['Bucket', 'Reads', 'Principals']} rows={readRows.map((r) => [<Link href={eventsHref({ ...whole, filters: ['aiService=s3', 'aiActivity=data-access', `requestParameters.bucketName=${r.bucket}`] })}>{r.bucket}</Link>, num(r.reads), num(r.principals)])} />
          </ChartData>
        </Panel>

        <Panel title="Errors and AccessDenied" hint="Click a bar to see the failed calls">
          <Chart
            label={`Chart of errors, AccessDenied errors and the error rate per ${d.bucket}`}
            option={errors.option}
            points={d.errorRates.length}
            onClick={(p) => go([p.seriesName === 'AccessDenied' ? 'errorCode=AccessDenied*' : 'errorCode!=null'], inBucket(buckets[p.dataIndex]!))}
          />
          <ChartData>
            <SimpleTable
              head={['Time (UTC)', 'Events', 'Errors', 'AccessDenied', 'Error rate']}
              rows={buckets.map((b, i) => [fmtTime(b).slice(0, d.bucket === 'hour' ? 16 : 10), num(errors.ev[i]), num(errors.er[i]), num(errors.ad[i]), `${errors.rate[i]}%`]).filter((_, i) => errors.ev[i])}
            />
          </ChartData>
        </Panel>

        <Panel title="Findings by severity" hint="Click a bar to see the findings">
          <Chart
            label="Bar chart of open and closed findings by severity"
            option={findings.option}
            points={d.findingsBySeverity.length}
            onClick={(p) => navigate(href('/findings', { severity: p.name, status: p.seriesName === 'Open' ? 'open' : 'acknowledged,resolved,suppressed' }))}
          />
          <ChartData>
            <SimpleTable head={['Severity', 'Open', 'Total']} rows={d.findingsBySeverity.map((r) => [<Link href={href('/findings', { severity: r.severity, status: 'any' })}><SeverityBadge severity={r.severity} /></Link>, num(r.open), num(r.total)])} />
          </ChartData>
        </Panel>

        <Panel title="Top principals by AI activity">
          <div class="table-scroll scroll-360">
            <table class="grid">
              <thead>
                <tr>
                  <th scope="col">Principal</th>
                  <th scope="col" class="num">AI events</th>
                  <th scope="col" class="num">All events</th>
                </tr>
              </thead>
              <tbody>
                {d.topPrincipals.map((r) => (
                  <tr key={r.principal}>
                    <th scope="row" class="trunc wide" title={r.principal}>
                      <Link href={eventsHref({ ...whole, filters: [principalFilter(r.principal), 'aiActivity!=null'] })}>{shortPrincipal(r.principal)}</Link>
                    </th>
                    <td class="num">{num(r.aiEvents)}</td>
                    <td class="num">
                      <Link href={eventsHref({ ...whole, filters: [principalFilter(r.principal)] })}>{num(r.events)}</Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Panel>

        <Panel title="Principals seen for the first time">
          {d.newPrincipals.length === 0 ? <p class="empty">No principal appeared for the first time in this window.</p> : null}
          {d.newPrincipals.length ? (
            <div class="table-scroll scroll-360">
              <table class="grid">
                <thead>
                  <tr>
                    <th scope="col">Principal</th>
                    <th scope="col">First seen (UTC)</th>
                    <th scope="col" class="num">Events</th>
                  </tr>
                </thead>
                <tbody>
                  {d.newPrincipals.map((r) => (
                    <tr key={r.principal}>
                      <th scope="row" class="trunc wide" title={r.principal}>
                        <Link href={eventsHref({ ...whole, filters: [principalFilter(r.principal)] })}>{shortPrincipal(r.principal)}</Link>
                      </th>
                      <td class="nowrap mono">{fmtTime(r.firstSeen)}</td>
                      <td class="num">{num(r.events)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </Panel>
      </div>
    </>
  );
}

function principalFilter(p: string): string {
  return p === '(unknown)' ? 'userIdentityArn=null' : p.startsWith('arn:') ? `userIdentityArn=${p}` : `userIdentityInvokedBy=${p}`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function Card({ label, value, href: to, tone = '' }: { label: string; value: number; href?: string; tone?: string }) {
  const inner = (
    <>
      <span class="card-label">{label}</span>
      <span class="card-value">{num(value)}</span>
    </>
  );
  return <li class={`card ${tone}`}>{to ? <Link href={to}>{inner}</Link> : <div>{inner}</div>}</li>;
}

function Panel({ title, hint, wide, children }: { title: string; hint?: string; wide?: boolean; children: ComponentChildren }) {
  const id = 'p-' + title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return (
    <section class={`panel chart-panel${wide ? ' wide' : ''}`} aria-labelledby={id}>
      <div class="panel-head">
        <h2 id={id} class="h3">
          {title}
        </h2>
        {hint ? <span class="hint">{hint}</span> : null}
      </div>
      {children}
    </section>
  );
}

function SimpleTable({ head, rows }: { head: string[]; rows: ComponentChildren[][] }) {
  return (
    <table class="grid">
      <thead>
        <tr>
          {head.map((h, i) => (
            <th key={h} scope="col" class={i ? 'num' : ''}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            {r.map((c, j) =>
              j === 0 ? (
                <th key={j} scope="row">
                  {c}
                </th>
              ) : (
                <td key={j} class="num">
                  {c}
                </td>
              ),
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export type { ChartClick };
