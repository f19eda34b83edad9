-- `cloudtrail_lake`: the events as a CloudTrail Lake event data store holds them (its fixed schema
-- for CloudTrail events), so Lake queries run with their data store id replaced by this name:
-- `eventtime` a TIMESTAMP, `readonly` and `managementevent` booleans, nested objects such as
-- `requestparameters` as MAP(VARCHAR, VARCHAR) (a nested value is its JSON text, as Lake flattens
-- it), read with `element_at(requestparameters, 'bucketName')`, and `eventjson` the record.
CREATE VIEW cloudtrail_lake AS
SELECT
  eventVersion AS eventversion,
  struct_pack(
    type := userIdentityType,
    principalid := userIdentityPrincipalId,
    arn := userIdentityArn,
    accountid := userIdentityAccountId,
    accesskeyid := userIdentityAccessKeyId,
    username := userIdentityUserName,
    sessioncontext := struct_pack(
      attributes := struct_pack(
        creationdate := TRY_CAST(uj.sessionContext.attributes.creationDate AS TIMESTAMPTZ)::TIMESTAMP,
        mfaauthenticated := uj.sessionContext.attributes.mfaAuthenticated),
      sessionissuer := struct_pack(
        type := sessionIssuerType,
        principalid := uj.sessionContext.sessionIssuer.principalId,
        arn := sessionIssuerArn,
        accountid := uj.sessionContext.sessionIssuer.accountId,
        username := sessionIssuerUserName),
      webidfederationdata := struct_pack(
        federatedprovider := uj.sessionContext.webIdFederationData.federatedProvider,
        attributes := TRY_CAST(uj.sessionContext.webIdFederationData.attributes AS MAP(VARCHAR, VARCHAR))),
      sourceidentity := uj.sessionContext.sourceIdentity,
      ec2roledelivery := uj.sessionContext.ec2RoleDelivery,
      ec2issuedinvpc := uj.sessionContext.ec2IssuedInVPC),
    invokedby := userIdentityInvokedBy,
    identityprovider := uj.identityProvider
  ) AS useridentity,
  eventTime AS eventtime,
  eventSource AS eventsource,
  eventName AS eventname,
  awsRegion AS awsregion,
  sourceIPAddress AS sourceipaddress,
  userAgent AS useragent,
  errorCode AS errorcode,
  errorMessage AS errormessage,
  TRY_CAST(json_extract(record, '$.requestParameters') AS MAP(VARCHAR, VARCHAR)) AS requestparameters,
  TRY_CAST(json_extract(record, '$.responseElements') AS MAP(VARCHAR, VARCHAR)) AS responseelements,
  TRY_CAST(json_extract(record, '$.additionalEventData') AS MAP(VARCHAR, VARCHAR)) AS additionaleventdata,
  requestId AS requestid,
  eventId AS eventid,
  readOnly AS readonly,
  list_transform(
    json_transform(json_extract(record, '$.resources'), '[{"ARN":"VARCHAR","accountId":"VARCHAR","type":"VARCHAR","ARNPrefix":"VARCHAR"}]'),
    r -> struct_pack(accountid := r.accountId, type := r.type, arn := r.ARN, arnprefix := r.ARNPrefix)) AS resources,
  eventType AS eventtype,
  json_extract_string(record, '$.apiVersion') AS apiversion,
  managementEvent AS managementevent,
  recipientAccountId AS recipientaccountid,
  sharedEventId AS sharedeventid,
  json_extract_string(record, '$.annotation') AS annotation,
  vpcEndpointId AS vpcendpointid,
  TRY_CAST(json_extract(record, '$.serviceEventDetails') AS MAP(VARCHAR, VARCHAR)) AS serviceeventdetails,
  TRY_CAST(json_extract(record, '$.addendum') AS MAP(VARCHAR, VARCHAR)) AS addendum,
  TRY_CAST(json_extract(record, '$.edgeDeviceDetails') AS MAP(VARCHAR, VARCHAR)) AS edgedevicedetails,
  TRY_CAST(json_extract(record, '$.insightDetails') AS MAP(VARCHAR, VARCHAR)) AS insightdetails,
  eventCategory AS eventcategory,
  CASE WHEN json_type(record, '$.tlsDetails') = 'OBJECT' THEN struct_pack(
    tlsversion := json_extract_string(record, '$.tlsDetails.tlsVersion'),
    ciphersuite := json_extract_string(record, '$.tlsDetails.cipherSuite'),
    clientprovidedhostheader := json_extract_string(record, '$.tlsDetails.clientProvidedHostHeader')) END AS tlsdetails,
  sessionCredentialFromConsole AS sessioncredentialfromconsole,
  json_extract_string(record, '$.vpcEndpointAccountId') AS vpcendpointaccountid,
  record AS eventjson,
  -- Lake's checksum of eventjson: its algorithm is not published, so there is none here.
  NULL::VARCHAR AS eventjsonchecksum
FROM (
  -- The userIdentity fields that have no column of their own, from one parse of the record.
  SELECT *, json_transform(record, '{"userIdentity":{"identityProvider":"VARCHAR","sessionContext":{"attributes":{"mfaAuthenticated":"VARCHAR","creationDate":"VARCHAR"},"sessionIssuer":{"principalId":"VARCHAR","accountId":"VARCHAR"},"webIdFederationData":{"federatedProvider":"VARCHAR","attributes":"JSON"},"sourceIdentity":"VARCHAR","ec2RoleDelivery":"VARCHAR","ec2IssuedInVPC":"VARCHAR"}}}').userIdentity AS uj
  FROM (SELECT * EXCLUDE (record, recordLarge), coalesce(record, recordLarge) AS record FROM event_store));

-- element_at on Lake's arrays (`element_at(resources, 1).arn`) is a macro of each connection
-- (Store's connectTo): one that picks its form by the argument's type cannot be stored in this
-- storage format.
-- Trino's json_array_get: the element at a 0-based index, counted from the end when negative.
CREATE MACRO json_array_get(j, i) AS json_extract(j, '$[' || CASE WHEN i >= 0 THEN '' ELSE '#' END || i || ']');
