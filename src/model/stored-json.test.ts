import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStoredJson, storedRecord } from './stored-json.js';

test('stored JSON with NaN or Infinity as a number reads them as null and leaves strings alone', () => {
  assert.deepEqual(parseStoredJson('{"a":1,"b":"x"}'), { a: 1, b: 'x' });
  assert.deepEqual(parseStoredJson('{"n":NaN,"l":[Infinity,-Infinity],"s":"NaN, Infinity \\" NaN","t":"a\\\\"}'), { n: null, l: [null, null], s: 'NaN, Infinity " NaN', t: 'a\\' });
  // DuckDB's reader takes the words in any case, `inf` too, with or without a minus sign.
  assert.deepEqual(parseStoredJson('{"a":inf,"b":-nan,"c":[INF,-infinity, nAn],"s":"inf, -nan"}'), { a: null, b: null, c: [null, null, null], s: 'inf, -nan' });
  assert.throws(() => parseStoredJson('{"a":'), SyntaxError);
  const same = '{"a":1}';
  assert.equal(storedRecord(same).text, same);
  assert.deepEqual(storedRecord('{"n":NaN,"s":"NaN"}'), { record: { n: null, s: 'NaN' }, text: '{"n":null,"s":"NaN"}' });
  // Only the non-numbers change: an integer beyond 2^53 keeps its digits in the text.
  assert.equal(storedRecord('{"n":-inf,"big":12345678901234567890123}').text, '{"n":null,"big":12345678901234567890123}');
});
