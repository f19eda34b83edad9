-- Trino functions for bytes, sampling, bits and series under their Athena names. A hash's bytes
-- (md5, sha256, …) are DuckDB's hex text already: the query layer reads Trino's
-- to_hex(sha256(…)) as that text in capitals (src/query/trino.ts).
CREATE MACRO to_utf8(s) AS encode(s);
CREATE MACRO from_utf8(b) AS decode(b);
CREATE MACRO rand() AS random(), (n) AS CAST(floor(random() * n) AS BIGINT);
CREATE MACRO bitwise_and(a, b) AS a & b;
CREATE MACRO bitwise_or(a, b) AS a | b;
CREATE MACRO bitwise_xor(a, b) AS xor(a, b);
CREATE MACRO bitwise_not(a) AS ~a;
-- Integers, up or down by 1; with a step, whatever generate_series takes (dates with an interval).
CREATE MACRO sequence(a, b) AS generate_series(a, b, CASE WHEN a <= b THEN 1 ELSE -1 END),
  (a, b, step) AS generate_series(a, b, step);
