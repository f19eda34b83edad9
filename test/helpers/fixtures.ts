/**
 * Synthetic CloudTrail records and delivery files for tests (written here, not copied).
 */
import { mkdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';

let counter = 0;

/** A deterministic UUID-shaped id. */
export function uuid(n: number): string {
  const h = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${h}`;
}

/** Builds a CloudTrail record with sensible defaults; `over` replaces top-level fields. */
export function record(over: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEID:alice',
      arn: 'arn:aws:sts::111122223333:assumed-role/DataScientist/alice',
      accountId: '111122223333',
      accessKeyId: 'ASIAEXAMPLEKEY000001',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEID',
          arn: 'arn:aws:iam::111122223333:role/DataScientist',
          accountId: '111122223333',
          userName: 'DataScientist',
        },
        attributes: { creationDate: '2026-11-01T08:00:00Z', mfaAuthenticated: 'true' },
      },
    },
    eventTime: '2026-11-01T10:00:00Z',
    eventSource: 'bedrock.amazonaws.com',
    eventName: 'InvokeModel',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'Boto3/1.35.0 md/Botocore#1.35.0',
    requestParameters: { modelId: 'anthropic.claude-3-haiku-20240307-v1:0' },
    responseElements: null,
    requestID: uuid(1_000_000 + counter),
    eventID: uuid(counter),
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
    ...over,
  };
}

/** A fresh temporary folder. */
export function tempDir(prefix = 'aitrail-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes a folder. */
export function rmDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes `{"Records":[…]}` gzipped at `path` (relative to `root`). */
export function writeDelivery(root: string, path: string, records: unknown[], gzip = true): string {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  const body = JSON.stringify({ Records: records });
  writeFileSync(full, gzip ? gzipSync(body) : body);
  return full;
}

/** The S3 key of a delivery file as CloudTrail names it. */
export function deliveryKey(account: string, region: string, when: Date, unique: string): string {
  const y = when.getUTCFullYear();
  const m = String(when.getUTCMonth() + 1).padStart(2, '0');
  const d = String(when.getUTCDate()).padStart(2, '0');
  const hh = String(when.getUTCHours()).padStart(2, '0');
  const mm = String(when.getUTCMinutes()).padStart(2, '0');
  return `AWSLogs/${account}/CloudTrail/${region}/${y}/${m}/${d}/${account}_CloudTrail_${region}_${y}${m}${d}T${hh}${mm}Z_${unique}.json.gz`;
}

/** Writes a file with arbitrary content. */
export function writeRaw(root: string, path: string, content: string | Buffer): string {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
  return full;
}
