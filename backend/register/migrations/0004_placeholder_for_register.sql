-- Placeholder on branch `app` only: number 0004 is helper `register`'s (its migration replaces this
-- file at merge); it exists so that 0005_data_lag.sql applies here (numbers must have no gaps).
SELECT 1;
