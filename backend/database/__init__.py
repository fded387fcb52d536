"""The database every area stores in: connections and the migrations mechanism for SQLite (`db.py`,
the embedded default) and PostgreSQL (`postgres.py`, the shared store), the migrations themselves
(`migrations/NNNN_name.sql` and `migrations/postgres/NNNN_name.sql`, the same versions), and
`pointspermis migrate`. No business logic: the register and the accounts own their tables' meaning.

`open_database(target)` is where the store is chosen: a `postgresql://` URL opens PostgreSQL,
anything else is a SQLite file path. Both handles offer the same methods and run the same SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from backend.database.db import Database, DatabaseError, StoreUnavailable
from backend.database.postgres import Connection as PostgresConnection
from backend.database.postgres import PostgresDatabase, is_postgres_url
from backend.settings import PG_POOL_SIZE

Store = Database | PostgresDatabase
StoreConnection = aiosqlite.Connection | PostgresConnection
"""What `Store.read()` and `Store.write()` yield: the same methods (`execute`, `execute_fetchall`,
`executemany`) and the same SQL on both stores."""


class SyncStoreCursor(Protocol):
    """What `SyncStoreConnection.execute` returns: rows to iterate over, or the first one (None when
    there is none). apsw's, sqlite3's and psycopg's cursors all are."""

    def __iter__(self) -> Iterator[Sequence[Any]]: ...

    def fetchone(self) -> Sequence[Any] | None: ...


class SyncStoreConnection(Protocol):
    """A synchronous connection that runs the SQL written for both stores (SQLite's `?` placeholders):
    apsw's (the import's writer) or sqlite3's `Connection` on SQLite, `postgres.SyncConnection` on
    PostgreSQL. Parameters are the values bound to the statement's placeholders."""

    def execute(self, statement: str, params: Sequence[Any] = ..., /) -> SyncStoreCursor: ...

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]], /) -> object: ...


async def open_database(target: str | Path, pg_connections: int = PG_POOL_SIZE) -> Store:
    """Open (creating if needed) and migrate the database named by `target`; on PostgreSQL, keep
    `pg_connections` connections open (`Settings.pg_pool_size`)."""
    if is_postgres_url(target):
        return await PostgresDatabase.open(str(target), connections=pg_connections)
    return await Database.open(target)


__all__ = ["Database", "DatabaseError", "PostgresDatabase", "Store", "StoreConnection", "StoreUnavailable",
           "SyncStoreConnection", "SyncStoreCursor", "is_postgres_url", "open_database"]
