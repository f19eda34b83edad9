// Opt-in checks against the shared corpus of real CloudTrail events (../shared/corpus); they skip
// cleanly when the folder is absent (a fresh clone has none).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CIS_METRIC_FILTERS, cisControl, compileMetricFilter } from './index.js';

const corpus = path.resolve(process.cwd(), '../shared/corpus');
const reference = path.resolve(process.cwd(), '../shared/reference/cloudtrail.md');
const traildiscover = path.join(corpus, 'traildiscover/logExamples');
const panther = path.join(corpus, 'panther-analysis/cloudtrail');

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every event found in a parsed corpus file, whatever its container shape. */
function eventsIn(doc: unknown): object[] {
  if (Array.isArray(doc)) return doc.flatMap(eventsIn);
  if (!isRecord(doc)) return [];
  if (Array.isArray(doc.Records)) return doc.Records.flatMap(eventsIn);
  if (Array.isArray(doc.tests)) return doc.tests.flatMap((t) => (isRecord(t) && isRecord(t.log) ? [t.log] : []));
  if (isRecord(doc.event)) return [doc.event];
  if (isRecord(doc.detail) && 'detail-type' in doc) return [doc.detail];
  return [doc];
}

function parseFile(file: string): unknown[] {
  const text = readFileSync(file, 'utf8');
  try {
    return [JSON.parse(text)];
  } catch {
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => {
        try {
          return [JSON.parse(l)];
        } catch {
          return [];
        }
      });
  }
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(json|jsonl|cloudtrail)$/.test(name) && name !== 'MANIFEST.json' && name !== 'STATS.json') out.push(p);
  }
  return out;
}

/** Named events: `traildiscover/<file>#<i>` and `panther/<file>#<i>` (index into the file's events). */
function loadNamed(): Map<string, object> {
  const named = new Map<string, object>();
  for (const [prefix, dir] of [['traildiscover', traildiscover], ['panther', panther]] as const) {
    for (const name of readdirSync(dir).sort()) {
      eventsIn(parseFile(path.join(dir, name))).forEach((e, i) => named.set(`${prefix}/${name}#${i}`, e));
    }
  }
  return named;
}

/** Every event of every JSON/NDJSON file in the corpus (other sources included). */
function loadAll(): object[] {
  const dirs = ['traildiscover/logExamples', 'panther-analysis', 'awsdocs-examples', 'blog-transcribed', 'cloud-custodian-cwe', 'otrf-security-datasets'];
  return dirs
    .map((d) => path.join(corpus, d))
    .filter((d) => existsSync(d))
    .flatMap((d) => walk(d))
    .flatMap((f) => parseFile(f).flatMap(eventsIn));
}

