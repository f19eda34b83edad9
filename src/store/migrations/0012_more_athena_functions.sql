-- More Athena (Trino) functions, found missing by running the published Athena CloudTrail queries.
-- Where Trino has a form DuckDB's function of the same name lacks (replace with two arguments,
-- date_add with a unit), the macro has both forms and hands DuckDB's own to the built-in.
CREATE MACRO replace(s, search) AS system.main.replace(s, search, ''),
  (s, search, replacement) AS system.main.replace(s, search, replacement);
CREATE MACRO date_add(d, i) AS system.main.date_add(d, i),
  (unit, n, t) AS t + CAST(CAST(n AS VARCHAR) || ' ' || unit AS INTERVAL);

-- date_format takes MySQL's format letters; DuckDB's strftime takes C's, and only as a constant.
-- So each letter is replaced by its value, which strftime gives for a constant C format (%% is
-- set aside first, and no value holds a %).
CREATE MACRO date_format(ts, f) AS
  system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(system.main.replace(
    f, '%%', chr(1)),
    '%Y', strftime(CAST(ts AS TIMESTAMP), '%Y')),
    '%y', strftime(CAST(ts AS TIMESTAMP), '%y')),
    '%m', strftime(CAST(ts AS TIMESTAMP), '%m')),
    '%c', strftime(CAST(ts AS TIMESTAMP), '%-m')),
    '%d', strftime(CAST(ts AS TIMESTAMP), '%d')),
    '%e', strftime(CAST(ts AS TIMESTAMP), '%-d')),
    '%H', strftime(CAST(ts AS TIMESTAMP), '%H')),
    '%k', strftime(CAST(ts AS TIMESTAMP), '%-H')),
    '%h', strftime(CAST(ts AS TIMESTAMP), '%I')),
    '%I', strftime(CAST(ts AS TIMESTAMP), '%I')),
    '%l', strftime(CAST(ts AS TIMESTAMP), '%-I')),
    '%i', strftime(CAST(ts AS TIMESTAMP), '%M')),
    '%s', strftime(CAST(ts AS TIMESTAMP), '%S')),
    '%S', strftime(CAST(ts AS TIMESTAMP), '%S')),
    '%f', strftime(CAST(ts AS TIMESTAMP), '%f')),
    '%p', strftime(CAST(ts AS TIMESTAMP), '%p')),
    '%T', strftime(CAST(ts AS TIMESTAMP), '%H:%M:%S')),
    '%r', strftime(CAST(ts AS TIMESTAMP), '%I:%M:%S %p')),
    '%M', strftime(CAST(ts AS TIMESTAMP), '%B')),
    '%b', strftime(CAST(ts AS TIMESTAMP), '%b')),
    '%W', strftime(CAST(ts AS TIMESTAMP), '%A')),
    '%a', strftime(CAST(ts AS TIMESTAMP), '%a')),
    '%j', strftime(CAST(ts AS TIMESTAMP), '%j')),
    chr(1), '%');

CREATE MACRO approx_percentile(x, p) AS approx_quantile(x, p);
CREATE MACRO json_parse(s) AS json(s);
CREATE MACRO json_format(j) AS CAST(j AS VARCHAR);
CREATE MACRO array_join(l, sep) AS array_to_string(l, sep);
CREATE MACRO from_iso8601_date(s) AS CAST(s AS DATE);
CREATE MACRO day_of_week(d) AS isodow(d);
CREATE MACRO day_of_year(d) AS dayofyear(d);
CREATE MACRO url_extract_host(u) AS nullif(regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.-]*://([^/:?#]*)', 1), '');
CREATE MACRO is_nan(x) AS isnan(x);
CREATE MACRO codepoint(c) AS unicode(c);
