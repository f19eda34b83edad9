/**
 * The bulk load step shared by every input path: a relation of (sourceId, idx, line, rec JSON)
 * rows is validated per record, classified, deduplicated and written to the lake in one
 * transaction together with the manifest rows of the files it came from.
 */
import { defaultAiConfig, type AiClassificationConfig } from '../model/ai-activity.js';
import { classificationSql, conditionSql, modelIdSql, normalizedEventNameSql } from './classify.js';
import type { DuckDBValue } from '@duckdb/node-api';
import { sqlString, type Row, type Store } from './db.js';
import { sqlTime } from '../query/lookup.js';

/** Paths extracted once per record (index+1 is the SQL list position). */
const PATHS = [
  'eventVersion', 'eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent', 'errorCode',
  'errorMessage', 'readOnly', 'eventType', 'eventCategory', 'managementEvent', 'recipientAccountId', 'requestID', 'eventID',
  'sharedEventID', 'vpcEndpointId', 'userIdentity.type', 'userIdentity.arn', 'userIdentity.accountId',
  'userIdentity.principalId', 'userIdentity.userName', 'userIdentity.accessKeyId', 'userIdentity.invokedBy',
  'userIdentity.sessionContext.sessionIssuer.arn', 'userIdentity.sessionContext.sessionIssuer.type',
  'userIdentity.sessionContext.sessionIssuer.userName', 'userIdentity.sessionContext.sessionIssuer.accountId',
  'userIdentity.sessionContext.attributes.mfaAuthenticated', 'requestParameters.bucketName', 'requestParameters.functionName',
  'requestParameters.repositoryName', 'requestParameters.instanceType', 'responseElements.instancesSet.items[0].instanceType',
  'requestParameters.modelId', 'requestParameters.modelIdentifier', 'requestParameters.baseModelIdentifier',
  'requestParameters.modelName', 'requestParameters.endpointName', 'requestParameters.modelArn', 'insightDetails.eventSource',
  'insightDetails.eventName', '"@timestamp"', 'userIdentity.onBehalfOf.userId', 'requestParameters.model', 'resources[0].ARN', 'resources[0].type',
  'resources[1].ARN', 'resources[1].type', 'resources[2].ARN', 'resources[2].type', 'sessionCredentialFromConsole',
] as const;
type PathName = (typeof PATHS)[number];
/** The column a path's value is in (see stagedSelect). */
const v = (p: PathName): string => `v${PATHS.indexOf(p) + 1}`;

/**
 * A path of PATHS' form (`a.b.c`, a quoted member `"@x"`) as DuckDB's JSON path argument. DuckDB
 * reads a `$.` path anew, member by member, for every row; a JSON pointer (RFC 6901, `/a/b/c`)
 * goes to yyjson's own lookup, with the same values. A path with a list index keeps the `$.`
 * form: a pointer's `/0` would also find an object's member "0", where `[0]` finds nothing.
 */
