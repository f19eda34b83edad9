-- `cloudtrail_logs` again, with `tlsdetails` built in the row instead of by a subquery per row:
-- DuckDB planned that subquery as a join over every record, even for queries that never read
-- the column, so `SELECT count(*) FROM cloudtrail_logs` read and held all records (6 s and
-- about 900 MB on 1M events, and out of memory with other columns). A record without a
-- `tlsDetails` object now has a NULL `tlsdetails`, as Athena's JsonSerDe gives it.
CREATE OR REPLACE VIEW cloudtrail_logs AS
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
  CASE WHEN json_type(record, '$.tlsDetails') = 'OBJECT' THEN struct_pack(
    tlsversion := json_extract_string(record, '$.tlsDetails.tlsVersion'),
    ciphersuite := json_extract_string(record, '$.tlsDetails.cipherSuite'),
    clientprovidedhostheader := json_extract_string(record, '$.tlsDetails.clientProvidedHostHeader')) END AS tlsdetails,
  -- Partition columns of the manual-partition Athena table, derived from the event.
  awsRegion AS region,
  strftime(eventTime, '%Y') AS year,
  strftime(eventTime, '%m') AS month,
  strftime(eventTime, '%d') AS day,
  strftime(eventTime, '%Y/%m/%d') AS "timestamp",
  recipientAccountId AS account
FROM (SELECT * EXCLUDE (record, recordLarge), coalesce(record, recordLarge) AS record FROM event_store);
