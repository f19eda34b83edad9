/**
 * Read commands: lookup-events, get-event, query, summary.
 */
import { Store } from '../store/db.js';
import { eventJson, getStoredEvent, lookupEvents, runSql, streamSql, summarize } from '../store/events.js';
import { parseLookupAttributes, parseTime, validateLookup, type LookupRequest } from '../query/lookup.js';
import type { LookupEvent, LookupResponse } from '../model/api.js';
import { Document as YamlDocument, isMap, isSeq, type Scalar, type YAMLMap } from 'yaml';
import { AWS_GLOBAL_OPTIONS, checkAwsGlobals, compileQuery, formatTable, formatText, formatYaml, formatYamlPage, readCliInput, terminalTable, type Query } from './awscli.js';
import { AitrailError } from '../model/errors.js';
import { pickFormat, printJson, printRows, renderTable, rowWriter, type OutputFormat } from './output.js';
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

/** What `aws cloudtrail lookup-events --generate-cli-skeleton` writes: each parameter with a placeholder. */
const LOOKUP_SKELETON = {
  LookupAttributes: [{ AttributeKey: 'EventId', AttributeValue: '' }],
  StartTime: '1970-01-01T00:00:00',
  EndTime: '1970-01-01T00:00:00',
  EventCategory: 'insight',
  MaxResults: 0,
  NextToken: '',
};

/**
 * What `aws cloudtrail lookup-events --generate-cli-skeleton output` writes: the response's shape,
 * each member with a placeholder of its type.
 */
const LOOKUP_OUTPUT_SKELETON = {
  Events: [
    {
      EventId: '',
      EventName: '',
      ReadOnly: '',
      AccessKeyId: '',
      EventTime: '1970-01-01T00:00:00',
      EventSource: '',
      Username: '',
      Resources: [{ ResourceType: '', ResourceName: '' }],
      CloudTrailEvent: '',
    },
  ],
  NextToken: '',
};

/**
 * `--generate-cli-skeleton yaml-input`: the same request as YAML for `--cli-input-yaml`, each
 * parameter with a comment that says what it takes, as the AWS CLI comments its own.
 */
function lookupYamlSkeleton(): string {
  const attributes = 'EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId';
  const comments: Record<keyof typeof LOOKUP_SKELETON | 'AttributeKey' | 'AttributeValue', string> = {
    LookupAttributes: 'Events that have every attribute listed (AWS takes one).',
    AttributeKey: `[REQUIRED] Valid values are: ${attributes}.`,
    AttributeValue: '[REQUIRED] The value the attribute has.',
    StartTime: 'Events at or after this time (ISO 8601 or epoch seconds; UTC when no zone is given).',
    EndTime: 'Events at or before this time.',
    EventCategory: 'Valid values are: insight (Insights events instead of the others).',
    MaxResults: 'One page of this many events (50 when left out).',
    NextToken: 'The NextToken of the page before, to read the next one.',
  };
  const doc = new YamlDocument(LOOKUP_SKELETON);
  // A comment after a scalar's value, or after the key of a list.
  const annotate = (map: YAMLMap) => {
    for (const pair of map.items) {
      const key = String((pair.key as Scalar).value) as keyof typeof comments;
      if (isSeq(pair.value)) {
        (pair.key as Scalar).comment = ` ${comments[key]}`;
        for (const item of pair.value.items) if (isMap(item)) annotate(item);
      } else (pair.value as Scalar).comment = ` ${comments[key]}`;
    }
  };
  annotate(doc.contents as YAMLMap);
  return doc.toString({ indentSeq: false, singleQuote: true });
}

/** The option each LookupEvents request parameter of `--cli-input-json` stands for. */
const LOOKUP_INPUT: Record<string, string> = {
  LookupAttributes: 'lookup-attributes',
  StartTime: 'start-time',
  EndTime: 'end-time',
  EventCategory: 'event-category',
  MaxResults: 'max-results',
  NextToken: 'next-token',
  Filters: 'filter',
};

/**
 * A `--cli-input-json` or `--cli-input-yaml` request as the options it stands for (times as
 * ISO 8601 text or epoch seconds, as the API takes them), checked as the options are, naming the
 * parameter at fault.
 */
