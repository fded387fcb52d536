-- 0005 (PostgreSQL): the delay before a withdrawal reaches the register (register/lag.py).
-- Filled by imports from here on (a PostgreSQL register has no events older than this migration).

CREATE TABLE withdrawal_delays (
    recorded_on  TEXT NOT NULL,       -- ISO date
    delay_days   BIGINT NOT NULL,     -- recorded_on − established_on, never below 0
    withdrawals  BIGINT NOT NULL,
    PRIMARY KEY (recorded_on, delay_days)
);

CREATE TABLE data_lag (
    id           BIGINT PRIMARY KEY CHECK (id = 1),
    computed_at  TEXT NOT NULL,       -- UTC ISO-8601
    window_from  TEXT NOT NULL,       -- withdrawals recorded after this day (12 months before window_until) …
    window_until TEXT NOT NULL,       -- … and on or before this day (the latest extract's date)
    samples      BIGINT NOT NULL,     -- how many withdrawals were measured
    median_days  BIGINT,              -- NULL when there are none
    p90_days     BIGINT
);
