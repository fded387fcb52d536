-- 0009 (PostgreSQL): the register's version, a token every import changes (see migrations/0009).
-- One trigger per statement on `extracts`: the importers write one row there per import, in the import's
-- transaction (pg_importer.py holds the events' lock until it commits, so imports do not wait on this row);
-- and on `data_lag`, measured after the imports of a run, shown and cached the same way.
CREATE TABLE register_version (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    token TEXT NOT NULL
);

CREATE FUNCTION register_version_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO register_version (id, token) VALUES (1, gen_random_uuid()::text)
        ON CONFLICT (id) DO UPDATE SET token = excluded.token;
    RETURN NULL;
END
$$;

CREATE TRIGGER register_version_on_extracts AFTER INSERT OR UPDATE ON extracts
    FOR EACH STATEMENT EXECUTE FUNCTION register_version_change();

CREATE TRIGGER register_version_on_data_lag AFTER INSERT OR UPDATE ON data_lag
    FOR EACH STATEMENT EXECUTE FUNCTION register_version_change();