function lookupInput(arg: string, what: '--cli-input-json' | '--cli-input-yaml'): Record<string, unknown> {
  const input = readCliInput(arg, what);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(input)) {
    const option = LOOKUP_INPUT[key];
    if (!option) throw new AitrailError('USAGE', `${what}: unknown parameter "${key}", must be one of: ${Object.keys(LOOKUP_INPUT).join(', ')}`);
    if (v === null) continue;
    const bad = (should: string) => new AitrailError('USAGE', `${what}: ${key} must be ${should}, not ${JSON.stringify(v)}`);
    if (key === 'LookupAttributes') {
      if (!Array.isArray(v)) throw bad('a list of {"AttributeKey": …, "AttributeValue": …}');
      if (v.length) out[option] = [JSON.stringify(v)];
    } else if (key === 'Filters') {
      if (!Array.isArray(v) || !v.every((f) => typeof f === 'string')) throw bad('a list of FIELD=VALUE strings');
      out[option] = v;
    } else if (key === 'StartTime' || key === 'EndTime') {
      if (typeof v !== 'string' && typeof v !== 'number') throw bad('a time (ISO 8601 text or epoch seconds)');
      out[option] = String(v);
    } else if (key === 'MaxResults') {
      if (typeof v !== 'number') throw bad('a number');
      out[option] = String(v);
    } else {
      if (typeof v !== 'string') throw bad('a string');
      out[option] = v;
    }
  }
  return out;
}

/** A whole number of at least 1 for `--name`, or a usage error naming it. */
function positive(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new AitrailError('USAGE', `--${name} must be a whole number of at least 1, not '${String(raw)}'`);
  return n;
}

/** Waits until stdout has taken what was written (a slow reader, such as a pager, sets the pace). */
async function drained(): Promise<void> {
  if (process.stdout.writableNeedDrain) await new Promise((r) => process.stdout.once('drain', r));
}

/** Pages of a lookup fetched one after another, as the AWS CLI's paginator does. */
const CLI_PAGE_SIZE = 1000;

