"""The database every area stores in: connections and the migrations mechanism for SQLite (`db.py`,
the embedded default) and PostgreSQL (`postgres.py`, the shared store), the migrations themselves
(`migrations/NNNN_name.sql` and `migrations/postgres/NNNN_name.sql`, the same versions), and
`pointspermis migrate`. No business logic: the register and the accounts own their tables' meaning.

`open_database(target)` is where the store is chosen: a `postgresql://` URL opens PostgreSQL,
anything else is a SQLite file path. Both handles offer the same methods and run the same SQL.
"""

from __future__ import annotations

from pathlib import Path

from backend.database.db import Database, DatabaseError
from backend.database.postgres import PostgresDatabase, is_postgres_url

Store = Database | PostgresDatabase


async def open_database(target: str | Path, readers: int = 4) -> Store:
    """Open (creating if needed) and migrate the database named by `target`."""
    if is_postgres_url(target):
        return await PostgresDatabase.open(str(target), readers=readers)
    return await Database.open(target, readers=readers)


__all__ = ["Database", "DatabaseError", "PostgresDatabase", "Store", "is_postgres_url", "open_database"]