function jsonPath(path: string): string {
  const steps = pathSteps(path);
  if (steps.some((s) => typeof s === 'number')) return '$.' + path;
  return steps.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** The members and list items a path goes through: `a.b[0].c` → a, b, 0, c. */
function pathSteps(path: string): (string | number)[] {
  const steps: (string | number)[] = [];
  for (const part of path.match(/"[^"]*"|[^.]+/g) ?? []) {
    const m = /^([^[]+)\[(\d+)\]$/.exec(part);
    if (m) steps.push(m[1]!, Number(m[2]));
    else steps.push(part.replace(/^"|"$/g, ''));
  }
  return steps;
}

/**
 * The paths as one STRUCT type for `json_transform` (members as VARCHAR, lists of structs where
 * a path indexes a list), and each path's value in it as SQL over `t`. One transform walks each
 * object once, where a path list looked every member up from the top: 53 paths cost about 13 %
 * fewer instructions a record this way (Valgrind, on the benchmark's records).
 */
function structOfPaths(paths: readonly string[]): { type: string; value: (path: string) => string } {
  type Node = 'VARCHAR' | { list: Node } | Map<string, Node>;
  const root = new Map<string, Node>();
  for (const path of paths) {
    const steps = pathSteps(path);
    let at: Map<string, Node> = root;
    for (let i = 0; i < steps.length; i++) {
      const name = steps[i] as string;
      if (i === steps.length - 1) {
        at.set(name, 'VARCHAR');
      } else if (typeof steps[i + 1] === 'number') {
        let list = at.get(name) as { list: Node } | undefined;
        if (!list) at.set(name, (list = { list: new Map<string, Node>() }));
        at = list.list as Map<string, Node>;
        i++;
      } else {
        let next = at.get(name) as Map<string, Node> | undefined;
        if (!next) at.set(name, (next = new Map<string, Node>()));
        at = next;
      }
    }
  }
  const render = (n: Node): unknown => (n === 'VARCHAR' ? n : n instanceof Map ? Object.fromEntries([...n].map(([k, v]) => [k, render(v)])) : [render(n.list)]);
  const value = (path: string) =>
    't' + pathSteps(path).map((s) => (typeof s === 'number' ? `[${s + 1}]` : `."${s.replace(/"/g, '""')}"`)).join('');
  return { type: JSON.stringify(render(root)), value };
}

/** PATHS as one STRUCT (see structOfPaths). */
const STRUCT = structOfPaths(PATHS);

/**
 * JSON type of a field, computed (with a second parse) only when its extracted text could be
 * something other than a string: most records never pay for it.
 */
function lazyType(text: string, path: string): string {
  return `CASE WHEN ${text} IS NULL THEN json_type(rec, ${sqlString(path)}) WHEN starts_with(${text}, '{') OR starts_with(${text}, '[') OR ${text} IN ('true', 'false') OR try_cast(${text} AS DOUBLE) IS NOT NULL THEN json_type(rec, ${sqlString(path)}) ELSE 'VARCHAR' END`;
}

/**
 * Record paths kept as text columns. A value there that is not a JSON string (null, a number, an
 * object) cannot be told apart from an absent field or a string in the column, so the record is
 * flagged `odd-typed-field`: readers that need the difference (detections) read the record itself.
 */
const TEXT_PATHS = [
  'eventVersion', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent', 'errorCode', 'errorMessage',
  'eventType', 'eventCategory', 'recipientAccountId', 'requestID', 'eventID', 'sharedEventID', 'vpcEndpointId',
  'userIdentity.type', 'userIdentity.arn', 'userIdentity.accountId', 'userIdentity.principalId', 'userIdentity.userName',
  'userIdentity.accessKeyId', 'userIdentity.invokedBy', 'userIdentity.sessionContext.sessionIssuer.arn',
  'userIdentity.sessionContext.sessionIssuer.type', 'userIdentity.sessionContext.sessionIssuer.userName',
  'userIdentity.sessionContext.attributes.mfaAuthenticated', 'sessionCredentialFromConsole',
] as const;

/**
 * A cheap test that a record may hold a non-string value under one of TEXT_PATHS' member names
 * (or escapes a name): only those records pay for the second JSON pass that decides.
 */
const TEXT_SUSPECT = `contains(CAST(rec AS VARCHAR), '\\u') OR regexp_matches(CAST(rec AS VARCHAR), '"(${[
  ...new Set(TEXT_PATHS.map((p) => p.split('.').pop()!)),
].join('|')})"\\s*:\\s*[^"\\s]')`;

/** A JSON value's type as people name it ('a number', 'an object', …) from DuckDB's json_type. */
function jsonTypeName(t: string): string {
  return `CASE ${t} WHEN 'VARCHAR' THEN 'a string' WHEN 'BOOLEAN' THEN 'a boolean' WHEN 'NULL' THEN 'null' WHEN 'OBJECT' THEN 'an object'
    WHEN 'ARRAY' THEN 'an array' WHEN 'UBIGINT' THEN 'a number' WHEN 'BIGINT' THEN 'a number' WHEN 'DOUBLE' THEN 'a number'
    ELSE coalesce(lower(${t}), 'nothing') END`;
}

/**
 * Whether a time string that parsed is in CloudTrail's own form, `2026-11-01T10:00:00Z`: then it
 * is exactly `strftime(eventTime, '%Y-%m-%dT%H:%M:%SZ')`, and the Athena view gives that instead
 * of reading the record (the flag `odd-eventTime-format` marks the others). 20 bytes and 20
 * characters (LIKE's `_` is a character): ASCII, so the character positions are byte positions.
 */
const CANONICAL_TIME = (t: string) => `(strlen(${t}) = 20 AND ${t} LIKE '__________T________Z')`;

/**
 * A time, or NULL outside years 0000–9999 (RFC 3339's, and the four digits CloudTrail writes).
 * DuckDB reads times up to 294,247 AD and `infinity`, which no JavaScript Date holds, and times
 * past 9999 that formats of four-digit years cannot write: such an eventTime is a damaged or
 * made-up record, rejected with its text kept.
 */
const IN_RANGE = (t: string) => `CASE WHEN ${t} >= TIMESTAMP '0000-01-01' AND ${t} < TIMESTAMP '10000-01-01' THEN ${t} END`;

const IPV4 = '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$';
const IPV6 = '^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$';
const HOST = '^([A-Za-z0-9-]+\\.)+[A-Za-z][A-Za-z0-9-]*$';
const REGION = '^[a-z]{2}(-[a-z]+)+-[0-9]+$';
/** An IPv4 or IPv6 address or a host name, as one expression: three took about twice as long. */
const SOURCE_ADDRESS = `(?:${IPV4})|(?:${IPV6})|(?:${HOST})`;

/**
 * The last `/`-separated part of an ARN (`assumed-role/Role/alice` → `alice`), '' when there is
 * none, NULL for NULL: what `regexp_extract(arn, '/([^/]+)$', 1)` gives, for about half its cost.
 */
const lastPart = (arn: string) => `CASE WHEN contains(${arn}, '/') THEN split_part(${arn}, '/', -1) WHEN ${arn} IS NOT NULL THEN '' END`;

/**
 * Builds the SELECT that validates and derives every typed column from `rel`. `ingestedAt` is
 * an SQL expression for the batch's time. Large batches materialize the extracted paths once;
 * small ones (pushes) let DuckDB inline them, which plans into a cheaper pipeline.
 */
function stagedSelect(rel: string, cfg: AiClassificationConfig, ingestedAt: string, materialize: boolean): string {
  // The paths' values: from one STRUCT transform, except in a record with a field of TEXT_PATHS
  // that is not a string, where the path list is read as it always was. (The transform writes an
  // exponent number's text otherwise: `1.5e-07`, where the path list writes `1.5e-7`; an eventID
  // so written must stay the same key for the duplicate check whichever version stored it.)
  // A CASE, not AND: a projected AND evaluates both sides on every row, a CASE its THEN only
  // where its WHEN holds, so only suspect records pay for the second pass.
  const oddTyped = `CASE WHEN ${TEXT_SUSPECT} THEN list_contains(list_transform(json_extract(rec, [${TEXT_PATHS.map((p) => sqlString(jsonPath(p))).join(', ')}]),
      x -> x IS NULL OR left(CAST(x AS VARCHAR), 1) = '"'), FALSE) ELSE FALSE END`;
  // A column per path, not a list of them: building a list copies every value into it and
  // taking an item out copies it again (about 8,600 instructions a record of the benchmark's).
  const oddValues = `CASE WHEN oddTyped THEN json_extract_string(rec, [${PATHS.map((p) => sqlString(jsonPath(p))).join(', ')}]) END`;
  const values = PATHS.map((p, i) => `CASE WHEN oddTyped THEN odd[${i + 1}] ELSE ${STRUCT.value(p)} END AS ${v(p)}`).join(', ');
  const isInsight = `(${v('eventType')} = 'AwsCloudTrailInsight')`;
  const tstr = `CASE WHEN tTime = 'VARCHAR' THEN ${v('eventTime')} WHEN tTime IS NULL THEN ${v('"@timestamp"')} END`;
  const es = `CASE WHEN tSource = 'VARCHAR' THEN ${v('eventSource')} WHEN tSource IS NULL AND ${isInsight} THEN ${v('insightDetails.eventSource')} END`;
  const en = `CASE WHEN tName = 'VARCHAR' THEN ${v('eventName')} WHEN tName IS NULL AND ${isInsight} THEN ${v('insightDetails.eventName')} END`;
  const bool = (p: 'readOnly' | 'managementEvent') =>
    `CASE WHEN ${v(p)} IN ('true', 'false') THEN ${v(p)} = 'true' END`;
  const fnRaw = `coalesce(${v('requestParameters.functionName')}, CASE WHEN starts_with(${v('resources[0].ARN')}, 'arn:aws:lambda') THEN ${v('resources[0].ARN')} END)`;
  const fn = `CASE WHEN starts_with(fnRaw, 'arn:') THEN split_part(fnRaw, ':', 7) ELSE split_part(fnRaw, ':', 1) END`;
  const condInputs = { bucketName: 'bucketName', functionName: 'fnName', repositoryName: 'repoName', instanceType: 'itype' };
  const cls = classificationSql({
    eventSource: 'es',
    eventName: 'nm',
    conditions: { aiBucket: 'isAiBucket', aiFunction: 'isAiFunction', aiRepository: 'isAiRepository', gpuInstance: 'isGpu' },
  });
  const reject = `CASE
      WHEN xcode IS NOT NULL THEN xcode
      WHEN rec IS NULL OR (tTime IS NULL AND tSource IS NULL AND tName IS NULL AND json_type(rec) <> 'OBJECT') THEN 'INGEST_BAD_RECORD'
      WHEN ts IS NULL OR es IS NULL OR en IS NULL THEN 'INGEST_BAD_RECORD' END`;
  const reason = `CASE
      WHEN xcode IS NOT NULL THEN xreason
      WHEN rec IS NULL OR (tTime IS NULL AND tSource IS NULL AND tName IS NULL AND json_type(rec) <> 'OBJECT') THEN 'record is not a JSON object (found ' || CASE WHEN rec IS NULL THEN 'null' ELSE ${jsonTypeName('json_type(rec)')} END || ')'
      WHEN tTime IS NULL AND ${v('"@timestamp"')} IS NULL THEN 'missing eventTime'
      WHEN tTime IS NOT NULL AND tTime <> 'VARCHAR' THEN 'eventTime must be a string, found ' || ${jsonTypeName('tTime')}
      WHEN ts IS NULL AND tsAny IS NOT NULL THEN 'eventTime ' || to_json(tstr) || ' is outside years 0000 to 9999'
      WHEN ts IS NULL THEN 'eventTime ' || to_json(tstr) || ' is not a timestamp'
      WHEN es IS NULL AND tSource IS NULL THEN 'missing eventSource'
      WHEN es IS NULL THEN 'eventSource must be a string, found ' || ${jsonTypeName('tSource')}
      WHEN en IS NULL AND tName IS NULL THEN 'missing eventName'
      WHEN en IS NULL THEN 'eventName must be a string, found ' || ${jsonTypeName('tName')} END`;
  // Lists built without lambdas: DuckDB runs a lambda per list element, which cost about 7 % of
  // a batch's CPU here. Flags hold no comma, so the set ones are joined (concat_ws skips NULLs) and split.
  const flags = `coalesce(string_split(nullif(concat_ws(',',
      CASE WHEN tTime IS NULL AND ${v('"@timestamp"')} IS NOT NULL THEN 'eventTime-from-@timestamp' END,
      CASE WHEN tTime = 'VARCHAR' AND NOT ${CANONICAL_TIME('tstr')} THEN 'odd-eventTime-format' END,
      CASE WHEN ${v('readOnly')} NOT IN ('true', 'false') THEN 'odd-readOnly' END,
      CASE WHEN ${v('managementEvent')} NOT IN ('true', 'false') THEN 'odd-managementEvent' END,
      CASE WHEN ${v('userIdentity.type')} IS NULL AND json_type(rec, '$.userIdentity') NOT IN ('OBJECT', 'NULL') THEN 'odd-userIdentity' END,
      CASE WHEN ${v('sourceIPAddress')} IS NOT NULL AND NOT (starts_with(${v('sourceIPAddress')}, 'AWS Internal')
        OR regexp_matches(${v('sourceIPAddress')}, '${SOURCE_ADDRESS}')) THEN 'odd-source-ip' END,
      CASE WHEN ${v('awsRegion')} IS NOT NULL AND NOT regexp_matches(${v('awsRegion')}, '${REGION}') THEN 'odd-region' END,
      CASE WHEN oddTyped THEN 'odd-typed-field' END,
      CASE WHEN ${v('userIdentity.sessionContext.attributes.mfaAuthenticated')} NOT IN ('true', 'false') THEN 'odd-mfaAuthenticated' END
    ), ''), ','), []::VARCHAR[])`;
  /** The values of two paths that are set, as a list. */
  const present = (a: string, b: string) => `CASE WHEN ${a} IS NULL AND ${b} IS NULL THEN []::VARCHAR[] WHEN ${b} IS NULL THEN [${a}] WHEN ${a} IS NULL THEN [${b}] ELSE [${a}, ${b}] END`;
  const ut = v('userIdentity.type');
  const arn = v('userIdentity.arn');
  const username = `nullif(CASE ${ut}
      WHEN 'IAMUser' THEN ${v('userIdentity.userName')}
      WHEN 'Root' THEN 'root'
      WHEN 'AssumedRole' THEN ${lastPart(arn)}
      WHEN 'FederatedUser' THEN regexp_extract(${arn}, 'federated-user/(.+)$', 1)
      WHEN 'AWSService' THEN ${v('userIdentity.invokedBy')}
      WHEN 'IdentityCenterUser' THEN coalesce(${v('userIdentity.userName')}, ${v('userIdentity.onBehalfOf.userId')})
      ELSE coalesce(${v('userIdentity.userName')}, nullif(${lastPart(arn)}, ''), ${v('userIdentity.principalId')}) END, '')`;
  // MATERIALIZED: the extracted values are referenced many times below; without it DuckDB may
  // inline the projection and parse every record once per reference.
  return `
  WITH ex AS ${materialize ? 'MATERIALIZED ' : ''}(SELECT sourceId, idx, line, rec, xcode, xreason, xraw, xpath, ${ingestedAt} AS ingestedAt, ${values}, oddTyped
    FROM (SELECT *, ${oddValues} AS odd FROM (SELECT *, json_transform(rec, ${sqlString(STRUCT.type)}) AS t, ${oddTyped} AS oddTyped FROM (${rel}))))
  SELECT sourceId, idx, line, rec, xraw, xpath,
    ${reject} AS rejectCode, ${reason} AS rejectReason,
    ${v('eventID')} AS eventId, ts AS eventTime, ${v('eventVersion')} AS eventVersion, es AS eventSource, en AS eventName,
    ${v('awsRegion')} AS awsRegion, ${v('sourceIPAddress')} AS sourceIPAddress, ${v('userAgent')} AS userAgent,
    ${v('errorCode')} AS errorCode, ${v('errorMessage')} AS errorMessage, ${bool('readOnly')} AS readOnly,
    ${v('eventType')} AS eventType, ${v('eventCategory')} AS eventCategory, ${bool('managementEvent')} AS managementEvent,
    ${v('recipientAccountId')} AS recipientAccountId,
    coalesce(${v('recipientAccountId')}, ${v('userIdentity.accountId')}, ${v('userIdentity.sessionContext.sessionIssuer.accountId')}) AS accountId,
    ${v('requestID')} AS requestId, ${v('sharedEventID')} AS sharedEventId, ${v('vpcEndpointId')} AS vpcEndpointId,
    ${ut} AS userIdentityType, ${arn} AS userIdentityArn, ${v('userIdentity.accountId')} AS userIdentityAccountId,
    ${v('userIdentity.principalId')} AS userIdentityPrincipalId, ${v('userIdentity.userName')} AS userIdentityUserName,
    nullif(${v('userIdentity.accessKeyId')}, '') AS userIdentityAccessKeyId, ${v('userIdentity.invokedBy')} AS userIdentityInvokedBy,
    ${v('userIdentity.sessionContext.sessionIssuer.arn')} AS sessionIssuerArn,
    ${v('userIdentity.sessionContext.sessionIssuer.type')} AS sessionIssuerType,
    ${v('userIdentity.sessionContext.sessionIssuer.userName')} AS sessionIssuerUserName,
    CASE ${v('userIdentity.sessionContext.attributes.mfaAuthenticated')} WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END AS mfaAuthenticated,
    ${v('sessionCredentialFromConsole')} AS sessionCredentialFromConsole,
    ${username} AS username,
    CASE WHEN ${v('resources[2].ARN')} IS NOT NULL OR ${v('resources[2].type')} IS NOT NULL THEN json_extract_string(rec, '$.resources[*].type')
      WHEN ${v('resources[0].ARN')} IS NOT NULL OR ${v('resources[0].type')} IS NOT NULL THEN ${present(v('resources[0].type'), v('resources[1].type'))} END AS resourceTypes,
    CASE WHEN ${v('resources[2].ARN')} IS NOT NULL OR ${v('resources[2].type')} IS NOT NULL THEN json_extract_string(rec, '$.resources[*].ARN')
      WHEN ${v('resources[0].ARN')} IS NOT NULL OR ${v('resources[0].type')} IS NOT NULL THEN ${present(v('resources[0].ARN'), v('resources[1].ARN'))} END AS resourceArns,
    nullif(split_part(cls, '|', 1), '') AS aiService, nullif(split_part(cls, '|', 2), '') AS aiActivity,
    ${modelIdSql("split_part(cls, '|', 1)", [
      v('requestParameters.modelId'), v('requestParameters.modelIdentifier'), v('requestParameters.baseModelIdentifier'),
      v('requestParameters.modelArn'), v('requestParameters.modelName'), v('requestParameters.endpointName'), v('requestParameters.model'),
      `CASE WHEN starts_with(${v('resources[0].ARN')}, 'arn:aws:bedrock') OR starts_with(${v('resources[0].ARN')}, 'arn:aws:sagemaker') THEN ${v('resources[0].ARN')} END`,
    ])} AS modelId,
    ${flags} AS flags,
    CASE WHEN ${v('eventID')} IS NULL THEN md5_number(CAST(rec AS VARCHAR)) END AS recordHash,
    ingestedAt
  FROM (
    SELECT *, ${cls} AS cls FROM (
      SELECT *, ${normalizedEventNameSql('en')} AS nm,
        CASE WHEN bucketName IS NULL THEN FALSE ELSE ${conditionSql('aiBucket', condInputs, cfg)} END AS isAiBucket,
        CASE WHEN fnName IS NULL THEN FALSE ELSE ${conditionSql('aiFunction', condInputs, cfg)} END AS isAiFunction,
        CASE WHEN repoName IS NULL THEN FALSE ELSE ${conditionSql('aiRepository', condInputs, cfg)} END AS isAiRepository,
        CASE WHEN itype IS NULL THEN FALSE ELSE ${conditionSql('gpuInstance', condInputs, cfg)} END AS isGpu FROM (
      SELECT *, ${fn} AS fnName, ${IN_RANGE('tsAny')} AS ts FROM (
        SELECT *, ${tstr} AS tstr, try_cast(${tstr} AS TIMESTAMPTZ)::TIMESTAMP AS tsAny, ${es} AS es, ${en} AS en,
          ${v('requestParameters.bucketName')} AS bucketName, ${fnRaw} AS fnRaw, ${v('requestParameters.repositoryName')} AS repoName,
          coalesce(${v('requestParameters.instanceType')}, ${v('responseElements.instancesSet.items[0].instanceType')}) AS itype FROM (
          SELECT *, ${lazyType(v('eventTime'), '$.eventTime')} AS tTime, ${lazyType(v('eventSource'), '$.eventSource')} AS tSource,
            ${lazyType(v('eventName'), '$.eventName')} AS tName FROM (
          SELECT * FROM ex
          )
        )
      )
      )
    )
  )`;
}

const keyOf = (alias: string) => `coalesce(${alias}.eventId, 'h:' || CAST(${alias}.recordHash AS VARCHAR))`;

/**
 * Which rows of the staged table `S` repeat a key within it or in the store (between $lo and
 * $hi, among the store's rows that pass `storedFilter`, a condition on `e`). Contents are
 * compared as JSON without insignificant whitespace (pushes keep the caller's text as sent),
 * and only for the few rows whose key was seen before.
 */
function decidedSelect(S: string, bounds: 'params' | 'staged' = 'params', storedFilter = 'TRUE'): string {
  // Bounds given as microseconds since the epoch: a JavaScript Date keeps milliseconds, and a
  // stored event later in the last millisecond than the bound would not be seen as stored.
  const lo = bounds === 'params' ? 'make_timestamp(CAST($lo AS BIGINT))' : `(SELECT min(eventTime) FROM ${S} WHERE rejectCode IS NULL)`;
  const hi = bounds === 'params' ? 'make_timestamp(CAST($hi AS BIGINT))' : `(SELECT max(eventTime) FROM ${S} WHERE rejectCode IS NULL)`;
  // Records are read only for the candidates: a batch's keys are all its rows, its texts much more.
  // The stored rows whose key is in the batch are found first by their keys alone (`hits`), and
  // only their records read: filtered in the same scan, every record in the time range was
  // decompressed first (a push of 100 new events spread over 28 days, on 1.1M stored events:
  // 500–770 ms → 70–240 ms; an ingest batch, whose range holds mostly its own rows, as before).
  return `WITH valid AS (SELECT sourceId, idx, ${keyOf('s')} AS k FROM ${S} s WHERE rejectCode IS NULL),
    hits AS (SELECT e.rowid AS rid FROM event_store e
      WHERE e.eventTime BETWEEN ${lo} AND ${hi} AND ${storedFilter} AND ${keyOf('e')} IN (SELECT k FROM valid)),
    stored AS (SELECT ${keyOf('e')} AS k, coalesce(e.record, e.recordLarge) AS record FROM event_store e WHERE e.rowid IN (SELECT rid FROM hits)),
    multi AS (SELECT k FROM valid GROUP BY k HAVING count(*) > 1),
    seen AS (SELECT sourceId, idx, k FROM valid v WHERE v.k IN (SELECT k FROM multi) OR v.k IN (SELECT k FROM stored)),
    cand AS (
      SELECT v.sourceId, v.idx, v.k, s.rec, md5_number(json(CAST(s.rec AS VARCHAR))) AS h FROM seen v JOIN ${S} s USING (sourceId, idx)),
    ranked AS (
      SELECT *, row_number() OVER (PARTITION BY k, h ORDER BY sourceId, idx) AS dupRank,
        first_value(h) OVER (PARTITION BY k ORDER BY sourceId, idx) <> h AS batchConflict
      FROM cand)
    SELECT sourceId, idx,
      dupRank > 1 OR EXISTS (SELECT 1 FROM stored s WHERE s.k = ranked.k AND json(s.record) = json(CAST(ranked.rec AS VARCHAR))) AS isDup,
      batchConflict OR EXISTS (SELECT 1 FROM stored s WHERE s.k = ranked.k AND json(s.record) <> json(CAST(ranked.rec AS VARCHAR))) AS isConflict
    FROM ranked`;
}

/** The columns every load writes to `event_store`, in the order `storedValues` gives them. */
const STORE_COLUMNS = `eventId, eventTime, eventVersion, eventSource, eventName, awsRegion, sourceIPAddress, userAgent,
  errorCode, errorMessage, readOnly, eventType, eventCategory, managementEvent, recipientAccountId, accountId, requestId, sharedEventId,
  vpcEndpointId, userIdentityType, userIdentityArn, userIdentityAccountId, userIdentityPrincipalId, userIdentityUserName,
  userIdentityAccessKeyId, userIdentityInvokedBy, sessionIssuerArn, sessionIssuerType, sessionIssuerUserName, mfaAuthenticated,
  sessionCredentialFromConsole, username, resourceTypes, resourceArns, aiService, aiActivity, modelId, flags, recordHash, sourceId, sourceIndex, ingestedAt, record, recordLarge, seq`;

/**
 * The flag of a rejected record that a direct load wrote to `event_store`; it is moved to
 * `rejects` before the load's transaction ends. Real flags never start with '!'.
 */
const REJECTED = '!rejected';

/**
 * The values of `STORE_COLUMNS` for staged rows `s`. `flags` and the three required columns are
 * given by the caller: a direct load writes rejected rows too, marked, with placeholders there.
 */
function storedValues(flags: string, required: (col: 'eventTime' | 'eventSource' | 'eventName') => string): string {
  return `s.eventId, ${required('eventTime')}, s.eventVersion, ${required('eventSource')}, ${required('eventName')}, s.awsRegion,
      s.sourceIPAddress, s.userAgent, s.errorCode, s.errorMessage, s.readOnly, s.eventType, s.eventCategory, s.managementEvent,
      s.recipientAccountId, s.accountId, s.requestId, s.sharedEventId, s.vpcEndpointId, s.userIdentityType, s.userIdentityArn,
      s.userIdentityAccountId, s.userIdentityPrincipalId, s.userIdentityUserName, s.userIdentityAccessKeyId, s.userIdentityInvokedBy,
      s.sessionIssuerArn, s.sessionIssuerType, s.sessionIssuerUserName, s.mfaAuthenticated, s.sessionCredentialFromConsole, s.username, s.resourceTypes, s.resourceArns,
      s.aiService, s.aiActivity, s.modelId, ${flags}, s.recordHash, s.sourceId, s.idx, s.ingestedAt,
      CASE WHEN strlen(CAST(s.rec AS VARCHAR)) < 4000 THEN CAST(s.rec AS VARCHAR) END,
      CASE WHEN strlen(CAST(s.rec AS VARCHAR)) >= 4000 THEN CAST(s.rec AS VARCHAR) END, nextval('event_seq')`;
}

/**
 * The INSERT of a load's new events: the valid rows of the staged table `S` that `decided` (a
 * table or a parenthesized query of `decidedSelect`'s columns) does not call duplicates.
 */
function insertSql(S: string, decided: string): string {
  return `INSERT INTO event_store (${STORE_COLUMNS})
    SELECT ${storedValues(`CASE WHEN coalesce(d.isConflict, FALSE) THEN list_append(s.flags, 'eventid-conflict') ELSE s.flags END`, (c) => `s.${c}`)}
    FROM ${S} s LEFT JOIN ${decided} d USING (sourceId, idx)
    WHERE s.rejectCode IS NULL AND NOT coalesce(d.isDup, FALSE)`;
}

/** Per-source counts from per-row outcomes (the same figures the SQL aggregate gives). */
function countOutcomes(rows: Row[]): Row[] {
  const by = new Map<number, { sourceId: number; records: number; rejected: number; duplicates: number; conflicts: number }>();
  for (const r of rows) {
    const id = Number(r.sourceId);
    let c = by.get(id);
    if (!c) by.set(id, (c = { sourceId: id, records: 0, rejected: 0, duplicates: 0, conflicts: 0 }));
    c.records++;
    if (r.rejectCode !== null) c.rejected++;
    if (r.dup) c.duplicates++;
    if (r.conflict) c.conflicts++;
  }
  return [...by.values()];
}

/** The push temp tables already created on a connection. */
const pushTables = new WeakMap<Store, Set<string>>();

/**
 * Creates the push path's temp tables (`incoming`, `push_staged`) on this
 * connection. Must run outside a transaction: DuckDB re-plans, on every execution, a prepared
 * statement over tables created in the transaction it was prepared in.
 */
export async function ensurePushTables(store: Store, cfg: AiClassificationConfig): Promise<void> {
  if (pushTables.get(store)?.has('push_staged')) return;
  // A prepared statement keeps its plan, and DuckDB's statistics propagation bakes the data
  // seen at planning into it (a filter on a column that was all NULL becomes TRUE, a join with a
  // table that was empty is dropped). These tables change with every load, so plans must not
  // depend on their statistics. The setting is instance-wide; read queries measured no slower.
  await store.run(`SET disabled_optimizers = 'statistics_propagation'`);
  // `rec` holds the caller's text as given: loadRecords' callers pass JSON they produced or checked.
  await store.run(`CREATE OR REPLACE TEMP TABLE incoming (sourceId INTEGER, idx INTEGER, line INTEGER, rec VARCHAR,
    xcode VARCHAR, xreason VARCHAR, xraw VARCHAR, xpath VARCHAR, ingestedAt TIMESTAMP)`);
  await store.run(`CREATE OR REPLACE TEMP TABLE push_staged AS SELECT * FROM (${stagedSelect('SELECT * FROM incoming', cfg, 'ingestedAt', false)}) LIMIT 0`);
  pushTables.set(store, new Set(['incoming', 'push_staged']));
}

/** Per-source outcome of one load. */
export interface SourceCounts {
  sourceId: number;
  records: number;
  added: number;
  duplicates: number;
  conflicts: number;
  rejected: number;
}

/** What a load did, in total and per source. */
export interface LoadResult {
  records: number;
  added: number;
  duplicates: number;
  conflicts: number;
  rejected: number;
  perSource: Map<number, SourceCounts>;
  rejects: { sourceId: number; idx: number | null; line: number | null; code: string; reason: string }[];
  /** With `keepDecisions`: per record index, its eventID, whether it was a duplicate, and the stored row's seq. */
  decisions?: Map<number, { eventId: string | null; duplicate: boolean; seq: number | null }>;
}

/** Options of one load. */
export interface LoadOptions {
  /** How many rejects to return in detail (all are stored). */
  rejectLimit?: number;
  /** Return each valid record's eventID and duplicate flag (for small, single-source loads). */
  keepDecisions?: boolean;
  /** `rel` has already been materialized into the temp table `incoming` (same columns). */
  incoming?: boolean;
  /** With `incoming`: how many rows it holds (when all are stored, they are not read back). */
  expectedRows?: number;
  /** With `keepDecisions`: each stored row's `seq` too. */
  withSeq?: boolean;
}

/**
 * How a load runs its statements. Small, frequent loads (pushes, self-audit) stage their rows in
 * a temp table and reuse prepared statements: planning these statements costs more than
 * validating a few rows. Every statement of a load is constant text with named parameters, so
 * both kinds of load share it.
 */
function statements(store: Store, opts: LoadOptions) {
  return {
    exec: (sql: string, params: Record<string, DuckDBValue> = {}) => (opts.incoming ? store.runPrepared(sql, params) : store.run(sql, params)),
    rows: (sql: string, params: Record<string, DuckDBValue> = {}) => (opts.incoming ? store.allPrepared(sql, params) : store.all(sql, params)),
  };
}

/**
 * Loads the rows of `rel` — columns (sourceId INTEGER, idx INTEGER, line INTEGER, rec JSON,
 * xcode VARCHAR, xreason VARCHAR, xraw VARCHAR, xpath VARCHAR) — into the lake. Rows with `xcode` set were
 * already rejected by the reader and go straight to `rejects`. Must run inside a transaction.
 */
export async function loadRelation(
  store: Store,
  rel: string,
  sourceUris: Map<number, string>,
  cfg: AiClassificationConfig = defaultAiConfig(),
  opts: LoadOptions = {},
): Promise<LoadResult> {
  const { exec, rows } = statements(store, opts);
  // Pushes keep their own temp tables for the life of the connection and refill them, so the
  // prepared statements over them stay valid (replacing a table would force a re-plan).
  const S = opts.incoming ? 'push_staged' : 'staged';
  const fill = async (table: string, select: string, params: Record<string, DuckDBValue>) => {
    if (!opts.incoming) return store.run(`CREATE OR REPLACE TEMP TABLE ${table} AS ${select}`, params);
    if (!pushTables.get(store)?.has(table)) throw new Error(`internal: ensurePushTables was not called before a push load (${table})`);
    await store.runPrepared(`DELETE FROM ${table}`, {});
    await store.runPrepared(`INSERT INTO ${table} ${select}`, params);
  };
  if (opts.incoming) await fill(S, stagedSelect('SELECT * FROM incoming', cfg, 'ingestedAt', false), {});
  else await store.run(`CREATE OR REPLACE TEMP TABLE staged AS ${stagedSelect(rel, cfg, `TIMESTAMP ${sqlString(sqlTime(new Date()))}`, true)}`);
  if (opts.incoming) return loadStagedPush(store, S, sourceUris, opts);
  // Deduplicate on the eventID (or, without one, on a content hash). Only keys seen twice in
  // the batch or already stored in the batch's time range are examined, usually none. File
  // batches pass the time bounds as values the scan can prune on.
  const range = (await rows(`SELECT CAST(epoch_us(min(eventTime)) AS VARCHAR) AS lo, CAST(epoch_us(max(eventTime)) AS VARCHAR) AS hi
    FROM ${S} WHERE rejectCode IS NULL`))[0];
  await fill('decided', decidedSelect(S), { lo: (range?.lo as string | null) ?? null, hi: (range?.hi as string | null) ?? null });
  // Not sorted by eventTime: the pipeline reads files oldest first in small batches, so each
  // row group already covers a short time span. On 1M events sorting each batch cost 12 % of
  // ingest time and made lookups no faster.
  await exec(insertSql(S, 'decided'));
  // Per-row outcomes when the caller wants them (small loads): one query, counted here; large
  // loads count in SQL.
  const outcomes = opts.keepDecisions
    ? await rows(`SELECT s.sourceId, s.idx, s.line, s.eventId, s.rejectCode, s.rejectReason, coalesce(d.isDup, FALSE) AS dup,
        coalesce(d.isConflict AND NOT d.isDup, FALSE) AS conflict
      FROM ${S} s LEFT JOIN decided d USING (sourceId, idx)`)
    : undefined;
  const per = outcomes ? countOutcomes(outcomes) : await rows(`SELECT s.sourceId AS sourceId, count(*) AS records,
      count(*) FILTER (WHERE s.rejectCode IS NOT NULL) AS rejected,
      count(*) FILTER (WHERE coalesce(d.isDup, FALSE)) AS duplicates,
      count(*) FILTER (WHERE coalesce(d.isConflict AND NOT d.isDup, FALSE)) AS conflicts
    FROM ${S} s LEFT JOIN decided d USING (sourceId, idx) GROUP BY s.sourceId`);
  return finishLoad(store, S, outcomes, per, sourceUris, opts);
}

/**
 * Loads a large batch of records straight into the lake: the fast path for delivery files,
 * whose reader never rejects a whole file (`rel` has no `xcode` rows). One streaming INSERT
 * writes every record, so DuckDB never holds the batch in memory and, once a batch fills row
 * groups, writes them compressed to the database file instead of through the WAL. The rare
 * rejected records are written too, flagged, then moved to `rejects`; duplicates are deleted
 * and conflicts flagged afterwards. All of it is one transaction (the caller's), so no reader
 * ever sees those intermediate rows. Outcomes are the same as `loadRelation`'s.
 */
export async function loadDirect(
  store: Store,
  rel: string,
  sourceUris: Map<number, string>,
  cfg: AiClassificationConfig = defaultAiConfig(),
  opts: { lines?: boolean } = {},
): Promise<LoadResult> {
  // Sequence values are handed out in order: the rows this load writes are those above `s`.
  // Rows other transactions commit later stay invisible to this one.
  const s = BigInt(String((await store.one(`SELECT nextval('event_seq') AS s`))!.s));
  const mine = `seq > ${s}`;
  const ingestedAt = `TIMESTAMP ${sqlString(sqlTime(new Date()))}`;
  // A rejected row holds placeholders where its required values are missing (it is deleted
  // before the commit; only its row group's time range may stay wider).
  await store.run(`INSERT INTO event_store (${STORE_COLUMNS})
    SELECT ${storedValues(`CASE WHEN s.rejectCode IS NULL THEN s.flags ELSE ['${REJECTED}'] END`, (c) =>
      `coalesce(s.${c}, ${c === 'eventTime' ? `TIMESTAMP '1970-01-01'` : `''`})`)}
    FROM (${stagedSelect(rel, cfg, ingestedAt, false)}) s`);
  const isRejected = `list_contains(flags, '${REJECTED}')`;
  const counts = await store.all(`SELECT sourceId, count(*) AS records, count(*) FILTER (WHERE ${isRejected}) AS rejected,
      CAST(epoch_us(min(eventTime) FILTER (WHERE NOT ${isRejected})) AS VARCHAR) AS lo,
      CAST(epoch_us(max(eventTime) FILTER (WHERE NOT ${isRejected})) AS VARCHAR) AS hi
    FROM event_store WHERE ${mine} GROUP BY sourceId`);
  if (counts.some((r) => Number(r.rejected) > 0)) {
    // Validated again from the stored text, which is the record's own: the same code and reason.
    // With `lines`, each record's line is read back from `rel` (read again only for a batch with
    // rejects, which real CloudTrail records almost never are).
    const lines = opts.lines ? `LEFT JOIN (SELECT sourceId, idx, line FROM (${rel})) l ON l.sourceId = e.sourceId AND l.idx = e.sourceIndex` : '';
    await store.run(`CREATE OR REPLACE TEMP TABLE staged AS ${stagedSelect(
      `SELECT e.sourceId, e.sourceIndex AS idx, ${opts.lines ? 'l.line' : 'NULL::INTEGER'} AS line, CAST(coalesce(e.record, e.recordLarge) AS JSON) AS rec,
        NULL::VARCHAR AS xcode, NULL::VARCHAR AS xreason, NULL::VARCHAR AS xraw, NULL::VARCHAR AS xpath, e.ingestedAt AS batchTime
        FROM event_store e ${lines} WHERE e.${mine} AND list_contains(e.flags, '${REJECTED}')`,
      cfg, 'batchTime', false)}`);
    await store.run(`DELETE FROM event_store WHERE ${mine} AND ${isRejected}`);
  }
  // Microseconds since the epoch (see decidedSelect).
  const times = counts.flatMap((r) => (r.lo !== null ? [BigInt(String(r.lo)), BigInt(String(r.hi))] : []));
  const outcomes = new Map<number, { duplicates: number; conflicts: number }>();
  if (times.length > 0) {
    const lo = times.reduce((a, b) => (b < a ? b : a));
    const hi = times.reduce((a, b) => (b > a ? b : a));
    const batch = `(SELECT sourceId, sourceIndex AS idx, eventId, recordHash, coalesce(record, recordLarge) AS rec, NULL AS rejectCode
      FROM event_store WHERE ${mine})`;
    await store.run(`CREATE OR REPLACE TEMP TABLE decided AS ${decidedSelect(batch, 'params', `(e.seq IS NULL OR e.seq <= ${s})`)}`, {
      lo: String(lo),
      hi: String(hi),
    });
    const found = await store.all(`SELECT sourceId, count(*) FILTER (WHERE isDup) AS duplicates,
      count(*) FILTER (WHERE isConflict AND NOT isDup) AS conflicts FROM decided GROUP BY sourceId`);
    for (const r of found) outcomes.set(Number(r.sourceId), { duplicates: Number(r.duplicates), conflicts: Number(r.conflicts) });
    const match = `e.${mine} AND e.sourceId = d.sourceId AND e.sourceIndex = d.idx`;
    if (found.some((r) => Number(r.duplicates) > 0)) await store.run(`DELETE FROM event_store e USING decided d WHERE ${match} AND d.isDup`);
    if (found.some((r) => Number(r.conflicts) > 0)) {
      await store.run(`UPDATE event_store e SET flags = list_append(e.flags, 'eventid-conflict') FROM decided d
        WHERE ${match} AND d.isConflict AND NOT d.isDup`);
    }
  }
  const per = counts.map((r) => ({ ...r, ...(outcomes.get(Number(r.sourceId)) ?? { duplicates: 0, conflicts: 0 }) }));
  return finishLoad(store, 'staged', undefined, per, sourceUris, {});
}

/**
 * A push load once `S` (push_staged) holds its validated rows: dedup and insert are one
 * statement, whose RETURNING says which rows were stored. Rejects and duplicates are rare, so
 * the staged rows are read back only when some row was not stored.
 */
async function loadStagedPush(store: Store, S: string, sourceUris: Map<number, string>, opts: LoadOptions): Promise<LoadResult> {
  // The dedup scan takes its time bounds from the staged rows, not from parameters: DuckDB
  // re-plans a prepared statement whenever parameters are bound.
  const stored = await store.allPrepared(
    `${insertSql(S, `(${decidedSelect(S, 'staged')})`)} RETURNING sourceId, sourceIndex, eventId, ${opts.withSeq ? 'seq' : 'NULL'} AS seq, list_contains(flags, 'eventid-conflict') AS conflict`,
  );
  let outcomes: Row[];
  if (opts.expectedRows !== undefined && stored.length === opts.expectedRows) {
    outcomes = stored.map((r) => ({ sourceId: r.sourceId, idx: r.sourceIndex, line: null, eventId: r.eventId, rejectCode: null, rejectReason: null, dup: false, conflict: r.conflict, seq: r.seq }));
  } else {
    const byRow = new Map(stored.map((r) => [`${String(r.sourceId)}:${String(r.sourceIndex)}`, r]));
    outcomes = (await store.allPrepared(`SELECT sourceId, idx, line, eventId, rejectCode, rejectReason FROM ${S}`)).map((r) => {
      const hit = byRow.get(`${String(r.sourceId)}:${String(r.idx)}`);
      return { ...r, dup: r.rejectCode === null && !hit, conflict: Boolean(hit?.conflict), seq: hit?.seq ?? null };
    });
  }
  return finishLoad(store, S, outcomes, countOutcomes(outcomes), sourceUris, opts);
}

/** Stores a load's rejects and sums up its outcomes (`outcomes`: per row, when the caller wants them). */
async function finishLoad(store: Store, S: string, outcomes: Row[] | undefined, per: Row[], sourceUris: Map<number, string>, opts: LoadOptions): Promise<LoadResult> {
  const { exec, rows } = statements(store, opts);
  // Rejects are rare: their two statements run only when the batch has any.
  const anyRejected = per.some((r) => Number(r.rejected) > 0);
  if (anyRejected) {
    // Source URIs travel as one JSON object parameter ({"id": "uri"}), so the statement text stays constant.
    await exec(
      `INSERT INTO rejects (sourceUri, recordIndex, line, code, reason, raw, rawPath, rejectedAt)
      SELECT coalesce(json_extract_string(CAST($uris AS JSON), '$."' || sourceId || '"'), 'unknown'), idx, line, rejectCode, rejectReason,
        coalesce(xraw, CAST(rec AS VARCHAR)), xpath, ingestedAt
      FROM ${S} WHERE rejectCode IS NOT NULL`,
      { uris: JSON.stringify(Object.fromEntries(sourceUris)) },
    );
  }
  const rejects = !anyRejected ? [] : outcomes
    ? outcomes
        .filter((r) => r.rejectCode !== null)
        .map((r) => ({ sourceId: r.sourceId, idx: r.idx, line: r.line, code: r.rejectCode, reason: r.rejectReason }))
        .sort((a, b) => Number(a.sourceId) - Number(b.sourceId) || Number(a.idx) - Number(b.idx) || Number(a.line ?? -1) - Number(b.line ?? -1))
        .slice(0, Math.max(1, opts.rejectLimit ?? 1000))
    : await rows(
    `SELECT sourceId, idx, line, rejectCode AS code, rejectReason AS reason FROM ${S} WHERE rejectCode IS NOT NULL ORDER BY sourceId, idx, line LIMIT $n`,
    { n: Math.max(1, opts.rejectLimit ?? 1000) },
  );
  const out: LoadResult = { records: 0, added: 0, duplicates: 0, conflicts: 0, rejected: 0, perSource: new Map(), rejects: [] };
  for (const r of per) {
    const c: SourceCounts = {
      sourceId: Number(r.sourceId),
      records: Number(r.records),
      rejected: Number(r.rejected),
      duplicates: Number(r.duplicates),
      conflicts: Number(r.conflicts),
      added: Number(r.records) - Number(r.rejected) - Number(r.duplicates),
    };
    out.perSource.set(c.sourceId, c);
    out.records += c.records;
    out.added += c.added;
    out.duplicates += c.duplicates;
    out.conflicts += c.conflicts;
    out.rejected += c.rejected;
  }
  out.rejects = rejects.map((r) => ({
    sourceId: Number(r.sourceId),
    idx: r.idx === null ? null : Number(r.idx),
    line: r.line === null ? null : Number(r.line),
    code: String(r.code),
    reason: String(r.reason),
  }));
  if (outcomes) {
    const kept = outcomes.filter((r) => r.rejectCode === null);
    out.decisions = new Map(kept.map((r) => [Number(r.idx), { eventId: (r.eventId as string | null) ?? null, duplicate: Boolean(r.dup), seq: r.seq == null ? null : Number(r.seq) }]));
  }
  // Small loads leave their temp tables to be replaced by the next one; large ones free the memory now.
  if (!opts.incoming) {
    await store.run('DROP TABLE IF EXISTS staged');
    await store.run('DROP TABLE IF EXISTS decided');
  }
  return out;
}

/** The outcome of loads of one batch made in parts (rejects by source, index and line). */
export function mergeLoads(results: LoadResult[], rejectLimit = 1000): LoadResult {
  const out: LoadResult = { records: 0, added: 0, duplicates: 0, conflicts: 0, rejected: 0, perSource: new Map(), rejects: [] };
  for (const r of results) {
    for (const k of ['records', 'added', 'duplicates', 'conflicts', 'rejected'] as const) out[k] += r[k];
    for (const [id, c] of r.perSource) {
      const sum = out.perSource.get(id);
      if (!sum) out.perSource.set(id, { ...c });
      else for (const k of ['records', 'added', 'duplicates', 'conflicts', 'rejected'] as const) sum[k] += c[k];
    }
    out.rejects.push(...r.rejects);
  }
  // As the loads order them: NULLs last.
  const cmp = (x: number | null, y: number | null) => (x === y ? 0 : x === null ? 1 : y === null ? -1 : x - y);
  out.rejects.sort((a, b) => a.sourceId - b.sourceId || cmp(a.idx, b.idx) || cmp(a.line, b.line));
  out.rejects = out.rejects.slice(0, rejectLimit);
  return out;
}

/** Re-applies the AI classification to every stored event (after the name lists change). */
export async function reclassify(store: Store, cfg: AiClassificationConfig): Promise<number> {
  const cls = classificationSql({
    eventSource: 'eventSource',
    eventName: 'nm',
    conditions: { aiBucket: 'isAiBucket', aiFunction: 'isAiFunction', aiRepository: 'isAiRepository', gpuInstance: 'isGpu' },
  });
  const inputs = { bucketName: 'bucketName', functionName: 'fnName', repositoryName: 'repoName', instanceType: 'itype' };
  const rows = await store.all(`UPDATE event_store SET
      aiService = nullif(split_part(c, '|', 1), ''), aiActivity = nullif(split_part(c, '|', 2), '')
    FROM (
      SELECT rid, ${cls} AS c FROM (
        SELECT rid, eventSource, nm,
          coalesce(${conditionSql('aiBucket', inputs, cfg)}, FALSE) AS isAiBucket,
          coalesce(${conditionSql('aiFunction', inputs, cfg)}, FALSE) AS isAiFunction,
          coalesce(${conditionSql('aiRepository', inputs, cfg)}, FALSE) AS isAiRepository,
          coalesce(${conditionSql('gpuInstance', inputs, cfg)}, FALSE) AS isGpu
        FROM (
          SELECT rowid AS rid, eventSource, ${normalizedEventNameSql('eventName')} AS nm,
            json_extract_string(record, '$.requestParameters.bucketName') AS bucketName,
            json_extract_string(record, '$.requestParameters.repositoryName') AS repoName,
            coalesce(json_extract_string(record, '$.requestParameters.instanceType'), json_extract_string(record, '$.responseElements.instancesSet.items[0].instanceType')) AS itype,
            CASE WHEN starts_with(fnr, 'arn:') THEN split_part(fnr, ':', 7) ELSE split_part(fnr, ':', 1) END AS fnName
          FROM (SELECT rowid, eventSource, eventName, record, coalesce(json_extract_string(record, '$.requestParameters.functionName'),
                  CASE WHEN starts_with(resourceArns[1], 'arn:aws:lambda') THEN resourceArns[1] END) AS fnr
                FROM (SELECT rowid, eventSource, eventName, resourceArns, coalesce(record, recordLarge) AS record FROM event_store))))
    ) x
    WHERE event_store.rowid = x.rid AND (event_store.aiService IS DISTINCT FROM nullif(split_part(c, '|', 1), '')
      OR event_store.aiActivity IS DISTINCT FROM nullif(split_part(c, '|', 2), ''))
    RETURNING 1`);
  return rows.length;
}
