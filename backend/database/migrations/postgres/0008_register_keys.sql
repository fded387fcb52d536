-- 0008 (PostgreSQL): cheaper keys for the register, the same answers.
--
-- The text keys compare byte by byte (COLLATE "C"), as SQLite's BINARY collation does: the database's
-- own collation (C.UTF-8, or a language's) sends every comparison in an index through strcoll(). Every
-- value in these columns is ASCII (nephs, ids, ISO dates, INSEE codes, 'female'/'male'), whose byte
-- order is the order the code already expected, and equality is the same. An import spends most of the
-- server's time inserting index entries: 7 % less CPU per event (docs/performance.md).
--
-- events is keyed by its id (a unique index it had anyway), and seq, still its feed order, has no index
-- of its own: nothing looks events up by seq (a holder's events come from events_by_holder, ordered by
-- effective_on then seq in the page's own sort), and an index whose only use was to be the primary key
-- cost every inserted event an entry (8 % of the import's server CPU). seq values still come from the
-- identity; whoever writes them explicitly sets the identity after them (tests/fixtures/postgres.py).

ALTER TABLE holders
    ALTER COLUMN neph TYPE text COLLATE "C",
    ALTER COLUMN birth_date TYPE text COLLATE "C",
    ALTER COLUMN birth_country TYPE text COLLATE "C",
    ALTER COLUMN gender TYPE text COLLATE "C";

ALTER TABLE events
    ALTER COLUMN id TYPE text COLLATE "C",
    ALTER COLUMN neph TYPE text COLLATE "C",
    ALTER COLUMN effective_on TYPE text COLLATE "C",
    DROP CONSTRAINT events_pkey,
    DROP CONSTRAINT events_id_key,
    ADD CONSTRAINT events_pkey PRIMARY KEY (id);
