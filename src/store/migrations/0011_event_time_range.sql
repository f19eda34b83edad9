-- Ingest now rejects an eventTime outside years 0000-9999 (DuckDB reads `infinity` and years up to
-- 294247, which no JavaScript Date holds: detections and summaries stopped on them). Events of
-- such times already stored move to `rejects`, their records kept there as the raw text.
INSERT INTO rejects (sourceUri, recordIndex, line, code, reason, raw, rawPath, rejectedAt)
SELECT coalesce(o.uri, 'stored event ' || coalesce(e.eventId, '?')), e.sourceIndex, NULL, 'INGEST_BAD_RECORD',
  'eventTime ' || coalesce(to_json(json_extract_string(coalesce(e.record, e.recordLarge), '$.eventTime')),
    to_json(json_extract_string(coalesce(e.record, e.recordLarge), '$."@timestamp"')), 'null') || ' is outside years 0000 to 9999',
  coalesce(e.record, e.recordLarge), NULL, now()
FROM event_store e LEFT JOIN ingested_objects o ON o.sourceId = e.sourceId
WHERE e.eventTime < TIMESTAMP '0000-01-01' OR e.eventTime >= TIMESTAMP '10000-01-01';
DELETE FROM event_store WHERE eventTime < TIMESTAMP '0000-01-01' OR eventTime >= TIMESTAMP '10000-01-01';
