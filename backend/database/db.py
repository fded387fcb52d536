"""The SQLite database: connections, PRAGMAs, migrations. Contains no business logic.

- Schema versions live in ``PRAGMA user_version``. Each ``migrations/NNNN_name.sql`` file brings
  the database to version NNNN; missing ones are applied in order, each in its own
  ``BEGIN IMMEDIATE … COMMIT`` with ``PRAGMA foreign_key_check`` before the commit, so a failed
  step leaves the database at the previous version. Other areas add 0002+ files in the same folder.
- A database newer than the code, a database of another program (``PRAGMA application_id``) or
  a versionless database that already has tables is refused with a clear message, never touched.
- One writer connection behind an ``asyncio.Lock`` (``BEGIN IMMEDIATE``: a write transaction
  takes the write lock up front, so it can never fail half-way on lock upgrade) and a few
  reader connections; in WAL mode readers never block the writer nor each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# "PPMS" — marks the file as a pointspermis database (`sqlite3 file 'PRAGMA application_id'`).
APPLICATION_ID = 0x50504D53
# Writers wait this long for the lock (another process, e.g. an import) before failing.
BUSY_TIMEOUT_MS = 30_000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class DatabaseError(RuntimeError):
    """The database cannot be used by this version of the code (message says why and what to do)."""


class StoreUnavailable(DatabaseError):
    """The store cannot serve now: it could not be reached, lost the connection, or kept a statement waiting for
    a lock beyond the wait (a PostgreSQL server restarting, failing over or down; a table held by a migration).
    Nothing is wrong with the request: the page says so and to try again (503). A transaction cut off this way
    is rolled back by the server, unless its COMMIT had already reached it: only a write sent at that very
    moment can have taken effect without its page saying so."""


def migrations(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, Path]]:
    """The migration files, sorted by target version; numbers must be unique and start at 1."""
    found: list[tuple[int, Path]] = []
    for path in directory.iterdir():
        if path.suffix != ".sql":
            continue
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise DatabaseError(f"{path}: a migration file must be named NNNN_name.sql (lower case)")
        found.append((int(match.group(1)), path))
    found.sort()
    versions = [version for version, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise DatabaseError(f"{directory}: migration numbers must be 1, 2, 3… without gaps or duplicates, got {versions}")
    return found


def configure(conn: sqlite3.Connection) -> None:
    """PRAGMAs every connection needs (they are per connection, except journal_mode)."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    # NORMAL is durable across application crashes in WAL mode; only a power loss may lose the
    # last transactions, never corrupt the file.
    conn.execute("PRAGMA synchronous = NORMAL")