/** `aitrail lookup-events`: the AWS CLI's options and output shape, without its limits. */
export const lookupCommand: Command = {
  summary: 'search events like `aws cloudtrail lookup-events`, newest first',
  usage: `aitrail lookup-events [--lookup-attributes AttributeKey=KEY,AttributeValue=VALUE]... [--start-time T] [--end-time T]
       [--max-items N] [--starting-token TOKEN] [--page-size N] | [--max-results N] [--next-token TOKEN] [--no-paginate]
       [--event-category insight] [--region REGION] [--filter FIELD=VALUE]... [--query JMESPATH]
       [--output json|text|table|yaml|yaml-stream|jsonl|csv] [--cli-input-json JSON|file://PATH | --cli-input-yaml YAML|file://PATH]
       [--generate-cli-skeleton [input|yaml-input|output]]

  Attribute keys: EventId EventName ReadOnly Username ResourceType ResourceName EventSource AccessKeyId.
  --lookup-attributes also takes JSON: one attribute or a list ('[{"AttributeKey":"EventName","AttributeValue":"X"},…]').
  Several attributes and --filter options are ANDed. --filter takes any column or record path,
  with * wildcards and != (e.g. aiActivity=inference, errorCode=AccessDenied*, requestParameters.modelId=anthropic.*);
  eventTime is matched as the record writes it (eventTime=2026-11-01T10*); --start-time/--end-time select a range.

  Pages, as in the AWS CLI: by default every matching event is printed (read ${CLI_PAGE_SIZE.toLocaleString('en-US')} at a time, or
  --page-size); --max-items N stops after N and prints a NextToken to pass as --starting-token.
  --max-results, --next-token or --no-paginate ask for one page of the API instead (50 events unless
  --max-results says otherwise; no upper limit here), with the NextToken of the next page.
  --query applies a JMESPath expression to the whole answer ({"Events": […], "NextToken": …}), as the
  AWS CLI does (e.g. --query 'Events[].[EventTime,EventName,Username]' --output text); its result
  prints as json, jsonl, text, yaml or, with --output table, as the AWS CLI's table (titled LookupEvents).
  --output text is the AWS CLI's tab-separated format; a member an event has no value for prints empty.
  --output yaml is the AWS CLI's YAML of the whole answer; yaml-stream prints each page as it is read,
  as one item of a YAML list (--query then applies to each page, as in the AWS CLI).
  --output table without --query is aitrail's: one line per event, in columns.
  --region REGION keeps the events recorded in that Region (awsRegion), the Event history AWS shows
  there; without it, every Region's events are searched at once.
  The AWS CLI's global options are taken too: --color on|off|auto for its table; the others
  (--profile, --endpoint-url, --no-cli-pager, --debug, …) have nothing to act on here.
  --cli-input-json takes the request as JSON (LookupAttributes, StartTime, EndTime, EventCategory,
  MaxResults, NextToken, and aitrail's Filters), --cli-input-yaml as YAML, options given on the
  command line taking precedence; --generate-cli-skeleton prints such a request to fill in (JSON;
  with 'yaml-input', YAML with a comment on each parameter; with 'output', the response's shape).`,
  options: {
    ...STORE,
    'lookup-attributes': { type: 'string', multiple: true },
    'start-time': { type: 'string' },
    'end-time': { type: 'string' },
    'max-results': { type: 'string' },
    'next-token': { type: 'string' },
    'no-paginate': { type: 'boolean' },
    'max-items': { type: 'string' },
    'starting-token': { type: 'string' },
    'page-size': { type: 'string' },
    'event-category': { type: 'string' },
    filter: { type: 'string', multiple: true },
    region: { type: 'string' },
    query: { type: 'string' },
    output: { type: 'string' },
    'cli-input-json': { type: 'string' },
    'cli-input-yaml': { type: 'string' },
    'generate-cli-skeleton': { type: 'boolean' },
    // No endpoint is called: taken, as the other global options, for command lines written for AWS.
    'endpoint-url': { type: 'string' },
    ...AWS_GLOBAL_OPTIONS,
  },
  async run(values, positionals) {
    if (values['generate-cli-skeleton']) {
      // As in the AWS CLI: the request's skeleton ('input', the default; 'yaml-input') or the response's ('output').
      const which = positionals.length === 1 ? positionals[0] : positionals.length ? '' : 'input';
      if (which === 'yaml-input') {
        process.stdout.write(lookupYamlSkeleton());
        return 0;
      }
      if (which !== 'input' && which !== 'output') {
        throw new AitrailError('USAGE', `--generate-cli-skeleton writes the request's skeleton ('input', or 'yaml-input') or the response's ('output'), not '${positionals.join(' ')}'`);
      }
      process.stdout.write(JSON.stringify(which === 'input' ? LOOKUP_SKELETON : LOOKUP_OUTPUT_SKELETON, null, 4) + '\n');
      return 0;
    }
    if (positionals.length) throw new AitrailError('USAGE', `lookup-events takes options only, not '${positionals[0]}'`);
    // The request as JSON, as the AWS CLI reads it; each option given on the command line wins.
    if (values['cli-input-json'] !== undefined && values['cli-input-yaml'] !== undefined) {
      throw new AitrailError('USAGE', '--cli-input-json and --cli-input-yaml cannot be used together: the request comes from one of them');
    }
    const input = values['cli-input-json'] !== undefined ? lookupInput(String(values['cli-input-json']), '--cli-input-json')
      : values['cli-input-yaml'] !== undefined ? lookupInput(String(values['cli-input-yaml']), '--cli-input-yaml') : {};
    values = { ...input, ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) };
    const req: LookupRequest = {
      LookupAttributes: ((values['lookup-attributes'] as string[] | undefined) ?? []).flatMap(parseLookupAttributes),
      Filters: (values.filter as string[] | undefined) ?? [],
    };
    if (values.region !== undefined) {
      const region = String(values.region);
      // A Region name never holds a wildcard or an operator; one that does is a mistake, not a pattern.
      if (!/^[a-z0-9-]+$/.test(region)) throw new AitrailError('USAGE', `--region must be a Region name such as us-east-1, not '${region}'`);
      req.Filters!.push(`awsRegion=${region}`);
    }
    if (values['start-time']) req.StartTime = parseTime(String(values['start-time']), '--start-time');
    if (values['end-time']) req.EndTime = parseTime(String(values['end-time']), '--end-time');
    // The API's own paging options ask for one page; the CLI's walk through all of them. As in the
    // AWS CLI, the two kinds do not mix.
    const onePage = ['max-results', 'next-token', 'no-paginate'].filter((k) => values[k] !== undefined);
    const paging = ['max-items', 'starting-token', 'page-size'].filter((k) => values[k] !== undefined);
    if (onePage.length && paging.length) {
      throw new AitrailError('USAGE', `--${paging[0]} cannot be used with --${onePage[0]}: --max-results, --next-token and --no-paginate ask for one page, --max-items, --starting-token and --page-size walk through pages`);
    }
    if (values['max-results'] !== undefined) {
      const n = Number(values['max-results']);
      if (!Number.isInteger(n)) throw new AitrailError('InvalidMaxResultsException', `--max-results must be an integer, not '${values['max-results']}'`);
      req.MaxResults = n;
    }
    if (values['next-token']) req.NextToken = String(values['next-token']);
    if (values['event-category']) req.EventCategory = values['event-category'] as 'insight';
    const maxItems = positive(values, 'max-items');
    const pageSize = positive(values, 'page-size') ?? CLI_PAGE_SIZE;
    const query = values.query !== undefined ? compileQuery(String(values.query)) : undefined;
    const format = values.output ? pickLookupFormat(String(values.output)) : 'json';
    if (query && format === 'csv') {
      throw new AitrailError('USAGE', `--query's result is printed as json, jsonl, text, table, yaml or yaml-stream, not ${format}`);
    }
    validateLookup(req);
    checkAwsGlobals(values, 'lookup-events', 'unused');
    const whole = format === 'yaml' || (format !== 'yaml-stream' && query !== undefined) || (format === 'text' && (onePage.length > 0 || maxItems !== undefined));
    const out = lookupWriter(format, { query, whole, color: values.color });
    await withReadStore(values, async (s) => {
      // One page of the API, or the CLI's walk through pages.
      let token = values['starting-token'] !== undefined ? String(values['starting-token']) : undefined;
      let left = maxItems ?? Infinity;
      for (;;) {
        const res = await lookupEvents(s, onePage.length ? req : { ...req, MaxResults: Math.min(pageSize, left), NextToken: token });
        out.events(res.Events, res.NextToken);
        await drained();
        left -= res.Events.length;
        token = res.NextToken;
        if (onePage.length || !token || left <= 0) return out.end(token);
      }
    });
    return 0;
  },
};

