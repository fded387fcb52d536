"""The PostgreSQL database: the shared store when several instances serve one register (issue #18).

`PostgresDatabase` has the interface of `db.Database` (read, write, fetch_all, fetch_small, close), so
every area runs the same SQL on both stores: statements are written with SQLite's `?` placeholders
and translated once here (to psycopg's `%s`); rows answer by index and by column name, as
`sqlite3.Row` does; dates passed as parameters are sent as ISO text, as Python's sqlite3 does,
because both schemas keep dates as ISO-8601 text (migrations/postgres/).

Driver: psycopg 3 (with psycopg-pool). One driver serves the synchronous command line and bulk
import (COPY, streamed row by row) and the async web app (a connection pool), speaks LISTEN/NOTIFY,
prepares repeated statements on the server by itself, and is maintained with PostgreSQL's community;
asyncpg is async only (the import would need its own event loop) and has no synchronous API.

Migrations: `migrations/postgres/NNNN_name.sql`, numbered like the SQLite ones (the same schema
versions on both stores, checked by tests/database). The applied versions are rows of
`schema_migrations`; each migration runs in its own transaction, under an advisory lock so that
instances starting together apply it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import re
import select
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Self, SupportsIndex, overload

import psycopg
from psycopg.cursor import BaseCursor
from psycopg.pq import ExecStatus
from psycopg.rows import RowMaker
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from backend.caching import memoised
from backend.settings import PG_POOL_SIZE, PG_WAIT_SECONDS
from backend.settings import is_postgres_url  # noqa: F401 (the areas' name for it, beside the store)
from backend.database.db import APPLICATION_ID, MIGRATIONS_DIR, DatabaseError, StoreUnavailable, migrations
from backend.database.pg_batch import ReadBatches

POSTGRES_MIGRATIONS_DIR = MIGRATIONS_DIR / "postgres"
# The advisory lock the instances take while one of them migrates: the number that marks a pointspermis
# SQLite file ("PPMS"), any constant would do.
_MIGRATION_LOCK = APPLICATION_ID


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


# --- the SQL both stores run ---

# A quoted string or identifier (kept as is), a `?` placeholder, or a `%` (doubled for psycopg).
_SQL_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")


@memoised(maxsize=1024)
def translate(sql: str) -> str:
    """SQLite's placeholders in psycopg's syntax: `?` → `%s` (not inside quotes), and every `%`, quoted
    or not, → `%%` (psycopg reads placeholders everywhere; parameters are always passed, see `adapt`)."""
    def token(match: re.Match[str]) -> str:
        text = match.group(0)
        return "%s" if text == "?" else text.replace("%", "%%")
    return _SQL_TOKEN.sub(token, sql)


def _adapt(value: Any) -> Any:
    # Python's sqlite3 stores dates as ISO text and booleans as integers: send the same to PostgreSQL.
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


@overload
def adapt(params: dict[str, Any]) -> dict[str, Any]: ...
@overload
def adapt(params: Sequence[Any] | None) -> list[Any]: ...
def adapt(params: Sequence[Any] | dict[str, Any] | None) -> list[Any] | dict[str, Any]:
    """The parameters as sqlite3 would store them; never None, so that psycopg always reads the
    placeholders (and `%%`) of a translated statement."""
    if not params:
        return []
    if isinstance(params, dict):
        return {key: _adapt(value) for key, value in params.items()}
    return [_adapt(value) for value in params]


@memoised(maxsize=512)
def _row_class(names: tuple[str, ...]) -> type[tuple[Any, ...]]:
    index = {name: i for i, name in enumerate(names)}

    class Row(tuple):
        """A row read by position or by column name, like sqlite3.Row."""

        __slots__ = ()

        def __getitem__(self, key: SupportsIndex | slice | str) -> Any:
            if isinstance(key, str):
                return tuple.__getitem__(self, index[key])
            return tuple.__getitem__(self, key)

        def keys(self) -> list[str]:
            return list(names)

    return Row


def sqlite_like_rows(cursor: BaseCursor[Any, Any]) -> RowMaker[tuple[Any, ...]]:
    """psycopg row factory: rows like sqlite3.Row (the reference path: names from `cursor.description`)."""
    description = cursor.description
    if description is None:
        return tuple
    return _row_class(tuple(column.name for column in description))


# Result statuses that carry columns (psycopg's `Cursor.description` has the same rule).
_TUPLES = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)


@memoised(maxsize=512)
def _row_class_of_fields(fields: tuple[bytes | None, ...]) -> type[tuple[Any, ...]]:
    # Connections are opened with client_encoding UTF8 (CONNECTION_OPTIONS): names arrive in UTF-8.
    # COPY results have columns without names: named as psycopg's Column names them.
    return _row_class(tuple(field.decode("utf-8") if field else f"column_{i + 1}" for i, field in enumerate(fields)))


def fast_sqlite_like_rows(cursor: BaseCursor[Any, Any]) -> RowMaker[tuple[Any, ...]]:
    """The rows of `sqlite_like_rows`, the row class found from the result's raw field names.

    `cursor.description` builds a `Column` object per column on every statement: for a 7-column
    primary-key read that was ~13 % of the statement's CPU in the web app (docs/performance.md).
    Tested against `sqlite_like_rows` (tests/database/test_postgres_rows.py)."""
    res = cursor.pgresult
    if res is None or not (res.nfields or res.status in _TUPLES):
        return tuple
    return _row_class_of_fields(tuple(res.fname(i) for i in range(res.nfields)))


# What every connection is opened with: autocommit (transactions are explicit), rows like sqlite3.Row,
# column names in UTF-8 whatever the server's default.
CONNECTION_OPTIONS: dict[str, Any] = {"autocommit": True, "row_factory": fast_sqlite_like_rows,
                                      "client_encoding": "UTF8"}


class Connection:
    """The subset of aiosqlite's connection the areas use, over one psycopg async connection."""

    __slots__ = ("raw",)

    def __init__(self, raw: psycopg.AsyncConnection) -> None:
        self.raw = raw

    async def execute(self, sql: str, params: Sequence[Any] | dict = ()) -> psycopg.AsyncCursor:
        return await self.raw.execute(translate(sql), adapt(params))

    async def execute_fetchall(self, sql: str, params: Sequence[Any] | dict = ()) -> list:
        cursor = await self.raw.execute(translate(sql), adapt(params))
        return await cursor.fetchall() if cursor.description is not None else []

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [adapt(row) for row in rows]
        if rows:
            async with self.raw.cursor() as cursor:
                await cursor.executemany(translate(sql), rows)


