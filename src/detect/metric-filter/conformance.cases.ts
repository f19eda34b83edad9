/**
 * Conformance table for CloudWatch Logs filter patterns on JSON events. Examples marked "doc" come
 * from the CloudWatch Logs "Filter and pattern syntax" page (patterns and expected results as
 * stated there); the rest pin down the decisions documented in match.ts.
 */

/** One pattern/event pair with the expected match result. */
export interface ConformanceCase {
  name: string;
  pattern: string;
  event: object;
  expected: boolean;
}

// The JSON log event of the docs' "Matching terms in JSON log events" section.
const docEvent = {
  eventType: 'UpdateTrail',
  sourceIPAddress: '111.111.111.111',
  arrayKey: ['value', 'another value'],
  objectList: [
    { name: 'a', id: 1 },
    { name: 'b', id: 2 },
  ],
  SomeObject: null,
};

// The JSON object of the docs' "compound expressions" section.
const compoundEvent = {
  user: { id: 1, email: 'John.Stiles@example.com' },
  users: [
    { id: 2, email: 'John.Doe@example.com' },
    { id: 3, email: 'Jane.Doe@example.com' },
  ],
  actions: ['GET', 'PUT', 'DELETE'],
  coordinates: [
    [0, 1, 2],
    [4, 5, 6],
    [7, 8, 9],
  ],
};

const numbers = {
  latency: 50,
  bandwidth: 80,
  refreshRate: 60,
  responseTime: 5,
  errorCode: 400,
  number: [0.001, 1000],
  neg: -2.5,
  big: 1500,
  zero: 0,
  str400: '400',
  recipientAccountId: '123456789012',
};

const booleans = { readOnly: true, managementEvent: false, text: 'true' };

const quoting = {
  msg: 'say "hi"',
  path: 'C:\\temp\\x',
  star: 'a*b',
  words: 'two words',
  dashed: 'a-b_c',
  empty: '',
};

const regexEvent = { eventName: 'GetObject', userAgent: 'aws-cli/2.15.0 Python/3.11', ip: '10.10.0.1', status: 404 };

const cis41v3 =
  '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }';
// The same conditions with the `||` grouped first: what a reader might wrongly assume 4.1 v3 means.
const cis41v3Regrouped =
  '{ (($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*")) && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }';
const cis42 = '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }';
const cis43 = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }';

const ec2Denied = {
  eventName: 'HeadBucket',
  errorCode: 'Client.UnauthorizedOperation',
  sourceIPAddress: 'delivery.logs.amazonaws.com',
};
const s3DeniedByLogDelivery = { eventName: 'GetObject', errorCode: 'AccessDenied', sourceIPAddress: 'delivery.logs.amazonaws.com' };
const s3DeniedHeadBucket = { eventName: 'HeadBucket', errorCode: 'AccessDenied', sourceIPAddress: '198.51.100.7' };
const s3DeniedUser = { eventName: 'GetObject', errorCode: 'AccessDenied', sourceIPAddress: '198.51.100.7' };

const login = (extra: object) => ({ eventName: 'ConsoleLogin', eventSource: 'signin.amazonaws.com', userIdentity: { type: 'IAMUser' }, ...extra });

const msg419 = { message: '[ERROR 419] MISSING ARGUMENTS' };
const msg400 = { message: '[ERROR 400] BAD REQUEST' };
const msg500 = { message: '[ERROR 500] INTERNAL SERVER ERROR' };

