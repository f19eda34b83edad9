-- `sessionCredentialFromConsole` gets a typed column, so rules and filters about console sessions
-- (model access, LLMjacking, presigned URLs) read it without the record. Stored rows take it
-- from their records; a value that is not a string is flagged `odd-typed-field`, as ingest does.
ALTER TABLE event_store ADD COLUMN sessionCredentialFromConsole VARCHAR;
UPDATE event_store SET
  sessionCredentialFromConsole = json_extract_string(coalesce(record, recordLarge), '$.sessionCredentialFromConsole'),
  flags = CASE
    WHEN json_type(coalesce(record, recordLarge), '$.sessionCredentialFromConsole') <> 'VARCHAR'
      AND NOT list_contains(coalesce(flags, []), 'odd-typed-field') THEN list_append(coalesce(flags, []), 'odd-typed-field')
    ELSE flags END
WHERE contains(coalesce(record, recordLarge), 'sessionCredentialFromConsole');
