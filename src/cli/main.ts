/**
 * The aitrail command line: parses arguments, calls the same library functions the tests and
 * the server call, prints through cli/output.ts. Exit codes: 0 ok, 1 failure, 2 usage.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AitrailError, isAitrailError } from '../model/errors.js';
import { packageRoot } from '../store/db.js';
import { ingestCommand, demoCommand, aiConfigCommand } from './ingest-commands.js';
import { lookupCommand, queryCommand, summaryCommand, getEventCommand } from './query-commands.js';
import { detectCommand, findingsCommand, rulesCommand } from './detect-commands.js';
import { serveCommand, tokensCommand } from './serve-commands.js';
import { TRAIL_COMMANDS, trailCommand, validateLogsCommand } from './trail-commands.js';
import { note } from './output.js';

/** A CLI command: its one-line summary, usage text and implementation. */
export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

/** Options every command that touches the store takes. */
export const STORE_OPTIONS = {
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The registry of commands: adding one is one line here and one module. */
export const COMMANDS: Record<string, Command> = {
  ingest: ingestCommand,
  'lookup-events': lookupCommand,
  'get-event': getEventCommand,
  query: queryCommand,
  demo: demoCommand,
  summary: summaryCommand,
  'ai-config': aiConfigCommand,
  detect: detectCommand,
  findings: findingsCommand,
  rules: rulesCommand,
  serve: serveCommand,
  tokens: tokensCommand,
  trail: trailCommand,
  ...TRAIL_COMMANDS,
  'validate-logs': validateLogsCommand,
};

function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

function help(): string {
  const lines = [
    'aitrail — a self-hosted audit trail for AI workloads',
    '',
    'Usage: aitrail <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`),
    '',
    "Run 'aitrail <command> --help' for a command's options. The store is ./aitrail-data",
    'unless --data-dir or AITRAIL_DATA_DIR says otherwise.',
  ];
  return lines.join('\n');
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  // The AWS SDK warns on Node 20 that its releases from 2027 will need Node 22. aitrail installs
  // the SDK version in its lockfile, so the notice asks nothing of its users: the SDK's own
  // switch turns it off, unless the environment says otherwise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(version() + '\n');
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    note(`aitrail: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true });
  } catch (e) {
    note(`aitrail ${name}: ${(e as Error).message}\n\nUsage: ${cmd.usage}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`Usage: ${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(parsed.values as Record<string, unknown>, parsed.positionals);
  } catch (e) {
    return fail(name, e);
  }
}

/** The CLI's one error mapper: a readable line on stderr and the exit code. */
export function fail(name: string, e: unknown): number {
  if (isAitrailError(e)) {
    note(`aitrail ${name}: ${e.code === 'USAGE' ? '' : e.code + ': '}${e.message}`);
    return e.exitCode;
  }
  // An AWS SDK's error (an S3 request refused, no credentials found) says what AWS said, without a stack.
  const err = e as (Error & { $metadata?: unknown }) | undefined;
  if (err && (err.$metadata !== undefined || err.name === 'CredentialsProviderError')) {
    const whose = err.name === 'CredentialsProviderError' && process.env.AWS_PROFILE ? ` (profile '${process.env.AWS_PROFILE}' of the AWS config files)` : '';
    note(`aitrail ${name}: AWS: ${err.name}: ${err.message}${whose}`);
    return 1;
  }
  note(`aitrail ${name}: unexpected error: ${err?.stack ?? String(e)}`);
  return 1;
}

/** Throws a usage error. */
export function usage(message: string): never {
  throw new AitrailError('USAGE', message);
}
