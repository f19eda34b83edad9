import { test } from 'node:test';
import assert from 'node:assert/strict';
import { record } from '../helpers/fixtures.js';
import {
  GENAI_PRESET,
  basicToAdvanced,
  bucketGlobsToArnPrefixes,
  compileSelectors,
  compileTrailSelectors,
  genaiPreset,
  validateAdvancedSelectors,
  type AdvancedFieldSelector,
} from '../../src/trail/selectors.js';

const mgmt = (...fs: AdvancedFieldSelector[]) => [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }, ...fs] }];

const s3Object = (arn: string, over: Record<string, unknown> = {}) =>
  record({
    eventCategory: 'Data',
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    managementEvent: false,
    resources: [
      { type: 'AWS::S3::Bucket', ARN: arn.split('/')[0] },
      { type: 'AWS::S3::Object', ARN: arn },
    ],
    ...over,
  });

const s3Sel = (arnSel: AdvancedFieldSelector) => [
  { FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::S3::Object'] }, arnSel] },
];

// name, selectors, record, expected
const MATCH: Array<[string, unknown, Record<string, unknown>, boolean]> = [
  ['Equals, one value', mgmt({ Field: 'eventName', Equals: ['InvokeModel'] }), record(), true],
  ['Equals is case-sensitive', mgmt({ Field: 'eventName', Equals: ['invokemodel'] }), record(), false],
  ['Equals, any of several values', mgmt({ Field: 'eventName', Equals: ['Converse', 'InvokeModel'] }), record(), true],
  ['Equals, none of several values', mgmt({ Field: 'eventName', Equals: ['Converse', 'ConverseStream'] }), record(), false],
  ['StartsWith', mgmt({ Field: 'eventSource', StartsWith: ['bedrock'] }), record(), true],
  ['StartsWith, any value', mgmt({ Field: 'eventSource', StartsWith: ['s3.', 'bedrock.'] }), record(), true],
  ['StartsWith, no value', mgmt({ Field: 'eventSource', StartsWith: ['s3.', 'ec2.'] }), record(), false],
  ['EndsWith', mgmt({ Field: 'eventName', EndsWith: ['Model'] }), record(), true],
  ['EndsWith, no value', mgmt({ Field: 'eventName', EndsWith: ['Stream', 'Agent'] }), record(), false],
  ['NotEquals', mgmt({ Field: 'eventName', NotEquals: ['Converse'] }), record(), true],
  ['NotEquals, the value itself', mgmt({ Field: 'eventName', NotEquals: ['InvokeModel'] }), record(), false],
  ['NotEquals, none of several values must match', mgmt({ Field: 'eventName', NotEquals: ['Converse', 'InvokeModel'] }), record(), false],
  ['NotStartsWith', mgmt({ Field: 'eventSource', NotStartsWith: ['s3', 'ec2'] }), record(), true],
  ['NotStartsWith, one of several matches', mgmt({ Field: 'eventSource', NotStartsWith: ['s3', 'bedrock'] }), record(), false],
  ['NotEndsWith', mgmt({ Field: 'eventName', NotEndsWith: ['Stream'] }), record(), true],
  ['NotEndsWith, one of several matches', mgmt({ Field: 'eventName', NotEndsWith: ['Stream', 'Model'] }), record(), false],
  ['wildcards are literal', mgmt({ Field: 'eventName', StartsWith: ['Invoke*'] }), record(), false],
  ['wildcard literal matches a literal star', mgmt({ Field: 'eventName', Equals: ['Invoke*'] }), record({ eventName: 'Invoke*' }), true],
  ['two operators in one field selector: both must hold', mgmt({ Field: 'eventName', StartsWith: ['Invoke'], NotEndsWith: ['Stream'] }), record({ eventName: 'InvokeModelWithResponseStream' }), false],
  ['AND across field selectors (all hold)', mgmt({ Field: 'eventSource', Equals: ['bedrock.amazonaws.com'] }, { Field: 'readOnly', Equals: ['true'] }), record(), true],
  ['AND across field selectors (one fails)', mgmt({ Field: 'eventSource', Equals: ['bedrock.amazonaws.com'] }, { Field: 'readOnly', Equals: ['false'] }), record(), false],
  [
    'OR across selectors',
    [...mgmt({ Field: 'eventName', Equals: ['Converse'] }), ...mgmt({ Field: 'eventName', Equals: ['InvokeModel'] })],
    record(),
    true,
  ],
  ['readOnly compares as the string "false"', mgmt({ Field: 'readOnly', Equals: ['false'] }), record({ readOnly: false }), true],
  ['readOnly absent fails Equals', mgmt({ Field: 'readOnly', Equals: ['true'] }), record({ readOnly: undefined }), false],
  ['eventCategory defaults to Management', mgmt(), record({ eventCategory: undefined }), true],
  ['eventCategory Data does not select management events', [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::S3::Object'] }] }], record(), false],
  ['eventType', mgmt({ Field: 'eventType', Equals: ['AwsApiCall'] }), record(), true],
  ['userIdentity.arn StartsWith', mgmt({ Field: 'userIdentity.arn', StartsWith: ['arn:aws:sts::111122223333:assumed-role/DataScientist/'] }), record(), true],
  ['userIdentity.arn absent satisfies a negative operator', mgmt({ Field: 'userIdentity.arn', NotStartsWith: ['arn:aws:iam::'] }), record({ userIdentity: { type: 'AWSService' } }), true],
  ['sessionCredentialFromConsole absent is "false"', mgmt({ Field: 'sessionCredentialFromConsole', Equals: ['false'] }), record(), true],
  ['sessionCredentialFromConsole "true"', mgmt({ Field: 'sessionCredentialFromConsole', Equals: ['true'] }), record({ sessionCredentialFromConsole: 'true' }), true],
  ['errorCode (network activity)', [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['NetworkActivity'] }, { Field: 'errorCode', Equals: ['VpceAccessDenied'] }] }], record({ eventCategory: 'NetworkActivity', errorCode: 'VpceAccessDenied' }), true],
  ['vpcEndpointId', [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['NetworkActivity'] }, { Field: 'vpcEndpointId', StartsWith: ['vpce-'] }] }], record({ eventCategory: 'NetworkActivity', vpcEndpointId: 'vpce-1234' }), true],
  ['resources.ARN StartsWith bucket', s3Sel({ Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::training-data/'] }), s3Object('arn:aws:s3:::training-data/x.parquet'), true],
  ['resources.ARN StartsWith other bucket', s3Sel({ Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::logs/'] }), s3Object('arn:aws:s3:::training-data/x.parquet'), false],
  [
    'resources.* hold on the same resource: the bucket ARN does not satisfy NotStartsWith for the object type',
    s3Sel({ Field: 'resources.ARN', NotStartsWith: ['arn:aws:s3:::training-data/'] }),
    s3Object('arn:aws:s3:::training-data/x.parquet'),
    false,
  ],
  ['resources.* NotStartsWith, another bucket', s3Sel({ Field: 'resources.ARN', NotStartsWith: ['arn:aws:s3:::logs/'] }), s3Object('arn:aws:s3:::training-data/x'), true],
  ['resources.* need a resource', s3Sel({ Field: 'resources.ARN', NotStartsWith: ['arn:aws:s3:::logs/'] }), record({ eventCategory: 'Data' }), false],
  [
    'resources: ANY resource may match',
    [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::S3::Bucket'] }] }],
    s3Object('arn:aws:s3:::b/k'),
    true,
  ],
];

test('advanced selector matching (table)', () => {
  for (const [name, sel, rec, expected] of MATCH) assert.equal(compileSelectors(sel)(rec), expected, name);
  assert.equal(compileSelectors([])(record()), false, 'no selectors select nothing');
});

const DATA = { Field: 'eventCategory', Equals: ['Data'] };
const S3T = { Field: 'resources.type', Equals: ['AWS::S3::Object'] };

// name, selectors, expected message
const INVALID: Array<[string, unknown, RegExp]> = [
  ['not a list', { FieldSelectors: [] }, /Invalid AdvancedEventSelectors at \(root\)/],
  ['wrong value type', [{ FieldSelectors: [{ Field: 'eventName', Equals: 'x' }] }], /Invalid AdvancedEventSelectors at \[0\]\.FieldSelectors\[0\]\.Equals/],
  ['empty FieldSelectors', [{ Name: 'n', FieldSelectors: [] }], /^AdvancedEventSelectors\[0\] \("n"\): FieldSelectors must contain at least one field selector$/],
  ['field pattern', mgmt({ Field: 'event-Name', Equals: ['x'] }), /^AdvancedEventSelectors\[0\]\.FieldSelectors\[1\]: Field "event-Name" does not match the pattern/],
  ['unknown field', mgmt({ Field: 'requestParameters.modelId', Equals: ['x'] }), /FieldSelectors\[1\]: Field "requestParameters.modelId" is not supported/],
  ['no operator', mgmt({ Field: 'eventName' }), /FieldSelectors\[1\]: Field "eventName" has no operator/],
  ['empty values', mgmt({ Field: 'eventName', Equals: [] }), /FieldSelectors\[1\]: Field "eventName" Equals must contain at least one value/],
  ['empty string value', mgmt({ Field: 'eventName', NotEquals: [''] }), /FieldSelectors\[1\]: Field "eventName" NotEquals\[0\] must be 1-2048 characters long \(got 0\)/],
  ['value too long', mgmt({ Field: 'eventName', StartsWith: ['x'.repeat(2049)] }), /StartsWith\[0\] must be 1-2048 characters long \(got 2049\)/],
  ['eventCategory operator', [{ FieldSelectors: [{ Field: 'eventCategory', StartsWith: ['Man'] }] }], /Field "eventCategory" supports only the Equals operator/],
  ['unknown category', [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management', 'Audit'] }] }], /Field "eventCategory" value "Audit" is not a valid event category/],
  ['eventCategory missing', [{ FieldSelectors: [{ Field: 'eventName', Equals: ['x'] }] }], /^AdvancedEventSelectors\[0\]: a field selector on eventCategory is required$/],
  ['same field twice', mgmt({ Field: 'eventName', Equals: ['a'] }, { Field: 'eventName', NotEquals: ['b'] }), /FieldSelectors\[2\]: Field "eventName" appears in more than one field selector; CloudTrail does not allow two field selectors on the same field/],
  ['resources.type operator', [{ FieldSelectors: [DATA, { Field: 'resources.type', StartsWith: ['AWS::S3'] }] }], /Field "resources.type" supports only the Equals operator/],
  ['Data without resources.type', [{ FieldSelectors: [DATA, { Field: 'eventName', Equals: ['GetObject'] }] }], /^AdvancedEventSelectors\[0\]: selectors for Data events require a field selector on resources.type$/],
  ['more than 500 values', [{ FieldSelectors: [DATA, S3T, { Field: 'resources.ARN', StartsWith: Array.from({ length: 499 }, (_, i) => `arn:aws:s3:::b${i}/`) }] }], /^AdvancedEventSelectors: 501 values in total across all conditions; at most 500 are allowed$/],
  ['selector index in the message', [...mgmt(), ...mgmt({ Field: 'nope', Equals: ['x'] })], /^AdvancedEventSelectors\[1\]\.FieldSelectors\[1\]: Field "nope" is not supported/],
];

test('advanced selector validation errors (table)', () => {
  for (const [name, sel, re] of INVALID) {
    assert.throws(() => validateAdvancedSelectors(sel), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && re.test(e.message), name);
  }
  assert.doesNotThrow(() => validateAdvancedSelectors([{ FieldSelectors: [DATA, S3T, { Field: 'resources.ARN', StartsWith: Array.from({ length: 498 }, (_, i) => `arn:aws:s3:::b${i}/`) }] }]), '500 values are allowed');
});

test('basic EventSelectors: read/write type, management events, S3 prefixes, exact Lambda ARNs, all-resource values', () => {
  const fn = 'arn:aws:lambda:us-east-1:111122223333:function:helloworld';
  const basic = [
    {
      ReadWriteType: 'WriteOnly',
      IncludeManagementEvents: true,
      ExcludeManagementEventSources: ['kms.amazonaws.com'],
      DataResources: [
        { Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::training-data/'] },
        { Type: 'AWS::Lambda::Function', Values: [fn] },
      ],
    },
    { ReadWriteType: 'All', IncludeManagementEvents: false, DataResources: [{ Type: 'AWS::DynamoDB::Table', Values: ['arn:aws:dynamodb'] }] },
  ];
  const sel = compileTrailSelectors({ EventSelectors: basic });
  const lambda = (arn: string) => record({ eventCategory: 'Data', readOnly: false, eventSource: 'lambda.amazonaws.com', eventName: 'Invoke', resources: [{ type: 'AWS::Lambda::Function', ARN: arn }] });
  const cases: Array<[string, Record<string, unknown>, boolean]> = [
    ['write management event', record({ readOnly: false }), true],
    ['read management event excluded by WriteOnly', record({ readOnly: true }), false],
    ['excluded management source', record({ readOnly: false, eventSource: 'kms.amazonaws.com' }), false],
    ['S3 write under the prefix', s3Object('arn:aws:s3:::training-data/a', { readOnly: false }), true],
    ['S3 write in another bucket', s3Object('arn:aws:s3:::training-data2/a', { readOnly: false }), false],
    ['S3 read excluded by WriteOnly', s3Object('arn:aws:s3:::training-data/a', { readOnly: true }), false],
    ['Lambda exact function', lambda(fn), true],
    ['Lambda function with a longer name', lambda(fn + '2'), false],
    ['DynamoDB all tables, read or write', record({ eventCategory: 'Data', readOnly: true, resources: [{ type: 'AWS::DynamoDB::Table', ARN: 'arn:aws:dynamodb:us-east-1:111122223333:table/t' }] }), true],
  ];
  for (const [name, rec, expected] of cases) assert.equal(sel(rec), expected, name);
  const adv = basicToAdvanced(basic);
  assert.ok(adv.length >= 4);
  assert.doesNotThrow(() => validateAdvancedSelectors(adv));
  assert.throws(() => compileTrailSelectors({ EventSelectors: basic, AdvancedEventSelectors: [] }), /not both/);
  assert.throws(() => compileTrailSelectors({ EventSelectors: [{ DataResources: [{ Type: 'AWS::SQS::Queue', Values: ['x'] }] }] }), /CONFIG|Invalid/);
  assert.equal(compileTrailSelectors(undefined)(record()), true, 'default trail: all management events');
  assert.equal(compileTrailSelectors(undefined)(s3Object('arn:aws:s3:::b/k')), false, 'default trail: no data events');
});

test('genai preset selects AI activity and aitrail self-audit, not unrelated events', () => {
  const sel = compileSelectors(GENAI_PRESET);
  const cases: Array<[string, Record<string, unknown>, boolean]> = [
    ['Bedrock InvokeModel', record(), true],
    ['Bedrock AgentCore management', record({ eventSource: 'bedrock-agentcore.amazonaws.com', eventName: 'CreateAgentRuntime' }), true],
    ['SageMaker training', record({ eventSource: 'sagemaker.amazonaws.com', eventName: 'CreateTrainingJob' }), true],
    ['EC2 RunInstances', record({ eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances' }), true],
    ['IAM CreateUser', record({ eventSource: 'iam.amazonaws.com', eventName: 'CreateUser' }), false],
    ['aitrail self-audit', record({ eventSource: 'aitrail.local', eventName: 'ValidateLogs', eventCategory: undefined }), true],
    ['Bedrock agent data event', record({ eventCategory: 'Data', eventName: 'InvokeAgent', resources: [{ type: 'AWS::Bedrock::AgentAlias', ARN: 'arn:aws:bedrock:us-east-1:111122223333:agent-alias/A/B' }] }), true],
    ['S3 object in an AI bucket', s3Object('arn:aws:s3:::sagemaker-us-east-1-111122223333/train.csv'), true],
    ['S3 object in a log bucket', s3Object('arn:aws:s3:::access-logs/x'), false],
    ['Lambda invoke', record({ eventCategory: 'Data', eventName: 'Invoke', resources: [{ type: 'AWS::Lambda::Function', ARN: 'arn:aws:lambda:us-east-1:111122223333:function:f' }] }), true],
  ];
  for (const [name, rec, expected] of cases) assert.equal(sel(rec), expected, name);
  const custom = compileSelectors(genaiPreset({ s3ArnPrefixes: bucketGlobsToArnPrefixes(['acme-corpus-*', 'research-data', '*model*']).prefixes }));
  assert.equal(custom(s3Object('arn:aws:s3:::acme-corpus-7/a')), true);
  assert.equal(custom(s3Object('arn:aws:s3:::research-data/a')), true);
  assert.equal(custom(s3Object('arn:aws:s3:::research-data-old/a')), false, 'a plain bucket name means exactly that bucket');
  assert.deepEqual(bucketGlobsToArnPrefixes(['*model*']).unsupported, ['*model*']);
});
