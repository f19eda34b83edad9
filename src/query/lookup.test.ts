import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLookupQuery, compileFilter, decodeNextToken, encodeNextToken, parseLookupAttributes, parseTime, validateLookup } from './lookup.js';
import { isAitrailError } from '../model/errors.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return isAitrailError(e) ? e.code : 'other';
  }
  return 'none';
};

test('the AWS CLI shorthand for --lookup-attributes parses', () => {
  assert.deepEqual(parseLookupAttributes('AttributeKey=EventName,AttributeValue=InvokeModel'), [{ AttributeKey: 'EventName', AttributeValue: 'InvokeModel' }]);
  assert.deepEqual(parseLookupAttributes('AttributeKey=Username,AttributeValue=a,b'), [{ AttributeKey: 'Username', AttributeValue: 'a,b' }]);
  assert.deepEqual(parseLookupAttributes('[{"AttributeKey":"EventId","AttributeValue":"x"}]'), [{ AttributeKey: 'EventId', AttributeValue: 'x' }]);
  assert.equal(code(() => parseLookupAttributes('EventName=x')), 'InvalidLookupAttributesException');
});

test('--lookup-attributes: a JSON list gives every attribute, bad JSON is a usage error', () => {
  assert.deepEqual(parseLookupAttributes(' [{"AttributeKey":"EventName","AttributeValue":"A"}, {"AttributeKey":"Username","AttributeValue":"b"}]\n'), [
    { AttributeKey: 'EventName', AttributeValue: 'A' },
    { AttributeKey: 'Username', AttributeValue: 'b' },
  ]);
  assert.deepEqual(parseLookupAttributes('{"AttributeKey":"EventName","AttributeValue":"A"}'), [{ AttributeKey: 'EventName', AttributeValue: 'A' }]);
  assert.equal(code(() => parseLookupAttributes('{bad')), 'USAGE');
  assert.equal(code(() => parseLookupAttributes('[{"AttributeKey":"EventName","AttributeValue":"A"}')), 'USAGE');
  assert.equal(code(() => parseLookupAttributes('[]')), 'InvalidLookupAttributesException');
  assert.equal(code(() => parseLookupAttributes('[null]')), 'InvalidLookupAttributesException');
  assert.equal(code(() => parseLookupAttributes('[["EventName","A"]]')), 'InvalidLookupAttributesException');
});

test('--lookup-attributes shorthand skips only ASCII whitespace, as the AWS CLI does', () => {
  const value = (s: string) => parseLookupAttributes(s)[0]!.AttributeValue;
  // U+2028, U+2029, U+00A0 and U+FEFF can be part of a value; trim() would take them.
  for (const ch of ['\u2028', '\u2029', '\u00a0', '\ufeff']) {
    assert.equal(value(`AttributeKey=Username,AttributeValue=alice${ch}`), `alice${ch}`, JSON.stringify(ch));
    assert.equal(value(`AttributeKey=Username,AttributeValue=${ch}alice`), `${ch}alice`, JSON.stringify(ch));
  }
  // Spaces, tabs and line breaks around keys, values and separators are skipped.
  assert.deepEqual(parseLookupAttributes(' AttributeKey = Username , AttributeValue = alice smith \t\n'), [{ AttributeKey: 'Username', AttributeValue: 'alice smith' }]);
});

test('validation follows LookupEvents errors', () => {
  assert.equal(code(() => validateLookup({ LookupAttributes: [{ AttributeKey: 'eventname' as never, AttributeValue: 'x' }] })), 'InvalidLookupAttributesException');
  assert.equal(code(() => validateLookup({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: '' }] })), 'InvalidLookupAttributesException');
  assert.equal(code(() => validateLookup({ StartTime: new Date('2026-02-01'), EndTime: new Date('2026-01-01') })), 'InvalidTimeRangeException');
  assert.equal(code(() => validateLookup({ MaxResults: 0 })), 'InvalidMaxResultsException');
  assert.equal(code(() => validateLookup({ EventCategory: 'management' as never })), 'InvalidEventCategoryException');
  assert.equal(code(() => validateLookup({ MaxResults: 5000 })), 'none');
  assert.equal(code(() => buildLookupQuery({ LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'yes' }] })), 'InvalidLookupAttributesException');
});

test('several attributes are ANDed, times are inclusive, page size + 1 is fetched', () => {
  const q = buildLookupQuery({
    LookupAttributes: [
      { AttributeKey: 'EventName', AttributeValue: 'InvokeModel' },
      { AttributeKey: 'ReadOnly', AttributeValue: 'false' },
    ],
    StartTime: new Date('2026-01-01T00:00:00Z'),
    EndTime: new Date('2026-01-08T00:00:00Z'),
    MaxResults: 10,
  });
  assert.match(q.sql, /eventName = \? AND readOnly = \? AND eventTime >= .* AND eventTime <= /s);
  assert.deepEqual(q.params.slice(0, 2), ['InvokeModel', false]);
  assert.match(q.sql, /LIMIT 11/);
  assert.match(q.sql, /ORDER BY eventTime DESC/);
});

