/** Ready-made AI-audit queries for the SQL workbench. */
export interface GalleryQuery {
  name: string;
  description: string;
  sql: string;
}

export const GALLERY: GalleryQuery[] = [
  {
    name: 'Who invoked which model',
    description: 'Bedrock inference calls per principal and model in the last 7 days.',
    sql: `SELECT userIdentityArn AS principal, modelId,
       count(*) AS invocations,
       count(errorCode) AS errors,
       min(eventTime) AS first_call,
       max(eventTime) AS last_call
FROM events
WHERE aiService = 'bedrock' AND aiActivity = 'inference'
  AND eventTime > now() - INTERVAL 7 DAY
GROUP BY ALL
ORDER BY invocations DESC
LIMIT 200`,
  },
  {
    name: 'Bedrock invocations per hour',
    description: 'Inference calls over time (draws a line chart).',
    sql: `SELECT date_trunc('hour', eventTime) AS hour,
       count(*) AS invocations,
       count(errorCode) AS errors
FROM events
WHERE aiService = 'bedrock' AND aiActivity = 'inference'
  AND eventTime > now() - INTERVAL 3 DAY
GROUP BY 1
ORDER BY 1`,
  },
  {
    name: 'Training jobs by principal',
    description: 'SageMaker training and tuning jobs started, per principal.',
    sql: `SELECT userIdentityArn AS principal,
       count(*) AS jobs,
       count(errorCode) AS failed_calls,
       list(DISTINCT record->>'$.requestParameters.resourceConfig.instanceType') AS instance_types,
       max(eventTime) AS last_started
FROM events
WHERE eventSource = 'sagemaker.amazonaws.com'
  AND eventName IN ('CreateTrainingJob', 'CreateHyperParameterTuningJob')
GROUP BY 1
ORDER BY jobs DESC`,
  },
  {
    name: 'Data read per AI bucket',
    description: 'Object reads and bytes sent out of the buckets that hold training data and models.',
    sql: `SELECT record->>'$.requestParameters.bucketName' AS bucket,
       count(*) AS reads,
       count(DISTINCT userIdentityArn) AS principals,
       round(sum(TRY_CAST(record->>'$.additionalEventData.bytesTransferredOut' AS DOUBLE)) / 1e9, 2) AS gb_out
FROM events
WHERE aiService = 's3' AND aiActivity = 'data-access'
GROUP BY 1
ORDER BY gb_out DESC NULLS LAST`,
  },
  {
    name: 'First-time model users',
    description: 'Principal and model pairs whose first invocation happened in the last 7 days.',
    sql: `SELECT userIdentityArn AS principal, modelId,
       min(eventTime) AS first_invocation,
       count(*) AS invocations
FROM events
WHERE aiService = 'bedrock' AND aiActivity = 'inference' AND modelId IS NOT NULL
GROUP BY ALL
HAVING min(eventTime) > now() - INTERVAL 7 DAY
ORDER BY first_invocation DESC`,
  },
  {
    name: 'AccessDenied on Bedrock',
    description: 'Denied Bedrock calls by principal and model: the signature of stolen keys trying models.',
    sql: `SELECT userIdentityArn AS principal,
       coalesce(modelId, '(no model)') AS model,
       count(*) AS denied,
       list(DISTINCT eventName) AS calls,
       list(DISTINCT sourceIPAddress) AS source_ips,
       max(eventTime) AS last_denied
FROM events
WHERE eventSource = 'bedrock.amazonaws.com'
  AND (errorCode LIKE 'AccessDenied%' OR errorCode = 'ValidationException')
GROUP BY 1, 2
ORDER BY denied DESC`,
  },
  {
    name: 'GPU instance launches by region',
    description: 'EC2 launches of accelerator instances (p, g, trn, inf families) per region and type.',
    sql: `SELECT awsRegion,
       record->>'$.requestParameters.instanceType' AS instance_type,
       count(*) AS launches,
       sum(TRY_CAST(record->>'$.requestParameters.instancesSet.items[0].maxCount' AS INTEGER)) AS instances,
       count(errorCode) AS failed,
       list(DISTINCT userIdentityArn) AS principals
FROM events
WHERE eventName IN ('RunInstances', 'CreateFleet', 'RequestSpotInstances')
  AND aiActivity = 'compute'
GROUP BY 1, 2
ORDER BY launches DESC`,
  },
  {
    name: 'Model-access API calls (LLMjacking recon)',
    description: 'Calls that check or enable model access and logging: what an attacker runs before abusing a key.',
    sql: `SELECT eventTime, userIdentityArn AS principal, eventName, awsRegion,
       sourceIPAddress, userAgent, errorCode
FROM events
WHERE eventSource = 'bedrock.amazonaws.com'
  AND eventName IN ('GetFoundationModelAvailability', 'ListFoundationModelAgreementOffers',
                    'GetUseCaseForModelAccess', 'PutUseCaseForModelAccess',
                    'CreateFoundationModelAgreement', 'PutFoundationModelEntitlement',
                    'GetModelInvocationLoggingConfiguration')
ORDER BY eventTime DESC
LIMIT 500`,
  },
  {
    name: 'Invocation-logging and guardrail changes',
    description: 'Every write to Bedrock model invocation logging and guardrails.',
    sql: `SELECT eventTime, userIdentityArn AS principal, eventName, aiActivity,
       record->>'$.requestParameters.guardrailIdentifier' AS guardrail,
       errorCode
FROM events
WHERE aiActivity IN ('invocation-logging', 'guardrails')
  AND NOT coalesce(readOnly, false)
ORDER BY eventTime DESC`,
  },
  {
    name: 'Athena: Bedrock callers (cloudtrail_logs)',
    description: 'An Athena query over the CloudTrail table, unchanged.',
    sql: `SELECT useridentity.arn, eventname,
       count(*) AS calls,
       count_if(errorcode IS NOT NULL) AS errors
FROM cloudtrail_logs
WHERE eventsource = 'bedrock.amazonaws.com'
  AND from_iso8601_timestamp(eventtime) > current_date - INTERVAL 7 DAY
GROUP BY 1, 2
ORDER BY calls DESC
LIMIT 100`,
  },
  {
    name: 'Athena playbook: reads of training buckets (cloudtrail_logs)',
    description: "As AWS's incident response playbooks write it: members of JSON text and date_parse work.",
    sql: `SELECT useridentity.arn AS principal, sourceipaddress,
       requestParameters.bucketName AS bucket,
       count(*) AS reads,
       sum(CAST(additionalEventData.bytesTransferredOut AS BIGINT)) AS bytes_out,
       max(date_parse(eventtime, '%Y-%m-%dT%H:%i:%sZ')) AS last_read
FROM cloudtrail_logs
WHERE eventsource = 's3.amazonaws.com' AND eventname = 'GetObject'
  AND requestParameters.bucketName LIKE '%training%'
GROUP BY 1, 2, 3
ORDER BY reads DESC
LIMIT 100`,
  },
  {
    name: 'CloudTrail Lake: Bedrock calls by principal (cloudtrail_lake)',
    description: 'A CloudTrail Lake query, its data store id replaced by cloudtrail_lake.',
    sql: `SELECT userIdentity.arn, eventName, element_at(requestParameters, 'modelId') AS model,
       COUNT(*) AS apiCount
FROM cloudtrail_lake
WHERE eventSource = 'bedrock.amazonaws.com'
  AND eventTime > '2020-01-01 00:00:00'
GROUP BY 1, 2, 3
ORDER BY apiCount DESC
LIMIT 100`,
  },
  {
    name: 'Open findings by rule',
    description: 'What detections found and is still open.',
    sql: `SELECT ruleId, severity, count(*) AS findings, sum(eventCount) AS events,
       max(lastEventTime) AS latest
FROM findings
WHERE status = 'open'
GROUP BY 1, 2
ORDER BY findings DESC`,
  },
];
