-- 0001: the register — holders, their record events, the extracts they came from.
-- Dates are ISO-8601 TEXT; events are append-only (corrections are new events, e.g. cancellations).

-- One row per register extract (feed file) imported. Re-importing a file with the same
-- extract_id updates the counts of its row.
CREATE TABLE extracts (
    extract_id       TEXT PRIMARY KEY,
    extracted_at     TEXT NOT NULL,            -- UTC ISO-8601, when the register produced the extract
    file_name        TEXT NOT NULL,
    file_sha256      TEXT NOT NULL,
    lines            INTEGER NOT NULL DEFAULT 0,
    holders          INTEGER NOT NULL DEFAULT 0,
    events_new       INTEGER NOT NULL DEFAULT 0,
    events_unchanged INTEGER NOT NULL DEFAULT 0,
    rejected         INTEGER NOT NULL DEFAULT 0,
    imported_at      TEXT NOT NULL             -- UTC ISO-8601, when this service imported it
) WITHOUT ROWID;

CREATE INDEX extracts_by_time ON extracts (extracted_at);

-- The holder of a licence file; the identity fields are FranceConnect's "identité pivot".
CREATE TABLE holders (
    neph          TEXT PRIMARY KEY CHECK (length(neph) = 12),
    family_name   TEXT NOT NULL,
    given_names   TEXT NOT NULL,
    birth_date    TEXT NOT NULL,
    birth_place   TEXT NOT NULL,               -- INSEE commune code, '' when born abroad
    birth_country TEXT NOT NULL,               -- INSEE country code, 99100 = France
    gender        TEXT NOT NULL CHECK (gender IN ('female', 'male')),
    extract_id    TEXT NOT NULL REFERENCES extracts (extract_id)
) WITHOUT ROWID;

-- Matching a signed-in person to a file starts from the birth date (selective), then compares
-- normalised names in Python.
CREATE INDEX holders_by_birth ON holders (birth_date, birth_country, gender);

-- One row per record event. `seq` keeps the feed order (a stable tie-break, and since 0003 the way a
-- holder's events are found: by ranges of seq, see event_runs); `body` is the event
-- in the record format without its `neph` (as the feed wrote it when it was validated straight
-- from the line, else re-encoded), the source of truth, read back with the same decoder; the other
-- columns are copies for querying (the type, recorded_on and known_on are read from the body).
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    neph         TEXT NOT NULL REFERENCES holders (neph),
    effective_on TEXT NOT NULL,
    cancels      TEXT,                         -- for a cancellation: the id it cancels
    extract_id   TEXT NOT NULL REFERENCES extracts (extract_id),
    body         TEXT NOT NULL
);

-- A file's events by effective date then feed order: every index entry ends with the rowid (= seq),
-- so (neph, effective_on) gives that order without storing seq twice. Replaced in 0003_event_runs.sql
-- by runs of consecutive seq per holder (one row per holder and batch instead of one entry per event);
-- it is still created here so that every database goes through the same steps.
CREATE INDEX events_by_holder ON events (neph, effective_on);
