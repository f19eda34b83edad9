/**
 * Read commands: lookup-events, get-event, query, summary.
 */
import { Store } from '../store/db.js';
import { eventJson, getStoredEvent, lookupEvents, runSql, streamSql, summarize } from '../store/events.js';
import { parseLookupAttributes, parseTime, type LookupRequest } from '../query/lookup.js';
import { AitrailError } from '../model/errors.js';
import { pickFormat, printJson, printRows, renderTable, rowWriter } from './output.js';
import type { Command } from './main.js';

const STORE = { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

async function withReadStore<T>(values: Record<string, unknown>, fn: (s: Store) => Promise<T>): Promise<T> {
  const store = await Store.open({ dataDir: values['data-dir'] as string | undefined, readOnly: true });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** `aitrail lookup-events`: the AWS CLI's options and output shape, without its limits. */
export const lookupCommand: Command = {
  summary: 'search events like `aws cloudtrail lookup-events`, newest first',
  usage: `aitrail lookup-events [--lookup-attributes AttributeKey=KEY,AttributeValue=VALUE]... [--start-time T] [--end-time T]
       [--max-results N] [--next-token TOKEN] [--event-category insight] [--filter FIELD=VALUE]... [--output json|table|jsonl|csv]

  Attribute keys: EventId EventName ReadOnly Username ResourceType ResourceName EventSource AccessKeyId.
  --lookup-attributes also takes JSON: one attribute or a list ('[{"AttributeKey":"EventName","AttributeValue":"X"},…]').
  Several attributes and --filter options are ANDed. --filter takes any column or record path,
  with * wildcards and != (e.g. aiActivity=inference, errorCode=AccessDenied*, requestParameters.modelId=anthropic.*);
  eventTime is matched as the record writes it (eventTime=2026-11-01T10*); --start-time/--end-time select a range.`,
  options: {
    ...STORE,
    'lookup-attributes': { type: 'string', multiple: true },
    'start-time': { type: 'string' },
    'end-time': { type: 'string' },
    'max-results': { type: 'string' },
    'next-token': { type: 'string' },
    'event-category': { type: 'string' },
    filter: { type: 'string', multiple: true },
    output: { type: 'string' },
  },
  async run(values) {
    const req: LookupRequest = {
      LookupAttributes: ((values['lookup-attributes'] as string[] | undefined) ?? []).flatMap(parseLookupAttributes),
      Filters: (values.filter as string[] | undefined) ?? [],
    };
    if (values['start-time']) req.StartTime = parseTime(String(values['start-time']), '--start-time');
    if (values['end-time']) req.EndTime = parseTime(String(values['end-time']), '--end-time');
    if (values['max-results'] !== undefined) {
      const n = Number(values['max-results']);
      if (!Number.isInteger(n)) throw new AitrailError('InvalidMaxResultsException', `--max-results must be an integer, not '${values['max-results']}'`);
      req.MaxResults = n;
    }
    if (values['next-token']) req.NextToken = String(values['next-token']);
    if (values['event-category']) req.EventCategory = values['event-category'] as 'insight';
    const format = values.output ? pickFormat(String(values.output)) : 'json';
    const res = await withReadStore(values, (s) => lookupEvents(s, req));
    if (format === 'json') {
      printJson(res);
    } else {
      const cols = ['EventTime', 'EventName', 'EventSource', 'Username', 'ReadOnly', 'AccessKeyId', 'EventId'];
      printRows(cols, res.Events.map((e) => cols.map((c) => e[c as keyof typeof e])), format);
      if (res.NextToken && format === 'table') process.stderr.write(`NextToken: ${res.NextToken}\n`);
    }
    return 0;
  },
};

/** `aitrail get-event ID`: one event, its record exactly as stored, and aitrail's fields. */
export const getEventCommand: Command = {
  summary: 'show one event by eventID, with its full record',
  usage: `aitrail get-event EVENT_ID [--output json|jsonl] [--data-dir DIR]

  Prints one JSON document: aitrail's fields and \`record\`, the record exactly as stored (json: indented,
  the default even on a terminal; jsonl: one line). For a table or CSV, use aitrail query on the events view.`,
  options: { ...STORE, output: { type: 'string' } },
  async run(values, positionals) {
    if (positionals.length !== 1) throw new AitrailError('USAGE', 'get-event takes exactly one eventID');
    // The record is the point of this command, and a table cell would cut it: JSON only.
    const format = values.output === undefined ? 'json' : pickFormat(String(values.output));
    if (format !== 'json' && format !== 'jsonl') {
      throw new AitrailError('USAGE', `get-event prints JSON (--output json or jsonl), not ${format}; for a table or CSV: aitrail query "SELECT * FROM events WHERE eventId = '…'" --output ${format}`);
    }
    const ev = await withReadStore(values, (s) => getStoredEvent(s, positionals[0]!));
    if (!ev) throw new AitrailError('NOT_FOUND', `no event with eventID ${positionals[0]}`);
    process.stdout.write(eventJson(ev, format === 'json' ? 2 : 0) + '\n');
    return 0;
  },
};

/** `aitrail query "SQL"`: read-only SQL over the documented views. */
export const queryCommand: Command = {
  summary: 'run read-only SQL over the `events` and `cloudtrail_logs` views',
  usage: `aitrail query "SQL" [--output table|json|jsonl|csv] [--max-rows N] [--data-dir DIR]

  --max-rows: at most N rows (default 10,000; 0: every row). json, jsonl and csv are written as
  they are read, so an export of any size is never held in memory.

  Views: events (aitrail's typed columns + record JSON), cloudtrail_logs (Athena's CloudTrail table),
  rejects, ingested_objects. See docs/sql.md.`,
  options: { ...STORE, output: { type: 'string' }, 'max-rows': { type: 'string' } },
  async run(values, positionals) {
    if (positionals.length !== 1) throw new AitrailError('USAGE', 'query takes one SQL string (quote it)');
    const raw = values['max-rows'] as string | undefined;
    const maxRows = raw === undefined ? 10_000 : Number(raw);
    if (!Number.isSafeInteger(maxRows) || maxRows < 0) throw new AitrailError('USAGE', `--max-rows must be a whole number, 0 for every row, not '${raw}'`);
    const format = pickFormat(values.output as string | undefined);
    let truncated: boolean;
    if (format === 'table') {
      // A table's columns are as wide as their widest cell: every row is read first.
      const res = await withReadStore(values, (s) => runSql(s, positionals[0]!, maxRows || Number.MAX_SAFE_INTEGER - 1));
      printRows(res.columns, res.rows, format);
      truncated = res.truncated;
    } else {
      // Written as DuckDB gives them: an export of any size is never held whole.
      const w = rowWriter(format);
      const res = await withReadStore(values, (s) => streamSql(s, positionals[0]!, maxRows, (c) => w.columns(c), (r) => w.rows(r)));
      w.end();
      truncated = res.truncated;
    }
    if (truncated) process.stderr.write(`(results cut at ${maxRows} rows; use --max-rows, 0 for every row)\n`);
    return 0;
  },
};

/** Prints the lake summary (also used by `npm start`). */
export function printSummary(sum: Record<string, unknown>): void {
  const out: string[] = [];
  out.push(`${sum.events} events from ${sum.first ?? '-'} to ${sum.last ?? '-'} in ${sum.accounts} accounts; ${sum.errors} errors`);
  const section = (title: string, rows: Record<string, unknown>[]) => {
    if (!rows.length) return;
    const cols = Object.keys(rows[0]!);
    out.push('', title, renderTable(cols, rows.map((r) => cols.map((c) => r[c])), 70));
  };
  section('Events by AI activity', sum.byActivity as Record<string, unknown>[]);
  section('Top principals (by AI events)', sum.principals as Record<string, unknown>[]);
  section('Top models (inference)', sum.models as Record<string, unknown>[]);
  section('Errors', sum.topErrors as Record<string, unknown>[]);
  process.stdout.write(out.join('\n') + '\n');
}

/** `aitrail summary`: events by AI activity, top principals, top models, errors. */
export const summaryCommand: Command = {
  summary: 'summarize the store: AI activity, principals, models, errors',
  usage: 'aitrail summary [--output table|json] [--data-dir DIR]',
  options: { ...STORE, output: { type: 'string' } },
  async run(values) {
    const sum = await withReadStore(values, summarize);
    if (pickFormat(values.output as string | undefined) === 'table') printSummary(sum);
    else printJson(sum);
    return 0;
  },
};
