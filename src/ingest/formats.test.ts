import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { clip, duplicateMember, extractFromText, extractFromBytes, extractJsonLines, loneSurrogate, scanArrayElements, unwrapElement, ValueScanner, type ExtractedItem } from './formats.js';

const rec = (n: number) => ({ eventTime: '2026-01-01T00:00:00Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject', eventID: `id-${n}` });
const records = (ex: ReturnType<typeof extractFromText>) => ex.items.filter((i) => 'record' in i).map((i) => (i as { record: unknown }).record);
const rejects = (ex: ReturnType<typeof extractFromText>) => ex.items.filter((i) => 'reject' in i);

test('delivery file {"Records":[…]}', () => {
  const ex = extractFromText(JSON.stringify({ Records: [rec(1), rec(2)] }));
  assert.equal(ex.kind, 'records');
  assert.deepEqual(records(ex), [rec(1), rec(2)]);
});

test('bare array, single record, and a BOM', () => {
  assert.equal(extractFromText(JSON.stringify([rec(1), rec(2)])).kind, 'array');
  const single = extractFromText('\uFEFF' + JSON.stringify(rec(3)));
  assert.equal(single.kind, 'single');
  assert.deepEqual(records(single), [rec(3)]);
});

test('JSON Lines, with a bad line reported by number and the rest kept', () => {
  const text = [JSON.stringify(rec(1)), '{not json', '', JSON.stringify(rec(2))].join('\n');
  const ex = extractFromText(text);
  assert.equal(ex.kind, 'jsonl');
  assert.deepEqual(records(ex), [rec(1), rec(2)]);
  const bad = rejects(ex);
  assert.equal(bad.length, 1);
  assert.equal(bad[0]!.line, 2);
  assert.match((bad[0] as { reject: { reason: string } }).reject.reason, /line 2 is not valid JSON/);
});

