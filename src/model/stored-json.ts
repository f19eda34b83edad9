/**
 * Reading records back from the store. A record is stored as it came in, and DuckDB's JSON
 * reader (which reads delivery files) takes `NaN`, `Infinity` and `inf` (in any case) as numbers
 * and keeps them so: CloudTrail never writes them, but a file made by hand may, and such text is
 * not JSON, which JSON.parse refuses. Readers of stored records use these instead, so one such
 * record cannot stop a detection run, an API answer or a trail's delivery.
 */

/**
 * The non-numbers DuckDB's reader takes where a value stands: `nan`, `inf` and `infinity` in any
 * case, with or without a minus sign. Strings are matched whole, so their text is left alone.
 */
const NON_JSON_NUMBER = /"(?:[^"\\]|\\.)*"|-?(?:inf(?:inity)?|nan)/gi;

/** Stored JSON text as a value: strictly, or with `NaN` and `Infinity` read as null. */
export function parseStoredJson(text: string): unknown {
  return storedValue(text).value;
}

/**
 * A stored record and text that is JSON: the stored text itself, or, when it holds `NaN` or
 * `Infinity` where a value stands, the same text with null there (everything else as stored:
 * integers keep their digits). What a trail delivers, and get-event gives.
 */
export function storedRecord(text: string): { record: Record<string, unknown>; text: string } {
  const { value, text: json } = storedValue(text);
  return { record: value as Record<string, unknown>, text: json };
}

/** Parses stored text (once, when it is JSON), else the text with null for the non-numbers. */
function storedValue(text: string): { value: unknown; text: string } {
  try {
    return { value: JSON.parse(text), text };
  } catch (e) {
    const lenient = text.replace(NON_JSON_NUMBER, (m) => (m.startsWith('"') ? m : 'null'));
    if (lenient === text) throw e;
    return { value: JSON.parse(lenient), text: lenient };
  }
}