// [control, variant id (default pattern when omitted), event, expected, what was checked by hand]
type Expectation = [string, string | undefined, string, boolean, string];
const expectations: Expectation[] = [
  ['4.1', undefined, 'traildiscover/CreateKey.json.cloudtrail#0', true, 'kms CreateKey, errorCode AccessDenied'],
  ['4.1', undefined, 'traildiscover/AuthorizeSecurityGroupIngress.json.cloudtrail#0', true, 'errorCode Client.UnauthorizedOperation'],
  ['4.1', undefined, 'traildiscover/CloudTrail-LookupEvents.json.cloudtrail#0', false, 'no errorCode'],
  ['4.1', 'cis-v3-v5', 'traildiscover/StopLogging.json.cloudtrail#0', true, 'AccessDenied from 0.0.0.0, not HeadBucket'],
  ['4.1', 'cis-v3-v5', 'panther/aws_kms_cmk_loss.json#2', false, 'kms Decrypt without error'],
  ['4.1', 'cis-v1.4-printed', 'panther/aws_kms_cmk_loss.json#2', true, 'no error, but sourceIPAddress != delivery.logs makes the OR true'],
  ['4.2', undefined, 'panther/aws_console_login_without_mfa.json#0', true, 'IAMUser, MFAUsed No, Success'],
  ['4.2', undefined, 'panther/aws_console_login_without_mfa.json#4', false, 'IAMUser, MFAUsed Yes'],
  ['4.2', undefined, 'panther/aws_console_login_without_mfa.json#6', false, 'additionalEventData null: != needs the field'],
  ['4.2', undefined, 'panther/aws_cloudtrail_password_spraying.json#1', false, 'no additionalEventData at all'],
  ['4.2', undefined, 'panther/aws_console_login_without_mfa.json#8', true, 'AssumedRole (federated) sign-in, MFAUsed No'],
  ['4.2', 'sh-excludes-sso', 'panther/aws_console_login_without_mfa.json#8', false, 'AssumedRole: excluded by userIdentity.type = IAMUser'],
  ['4.2', 'sh-excludes-sso', 'panther/aws_console_login_without_mfa.json#2', false, 'Root sign-in: excluded by userIdentity.type = IAMUser'],
  ['4.2', 'sh-excludes-sso', 'panther/aws_console_login_without_mfa.json#0', true, 'IAMUser, MFAUsed No, Success'],
  ['4.2', 'sh-excludes-sso', 'panther/aws_console_login_without_mfa.json#5', false, 'MFAUsed Yes, Failure'],
  ['4.3', undefined, 'panther/aws_root_activity.json#0', true, 'Root CreateServiceLinkedRole, no invokedBy, AwsApiCall'],
  ['4.3', undefined, 'panther/aws_console_login_without_mfa.json#2', true, 'Root console sign-in (AwsConsoleSignIn)'],
  ['4.3', undefined, 'panther/aws_root_access_key_created.json#0', false, 'Root, but invokedBy signin.amazonaws.com'],
  ['4.3', 'sh', 'panther/aws_console_login_without_mfa.json#0', false, 'IAMUser'],
  ['4.4', undefined, 'traildiscover/PutUserPolicy.json.cloudtrail#0', true, 'PutUserPolicy'],
  ['4.4', undefined, 'traildiscover/IAM-CreatePolicyVersion.json.cloudtrail#0', true, 'CreatePolicyVersion'],
  ['4.4', undefined, 'traildiscover/IAM-CreateUser.json.cloudtrail#0', false, 'CreateUser is not a policy change'],
  ['4.5', undefined, 'traildiscover/StopLogging.json.cloudtrail#0', true, 'StopLogging'],
  ['4.5', undefined, 'traildiscover/CloudTrail-LookupEvents.json.cloudtrail#0', false, 'LookupEvents is read-only'],
  ['4.6', undefined, 'panther/aws_cloudtrail_unsuccessful_mfa_attempt.json#1', true, 'ConsoleLogin, errorMessage Failed authentication'],
  ['4.6', undefined, 'panther/aws_console_login_without_mfa.json#0', false, 'successful sign-in'],
  ['4.7', undefined, 'panther/aws_kms_cmk_loss.json#1', true, 'kms ScheduleKeyDeletion'],
  ['4.7', undefined, 'panther/aws_kms_cmk_loss.json#0', true, 'kms DisableKey'],
  ['4.7', undefined, 'panther/aws_kms_cmk_loss.json#2', false, 'kms Decrypt'],
  ['4.7', undefined, 'traildiscover/CreateKey.json.cloudtrail#0', false, 'kms CreateKey'],
  ['4.8', undefined, 'traildiscover/PutBucketPolicy.json.cloudtrail#0', true, 's3 PutBucketPolicy (failed with NoSuchBucket: still counted)'],
  ['4.8', undefined, 'traildiscover/DeleteBucketPolicy.json.cloudtrail#0', true, 's3 DeleteBucketPolicy'],
  ['4.8', undefined, 'traildiscover/PutBucketVersioning.json.cloudtrail#0', false, 'PutBucketVersioning is not in the list'],
  ['4.9', undefined, 'traildiscover/StopConfigurationRecorder.json.cloudtrail#0', true, 'config StopConfigurationRecorder'],
  ['4.9', undefined, 'traildiscover/DeleteConfigRule.json.cloudtrail#0', false, 'DeleteConfigRule is not in the list'],
  ['4.10', undefined, 'traildiscover/AuthorizeSecurityGroupIngress.json.cloudtrail#0', true, 'AuthorizeSecurityGroupIngress'],
  ['4.10', 'cis-v5', 'traildiscover/CreateSecurityGroup.json.cloudtrail#0', true, 'CreateSecurityGroup'],
  ['4.10', undefined, 'traildiscover/DescribeSecurityGroups.json.cloudtrail#0', false, 'DescribeSecurityGroups'],
  ['4.11', undefined, 'traildiscover/CreateNetworkAclEntry.json.cloudtrail#0', true, 'CreateNetworkAclEntry'],
  ['4.11', undefined, 'traildiscover/DeleteNetworkAcl.json.cloudtrail#0', true, 'DeleteNetworkAcl'],
  ['4.11', undefined, 'traildiscover/DescribeVpcs.json.cloudtrail#0', false, 'DescribeVpcs'],
  ['4.12', undefined, 'panther/aws_ec2_gateway_modified.json#0', true, 'AttachInternetGateway'],
  ['4.12', undefined, 'traildiscover/DescribeInternetGateways.json.cloudtrail#0', false, 'DescribeInternetGateways'],
  ['4.13', undefined, 'traildiscover/EC2-CreateRoute.json.cloudtrail#0', true, 'ec2 CreateRoute'],
  ['4.13', undefined, 'traildiscover/APIGateway-CreateRoute.json.cloudtrail#0', true, 'apigateway CreateRoute: CIS 4.13 does not check eventSource'],
  ['4.13', undefined, 'panther/aws_ec2_route_table_modified.json#1', false, 'DescribeRouteTables'],
  ['4.14', undefined, 'panther/aws_ec2_vpc_modified.json#0', true, 'CreateVpc'],
  ['4.14', undefined, 'traildiscover/CreateDefaultVpc.json.cloudtrail#0', false, 'CreateDefaultVpc is not in the list'],
  ['4.15', undefined, 'traildiscover/LeaveOrganization.json.cloudtrail#0', true, 'organizations LeaveOrganization (AccessDenied: still counted)'],
  ['4.15', undefined, 'traildiscover/DescribeOrganization.json.cloudtrail#0', false, 'DescribeOrganization'],
];

