import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generateDemo, generateRecords, type DemoOptions } from './generate.js';

const END = new Date('2026-03-02T12:00:00Z');
const FILE_RE = /.+_CloudTrail_[\w-]+_\d{8}T\d{4}Z_[\w]+\.json\.gz$/;

type Rec = Record<string, any>;

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

function readRecords(file: string): Rec[] {
  const doc = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as { Records: Rec[] };
  assert.ok(Array.isArray(doc.Records));
  return doc.Records;
}

function withTmp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'aitrail-demo-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const small: Omit<DemoOptions, 'outDir'> = { events: 3000, days: 1, seed: 11, endTime: END };

test('same seed gives byte-identical files; another seed does not', async () => {
  await withTmp(async (root) => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    const c = join(root, 'c');
    const opts = { events: 2000, days: 0.5, seed: 11, endTime: END };
    const ra = await generateDemo({ ...opts, outDir: a });
    const rb = await generateDemo({ ...opts, outDir: b });
    await generateDemo({ ...opts, seed: 12, outDir: c });
    const fa = listFiles(a).map((f) => relative(a, f));
    const fb = listFiles(b).map((f) => relative(b, f));
    assert.deepEqual(fa, fb);
    assert.equal(ra.files, fa.length);
    assert.deepEqual(ra, rb);
    for (const f of fa) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), f);
    const fc = listFiles(c).map((f) => relative(c, f));
    assert.notDeepEqual(fc, fa);
  });
});

