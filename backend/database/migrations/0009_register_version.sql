-- 0009: the register's version, a token every import changes (backend/register/repository.py, `state`).
-- The pages' caches key computed files by it. The latest extract alone did not do: an extract imported
-- after a newer one (a catch-up, or a corrected file of an older extract) changed files but not which
-- extract is the latest, and every cache kept the files as they were before it.
-- Every import writes its extract's row in its own transaction (the header, then the counts): a trigger
-- on that row writes a new token in the same transaction, one row per import, never per event. The data
-- lag, measured after the imports of a run (register/lag.py), is shown and cached the same way: its row
-- changes the token too. No row
-- until the first import after this migration (the version is then ''), so that the accounts' file,
-- which has the same schema, holds no register row. (An upsert, not INSERT OR REPLACE: inside a
-- trigger, the conflict policy of the import's own statement would override OR REPLACE.)
CREATE TABLE register_version (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    token TEXT NOT NULL
);

CREATE TRIGGER register_version_on_new_extract AFTER INSERT ON extracts
BEGIN
    INSERT INTO register_version (id, token) VALUES (1, lower(hex(randomblob(16))))
        ON CONFLICT (id) DO UPDATE SET token = excluded.token;
END;

CREATE TRIGGER register_version_on_extract_change AFTER UPDATE ON extracts
BEGIN
    INSERT INTO register_version (id, token) VALUES (1, lower(hex(randomblob(16))))
        ON CONFLICT (id) DO UPDATE SET token = excluded.token;
END;

CREATE TRIGGER register_version_on_new_data_lag AFTER INSERT ON data_lag
BEGIN
    INSERT INTO register_version (id, token) VALUES (1, lower(hex(randomblob(16))))
        ON CONFLICT (id) DO UPDATE SET token = excluded.token;
END;

CREATE TRIGGER register_version_on_data_lag_change AFTER UPDATE ON data_lag
BEGIN
    INSERT INTO register_version (id, token) VALUES (1, lower(hex(randomblob(16))))
        ON CONFLICT (id) DO UPDATE SET token = excluded.token;
END;
