import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { extractFromBytes, type ExtractedItem } from './formats.js';
import { streamItems } from './stream.js';

const rec = (i: number, extra: Record<string, unknown> = {}) => ({
  eventVersion: '1.08',
  eventTime: `2026-11-01T10:00:${String(i % 60).padStart(2, '0')}Z`,
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  eventID: `ev-${i}`,
  requestParameters: { key: `a "quoted" \\ key, with [brackets] and {braces} ${i}`, note: 'café ✓ 😀' },
  ...extra,
});

/** Every item of `bytes`, streamed in chunks of `chunk` bytes. */
async function streamed(dir: string, bytes: Buffer, gzip: boolean, chunk: number): Promise<ExtractedItem[]> {
  const path = join(dir, `f-${Math.random()}`);
  writeFileSync(path, bytes);
  const out: ExtractedItem[] = [];
  for await (const item of streamItems(path, gzip, { chunkBytes: chunk })) out.push(item);
  return out;
}

/**
 * Records as the stored text would have them (raw where kept), and rejects by code and position.
 * (A record's line is not compared: a one-line file read as JSON Lines numbers its records' line 1.)
 */
const shape = (items: ExtractedItem[]) =>
  items.map((i) => ('record' in i ? ['record', i.idx, i.raw ?? JSON.stringify(i.record)] : ['reject', i.idx, i.line, i.reject.code]));