type LookupFormat = OutputFormat | 'text' | 'yaml' | 'yaml-stream';

function pickLookupFormat(s: string): LookupFormat {
  if (s === 'text' || s === 'yaml' || s === 'yaml-stream') return s;
  if (!['json', 'table', 'jsonl', 'csv'].includes(s)) throw new AitrailError('USAGE', `--output must be json, text, table, yaml, yaml-stream, jsonl or csv, not '${s}'`);
  return pickFormat(s);
}

/**
 * Writes a lookup's events as pages arrive: JSON in the response's shape (the same text as one
 * JSON.stringify of the whole response), text, a table, each page as YAML (with what `query`
 * makes of it), JSON Lines or CSV rows. With `whole`, the events are kept for one answer at the
 * end instead (for `query`, YAML, and text with a NextToken, which the CLI prints first).
 */
function lookupWriter(format: LookupFormat, opts: { whole: boolean; query?: Query; color?: unknown }) {
  const cols = ['EventTime', 'EventName', 'EventSource', 'Username', 'ReadOnly', 'AccessKeyId', 'EventId'];
  const whole = opts.whole ? ([] as LookupEvent[]) : undefined;
  const rows = format === 'json' || format === 'text' || format === 'table' || format === 'yaml' || format === 'yaml-stream' ? undefined : rowWriter(format);
  const table: unknown[][] = [];
  let first = true;
  let started = false;
  // Nothing is written before the first page is in: an error (no store, a bad token) leaves stdout empty.
  const start = () => {
    if (started) return;
    started = true;
    if (whole) return;
    if (rows) rows.columns(cols);
    else if (format === 'json') process.stdout.write('{\n  "Events": [');
  };
  // The answer of `events` (the whole or a page), or what --query makes of it.
  const answer = (events: LookupEvent[], token: string | undefined) => {
    const res: LookupResponse = token ? { Events: events, NextToken: token } : { Events: events };
    return opts.query ? opts.query(res) : res;
  };
  // The whole answer printed at the end.
  const printWhole = (events: LookupEvent[], token: string | undefined) => {
    const value = answer(events, token);
    if (format === 'text') process.stdout.write(formatText(value, opts.query ? {} : { nullMember: '' }));
    else if (format === 'table') process.stdout.write(formatTable('LookupEvents', value, terminalTable(opts.color)));
    else if (format === 'yaml') process.stdout.write(formatYaml(value));
    else if (format === 'jsonl') process.stdout.write((Array.isArray(value) ? value : [value]).map((v) => JSON.stringify(v) + '\n').join(''));
    else printJson(value);
  };
  return {
    events(events: LookupEvent[], token: string | undefined) {
      start();
      if (whole) whole.push(...events);
      else if (format === 'yaml-stream') process.stdout.write(formatYamlPage(answer(events, token)));
      else if (format === 'json') {
        let text = '';
        for (const e of events) {
          text += (first ? '\n    ' : ',\n    ') + JSON.stringify(e, null, 2).replaceAll('\n', '\n    ');
          first = false;
        }
        process.stdout.write(text);
      } else if (format === 'text') {
        // Every event has the same members (null where it has no value), so each page's columns
        // are those of the whole answer.
        process.stdout.write(formatText({ Events: events }, { nullMember: '' }));
      } else if (format === 'table') {
        table.push(...events.map((e) => cols.map((c) => e[c as keyof LookupEvent])));
      } else rows!.rows(events.map((e) => cols.map((c) => e[c as keyof LookupEvent])));
    },
    end(token: string | undefined) {
      start();
      if (whole) return printWhole(whole, token);
      if (format === 'json') process.stdout.write(`${first ? ']' : '\n  ]'}${token ? `,\n  "NextToken": ${JSON.stringify(token)}` : ''}\n}\n`);
      else if (format === 'table') process.stdout.write(renderTable(cols, table) + '\n');
      else rows?.end();
      if (token && format !== 'json' && format !== 'yaml-stream') process.stderr.write(`NextToken: ${token}\n`);
    },
  };
}

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
  cloudtrail_lake (CloudTrail Lake's schema), rejects, ingested_objects. See docs/sql.md.`,
  options: { ...STORE, output: { type: 'string' }, 'max-rows': { type: 'string' } },
  async run(values, positionals) {
    if (positionals.length !== 1) throw new AitrailError('USAGE', 'query takes one SQL string (quote it)');
    const raw = values['max-rows'] as string | undefined;
    const maxRows = raw === undefined ? 10_000 : Number(raw);
    if (!Number.isSafeInteger(maxRows) || maxRows < 0) throw new AitrailError('USAGE', `--max-rows must be a whole number, 0 for every row, not '${raw}'`);
    const format = pickFormat(values.output as string | undefined);
    const sql = positionals[0]!;
    // A query that runs out of memory before it has written anything runs once more with four
    // times the memory and one thread: this process is the store's only user, and columns computed
    // from large records (cloudtrail_logs' requestparameters over 200 kB Glue tables, say) take far
    // more than the records themselves, DuckDB holding 2,048 rows of them at once.
    let truncated: boolean;
    if (format === 'table') {
      // A table's columns are as wide as their widest cell: every row is read first.
      const res = await withReadStore(values, (s) => s.retryWithMoreMemory(4, () => runSql(s, sql, maxRows || Number.MAX_SAFE_INTEGER - 1)));
      printRows(res.columns, res.rows, format);
      truncated = res.truncated;
    } else {
      // Written as DuckDB gives them: an export of any size is never held whole.
      const w = rowWriter(format);
      const res = await withReadStore(values, (s) =>
        s.retryWithMoreMemory(4, () => streamSql(s, sql, maxRows, (c) => w.columns(c), (r) => w.rows(r)), () => !w.written),
      );
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
