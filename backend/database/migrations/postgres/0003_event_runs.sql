-- 0003 (PostgreSQL): nothing. On SQLite, 0003 tried an index of runs of events and 0004 undid it;
-- PostgreSQL databases start after that, with events_by_holder from 0001.
SELECT 1;
