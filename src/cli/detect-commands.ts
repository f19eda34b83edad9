/**
 * Detection commands: detect, findings (list|show|ack|resolve|reopen|suppress), rules (list|test|validate).
 */
import { join } from 'node:path';
import { Store, packageRoot } from '../store/db.js';
import { detect } from '../detect/run.js';
import { loadRules } from '../detect/rules.js';
import { runRuleTests } from '../detect/testing.js';
import { addSuppression, getFinding, listFindings, setFindingStatus, ruleSettings, setRuleEnabled } from '../store/findings.js';
import { FindingStatusSchema, SeveritySchema, type FindingStatus } from '../model/findings.js';
import { AitrailError, choices } from '../model/errors.js';
import { parseTime } from '../query/lookup.js';
import { note, pickFormat, printJson, printRows } from './output.js';
import { withWriteStore } from './ingest-commands.js';
import type { Command } from './main.js';

const STORE = { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

/** `aitrail detect`: runs the enabled rules over stored events and writes findings. */
export const detectCommand: Command = {
  summary: 'run the built-in and your rules over stored events and write findings',
  usage: `aitrail detect [--rules DIR]... [--start-time T] [--end-time T] [--no-builtin] [--placeholder NAME=V1,V2]... [--output text|json]

  Rerunning over the same events creates no duplicate findings; new matches extend open findings.`,
  options: {
    ...STORE,
    rules: { type: 'string', multiple: true },
    'start-time': { type: 'string' },
    'end-time': { type: 'string' },
    'no-builtin': { type: 'boolean' },
    placeholder: { type: 'string', multiple: true },
    output: { type: 'string' },
    strict: { type: 'boolean' },
  },
  async run(values) {
    const placeholders: Record<string, string[]> = {};
    for (const p of (values.placeholder as string[] | undefined) ?? []) {
      const m = /^([^=]+)=(.*)$/.exec(p);
      if (!m) throw new AitrailError('USAGE', `--placeholder takes NAME=VALUE1,VALUE2, not '${p}'`);
      placeholders[m[1]!] = m[2]!.split(',');
    }
    const progress = process.stderr.isTTY
      ? (p: { events: number; total: number }) => process.stderr.write(`\r${p.events.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')} events   `)
      : undefined;
    const sum = await withWriteStore(values, (store) =>
      detect(store, {
        rulesDirs: values.rules as string[] | undefined,
        startTime: values['start-time'] ? parseTime(String(values['start-time']), '--start-time') : undefined,
        endTime: values['end-time'] ? parseTime(String(values['end-time']), '--end-time') : undefined,
        builtin: !values['no-builtin'],
        placeholders,
        onProgress: progress,
      }),
      process.env.AITRAIL_MEMORY_LIMIT ?? '384MB',
    );
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    if (values.output === 'json') printJson(sum);
    else {
      process.stdout.write(
        `rules: ${sum.rulesEnabled} enabled of ${sum.rulesLoaded} loaded\n` +
          `events: ${sum.events} scanned (${sum.fullRecordsParsed} needed their full record, ${sum.partialRecordsParsed} some of its members; ${sum.rulesOnValues} rules ran on ${sum.valueCombinations} distinct value combinations, ${sum.rulesOnHotRows} correlation base rules on the ${sum.hotRows} events of hot regions), ${sum.matches} single-event matches, ${sum.correlationMatches} correlation matches\n` +
          `findings: ${sum.findingsCreated} new, ${sum.findingsExtended} extended, ${sum.findingsUnchanged} unchanged\n` +
          `speed: ${sum.seconds.toFixed(2)} s, ${sum.eventsPerSecond.toLocaleString('en-US')} events/s\n`,
      );
    }
    for (const e of sum.loadErrors) note(`rule error: ${e.message.startsWith(e.file) ? e.message : `${e.file}:${e.line}: ${e.message}`}`);
    return values.strict && sum.loadErrors.length ? 1 : 0;
  },
};

const FINDING_COLUMNS = ['findingId', 'severity', 'status', 'ruleId', 'principal', 'accountId', 'eventCount', 'firstEventTime', 'lastEventTime', 'title'];

/** `aitrail findings list|show|ack|resolve|reopen|suppress`. */
export const findingsCommand: Command = {
  summary: 'list, show and triage findings (ack, resolve, reopen, suppress)',
  usage: `aitrail findings list [--status open,acknowledged,...] [--severity high,critical] [--rule ID] [--principal ARN] [--limit N] [--output …]
       aitrail findings show FINDING_ID
       aitrail findings ack|resolve|reopen FINDING_ID [--note TEXT] [--by NAME]
       aitrail findings suppress --rule ID [--principal ARN] [--expires 2026-12-31T00:00:00Z | --for 7d] [--reason TEXT]`,
  options: {
    ...STORE,
    status: { type: 'string' },
    severity: { type: 'string' },
    rule: { type: 'string' },
    principal: { type: 'string' },
    limit: { type: 'string' },
    note: { type: 'string' },
    by: { type: 'string' },
    expires: { type: 'string' },
    for: { type: 'string' },
    reason: { type: 'string' },
    output: { type: 'string' },
  },
  async run(values, positionals) {
    const [sub, id] = positionals;
    if (sub === 'list' || sub === undefined) {
      const status = choices(values.status as string | undefined, FindingStatusSchema.options, '--status');
      const severity = choices(values.severity as string | undefined, SeveritySchema.options, '--severity');
      const limit = values.limit === undefined ? 100 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new AitrailError('USAGE', `--limit takes a whole number from 1 to 10000, not '${values.limit}'`);
      const store = await Store.open({ dataDir: values['data-dir'] as string | undefined, readOnly: true });
      try {
        const res = await listFindings(store, { status, severity, ruleId: values.rule as string | undefined, principal: values.principal as string | undefined, limit });
        const format = pickFormat(values.output as string | undefined);
        if (format === 'json') printJson(res);
        else printRows(FINDING_COLUMNS, res.findings.map((f) => FINDING_COLUMNS.map((c) => (f as Record<string, unknown>)[c])), format);
      } finally {
        await store.close();
      }
      return 0;
    }
    if (sub === 'show') {
      if (!id) throw new AitrailError('USAGE', 'findings show needs a FINDING_ID');
      const store = await Store.open({ dataDir: values['data-dir'] as string | undefined, readOnly: true });
      try {
        const f = await getFinding(store, id);
        if (!f) throw new AitrailError('NOT_FOUND', `no finding ${id}`);
        printJson(f);
      } finally {
        await store.close();
      }
      return 0;
    }
    const statusFor: Record<string, FindingStatus> = { ack: 'acknowledged', acknowledge: 'acknowledged', resolve: 'resolved', reopen: 'open' };
    if (sub && statusFor[sub]) {
      if (!id) throw new AitrailError('USAGE', `findings ${sub} needs a FINDING_ID`);
      const f = await withWriteStore(values, (s) => setFindingStatus(s, id, statusFor[sub]!, (values.by as string | undefined) ?? process.env.USER ?? null, (values.note as string | undefined) ?? null));
      process.stdout.write(`${f.findingId}: ${f.status}\n`);
      return 0;
    }
    if (sub === 'suppress') {
      if (!values.rule) throw new AitrailError('USAGE', 'findings suppress needs --rule ID');
      let expiresAt: Date | null = null;
      if (values.expires) expiresAt = parseTime(String(values.expires), '--expires');
      if (values.for) {
        const m = /^(\d+)([hd])$/.exec(String(values.for));
        if (!m) throw new AitrailError('USAGE', `--for takes a duration like 12h or 7d, not '${values.for}'`);
        expiresAt = new Date(Date.now() + Number(m[1]) * (m[2] === 'h' ? 3_600_000 : 86_400_000));
      }
      const res = await withWriteStore(values, (s) =>
        addSuppression(s, { ruleId: String(values.rule), principal: (values.principal as string | undefined) ?? null, reason: (values.reason as string | undefined) ?? null, expiresAt, by: (values.by as string | undefined) ?? process.env.USER ?? null }),
      );
      process.stdout.write(`suppression ${res.suppression.suppressionId} added (${res.suppressedFindings} open findings suppressed)${expiresAt ? `, expires ${expiresAt.toISOString()}` : ''}\n`);
      return 0;
    }
    throw new AitrailError('USAGE', `unknown findings subcommand '${sub}' (list, show, ack, resolve, reopen, suppress)`);
  },
};

/** `aitrail rules list|test|validate|enable|disable [--rules DIR…]`. */
export const rulesCommand: Command = {
  summary: 'list rules, run their inline tests, validate rule files, enable or disable rules',
  usage: `aitrail rules list [--rules DIR]... [--no-builtin] [--output …]
       aitrail rules test [--rules DIR]... [--no-builtin]
       aitrail rules validate [--rules DIR]... [--no-builtin]
       aitrail rules enable|disable RULE_ID`,
  options: { ...STORE, rules: { type: 'string', multiple: true }, 'no-builtin': { type: 'boolean' }, output: { type: 'string' } },
  async run(values, positionals) {
    const [sub, id] = positionals;
    if (sub === 'enable' || sub === 'disable') {
      if (!id) throw new AitrailError('USAGE', `rules ${sub} needs a RULE_ID`);
      await withWriteStore(values, (s) => setRuleEnabled(s, id, sub === 'enable'));
      process.stdout.write(`${id}: ${sub}d\n`);
      return 0;
    }
    const set = await loadRules({ builtinDir: values['no-builtin'] ? undefined : join(packageRoot(), 'rules'), dirs: values.rules as string[] | undefined });
    if (sub === 'validate') {
      for (const e of set.errors) note(e.message.startsWith(e.file) ? e.message : `${e.file}:${e.line}: ${e.message}`);
      for (const n of set.notApplicable) note(`${n.file}:${n.line}: not applicable to CloudTrail (${n.reason})`);
      process.stdout.write(`${set.rules.length} rules loaded, ${set.errors.length} errors\n`);
      return set.errors.length ? 1 : 0;
    }
    if (sub === 'test') {
      const results = runRuleTests(set);
      const failed = results.filter((r) => !r.passed);
      for (const f of failed) note(`FAIL ${f.ruleId} (${f.file}:${f.line}) "${f.test}": expected ${f.expected ? 'match' : 'no match'}, got ${f.actual ? 'match' : 'no match'}${f.error ? ` (${f.error})` : ''}`);
      for (const e of set.errors) note(`rule error: ${e.message}`);
      process.stdout.write(`${results.length - failed.length} passed, ${failed.length} failed\n`);
      return failed.length || set.errors.length ? 1 : 0;
    }
    if (sub === 'list' || sub === undefined) {
      let enabled = new Map<string, boolean>();
      try {
        const store = await Store.open({ dataDir: values['data-dir'] as string | undefined, readOnly: true });
        try {
          enabled = await ruleSettings(store);
        } finally {
          await store.close();
        }
      } catch {
        // No store yet: every rule is enabled by default.
      }
      const cols = ['id', 'kind', 'pack', 'severity', 'enabled', 'attack', 'tests', 'title'];
      const rows = set.rules.map((r) => [r.id, r.kind, r.pack, r.severity, enabled.get(r.id) ?? true, r.attack.join(' '), r.tests.length, r.title]);
      printRows(cols, rows, pickFormat(values.output as string | undefined));
      return 0;
    }
    throw new AitrailError('USAGE', `unknown rules subcommand '${sub}' (list, test, validate, enable, disable)`);
  },
};
