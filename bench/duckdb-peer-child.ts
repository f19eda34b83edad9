/**
 * Child process for the ingest benchmark's DuckDB peer: DuckDB's own JSON reader loading the same
 * delivery files into a 33-column table, the way one would with nothing but DuckDB. It reads the
 * gzip files itself, turns each record into typed columns in the reader, and stores them; it keeps
 * no record text, checks and classifies nothing, does not deduplicate and keeps no manifest.
 * With `jsonl`, it reads JSON Lines files (`*.jsonl`, one record per line) instead.
 * Prints one JSON line (timings, CPU, peak RSS, table size).
 * Usage: node dist/bench/duckdb-peer-child.js <logs-folder> <scratch-dir> [jsonl]
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** The JSON line the child prints. */
export interface DuckdbPeerResult {
  records: number;
  columns: number;
  seconds: number;
  userCpuMs: number;
  systemCpuMs: number;
  maxRssKiB: number;
  dbBytes: number;
  memoryLimit: string;
}

/** The reader's schema: what the 33 columns are taken from. */
const IDENTITY = `STRUCT(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, accessKeyId VARCHAR, userName VARCHAR, invokedBy VARCHAR,
  sessionContext STRUCT(sessionIssuer STRUCT(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, userName VARCHAR),
    attributes STRUCT(creationDate VARCHAR, mfaAuthenticated VARCHAR)))`;
const RECORD = `STRUCT(eventVersion VARCHAR, userIdentity ${IDENTITY}, eventTime TIMESTAMP, eventSource VARCHAR, eventName VARCHAR, awsRegion VARCHAR,
  sourceIPAddress VARCHAR, userAgent VARCHAR, errorCode VARCHAR, errorMessage VARCHAR, requestParameters JSON, responseElements JSON,
  additionalEventData JSON, requestID VARCHAR, eventID VARCHAR, readOnly BOOLEAN, resources STRUCT(accountId VARCHAR, type VARCHAR, ARN VARCHAR)[],
  eventType VARCHAR, managementEvent BOOLEAN, recipientAccountId VARCHAR, sharedEventID VARCHAR, eventCategory VARCHAR, vpcEndpointId VARCHAR)`;
const COLUMNS = [
  'r.eventVersion', 'r.eventTime', 'r.eventSource', 'r.eventName', 'r.awsRegion', 'r.sourceIPAddress', 'r.userAgent', 'r.errorCode',
  'r.errorMessage', 'r.requestID', 'r.eventID', 'r.readOnly', 'r.eventType', 'r.managementEvent', 'r.recipientAccountId', 'r.sharedEventID',
  'r.eventCategory', 'r.vpcEndpointId', 'r.userIdentity.type AS userIdentityType', 'r.userIdentity.principalId AS userIdentityPrincipalId',
  'r.userIdentity.arn AS userIdentityArn', 'r.userIdentity.accountId AS userIdentityAccountId', 'r.userIdentity.accessKeyId AS userIdentityAccessKeyId',
  'r.userIdentity.userName AS userIdentityUserName', 'r.userIdentity.invokedBy AS userIdentityInvokedBy',
  'r.userIdentity.sessionContext.sessionIssuer.arn AS sessionIssuerArn', 'r.userIdentity.sessionContext.sessionIssuer.type AS sessionIssuerType',
  'r.userIdentity.sessionContext.sessionIssuer.userName AS sessionIssuerUserName',
  'r.userIdentity.sessionContext.attributes.mfaAuthenticated AS mfaAuthenticated', 'r.resources', 'r.requestParameters', 'r.responseElements',
  'r.additionalEventData',
];
/** The peer's own memory limit: the figure the issue quotes for it peaked at about 1 GB. */
const MEMORY_LIMIT = '1GB';

async function main(): Promise<void> {
  const [logs, dir, mode] = process.argv.slice(2);
  if (!logs || !dir) throw new Error('usage: duckdb-peer-child <logs-folder> <scratch-dir>');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const dbPath = join(dir, 'peer.duckdb');
  const t0 = performance.now();
  // Insertion order is not kept: with it, this load ran out of memory under the 1 GB limit.
  const instance = await DuckDBInstance.create(dbPath, {
    threads: '2',
    memory_limit: MEMORY_LIMIT,
    preserve_insertion_order: 'false',
    temp_directory: join(dir, 'tmp'),
  });
  const conn = await instance.connect();
  const files = `'${join(logs, '**', mode === 'jsonl' ? '*.jsonl' : '*.json.gz').replaceAll("'", "''")}'`;
  const record = RECORD.replace(/\s+/g, ' ');
  const source = mode === 'jsonl'
    ? `SELECT r FROM read_json(${files}, columns = {r: '${record}'}, records = false, format = 'newline_delimited', maximum_object_size = 100000000)`
    : `SELECT unnest(Records) AS r FROM read_json(${files}, columns = {Records: '${record}[]'}, format = 'unstructured', maximum_object_size = 100000000)`;
  await conn.run(`CREATE TABLE events AS SELECT ${COLUMNS.join(', ')} FROM (${source})`);
  await conn.run('CHECKPOINT');
  const records = Number((await conn.runAndReadAll('SELECT count(*) FROM events')).getRows()[0]![0]);
  const columns = Number((await conn.runAndReadAll(`SELECT count(*) FROM duckdb_columns() WHERE table_name = 'events'`)).getRows()[0]![0]);
  conn.closeSync();
  instance.closeSync();
  const seconds = (performance.now() - t0) / 1000;
  const ru = process.resourceUsage();
  const out: DuckdbPeerResult = {
    records,
    columns,
    seconds,
    userCpuMs: ru.userCPUTime / 1000,
    systemCpuMs: ru.systemCPUTime / 1000,
    maxRssKiB: ru.maxRSS,
    dbBytes: statSync(dbPath).size,
    memoryLimit: MEMORY_LIMIT,
  };
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`duckdb-peer-child failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
