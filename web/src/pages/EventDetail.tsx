/** One event: its aitrail fields and the raw CloudTrail record. */
import { get } from '../api.js';
import { ErrorBox, JsonBlock, Status } from '../components/ui.js';
import { eventsHref } from '../filters.js';
import { Link } from '../router.js';
import { fmtTime, useAsync, useTitle } from '../util.js';

type Ev = Record<string, unknown> & { record: unknown };

export function EventDetailPage({ id }: { id: string }) {
  const { data, error, loading } = useAsync((signal) => get<Ev>(`/api/events/${encodeURIComponent(id)}`, signal), [id]);
  useTitle(data ? `${String(data.eventName)} event` : 'Event');
  const s = (k: string) => (data?.[k] === null || data?.[k] === undefined ? '' : String(data[k]));
  const t = data ? new Date(s('eventTime')) : undefined;
  const around = t ? { range: 'custom', start: new Date(t.getTime() - 15 * 60_000).toISOString(), end: new Date(t.getTime() + 15 * 60_000).toISOString() } : {};
  const fields: [string, string, string?][] = [
    ['Event time (UTC)', fmtTime(s('eventTime'))],
    ['Event name', s('eventName')],
    ['Event source', s('eventSource')],
    ['Region', s('awsRegion')],
    ['Account', s('accountId')],
    ['Principal', s('userIdentityArn'), s('userIdentityArn') ? eventsHref({ filters: [`userIdentityArn=${s('userIdentityArn')}`], ...around }) : undefined],
    ['User name', s('username')],
    ['Identity type', s('userIdentityType')],
    ['Access key', s('userIdentityAccessKeyId'), s('userIdentityAccessKeyId') ? eventsHref({ attr: 'AccessKeyId', value: s('userIdentityAccessKeyId'), range: 'all' }) : undefined],
    ['Source IP', s('sourceIPAddress'), s('sourceIPAddress') ? eventsHref({ filters: [`sourceIPAddress=${s('sourceIPAddress')}`], range: 'all' }) : undefined],
    ['User agent', s('userAgent')],
    ['Read-only', s('readOnly')],
    ['Error', [s('errorCode'), s('errorMessage')].filter(Boolean).join(': ')],
    ['AI service', s('aiService')],
    ['AI activity', s('aiActivity')],
    ['Model', s('modelId'), s('modelId') ? eventsHref({ filters: [`modelId=${s('modelId')}`], range: '7d' }) : undefined],
    ['Flags', Array.isArray(data?.flags) ? (data!.flags as string[]).join(', ') : ''],
    ['Event ID', s('eventId')],
    ['Delivered in', s('sourceUri')],
  ];
  return (
    <div>
      <p class="crumbs">
        <Link href="/events">← Event history</Link>
      </p>
      <h1>{data ? String(data.eventName) : 'Event'}</h1>
      {loading && !data ? <Status loading /> : null}
      <ErrorBox error={error} title="This event could not be loaded" />
      {data ? (
        <div class="detail-grid">
          <section class="panel" aria-labelledby="ev-fields">
            <h2 id="ev-fields" class="h3">
              Details
            </h2>
            <dl class="kv">
              {fields
                .filter(([, v]) => v)
                .map(([k, v, link]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd class="break">{link ? <Link href={link}>{v}</Link> : v}</dd>
                  </div>
                ))}
            </dl>
            {t ? (
              <p>
                <Link href={eventsHref({ ...around })}>Events 15 minutes around this one</Link>
              </p>
            ) : null}
          </section>
          <section class="panel" aria-labelledby="ev-json">
            <h2 id="ev-json" class="h3">
              CloudTrail record
            </h2>
            <JsonBlock value={data.record} label="CloudTrailEvent" />
          </section>
        </div>
      ) : null}
    </div>
  );
}
