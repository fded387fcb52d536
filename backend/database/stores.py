"""Where the data lives: the register file and the accounts file, opened together (issue #18).

On SQLite the register (the national register's feed: what `pointspermis import` writes) and the
accounts (everything a request writes: accounts, sessions, mail tokens, rate limits, OpenID
requests, the access log, link refusals, issued documents, share codes and their uses, code
attempts) live in two files, so that an import — one transaction holding the register file's write
lock for as long as the file takes — never makes a driver's sign-in, page view or access-log row
wait for it. SQLite has one writer per file: two files, two writers that never wait for each other.

- The register file is `POINTSPERMIS_DB` (`--db`); the accounts file is `POINTSPERMIS_ACCOUNTS_DB`,
  or by default the register file's sibling `accounts_db_for(register)` (`X.sqlite3` ->
  `X.accounts.sqlite3`). This module is the one place that derives it.
- Both files get the same migrations (`db.migrate`: one list, one schema). The register's tables
  of the accounts file and the accounts' tables of the register file stay empty
  (`REGISTER_TABLES`, `ACCOUNTS_TABLES`; tests/database/test_stores.py checks it after a session
  and an import). No query joins the two groups.
- A register file from before the split (its accounts tables hold rows) is refused by
  `open_stores` with a message saying to run `pointspermis migrate` once; `prepare_stores` (what
  `pointspermis migrate` runs) moves those rows into the accounts file, see `move_accounts`.
- `open_stores(settings)` gives `(register_db, accounts_db)`: two `Database` handles on SQLite. On
  PostgreSQL (`POINTSPERMIS_DB` a `postgresql://` URL) both are the same `PostgresDatabase`: its
  writers take row locks, not a lock on the whole database, so an import does not block them there;
  `POINTSPERMIS_ACCOUNTS_DB` is for SQLite only. With `POINTSPERMIS_REGISTER_REPLICA` (a hot standby of
  that database) the register handle reads from the replica and the accounts stay on the primary.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from backend.database import Store, open_database
from backend.database.db import DatabaseError, open_migrated, schema_version
from backend.database.postgres import PostgresDatabase, is_postgres_url
from backend.database.replica import ReplicaDatabase
from backend.settings import Settings

# The register's tables (written by `pointspermis import` and the register's own writes only).
REGISTER_TABLES = ("extracts", "holders", "events", "withdrawal_delays", "data_lag", "register_version")
# The accounts' tables (written by requests), parents before the tables that reference them.
ACCOUNTS_TABLES = ("accounts", "sessions", "mail_tokens", "attempts", "oidc_requests", "access_log",
                   "link_refusals", "issued_documents", "share_codes", "share_code_uses", "code_attempts")


def accounts_db_for(register_db: str | Path, accounts_db: str | Path = "") -> Path | str:
    """The accounts file: `accounts_db` when set, else the register file's sibling with `.accounts`
    before its extension (`var/pointspermis.sqlite3` -> `var/pointspermis.accounts.sqlite3`). A
    PostgreSQL URL holds both: it is its own answer."""
    if is_postgres_url(register_db):
        return str(register_db)
    if accounts_db:
        return Path(accounts_db)
    register = Path(register_db)
    return register.with_name(f"{register.stem}.accounts{register.suffix}")


def store_paths(settings: Settings) -> tuple[Path, Path]:
    """(register file, accounts file) of these SQLite settings; refused if they name the same file."""
    register = Path(settings.db)
    accounts = Path(accounts_db_for(register, settings.accounts_db))
    if _same_file(register, accounts):
        raise DatabaseError(f"POINTSPERMIS_ACCOUNTS_DB names the register file itself ({accounts}): the "
                            "accounts need their own file, so that an import never blocks them; "
                            "leave it empty (default: the register file's sibling) or name another file")
    return register, accounts


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def accounts_rows(conn: sqlite3.Connection, schema: str = "main") -> dict[str, int]:
    """How many rows each accounts table of that database holds, the empty and missing ones left out."""
    present = {row[0] for row in conn.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'")}
    counts = {table: conn.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()[0]
              for table in ACCOUNTS_TABLES if table in present}
    return {table: count for table, count in counts.items() if count}


def _pre_split_message(register: Path, accounts: Path, rows: dict[str, int]) -> str:
    held = ", ".join(f"{table} {count}" for table, count in rows.items())
    return (f"{register} holds accounts rows from before the accounts had their own file ({held}); "
            f"run `pointspermis migrate --db {register}` once, with the service stopped: it moves them "
            f"into {accounts}")


def move_accounts(register: Path, accounts: Path) -> dict[str, int]:
    """Move the accounts rows of a register file from before the split into the accounts file; both
    files migrated. Returns the rows moved per table (empty: nothing to move).

    Two transactions, as SQLite commits a transaction over two WAL files atomically per file only:
    first the rows are copied into the accounts file (ids kept, so sessions, links and share-code uses
    still point at their rows), then deleted from the register file. If the second never happens (a
    crash), the next run finds every register row already in the accounts file, identical, and only
    deletes. An accounts file that already holds other rows is refused: two sets of accounts cannot be
    merged without renumbering, which this tool will not guess."""
    conn = open_migrated(register)
    try:
        rows = accounts_rows(conn)
        if not rows:
            return {}
        conn.execute("ATTACH DATABASE ? AS accounts_file", (str(accounts),))
        try:
            copied = accounts_rows(conn, "accounts_file")
            missing = {table: conn.execute(f"SELECT count(*) FROM (SELECT * FROM main.{table} EXCEPT "
                                           f"SELECT * FROM accounts_file.{table})").fetchone()[0]
                       for table in rows}
            if copied and any(missing.values()):
                raise DatabaseError(
                    f"{register} still holds accounts rows from before the split "
                    f"({', '.join(f'{t} {c}' for t, c in rows.items())}), and {accounts} already holds other "
                    f"accounts ({', '.join(f'{t} {c}' for t, c in copied.items())}): they cannot be merged "
                    f"safely. Move {accounts} aside and run `pointspermis migrate --db {register}` again to "
                    f"move the register file's accounts into a new accounts file, or set "
                    f"POINTSPERMIS_ACCOUNTS_DB to a file of your choice")
            if not copied:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for table in ACCOUNTS_TABLES:
                        conn.execute(f"INSERT INTO accounts_file.{table} SELECT * FROM main.{table}")
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
        finally:
            conn.execute("DETACH DATABASE accounts_file")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table in reversed(ACCOUNTS_TABLES):  # children first
                conn.execute(f"DELETE FROM main.{table}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return rows
    finally:
        conn.close()


def prepare_stores(settings: Settings) -> tuple[Path, int, Path, int, dict[str, int]]:
    """`pointspermis migrate`: create or migrate both files and move a pre-split register file's
    accounts rows (`move_accounts`). Returns (register, its version, accounts, its version, rows moved)."""
    register, accounts = store_paths(settings)
    versions = []
    for path in (register, accounts):
        try:
            conn = open_migrated(path)
        except DatabaseError as exc:
            raise DatabaseError(f"{path}: {exc}") from exc
        try:
            versions.append(schema_version(conn))
        finally:
            conn.close()
    moved = move_accounts(register, accounts)
    return register, versions[0], accounts, versions[1], moved


def check_split(register: Path, accounts: Path) -> None:
    """Refuse a register file whose accounts tables hold rows (from before the split): serving it
    would show its drivers an empty accounts file, as if their accounts, sessions and access log
    had been lost. A file that does not exist yet is fine."""
    if is_postgres_url(register) or not register.exists():
        return
    conn = sqlite3.connect(f"{register.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = accounts_rows(conn)
    finally:
        conn.close()
    if rows:
        raise DatabaseError(_pre_split_message(register, accounts, rows))


async def open_stores(settings: Settings) -> tuple[Store, Store]:
    """(register_db, accounts_db), both opened and migrated: the register's reads go to the first,
    every request's writes (and their reads) to the second. On PostgreSQL, one handle twice."""
    if is_postgres_url(settings.db):
        db = await PostgresDatabase.open(settings.db, connections=settings.pg_pool_size, wait=settings.pg_wait_seconds)
        if not settings.register_replica:
            return db, db
        # The register's reads on a hot standby; the accounts (every write, and what it reads back) on
        # the primary, so that a driver always sees their own writes (docs/scaling.md). The register is read
        # on the primary while the standby cannot be reached, even from the start (database/replica.py).
        try:
            replica = await ReplicaDatabase.open_beside(db, settings.register_replica,
                                                        connections=settings.pg_pool_size,
                                                        wait=settings.pg_wait_seconds,
                                                        max_lag=settings.replica_max_lag_seconds)
        except BaseException:
            await db.close()
            raise
        return replica, db
    register, accounts = store_paths(settings)
    register_db = await open_database(register)
    try:
        await asyncio.to_thread(check_split, register, accounts)
        accounts_db = await open_database(accounts)
    except BaseException:
        await register_db.close()
        raise
    return register_db, accounts_db


async def close_stores(register_db: Store, accounts_db: Store) -> None:
    await register_db.close()
    if accounts_db is not register_db:
        await accounts_db.close()
