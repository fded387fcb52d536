-- 0003: a holder's events are found through runs of consecutive `seq` values instead of an index entry
-- per event. The events of one holder in a feed are consecutive lines, and an import gives its rows
-- seq = max(seq) + 1, + 2, … in feed order (SQLite's rowid when none is given, under the write lock), so
-- one row here (one per holder per batch of an import, usually) stands for what `events_by_holder` stored
-- once per event: keeping that index up to date was ~1.2 µs of SQLite CPU per imported event, about a
-- third of an insert, and ~0.4 s more at the commit of a million events.

-- The events of `neph` are the rows with seq BETWEEN first_seq AND last_seq of each of its runs; a range
-- may have holes (events deleted since), never another holder's row, and reads check the neph as well
-- (a guard). A holder may have many runs (one per batch, per import), in any order: nothing merges them.
-- Whoever deletes events must keep every run at or below the greatest seq left (importer.trim_runs):
-- the next insert takes max(seq) + 1, which must not fall inside an old run.
CREATE TABLE event_runs (
    neph      TEXT NOT NULL REFERENCES holders (neph),
    first_seq INTEGER NOT NULL,
    last_seq  INTEGER NOT NULL CHECK (last_seq >= first_seq),
    PRIMARY KEY (neph, first_seq)
) WITHOUT ROWID;

-- The runs of the events already stored: maximal stretches of rows, in seq order over the whole table,
-- with the same neph (the rank among all rows minus the rank among the holder's rows is constant along
-- such a stretch and grows across any other holder's row: "gaps and islands").
INSERT INTO event_runs (neph, first_seq, last_seq)
SELECT neph, min(seq), max(seq)
FROM (SELECT seq, neph,
             row_number() OVER (ORDER BY seq) - row_number() OVER (PARTITION BY neph ORDER BY seq) AS island
      FROM events)
GROUP BY neph, island;

DROP INDEX events_by_holder;
