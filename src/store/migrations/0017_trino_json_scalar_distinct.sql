-- json_extract_scalar of an object or an array is NULL in Trino (its JSON text before): only a
-- string, number or boolean is a scalar. array_distinct keeps the order of first occurrence and
-- one NULL, as Trino's does (DuckDB's list_distinct gives no order and drops NULLs).
CREATE OR REPLACE MACRO json_extract_scalar(j, p) AS CASE json_type(json_extract(j, p))
  WHEN 'OBJECT' THEN NULL WHEN 'ARRAY' THEN NULL ELSE json_extract_string(json_extract(j, p), '$') END;
CREATE MACRO array_distinct(l) AS list_filter(l, (e, i) -> list_position(l, e) = i);
