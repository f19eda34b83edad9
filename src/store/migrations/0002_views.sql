-- `events`: the documented view over the lake (see docs/sql.md).
CREATE VIEW events AS
SELECT e.* EXCLUDE (recordHash, sourceId, sourceIndex, record, recordLarge), coalesce(e.record, e.recordLarge) AS record,
  o.uri AS sourceUri, e.sourceIndex
FROM event_store e LEFT JOIN ingested_objects o USING (sourceId);

-- Athena/Trino function names, so queries written for Athena run unchanged.
CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p);
CREATE MACRO from_iso8601_timestamp(s) AS CAST(CAST(s AS TIMESTAMPTZ) AS TIMESTAMP);
CREATE MACRO to_iso8601(t) AS strftime(CAST(t AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%gZ');
CREATE MACRO from_unixtime(x) AS CAST(to_timestamp(x) AS TIMESTAMP);
CREATE MACRO to_unixtime(t) AS epoch(CAST(t AS TIMESTAMP));
CREATE MACRO json_array_contains(j, v) AS list_contains(json_extract_string(j, '$[*]'), CAST(v AS VARCHAR));
CREATE MACRO json_size(j, p) AS json_array_length(j, p);
CREATE MACRO element_at(m, k) AS CASE WHEN typeof(m) LIKE 'MAP%' THEN m[k] ELSE json_extract_string(m, '$.' || k) END;
CREATE MACRO cardinality(l) AS len(l);
CREATE MACRO approx_distinct(x) AS approx_count_distinct(x);
CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p);
CREATE MACRO strpos(s, sub) AS instr(s, sub);

-- `cloudtrail_logs`: the Athena CloudTrail table (JsonSerDe over delivery files), column for column.
CREATE VIEW cloudtrail_logs AS
SELECT
  eventVersion AS eventversion,
  struct_pack(
    type := userIdentityType,
    principalid := userIdentityPrincipalId,
    arn := userIdentityArn,
    accountid := userIdentityAccountId,
    invokedby := userIdentityInvokedBy,
    accesskeyid := userIdentityAccessKeyId,
    username := userIdentityUserName,
    sessioncontext := struct_pack(
      attributes := struct_pack(
        mfaauthenticated := json_extract_string(record, '$.userIdentity.sessionContext.attributes.mfaAuthenticated'),
        creationdate := json_extract_string(record, '$.userIdentity.sessionContext.attributes.creationDate')),
      sessionissuer := struct_pack(
        type := sessionIssuerType,
        principalid := json_extract_string(record, '$.userIdentity.sessionContext.sessionIssuer.principalId'),
        arn := sessionIssuerArn,
        accountid := json_extract_string(record, '$.userIdentity.sessionContext.sessionIssuer.accountId'),
        username := sessionIssuerUserName),
      ec2roledelivery := json_extract_string(record, '$.userIdentity.sessionContext.ec2RoleDelivery'),
      webidfederationdata := json_extract(record, '$.userIdentity.sessionContext.webIdFederationData')),
    onbehalfof := struct_pack(
      userid := json_extract_string(record, '$.userIdentity.onBehalfOf.userId'),
      identitystorearn := json_extract_string(record, '$.userIdentity.onBehalfOf.identityStoreArn'))
  ) AS useridentity,
  json_extract_string(record, '$.eventTime') AS eventtime,
  eventSource AS eventsource,
  eventName AS eventname,
  awsRegion AS awsregion,
  sourceIPAddress AS sourceipaddress,
  userAgent AS useragent,
  errorCode AS errorcode,
  errorMessage AS errormessage,
  CAST(json_extract(record, '$.requestParameters') AS VARCHAR) AS requestparameters,
  CAST(json_extract(record, '$.responseElements') AS VARCHAR) AS responseelements,
  CAST(json_extract(record, '$.additionalEventData') AS VARCHAR) AS additionaleventdata,
  requestId AS requestid,
  eventId AS eventid,
  CASE WHEN readOnly IS NULL THEN NULL WHEN readOnly THEN 'true' ELSE 'false' END AS readonly,
  list_transform(
    json_transform(json_extract(record, '$.resources'), '[{"ARN":"VARCHAR","accountId":"VARCHAR","type":"VARCHAR"}]'),
    r -> struct_pack(arn := r.ARN, accountid := r.accountId, type := r.type)) AS resources,
  eventType AS eventtype,
  json_extract_string(record, '$.apiVersion') AS apiversion,
  recipientAccountId AS recipientaccountid,
  CAST(json_extract(record, '$.serviceEventDetails') AS VARCHAR) AS serviceeventdetails,
  sharedEventId AS sharedeventid,
  vpcEndpointId AS vpcendpointid,
  (SELECT struct_pack(tlsversion := x.tlsVersion, ciphersuite := x.cipherSuite, clientprovidedhostheader := x.clientProvidedHostHeader)
   FROM (SELECT json_transform(json_extract(record, '$.tlsDetails'), '{"tlsVersion":"VARCHAR","cipherSuite":"VARCHAR","clientProvidedHostHeader":"VARCHAR"}') AS x)) AS tlsdetails,
  -- Partition columns of the manual-partition Athena table, derived from the event.
  awsRegion AS region,
  strftime(eventTime, '%Y') AS year,
  strftime(eventTime, '%m') AS month,
  strftime(eventTime, '%d') AS day,
  strftime(eventTime, '%Y/%m/%d') AS "timestamp",
  recipientAccountId AS account
FROM (SELECT * EXCLUDE (record, recordLarge), coalesce(record, recordLarge) AS record FROM event_store);