test('filters: columns, record paths, wildcards, negation, lists, null', () => {
  assert.deepEqual(compileFilter('aiActivity=inference'), { sql: '("aiActivity" = ?)', params: ['inference'] });
  assert.deepEqual(compileFilter('errorCode=AccessDenied*'), { sql: `("errorCode" LIKE ? ESCAPE '\\')`, params: ['AccessDenied%'] });
  assert.deepEqual(compileFilter('ERRORCODE!=Throttling'), { sql: 'NOT coalesce("errorCode" = ?, FALSE)', params: ['Throttling'] });
  assert.deepEqual(compileFilter('requestParameters.modelId=anthropic.*'), {
    sql: `(json_extract_string(coalesce(record, recordLarge), ?) LIKE ? ESCAPE '\\')`,
    params: ['$.requestParameters.modelId', 'anthropic.%'],
  });
  assert.deepEqual(compileFilter('userIdentity.arn=arn:x'), { sql: '("userIdentityArn" = ?)', params: ['arn:x'] });
  assert.deepEqual(compileFilter('errorCode=null'), { sql: '("errorCode" IS NULL)', params: [] });
  assert.deepEqual(compileFilter('resourceTypes=AWS::S3::Object'), { sql: '(list_contains("resourceTypes", ?))', params: ['AWS::S3::Object'] });
  assert.deepEqual(compileFilter('readOnly=TRUE'), { sql: '("readOnly" = ?)', params: [true] });
  assert.deepEqual(compileFilter('additionalEventData.x_y=1_%'), { sql: '(json_extract_string(coalesce(record, recordLarge), ?) = ?)', params: ['$.additionalEventData.x_y', '1_%'] });
  assert.equal(code(() => compileFilter('no operator here')), 'USAGE');
  assert.equal(code(() => compileFilter("bad'field=1")), 'USAGE');
  assert.equal(code(() => compileFilter('readOnly=maybe')), 'USAGE');
});

test('filters: eventTime compares the time as the record writes it; record paths read large records too', () => {
  for (const f of ['eventTime=2026*', 'eventTime=*', 'EVENTTIME!=x', 'eventTime=2026-11-01T10:00:00Z', 'eventTime=null']) {
    const q = compileFilter(f);
    assert.match(q.sql, /strftime\("eventTime", '%Y-%m-%dT%H:%M:%SZ'\)/, f);
    assert.doesNotMatch(q.sql, /AS TIMESTAMP/, f);
  }
  assert.deepEqual(compileFilter('eventTime=2026*').params, ['2026%']);
  assert.deepEqual(compileFilter('eventTime=2026-11-01T10:00:00Z').params, ['2026-11-01T10:00:00Z']);
  assert.match(compileFilter('requestParameters.x=1').sql, /json_extract_string\(coalesce\(record, recordLarge\), \?\)/);
});

test('NextToken round-trips only with the same parameters', () => {
  const req = { LookupAttributes: [{ AttributeKey: 'EventName' as const, AttributeValue: 'X' }], MaxResults: 5 };
  const token = encodeNextToken(req, { t: '1767225600000000', id: '42' });
  assert.deepEqual(decodeNextToken({ ...req, MaxResults: 7, NextToken: token }), { t: '1767225600000000', id: '42' });
  assert.equal(code(() => decodeNextToken({ ...req, LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'Y' }], NextToken: token })), 'InvalidNextTokenException');
  assert.equal(code(() => decodeNextToken({ NextToken: 'garbage' })), 'InvalidNextTokenException');
});

test('times: ISO 8601, dates, epoch seconds; nonsense is a usage error', () => {
  assert.equal(parseTime('2026-11-01T00:00:00Z', 'x').toISOString(), '2026-11-01T00:00:00.000Z');
  assert.equal(parseTime('1700000000', 'x').toISOString(), '2023-11-14T22:13:20.000Z');
  // Without a zone, UTC whatever the machine's zone (the skeleton's "1970-01-01T00:00:00" too).
  const tz = process.env.TZ;
  process.env.TZ = 'America/New_York';
  try {
    assert.equal(new Date('2026-11-01T10:00:00').toISOString(), '2026-11-01T15:00:00.000Z', 'the zone took effect');
    assert.equal(parseTime('2026-11-01T10:00:00', 'x').toISOString(), '2026-11-01T10:00:00.000Z');
    assert.equal(parseTime('2026-11-01 10:00', 'x').toISOString(), '2026-11-01T10:00:00.000Z');
    assert.equal(parseTime('2026-11-01T10:00:00.5', 'x').toISOString(), '2026-11-01T10:00:00.500Z');
    assert.equal(parseTime('2026-11-01T10:00:00+02:00', 'x').toISOString(), '2026-11-01T08:00:00.000Z');
    assert.equal(parseTime('2026-11-01', 'x').toISOString(), '2026-11-01T00:00:00.000Z');
  } finally {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
  assert.equal(code(() => parseTime('yesterday-ish', '--start-time')), 'USAGE');
});
