/**
 * The embedded DuckDB store: the only module family that imports @duckdb/node-api.
 * One writable instance per data directory; read-only opens for queries while nothing writes.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBValue } from '@duckdb/node-api';
import { mkdirSync, readdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AitrailError } from '../model/errors.js';

/** Options for opening a store. */
export interface StoreOptions {
  dataDir?: string;
  readOnly?: boolean;
  /** DuckDB memory limit, e.g. '768MB'. */
  memoryLimit?: string;
  threads?: number;
}

/** A row as a plain JS object (numbers, strings, booleans, Dates, arrays). */
export type Row = Record<string, unknown>;

/** The data directory from an explicit option, $AITRAIL_DATA_DIR, or ./aitrail-data. */
export function resolveDataDir(explicit?: string): string {
  return resolve(explicit ?? process.env.AITRAIL_DATA_DIR ?? './aitrail-data');
}

/** Finds the package root (where package.json lives) from this compiled module. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new AitrailError('INTERNAL', 'cannot find the aitrail package root');
    dir = up;
  }
}

function migrationsDir(): string {
  return join(packageRoot(), 'src', 'store', 'migrations');
}

/** The numbered migrations shipped with this version, in order. */
export function listMigrations(): { version: number; name: string; sql: string }[] {
  const dir = migrationsDir();
  return readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f, sql: readFileSync(join(dir, f), 'utf8') }));
}

/**
 * DuckDB storage format of new stores. Stores made in an older one (v1.2.0, the first that
 * compresses the record columns with zstd) keep theirs. v1.5.0 compresses text columns with
 * DuckDB's dictionary-with-FSST method: on the benchmark's records a bulk load takes about 3 %
 * fewer instructions than with v1.2.0's dictionary, and the store is about a sixth smaller.
 */
export const STORAGE_VERSION = 'v1.5.0';

/** The name the store's database file is attached under. */
const CATALOG = 'aitrail';

/**
 * Rows per row group, a quarter of DuckDB's default. A bulk insert fills one row group per
 * thread in memory before writing it out; with CloudTrail records (~1.6 KB each) a default one
 * is ~200 MB, more than ingest's memory limit, so inserts spilled to temporary files and
 * sometimes failed for memory. Smaller groups also let time-range scans skip more precisely.
 */
const ROW_GROUP_SIZE = 30_720;

/** A connection to `instance` that works in the store's database, in UTC. */
async function connectTo(instance: DuckDBInstance): Promise<DuckDBConnection> {
  const conn = await instance.connect();
  await conn.run(`USE ${CATALOG}`);
  await conn.run("SET TimeZone = 'UTC'");
  // Trino's element_at on JSON text (cloudtrail_logs' requestparameters), maps and arrays
  // (cloudtrail_lake's requestparameters and resources), the form picked by the argument's type.
  // Typed macro parameters cannot be stored in stores of format v1.2.0, so it is a temporary
  // macro of each connection, ahead of the stored one (JSON text and maps only) in the search path.
  await conn.run(`CREATE OR REPLACE TEMP MACRO element_at(m VARCHAR, k) AS json_extract_string(m, '$.' || k), (m, k) AS m[k]`);
  // A member of JSON text or of a map, written `requestParameters.bucketName` (see query/trino.ts's
  // rewriteJsonMembers): the key as written, else the first key equal to it but for case, as a
  // struct's fields are found. `json_member_json` gives a member that is itself read into (as JSON).
  // A key without `$` is one key to json_extract, whatever it holds.
  const ci = (keys: string) => `list_filter(${keys}, x -> lower(x) = lower(k))[1]`;
  const member = (extract: string) =>
    `(m VARCHAR, k) AS coalesce(${extract}(m, k), ${extract}(m, ${ci('json_keys(m)')})), (m, k) AS coalesce(m[k], m[${ci('map_keys(m)')}])`;
  // Trino's `/` (query/trino.ts rewrites it in statements over the Athena and Lake tables): integers
  // divide to an integer, truncated toward zero; other numbers as DuckDB divides them. Every integer
  // type casts to HUGEINT without loss, and nothing else does implicitly.
  await conn.run(`CREATE OR REPLACE TEMP MACRO trino_divide(a HUGEINT, b HUGEINT) AS a // b, (a, b) AS a / b`);
  await conn.run(`CREATE OR REPLACE TEMP MACRO json_member${member('json_extract_string')}`);
  await conn.run(`CREATE OR REPLACE TEMP MACRO json_member_json${member('json_extract')}`);
  return conn;
}

