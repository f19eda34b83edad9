/**
 * Shared Sigma conformance table: each case is a complete rule (YAML text), one JSON event and
 * the expected verdict. Any Sigma matcher in aitrail should pass every case; rules using
 * `expand` need `conformancePlaceholders`.
 */

/** One conformance case. */
export interface ConformanceCase {
  name: string;
  rule: string;
  event: object;
  expected: boolean;
}

/** Placeholder values the `expand` cases rely on. */
export const conformancePlaceholders: Record<string, string[]> = {
  Admins: ['root', 'alice'],
  TrustedNets: ['10.*', '192.168.1.*'],
  TrustedCidrs: ['10.0.0.0/8'],
};

/** Wraps a detection body (written at column 0, raw so backslashes are YAML's) into a full rule. */
function r(strings: TemplateStringsArray, ...vals: unknown[]): string {
  const body = String.raw(strings, ...vals).replace(/^\n/, '');
  const indented = body
    .split('\n')
    .map((l) => (l.trim() === '' ? '' : '    ' + l))
    .join('\n');
  return `title: Conformance case\nid: 00000000-0000-4000-8000-000000000000\nstatus: test\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n${indented}\nlevel: medium\n`;
}

const b64 = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s).toString('base64');

const base = {
  eventVersion: '1.09',
  eventID: '6b1c5a8e-0000-4000-8000-000000000001',
  eventTime: '2024-08-18T11:47:32Z',
  eventSource: 'iam.amazonaws.com',
  eventName: 'CreateUser',
  eventType: 'AwsApiCall',
  awsRegion: 'us-east-1',
  sourceIPAddress: '10.1.2.3',
  userAgent: 'aws-cli/2.17.32 Python/3.11.9 Linux',
  readOnly: false,
  managementEvent: true,
  responseElements: null,
  userIdentity: {
    type: 'IAMUser',
    arn: 'arn:aws:iam::111111111111:user/alice',
    userName: 'alice',
    accessKeyId: 'AKIAEXAMPLEKEY',
    sessionContext: { attributes: { mfaAuthenticated: 'false' }, sessionIssuer: { type: 'Role' } },
  },
  additionalEventData: { MFAUsed: 'No', LoginTo: 'https://console.aws.amazon.com/' },
  requestParameters: {
    userName: 'ALICE',
    fromPort: 22,
    count: 5,
    ratio: '10',
    enable: false,
    path: 'C:\\Windows\\System32\\cmd.exe',
    pattern: 'a*b?c',
    commandLine: 'powershell -enc AAAA',
    note: 'line1\nline2',
    empty: '',
    layers: ['arn:aws:lambda:us-east-1:111111111111:layer:evil:1', 'arn:aws:lambda:us-east-1:111111111111:layer:ok:2'],
    tags: [
      { key: 'team', value: 'red' },
      { key: 'env', value: 'prod' },
    ],
    containerDefinitions: [{ command: ['sh', '-c', 'curl $AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'] }, { command: ['echo', 'hi'] }],
    policyDocument: '{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}',
    ipv6: '2001:db8:85a3::8a2e:370:7334',
    payload0: b64('http://evil.example/x'),
    payload1: b64('ahttp://evil.example/x'),
    payload2: b64('abhttp://evil.example/x'),
    payloadWide: b64(Buffer.from('powershell -c whoami', 'utf16le')),
    exact64: b64('whoami'),
    exactBe: b64(Buffer.from('whoami', 'utf16le').swap16()),
    exactBom: b64(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('whoami', 'utf16le')])),
    dashed: 'net user /add x',
    enDashed: 'net user \u2013add x',
  },
};

const withFields = (patch: Record<string, unknown>) => ({ ...base, ...patch });

