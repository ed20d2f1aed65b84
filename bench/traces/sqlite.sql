-- Run by bench/traces/record.sh: the ISO 3166-2 subdivisions (a JSON file of Debian's iso-codes
-- package, named by the :file parameter) into a table, an index, then a few real queries.
CREATE TABLE subdivision (code TEXT PRIMARY KEY, name TEXT, type TEXT, parent TEXT, country TEXT);
INSERT INTO subdivision
  SELECT json_extract(value, '$.code'), json_extract(value, '$.name'), json_extract(value, '$.type'),
         json_extract(value, '$.parent'), substr(json_extract(value, '$.code'), 1, 2)
  FROM json_each(json_extract(readfile(:file), '$."3166-2"'));
CREATE INDEX by_country ON subdivision (country, type);
SELECT country, count(*) AS n, count(DISTINCT type) FROM subdivision GROUP BY country ORDER BY n DESC LIMIT 10;
SELECT type, count(*) FROM subdivision GROUP BY type ORDER BY 2 DESC LIMIT 10;
SELECT s.code, s.name, p.name FROM subdivision s JOIN subdivision p ON p.code = s.parent WHERE s.country = 'FR' ORDER BY s.name;
UPDATE subdivision SET name = upper(name) WHERE type = 'Province';
DELETE FROM subdivision WHERE country > 'M';
VACUUM;
SELECT count(*) FROM subdivision;
