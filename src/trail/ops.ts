/**
 * Trail operations with the names and response shapes of the `aws cloudtrail` API: create,
 * describe, status, update, delete, start/stop logging, event selectors, public keys. Every
 * change is itself recorded as a CloudTrail-shaped event (eventSource aitrail.local), so the
 * rules that catch StopLogging or a weakened trail on AWS catch it on aitrail too.
 */
import { basename, resolve } from 'node:path';
import { AitrailError } from '../model/errors.js';
import { auditRecord, type Actor } from '../model/audit.js';
import type { Store } from '../store/db.js';
import { loadRecords } from '../ingest/records.js';
import { deleteTrail, getTrail, insertTrail, listTrails, setTrailLogging, updateTrailConfig, type TrailRow } from '../store/trails.js';
import { trailArn } from './layout.js';
import { GENAI_PRESET, validateAdvancedSelectors, parseEventSelectors } from './selectors.js';
import { TrailKeys } from './keys.js';
import { writerConfig, type TrailSettings } from './manager.js';

/** What create-trail takes. */
export interface CreateTrailInput {
  name: string;
  destination: string;
  endpoint?: string;
  accountId?: string;
  homeRegion?: string;
  isMultiRegionTrail?: boolean;
  enableLogFileValidation?: boolean;
  advancedEventSelectors?: unknown;
  preset?: 'genai';
  deliveryIntervalMs?: number;
  maxEventsPerFile?: number;
  digestIntervalMs?: number;
  startLogging?: boolean;
}

/** A trail as describe-trails shows it. */
export interface TrailDescription {
  Name: string;
  S3BucketName: string;
  S3KeyPrefix?: string;
  Destination: string;
  IncludeGlobalServiceEvents: boolean;
  IsMultiRegionTrail: boolean;
  HomeRegion: string;
  TrailARN: string;
  LogFileValidationEnabled: boolean;
  HasCustomEventSelectors: boolean;
  HasInsightSelectors: boolean;
  IsOrganizationTrail: boolean;
}