/** `-- aitrail:requires-storage vX.Y.Z` at the top of a migration: applied only on stores of that format or newer. */
function requiredStorage(sql: string): string | undefined {
  return /^--\s*aitrail:requires-storage\s+(v[\d.]+)/m.exec(sql)?.[1];
}

/** Compares 'v1.2.0'-style versions. */
function versionAtLeast(have: string, want: string): boolean {
  const a = have.replace(/^v|\+$/g, '').split('.').map(Number);
  const b = want.replace(/^v|\+$/g, '').split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/** An open store: a DuckDB instance and one connection, with small query helpers. */
export class Store {
  readonly dataDir: string;
  readonly dbPath: string;
  readonly readOnly: boolean;
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
    dataDir: string,
    readOnly: boolean,
    private readonly forked = false,
  ) {
    this.dataDir = dataDir;
    this.dbPath = join(dataDir, 'aitrail.duckdb');
    this.readOnly = readOnly;
  }

  /** Opens (and, for writers, creates and migrates) the store in `opts.dataDir`. */
  static async open(opts: StoreOptions): Promise<Store> {
    const dataDir = resolveDataDir(opts.dataDir);
    const dbPath = join(dataDir, 'aitrail.duckdb');
    const readOnly = opts.readOnly ?? false;
    if (readOnly && !existsSync(dbPath)) {
      throw new AitrailError('NOT_FOUND', `no aitrail store in ${dataDir}: run 'aitrail ingest' or 'aitrail demo' first`);
    }
    mkdirSync(join(dataDir, 'tmp'), { recursive: true });
    const config: Record<string, string> = {
      memory_limit: opts.memoryLimit ?? process.env.AITRAIL_MEMORY_LIMIT ?? '768MB',
      threads: String(opts.threads ?? (Number(process.env.AITRAIL_THREADS) || 2)),
      preserve_insertion_order: 'false',
      temp_directory: join(dataDir, 'tmp', 'duckdb'),
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'true',
    };
    // The store is attached to an in-memory instance rather than opened as its main database:
    // only ATTACH takes a row group size. New stores use a storage format that can compress
    // the record columns with zstd (about 7× smaller than the default string compression on
    // CloudTrail JSON; see STORAGE_VERSION).
    const attachOptions = [`ROW_GROUP_SIZE ${ROW_GROUP_SIZE}`];
    if (readOnly) attachOptions.push('READ_ONLY');
    else if (!existsSync(dbPath)) attachOptions.push(`STORAGE_VERSION '${STORAGE_VERSION}'`);
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(':memory:', config);
      const setup = await instance.connect();
      try {
        await setup.run(`ATTACH ${sqlString(dbPath)} AS ${CATALOG} (${attachOptions.join(', ')})`);
      } catch (e) {
        setup.closeSync();
        instance.closeSync();
        throw e;
      }
      setup.closeSync();
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/lock/i.test(msg)) {
        throw new AitrailError(
          'STORE_LOCKED',
          `the store in ${dataDir} is in use by another aitrail process (${readOnly ? 'a writer holds it' : 'only one writer at a time'}); stop it or query through its server`,
          { cause: e },
        );
      }
      throw new AitrailError('INTERNAL', `cannot open the store ${dbPath}: ${msg}`, { cause: e });
    }
    const conn = await connectTo(instance);
    const store = new Store(instance, conn, dataDir, readOnly);
    if (!readOnly) await store.migrate();
    return store;
  }

  /** Applies the migrations that this store has not seen yet, each in its own transaction. */
  private async migrate(): Promise<void> {
    await this.conn.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, appliedAt TIMESTAMP)');
    const done = new Set((await this.all('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
    for (const m of listMigrations()) {
      if (done.has(m.version)) continue;
      const needs = requiredStorage(m.sql);
      const have = needs ? await this.storageVersion() : undefined;
      // A store created in an older format keeps working; only the physical change is skipped.
      const skip = needs !== undefined && have !== undefined && !versionAtLeast(have, needs);
      try {
        await this.conn.run('BEGIN TRANSACTION');
        if (!skip) await this.conn.run(m.sql);
        await this.conn.run('INSERT INTO schema_migrations VALUES (?, ?, now())', [m.version, skip ? `${m.name} (skipped: storage ${have})` : m.name]);
        await this.conn.run('COMMIT');
      } catch (e) {
        await this.conn.run('ROLLBACK').catch(() => undefined);
        throw new AitrailError('STORE_MIGRATION', `migration ${m.name} failed: ${(e as Error).message}`, { cause: e });
      }
    }
  }

  /** The DuckDB storage format of this store's file, e.g. 'v1.2.0+'. */
  async storageVersion(): Promise<string | undefined> {
    const row = await this.one(
      "SELECT CAST(tags['storage_version'] AS VARCHAR) AS v FROM duckdb_databases() WHERE database_name = current_database()",
    );
    return (row?.v as string | null | undefined) ?? undefined;
  }

  /** Another connection to the same database (for concurrent reads in one process). */
  async fork(): Promise<Store> {
    const conn = await connectTo(this.instance);
    return new Store(this.instance, conn, this.dataDir, this.readOnly, true);
  }

  /** Interrupts the query running on this connection, if any. */
  interrupt(): void {
    this.conn.interrupt();
  }

  /** Runs a statement, ignoring its result. */
  async run(sql: string, params?: DuckDBValue[] | Record<string, DuckDBValue>): Promise<void> {
    await this.conn.run(sql, params);
  }

  private readonly prepared = new Map<string, DuckDBPreparedStatement>();

  /** This connection's prepared statement for `sql`, prepared on first use. */
  private async preparedFor(sql: string): Promise<DuckDBPreparedStatement> {
    let ps = this.prepared.get(sql);
    if (!ps) {
      ps = await this.conn.prepare(sql);
      if (this.prepared.size > 64) this.prepared.clear();
      this.prepared.set(sql, ps);
    }
    return ps;
  }

  /** Runs a statement through a prepared statement cached on this connection (named parameters). */
  async runPrepared(sql: string, params: Record<string, DuckDBValue>): Promise<void> {
    const ps = await this.preparedFor(sql);
    ps.bind(params);
    await ps.run();
  }

  /**
   * Runs a query through a prepared statement cached on this connection and returns its rows.
   * Saves parsing and preparing `sql` again (work done on the calling thread); a connection
   * must not run two of these at once.
   */
  async allPrepared(sql: string, params: DuckDBValue[] | Record<string, DuckDBValue> = {}): Promise<Row[]> {
    const ps = await this.preparedFor(sql);
    ps.bind(params);
    return (await ps.runAndReadAll()).getRowObjectsJS() as Row[];
  }

  /** Runs a query and hands its rows (as arrays of JS values) to `fn` a chunk at a time, so memory stays bounded. */
  async forEachChunk(sql: string, fn: (rows: unknown[][]) => void | Promise<void>, params?: DuckDBValue[] | Record<string, DuckDBValue>): Promise<void> {
    const result = await this.conn.stream(sql, params);
    for await (const rows of result.yieldRowsJs()) await fn(rows);
  }

  /** Runs a query and returns rows as plain JS objects. */
  async all(sql: string, params?: DuckDBValue[] | Record<string, DuckDBValue>): Promise<Row[]> {
    const reader = await this.conn.runAndReadAll(sql, params);
    return reader.getRowObjectsJS() as Row[];
  }

  /** Runs a query and returns its first row, or undefined. */
  async one(sql: string, params?: DuckDBValue[]): Promise<Row | undefined> {
    return (await this.all(sql, params))[0];
  }

  /** Runs `fn` inside a transaction, rolling back on error. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.conn.run('BEGIN TRANSACTION');
    try {
      const out = await fn();
      await this.conn.run('COMMIT');
      return out;
    } catch (e) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /**
   * Bytes of committed rows DuckDB holds in memory and not yet in the database file: row groups
   * no thread filled (a bulk INSERT writes full ones to the file as it goes, but a write too small
   * to fill one is committed through the WAL and kept in memory until a checkpoint), and the
   * strings over 4 kB they point to (records of large requests), which are kept apart. 30,000
   * CloudTrail records held 87 MB; 1,000 records of 200 kB, 250 MB, never in a full row group.
   */
  async heldInMemory(): Promise<number> {
    const row = await this.one(`SELECT coalesce(sum(memory_usage_bytes), 0) AS held FROM duckdb_memory() WHERE tag IN ('IN_MEMORY_TABLE', 'OVERFLOW_STRINGS')`);
    return Number(row?.held ?? 0);
  }

  /**
   * Checkpoints with room for what is held in memory (`measured`: what is held and the memory
   * limit, when the caller has just read them). A checkpoint reads every held row at once to
   * compress it, and one that runs out of memory invalidates the database (every statement
   * after it fails, and the next open replays the WAL into memory and fails the same way): 335 MiB
   * of large records could not be checkpointed under ingest's 366 MiB limit, and could under 381.
   * The limit is raised for the checkpoint alone to 1.25 times what is held and 128 MiB more, when
   * it is lower than that.
   */
  async checkpoint(measured?: { held: number; limit: number }): Promise<void> {
    const { held, limit } = measured ?? { held: await this.heldInMemory(), limit: await this.memoryLimit() };
    const need = Math.ceil((held * 1.25 + 128 * 2 ** 20) / 2 ** 20);
    if (limit <= 0 || need * 2 ** 20 <= limit) {
      await this.run('CHECKPOINT');
      return;
    }
    await this.run(`SET memory_limit = '${need}MiB'`);
    try {
      await this.run('CHECKPOINT');
    } finally {
      await this.run(`SET memory_limit = '${Math.round(limit / 2 ** 20)}MiB'`);
    }
  }

  /**
   * Checkpoints when rows held in memory (`heldInMemory`) exceed `share` of the memory limit, so
   * they do not crowd the next write (a large INSERT after 87 MB of them ran a 256 MB limit out
   * of memory); says whether it did.
   */
  async relieveMemory(share = 0.25): Promise<boolean> {
    const limit = await this.memoryLimit();
    const held = await this.heldInMemory();
    if (limit <= 0 || held <= limit * share) return false;
    await this.checkpoint({ held, limit });
    return true;
  }

  /** DuckDB's memory limit in bytes (0 when it cannot be read). */
  private async memoryLimit(): Promise<number> {
    const row = await this.one(`SELECT current_setting('memory_limit') AS lim`);
    return parseBytes(String(row?.lim ?? ''));
  }

  /**
   * Runs `fn`; when it runs DuckDB out of memory, runs it again, once, with the memory limit
   * multiplied by `factor` and one thread (each thread holds buffers of its own), then restores
   * both. For the rare work that needs more than the limit: a file of records of hundreds of
   * kilobytes each, say. `fn` must leave nothing behind when it fails (a transaction, say), or
   * `again` must say whether running it again is safe (nothing written yet, say).
   */
  async retryWithMoreMemory<T>(factor: number, fn: () => Promise<T>, again: () => boolean = () => true): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (!isOutOfMemory(e) || !again()) throw e;
    }
    const row = await this.one(`SELECT current_setting('memory_limit') AS lim, current_setting('threads') AS threads`);
    const limit = parseBytes(String(row?.lim ?? ''));
    if (limit <= 0) return fn();
    await this.run(`SET memory_limit = '${Math.round((limit * factor) / 2 ** 20)}MiB'`);
    await this.run('SET threads = 1');
    try {
      return await fn();
    } finally {
      await this.run(`SET memory_limit = '${Math.round(limit / 2 ** 20)}MiB'`);
      await this.run(`SET threads = ${Number(row?.threads) || 1}`);
    }
  }

  /** A fresh scratch folder under the data dir, for staging files. */
  tmpDir(name: string): string {
    const dir = join(this.dataDir, 'tmp', name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** Reads a JSON setting. */
  async getSetting<T>(key: string): Promise<T | undefined> {
    const row = await this.one('SELECT CAST(value AS VARCHAR) AS v FROM settings WHERE key = ?', [key]);
    return row ? (JSON.parse(String(row.v)) as T) : undefined;
  }

  /** Writes a JSON setting. */
  async setSetting(key: string, value: unknown): Promise<void> {
    await this.run('INSERT OR REPLACE INTO settings VALUES (?, ?)', [key, JSON.stringify(value)]);
  }

  /** Checkpoints (for writers) and closes the instance. */
  async close(): Promise<void> {
    if (this.forked) {
      this.conn.closeSync();
      return;
    }
    if (!this.readOnly) await this.checkpoint().catch(() => undefined);
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** Quotes an SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** Whether an error is DuckDB's "Out of Memory". */
export function isOutOfMemory(e: unknown): boolean {
  return /Out of Memory Error/i.test((e as Error)?.message ?? '');
}

/** A size as DuckDB prints it (`244.1 MiB`, `1.5 GB`, `512 bytes`) in bytes, or 0. */
export function parseBytes(text: string): number {
  const m = /^([\d.]+)\s*(bytes|[KMGT]i?B)$/i.exec(text.trim());
  if (!m) return 0;
  const unit = m[2]!.toUpperCase();
  const power = unit === 'BYTES' ? 0 : 'KMGT'.indexOf(unit[0]!) + 1;
  return Number(m[1]) * (unit.includes('I') || unit === 'BYTES' ? 1024 : 1000) ** power;
}
