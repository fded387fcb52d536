-- 0008: nothing on SQLite. On PostgreSQL, 0008 makes the register's text keys compare byte by byte, as
-- SQLite's BINARY collation already does, and keys events by their id (seq is SQLite's rowid here: free).
SELECT 1;