test('streaming reads every container as a whole-file read does, with chunk boundaries anywhere', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aitrail-stream-'));
  try {
    const records = Array.from({ length: 12 }, (_, i) => rec(i));
    const bigInt = '{"eventTime":"2026-11-01T10:00:00Z","eventSource":"s","eventName":"n","eventID":"big","n":12345678901234567890}';
    const inputs: Record<string, string> = {
      'delivery, one line': JSON.stringify({ Records: records }) + '\n',
      'delivery, pretty': JSON.stringify({ Records: records }, null, 2),
      array: JSON.stringify(records, null, 1),
      'JSON Lines, CRLF, blank lines and a bad line': records.map((r) => JSON.stringify(r)).join('\r\n') + '\r\n\r\nnot json\r\n' + bigInt,
      'JSON Lines of delivery files': [records.slice(0, 5), records.slice(5)].map((r) => JSON.stringify({ Records: r })).join('\n'),
      'lookup-events output': JSON.stringify({ Events: records.map((r) => ({ EventId: r.eventID, CloudTrailEvent: JSON.stringify(r) })), NextToken: 'abc' }, null, 2),
      'large integers keep their digits': `[${bigInt},\n${bigInt.replace('"big"', '"big2"')}]`,
      'byte order mark': '\uFEFF' + JSON.stringify({ Records: records.slice(0, 2) }),
      'array with a bad element': `[${JSON.stringify(records[0])}, {"eventName": nope}, ${JSON.stringify(records[1])}]`,
      // Values one after another.
      'jq output': records.map((r) => JSON.stringify(r, null, 2)).join('\n'),
      'Firehose object': records.map((r) => JSON.stringify({ 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.s3', detail: r })).join(''),
      'delivery files joined, compact': JSON.stringify({ Records: records.slice(0, 5) }) + JSON.stringify({ Records: records.slice(5) }),
      'delivery files joined, pretty': JSON.stringify({ Records: records.slice(0, 5) }, null, 2) + JSON.stringify({ Records: records.slice(5) }, null, 2),
      'arrays joined': JSON.stringify(records.slice(0, 5), null, 1) + '\n' + JSON.stringify(records.slice(5), null, 1),
      'lookup-events outputs joined': [records.slice(0, 5), records.slice(5)]
        .map((r) => JSON.stringify({ Events: r.map((x) => ({ EventId: x.eventID, CloudTrailEvent: JSON.stringify(x) })), NextToken: 'n' }, null, 2))
        .join('\n'),
      'values with a bad one': `${JSON.stringify(records[0], null, 2)}\n{"eventName": nope}\n${JSON.stringify(records[1], null, 2)}`,
      'a damaged delivery file, then another': JSON.stringify({ Records: [records[0], 'X', records[1]] }, null, 2).replace('"X"', '{"a": nope}') + JSON.stringify({ Records: records.slice(2) }, null, 2),
      'a delivery file, then a damaged one': JSON.stringify({ Records: records.slice(0, 2) }, null, 2) + JSON.stringify({ Records: [records[2], 'X', records[3]] }, null, 2).replace('"X"', '{"a": nope}'),
      // CloudWatch Logs.
      'filter-log-events output': JSON.stringify({ events: records.map((r, i) => ({ logStreamName: 'x', timestamp: i, message: JSON.stringify(r), ingestionTime: i })), searchedLogStreams: [] }, null, 2),
      'a subscription, joined by Firehose': [records.slice(0, 5), records.slice(5)].map((r) => JSON.stringify({ messageType: 'DATA_MESSAGE', logEvents: r.map((x, i) => ({ id: `${i}`, timestamp: i, message: JSON.stringify(x) })) })).join(''),
      'an export to S3': records.map((r, i) => `2026-11-01T10:00:0${i % 10}.000Z ${JSON.stringify(r)}`).join('\n') + '\n',
      'values, then text that is none': `${JSON.stringify(records[0], null, 2)}\n${JSON.stringify(records[1], null, 2)}\nhello\n${JSON.stringify(records[2])}`,
      'values, cut short': records.map((r) => JSON.stringify(r, null, 2)).join('').slice(0, -30),
    };
    for (const [name, text] of Object.entries(inputs)) {
      const whole = shape((await extractFromBytes(Buffer.from(text))).items);
      assert.ok(whole.filter((s) => s[0] === 'record').length >= 2, name);
      for (const chunk of [1, 7, 64, 1 << 20]) {
        assert.deepEqual(shape(await streamed(dir, Buffer.from(text), false, chunk)), whole, `${name}, ${chunk}-byte chunks`);
      }
      assert.deepEqual(shape(await streamed(dir, gzipSync(text), true, 5)), whole, `${name}, gzipped`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('streaming a damaged file keeps the records before the damage and says what happened', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aitrail-stream-'));
  try {
    const records = Array.from({ length: 40 }, (_, i) => rec(i, { pad: 'p'.repeat(200) }));
    const text = JSON.stringify({ Records: records });
    const reason = (items: ExtractedItem[], code: string) =>
      items.flatMap((i) => ('reject' in i && i.reject.code === code && i.idx === null ? [i.reject.reason] : []));
    const count = (items: ExtractedItem[]) => items.filter((i) => 'record' in i).length;

    const cut = await streamed(dir, Buffer.from(text.slice(0, Math.floor(text.length * 0.6))), false, 13);
    assert.ok(count(cut) > 10 && count(cut) < 40);
    assert.deepEqual(reason(cut, 'INGEST_BAD_JSON'), [`file is truncated or damaged after record ${count(cut)}; ${count(cut)} complete records kept`]);

    const trailing = await streamed(dir, Buffer.from(text + ', "x": 1}'), false, 13);
    assert.equal(count(trailing), 40);
    assert.deepEqual(reason(trailing, 'INGEST_BAD_JSON'), ['unexpected text after the records; 40 complete records kept']);

    const gz = gzipSync(text);
    const corrupt = await streamed(dir, Buffer.concat([gz.subarray(0, Math.floor(gz.length / 2)), Buffer.from('garbage!garbage!')]), true, 64);
    assert.ok(count(corrupt) > 0 && count(corrupt) < 40);
    assert.match(reason(corrupt, 'INGEST_BAD_GZIP')[0] ?? '', new RegExp(`^corrupt gzip \\(.+\\); ${count(corrupt)} records recovered before the damage$`));

    const plain = { requestParameters: null };
    const latin1 = await streamed(dir, Buffer.from(JSON.stringify([rec(1, { ...plain, userAgent: 'caf\u00e9' }), rec(2, plain)]), 'latin1'), false, 3);
    assert.equal(count(latin1), 2);
    assert.equal(reason(latin1, 'INGEST_BAD_UTF8').length, 1);
    // A multi-byte character split across reads is not mistaken for a bad one.
    assert.deepEqual(reason(await streamed(dir, Buffer.from(JSON.stringify([rec(1), rec(2)])), false, 1), 'INGEST_BAD_UTF8'), []);

    for (const [bytes, gzip] of [[Buffer.alloc(0), false], [Buffer.from(' \n\n '), false], [gzipSync(''), true]] as const) {
      const empty = await streamed(dir, bytes, gzip, 2);
      assert.equal(empty.length, 1);
      assert.match(reason(empty, 'INGEST_BAD_JSON')[0] ?? '', /^empty file \(\d+ bytes( once inflated)?\): no records in it$/);
    }
    // An empty records array is not an empty file.
    assert.deepEqual(await streamed(dir, Buffer.from('{"Records": []}'), false, 4), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
