/**
 * Trails in the store: their configuration and status, and the events stored after a point
 * (by insertion sequence) that they deliver.
 */
import { AitrailError } from '../model/errors.js';
import { plain } from './events.js';
import type { Store } from './db.js';
import { storedRecord } from '../model/stored-json.js';

/** A trail row. */
export interface TrailRow {
  name: string;
  config: Record<string, unknown>;
  isLogging: boolean;
  startSeq: number;
  createdAt: string;
  updatedAt: string;
  startLoggingTime: string | null;
  stopLoggingTime: string | null;
  latestDeliveryTime: string | null;
  latestDeliveryError: string | null;
  latestDigestDeliveryTime: string | null;
  latestDeliveredFile: string | null;
  latestDigestFile: string | null;
}

function toRow(r: Record<string, unknown>): TrailRow {
  const p = plain(r) as Record<string, unknown>;
  return { ...(p as unknown as TrailRow), config: JSON.parse(String(r.config)) as Record<string, unknown>, startSeq: Number(p.startSeq) };
}

/** All trails, by name. */
export async function listTrails(store: Store): Promise<TrailRow[]> {
  return (await store.all(`SELECT * EXCLUDE (config), CAST(config AS VARCHAR) AS config FROM trails ORDER BY name`)).map(toRow);
}

/** One trail, or a NOT_FOUND error in CloudTrail's words. */
export async function getTrail(store: Store, name: string): Promise<TrailRow> {
  const r = await store.one(`SELECT * EXCLUDE (config), CAST(config AS VARCHAR) AS config FROM trails WHERE name = ?`, [name]);
  if (!r) throw new AitrailError('NOT_FOUND', `TrailNotFoundException: Unknown trail: ${name}`);
  return toRow(r);
}

/** The newest insertion sequence number (0 for an empty store). */
export async function currentSeq(store: Store): Promise<number> {
  return Number((await store.one(`SELECT coalesce(max(seq), 0) AS s FROM event_store`))!.s);
}

/** Inserts a trail that starts recording after the current newest event. */
export async function insertTrail(store: Store, name: string, config: Record<string, unknown>, logging: boolean): Promise<TrailRow> {
  if (await store.one(`SELECT 1 FROM trails WHERE name = ?`, [name])) throw new AitrailError('USAGE', `TrailAlreadyExistsException: Trail ${name} already exists`);
  await store.run(
    `INSERT INTO trails (name, config, isLogging, startSeq, createdAt, updatedAt, startLoggingTime) VALUES (?, ?, ?, ?, now(), now(), CASE WHEN ? THEN now() END)`,
    [name, JSON.stringify(config), logging, await currentSeq(store), logging],
  );
  return getTrail(store, name);
}

/** Updates a trail's configuration. */
export async function updateTrailConfig(store: Store, name: string, config: Record<string, unknown>): Promise<TrailRow> {
  await getTrail(store, name);
  await store.run(`UPDATE trails SET config = ?, updatedAt = now() WHERE name = ?`, [JSON.stringify(config), name]);
  return getTrail(store, name);
}

/** Starts or stops logging. */
export async function setTrailLogging(store: Store, name: string, logging: boolean): Promise<TrailRow> {
  await getTrail(store, name);
  await store.run(
    logging
      ? `UPDATE trails SET isLogging = TRUE, startLoggingTime = now(), updatedAt = now(), startSeq = (SELECT coalesce(max(seq), 0) FROM event_store) WHERE name = ? AND NOT isLogging`
      : `UPDATE trails SET isLogging = FALSE, stopLoggingTime = now(), updatedAt = now() WHERE name = ?`,
    [name],
  );
  return getTrail(store, name);
}

/** Deletes a trail (its delivered files stay where they are). */
export async function deleteTrail(store: Store, name: string): Promise<void> {
  await getTrail(store, name);
  await store.run(`DELETE FROM trails WHERE name = ?`, [name]);
}

/** Records the outcome of a delivery. */
export async function noteDelivery(store: Store, name: string, d: { logFile?: string; digest?: string; error?: string | null }): Promise<void> {
  await store.run(
    `UPDATE trails SET
       latestDeliveryTime = CASE WHEN ? IS NOT NULL THEN now() ELSE latestDeliveryTime END,
       latestDeliveredFile = coalesce(?, latestDeliveredFile),
       latestDigestDeliveryTime = CASE WHEN ? IS NOT NULL THEN now() ELSE latestDigestDeliveryTime END,
       latestDigestFile = coalesce(?, latestDigestFile),
       latestDeliveryError = ?
     WHERE name = ?`,
    [d.logFile ?? null, d.logFile ?? null, d.digest ?? null, d.digest ?? null, d.error ?? null, name],
  );
}

/** The sequence number of the newest stored copy of an eventID (for resuming after a restart). */
export async function seqOfEvent(store: Store, eventId: string): Promise<number | undefined> {
  const r = await store.one(`SELECT max(seq) AS s FROM event_store WHERE eventId = ?`, [eventId]);
  return r?.s === null || r?.s === undefined ? undefined : Number(r.s);
}

/** The events stored after `after` (by insertion seq), oldest first, parsed and as their stored text. */
export async function recordsAfter(store: Store, after: number, limit: number): Promise<{ seq: number; record: Record<string, unknown>; text: string }[]> {
  // Parsing in JavaScript is cheaper than extracting the few fields a trail reads in DuckDB and
  // converting them column by column.
  const rows = await store.all(`SELECT seq, coalesce(record, recordLarge) AS record FROM event_store WHERE seq > ? ORDER BY seq LIMIT ${limit}`, [after]);
  return rows.map((r) => ({ seq: Number(r.seq), ...storedRecord(String(r.record)) }));
}

/** A stored event as the store's writer hands it on: its seq, the stored text and, when the writer had it, the text parsed. */
export interface StoredRow {
  seq: number;
  text: string;
  record?: object;
}

/** How many stored events have a seq in (after, through]: a trail's check that rows it was handed are all there are. */
export async function countSeqBetween(store: Store, after: number, through: number): Promise<number> {
  const row = await store.one('SELECT count(*) AS n FROM event_store WHERE seq > ? AND seq <= ?', [after, through]);
  return Number(row?.n ?? 0);
}