test('delivery layout: key format, delivery date folders, records no later than delivery', async () => {
  await withTmp(async (dir) => {
    const res = await generateDemo({ ...small, outDir: dir });
    const files = listFiles(dir);
    assert.equal(files.length, res.files);
    let count = 0;
    let bytes = 0;
    for (const file of files) {
      bytes += statSync(file).size;
      const rel = relative(dir, file).split(sep);
      assert.equal(rel.length, 8, rel.join('/'));
      const [awsLogs, acct, ct, region, yyyy, mm, dd, name] = rel;
      assert.equal(awsLogs, 'AWSLogs');
      assert.equal(ct, 'CloudTrail');
      assert.match(acct!, /^\d{12}$/);
      assert.match(name!, FILE_RE);
      const m = /^(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_([A-Za-z0-9]{16})\.json\.gz$/.exec(name!);
      assert.ok(m, name);
      assert.equal(m[1], acct);
      assert.equal(m[2], region);
      assert.deepEqual([m[3], m[4], m[5]], [yyyy, mm, dd], 'date folder is the delivery date');
      const delivered = Date.UTC(+m[3]!, +m[4]! - 1, +m[5]!, +m[6]!, +m[7]!);
      const recs = readRecords(file);
      assert.ok(recs.length > 0);
      for (const r of recs) {
        assert.equal(r.recipientAccountId, acct);
        assert.equal(r.awsRegion, region);
        const t = Date.parse(r.eventTime);
        assert.ok(t <= delivered, `${r.eventTime} after delivery ${name}`);
        assert.ok(delivered - t < 20 * 60_000, 'delivered within minutes of the event');
      }
      count += recs.length;
    }
    assert.equal(count, small.events);
    assert.equal(res.events, small.events);
    assert.equal(bytes, res.bytes);
    assert.equal(res.accounts.length, 3);
    for (const a of res.accounts) assert.match(a, /^\d{12}$/);
  });
});

test('eventsPerFile caps the records in one file', async () => {
  await withTmp(async (dir) => {
    const res = await generateDemo({ events: 1500, days: 0.5, seed: 3, endTime: END, eventsPerFile: 7, outDir: dir });
    let total = 0;
    for (const f of listFiles(dir)) {
      const n = readRecords(f).length;
      assert.ok(n <= 7);
      total += n;
    }
    assert.equal(total, 1500);
    assert.equal(res.events, 1500);
  });
});

test('generateRecords: required fields, time order and range, error rate, sizes, models', () => {
  const days = 3;
  const events = 20_000;
  const start = END.getTime() - days * 86_400_000;
  let prev = 0;
  let errors = 0;
  let size = 0;
  let n = 0;
  const models = new Set<string>();
  const sources = new Set<string>();
  const types = new Set<string>();
  const categories = new Set<string>();
  const eventTypes = new Set<string>();
  const ids = new Set<string>();
  for (const r of generateRecords({ events, days, seed: 5, endTime: END }) as Iterable<Rec>) {
    n++;
    for (const k of ['eventTime', 'eventSource', 'eventName', 'eventID']) assert.equal(typeof r[k], 'string', `${k} in ${JSON.stringify(r)}`);
    assert.match(r.eventTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.match(r.eventID, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const t = Date.parse(r.eventTime);
    assert.ok(t >= start && t <= END.getTime(), r.eventTime);
    assert.ok(t >= prev, 'records come in time order');
    prev = t;
    ids.add(r.eventID);
    if (r.errorCode !== undefined || r.errorMessage !== undefined) errors++;
    size += JSON.stringify(r).length;
    sources.add(r.eventSource);
    types.add(r.userIdentity?.type);
    categories.add(r.eventCategory);
    eventTypes.add(r.eventType);
    if (r.eventSource === 'bedrock.amazonaws.com' && typeof r.requestParameters?.modelId === 'string') models.add(r.requestParameters.modelId);
  }
  assert.equal(n, events);
  assert.equal(ids.size, events, 'event ids are unique');
  const rate = errors / n;
  assert.ok(rate >= 0.01 && rate <= 0.08, `error rate ${rate}`);
  const avg = size / n;
  assert.ok(avg >= 1200 && avg <= 2200, `average record size ${avg}`);
  assert.ok(models.size >= 8, `models: ${[...models].join(', ')}`);
  for (const s of ['bedrock', 'sagemaker', 's3', 'lambda', 'ec2', 'ecr', 'sts', 'iam', 'kms', 'cloudtrail', 'signin']) assert.ok(sources.has(`${s}.amazonaws.com`), s);
  for (const ty of ['IAMUser', 'AssumedRole', 'AWSService', 'WebIdentityUser']) assert.ok(types.has(ty), ty);
  assert.deepEqual([...categories].sort(), ['Data', 'Management']);
  for (const et of ['AwsApiCall', 'AwsConsoleSignIn']) assert.ok(eventTypes.has(et), et);
});

test('same seed yields the same records; fewer than 1000 events means no incidents', () => {
  const opts = { events: 300, days: 1, seed: 99, endTime: END };
  const a = JSON.stringify([...generateRecords(opts)]);
  assert.equal(a, JSON.stringify([...generateRecords(opts)]));
  assert.equal(JSON.parse(a).length, 300);
});

test('incidents are returned and present in the data', async () => {
  await withTmp(async (dir) => {
    const res = await generateDemo({ events: 6000, days: 1, seed: 21, endTime: END, outDir: dir });
    const names = res.incidents.map((i) => i.name).sort();
    assert.deepEqual(names, ['bedrock-logging-disabled', 'cloudtrail-stopped', 'gpu-burst-unusual-region', 'llmjacking', 'sagemaker-notebook-takeover', 'training-data-public']);
    const recs = listFiles(dir).flatMap(readRecords);
    const byArn = new Map<string, Rec[]>();
    for (const r of recs) {
      const arn = r.userIdentity?.arn as string | undefined;
      if (arn) byArn.set(arn, [...(byArn.get(arn) ?? []), r]);
    }
    const start = END.getTime() - 86_400_000;
    for (const inc of res.incidents) {
      assert.ok(inc.description.length > 20);
      const t = Date.parse(inc.startTime);
      assert.ok(t >= start && t <= END.getTime(), inc.startTime);
      const own = byArn.get(inc.principalArn) ?? [];
      assert.ok(own.some((r) => r.eventTime === inc.startTime), `${inc.name}: an event by ${inc.principalArn} at ${inc.startTime}`);
    }
    const has = (pred: (r: Rec) => boolean, what: string): void => assert.ok(recs.some(pred), what);
    const llm = res.incidents.find((i) => i.name === 'llmjacking')!;
    const llmNames = new Set((byArn.get(llm.principalArn) ?? []).filter((r) => Date.parse(r.eventTime) >= Date.parse(llm.startTime)).map((r) => `${r.eventName}:${r.errorCode ?? ''}`));
    for (const k of ['GetCallerIdentity:', 'ListFoundationModels:', 'GetFoundationModelAvailability:', 'ListFoundationModelAgreementOffers:', 'PutUseCaseForModelAccess:', 'CreateFoundationModelAgreement:', 'PutFoundationModelEntitlement:', 'InvokeModel:AccessDenied', 'InvokeModel:ValidationException', 'InvokeModel:']) {
      assert.ok(llmNames.has(k), `llmjacking has ${k}`);
    }
    has((r) => r.eventName === 'DeleteModelInvocationLoggingConfiguration', 'logging deleted');
    has((r) => r.eventName === 'DeleteGuardrail', 'guardrail deleted');
    has((r) => r.eventName === 'DeleteBucketPublicAccessBlock', 'public access block removed');
    has((r) => r.eventName === 'PutBucketPolicy' && JSON.stringify(r.requestParameters).includes('"Principal":"*"'), 'public bucket policy');
    has((r) => r.eventName === 'GetObject' && r.userIdentity?.accountId === 'anonymous', 'anonymous reads');
    has((r) => r.eventName === 'CreatePresignedNotebookInstanceUrl' && r.sourceIPAddress.startsWith('198.19.'), 'presigned URL from an unusual address');
    has((r) => r.eventName === 'CreateNotebookInstanceLifecycleConfig', 'lifecycle config');
    has((r) => r.eventName === 'RunInstances' && ['sa-east-1', 'ap-southeast-2'].includes(r.awsRegion) && /^(p|g)\d/.test(r.requestParameters.instanceType), 'GPU burst');
    has((r) => r.eventName === 'StopLogging' && r.eventSource === 'cloudtrail.amazonaws.com', 'StopLogging');
  });
});
