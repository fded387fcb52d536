-- Placeholder on branch `accounts` only: number 0005 belongs to another helper (register 0004, app 0005,
-- proof 0006-0007), whose migration replaces this file at merge; it exists so that 0008 applies here
-- (migration numbers must have no gaps).
SELECT 1;
