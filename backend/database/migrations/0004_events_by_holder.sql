-- 0004: a holder's events are found by the ordinary index on events (neph, effective_on) again, instead
-- of 0003's `event_runs` table (runs of consecutive seq that every writer had to keep right, and that
-- made `events WHERE neph = ?` a full scan). Every index entry ends with the rowid (= seq), so the
-- index gives a file's events by effective date, then feed order, without storing seq twice.
-- The index costs the import one entry per event; a first load into an empty table builds it after
-- the rows instead (importer.py, `IndexAfterLoad`). See docs/ARCHITECTURE.md, "Register".
DROP TABLE event_runs;
CREATE INDEX events_by_holder ON events (neph, effective_on);
