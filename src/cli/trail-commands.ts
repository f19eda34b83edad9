/**
 * Trail commands, named after `aws cloudtrail`: create-trail (also `trail create`),
 * describe-trails, get-trail-status, update-trail, delete-trail, start-logging, stop-logging,
 * get-event-selectors, put-event-selectors, list-public-keys, validate-logs, and `trail flush`.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { AitrailError } from '../model/errors.js';
import type { Actor } from '../model/audit.js';
import { Store } from '../store/db.js';
import { getTrail, listTrails } from '../store/trails.js';
import { parseTime } from '../query/lookup.js';
import {
  createTrail,
  describeTrails,
  getEventSelectors,
  getTrailStatus,
  listPublicKeys,
  nameOf,
  putEventSelectors,
  removeTrail,
  setLogging,
  updateTrail,
} from '../trail/ops.js';
import { TrailManager, writerConfig } from '../trail/manager.js';
import { recordKeyRotation } from '../trail/ops.js';
import { publicKeysFromFiles, TrailKeys } from '../trail/keys.js';
import { validateLogs } from '../trail/validate.js';
import { answerPrinter, AWS_GLOBAL_OPTIONS, checkAwsGlobals } from './awscli.js';
import { withWriteStore } from './ingest-commands.js';
import type { Command } from './main.js';

const STORE = { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

function actor(): Actor {
  let name = process.env.USER ?? 'unknown';
  try {
    name = userInfo().username || name;
  } catch {
    // No passwd entry (containers): keep $USER.
  }
  return { name, via: 'cli' };
}

/** Reads a JSON option given inline or as @file. */
export function jsonArg(v: unknown, what: string): unknown {
  const s = String(v);
  const text = s.startsWith('@') ? readFileSync(s.slice(1), 'utf8') : s.startsWith('file://') ? readFileSync(s.slice(7), 'utf8') : s;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AitrailError('USAGE', `${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Durations like 300, 5m, 30s, 1h (seconds by default). */
export function duration(v: unknown, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(v));
  if (!m) throw new AitrailError('USAGE', `${what} takes a duration like 30s, 5m or 1h, not '${v}'`);
  const n = Number(m[1]);
  return Math.round(n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000));
}

const TRAIL_OPTIONS = {
  ...STORE,
  name: { type: 'string' },
  destination: { type: 'string' },
  'endpoint-url': { type: 'string' },
  'advanced-event-selectors': { type: 'string' },
  'event-selectors': { type: 'string' },
  preset: { type: 'string' },
  'enable-log-file-validation': { type: 'boolean' },
  'no-enable-log-file-validation': { type: 'boolean' },
  'is-multi-region-trail': { type: 'boolean' },
  'no-is-multi-region-trail': { type: 'boolean' },
  'account-id': { type: 'string' },
  'home-region': { type: 'string' },
  'delivery-interval': { type: 'string' },
  'max-events': { type: 'string' },
  'digest-interval': { type: 'string' },
  'trail-name': { type: 'string' },
  'trail-name-list': { type: 'string', multiple: true },
  'start-time': { type: 'string' },
  'end-time': { type: 'string' },
  query: { type: 'string' },
  output: { type: 'string' },
  ...AWS_GLOBAL_OPTIONS,
} as const;

/** The AWS API operation a command answers as (create-trail: CreateTrail), the title of its table. */
function operationOf(handler: string): string {
  return handler.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/** Runs a trail command's handler, its --query and --output checked first. */
function runHandler(name: string, values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const print = answerPrinter(values, operationOf(name));
  checkAwsGlobals(values, name, 'process');
  return handlers[name]!(values, positionals, print);
}

function preset(v: unknown): 'genai' | undefined {
  if (v === undefined) return undefined;
  if (v !== 'genai') throw new AitrailError('USAGE', `--preset takes 'genai', not '${v}'`);
  return 'genai';
}

function need(v: unknown, what: string): string {
  if (typeof v !== 'string' || !v) throw new AitrailError('USAGE', `${what} is required`);
  return v;
}

/** Prints a command's answer as --query and --output say. */
type Say = (answer: unknown) => void;

const handlers: Record<string, (values: Record<string, unknown>, positionals: string[], say: Say) => Promise<number>> = {
  'create-trail': async (values, positionals, say) => {
    const name = need(values.name ?? positionals[0], 'a trail NAME (or --name)');
    const destination = need(values.destination, '--destination DIR|s3://bucket/prefix');
    const out = await withWriteStore(values, (s) =>
      createTrail(s, actor(), {
        name,
        destination,
        endpoint: values['endpoint-url'] as string | undefined,
        accountId: values['account-id'] as string | undefined,
        homeRegion: values['home-region'] as string | undefined,
        isMultiRegionTrail: Boolean(values['is-multi-region-trail']),
        enableLogFileValidation: Boolean(values['enable-log-file-validation']),
        advancedEventSelectors: values['advanced-event-selectors'] !== undefined ? jsonArg(values['advanced-event-selectors'], '--advanced-event-selectors') : undefined,
        preset: preset(values.preset),
        deliveryIntervalMs: values['delivery-interval'] !== undefined ? duration(values['delivery-interval'], '--delivery-interval') : undefined,
        maxEventsPerFile: values['max-events'] !== undefined ? Number(values['max-events']) : undefined,
        digestIntervalMs: values['digest-interval'] !== undefined ? duration(values['digest-interval'], '--digest-interval') : undefined,
      }),
    );
    say(out);
    return 0;
  },
  'describe-trails': async (values, _positionals, say) => {
    const store = await Store.open({ dataDir: values['data-dir'] as string | undefined, readOnly: true });
    try {
      say(await describeTrails(store, values['trail-name-list'] as string[] | undefined));
    } finally {
      await store.close();
    }
    return 0;
  },
  'get-trail-status': async (values, positionals, say) => {
    const name = need(values.name ?? positionals[0], '--name');
    const store = await Store.open({ dataDir: values['data-dir'] as string | undefined, readOnly: true });
    try {
      say(await getTrailStatus(store, name));
    } finally {
      await store.close();
    }
    return 0;
  },
  'update-trail': async (values, positionals, say) => {
    const name = need(values.name ?? positionals[0], '--name');
    const out = await withWriteStore(values, (s) =>
      updateTrail(s, actor(), name, {
        destination: values.destination as string | undefined,
        enableLogFileValidation: values['enable-log-file-validation'] ? true : values['no-enable-log-file-validation'] ? false : undefined,
        isMultiRegionTrail: values['is-multi-region-trail'] ? true : values['no-is-multi-region-trail'] ? false : undefined,
        deliveryIntervalMs: values['delivery-interval'] !== undefined ? duration(values['delivery-interval'], '--delivery-interval') : undefined,
        maxEventsPerFile: values['max-events'] !== undefined ? Number(values['max-events']) : undefined,
      }),
    );
    say(out);
    return 0;
  },
  'delete-trail': async (values, positionals) => {
    const name = need(values.name ?? positionals[0], '--name');
    await withWriteStore(values, async (s) => {
      // The final digest of a logging trail is written before it goes.
      if ((await getTrail(s, nameOf(name))).isLogging) {
        await setLogging(s, actor(), name, false);
        await pumpTrails(s);
      }
      await removeTrail(s, actor(), name);
    });
    return 0;
  },
  'start-logging': async (values, positionals, say) => {
    const name = need(values.name ?? positionals[0], '--name');
    say(await withWriteStore(values, (s) => setLogging(s, actor(), name, true)));
    return 0;
  },
  'stop-logging': async (values, positionals, say) => {
    const name = need(values.name ?? positionals[0], '--name');
    say(
      await withWriteStore(values, async (s) => {
        await pumpTrails(s);
        const status = await setLogging(s, actor(), name, false);
        await pumpTrails(s);
        return status;
      }),
    );
    return 0;
  },
  'get-event-selectors': async (values, positionals, say) => {
    const name = need(values['trail-name'] ?? values.name ?? positionals[0], '--trail-name');
    const store = await Store.open({ dataDir: values['data-dir'] as string | undefined, readOnly: true });
    try {
      say(await getEventSelectors(store, name));
    } finally {
      await store.close();
    }
    return 0;
  },
  'put-event-selectors': async (values, positionals, say) => {
    const name = need(values['trail-name'] ?? values.name ?? positionals[0], '--trail-name');
    const out = await withWriteStore(values, (s) =>
      putEventSelectors(s, actor(), name, {
        advanced: values['advanced-event-selectors'] !== undefined ? jsonArg(values['advanced-event-selectors'], '--advanced-event-selectors') : undefined,
        basic: values['event-selectors'] !== undefined ? jsonArg(values['event-selectors'], '--event-selectors') : undefined,
        preset: preset(values.preset),
      }),
    );
    say(out);
    return 0;
  },
  'list-public-keys': async (values, positionals, say) => {
    const store = await Store.open({ dataDir: values['data-dir'] as string | undefined, readOnly: true });
    try {
      const range = {
        ...(values['start-time'] ? { StartTime: parseTime(String(values['start-time']), '--start-time') } : {}),
        ...(values['end-time'] ? { EndTime: parseTime(String(values['end-time']), '--end-time') } : {}),
      };
      say(await listPublicKeys(store, (values['trail-name'] ?? values.name ?? positionals[0]) as string | undefined, range));
    } finally {
      await store.close();
    }
    return 0;
  },
  'rotate-key': async (values, positionals, say) => {
    const name = nameOf(need(values.name ?? positionals[0], 'a trail NAME'));
    const fingerprint = await withWriteStore(values, async (s) => {
      const row = await getTrail(s, name);
      const keys = await TrailKeys.open(writerConfig(s.dataDir, row).keyDir);
      const fp = (await keys.rotate(new Date())).fingerprint;
      await recordKeyRotation(s, name, fp);
      return fp;
    });
    say({ TrailName: name, Fingerprint: fingerprint });
    return 0;
  },
  flush: async (values, positionals, say) => {
    const name = need(values.name ?? positionals[0], 'a trail NAME');
    const report = await withWriteStore(values, async (s) => {
      const m = new TrailManager(s.dataDir, (fn) => fn(s));
      const r = await m.flush(nameOf(name));
      await m.close();
      return r;
    });
    say({ LogFiles: report.logFiles, DigestFiles: report.digests });
    return 0;
  },
};

/** Feeds every logging trail the events stored since it last ran (used after ingest). */
export async function pumpTrails(store: Store): Promise<void> {
  if ((await listTrails(store)).every((t) => !t.isLogging)) {
    const m = new TrailManager(store.dataDir, (fn) => fn(store));
    await m.sync();
    await m.close();
    return;
  }
  const m = new TrailManager(store.dataDir, (fn) => fn(store));
  await m.pump();
  await m.close();
}

const AWS_OUTPUT = `

  The answer is JSON in the shape of the AWS API's; as in the AWS CLI, --query JMESPATH selects from it
  and --output text|table|yaml|yaml-stream prints it as the CLI's tab-separated text, its table or its YAML.
  The CLI's global options are taken too: --color on|off|auto for the table, --profile for the
  credentials of what the command writes to S3 (a flush, a final digest); the others (--no-cli-pager,
  --debug, …) have nothing to act on here.`;

function command(name: string, summary: string, usage: string): Command {
  return { summary, usage: `${usage}${name === 'delete-trail' ? '' : AWS_OUTPUT}`, options: TRAIL_OPTIONS, run: (v, p) => runHandler(name, v, p) };
}

/** The top-level trail commands, AWS CLI names. */
export const TRAIL_COMMANDS: Record<string, Command> = {
  'create-trail': command('create-trail', 'create a trail (aitrail trail create NAME … is the same)', `aitrail create-trail --name NAME --destination DIR|s3://bucket/prefix [--endpoint-url URL]
       [--advanced-event-selectors JSON|@file | --preset genai] [--enable-log-file-validation] [--is-multi-region-trail]
       [--account-id 123456789012] [--home-region us-east-1] [--delivery-interval 5m] [--max-events N] [--digest-interval 1h]`),
  'describe-trails': command('describe-trails', 'describe trails', 'aitrail describe-trails [--trail-name-list NAME]...'),
  'get-trail-status': command('get-trail-status', 'show whether a trail is logging and its latest deliveries', 'aitrail get-trail-status --name NAME'),
  'update-trail': command('update-trail', 'change a trail', 'aitrail update-trail --name NAME [--destination …] [--enable-log-file-validation | --no-enable-log-file-validation] [--delivery-interval 5m] [--max-events N]'),
  'delete-trail': command('delete-trail', 'delete a trail (its files stay)', 'aitrail delete-trail --name NAME'),
  'start-logging': command('start-logging', 'start a trail', 'aitrail start-logging --name NAME'),
  'stop-logging': command('stop-logging', 'stop a trail (writes its final digest)', 'aitrail stop-logging --name NAME'),
  'get-event-selectors': command('get-event-selectors', "show a trail's event selectors", 'aitrail get-event-selectors --trail-name NAME'),
  'put-event-selectors': command('put-event-selectors', "set a trail's event selectors", 'aitrail put-event-selectors --trail-name NAME (--advanced-event-selectors JSON|@file | --event-selectors JSON|@file | --preset genai)'),
  'list-public-keys': command('list-public-keys', "the public keys of trails' digest signatures (ListPublicKeys shape)", 'aitrail list-public-keys [--trail-name NAME] [--start-time T] [--end-time T]'),
};

/** `aitrail trail create|flush|…`: the same operations as subcommands. */
export const trailCommand: Command = {
  summary: 'trails: create, flush, describe, status, update, delete, start, stop, selectors',
  usage: `aitrail trail create NAME --destination DIR|s3://bucket/prefix [options of create-trail]
       aitrail trail flush NAME            deliver pending events and write a digest now
       aitrail trail rotate-key NAME       start signing digests with a new key pair (the old key stays listed)
       aitrail trail describe|status|update|delete|start|stop|selectors|put-selectors|keys NAME${AWS_OUTPUT}`,
  options: TRAIL_OPTIONS,
  async run(values, positionals) {
    const [sub, ...rest] = positionals;
    const map: Record<string, string> = {
      create: 'create-trail', flush: 'flush', describe: 'describe-trails', status: 'get-trail-status', update: 'update-trail', delete: 'delete-trail',
      start: 'start-logging', stop: 'stop-logging', selectors: 'get-event-selectors', 'put-selectors': 'put-event-selectors', keys: 'list-public-keys',
      'rotate-key': 'rotate-key',
    };
    const h = sub ? map[sub] : undefined;
    if (!h) throw new AitrailError('USAGE', `unknown trail subcommand '${sub ?? ''}' (${Object.keys(map).join(', ')})`);
    return runHandler(h, values, rest);
  },
};

/** `aitrail validate-logs`: the AWS CLI's validation, for aitrail trails and real CloudTrail logs. */
export const validateLogsCommand: Command = {
  summary: 'validate log files and digests like `aws cloudtrail validate-logs` (S3 or a local copy)',
  usage: `aitrail validate-logs --trail-arn ARN --start-time T [--end-time T] [--s3-bucket B] [--s3-prefix P] [--path DIR]
       [--public-key FILE]... [--account-id ID] [--region R]... [--endpoint-url URL] [--profile NAME] [--verbose] [--output text|json]

  --path validates a local copy (a folder holding the bucket's AWSLogs/… tree). Public keys come from the aitrail
  trail of that ARN, or from --public-key files (PEM, DER, or the JSON of 'aws cloudtrail list-public-keys').
  Exit code 1 when any digest or log file is invalid.`,
  options: {
    ...STORE,
    'trail-arn': { type: 'string' },
    'start-time': { type: 'string' },
    'end-time': { type: 'string' },
    's3-bucket': { type: 'string' },
    's3-prefix': { type: 'string' },
    path: { type: 'string' },
    'public-key': { type: 'string', multiple: true },
    'account-id': { type: 'string' },
    region: { type: 'string', multiple: true },
    'endpoint-url': { type: 'string' },
    verbose: { type: 'boolean' },
    output: { type: 'string' },
    'no-uncovered': { type: 'boolean' },
    ...AWS_GLOBAL_OPTIONS,
  },
  async run(values) {
    checkAwsGlobals(values, 'validate-logs', 'passed');
    const arn = need(values['trail-arn'], '--trail-arn');
    const start = parseTime(need(values['start-time'], '--start-time'), '--start-time');
    const end = values['end-time'] ? parseTime(String(values['end-time']), '--end-time') : undefined;
    if (end && start > end) {
      process.stderr.write('Invalid time range specified: start-time must occur before end-time\n');
      return 1;
    }
    let destination = values.path as string | undefined;
    let publicKeys: Parameters<typeof validateLogs>[0]['publicKeys'] | undefined;
    let bucket: string | undefined;
    const prefix = values['s3-prefix'] as string | undefined;
    if (values['public-key']) publicKeys = publicKeysFromFiles(values['public-key'] as string[]);
    // An aitrail trail of that ARN gives the destination and the keys.
    if (!destination || !publicKeys) {
      try {
        const store = await Store.open({ dataDir: values['data-dir'] as string | undefined, readOnly: true });
        try {
          const row = (await listTrails(store)).find((t) => arn.endsWith(`:trail/${t.name}`));
          if (row) {
            const cfg = writerConfig(store.dataDir, row);
            destination ??= values['s3-bucket'] ? undefined : cfg.destination;
            publicKeys ??= (await TrailKeys.open(cfg.keyDir)).listPublicKeys({});
          }
        } finally {
          await store.close();
        }
      } catch {
        // No store here: the keys must come from --public-key.
      }
    }
    if (!destination && values['s3-bucket']) destination = `s3://${values['s3-bucket']}${prefix ? `/${prefix}` : ''}`;
    if (destination && values['s3-bucket'] && values.path) bucket = String(values['s3-bucket']);
    if (!destination) throw new AitrailError('USAGE', 'give --s3-bucket or --path (or the ARN of an aitrail trail)');
    if (!publicKeys) throw new AitrailError('USAGE', `no public keys for ${arn}: pass --public-key FILE (PEM, DER, or list-public-keys JSON)`);
    const res = await validateLogs({
      destination,
      ...(values['endpoint-url'] ? { endpoint: String(values['endpoint-url']) } : {}),
      ...(values.profile ? { profile: String(values.profile) } : {}),
      ...(bucket ? { bucket } : {}),
      ...(prefix !== undefined && values.path ? { prefix } : {}),
      trailArn: arn,
      ...(values['account-id'] ? { accountId: String(values['account-id']) } : {}),
      ...(values.region ? { regions: values.region as string[] } : {}),
      startTime: start,
      ...(end ? { endTime: end } : {}),
      publicKeys,
      verbose: Boolean(values.verbose),
      output: values.output === 'json' ? 'json' : 'text',
      checkUncovered: !values['no-uncovered'],
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
    });
    return res.exitCode;
  },
};
