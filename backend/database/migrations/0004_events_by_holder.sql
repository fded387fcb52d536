-- 0004: a holder's events are found by the ordinary index on events (neph, effective_on) again, instead
-- of 0003's `event_runs` table (runs of consecutive seq that every writer had to keep right, and that
-- made `events WHERE neph = ?` a full scan). Every index entry ends with the rowid (= seq), so the
-- index gives a file's events by effective date, then feed order, without storing seq twice.
-- The index costs the import an entry per event (~1,900 instructions; building it after a first load
-- instead was not faster: docs/performance.md, "Import").
DROP TABLE event_runs;
CREATE INDEX events_by_holder ON events (neph, effective_on);
