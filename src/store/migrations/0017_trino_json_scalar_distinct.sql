-- json_extract_scalar of an object or an array is NULL in Trino (its JSON text before): only a
-- string, number or boolean is a scalar. Trino's array_distinct keeps the order of first
-- occurrence and one NULL (DuckDB's list_distinct gives no order and drops NULLs); the query layer
-- calls this one for array_distinct in statements over the Athena and Lake tables
-- (src/query/trino.ts). It compares each element with those before it: fine for the arrays of
-- an event, slow on tens of thousands of distinct values, where list_distinct does not care.
CREATE OR REPLACE MACRO json_extract_scalar(j, p) AS CASE json_type(json_extract(j, p))
  WHEN 'OBJECT' THEN NULL WHEN 'ARRAY' THEN NULL ELSE json_extract_string(json_extract(j, p), '$') END;
CREATE MACRO trino_array_distinct(l) AS list_filter(l, (e, i) -> list_position(l, e) = i);
