-- The event lake: one row per stored CloudTrail record, the whole record kept as JSON text
-- next to typed columns for the fields people filter and group on.
CREATE TABLE event_store (
  eventId VARCHAR,
  eventTime TIMESTAMP NOT NULL,
  eventVersion VARCHAR,
  eventSource VARCHAR NOT NULL,
  eventName VARCHAR NOT NULL,
  awsRegion VARCHAR,
  sourceIPAddress VARCHAR,
  userAgent VARCHAR,
  errorCode VARCHAR,
  errorMessage VARCHAR,
  readOnly BOOLEAN,
  eventType VARCHAR,
  eventCategory VARCHAR,
  managementEvent BOOLEAN,
  recipientAccountId VARCHAR,
  accountId VARCHAR,
  requestId VARCHAR,
  sharedEventId VARCHAR,
  vpcEndpointId VARCHAR,
  userIdentityType VARCHAR,
  userIdentityArn VARCHAR,
  userIdentityAccountId VARCHAR,
  userIdentityPrincipalId VARCHAR,
  userIdentityUserName VARCHAR,
  userIdentityAccessKeyId VARCHAR,
  userIdentityInvokedBy VARCHAR,
  sessionIssuerArn VARCHAR,
  sessionIssuerType VARCHAR,
  sessionIssuerUserName VARCHAR,
  mfaAuthenticated BOOLEAN,
  username VARCHAR,
  resourceTypes VARCHAR[],
  resourceArns VARCHAR[],
  aiService VARCHAR,
  aiActivity VARCHAR,
  modelId VARCHAR,
  flags VARCHAR[],
  recordHash UHUGEINT, -- content hash, kept only for records without an eventID (their dedup key)
  sourceId INTEGER,
  sourceIndex INTEGER,
  ingestedAt TIMESTAMP NOT NULL,
  -- The record's JSON text. DuckDB compresses strings (FSST) only while every value of a column
  -- is shorter than 4 KiB, so the rare larger records live in their own column.
  record VARCHAR,
  recordLarge VARCHAR
);

-- Every object or file aitrail has read: the manifest that makes reruns read only new input.
CREATE TABLE ingested_objects (
  sourceId INTEGER PRIMARY KEY,
  uri VARCHAR NOT NULL UNIQUE,
  size BIGINT,
  etag VARCHAR,
  mtimeMs BIGINT,
  status VARCHAR NOT NULL,
  events INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  message VARCHAR,
  ingestedAt TIMESTAMP NOT NULL
);

-- Input that could not be stored as an event, kept raw so nothing is lost.
CREATE SEQUENCE reject_seq START 1;
CREATE TABLE rejects (
  rejectId BIGINT PRIMARY KEY DEFAULT nextval('reject_seq'),
  sourceUri VARCHAR NOT NULL,
  recordIndex INTEGER,
  line INTEGER,
  code VARCHAR NOT NULL,
  reason VARCHAR NOT NULL,
  raw VARCHAR,
  rawPath VARCHAR,
  rejectedAt TIMESTAMP NOT NULL
);

-- Per-store settings (AI classification name lists, ...), JSON values.
CREATE TABLE settings (
  key VARCHAR PRIMARY KEY,
  value JSON NOT NULL
);
