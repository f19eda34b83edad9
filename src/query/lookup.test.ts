import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLookupQuery, compileFilter, decodeNextToken, encodeNextToken, parseLookupAttribute, parseTime, validateLookup } from './lookup.js';
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
  assert.deepEqual(parseLookupAttribute('AttributeKey=EventName,AttributeValue=InvokeModel'), { AttributeKey: 'EventName', AttributeValue: 'InvokeModel' });
  assert.deepEqual(parseLookupAttribute('AttributeKey=Username,AttributeValue=a,b'), { AttributeKey: 'Username', AttributeValue: 'a,b' });
  assert.deepEqual(parseLookupAttribute('[{"AttributeKey":"EventId","AttributeValue":"x"}]'), { AttributeKey: 'EventId', AttributeValue: 'x' });
  assert.equal(code(() => parseLookupAttribute('EventName=x')), 'InvalidLookupAttributesException');
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
    sql: `(json_extract_string(record, ?) LIKE ? ESCAPE '\\')`,
    params: ['$.requestParameters.modelId', 'anthropic.%'],
  });
  assert.deepEqual(compileFilter('userIdentity.arn=arn:x'), { sql: '("userIdentityArn" = ?)', params: ['arn:x'] });
  assert.deepEqual(compileFilter('errorCode=null'), { sql: '("errorCode" IS NULL)', params: [] });
  assert.deepEqual(compileFilter('resourceTypes=AWS::S3::Object'), { sql: '(list_contains("resourceTypes", ?))', params: ['AWS::S3::Object'] });
  assert.deepEqual(compileFilter('readOnly=TRUE'), { sql: '("readOnly" = ?)', params: [true] });
  assert.deepEqual(compileFilter('additionalEventData.x_y=1_%'), { sql: '(json_extract_string(record, ?) = ?)', params: ['$.additionalEventData.x_y', '1_%'] });
  assert.equal(code(() => compileFilter('no operator here')), 'USAGE');
  assert.equal(code(() => compileFilter("bad'field=1")), 'USAGE');
  assert.equal(code(() => compileFilter('readOnly=maybe')), 'USAGE');
});

test('NextToken round-trips only with the same parameters', () => {
  const req = { LookupAttributes: [{ AttributeKey: 'EventName' as const, AttributeValue: 'X' }], MaxResults: 5 };
  const token = encodeNextToken(req, { t: '2026-01-01 00:00:00', id: '42' });
  assert.deepEqual(decodeNextToken({ ...req, MaxResults: 7, NextToken: token }), { t: '2026-01-01 00:00:00', id: '42' });
  assert.equal(code(() => decodeNextToken({ ...req, LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'Y' }], NextToken: token })), 'InvalidNextTokenException');
  assert.equal(code(() => decodeNextToken({ NextToken: 'garbage' })), 'InvalidNextTokenException');
});

test('times: ISO 8601, dates, epoch seconds; nonsense is a usage error', () => {
  assert.equal(parseTime('2026-11-01T00:00:00Z', 'x').toISOString(), '2026-11-01T00:00:00.000Z');
  assert.equal(parseTime('1700000000', 'x').toISOString(), '2023-11-14T22:13:20.000Z');
  assert.equal(code(() => parseTime('yesterday-ish', '--start-time')), 'USAGE');
});