test('EventBridge envelopes are unwrapped, alone and in JSON Lines', () => {
  const env = { version: '0', id: 'x', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.s3', detail: rec(5) };
  const ex = extractFromText(JSON.stringify(env));
  assert.equal(ex.kind, 'eventbridge');
  assert.deepEqual(records(ex), [rec(5)]);
  assert.deepEqual(records(extractFromText(JSON.stringify(env) + '\n' + JSON.stringify(env))), [rec(5), rec(5)]);
});

test('lookup-events output: CloudTrailEvent strings are parsed; a bad one is rejected alone', () => {
  const out = { Events: [{ EventId: 'id-1', CloudTrailEvent: JSON.stringify(rec(1)) }, { EventId: 'x', CloudTrailEvent: '{oops' }] };
  const ex = extractFromText(JSON.stringify(out));
  assert.equal(ex.kind, 'lookup-events');
  assert.deepEqual(records(ex), [rec(1)]);
  assert.equal(rejects(ex).length, 1);
});

test('test wrappers {tests:[{log}]} and {event:{…}} wrappers', () => {
  assert.deepEqual(records(extractFromText(JSON.stringify({ tests: [{ name: 'a', log: rec(1) }, { log: rec(2) }] }))), [rec(1), rec(2)]);
  assert.deepEqual(unwrapElement({ _source: { repo: 'x' }, event: rec(4) }), { record: rec(4) });
});

test('a truncated delivery file keeps its complete records and reports the rest', () => {
  const full = JSON.stringify({ Records: [rec(1), rec(2), rec(3)] });
  const cut = full.slice(0, full.length - 40);
  const ex = extractFromText(cut);
  assert.deepEqual(records(ex), [rec(1), rec(2)]);
  const bad = rejects(ex);
  assert.equal(bad.length, 1);
  assert.match((bad[0] as { reject: { reason: string } }).reject.reason, /truncated or damaged after record 2/);
});

test('non-JSON text is one reject with the parse error', () => {
  const ex = extractFromText('hello, this is not json');
  assert.equal(records(ex).length, 0);
  assert.equal(rejects(ex).length, 1);
  assert.match((rejects(ex)[0] as { reject: { reason: string } }).reject.reason, /not valid JSON/);
});

test('scanArrayElements handles strings with brackets and escapes', () => {
  const text = '[{"a":"x]y\\"}"},[1,2],"s,t"]';
  const r = scanArrayElements(text, 0);
  assert.equal(r.complete, true);
  assert.deepEqual(r.elements, ['{"a":"x]y\\"}"}', '[1,2]', '"s,t"']);
});

test('gzip: whole, and a truncated stream recovers the records before the damage', async () => {
  const body = JSON.stringify({ Records: Array.from({ length: 200 }, (_, i) => rec(i)) });
  const gz = gzipSync(body);
  assert.equal(records(await extractFromBytes(gz)).length, 200);
  const broken = await extractFromBytes(gz.subarray(0, Math.floor(gz.length * 0.6)));
  const kept = records(broken).length;
  assert.ok(kept > 0 && kept < 200, `kept ${kept}`);
  assert.ok(rejects(broken).some((r) => (r as { reject: { code: string } }).reject.code === 'INGEST_BAD_GZIP'));
});

test('an empty file is one reject that says so; an empty JSON document is not', async () => {
  for (const [bytes, reason] of [
    [Buffer.alloc(0), 'empty file (0 bytes): no records in it'],
    [Buffer.from(' \r\n\t'), 'empty file (4 bytes of whitespace only): no records in it'],
  ] as const) {
    const ex = await extractFromBytes(bytes);
    assert.equal(ex.kind, 'empty');
    assert.deepEqual(ex.items, [{ idx: null, line: null, reject: { code: 'INGEST_BAD_JSON', reason, raw: '' } }]);
  }
  const gz = await extractFromBytes(gzipSync(''));
  assert.match((rejects(gz)[0] as { reject: { reason: string } }).reject.reason, /^empty file \(\d+ bytes of gzip that inflate to no text\)/);
  // A delivery file without records is not empty: nothing to report.
  assert.deepEqual((await extractFromBytes(Buffer.from('{"Records":[]}'))).items, []);
});

test('bytes that are not UTF-8, gzipped or not: the records are read, and the file reported', async () => {
  const text = Buffer.from(JSON.stringify({ Records: [rec(1), { ...rec(2), userAgent: 'x\u00ff' }] }), 'latin1');
  for (const bytes of [text, gzipSync(text)]) {
    const ex = await extractFromBytes(bytes);
    assert.equal(records(ex).length, 2);
    assert.equal((records(ex)[1] as { userAgent: string }).userAgent, 'x\uFFFD');
    assert.deepEqual(rejects(ex).map((r) => (r as { reject: { code: string } }).reject.code), ['INGEST_BAD_UTF8']);
  }
  // Valid UTF-8 beyond ASCII is not reported.
  assert.deepEqual(rejects(await extractFromBytes(Buffer.from(JSON.stringify({ Records: [{ ...rec(3), userAgent: 'caf\u00e9 \u{1F600}' }] })))), []);
});

test('a gzip file that inflates to more than the limit is not read whole: the caller streams it', async () => {
  const gz = gzipSync(JSON.stringify({ Records: Array.from({ length: 50 }, (_, i) => rec(i)) }));
  assert.deepEqual(await extractFromBytes(gz, 1000), { kind: 'too-large', items: [] });
  assert.equal(records(await extractFromBytes(gz)).length, 50);
});

test('duplicateMember finds a member named twice in one object, at any depth, escapes decoded', () => {
  assert.equal(duplicateMember(JSON.stringify(rec(1))), null);
  assert.deepEqual(duplicateMember('{"a":1,"b":2,"a":3}'), { name: 'a', path: '$' });
  assert.deepEqual(duplicateMember('{"x":{"k":1,"k":2}}'), { name: 'k', path: '$.x' });
  assert.deepEqual(duplicateMember('{"r":[{"k":1},{"k":2,"j":{"m":1,"\\u006d":2}}]}'), { name: 'm', path: '$.r[].j' });
  // The same name in sibling objects, in arrays, or as a value is not a duplicate.
  assert.equal(duplicateMember('{"a":{"k":1},"b":{"k":1},"c":["k","k"],"k":"k"}'), null);
  // Braces, brackets, commas and quotes inside strings are text.
  assert.equal(duplicateMember('{"a":"{\\"a\\":1,","b":"[\\"a\\"]","c":"\\\\"}'), null);
});

test('values one after another: jq output, files joined with cat, Firehose objects', () => {
  const env = (n: number) => ({ version: '0', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.bedrock', detail: rec(n) });
  const pretty = (v: unknown) => JSON.stringify(v, null, 2);
  // `jq '.Records[]'` prints each record over several lines.
  const jq = extractFromText([rec(1), rec(2), rec(3)].map(pretty).join('\n'));
  assert.equal(jq.kind, 'concatenated');
  assert.deepEqual(records(jq), [rec(1), rec(2), rec(3)]);
  // A record's line is the one it starts on (each pretty record here takes 6 lines).
  assert.deepEqual(jq.items.map((i) => i.line), [1, 7, 13]);
  // Firehose writes EventBridge events with nothing between them.
  const firehose = extractFromText([env(1), env(2)].map((e) => JSON.stringify(e)).join(''));
  assert.deepEqual([firehose.kind, records(firehose)], ['concatenated', [rec(1), rec(2)]]);
  // Delivery files joined with `cat` (CloudTrail's files end without a line feed), compact or pretty.
  for (const joined of [JSON.stringify({ Records: [rec(1), rec(2)] }) + JSON.stringify({ Records: [rec(3)] }), pretty({ Records: [rec(1), rec(2)] }) + pretty({ Records: [rec(3)] })]) {
    const ex = extractFromText(joined);
    assert.deepEqual([ex.kind, records(ex), rejects(ex)], ['concatenated', [rec(1), rec(2), rec(3)], []]);
    assert.deepEqual(ex.items.map((i) => i.idx), [0, 1, 2]);
  }
  // Several values on one line of a JSON Lines file.
  const lines = extractFromText(`${JSON.stringify(rec(1))}\n${JSON.stringify(rec(2))}${JSON.stringify(rec(3))}\n${JSON.stringify(rec(4))}`);
  assert.deepEqual([lines.kind, records(lines).length, rejects(lines)], ['jsonl', 4, []]);
});

test('values one after another: a bad value is rejected alone; text that is no value, or a cut, ends the file', () => {
  const pretty = (v: unknown) => JSON.stringify(v, null, 2);
  const reasons = (ex: ReturnType<typeof extractFromText>) => rejects(ex).map((i) => [i.line, (i as { reject: { reason: string } }).reject.reason]);
  const bad = extractFromText(`${pretty(rec(1))}\n{"eventName": nope}\n${pretty(rec(2))}`);
  assert.deepEqual(records(bad), [rec(1), rec(2)]);
  assert.deepEqual(reasons(bad).map(([l, r]) => [l, String(r).replace(/: Unexpected.*/, '')]), [[7, 'value 2 (line 7) is not valid JSON']]);
  const garbage = extractFromText(`${pretty(rec(1))}\nhello\n${pretty(rec(2))}`);
  assert.deepEqual(records(garbage), [rec(1)]);
  assert.deepEqual(reasons(garbage), [[7, 'line 7: text after value 1 is not a JSON object or array; 1 complete records kept']]);
  assert.match((rejects(garbage)[0] as { reject: { raw: string } }).reject.raw, /^hello\n\{/);
  const cut = extractFromText((pretty(rec(1)) + pretty(rec(2))).slice(0, -10));
  assert.deepEqual(records(cut), [rec(1)]);
  assert.deepEqual(reasons(cut), [[6, 'file is truncated or damaged in value 2 (line 6); 1 complete records kept']]);
  // A damaged delivery file among others keeps its good records, and the files after it are read.
  const damaged = pretty({ Records: [rec(1), 'X', rec(2)] }).replace('"X"', '{"a": nope}') + pretty({ Records: [rec(3)] });
  assert.deepEqual(records(extractFromText(damaged)), [rec(1), rec(2), rec(3)]);
  // Also when it is not the first: only the bad record is rejected, numbered in the whole file.
  const second = extractFromText(pretty({ Records: [rec(0)] }) + damaged);
  assert.deepEqual(records(second), [rec(0), rec(1), rec(2), rec(3)]);
  assert.deepEqual(reasons(second).map(([l, r]) => [l, String(r).replace(/: Unexpected.*/, '')]), [[null, 'record 2 is not valid JSON']]);
  // A file whose first line is a broken record is still JSON Lines, read line by line.
  const jsonl = extractFromText(`{"eventName": \n${JSON.stringify(rec(1))}\n${JSON.stringify(rec(2))}`);
  assert.deepEqual([jsonl.kind, records(jsonl).length, rejects(jsonl).map((i) => i.line)], ['jsonl', 2, [1]]);
});

test('CloudWatch Logs: filter-log-events output, a subscription delivered by Firehose, an export to S3', () => {
  const at = Date.parse('2026-01-01T00:00:00Z');
  const event = (r: unknown, i: number) => ({ logStreamName: '111122223333_CloudTrail_us-east-1', timestamp: at + i, message: typeof r === 'string' ? r : JSON.stringify(r), ingestionTime: at + i + 5, eventId: `e${i}` });
  const filtered = extractFromText(JSON.stringify({ events: [event(rec(1), 1), event('{oops', 2)], searchedLogStreams: [] }, null, 2));
  assert.equal(filtered.kind, 'cloudwatch-logs');
  assert.deepEqual(records(filtered), [rec(1)]);
  assert.match((rejects(filtered)[0] as { reject: { reason: string } }).reject.reason, /^message is not valid JSON/);
  // A subscription's data, joined by Firehose; its health checks hold no records.
  const control = { messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', subscriptionFilters: [], logEvents: [{ id: '', timestamp: at, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }] };
  const data = (rs: unknown[]) => ({ messageType: 'DATA_MESSAGE', owner: '111122223333', logGroup: 'aws-cloudtrail-logs', logStream: '111122223333_CloudTrail_us-east-1', subscriptionFilters: ['to-firehose'], logEvents: rs.map((r, i) => ({ id: `${i}`, timestamp: at + i, message: JSON.stringify(r) })) });
  const firehose = extractFromText([control, data([rec(2), rec(3)]), data([rec(4)])].map((v) => JSON.stringify(v)).join(''));
  assert.deepEqual([records(firehose), rejects(firehose)], [[rec(2), rec(3), rec(4)], []]);
  // An export to S3: each line a time stamp, then the record.
  const exported = [rec(5), rec(6)].map((r, i) => `2026-01-01T00:00:0${i}.000Z ${JSON.stringify(r)}`);
  const ex = extractFromText(exported.join('\n') + '\n');
  assert.deepEqual([ex.kind, records(ex), rejects(ex)], ['jsonl', [rec(5), rec(6)], []]);
  assert.deepEqual(records(extractFromText(exported[0]!)), [rec(5)]);
  // Records carried as strings keep their text, so large integers keep their digits.
  const big = '{"eventTime":"2026-01-01T00:00:00Z","eventSource":"s","eventName":"n","eventID":"b","n":12345678901234567890}';
  for (const text of [JSON.stringify({ Events: [{ EventId: 'b', CloudTrailEvent: big }] }), JSON.stringify({ events: [{ timestamp: at, message: big }] })]) {
    const item = extractFromText(text).items[0] as { raw?: string };
    assert.equal(item.raw, big);
  }
});

test('trusted lines and values: records and EventBridge envelopes are taken as text, the others read as usual', () => {
  const r = { eventVersion: '1.08', ...rec(1) };
  const env = { version: '0', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.s3', detail: rec(2) };
  const text = [JSON.stringify(r), JSON.stringify(env), '{"eventVersion":"1.08", oops}', `${JSON.stringify(r)} `].join('\n');
  const trusted = extractFromText(text, { trustRecords: true });
  assert.deepEqual(
    trusted.items.map((i) => ('record' in i ? [i.idx, i.line, i.record === undefined ? 'text' : 'parsed', i.raw ?? null] : [i.idx, i.line, 'reject'])),
    [
      [0, 1, 'text', JSON.stringify(r)],
      // An envelope: its detail's text.
      [1, 2, 'text', JSON.stringify(rec(2))],
      // Looks like a record: taken on trust, for the caller's reader to find out.
      [2, 3, 'text', '{"eventVersion":"1.08", oops}'],
      // Ends in a space: read as usual.
      [3, 4, 'parsed', JSON.stringify(r)],
    ],
  );
  // The same in values one after another (Firehose), and a record that is not an envelope's last member is read as usual.
  const odd = { version: '0', 'detail-type': 'x', source: 'aws.s3', detail: rec(3), after: 1 };
  const values = extractFromText([env, odd].map((v) => JSON.stringify(v)).join(''), { trustRecords: true });
  assert.deepEqual(values.items.map((i) => ('record' in i ? [i.record === undefined ? 'text' : 'parsed', i.raw ?? JSON.stringify(i.record)] : 'reject')), [
    ['text', JSON.stringify(rec(2))],
    // The text after its `"detail":`: staged as a member's value, it gives the detail, the members after it apart.
    ['text', `${JSON.stringify(rec(3))},"after":1`],
  ]);
  // Without the option, every line is parsed.
  const checked = extractFromText(text);
  assert.deepEqual(checked.items.map((i) => ('record' in i ? 'record' : 'reject')), ['record', 'record', 'reject', 'record']);
});

test('a lone surrogate escape is found; pairs, escaped backslashes and other escapes are not', () => {
  assert.equal(loneSurrogate('{"a":"\\ud800"}'), '\\ud800');
  assert.equal(loneSurrogate('{"a":"x\\uDC00y"}'), '\\uDC00');
  assert.equal(loneSurrogate('{"a":"\\ud83d\\ude00 and \\ud83d"}'), '\\ud83d');
  assert.equal(loneSurrogate('{"a":"\\ud83d\\ude00","b":"\\u00e9"}'), undefined);
  // An escaped backslash followed by the letters "ud800" is text, not an escape.
  assert.equal(loneSurrogate('{"a":"\\\\ud800"}'), undefined);
  assert.equal(loneSurrogate('{"a":"\\\\\\ud800"}'), '\\ud800');
  assert.equal(loneSurrogate('{"a":"plain"}'), undefined);
});

test('what DuckDB would take and JSON.parse not is never taken on trust: read checked, it is rejected', () => {
  const base = JSON.stringify({ eventVersion: '1.08', ...rec(1) }).slice(0, -1);
  for (const odd of [',"n":NaN}', ',"n":-Infinity}', ',"n":inf}', ',"n": -nan}', ',"l":[1,INF]}', ',"l":[ infinity]}', ',"l":[1,2,]}', ',"o":{"a":1, }}']) {
    const ex = extractFromText([JSON.stringify({ eventVersion: '1.08', ...rec(2) }), base + odd].join('\n'), { trustRecords: true });
    assert.deepEqual(ex.items.map((i) => ('record' in i ? 'record' : i.reject.code)), ['record', 'INGEST_BAD_JSON'], odd);
  }
  // A string that holds such a word as a value would stand is read checked, and kept; one that
  // merely holds the word is taken on trust.
  const word = extractFromText(`${base},"ua":"a, inf"}\n${base},"ua":"NaN"}`, { trustRecords: true });
  assert.deepEqual(word.items.map((i) => ('record' in i ? (i.record === undefined ? 'text' : 'parsed') : 'reject')), ['parsed', 'text']);
});

test('JSON Lines read from bytes give the items reading the text gives, record lines passed on as their bytes', () => {
  const line = (n: number, extra = '') => JSON.stringify({ eventVersion: '1.08', ...rec(n) }).slice(0, -1) + extra + '}';
  // What a reader hands on, whichever way it read: a line's text, a parsed record, or a reject.
  const seen = (items: ExtractedItem[]) => items.map((i) => ('reject' in i ? { idx: i.idx, line: i.line, reject: i.reject.reason }
    : { idx: i.idx, line: i.line, text: i.bytes ? i.bytes.toString('utf8') : i.raw, record: i.record }));
  const files = [
    [line(1), line(2), line(3)].join('\n') + '\n',
    [line(1), '', '   ', '\u00a0', line(2), '\t'].join('\r\n') + '\r',
    // Non-ASCII text, escapes (a pair, a lone half, others), a carriage return inside a line.
    [line(1, ',"a":"é 😀 \u2000"'), line(2, ',"b":"\\u00e9 \\ud83d\\ude00"'), line(3, ',"c":"\\ud800"'), line(4, ',\r"d":1')].join('\n'),
    // What DuckDB takes and JSON.parse not, and a string that only looks so.
    [line(0), line(1, ',"n":nan'), line(2, ',"n": -INF'), line(3, ',"ua":"a, inf"'), line(4, ',"l":[1,\t]'), line(5, ',"l":[1, ]'), line(6, ',"ua":"NaN"')].join('\n'),
    // Lines that are no record line: an envelope, a record after spaces, a container, text that is not JSON.
    [line(1), JSON.stringify({ version: '0', 'detail-type': 'AWS API Call via CloudTrail', detail: { eventVersion: '1.08', ...rec(2) } }), `  ${line(3)}`,
      JSON.stringify({ Records: [rec(4), rec(5)] }), 'not json', line(6)].join('\n'),
    '\ufeff' + [line(1), line(2)].join('\n'),
  ];
  for (const text of files) {
    const fromBytes = extractJsonLines(Buffer.from(text));
    assert.ok(fromBytes, JSON.stringify(text));
    const fromText = extractFromText(text, { trustRecords: true });
    assert.equal(fromText.kind, 'jsonl');
    assert.deepEqual(seen(fromBytes.items), seen(fromText.items), JSON.stringify(text));
  }
  // Record lines went as bytes, the others not. A space JSON does not have (U+2000) before a
  // bracket after a comma goes as bytes too: DuckDB refuses it, and the file is read again checked.
  const mixed = extractJsonLines(Buffer.from(files[3]! + '\n' + line(7, ',"l":[1,\u2000]')))!;
  assert.deepEqual(mixed.items.map((i) => ('record' in i && i.bytes ? 'bytes' : 'other')), ['bytes', 'other', 'other', 'other', 'other', 'other', 'bytes', 'bytes']);
  // Not plainly JSON Lines: read as text by the caller.
  for (const text of [line(1), `${line(1)}\n\n  \n`, `{"eventVersion":\n"1.08"}\n${line(2)}`, ` ${line(1)}\n${line(2)}`]) {
    assert.equal(extractJsonLines(Buffer.from(text)), undefined, JSON.stringify(text));
  }
  assert.equal(extractJsonLines(Buffer.concat([Buffer.from(line(1) + '\n' + line(2)), Buffer.from([0xff])])), undefined);
});

test('raw text kept for a reject is cut to 64 kB, never inside a surrogate pair', () => {
  const text = 'a' + '😀'.repeat(40000);
  const cut = clip(text);
  assert.ok(cut.length < text.length);
  assert.doesNotThrow(() => encodeURIComponent(cut)); // throws on half a surrogate pair
  assert.match(cut, /…\[\d+ more characters\]$/);
  const kept = cut.slice(0, cut.indexOf('…['));
  assert.equal(text.startsWith(kept), true);
  assert.equal(Number(/\[(\d+) more/.exec(cut)![1]), text.length - kept.length);
  assert.equal(clip('short'), 'short');
});

test('the value scanner, jumping through strings, finds the values, lines and stops a character-at-a-time scan finds', () => {
  // The scan as it was, a character at a time: the reference.
  const reference = (text: string) => {
    const out: [string, number][] = [];
    let depth = 0, inString = false, escaped = false, start = -1, line = 1, startLine = 0;
    for (let pos = 0; pos < text.length; pos++) {
      const ch = text[pos]!;
      if (ch === '\n') line++;
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '{' || ch === '[') {
        if (depth++ === 0) [start, startLine] = [pos, line];
      } else if (depth === 0) {
        if (ch > ' ') return { out, stop: pos, line };
      } else if (ch === '"') inString = true;
      else if ((ch === '}' || ch === ']') && --depth === 0) out.push([text.slice(start, pos + 1), startLine]);
    }
    return { out, stop: -1, line };
  };
  const pieces = ['{"a":"x\\"y"}', '{"b":"line\nfeed"}', '["\\\\", "q\\\\\\"r"]', '{"c":"é😀\\u00e9"}', '\n', ' ', '{"d":{"e":["}", "{", "]"]}}', '{"f":"no end', 'x', '\n\n'];
  let seed = 7;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0), (seed >>> 8) % n);
  const seen = new Set<number>();
  for (let k = 0; k < 300; k++) {
    const text = Array.from({ length: 1 + rand(8) }, () => pieces[rand(pieces.length)]).join('');
    const got: [string, number][] = [];
    const scanner = new ValueScanner();
    const stop = scanner.scan(text, (v, l) => void got.push([v, l]));
    const want = reference(text);
    seen.add(want.line);
    assert.deepEqual([got, stop, scanner.line], [want.out, want.stop, want.line], JSON.stringify(text));
  }
  // The texts were varied: many line counts among them.
  assert.ok(seen.size > 5, `${seen.size}`);
});

test('the array scanner, jumping through strings, cuts the elements a character-at-a-time scan cuts', () => {
  const reference = (text: string) => {
    const out: string[] = [];
    let depth = 0, inString = false, escaped = false, start = -1;
    for (let pos = 1; pos < text.length; pos++) {
      const ch = text[pos]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') {
        inString = true;
        if (start < 0) start = pos;
      } else if (ch === '{' || ch === '[') {
        if (start < 0) start = pos;
        depth++;
      } else if (ch === '}' || ch === ']') {
        if (depth === 0 && ch === ']') {
          if (start >= 0) out.push(text.slice(start, pos).trim());
          return { elements: out, end: pos + 1, complete: true };
        }
        depth--;
      } else if (ch === ',' && depth === 0) {
        if (start >= 0) out.push(text.slice(start, pos).trim());
        start = -1;
      } else if (start < 0 && ch > ' ') start = pos;
    }
    return { elements: out, end: start >= 0 ? start : text.length, complete: false };
  };
  const pieces = ['{"a":"x\\"]y"}', '"s,t\\\\"', '[1,"]",{"b":"\\\\\\""}]', '{"c":"é😀\\u00e9"}', ', ', ',', ' 42 ', '"open'];
  let seed = 11;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0), (seed >>> 8) % n);
  const ends = new Set<string>();
  for (let k = 0; k < 300; k++) {
    const text = '[' + Array.from({ length: 1 + rand(7) }, () => pieces[rand(pieces.length)]).join('') + (rand(3) ? ']' : '');
    const want = reference(text);
    ends.add(`${want.complete}:${want.elements.length}`);
    assert.deepEqual(scanArrayElements(text, 0), want, JSON.stringify(text));
  }
  assert.ok(ends.size > 5, `${ends.size}`);
});
