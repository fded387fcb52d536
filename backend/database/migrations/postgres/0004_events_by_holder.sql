-- 0004 (PostgreSQL): nothing (see 0003); events_by_holder exists since 0001.
SELECT 1;