/** The conformance table. */
export const cases: ConformanceCase[] = [
  // --- strings: =, !=, case, bare words -----------------------------------------------------
  { name: 'doc: string equality', pattern: '{ $.eventType = "UpdateTrail" }', event: docEvent, expected: true },
  { name: 'bare word value (CIS style, no spaces)', pattern: '{$.eventType=UpdateTrail}', event: docEvent, expected: true },
  { name: 'string equality is case-sensitive', pattern: '{ $.eventType = "updatetrail" }', event: docEvent, expected: false },
  { name: '!= on the equal value', pattern: '{ $.eventType != "UpdateTrail" }', event: docEvent, expected: false },
  { name: '!= on a different value', pattern: '{ $.eventType != CreateTrail }', event: docEvent, expected: true },
  { name: 'bare dotted value (kms.amazonaws.com style)', pattern: '{ $.sourceIPAddress = 111.111.111.111 }', event: docEvent, expected: true },
  { name: 'a selector through a string finds nothing', pattern: '{ $.eventType.name = "UpdateTrail" }', event: docEvent, expected: false },

  // --- wildcards ----------------------------------------------------------------------------
  { name: 'doc: != with a bare prefix wildcard', pattern: '{ $.sourceIPAddress != 123.123.* }', event: docEvent, expected: true },
  { name: 'prefix wildcard matches', pattern: '{ $.sourceIPAddress = 111.111.* }', event: docEvent, expected: true },
  { name: 'suffix wildcard', pattern: '{ $.sourceIPAddress = "*.111" }', event: docEvent, expected: true },
  { name: 'middle wildcard', pattern: '{ $.sourceIPAddress = "111.*.111" }', event: docEvent, expected: true },
  { name: 'middle wildcard miss', pattern: '{ $.sourceIPAddress = "111.*.112" }', event: docEvent, expected: false },
  { name: 'infix wildcard', pattern: '{ $.eventType = "*ateTr*" }', event: docEvent, expected: true },
  { name: 'wildcard matches an empty run', pattern: '{ $.eventType = "Update*Trail" }', event: docEvent, expected: true },
  { name: 'two wildcards', pattern: '{ $.sourceIPAddress = "1*.1*1" }', event: docEvent, expected: true },
  { name: 'wildcard is still anchored', pattern: '{ $.eventType = "pdate*" }', event: docEvent, expected: false },

  // --- presence: = * / = "*" ----------------------------------------------------------------
  { name: 'doc: = "*" on a present string', pattern: '{ $.eventType = "*" }', event: docEvent, expected: true },
  { name: 'bare * on a present string', pattern: '{ $.eventType = * }', event: docEvent, expected: true },
  { name: '= * on a missing field', pattern: '{ $.nothing = * }', event: docEvent, expected: false },
  { name: '= "*" on JSON null (exists-and-not-null)', pattern: '{ $.SomeObject = "*" }', event: docEvent, expected: false },
  { name: '!= * never matches', pattern: '{ $.eventType != * }', event: docEvent, expected: false },
  { name: 'doc: dimensions example', pattern: '{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }', event: docEvent, expected: true },

  // --- arrays, nested arrays, selectors hitting objects/arrays --------------------------------
  { name: 'doc: element of an array', pattern: '{ $.arrayKey[0] = "value" }', event: docEvent, expected: true },
  { name: 'second element with a space', pattern: '{ $.arrayKey[1] = "another value" }', event: docEvent, expected: true },
  { name: 'index out of range', pattern: '{ $.arrayKey[2] = "value" }', event: docEvent, expected: false },
  { name: 'doc: object in an array', pattern: '{ $.objectList[1].id = 2 }', event: docEvent, expected: true },
  { name: 'object in an array, other index', pattern: '{ $.objectList[0].id = 2 }', event: docEvent, expected: false },
  { name: 'no implicit "any element" expansion', pattern: '{ $.objectList.id = 1 }', event: docEvent, expected: false },
  { name: 'selector hits an array: = does not match', pattern: '{ $.arrayKey = "value" }', event: docEvent, expected: false },
  { name: 'selector hits an array: = * does not match', pattern: '{ $.arrayKey = * }', event: docEvent, expected: false },
  { name: 'selector hits an object: != does not match', pattern: '{ $.objectList[1] != "x" }', event: docEvent, expected: false },
  { name: 'selector hits an object: = * does not match', pattern: '{ $.user = * }', event: compoundEvent, expected: false },
  { name: 'nested array index', pattern: '{ $.coordinates[0][1] = 1 }', event: compoundEvent, expected: true },
  { name: 'nested array last element', pattern: '{ $.coordinates[2][2] = 9 }', event: compoundEvent, expected: true },
  { name: 'nested array: selector stops at an inner array', pattern: '{ $.coordinates[1] = 4 }', event: compoundEvent, expected: false },

  // --- IS NULL / IS TRUE / IS FALSE / NOT EXISTS ----------------------------------------------
  { name: 'doc: IS NULL', pattern: '{ $.SomeObject IS NULL }', event: docEvent, expected: true },
  { name: 'IS NULL on a string', pattern: '{ $.eventType IS NULL }', event: docEvent, expected: false },
  { name: 'IS NULL on a missing field', pattern: '{ $.SomeOtherObject IS NULL }', event: docEvent, expected: false },
  { name: 'doc: NOT EXISTS on a missing field', pattern: '{ $.SomeOtherObject NOT EXISTS }', event: docEvent, expected: true },
  { name: 'NOT EXISTS on a null field (the key exists)', pattern: '{ $.SomeObject NOT EXISTS }', event: docEvent, expected: false },
  { name: 'NOT EXISTS on an array', pattern: '{ $.objectList NOT EXISTS }', event: docEvent, expected: false },
  { name: 'NOT EXISTS below a missing parent', pattern: '{ $.userIdentity.invokedBy NOT EXISTS }', event: docEvent, expected: true },
  { name: 'null: = comparison is false', pattern: '{ $.SomeObject = "null" }', event: docEvent, expected: false },
  { name: 'null: != comparison is false too', pattern: '{ $.SomeObject != "x" }', event: docEvent, expected: false },
  { name: 'IS TRUE on true', pattern: '{ $.readOnly IS TRUE }', event: booleans, expected: true },
  { name: 'IS FALSE on true', pattern: '{ $.readOnly IS FALSE }', event: booleans, expected: false },
  { name: 'IS FALSE on false', pattern: '{ $.managementEvent IS FALSE }', event: booleans, expected: true },
  { name: 'IS TRUE on the string "true"', pattern: '{ $.text IS TRUE }', event: booleans, expected: false },
  { name: 'IS FALSE on a missing field', pattern: '{ $.missing IS FALSE }', event: booleans, expected: false },
  { name: '= true does not match a JSON boolean', pattern: '{ $.readOnly = true }', event: booleans, expected: false },
  { name: '!= on a boolean is false', pattern: '{ $.readOnly != "false" }', event: booleans, expected: false },
  { name: '= * on a boolean (present)', pattern: '{ $.managementEvent = * }', event: booleans, expected: true },

  // --- numbers ------------------------------------------------------------------------------
  { name: 'doc: >', pattern: '{ $.bandwidth > 75 }', event: numbers, expected: true },
  { name: 'doc: < (equal is not less)', pattern: '{ $.latency < 50 }', event: numbers, expected: false },
  { name: 'doc: >=', pattern: '{ $.refreshRate >= 60 }', event: numbers, expected: true },
  { name: 'doc: <=', pattern: '{ $.responseTime <= 5 }', event: numbers, expected: true },
  { name: 'doc: = number', pattern: '{ $.errorCode = 400}', event: numbers, expected: true },
  { name: 'doc: != number', pattern: '{ $.errorCode != 500 }', event: numbers, expected: true },
  { name: 'doc: scientific notation with minus', pattern: '{ $.number[0] = 1e-3 }', event: numbers, expected: true },
  { name: 'doc: scientific notation with plus', pattern: '{ $.number[1] != 1e+3 }', event: numbers, expected: false },
  { name: 'upper-case exponent', pattern: '{ $.number[1] = 1E3 }', event: numbers, expected: true },
  { name: 'negative decimal comparison', pattern: '{ $.neg < -2 }', event: numbers, expected: true },
  { name: 'trailing zeros compare numerically', pattern: '{ $.neg = -2.50 }', event: numbers, expected: true },
  { name: 'explicit plus sign and exponent', pattern: '{ $.big > +1.2e3 }', event: numbers, expected: true },
  { name: 'zero', pattern: '{ $.zero <= 0 }', event: numbers, expected: true },
  { name: 'doc: numeric wildcard (metricValue example)', pattern: '{ $.latency = * }', event: numbers, expected: true },
  { name: 'wildcard on a number\'s text', pattern: '{ $.errorCode = 4* }', event: numbers, expected: true },
  { name: 'wildcard on a number\'s text, miss', pattern: '{ $.errorCode = 5* }', event: numbers, expected: false },
  { name: 'quoted string against a number compares text', pattern: '{ $.errorCode = "400" }', event: numbers, expected: true },
  { name: 'ordering never applies to strings', pattern: '{ $.str400 > 300 }', event: numbers, expected: false },
  { name: 'number literal = string compares the literal text', pattern: '{ $.recipientAccountId = 123456789012 }', event: numbers, expected: true },
  { name: 'number literal = string: no numeric coercion', pattern: '{ $.str400 = 4e2 }', event: numbers, expected: false },
  { name: 'range with &&', pattern: '{ $.latency > 10 && $.latency < 100 }', event: numbers, expected: true },
  { name: 'number on a missing field, !=', pattern: '{ $.nothing != 1 }', event: numbers, expected: false },

  // --- quoting and escapes ------------------------------------------------------------------
  { name: 'escaped quotes', pattern: '{ $.msg = "say \\"hi\\"" }', event: quoting, expected: true },
  { name: 'escaped backslashes', pattern: '{ $.path = "C:\\\\temp\\\\x" }', event: quoting, expected: true },
  { name: 'unknown escapes keep the backslash', pattern: '{ $.path = "C:\\temp\\x" }', event: quoting, expected: true },
  { name: 'wildcard with an escaped quote', pattern: '{ $.msg = "*\\"hi\\"" }', event: quoting, expected: true },
  { name: '* in the value also matches a literal star', pattern: '{ $.star = "a*b" }', event: quoting, expected: true },
  { name: 'quoted phrase with a space', pattern: '{ $.words = "two words" }', event: quoting, expected: true },
  { name: 'bare word with wildcard', pattern: '{ $.words = two* }', event: quoting, expected: true },
  { name: 'bare word with - and _', pattern: '{ $.dashed = a-b_c }', event: quoting, expected: true },
  { name: 'empty string equals ""', pattern: '{ $.empty = "" }', event: quoting, expected: true },
  { name: 'selector names with - and _', pattern: '{ $.x-y_z = 1 }', event: { 'x-y_z': 1 }, expected: true },

  // --- regex --------------------------------------------------------------------------------
  { name: 'regex prefix anchor', pattern: '{ $.eventName = %^Get% }', event: regexEvent, expected: true },
  { name: 'regex suffix anchor', pattern: '{ $.eventName = %Object$% }', event: regexEvent, expected: true },
  { name: 'regex is an unanchored search', pattern: '{ $.eventName = %tObj% }', event: regexEvent, expected: true },
  { name: 'regex is case-sensitive', pattern: '{ $.eventName = %^get% }', event: regexEvent, expected: false },
  { name: 'regex !=', pattern: '{ $.eventName != %^Put% }', event: regexEvent, expected: true },
  { name: 'regex alternation', pattern: '{ $.eventName = %^Put|^Get% }', event: regexEvent, expected: true },
  { name: 'regex escaped dots', pattern: '{ $.ip = %^10\\.10\\.0\\.1$% }', event: regexEvent, expected: true },
  { name: 'regex class, quantifier and /', pattern: '{ $.userAgent = %aws-cli/2\\.[0-9]+% }', event: regexEvent, expected: true },
  { name: 'regex on a number\'s text', pattern: '{ $.status = %^4[0-9]{2}$% }', event: regexEvent, expected: true },
  { name: 'regex != on a missing field', pattern: '{ $.nothing != %x% }', event: regexEvent, expected: false },

  // --- && / || precedence and parentheses -----------------------------------------------------
  { name: 'doc: AND', pattern: '{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', event: compoundEvent, expected: true },
  {
    name: 'doc: OR binds looser than AND (matches)',
    pattern: '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }',
    event: compoundEvent,
    expected: true,
  },
  {
    name: 'doc: parentheses change the grouping (no match)',
    pattern: '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }',
    event: compoundEvent,
    expected: false,
  },
  { name: 'doc: OR of a failing AND (no match)', pattern: '{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', event: compoundEvent, expected: false },
  { name: 'A || B && C: A alone suffices', pattern: '{ $.a = 1 || $.b = 1 && $.c = 1 }', event: { a: 1, b: 0, c: 0 }, expected: true },
  { name: '(A || B) && C: A alone does not', pattern: '{ ($.a = 1 || $.b = 1) && $.c = 1 }', event: { a: 1, b: 0, c: 0 }, expected: false },
  { name: 'A && B || C: C alone suffices', pattern: '{ $.a = 1 && $.b = 1 || $.c = 1 }', event: { a: 0, b: 0, c: 1 }, expected: true },
  { name: 'redundant nested parentheses', pattern: '{ ((($.user.id = 1))) }', event: compoundEvent, expected: true },
  {
    name: 'deep nesting',
    pattern: '{ $.actions[0] = "GET" && ($.actions[1] = "POST" || ($.actions[2] = "DELETE" && $.user.id = 1)) }',
    event: compoundEvent,
    expected: true,
  },
  { name: 'multi-line pattern', pattern: '{\n  $.user.id = 1\n  && $.actions[1] = PUT\n}', event: compoundEvent, expected: true },

  // --- CIS 4.1 v3/v5: `A || B && C && D` ------------------------------------------------------
  { name: 'CIS 4.1 v3: UnauthorizedOperation matches even from log delivery + HeadBucket', pattern: cis41v3, event: ec2Denied, expected: true },
  { name: 'CIS 4.1 v3 regrouped (A || B) && C && D: same event does not match', pattern: cis41v3Regrouped, event: ec2Denied, expected: false },
  { name: 'CIS 4.1 v3: AccessDenied from delivery.logs is excluded', pattern: cis41v3, event: s3DeniedByLogDelivery, expected: false },
  { name: 'CIS 4.1 v3: AccessDenied on HeadBucket is excluded', pattern: cis41v3, event: s3DeniedHeadBucket, expected: false },
  { name: 'CIS 4.1 v3: AccessDenied from a user matches', pattern: cis41v3, event: s3DeniedUser, expected: true },
  { name: 'CIS 4.1 v3: AccessDenied without sourceIPAddress (!= on a missing field)', pattern: cis41v3, event: { eventName: 'GetObject', errorCode: 'AccessDenied' }, expected: false },

  // --- != and missing fields (CIS 4.2 / 4.3) ---------------------------------------------------
  { name: 'CIS 4.2: MFAUsed "No" matches', pattern: cis42, event: login({ additionalEventData: { MFAUsed: 'No' } }), expected: true },
  { name: 'CIS 4.2: MFAUsed "Yes" does not', pattern: cis42, event: login({ additionalEventData: { MFAUsed: 'Yes' } }), expected: false },
  { name: 'CIS 4.2: no MFAUsed at all does not (!= needs the field)', pattern: cis42, event: login({ additionalEventData: { LoginTo: 'x' } }), expected: false },
  { name: 'CIS 4.2: additionalEventData null does not', pattern: cis42, event: login({ additionalEventData: null }), expected: false },
  {
    name: 'azul#5884: != on a missing invokedBy does not match',
    pattern: '{($.errorCode = "AccessDenied") && ($.userIdentity.invokedBy != "cloudfront.amazonaws.com")}',
    event: { errorCode: 'AccessDenied', userIdentity: { accountId: 'anonymous' } },
    expected: false,
  },
  { name: 'CIS 4.3: root API call', pattern: cis43, event: { userIdentity: { type: 'Root' }, eventType: 'AwsApiCall' }, expected: true },
  { name: 'CIS 4.3: root call made by a service', pattern: cis43, event: { userIdentity: { type: 'Root', invokedBy: 'signin.amazonaws.com' }, eventType: 'AwsApiCall' }, expected: false },
  { name: 'CIS 4.3: AwsServiceEvent excluded', pattern: cis43, event: { userIdentity: { type: 'Root' }, eventType: 'AwsServiceEvent' }, expected: false },

  // --- unstructured term patterns on the event's JSON text -------------------------------------
  { name: 'doc: single term', pattern: 'ERROR', event: msg419, expected: true },
  { name: 'doc: all terms (AND)', pattern: 'ERROR ARGUMENTS', event: msg419, expected: true },
  { name: 'doc: all terms, one missing', pattern: 'ERROR ARGUMENTS', event: msg400, expected: false },
  { name: 'doc: ?any of the terms', pattern: '?ERROR ?ARGUMENTS', event: msg400, expected: true },
  { name: '?any of the terms, none present', pattern: '?WARN ?ARGUMENTS', event: msg400, expected: false },
  { name: 'doc: exact phrase', pattern: '"INTERNAL SERVER ERROR"', event: msg500, expected: true },
  { name: 'doc: exact phrase absent', pattern: '"INTERNAL SERVER ERROR"', event: msg419, expected: false },
  { name: 'doc: exclusion, excluded term absent', pattern: 'ERROR -ARGUMENTS', event: msg400, expected: true },
  { name: 'doc: exclusion, excluded term present', pattern: 'ERROR -ARGUMENTS', event: msg419, expected: false },
  { name: 'doc: " " matches everything', pattern: '" "', event: { a: 1 }, expected: true },
  { name: 'empty pattern matches everything', pattern: '', event: { a: 1 }, expected: true },
  { name: '"" matches everything', pattern: '""', event: { a: 1 }, expected: true },
  { name: 'terms are case-sensitive', pattern: 'error', event: msg419, expected: false },
  { name: 'a term does not match inside a longer word', pattern: 'Stop', event: { eventName: 'StopLogging' }, expected: false },
  { name: 'a whole term matches', pattern: 'StopLogging', event: { eventName: 'StopLogging' }, expected: true },
  { name: 'a %regex% term matches inside words', pattern: '%Stop%', event: { eventName: 'StopLogging' }, expected: true },
  { name: 'term groups: ?A B ?C', pattern: '?ERROR MISSING ?WARN', event: msg400, expected: false },
  { name: 'term groups: second alternative', pattern: '?ERROR MISSING ?BAD', event: msg400, expected: true },
  { name: 'quoted term with punctuation', pattern: '"[ERROR 400]"', event: msg400, expected: true },
];