/** The §7 table of the CloudTrail reference: `4.x` → the patterns in its last column. */
function referencePatterns(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync(reference, 'utf8').split('\n')) {
    const m = /^\| (4\.\d+) /.exec(line);
    if (!m) continue;
    const cells = line.split(/(?<!\\)\|/);
    const patterns = [...cells[4].matchAll(/`([^`]*)`/g)].map((x) => x[1].replace(/\\\|/g, '|'));
    out.set(m[1], patterns);
  }
  return out;
}

if (!existsSync(traildiscover) || !existsSync(panther)) {
  test(`CIS corpus checks: ${corpus} not found`, { skip: true }, () => {});
} else {
  const named = loadNamed();
  const all = loadAll();

  test('every CIS control has a hand-checked positive and negative corpus event', () => {
    for (const c of CIS_METRIC_FILTERS) {
      const mine = expectations.filter(([cis]) => cis === c.cis);
      assert.ok(mine.some((x) => x[3]) && mine.some((x) => !x[3]), `${c.cis} needs a positive and a negative event`);
    }
  });

  for (const [cis, variant, id, expected, why] of expectations) {
    test(`CIS ${cis}${variant ? ` (${variant})` : ''} ${expected ? 'matches' : 'ignores'} ${id}: ${why}`, () => {
      const control = cisControl(cis);
      assert.ok(control);
      const pattern = variant ? control.variants.find((v) => v.id === variant)?.pattern : control.pattern;
      assert.ok(pattern, `no variant ${variant}`);
      const event = named.get(id);
      assert.ok(event, `corpus event ${id} not found`);
      assert.equal(compileMetricFilter(pattern).match(event), expected);
    });
  }

  test('every CIS pattern runs over every corpus event without throwing', (t) => {
    assert.ok(all.length > 1000, `only ${all.length} events loaded`);
    const counts: string[] = [];
    for (const c of CIS_METRIC_FILTERS) {
      for (const v of c.variants) {
        const { match } = compileMetricFilter(v.pattern);
        let n = 0;
        for (const e of all) if (match(e)) n++;
        counts.push(`${c.cis}/${v.id}=${n}`);
      }
    }
    t.diagnostic(`${all.length} events; matches per pattern: ${counts.join(' ')}`);
  });

  test('CIS 4.1 v3 versus the SH form on the corpus: the v3 exclusions only narrow AccessDenied*', () => {
    const c = cisControl('4.1');
    assert.ok(c);
    const [sh, v3] = c.variants.map((v) => compileMetricFilter(v.pattern).match);
    for (const e of all) {
      if (v3(e)) assert.ok(sh(e), 'v3 must be a subset of the SH form');
      const code = (e as { errorCode?: unknown }).errorCode;
      if (typeof code === 'string' && code.endsWith('UnauthorizedOperation')) assert.equal(v3(e), true);
    }
  });

  if (existsSync(reference)) {
    test('cis.ts holds the reference §7 patterns byte for byte', () => {
      const ref = referencePatterns();
      assert.equal(ref.size, 15);
      for (const c of CIS_METRIC_FILTERS) {
        const expected = ref.get(c.cis);
        assert.ok(expected, c.cis);
        const actual = c.variants.map((v) => v.pattern);
        if (c.cis === '4.10') {
          // The reference gives the v5 form as a suffix appended before the closing brace.
          assert.equal(actual[0], expected[0]);
          assert.equal(actual[1], expected[0].replace(/ }$/, `${expected[1]} }`));
        } else {
          assert.deepEqual(actual, expected, c.cis);
        }
      }
    });
  }

  test('throughput: the 15 default CIS patterns over ~200k records (single core)', (t) => {
    const filters = CIS_METRIC_FILTERS.map((c) => compileMetricFilter(c.pattern).match);
    const records: object[] = [];
    while (records.length < 200_000) records.push(...all);
    records.length = 200_000;
    const run = () => {
      let hits = 0;
      for (const r of records) for (const f of filters) if (f(r)) hits++;
      return hits;
    };
    run();
    const start = process.hrtime.bigint();
    const hits = run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    t.diagnostic(
      `${records.length} records x ${filters.length} patterns in ${seconds.toFixed(3)} s: ` +
        `${Math.round(records.length / seconds).toLocaleString('en')} records/s, ` +
        `${Math.round((records.length * filters.length) / seconds).toLocaleString('en')} evaluations/s, ${hits} matches`,
    );
    assert.ok(hits > 0);
  });
}
