-- Findings written by detections; one row per (rule, dedup key) episode.
CREATE TABLE findings (
  findingId VARCHAR PRIMARY KEY,
  ruleId VARCHAR NOT NULL,
  title VARCHAR NOT NULL,
  severity VARCHAR NOT NULL,
  attack VARCHAR[],
  principal VARCHAR,
  accountId VARCHAR,
  region VARCHAR,
  firstEventTime TIMESTAMP NOT NULL,
  lastEventTime TIMESTAMP NOT NULL,
  eventCount BIGINT NOT NULL,
  eventIds VARCHAR[] NOT NULL,
  status VARCHAR NOT NULL,
  dedupKey VARCHAR NOT NULL,
  groupKey VARCHAR,
  createdAt TIMESTAMP NOT NULL,
  updatedAt TIMESTAMP NOT NULL,
  statusNote VARCHAR,
  statusBy VARCHAR
);
CREATE INDEX findings_dedup ON findings (dedupKey);

-- Suppressions: findings of a rule (and optionally one principal) are suppressed until expiry.
CREATE SEQUENCE suppression_seq START 1;
CREATE TABLE suppressions (
  suppressionId BIGINT PRIMARY KEY DEFAULT nextval('suppression_seq'),
  ruleId VARCHAR NOT NULL,
  principal VARCHAR,
  reason VARCHAR,
  expiresAt TIMESTAMP,
  createdAt TIMESTAMP NOT NULL,
  createdBy VARCHAR
);

-- Enable/disable overrides for rules (built-in rules are enabled unless listed here).
CREATE TABLE rule_settings (
  ruleId VARCHAR PRIMARY KEY,
  enabled BOOLEAN NOT NULL,
  updatedAt TIMESTAMP NOT NULL
);