class SyncConnection:
    """A synchronous psycopg connection that runs the SQL written for both stores (SQLite's `?`
    placeholders): the import's and the tests' twin of `Connection` (register/lag.py's statements
    run on the import's connection through it)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def execute(self, statement: str, params: Sequence[Any] | dict = ()) -> psycopg.Cursor:
        return self.conn.execute(translate(statement), adapt(params))

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [adapt(row) for row in rows]
        if rows:
            with self.conn.cursor() as cursor:
                cursor.executemany(translate(statement), rows)


# --- when the server goes away ---

async def closed_by_server(conn: psycopg.AsyncConnection[Any]) -> bool:
    """Whether the server has closed this connection, which rested in the pool.

    A server that restarts, fails over or ends idle sessions closes the pooled connections while nobody
    uses them; lent as they were, each of them failed the next request given it (a 500 per connection
    after every restart). A connection resting in the pool has nothing to read (the service sends no
    LISTEN), so this asks the kernel, without a round trip, whether its socket has something to say, and
    only then asks the server (psycopg_pool's `check_connection`, an empty statement)."""
    if conn.closed:
        return True
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    if not poller.poll(0):
        return False
    try:
        await AsyncConnectionPool.check_connection(conn)
    except psycopg.Error:
        return True
    return False


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says that the database cannot serve now, not that a statement is wrong: no connection
    within the wait, a connection error or lost (libpq's own errors carry no SQLSTATE), an administrator's or
    a crash's shutdown (57P), or a lock held longer than the wait (55P03 `lock_not_available`: a migration
    or maintenance holding a table, see `PostgresDatabase.open`)."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, psycopg.OperationalError):
        return False
    return exc.sqlstate is None or exc.sqlstate.startswith(("08", "57P")) or exc.sqlstate == "55P03"


class _Closed(Exception):
    """A connection found closed by the server (`closed_by_server`), given back to the pool."""


@contextlib.contextmanager
def unavailable_as_such(url: str) -> Iterator[None]:
    """Inside the block, an error saying that the database at `url` cannot serve now (`is_unavailable`) is
    raised as `StoreUnavailable`; any other error as it is."""
    try:
        yield
    except psycopg.OperationalError as exc:
        if is_unavailable(exc):
            raise StoreUnavailable(f"PostgreSQL {safe_url(url)} indisponible ({type(exc).__name__})") from exc
        raise


# The pools whose connection is held in this context. A task that holds a connection and asks the
# same pool for another waits for one of the others to be returned: with N connections, N tasks doing
# so at once would wait for ever. Refused at once instead (`PostgresDatabase._take`). A task started
# meanwhile copies this context, and is refused too: its starter may be waiting for it (`wait_for`,
# `gather`) while it holds the connection.
_HELD: contextvars.ContextVar[tuple[AsyncConnectionPool, ...]] = contextvars.ContextVar(
    "pointspermis_postgres_held", default=())


class PostgresDatabase:
    """The async handle the application uses on PostgreSQL: a pool of connections in autocommit,
    explicit transactions for `read` (one snapshot) and `write`."""

    dialect = "postgresql"

    def __init__(self, url: str, pool: AsyncConnectionPool) -> None:
        self.url = url
        self.target = url  # what opens this database again (`open_database`, `--db`)
        self.path = safe_url(url)  # what messages name (db.Database names its file)
        self.pool = pool
        self.batches = ReadBatches(self._take)

    @classmethod
    async def open(cls, url: str, connections: int = PG_POOL_SIZE, replica: bool = False,
                   wait: float = PG_WAIT_SECONDS) -> Self:
        """Connect to (and migrate) the database at `url`, keeping `connections` open (`Settings.pg_pool_size`:
        why few) and waiting at most `wait` seconds for one (`Settings.pg_wait_seconds`; then `StoreUnavailable`).
        A `replica` (a hot standby, read only) is never migrated: it must already be at this code's schema
        version (`check_replica`)."""
        await asyncio.to_thread(lambda: check_replica(url) if replica else migrate_url(url))
        db = cls.unopened(url, connections, wait)
        try:
            await db.pool.open(wait=True, timeout=30)
        except Exception as exc:
            await db.pool.close()
            raise StoreUnavailable(f"PostgreSQL {safe_url(url)} ne répond pas ({exc})") from exc
        return db

    @classmethod
    def unopened(cls, url: str, connections: int = PG_POOL_SIZE, wait: float = PG_WAIT_SECONDS) -> Self:
        """The handle on `url` (`open`'s arguments), its pool not opened: it connects once `pool.open()` is
        called, and neither migrates nor checks the database."""
        # A lost connection is opened again in the background, with pauses that double (1 s, 2 s…): for
        # `wait` seconds only (psycopg_pool's default is 5 minutes, when its pauses reach a minute, so a
        # server back after an outage waited as long again for the pool). Then the pool stops trying, and
        # the next request that finds it empty makes it try at once.
        # No statement of a request waits for a lock longer than that either (lock_timeout): a migration or a
        # maintenance holding a table makes its pages say "unavailable" instead of hanging until the browser
        # or the load balancer gives up. The import's and the migrations' own connections have no such limit.
        options = {**CONNECTION_OPTIONS, "options": f"-c lock_timeout={max(1, round(wait * 1000))}"}
        return cls(url, AsyncConnectionPool(url, min_size=connections, max_size=connections, open=False,
                                            kwargs=options, timeout=wait, reconnect_timeout=wait,
                                            name="pointspermis"))

    async def close(self) -> None:
        await self.pool.close()

    @contextlib.asynccontextmanager
    async def _take(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """One of the pool's connections for the current task, which must not already hold one of them.

        A connection the server has closed while it rested in the pool (`closed_by_server`) goes back at once,
        broken, and the pool opens another in its place: the next one is asked for (psycopg_pool's own `check`
        would wait a second, then two, between them). No connection within the wait, or the connection lost
        while the task uses it: `StoreUnavailable`."""
        held = _HELD.get()
        self._refuse_if_held(held)
        with unavailable_as_such(self.url):
            for attempt in range(self.pool.max_size + 1):
                try:
                    async with self.pool.connection() as raw:
                        # The last try takes what the pool gives: one it has opened since, or an error.
                        if attempt < self.pool.max_size and await closed_by_server(raw):
                            raise _Closed
                        token = _HELD.set((*held, self.pool))
                        try:
                            yield raw
                        finally:
                            _HELD.reset(token)
                        return
                except _Closed:
                    continue

    def _refuse_if_held(self, held: tuple[AsyncConnectionPool, ...]) -> None:
        if self.pool in held:
            raise DatabaseError("a task asked for a second PostgreSQL connection while it holds one: with a small "
                                "pool, tasks doing so wait for each other for ever; use the connection it holds")

    @contextlib.asynccontextmanager
    async def read(self, snapshot: bool = True) -> AsyncIterator[Connection]:
        """A connection; with `snapshot`, inside one read-only repeatable-read transaction."""
        async with self._take() as raw:
            if not snapshot:
                yield Connection(raw)
                return
            await raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                yield Connection(raw)
            finally:
                await raw.execute("COMMIT")

    async def fetch_all(self, sql: str, params: Sequence[Any] | dict = ()) -> list:
        async with self._take() as raw:
            cursor = await raw.execute(translate(sql), adapt(params))
            return await cursor.fetchall()

    async def fetch_small(self, sql: str, params: Sequence[Any] | dict = ()) -> list:
        """One small read-only statement (a primary-key or index lookup), sent together with the others asked
        for in the same turn of the loop or while every connection was in use: one round trip for all
        (`pg_batch.ReadBatches`; the reference path is `fetch_all`). The caller must hold none of this
        database's connections, as for any other."""
        self._refuse_if_held(_HELD.get())  # the batch takes the connection, in its own context: refused here
        with unavailable_as_such(self.url):  # the batch's connection lost while it was read (else from _take)
            return await self.batches.fetch(translate(sql), adapt(params))

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[Connection]:
        """A connection inside a transaction: commit on success, rollback on error."""
        async with self._take() as raw:
            await raw.execute("BEGIN")
            try:
                yield Connection(raw)
            except BaseException:
                await raw.execute("ROLLBACK")
                raise
            await raw.execute("COMMIT")

    async def write_many(self, take: Callable[[], Iterable[tuple[str, Sequence[Sequence[Any]]]]]) -> None:
        """One transaction of many small writes, sent in one round trip: `take()`, called once a connection
        is held, gives each statement with its rows of parameters; BEGIN, every row of every statement and
        COMMIT go in one pipeline (one Sync, one wait). `write` waits for the server three times at least
        (BEGIN, the statements, COMMIT), each a turn of the worker's loop and more of its CPU than the
        statements cost the server (docs/performance.md, "A returning session's file, and session
        refreshes in one round trip"). All or nothing, as `write`: a failing row fails the pipeline, the
        transaction is rolled back and the error raised."""
        async with self._take() as raw:
            try:
                async with raw.pipeline():
                    await raw.execute("BEGIN")
                    conn = Connection(raw)
                    for sql, rows in take():
                        await conn.executemany(sql, rows)
                    await raw.execute("COMMIT")
            except BaseException:
                if raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    with contextlib.suppress(psycopg.Error):  # a broken connection: the pool discards it
                        await raw.execute("ROLLBACK")
                raise


# --- migrations ---

def connect(url: str) -> psycopg.Connection:
    """A synchronous connection in autocommit mode (transactions are explicit), rows like sqlite3.Row."""
    try:
        return psycopg.connect(url, **CONNECTION_OPTIONS)
    except psycopg.OperationalError as exc:
        raise DatabaseError(f"PostgreSQL {safe_url(url)} ne répond pas ou refuse la connexion ({exc}); "
                            "vérifiez POINTSPERMIS_DB ou --db") from exc


def schema_version(conn: psycopg.Connection) -> int:
    if not _has_table(conn, "schema_migrations"):
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    assert row is not None  # an aggregate answers one row
    return row[0]


def _has_table(conn: psycopg.Connection, name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
    assert row is not None  # a SELECT without FROM answers one row
    return row[0]


def migrate(conn: psycopg.Connection, directory: Path = POSTGRES_MIGRATIONS_DIR) -> list[int]:
    """Apply the missing migrations; return the versions applied (empty when up to date)."""
    available = migrations(directory)
    latest = available[-1][0] if available else 0
    conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
    try:
        if not _has_table(conn, "schema_migrations"):
            counted = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()").fetchone()
            assert counted is not None  # count(*) answers one row
            if counted[0]:
                raise DatabaseError("this PostgreSQL database has tables but was not created by pointspermis; "
                                    "check POINTSPERMIS_DB or --db")
            conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                         "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        current = schema_version(conn)
        if current > latest:
            raise DatabaseError(f"the database is at schema version {current}, newer than this code ({latest}); "
                                "upgrade pointspermis")
        applied: list[int] = []
        for version, path in available:
            if version <= current:
                continue
            try:
                with conn.transaction():
                    conn.execute(path.read_text(encoding="utf-8"))
                    conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
            except psycopg.Error as exc:
                raise DatabaseError(f"migration {path.name} failed ({exc}); the database stays at version "
                                    f"{schema_version(conn)}") from exc
            applied.append(version)
        return applied
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))


def check_replica(url: str) -> None:
    """A read replica must carry the schema this code reads (the primary is migrated, then it follows):
    `DatabaseError` if it does not, `StoreUnavailable` if it cannot be reached (it restarts, is rebuilt, or is
    lost; the register is then read on the primary, `replica.ReplicaDatabase.open_beside`)."""
    latest = migrations(POSTGRES_MIGRATIONS_DIR)[-1][0]
    with unavailable_as_such(url), psycopg.connect(url, **CONNECTION_OPTIONS) as conn:
        version = schema_version(conn)
    if version != latest:
        raise DatabaseError(f"la réplique {safe_url(url)} est au schéma {version}, ce code lit le schéma {latest} : "
                            "migrez la base principale (pointspermis migrate) et attendez que la réplique la suive")


def migrate_url(url: str) -> list[int]:
    with connect(url) as conn:
        return migrate(conn)
