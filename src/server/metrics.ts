/**
 * Prometheus metrics of the server: request counts and latency histograms per route, plus
 * gauges read from the store at scrape time.
 */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Request counters and latency histograms. */
export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly hist = new Map<string, { buckets: number[]; sum: number; count: number }>();
  /** Events accepted by push ingest. */
  pushedEvents = 0;

  /** Records one request. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const k = `method="${method}",route="${route.replace(/"/g, '')}",status="${status}"`;
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
    const hk = `method="${method}",route="${route.replace(/"/g, '')}"`;
    let h = this.hist.get(hk);
    if (!h) this.hist.set(hk, (h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.buckets[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** The Prometheus text exposition, with extra gauges and counters. */
  render(gauges: Record<string, number>, counters: Record<string, number> = {}): string {
    const out: string[] = [];
    out.push('# HELP aitrail_http_requests_total HTTP requests by route and status.', '# TYPE aitrail_http_requests_total counter');
    for (const [k, v] of this.requests) out.push(`aitrail_http_requests_total{${k}} ${v}`);
    out.push('# HELP aitrail_http_request_duration_seconds Request latency.', '# TYPE aitrail_http_request_duration_seconds histogram');
    for (const [k, h] of this.hist) {
      BUCKETS.forEach((b, i) => out.push(`aitrail_http_request_duration_seconds_bucket{${k},le="${b}"} ${h.buckets[i]}`));
      out.push(`aitrail_http_request_duration_seconds_bucket{${k},le="+Inf"} ${h.count}`);
      out.push(`aitrail_http_request_duration_seconds_sum{${k}} ${h.sum}`, `aitrail_http_request_duration_seconds_count{${k}} ${h.count}`);
    }
    out.push('# HELP aitrail_push_events_total Events accepted by push ingest.', '# TYPE aitrail_push_events_total counter', `aitrail_push_events_total ${this.pushedEvents}`);
    for (const [name, v] of Object.entries(gauges)) out.push(`# TYPE ${name} gauge`, `${name} ${v}`);
    for (const [name, v] of Object.entries(counters)) out.push(`# TYPE ${name} counter`, `${name} ${v}`);
    return out.join('\n') + '\n';
  }
}