/** The conformance cases. */
export const cases: ConformanceCase[] = [
  // --- plain equality, case, types
  { name: 'equality: exact value', rule: r`
sel:
    eventName: CreateUser
condition: sel`, event: base, expected: true },
  { name: 'equality: case-insensitive by default', rule: r`
sel:
    eventName: 'createuser'
condition: sel`, event: base, expected: true },
  { name: 'equality: mismatch', rule: r`
sel:
    eventName: DeleteUser
condition: sel`, event: base, expected: false },
  { name: 'equality: is not substring match', rule: r`
sel:
    eventName: Create
condition: sel`, event: base, expected: false },
  { name: 'equality: SigmaHQ NO matches CloudTrail No', rule: r`
sel:
    additionalEventData.MFAUsed: 'NO'
condition: sel`, event: base, expected: true },
  { name: 'cased: exact case matches', rule: r`
sel:
    eventName|cased: CreateUser
condition: sel`, event: base, expected: true },
  { name: 'cased: other case does not match', rule: r`
sel:
    eventName|cased: createuser
condition: sel`, event: base, expected: false },
  { name: 'number field equals quoted string', rule: r`
sel:
    requestParameters.fromPort: '22'
condition: sel`, event: base, expected: true },
  { name: 'number field equals YAML number', rule: r`
sel:
    requestParameters.fromPort: 22
condition: sel`, event: base, expected: true },
  { name: 'number field does not equal other number', rule: r`
sel:
    requestParameters.fromPort: 23
condition: sel`, event: base, expected: false },
  { name: 'boolean field equals quoted false', rule: r`
sel:
    requestParameters.enable: 'false'
condition: sel`, event: base, expected: true },
  { name: 'boolean field equals YAML boolean', rule: r`
sel:
    managementEvent: true
condition: sel`, event: base, expected: true },
  { name: 'boolean field does not equal opposite', rule: r`
sel:
    readOnly: 'true'
condition: sel`, event: base, expected: false },
  { name: 'string field equals YAML number written as string form', rule: r`
sel:
    requestParameters.ratio: 10
condition: sel`, event: base, expected: true },
  { name: 'dotted path into nested objects', rule: r`
sel:
    userIdentity.sessionContext.sessionIssuer.type: Role
condition: sel`, event: base, expected: true },
  { name: 'absent nested path does not match', rule: r`
sel:
    userIdentity.sessionContext.webIdFederationData.federatedProvider: x
condition: sel`, event: base, expected: false },
  { name: 'value list is OR', rule: r`
sel:
    eventName:
        - DeleteUser
        - CreateUser
condition: sel`, event: base, expected: true },
  { name: 'value list with no hit', rule: r`
sel:
    eventName:
        - DeleteUser
        - UpdateUser
condition: sel`, event: base, expected: false },
  { name: 'map is AND: all fields match', rule: r`
sel:
    eventSource: iam.amazonaws.com
    eventName: CreateUser
    userIdentity.type: IAMUser
condition: sel`, event: base, expected: true },
  { name: 'map is AND: one field fails', rule: r`
sel:
    eventSource: iam.amazonaws.com
    eventName: CreateUser
    userIdentity.type: Root
condition: sel`, event: base, expected: false },
  { name: 'list of maps is OR', rule: r`
sel:
    - eventName: DeleteUser
    - userIdentity.type: IAMUser
condition: sel`, event: base, expected: true },
  { name: 'list of maps with no hit', rule: r`
sel:
    - eventName: DeleteUser
    - userIdentity.type: Root
condition: sel`, event: base, expected: false },

  // --- null, empty, absent
  { name: 'null matches an absent field', rule: r`
sel:
    errorCode: null
condition: sel`, event: base, expected: true },
  { name: 'null matches a JSON null field', rule: r`
sel:
    responseElements: null
condition: sel`, event: base, expected: true },
  { name: 'null does not match a present field', rule: r`
sel:
    eventName: null
condition: sel`, event: base, expected: false },
  { name: 'not null via negated selection', rule: r`
sel:
    eventName: CreateUser
filter:
    errorCode: null
condition: sel and not filter`, event: withFields({ errorCode: 'AccessDenied' }), expected: true },
  { name: 'empty string matches empty field', rule: r`
sel:
    requestParameters.empty: ''
condition: sel`, event: base, expected: true },
  { name: 'empty string does not match absent field', rule: r`
sel:
    requestParameters.missing: ''
condition: sel`, event: base, expected: false },

  // --- arrays
  { name: 'array of scalars: any element equals', rule: r`
sel:
    requestParameters.layers: 'arn:aws:lambda:us-east-1:111111111111:layer:ok:2'
condition: sel`, event: base, expected: true },
  { name: 'array of objects: any element field equals', rule: r`
sel:
    requestParameters.tags.key: env
condition: sel`, event: base, expected: true },
  { name: 'array of objects: no element has the value', rule: r`
sel:
    requestParameters.tags.value: blue
condition: sel`, event: base, expected: false },
  { name: 'array of objects holding arrays: contains reaches the strings', rule: r`
sel:
    requestParameters.containerDefinitions.command|contains: '$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'
condition: sel`, event: base, expected: true },
  { name: 'array of objects holding arrays: element equality', rule: r`
sel:
    requestParameters.containerDefinitions.command: echo
condition: sel`, event: base, expected: true },
  { name: 'contains wildcard on a non-empty array', rule: r`
sel:
    requestParameters.layers|contains: '*'
condition: sel`, event: base, expected: true },

  // --- wildcards and escapes
  { name: 'wildcard *: prefix', rule: r`
sel:
    eventName: 'Create*'
condition: sel`, event: base, expected: true },
  { name: 'wildcard *: case-insensitive', rule: r`
sel:
    userAgent: 'AWS-CLI/*'
condition: sel`, event: base, expected: true },
  { name: 'wildcard * in the middle', rule: r`
sel:
    userIdentity.arn: 'arn:aws:iam::*:user/alice'
condition: sel`, event: base, expected: true },
  { name: 'wildcard ?: exactly one character', rule: r`
sel:
    eventName: 'CreateUse?'
condition: sel`, event: base, expected: true },
  { name: 'wildcard ?: not zero characters', rule: r`
sel:
    eventName: 'CreateUser?'
condition: sel`, event: base, expected: false },
  { name: 'escaped wildcards are literal', rule: r`
sel:
    requestParameters.pattern: 'a\*b\?c'
condition: sel`, event: base, expected: true },
  { name: 'escaped * does not act as wildcard', rule: r`
sel:
    requestParameters.pattern: 'a\*'
condition: sel`, event: base, expected: false },
  { name: 'plain single backslashes are literal', rule: r`
sel:
    requestParameters.path: 'C:\Windows\System32\cmd.exe'
condition: sel`, event: base, expected: true },
  { name: 'double backslash is one backslash', rule: r`
sel:
    requestParameters.path: 'C:\\Windows\\System32\\cmd.exe'
condition: sel`, event: base, expected: true },
  { name: 'escaped backslash followed by a wildcard', rule: r`
sel:
    requestParameters.path: 'C:\Windows\\*'
condition: sel`, event: base, expected: true },
  { name: 'literal * in value requires literal * in field', rule: r`
sel:
    requestParameters.path: 'C:\Windows\*'
condition: sel`, event: base, expected: false },

  // --- contains / startswith / endswith
  { name: 'contains', rule: r`
sel:
    userAgent|contains: 'python/3.11'
condition: sel`, event: base, expected: true },
  { name: 'contains: no hit', rule: r`
sel:
    userAgent|contains: 'S3 Browser'
condition: sel`, event: base, expected: false },
  { name: 'contains|cased: wrong case', rule: r`
sel:
    userAgent|contains|cased: 'python/3.11'
condition: sel`, event: base, expected: false },
  { name: 'contains with wildcard inside', rule: r`
sel:
    userAgent|contains: 'cli/*Linux'
condition: sel`, event: base, expected: true },
  { name: 'contains * on absent field is false', rule: r`
sel:
    errorMessage|contains: '*'
condition: sel`, event: base, expected: false },
  { name: 'contains * on present field is true', rule: r`
sel:
    errorMessage|contains: '*'
condition: sel`, event: withFields({ errorMessage: 'denied' }), expected: true },
  { name: 'contains|all: every value present', rule: r`
sel:
    userAgent|contains|all:
        - aws-cli
        - Linux
condition: sel`, event: base, expected: true },
  { name: 'contains|all: one value missing', rule: r`
sel:
    userAgent|contains|all:
        - aws-cli
        - Windows
condition: sel`, event: base, expected: false },
  { name: 'contains on an object uses its JSON text', rule: r`
sel:
    userIdentity|contains: '"userName":"alice"'
condition: sel`, event: base, expected: true },
  { name: 'contains|all on an object with JSON fragments', rule: r`
sel:
    requestParameters|contains|all:
        - '"key":"team"'
        - '"fromPort":22'
condition: sel`, event: base, expected: true },
  { name: 'contains|all on an object: one fragment missing', rule: r`
sel:
    requestParameters|contains|all:
        - '"key":"team"'
        - '"fromPort":23'
condition: sel`, event: base, expected: false },
  { name: 'startswith', rule: r`
sel:
    eventName|startswith: 'create'
condition: sel`, event: base, expected: true },
  { name: 'startswith: no hit', rule: r`
sel:
    eventName|startswith: 'User'
condition: sel`, event: base, expected: false },
  { name: 'endswith', rule: r`
sel:
    userIdentity.arn|endswith: ':user/alice'
condition: sel`, event: base, expected: true },
  { name: 'endswith: no hit', rule: r`
sel:
    userIdentity.arn|endswith: ':user/bob'
condition: sel`, event: base, expected: false },

  // --- regular expressions
  { name: 're: unanchored search', rule: r`
sel:
    userIdentity.arn|re: ':user/[a-z]+$'
condition: sel`, event: base, expected: true },
  { name: 're: case-sensitive by default', rule: r`
sel:
    eventName|re: '^createuser$'
condition: sel`, event: base, expected: false },
  { name: 're|i: case-insensitive', rule: r`
sel:
    eventName|re|i: '^createuser$'
condition: sel`, event: base, expected: true },
  { name: 're: PCRE inline (?i) flag', rule: r`
sel:
    eventName|re: '(?i)^createuser$'
condition: sel`, event: base, expected: true },
  { name: 're|m: ^ and $ match at line breaks', rule: r`
sel:
    requestParameters.note|re|m: '^line2$'
condition: sel`, event: base, expected: true },
  { name: 're without m: ^ is start of text only', rule: r`
sel:
    requestParameters.note|re: '^line2$'
condition: sel`, event: base, expected: false },
  { name: 're|s: dot matches newline', rule: r`
sel:
    requestParameters.note|re|s: 'line1.line2'
condition: sel`, event: base, expected: true },
  { name: 're without s: dot does not match newline', rule: r`
sel:
    requestParameters.note|re: 'line1.line2'
condition: sel`, event: base, expected: false },
  { name: 're|all: every pattern must match', rule: r`
sel:
    userAgent|re|all:
        - '^aws-cli/'
        - 'Windows$'
condition: sel`, event: base, expected: false },
  { name: 're: value list is OR', rule: r`
sel:
    eventName|re:
        - '^Delete'
        - '^Create'
condition: sel`, event: base, expected: true },

  // --- cidr
  { name: 'cidr: IPv4 inside range', rule: r`
sel:
    sourceIPAddress|cidr: 10.0.0.0/8
condition: sel`, event: base, expected: true },
  { name: 'cidr: IPv4 outside range', rule: r`
sel:
    sourceIPAddress|cidr: 192.168.0.0/16
condition: sel`, event: base, expected: false },
  { name: 'cidr: list is OR', rule: r`
sel:
    sourceIPAddress|cidr:
        - 172.16.0.0/12
        - 10.1.0.0/16
condition: sel`, event: base, expected: true },
  { name: 'cidr: IPv6 inside range', rule: r`
sel:
    requestParameters.ipv6|cidr: '2001:db8::/32'
condition: sel`, event: base, expected: true },
  { name: 'cidr: IPv6 outside range', rule: r`
sel:
    requestParameters.ipv6|cidr: '2001:db9::/32'
condition: sel`, event: base, expected: false },
  { name: 'cidr: IPv4-mapped IPv6 address matches an IPv4 range', rule: r`
sel:
    sourceIPAddress|cidr: 10.0.0.0/8
condition: sel`, event: withFields({ sourceIPAddress: '::ffff:10.9.8.7' }), expected: true },
  { name: 'cidr: non-IP value (AWS Internal) does not match', rule: r`
sel:
    sourceIPAddress|cidr: 0.0.0.0/0
condition: sel`, event: withFields({ sourceIPAddress: 'AWS Internal' }), expected: false },

  // --- numeric comparisons
  { name: 'lt: true', rule: r`
sel:
    requestParameters.count|lt: 6
condition: sel`, event: base, expected: true },
  { name: 'lt: equal is false', rule: r`
sel:
    requestParameters.count|lt: 5
condition: sel`, event: base, expected: false },
  { name: 'lte: equal is true', rule: r`
sel:
    requestParameters.count|lte: 5
condition: sel`, event: base, expected: true },
  { name: 'gt: true', rule: r`
sel:
    requestParameters.count|gt: 4
condition: sel`, event: base, expected: true },
  { name: 'gte: false', rule: r`
sel:
    requestParameters.count|gte: 6
condition: sel`, event: base, expected: false },
  { name: 'gt on a numeric string field', rule: r`
sel:
    requestParameters.ratio|gt: 9
condition: sel`, event: base, expected: true },
  { name: 'gt on a non-numeric field is false', rule: r`
sel:
    eventName|gt: 1
condition: sel`, event: base, expected: false },

  // --- exists
  { name: 'exists true: present', rule: r`
sel:
    userIdentity.accessKeyId|exists: true
condition: sel`, event: base, expected: true },
  { name: 'exists true: absent', rule: r`
sel:
    errorCode|exists: true
condition: sel`, event: base, expected: false },
  { name: 'exists false: absent', rule: r`
sel:
    errorCode|exists: false
condition: sel`, event: base, expected: true },
  { name: 'exists true: present with JSON null', rule: r`
sel:
    responseElements|exists: true
condition: sel`, event: base, expected: true },
  { name: 'suzaku attempt pattern: error present', rule: r`
selection:
    eventSource: iam.amazonaws.com
    eventName: CreateUser
error_code:
    errorCode|exists: true
error_msg:
    errorMessage|exists: true
condition: selection and (error_code or error_msg)`, event: withFields({ errorCode: 'AccessDenied' }), expected: true },
  { name: 'suzaku success pattern: error present', rule: r`
selection:
    eventSource: iam.amazonaws.com
    eventName: CreateUser
error_code:
    errorCode|exists: true
error_msg:
    errorMessage|exists: true
condition: selection and not (error_code or error_msg)`, event: withFields({ errorMessage: 'denied' }), expected: false },

  // --- fieldref and neq
  { name: 'fieldref: fields equal (case-insensitive)', rule: r`
sel:
    userIdentity.userName|fieldref: requestParameters.userName
condition: sel`, event: base, expected: true },
  { name: 'fieldref|cased: case differs', rule: r`
sel:
    userIdentity.userName|fieldref|cased: requestParameters.userName
condition: sel`, event: base, expected: false },
  { name: 'fieldref: fields differ', rule: r`
sel:
    userIdentity.arn|fieldref: requestParameters.userName
condition: sel`, event: base, expected: false },
  { name: 'fieldref|endswith: arn ends with the user name', rule: r`
sel:
    userIdentity.arn|fieldref|endswith: requestParameters.userName
condition: sel`, event: base, expected: true },
  { name: 'fieldref: referenced field absent', rule: r`
sel:
    userIdentity.userName|fieldref: requestParameters.nobody
condition: sel`, event: base, expected: false },
  { name: 'fieldref|neq: fields differ', rule: r`
sel:
    userIdentity.arn|fieldref|neq: requestParameters.userName
condition: sel`, event: base, expected: true },
  { name: 'neq: value differs', rule: r`
sel:
    eventName|neq: DeleteUser
condition: sel`, event: base, expected: true },
  { name: 'neq: value equal', rule: r`
sel:
    eventName|neq: createuser
condition: sel`, event: base, expected: false },
  { name: 'neq: absent field', rule: r`
sel:
    errorCode|neq: AccessDenied
condition: sel`, event: base, expected: false },
  { name: 'neq: list means different from all values', rule: r`
sel:
    eventName|neq:
        - DeleteUser
        - CreateUser
condition: sel`, event: base, expected: false },

  // --- encodings
  { name: 'base64: encoded value found', rule: r`
sel:
    requestParameters.exact64|base64: whoami
condition: sel`, event: base, expected: true },
  { name: 'base64|contains: not found', rule: r`
sel:
    requestParameters.exact64|base64|contains: whoareyou
condition: sel`, event: base, expected: false },
  { name: 'base64offset|contains: offset 0', rule: r`
sel:
    requestParameters.payload0|base64offset|contains: 'http://evil'
condition: sel`, event: base, expected: true },
  { name: 'base64offset|contains: offset 1', rule: r`
sel:
    requestParameters.payload1|base64offset|contains: 'http://evil'
condition: sel`, event: base, expected: true },
  { name: 'base64offset|contains: offset 2', rule: r`
sel:
    requestParameters.payload2|base64offset|contains: 'http://evil'
condition: sel`, event: base, expected: true },
  { name: 'base64offset|contains: absent text', rule: r`
sel:
    requestParameters.payload2|base64offset|contains: 'https://good'
condition: sel`, event: base, expected: false },
  { name: 'utf16le|base64offset|contains', rule: r`
sel:
    requestParameters.payloadWide|utf16le|base64offset|contains: 'whoami'
condition: sel`, event: base, expected: true },
  { name: 'wide|base64offset|contains', rule: r`
sel:
    requestParameters.payloadWide|wide|base64offset|contains: 'powershell'
condition: sel`, event: base, expected: true },
  { name: 'utf16be|base64', rule: r`
sel:
    requestParameters.exactBe|utf16be|base64: whoami
condition: sel`, event: base, expected: true },
  { name: 'utf16|base64 (with byte order mark)', rule: r`
sel:
    requestParameters.exactBom|utf16|base64: whoami
condition: sel`, event: base, expected: true },
  { name: 'windash: slash written, slash in field', rule: r`
sel:
    requestParameters.dashed|windash|contains: ' -add '
condition: sel`, event: base, expected: true },
  { name: 'windash: dash written, en dash in field', rule: r`
sel:
    requestParameters.enDashed|windash|contains: ' -add '
condition: sel`, event: base, expected: true },
  { name: 'without windash a dash is only a dash', rule: r`
sel:
    requestParameters.dashed|contains: ' -add '
condition: sel`, event: base, expected: false },

  // --- placeholders
  { name: 'expand: placeholder value matches', rule: r`
sel:
    userIdentity.userName|expand: '%Admins%'
condition: sel`, event: base, expected: true },
  { name: 'expand: no placeholder value matches', rule: r`
sel:
    userIdentity.userName|expand: '%Admins%'
condition: sel`, event: withFields({ userIdentity: { userName: 'mallory' } }), expected: false },
  { name: 'expand: placeholder values keep wildcards', rule: r`
sel:
    eventName: CreateUser
filter:
    sourceIPAddress|expand: '%TrustedNets%'
condition: sel and not filter`, event: base, expected: false },
  { name: 'expand with cidr', rule: r`
sel:
    sourceIPAddress|expand|cidr: '%TrustedCidrs%'
condition: sel`, event: base, expected: true },
  { name: 'without expand a placeholder is literal text', rule: r`
sel:
    userIdentity.userName: '%Admins%'
condition: sel`, event: base, expected: false },

  // --- time parts
  { name: 'hour of eventTime', rule: r`
sel:
    eventTime|hour: 11
condition: sel`, event: base, expected: true },
  { name: 'month of eventTime with gte', rule: r`
sel:
    eventTime|month|gte: 9
condition: sel`, event: base, expected: false },

  // --- keywords
  { name: 'keywords: list is OR over the whole event', rule: r`
keywords:
    - 'nothing-here'
    - 'CREDENTIALS_RELATIVE_URI'
condition: keywords`, event: base, expected: true },
  { name: 'keywords: no hit', rule: r`
keywords:
    - 'mimikatz'
condition: keywords`, event: base, expected: false },
  { name: 'keywords with |all', rule: r`
keywords:
    '|all':
        - 'aws-cli'
        - 'alice'
condition: keywords`, event: base, expected: true },
  { name: 'keywords: backslashes match the unescaped string', rule: r`
keywords:
    - 'Windows\System32'
condition: keywords`, event: base, expected: true },

  // --- condition grammar
  { name: 'and / not', rule: r`
a:
    eventName: CreateUser
b:
    userIdentity.type: Root
condition: a and not b`, event: base, expected: true },
  { name: 'or', rule: r`
a:
    eventName: DeleteUser
b:
    userIdentity.type: IAMUser
condition: a or b`, event: base, expected: true },
  { name: 'precedence: and binds tighter than or', rule: r`
t:
    eventName: CreateUser
f1:
    eventName: DeleteUser
f2:
    eventName: UpdateUser
condition: t or f1 and f2`, event: base, expected: true },
  { name: 'precedence: not binds tighter than and', rule: r`
t:
    eventName: CreateUser
f:
    eventName: DeleteUser
condition: not t and f`, event: base, expected: false },
  { name: 'precedence: not binds tighter than or', rule: r`
t:
    eventName: CreateUser
t2:
    userIdentity.type: IAMUser
condition: not t or t2`, event: base, expected: true },
  { name: 'parentheses override precedence', rule: r`
t:
    eventName: CreateUser
f1:
    eventName: DeleteUser
f2:
    eventName: UpdateUser
condition: (t or f1) and f2`, event: base, expected: false },
  { name: 'double negation', rule: r`
t:
    eventName: CreateUser
condition: not not t`, event: base, expected: true },
  { name: '1 of pattern', rule: r`
selection_a:
    eventName: DeleteUser
selection_b:
    eventName: CreateUser
condition: 1 of selection_*`, event: base, expected: true },
  { name: 'all of pattern: one fails', rule: r`
selection_a:
    eventName: DeleteUser
selection_b:
    eventName: CreateUser
condition: all of selection_*`, event: base, expected: false },
  { name: 'all of pattern: all match', rule: r`
selection_a:
    eventSource: iam.amazonaws.com
selection_b:
    eventName: CreateUser
condition: all of selection_*`, event: base, expected: true },
  { name: '1 of them', rule: r`
a:
    eventName: DeleteUser
b:
    eventName: CreateUser
condition: 1 of them`, event: base, expected: true },
  { name: 'all of them ignores identifiers starting with _', rule: r`
a:
    eventSource: iam.amazonaws.com
b:
    eventName: CreateUser
_helper:
    eventName: DeleteUser
condition: all of them`, event: base, expected: true },
  { name: 'N of pattern (extension): two of three', rule: r`
sel_a:
    eventSource: iam.amazonaws.com
sel_b:
    eventName: CreateUser
sel_c:
    eventName: DeleteUser
condition: 2 of sel_*`, event: base, expected: true },
  { name: 'N of pattern (extension): three of three fails', rule: r`
sel_a:
    eventSource: iam.amazonaws.com
sel_b:
    eventName: CreateUser
sel_c:
    eventName: DeleteUser
condition: 3 of sel_*`, event: base, expected: false },
  { name: 'selection and not 1 of filter pattern', rule: r`
selection:
    eventName: CreateUser
filter_main_a:
    userIdentity.type: Root
filter_main_b:
    sourceIPAddress|startswith: '10.'
condition: selection and not 1 of filter_main_*`, event: base, expected: false },
  { name: 'condition list is OR', rule: r`
a:
    eventName: DeleteUser
b:
    eventName: CreateUser
condition:
    - a
    - b`, event: base, expected: true },
  { name: 'nested parentheses with quantifier', rule: r`
sel_a:
    eventName: CreateUser
sel_b:
    eventName: DeleteUser
f:
    userIdentity.type: Root
condition: (1 of sel_* and not (f or sel_b)) and not f`, event: base, expected: true },
];
