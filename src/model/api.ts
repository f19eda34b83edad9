/**
 * Response shapes of the read API, shared by the server and the console (types only).
 */

/** One event in the LookupEvents response shape. */
export interface LookupEvent {
  EventId: string | null;
  EventName: string;
  ReadOnly: string | null;
  AccessKeyId: string | null;
  EventTime: string;
  EventSource: string;
  Username: string | null;
  Resources: { ResourceType: string | null; ResourceName: string }[];
  CloudTrailEvent: string;
}

/** The LookupEvents response. */
export interface LookupResponse {
  Events: LookupEvent[];
  NextToken?: string;
}

/** The dashboard's numbers for one time window. */
export interface DashboardStats {
  start: string;
  end: string;
  bucket: 'hour' | 'day';
  totals: { events: number; aiEvents: number; errors: number; accessDenied: number; principals: number };
  timeline: { t: string; aiActivity: string; events: number }[];
  bedrockByModel: { modelId: string; invocations: number; errors: number }[];
  bedrockByPrincipal: { principal: string; invocations: number; models: number }[];
  sagemaker: { t: string; training: number; deployment: number }[];
  aiDataReads: { bucket: string; reads: number; principals: number }[];
  errorRates: { t: string; events: number; errors: number; accessDenied: number }[];
  topPrincipals: { principal: string; aiEvents: number; events: number }[];
  newPrincipals: { principal: string; firstSeen: string; events: number }[];
  findingsBySeverity: { severity: string; open: number; total: number }[];
}