function bucketOf(dest: string): { bucket: string; prefix?: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(dest);
  if (m) return { bucket: m[1]!, ...(m[2] ? { prefix: m[2] } : {}) };
  return { bucket: basename(resolve(dest.replace(/^file:\/\//, ''))) };
}

function describe(row: TrailRow): TrailDescription {
  const s = row.config as unknown as TrailSettings;
  const b = bucketOf(s.destination);
  return {
    Name: row.name,
    S3BucketName: b.bucket,
    ...(b.prefix ? { S3KeyPrefix: b.prefix } : {}),
    Destination: s.destination,
    IncludeGlobalServiceEvents: true,
    IsMultiRegionTrail: s.isMultiRegionTrail,
    HomeRegion: s.homeRegion,
    TrailARN: trailArn(s.homeRegion, s.accountId, row.name),
    LogFileValidationEnabled: s.validation,
    HasCustomEventSelectors: Boolean(s.selectors),
    HasInsightSelectors: false,
    IsOrganizationTrail: false,
  };
}

async function recordChange(store: Store, actor: Actor, eventName: string, requestParameters: Record<string, unknown>, responseElements: Record<string, unknown> | null, error?: AitrailError): Promise<void> {
  const rec = auditRecord({
    eventName,
    principal: actor,
    sourceIPAddress: '127.0.0.1',
    userAgent: `aitrail-cli/${process.versions.node}`,
    readOnly: false,
    requestParameters,
    responseElements,
    ...(error ? { errorCode: error.message.split(':')[0], errorMessage: error.message } : {}),
  });
  await loadRecords(store, 'audit:aitrail', [JSON.stringify(rec)]);
}

/** Wraps a change so that it is recorded whether it succeeds or fails. */
async function change<T>(store: Store, actor: Actor, eventName: string, params: Record<string, unknown>, fn: () => Promise<T>, response: (t: T) => Record<string, unknown> | null): Promise<T> {
  try {
    const out = await fn();
    await recordChange(store, actor, eventName, params, response(out));
    return out;
  } catch (e) {
    if (e instanceof AitrailError) await recordChange(store, actor, eventName, params, null, e);
    throw e;
  }
}

function selectorsFrom(input: { advancedEventSelectors?: unknown; preset?: 'genai' }): TrailSettings['selectors'] | undefined {
  if (input.preset === 'genai') return { AdvancedEventSelectors: [...GENAI_PRESET] };
  if (input.advancedEventSelectors !== undefined) return { AdvancedEventSelectors: validateAdvancedSelectors(input.advancedEventSelectors) };
  return undefined;
}

/** create-trail. */
export async function createTrail(store: Store, actor: Actor, input: CreateTrailInput): Promise<TrailDescription> {
  const params = {
    name: input.name, s3BucketName: bucketOf(input.destination).bucket, destination: input.destination,
    isMultiRegionTrail: input.isMultiRegionTrail ?? false, enableLogFileValidation: input.enableLogFileValidation ?? false,
  };
  return change(store, actor, 'CreateTrail', params, async () => {
    const settings: TrailSettings = {
      destination: /^s3:\/\//.test(input.destination) ? input.destination : resolve(input.destination.replace(/^file:\/\//, '')),
      ...(input.endpoint ? { endpoint: input.endpoint } : {}),
      accountId: input.accountId ?? '000000000000',
      homeRegion: input.homeRegion ?? 'us-east-1',
      isMultiRegionTrail: input.isMultiRegionTrail ?? false,
      validation: input.enableLogFileValidation ?? false,
      deliveryIntervalMs: input.deliveryIntervalMs ?? 300_000,
      maxEventsPerFile: input.maxEventsPerFile ?? 10_000,
      digestIntervalMs: input.digestIntervalMs ?? 3_600_000,
      ...(selectorsFrom(input) ? { selectors: selectorsFrom(input) } : {}),
    };
    if (!/^\d{12}$/.test(settings.accountId)) throw new AitrailError('USAGE', `InvalidParameterValueException: --account-id must be 12 digits`);
    // Validate the whole writer configuration and create the key pair now, not at first delivery.
    const row = await insertTrail(store, input.name, settings as unknown as Record<string, unknown>, input.startLogging ?? true);
    const { TrailConfigSchema } = await import('./writer.js');
    const parsed = TrailConfigSchema.safeParse(writerConfig(store.dataDir, row));
    if (!parsed.success) {
      await deleteTrail(store, input.name);
      throw new AitrailError('USAGE', `InvalidParameterValueException: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`);
    }
    if (settings.validation) await TrailKeys.open(parsed.data.keyDir);
    return describe(row);
  }, (d) => ({ name: d.Name, trailARN: d.TrailARN, s3BucketName: d.S3BucketName, logFileValidationEnabled: d.LogFileValidationEnabled }));
}

/** describe-trails. */
export async function describeTrails(store: Store, names?: string[]): Promise<{ trailList: TrailDescription[] }> {
  const rows = await listTrails(store);
  return { trailList: rows.filter((r) => !names?.length || names.includes(r.name) || names.includes(describe(r).TrailARN)).map(describe) };
}

/** get-trail-status. */
export async function getTrailStatus(store: Store, name: string): Promise<Record<string, unknown>> {
  const r = await getTrail(store, nameOf(name));
  const out: Record<string, unknown> = { IsLogging: r.isLogging };
  if (r.latestDeliveryTime) out.LatestDeliveryTime = r.latestDeliveryTime;
  if (r.latestDigestDeliveryTime) out.LatestDigestDeliveryTime = r.latestDigestDeliveryTime;
  if (r.startLoggingTime) out.StartLoggingTime = r.startLoggingTime;
  if (r.stopLoggingTime) out.StopLoggingTime = r.stopLoggingTime;
  if (r.latestDeliveryError) out.LatestDeliveryError = r.latestDeliveryError;
  if (r.latestDeliveredFile) out.LatestDeliveredFile = r.latestDeliveredFile;
  if (r.latestDigestFile) out.LatestDigestFile = r.latestDigestFile;
  return out;
}

/** Accepts a trail name or ARN. */
export function nameOf(nameOrArn: string): string {
  const m = /:trail\/(.+)$/.exec(nameOrArn);
  return m ? m[1]! : nameOrArn;
}

/** update-trail. */
export async function updateTrail(
  store: Store,
  actor: Actor,
  name: string,
  u: { destination?: string; enableLogFileValidation?: boolean; isMultiRegionTrail?: boolean; deliveryIntervalMs?: number; maxEventsPerFile?: number },
): Promise<TrailDescription> {
  const n = nameOf(name);
  const params: Record<string, unknown> = { name: n };
  if (u.destination) params.s3BucketName = bucketOf(u.destination).bucket;
  if (u.enableLogFileValidation !== undefined) params.enableLogFileValidation = u.enableLogFileValidation;
  if (u.isMultiRegionTrail !== undefined) params.isMultiRegionTrail = u.isMultiRegionTrail;
  return change(store, actor, 'UpdateTrail', params, async () => {
    const row = await getTrail(store, n);
    const s = { ...(row.config as unknown as TrailSettings) };
    if (u.destination) s.destination = /^s3:\/\//.test(u.destination) ? u.destination : resolve(u.destination);
    if (u.enableLogFileValidation !== undefined) s.validation = u.enableLogFileValidation;
    if (u.isMultiRegionTrail !== undefined) s.isMultiRegionTrail = u.isMultiRegionTrail;
    if (u.deliveryIntervalMs !== undefined) s.deliveryIntervalMs = u.deliveryIntervalMs;
    if (u.maxEventsPerFile !== undefined) s.maxEventsPerFile = u.maxEventsPerFile;
    return describe(await updateTrailConfig(store, n, s as unknown as Record<string, unknown>));
  }, (d) => ({ name: d.Name, trailARN: d.TrailARN, logFileValidationEnabled: d.LogFileValidationEnabled }));
}

/** delete-trail. */
export async function removeTrail(store: Store, actor: Actor, name: string): Promise<void> {
  const n = nameOf(name);
  await change(store, actor, 'DeleteTrail', { name: n }, () => deleteTrail(store, n), () => null);
}

/** start-logging / stop-logging. */
export async function setLogging(store: Store, actor: Actor, name: string, logging: boolean): Promise<Record<string, unknown>> {
  const n = nameOf(name);
  await change(store, actor, logging ? 'StartLogging' : 'StopLogging', { name: n }, () => setTrailLogging(store, n, logging), () => null);
  return getTrailStatus(store, n);
}

/** get-event-selectors. */
export async function getEventSelectors(store: Store, name: string): Promise<Record<string, unknown>> {
  const row = await getTrail(store, nameOf(name));
  const s = row.config as unknown as TrailSettings;
  const arn = describe(row).TrailARN;
  if (!s.selectors) return { TrailARN: arn, EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }] };
  return { TrailARN: arn, ...s.selectors };
}

/** put-event-selectors (advanced or basic). */
export async function putEventSelectors(store: Store, actor: Actor, name: string, sel: { advanced?: unknown; basic?: unknown; preset?: 'genai' }): Promise<Record<string, unknown>> {
  const n = nameOf(name);
  const params: Record<string, unknown> = { trailName: n };
  if (sel.advanced !== undefined) params.advancedEventSelectors = sel.advanced;
  if (sel.basic !== undefined) params.eventSelectors = sel.basic;
  if (sel.preset) params.advancedEventSelectors = GENAI_PRESET;
  return change(store, actor, 'PutEventSelectors', params, async () => {
    const row = await getTrail(store, n);
    const s = { ...(row.config as unknown as TrailSettings) };
    if (sel.preset === 'genai') s.selectors = { AdvancedEventSelectors: [...GENAI_PRESET] };
    else if (sel.advanced !== undefined) s.selectors = { AdvancedEventSelectors: validateAdvancedSelectors(sel.advanced) };
    else if (sel.basic !== undefined) s.selectors = { EventSelectors: parseEventSelectors(sel.basic) };
    else throw new AitrailError('USAGE', 'InvalidParameterCombinationException: give --advanced-event-selectors, --event-selectors or --preset');
    await updateTrailConfig(store, n, s as unknown as Record<string, unknown>);
    return getEventSelectors(store, n);
  }, (r) => r);
}

/** list-public-keys for one trail (or every trail). */
export async function listPublicKeys(store: Store, name: string | undefined, range: { StartTime?: Date; EndTime?: Date }): Promise<{ PublicKeyList: unknown[] }> {
  const rows = name ? [await getTrail(store, nameOf(name))] : await listTrails(store);
  const out: unknown[] = [];
  for (const row of rows) {
    const cfg = writerConfig(store.dataDir, row);
    const keys = await TrailKeys.open(cfg.keyDir).catch(() => undefined);
    if (keys) out.push(...keys.listPublicKeys(range).PublicKeyList);
  }
  return { PublicKeyList: out };
}

/** Records a key rotation as an event (the writer picks up the new key at its next digest). */
export async function recordKeyRotation(store: Store, name: string, fingerprint: string): Promise<void> {
  await recordChange(store, { name: process.env.USER ?? 'unknown', via: 'cli' }, 'RotateTrailKey', { name }, { fingerprint });
}
