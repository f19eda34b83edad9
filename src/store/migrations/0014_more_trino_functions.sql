-- More Trino functions under their Athena names, where DuckDB has the same function under another
-- name or a short expression gives it. Functions that take a lambda or a format to be read at
-- planning time (transform, any_match, date_parse, parse_datetime, format_datetime) cannot be
-- macros: the query layer rewrites those calls (src/query/trino.ts).
CREATE MACRO regexp_split(s, pattern) AS regexp_split_to_array(s, pattern);
CREATE MACRO array_max(l) AS list_max(l);
CREATE MACRO array_min(l) AS list_min(l);
CREATE MACRO array_remove(l, x) AS list_filter(l, e -> e IS DISTINCT FROM x);
-- Order kept, each value once, as Trino does (DuckDB's list_distinct gives no order).
CREATE MACRO array_union(a, b) AS list_filter(list_concat(a, b), (e, i) -> list_position(list_concat(a, b), e) = i);
CREATE MACRO array_except(a, b) AS list_filter(a, (e, i) -> NOT list_contains(b, e) AND list_position(a, e) = i);
CREATE MACRO arrays_overlap(a, b) AS list_has_any(a, b);
CREATE MACRO slice(l, start, n) AS CASE WHEN start > 0 THEN list_slice(l, start, start + n - 1)
  ELSE list_slice(l, len(l) + start + 1, len(l) + start + n) END;
CREATE MACRO url_extract_path(u) AS regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*([^?#]*)', 1);
CREATE MACRO url_extract_parameter(u, name) AS
  CASE WHEN regexp_matches(u, '[?&]' || regexp_escape(name) || '(=|&|#|$)')
    THEN url_decode(regexp_extract(u, '[?&]' || regexp_escape(name) || '=([^&#]*)', 1)) END;
CREATE MACRO every(x) AS bool_and(x);
CREATE MACRO dow(d) AS isodow(d);
CREATE MACRO doy(d) AS dayofyear(d);
CREATE MACRO year_of_week(d) AS isoyear(d);
CREATE MACRO yow(d) AS isoyear(d);
CREATE MACRO last_day_of_month(d) AS last_day(d);
CREATE MACRO is_finite(x) AS isfinite(x);
CREATE MACRO infinity() AS CAST('Infinity' AS DOUBLE);
CREATE MACRO nan() AS CAST('NaN' AS DOUBLE);
CREATE MACRO levenshtein_distance(a, b) AS levenshtein(a, b);
CREATE MACRO hamming_distance(a, b) AS hamming(a, b);
CREATE MACRO from_iso8601_timestamp_nanos(s) AS from_iso8601_timestamp(s);
CREATE MACRO with_timezone(ts, zone) AS timezone(zone, CAST(ts AS TIMESTAMP));
CREATE MACRO at_timezone(ts, zone) AS timezone(zone, CAST(ts AS TIMESTAMPTZ));
CREATE MACRO map_agg(k, v) AS map(list(k), list(v));
