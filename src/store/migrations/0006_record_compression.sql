-- aitrail:requires-storage v1.2.0
-- The record columns move to zstd compression (block-wise, so CloudTrail's repetitive JSON shrinks
-- to a fraction of its size), and the rows are rewritten in eventTime order so that time-range
-- scans and record fetches touch few row groups. Stores created in the older storage format skip this.
CREATE TABLE event_store_zstd (
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
  recordHash UHUGEINT,
  sourceId INTEGER,
  sourceIndex INTEGER,
  ingestedAt TIMESTAMP NOT NULL,
  record VARCHAR USING COMPRESSION zstd,
  recordLarge VARCHAR USING COMPRESSION zstd,
  seq BIGINT
);
INSERT INTO event_store_zstd SELECT * FROM event_store ORDER BY eventTime, seq;
DROP TABLE event_store;
ALTER TABLE event_store_zstd RENAME TO event_store;
