-- 0005: how long the register takes to record a withdrawal, measured on the register itself
-- (backend/register/lag.py), recomputed at the end of every import and read by the pages, never
-- computed per request. One row: the figures of the latest computation.
CREATE TABLE data_lag (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    computed_at  TEXT NOT NULL,     -- UTC ISO-8601
    window_from  TEXT NOT NULL,     -- withdrawals recorded after this day (12 months before window_until) …
    window_until TEXT NOT NULL,     -- … and on or before this day (the latest extract's date)
    samples      INTEGER NOT NULL,  -- how many withdrawals were measured
    median_days  INTEGER,           -- NULL when there are none
    p90_days     INTEGER
);
