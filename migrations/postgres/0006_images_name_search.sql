-- The dashboard's name search: case-insensitive substrings (ILIKE '%term%'), answered from a
-- trigram index instead of a scan of every image. pg_trgm ships with PostgreSQL and is a
-- trusted extension: a database owner may create it. (SQLite's twin uses FTS5's trigrams.)
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX images_name_search ON images USING gin (name gin_trgm_ops);
