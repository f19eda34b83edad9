/**
 * Dashboard statistics: AI activity over time, Bedrock invocations by model and principal,
 * SageMaker training and deployments, AI data reads, error rates, principals, findings.
 */
import { sqlTime } from '../query/lookup.js';
import { plain } from './events.js';
import type { Store } from './db.js';
import type { DashboardStats } from '../model/api.js';

export type { DashboardStats } from '../model/api.js';

/**
 * Computes the dashboard for [start, end]. Pass a Store, or a function that runs a query on any
 * free connection: the dashboard's queries are independent and then run side by side.
 */
export async function dashboardStats(on: Store | (<T>(fn: (s: Store) => Promise<T>) => Promise<T>), start: Date, end: Date): Promise<DashboardStats> {
  const run = typeof on === 'function' ? on : <T>(fn: (s: Store) => Promise<T>) => fn(on);
  const bucket: 'hour' | 'day' = end.getTime() - start.getTime() <= 2 * 86_400_000 ? 'hour' : 'day';
  const p = [sqlTime(start), sqlTime(end)];
  const win = `eventTime BETWEEN CAST(? AS TIMESTAMP) AND CAST(? AS TIMESTAMP)`;
  const q = async <T>(sql: string, params: unknown[] = p): Promise<T[]> => plain(await run((s) => s.all(sql, params as never))) as T[];
  const totalsQ = q<DashboardStats['totals']>(`SELECT count(*) AS events, count(aiActivity) AS aiEvents, count(errorCode) AS errors,
      count(*) FILTER (WHERE errorCode LIKE 'AccessDenied%' OR errorCode LIKE '%UnauthorizedOperation') AS accessDenied,
      count(DISTINCT userIdentityArn) AS principals FROM event_store WHERE ${win}`);
  const timelineQ = q<DashboardStats['timeline'][number]>(`SELECT date_trunc('${bucket}', eventTime) AS t, coalesce(aiActivity, 'not AI') AS aiActivity, count(*) AS events
    FROM event_store WHERE ${win} GROUP BY ALL ORDER BY 1, 2`);
  const bedrockByModelQ = q<DashboardStats['bedrockByModel'][number]>(`SELECT modelId, count(*) AS invocations, count(errorCode) AS errors FROM event_store
    WHERE ${win} AND aiService = 'bedrock' AND aiActivity = 'inference' AND modelId IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 15`);
  const bedrockByPrincipalQ = q<DashboardStats['bedrockByPrincipal'][number]>(`SELECT coalesce(userIdentityArn, userIdentityInvokedBy, '(unknown)') AS principal, count(*) AS invocations,
    count(DISTINCT modelId) AS models FROM event_store WHERE ${win} AND aiService = 'bedrock' AND aiActivity = 'inference' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 15`);
  const sagemakerQ = q<DashboardStats['sagemaker'][number]>(`SELECT date_trunc('${bucket}', eventTime) AS t,
      count(*) FILTER (WHERE aiActivity = 'training' AND NOT coalesce(readOnly, FALSE)) AS training,
      count(*) FILTER (WHERE aiActivity = 'deployment' AND NOT coalesce(readOnly, FALSE)) AS deployment
    FROM event_store WHERE ${win} AND aiService = 'sagemaker' GROUP BY 1 ORDER BY 1`);
  const aiDataReadsQ = q<DashboardStats['aiDataReads'][number]>(`SELECT coalesce(json_extract_string(coalesce(record, recordLarge), '$.requestParameters.bucketName'), '(unknown)') AS bucket,
      count(*) AS reads, count(DISTINCT userIdentityArn) AS principals
    FROM event_store WHERE ${win} AND aiService = 's3' AND aiActivity = 'data-access' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 15`);
  const errorRatesQ = q<DashboardStats['errorRates'][number]>(`SELECT date_trunc('${bucket}', eventTime) AS t, count(*) AS events, count(errorCode) AS errors,
      count(*) FILTER (WHERE errorCode LIKE 'AccessDenied%' OR errorCode LIKE '%UnauthorizedOperation') AS accessDenied
    FROM event_store WHERE ${win} GROUP BY 1 ORDER BY 1`);
  const topPrincipalsQ = q<DashboardStats['topPrincipals'][number]>(`SELECT coalesce(userIdentityArn, userIdentityInvokedBy, '(unknown)') AS principal,
      count(aiActivity) AS aiEvents, count(*) AS events FROM event_store WHERE ${win} GROUP BY 1 ORDER BY 2 DESC, 3 DESC, 1 LIMIT 10`);
  const newPrincipalsQ = q<DashboardStats['newPrincipals'][number]>(`SELECT principal, firstSeen, events FROM (
      SELECT userIdentityArn AS principal, min(eventTime) AS firstSeen, count(*) FILTER (WHERE ${win}) AS events
      FROM event_store WHERE userIdentityArn IS NOT NULL AND eventTime <= CAST(? AS TIMESTAMP) GROUP BY 1)
    WHERE firstSeen >= CAST(? AS TIMESTAMP) ORDER BY firstSeen DESC LIMIT 20`, [...p, p[1], p[0]]);
  const findingsBySeverityQ = q<DashboardStats['findingsBySeverity'][number]>(`SELECT severity, count(*) FILTER (WHERE status = 'open') AS open, count(*) AS total FROM findings
    GROUP BY 1 ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END`, []);
  const [totalsRows, timeline, bedrockByModel, bedrockByPrincipal, sagemaker, aiDataReads, errorRates, topPrincipals, newPrincipals, findingsBySeverity] = await Promise.all([totalsQ, timelineQ, bedrockByModelQ, bedrockByPrincipalQ, sagemakerQ, aiDataReadsQ, errorRatesQ, topPrincipalsQ, newPrincipalsQ, findingsBySeverityQ]);
  const totals = totalsRows[0]!;
  return { start: start.toISOString(), end: end.toISOString(), bucket, totals, timeline, bedrockByModel, bedrockByPrincipal, sagemaker, aiDataReads, errorRates, topPrincipals, newPrincipals, findingsBySeverity };
}