def connect(path: str | Path) -> sqlite3.Connection:
    """A synchronous read-write connection in autocommit mode (transactions are explicit)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    configure(conn)
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply the missing migrations; return the versions applied (empty when up to date)."""
    available = migrations(directory)
    latest = available[-1][0] if available else 0
    current = schema_version(conn)
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id not in (0, APPLICATION_ID):
        raise DatabaseError(f"this file is not a pointspermis database (application_id {app_id:#x}); "
                            "check POINTSPERMIS_DB or --db")
    if current > latest:
        raise DatabaseError(f"the database is at schema version {current}, newer than this code ({latest}); "
                            "upgrade pointspermis, or use a copy of the database made by this version")
    if current == 0:
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables:
            raise DatabaseError("the database has tables but no schema version: it was not created by "
                                "pointspermis; check POINTSPERMIS_DB or --db")
        # 16 KiB pages, set before anything is written (an existing file keeps its own): a feed import
        # writes a quarter as many pages to the WAL and back, and updates shallower B-trees
        # (1,000,006-event import: writer CPU -20 %, wall -30 %); reading a licence file costs the same.
        conn.execute("PRAGMA page_size = 16384")
    # WAL is persistent: set when the file is created (it cannot change inside a transaction), and
    # again after an import written in place (importer.write_in_place) that was killed or could not
    # switch back. Reading the version above already rolled back what such an import left.
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    applied: list[int] = []
    # A migration may rebuild tables; foreign keys are checked explicitly before each commit instead.
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        for version, path in available:
            if version <= current:
                continue
            sql = path.read_text(encoding="utf-8")
            try:
                # executescript runs the whole file inside our transaction (it has no COMMIT of its own).
                conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\n")
                problems = conn.execute("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise DatabaseError(f"migration {path.name} breaks foreign keys: {[tuple(p) for p in problems][:5]}")
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {version}")
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise DatabaseError(f"migration {path.name} failed ({exc}); the database stays at version "
                                        f"{schema_version(conn)}") from exc
                raise
            applied.append(version)
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    return applied


def open_migrated(path: str | Path) -> sqlite3.Connection:
    """A synchronous connection to a database brought up to date (the parent folder is created)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = connect(path)
    except sqlite3.DatabaseError as exc:
        # e.g. "file is not a database": say what to do instead of a traceback.
        raise DatabaseError(f"ce fichier n'est pas une base SQLite utilisable ({exc}) ; "
                            "indiquez une autre base avec --db ou POINTSPERMIS_DB") from exc
    try:
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


class Database:
    """The async handle the application uses: one writer, a few readers, opened once at startup."""

    dialect = "sqlite"

    def __init__(self, path: Path, writer: aiosqlite.Connection, readers: list[aiosqlite.Connection]) -> None:
        self.path = path
        self.target = str(path)  # what opens this database again (`open_database`, `--db`)
        self._writer = writer
        self._write_lock = asyncio.Lock()
        self._readers = readers
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for reader in readers:
            self._idle.put_nowait(reader)
        # fetch_small's connection, opened by its first call on the thread that then owns it (the
        # event loop's: a server may open the database from another thread than it serves from).
        self._quick: sqlite3.Connection | None = None
        self._quick_thread: int | None = None
        self._closed = False

    @classmethod
    async def open(cls, path: str | Path, readers: int = 4) -> Database:
        """Open (creating if needed) and migrate the database at `path`."""
        path = Path(path)
        await asyncio.to_thread(lambda: open_migrated(path).close())
        writer = await _open_connection(path, read_only=False)
        opened: list[aiosqlite.Connection] = []
        try:
            for _ in range(readers):
                opened.append(await _open_connection(path, read_only=True))
        except BaseException:
            for conn in [writer, *opened]:
                await conn.close()
            raise
        return cls(path, writer, opened)

    async def close(self) -> None:
        self._closed = True
        if self._quick is not None:
            self._quick.close()
            self._quick = None
        for conn in [self._writer, *self._readers]:
            await conn.close()

    @contextlib.asynccontextmanager
    async def read(self, snapshot: bool = True) -> AsyncIterator[aiosqlite.Connection]:
        """A reader connection, inside one read transaction (a consistent snapshot across several
        statements). `snapshot=False` skips the BEGIN/COMMIT round trips for a single statement,
        which is its own snapshot anyway."""
        conn = await self._idle.get()
        try:
            if not snapshot:
                yield conn
                return
            await conn.execute("BEGIN")
            try:
                yield conn
            finally:
                await conn.execute("COMMIT")
        finally:
            self._idle.put_nowait(conn)

    async def fetch_all(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        """One statement on a reader: one hop to its thread (a statement is its own snapshot)."""
        async with self.read(snapshot=False) as conn:
            return list(await conn.execute_fetchall(sql, params))

    async def fetch_small(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        """One small indexed read (a primary-key or index lookup returning one or a few rows: a
        session, the latest extract, one licence file) run at once on the event loop's thread;
        scans and anything long go through `fetch_all`.

        Why: such a read costs SQLite 0.02–0.3 ms, while handing it to a reader thread costs the
        request a whole turn of the loop to be resumed, and under load a worker's loop has a dozen
        requests in turn: measured with 16 connections per worker on /solde, a licence file read
        through a reader took 20–28 ms at the median and 150–240 ms at p99 (waiting for a free
        reader, then for the loop), and 0.12 ms / 1.5 ms on the loop's thread. When the register
        is larger than memory a read may wait for the disk (an SSD answers a page in ~0.1 ms, a
        file is a handful of pages): still far less than a turn of the loop, but it is time no
        other request of the worker runs, so such a deployment runs more workers than cores.
        It never waits for a lock: the connection is read-only with no busy wait (SQLite's WAL
        readers are only ever busy for an instant, e.g. while another connection recovers the WAL
        index); then, or from another thread, the same statement goes through a reader thread,
        which waits as long as it must.
        """
        quick = self._quick
        if quick is None and self._quick_thread is None and not self._closed:
            self._quick_thread = threading.get_ident()
            quick = self._quick = _open_quick(self.path)
        if quick is not None and threading.get_ident() == self._quick_thread:
            try:
                return quick.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                    raise
        return await self.fetch_all(sql, params)

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """The writer connection inside ``BEGIN IMMEDIATE``: commit on success, rollback on error."""
        async with self._write_lock:
            conn = self._writer
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    async def write_many(self, take: Callable[[], Iterable[tuple[str, Sequence[Sequence[Any]]]]]) -> None:
        """One transaction of many small writes (`write`): `take()`, called once the writer is held, gives each
        statement with its rows of parameters. (On PostgreSQL the same call is one round trip.)"""
        async with self.write() as conn:
            for sql, rows in take():
                await conn.executemany(sql, rows)


def _open_quick(path: Path) -> sqlite3.Connection:
    """The read-only connection of `Database.fetch_small`: same thread as the loop, never waits."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                           check_same_thread=False)  # guarded by thread id in fetch_small instead
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 0")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


async def _open_connection(path: Path, read_only: bool) -> aiosqlite.Connection:
    if read_only:
        # mode=ro: a reader can never write by mistake (least privilege).
        conn = await aiosqlite.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                       isolation_level=None, check_same_thread=False)
    else:
        conn = await aiosqlite.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    for pragma in (f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}", "PRAGMA foreign_keys = ON",
                   "PRAGMA synchronous = NORMAL"):
        await conn.execute(pragma)
    # A first read now, on purpose: from it on, a WAL connection holds its shared lock on the file for as
    # long as it is open (a connection that only ran busy_timeout and foreign_keys holds none, measured),
    # so an import started before any request sees the service and stays in WAL instead of writing the
    # file in place and blocking the service's reads (importer.write_in_place; test_journal.py).
    await conn.execute_fetchall("SELECT count(*) FROM sqlite_master")
    return conn
