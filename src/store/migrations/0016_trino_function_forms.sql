-- Trino forms that DuckDB lacks: strpos's n-th occurrence (counted from the end when negative),
-- split with a limit (the last part holds the rest), regexp_count, truncate. A call of DuckDB's
-- own form (strpos and split with two arguments) is DuckDB's function. Functions DuckDB has under
-- Trino's name with another meaning (regexp_replace, date_diff, format, concat, `/`) are read as
-- Trino's in statements over the Athena and Lake tables by the query layer (src/query/trino.ts).
CREATE OR REPLACE MACRO strpos(s, sub) AS instr(s, sub),
  (s, sub, n) AS CASE
    WHEN n > 0 AND len(string_split(s, sub)) > n THEN length(array_to_string(string_split(s, sub)[1:n], sub)) + 1
    WHEN n < 0 AND len(string_split(s, sub)) + n >= 1 THEN length(array_to_string(string_split(s, sub)[1:len(string_split(s, sub)) + n], sub)) + 1
    ELSE 0 END;
CREATE MACRO split(s, d) AS string_split(s, d),
  (s, d, lim) AS CASE WHEN len(string_split(s, d)) <= lim THEN string_split(s, d)
    ELSE list_append(string_split(s, d)[1:lim - 1], array_to_string(string_split(s, d)[lim:], d)) END;
CREATE MACRO regexp_count(s, pattern) AS len(regexp_extract_all(s, pattern));
CREATE MACRO truncate(x) AS trunc(x), (x, n) AS trunc(x, n);
