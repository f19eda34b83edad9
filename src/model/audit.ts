/**
 * aitrail's own events (API calls, console actions, trail changes) as CloudTrail-shaped records.
 */
import { randomUUID } from 'node:crypto';

/** The eventSource of aitrail's own events. */
export const AITRAIL_EVENT_SOURCE = 'aitrail.local';

/** Who acted: an API token's principal, or a local user of the CLI. */
export interface Actor {
  tokenId?: string;
  name: string;
  role?: string;
  via: 'bearer' | 'session' | 'cli';
}

/** One audited action. */
export interface AuditEntry {
  eventName: string;
  principal: Actor | undefined;
  sourceIPAddress: string;
  userAgent: string | undefined;
  readOnly: boolean;
  requestParameters: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  errorCode?: string;
  errorMessage?: string;
  eventType?: 'AwsApiCall' | 'AwsConsoleSignIn';
  time?: Date;
}

/** Builds the CloudTrail-shaped record of an audited action. */
export function auditRecord(e: AuditEntry): Record<string, unknown> {
  const p = e.principal;
  const t = (e.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const identity = !p
    ? { type: 'Unknown', principalId: 'anonymous' }
    : p.via === 'cli'
      ? { type: 'LocalUser', principalId: p.name, arn: `arn:aitrail:iam::local:user/${p.name}`, accountId: 'aitrail', userName: p.name }
      : {
          type: 'AitrailToken',
          principalId: p.tokenId,
          arn: `arn:aitrail:iam::local:token/${p.name}`,
          accountId: 'aitrail',
          accessKeyId: p.tokenId,
          userName: p.name,
          sessionContext: { attributes: { mfaAuthenticated: 'false' }, role: p.role },
        };
  const rec: Record<string, unknown> = {
    eventVersion: '1.11',
    userIdentity: identity,
    eventTime: t,
    eventSource: AITRAIL_EVENT_SOURCE,
    eventName: e.eventName,
    awsRegion: 'local',
    sourceIPAddress: e.sourceIPAddress,
    userAgent: e.userAgent ?? '',
    requestParameters: e.requestParameters,
    responseElements: e.responseElements ?? null,
    requestID: randomUUID(),
    eventID: randomUUID(),
    readOnly: e.readOnly,
    eventType: e.eventType ?? 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: 'aitrail',
    eventCategory: 'Management',
  };
  if (p?.via === 'session') rec.sessionCredentialFromConsole = 'true';
  if (e.errorCode) {
    rec.errorCode = e.errorCode;
    rec.errorMessage = e.errorMessage ?? '';
  }
  return rec;
}
