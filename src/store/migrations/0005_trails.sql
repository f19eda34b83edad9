-- Insertion order of events, so trails can deliver everything stored after a point exactly once.
CREATE SEQUENCE event_seq START 1;
ALTER TABLE event_store ADD COLUMN seq BIGINT;

-- aitrail's own trails: what they record, where they deliver, and whether they are logging.
CREATE TABLE trails (
  name VARCHAR PRIMARY KEY,
  config JSON NOT NULL,
  isLogging BOOLEAN NOT NULL,
  startSeq BIGINT NOT NULL,
  createdAt TIMESTAMP NOT NULL,
  updatedAt TIMESTAMP NOT NULL,
  startLoggingTime TIMESTAMP,
  stopLoggingTime TIMESTAMP,
  latestDeliveryTime TIMESTAMP,
  latestDeliveryError VARCHAR,
  latestDigestDeliveryTime TIMESTAMP,
  latestDeliveredFile VARCHAR,
  latestDigestFile VARCHAR
);
