-- API tokens: shown once at creation, stored as a SHA-256 of their secret.
CREATE TABLE api_tokens (
  tokenId VARCHAR PRIMARY KEY,
  name VARCHAR NOT NULL,
  role VARCHAR NOT NULL,
  secretHash VARCHAR NOT NULL,
  createdAt TIMESTAMP NOT NULL,
  createdBy VARCHAR,
  revokedAt TIMESTAMP,
  lastUsedAt TIMESTAMP
);

-- Saved SQL queries of the console's workbench.
CREATE TABLE saved_queries (
  queryId VARCHAR PRIMARY KEY,
  name VARCHAR NOT NULL,
  sql VARCHAR NOT NULL,
  createdBy VARCHAR,
  createdAt TIMESTAMP NOT NULL
);
