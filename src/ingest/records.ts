/**
 * Loading records that arrive in memory (pushed through the API, or aitrail's own self-audit
 * events) through the same validation, classification and dedup as files. Each channel is one
 * manifest row (`push:<name>`, `audit:aitrail`); records are numbered within it.
 */
import { defaultAiConfig, type AiClassificationConfig } from '../model/ai-activity.js';
import type { Store } from '../store/db.js';
import { ensurePushTables, loadRelation, type LoadResult } from '../store/load.js';
import { surrogateProblem } from './formats.js';
import { sqlTime } from '../query/lookup.js';

const channels = new WeakMap<Store, Map<string, { sourceId: number; next: number }>>();
const configs = new WeakMap<Store, { at: number; cfg: AiClassificationConfig }>();

// The classification settings change rarely (ai-config); re-read them at most every few seconds.
async function configOf(store: Store): Promise<AiClassificationConfig> {
  const hit = configs.get(store);
  if (hit && Date.now() - hit.at < 5000) return hit.cfg;
  const cfg = (await store.getSetting<AiClassificationConfig>('aiClassification')) ?? defaultAiConfig();
  configs.set(store, { at: Date.now(), cfg });
  return cfg;
}

async function channelOf(store: Store, uri: string): Promise<{ sourceId: number; next: number }> {
  let m = channels.get(store);
  if (!m) channels.set(store, (m = new Map()));
  const hit = m.get(uri);
  if (hit) return hit;
  let row = await store.one('SELECT sourceId FROM ingested_objects WHERE uri = ?', [uri]);
  if (!row) {
    const id = Number((await store.one('SELECT coalesce(max(sourceId), 0) + 1 AS n FROM ingested_objects'))!.n);
    await store.run(`INSERT INTO ingested_objects (sourceId, uri, status, ingestedAt) VALUES (?, ?, 'ok', now())`, [id, uri]);
    row = { sourceId: id };
  }
  const sourceId = Number(row.sourceId);
  const next = Number((await store.one('SELECT coalesce(max(sourceIndex), -1) + 1 AS n FROM event_store WHERE sourceId = ?', [sourceId]))!.n);
  const ch = { sourceId, next: Math.max(next, Number((await store.one('SELECT coalesce(max(recordIndex), -1) + 1 AS n FROM rejects WHERE sourceUri = ?', [uri]))!.n)) };
  m.set(uri, ch);
  return ch;
}

/** The outcome for each record passed to loadRecords, in order. */
export interface RecordOutcome {
  index: number;
  status: 'stored' | 'duplicate' | 'rejected';
  eventId: string | null;
  reason?: string;
  /** With `withSeq`: the stored row's `seq` (stored records only). */
  seq?: number;
  /** With `withSeq`: the text stored for the record (stored records only). */
  text?: string;
}

/** The text the store keeps for a pushed record: JSON's insignificant newlines folded into spaces. */
function storedText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/**
 * Loads raw JSON record texts into the store for a channel, in one transaction. Texts must be
 * single JSON values; newlines between tokens are allowed.
 */
export async function loadRecords(
  store: Store,
  channelUri: string,
  texts: string[],
  cfg?: AiClassificationConfig,
  opts: { withSeq?: boolean } = {},
): Promise<{ result: LoadResult; outcomes: RecordOutcome[] }> {
  const config = cfg ?? (await configOf(store));
  // The texts travel as one parameter (newline-separated; JSON folds its own newlines into
  // spaces) into temp tables that live as long as the connection: the statements of a push are
  // then prepared once and reused.
  await ensurePushTables(store, config);
  const stored = texts.map(storedText);
  // A text holding half a surrogate pair would fail DuckDB's JSON reader, and the whole push with
  // it: it is rejected alone.
  const bad = stored.map((t) => surrogateProblem(t) ?? '');
  return store.transaction(async () => {
    const ch = await channelOf(store, channelUri);
    const base = ch.next;
    {
      await store.runPrepared('DELETE FROM incoming', {});
      await store.runPrepared(
        `INSERT INTO incoming SELECT $sid, CAST($base + i - 1 AS INTEGER), NULL, CASE WHEN r = '' THEN t END,
           CASE WHEN r <> '' THEN 'INGEST_BAD_RECORD' END, nullif(r, ''), CASE WHEN r <> '' THEN t END, NULL, CAST($ts AS TIMESTAMP)
         FROM (SELECT unnest(l) AS t, unnest(b) AS r, generate_subscripts(l, 1) AS i FROM (SELECT string_split($blob, chr(10)) AS l, string_split($bad, chr(10)) AS b))`,
        { sid: ch.sourceId, base, blob: stored.join('\n'), bad: bad.join('\n'), ts: sqlTime(new Date()) },
      );
      const result = await loadRelation(store, 'SELECT * FROM incoming', new Map([[ch.sourceId, channelUri]]), config, { rejectLimit: texts.length, keepDecisions: true, incoming: true, expectedRows: texts.length, withSeq: opts.withSeq });

      ch.next = base + texts.length;
      const c = result.perSource.get(ch.sourceId);
      await store.runPrepared(
        `UPDATE ingested_objects SET events = events + $a, duplicates = duplicates + $d, rejected = rejected + $r, ingestedAt = now() WHERE sourceId = $id`,
        { a: c?.added ?? 0, d: c?.duplicates ?? 0, r: c?.rejected ?? 0, id: ch.sourceId },
      );
      const rejectBy = new Map(result.rejects.map((r) => [r.idx, r.reason]));
      const outcomes: RecordOutcome[] = texts.map((_, k) => {
        const idx = base + k;
        const reason = rejectBy.get(idx);
        if (reason !== undefined) return { index: k, status: 'rejected', eventId: null, reason };
        const d = result.decisions?.get(idx);
        if (d?.duplicate) return { index: k, status: 'duplicate', eventId: d.eventId };
        return { index: k, status: 'stored', eventId: d?.eventId ?? null, ...(d?.seq != null ? { seq: d.seq, text: stored[k]! } : {}) };
      });
      return { result, outcomes };
    }
  });
}
