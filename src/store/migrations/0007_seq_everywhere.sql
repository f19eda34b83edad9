-- Rows stored before event_seq existed get a unique negative seq: lookups page on (eventTime, seq),
-- and trails, which deliver rows above their start seq, never see these as new.
UPDATE event_store SET seq = -1 - rowid WHERE seq IS NULL;
