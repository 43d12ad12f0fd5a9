-- The dashboard's name search: case-insensitive substrings, answered from a trigram index
-- (FTS5's trigram tokenizer serves LIKE '%term%') instead of a scan of every image.
CREATE VIRTUAL TABLE images_name_search USING fts5(
    name, content = 'images', content_rowid = 'rowid', tokenize = 'trigram'
);
INSERT INTO images_name_search (images_name_search) VALUES ('rebuild');
CREATE TRIGGER images_name_search_insert AFTER INSERT ON images BEGIN
    INSERT INTO images_name_search (rowid, name) VALUES (new.rowid, new.name);
END;
CREATE TRIGGER images_name_search_delete AFTER DELETE ON images BEGIN
    INSERT INTO images_name_search (images_name_search, rowid, name) VALUES ('delete', old.rowid, old.name);
END;
CREATE TRIGGER images_name_search_update AFTER UPDATE OF name ON images BEGIN
    INSERT INTO images_name_search (images_name_search, rowid, name) VALUES ('delete', old.rowid, old.name);
    INSERT INTO images_name_search (rowid, name) VALUES (new.rowid, new.name);
END;
