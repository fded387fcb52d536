-- 0005: how long the register takes to record a withdrawal, measured on the register itself
-- (backend/register/lag.py), recomputed at the end of every import and read by the pages, never
-- computed per request.

-- The delays of every withdrawal stored (an `offence` with points and a `recorded_on`), counted by
-- the day it was recorded and its delay in days (recorded_on − established_on). Every writer of
-- events adds the withdrawals it inserted, in the same transaction (backend/register/lag.py:
-- `DelayCounts`), so that the figures of a 12-month window are read from a few thousand counts
-- instead of a scan of every event. (Triggers did the same at three times the import's cost.)
CREATE TABLE withdrawal_delays (
    recorded_on  TEXT NOT NULL,     -- ISO date
    delay_days   INTEGER NOT NULL,  -- recorded_on − established_on, never below 0
    withdrawals  INTEGER NOT NULL,
    PRIMARY KEY (recorded_on, delay_days)
) WITHOUT ROWID;

-- The events already stored when this migration runs.
INSERT INTO withdrawal_delays (recorded_on, delay_days, withdrawals)
SELECT json_extract(body, '$.recorded_on'),
       max(0, CAST(julianday(json_extract(body, '$.recorded_on')) - julianday(effective_on) AS INTEGER)), count(*)
FROM events
WHERE instr(body, '"recorded_on"') > 0 AND instr(body, '"points"') > 0
  AND json_extract(body, '$.type') = 'offence' AND json_extract(body, '$.points') > 0
GROUP BY 1, 2;

-- One row: the figures of the latest computation (what the pages read).
CREATE TABLE data_lag (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    computed_at  TEXT NOT NULL,     -- UTC ISO-8601
    window_from  TEXT NOT NULL,     -- withdrawals recorded after this day (12 months before window_until) …
    window_until TEXT NOT NULL,     -- … and on or before this day (the latest extract's date)
    samples      INTEGER NOT NULL,  -- how many withdrawals were measured
    median_days  INTEGER,           -- NULL when there are none
    p90_days     INTEGER
);
