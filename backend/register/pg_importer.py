"""PostgreSQL's bulk loader (`store.BulkLoader`): a feed file imported with PostgreSQL's own fast path,
`COPY … FROM STDIN`, with the contract and the pipeline of SQLite's (importer.BaseFeedImporter: lines checked
in a forked checker process while this one writes, the store's checks per batch, the same problems and
rejected-lines file). Only the store's questions and writes differ; tests/register/test_reference.py
holds both stores to the reference import. Each batch's store side runs in a thread of its own
(`_StoreThread`) while the next batch is read. Measured means (docs/performance.md, "Import on PostgreSQL"
and "PostgreSQL import: cheaper keys"):

- Events go in by one binary COPY per batch (psycopg's `write_row`, in C): ~1 µs of this process per row,
  the server's own insert and index entries ~6 µs (~8 before migration 0008's byte-order keys and id as
  the primary key). A row's body arrives as the line's UTF-8 bytes, which are exactly the binary form of a
  `text` value (the server still checks them as UTF-8).
- No foreign-key trigger per row: with them the server spent ~27 µs per event instead of ~8 (before 0008).
  The import checks its references itself, as on SQLite (every event's holder per batch, the extract first), and
  turns the triggers off while it writes holders and events, in its own transaction only (`SET LOCAL
  session_replication_role = replica`, back to `origin` before the extract's row is completed, so that a
  trigger on extracts still fires once per import), when its role may: a superuser, or a role given
  `GRANT SET ON PARAMETER session_replication_role` (PostgreSQL 15). Otherwise the triggers stay: the
  same result, slower (`references_checked_here`).
- COPY has no ON CONFLICT and fails whole on one duplicate id. Into a register that has holders or events,
  each batch first asks for the stored events among its ids (one indexed query) and copies only the others;
  the same-id rules then judge the rest with that answer, as on SQLite (`BaseFeedImporter._not_inserted`). Into
  an empty register (a first load) nothing can be stored already, so nothing is asked: a duplicate id or
  holder within the file then fails a COPY (or the unique index built at the end, below), and the file is
  started over, asking (rolled back first; no problem reported twice).
- On request only (`indexes_at_end`, `pointspermis import --indexes-at-end`), a first load into an empty
  register builds the indexes of events (its primary key, the id, and events_by_holder) once at its end
  instead of adding an entry per row: the server's CPU per event drops from ~6 to ~5 µs, the builds included
  (docs/performance.md). Dropping an index locks events against every reader until the commit, which an
  import otherwise never does (issue #18: imports never block drivers): for the national register's
  initial load, before the service opens. The definitions are read from the catalogue, so they follow
  the migrations; only the table's owner may drop them (`owns_events`), another role's load keeps them.
- Holders: a first load COPYs them; into a register with holders, each batch's are COPYed into a
  temporary table and upserted by one `INSERT … SELECT … ON CONFLICT DO UPDATE`.

One transaction per file. `LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE` makes it the only writer of
events meanwhile (another import, or `add_events`, waits for its end, as behind SQLite's write lock), while
readers go on reading the register as it was. A `kill -9` of this process closes its connection, and
PostgreSQL rolls the transaction back: nothing of the file is stored.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row

from backend.database.postgres import SyncConnection, unavailable_as_such
from backend.register import lag
from backend.register.feed import ExtractHeader
from backend.register.importer import UPSERT_EXTRACT, BaseFeedImporter, Batch, default_workers
from backend.register.store import ImportResult, Problem

# Binary COPY of linecheck's rows (id, neph, effective_on, cancels, body) and the file's extract id: each
# value's type is chosen by psycopg from the Python value (str as text; the body, bytes, as bytea, whose
# binary form is the same bytes as text's, checked as UTF-8 by the server).
COPY_EVENTS = "COPY events (id, neph, effective_on, cancels, body, extract_id) FROM STDIN (FORMAT BINARY)"
COPY_HOLDERS = ("COPY holders (neph, family_name, given_names, birth_date, birth_place, birth_country, gender, "
                "extract_id) FROM STDIN (FORMAT BINARY)")

_HOLDER_COLUMNS = ("neph", "family_name", "given_names", "birth_date", "birth_place", "birth_country", "gender",
                   "extract_id")
# Into a register that has holders, a batch's holders are copied into a temporary table (private to the
# import, dropped with its transaction), then upserted by one statement; a holder twice in the batch: its
# later line wins (DISTINCT ON … n DESC), as when each line is upserted in turn.
CREATE_STAGED_HOLDERS = (f"CREATE TEMPORARY TABLE staged_holders ({' text, '.join(_HOLDER_COLUMNS)} text, "
                         "n bigint GENERATED ALWAYS AS IDENTITY) ON COMMIT DROP")
COPY_STAGED_HOLDERS = f"COPY staged_holders ({', '.join(_HOLDER_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
UPSERT_STAGED_HOLDERS = (
    f"INSERT INTO holders ({', '.join(_HOLDER_COLUMNS)}) "
    f"SELECT DISTINCT ON (neph) {', '.join(_HOLDER_COLUMNS)} FROM staged_holders ORDER BY neph, n DESC "
    "ON CONFLICT (neph) DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in _HOLDER_COLUMNS[1:]))


# A list of ids or nephs sent as one string: neither may hold a comma (feed.Neph, law's event id pattern),
# and joining them costs far less than psycopg's dumping of a list as an array (~2 µs an item).
_ANY_OF = "ANY(string_to_array(%s, ','))"

# The indexes of events, and the constraint (primary key, unique) an index may belong to (a first load
# drops them and builds them again at its end).
_INDEXES = """
SELECT ic.relname, c.conname, pg_get_indexdef(i.indexrelid), pg_get_constraintdef(c.oid)
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
WHERE i.indrelid = 'events'::regclass
ORDER BY ic.relname
"""
# For the builds at the end of a first load (per build; the default 64 MB sorts a million ids on disk).
BUILD_MEMORY = "512MB"


def references_checked_here(conn: psycopg.Connection) -> bool:
    """Whether this connection may turn the foreign-key triggers off for its transaction."""
    row = conn.execute("SELECT current_setting('is_superuser') = 'on' "
                       "OR has_parameter_privilege('session_replication_role', 'SET')").fetchone()
    assert row is not None  # a SELECT without FROM answers one row
    return row[0]


def owns_events(conn: psycopg.Connection) -> bool:
    """Whether this connection's role may drop and build the indexes of events (its owner's rights)."""
    row = conn.execute("SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = 'events'::regclass"
                       ).fetchone()
    assert row is not None  # the table events exists (migrated): its row in pg_class
    return row[0]


class PostgresBulkLoader:
    """`store.BulkLoader` of PostgreSQL: each file through a `PostgresFeedImporter` on `conn`
    (postgres.connect: autocommit, the importer opens its own transaction). `workers` None: chosen by
    the size of each file (importer.default_workers). `indexes_at_end`: see the module's docstring."""

    def __init__(self, conn: psycopg.Connection, workers: int | None = None, indexes_at_end: bool = False) -> None:
        self.conn, self.workers = conn, workers
        self.references_checked_here = references_checked_here(conn)
        self.owns_events = owns_events(conn)
        self.indexes_at_end = indexes_at_end

    def load(self, path: Path, skip_invalid: bool = False, report: Callable[[Problem], None] | None = None,
             progress: Callable[[int], None] | None = None) -> ImportResult:
        """The file in one transaction; the connection lost meanwhile (the server restarting, failing over,
        or ending the session): `StoreUnavailable`, and the server has rolled the file back."""
        workers = default_workers(Path(path).stat().st_size) if self.workers is None else self.workers
        info = self.conn.info  # the database named without the password
        with unavailable_as_such(f"postgresql://{info.host}:{info.port}/{info.dbname}"):
            return PostgresFeedImporter(self.conn, path, skip_invalid, report=report or (lambda p: None),
                                        progress=progress or (lambda n: None), workers=workers,
                                        triggers_off=self.references_checked_here,
                                        build_indexes=self.indexes_at_end and self.owns_events).run()


class _StoreThread:
    """Each batch's store side (`BaseFeedImporter._flush`: its questions, holders, COPY, problems) in a
    thread of its own, one batch at a time and in order, while the importer's thread receives and adds
    up the next batch: the server then works while the writer does, instead of each waiting for the
    other (the socket waits release the GIL): 2-4 % less wall time here (docs/performance.md). The
    first error stops the writing and is raised again in the importer's thread."""

    def __init__(self, flush: Callable[[Batch], None]) -> None:
        self.flush = flush
        self.error: BaseException | None = None
        self.batches: queue.Queue[Batch | None] = queue.Queue(maxsize=1)  # one batch waiting: memory stays flat
        self.thread = threading.Thread(target=self._run, name="pointspermis-import-store", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (batch := self.batches.get()) is not None:
            if self.error is None:
                try:
                    self.flush(batch)
                except BaseException as exc:  # raised again in the importer's thread
                    self.error = exc

    def put(self, batch: Batch) -> None:
        self._raise()
        self.batches.put(batch)

    def finish(self) -> None:
        """Wait for every batch to be written; raise the thread's error, if any."""
        self.batches.put(None)
        self.thread.join()
        self._raise()

    def abandon(self) -> None:
        """The importer's thread failed: the batch being written ends (the thread owns the connection
        meanwhile), the others are dropped."""
        if self.error is None:
            self.error = RuntimeError("import abandoned")
        self.batches.put(None)
        self.thread.join()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error


class _StartOver(Exception):
    """A COPY met an id already stored by this file (a first load, not asking): start again, asking."""


class PostgresFeedImporter(BaseFeedImporter):
    """One file, one transaction, on PostgreSQL (see the module's docstring)."""

    def __init__(self, conn: psycopg.Connection, path: Path, skip_invalid: bool = False,
                 report: Callable[[Problem], None] = lambda p: None,
                 progress: Callable[[int], None] = lambda n: None, workers: int = 0,
                 triggers_off: bool = False, build_indexes: bool = False) -> None:
        super().__init__(SyncConnection(conn), path, skip_invalid, report=self._report_once,
                         progress=self._count_progress, workers=workers)
        self.conn = conn
        self.triggers_off, self.build_indexes = triggers_off, build_indexes
        self.ask = False  # whether each batch asks which of its ids are stored (see the module's docstring)
        self.stored_before: dict[str, tuple[str, str, int]] = {}  # the answer of the batch's question
        self._report, self._progress = report, progress
        self._reported: set[tuple[int, str, str]] = set()
        self._bytes_read = 0

    # --- the run -------------------------------------------------------------------------

    def _import(self, handle: BinaryIO, header: ExtractHeader) -> None:
        try:
            self._transaction(handle, header)
            return
        except _StartOver:
            pass  # rolled back; the checkers stop as the file's chunks are dropped with the exception
        self.ask = True
        handle.seek(0)
        text = handle.readline()
        self.sha256 = hashlib.sha256(text)
        self.result = ImportResult(self.path, lines=1)
        self.cancellations.clear()
        self._progress(-(self._bytes_read - len(text)))  # the bar goes back to the header's end
        self._bytes_read = len(text)
        self._transaction(handle, header)

    def _transaction(self, handle: BinaryIO, header: ExtractHeader) -> None:
        conn = self.conn
        self.extract_id = header.extract_id
        self.delays = lag.DelayCounts.for_extract(header.extracted_at)
        self.staged_holders = False  # created by the first batch that needs it, in this transaction
        conn.execute("BEGIN")
        try:
            # The only writer of events until the commit; readers are not held (see the module's docstring).
            conn.execute("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
            # A first load (nothing stored: no holder can clash either) asks nothing.
            if not self.ask:
                stored = conn.execute("SELECT EXISTS (SELECT FROM events) OR EXISTS (SELECT FROM holders)").fetchone()
                assert stored is not None  # a SELECT without FROM answers one row
                self.ask = stored[0]
            rebuild = self._drop_indexes() if self.build_indexes and not self.ask else []
            self.sql.execute(UPSERT_EXTRACT, self._extract_row(header))
            if self.triggers_off:
                conn.execute("SET LOCAL session_replication_role = replica")
            self._lines(handle)
            if self.triggers_off:
                conn.execute("SET LOCAL session_replication_role = origin")
            self._build(rebuild)
            self._finish(conn, self.sql)
        except BaseException:
            if conn.info.transaction_status != TransactionStatus.IDLE:
                try:
                    conn.execute("ROLLBACK")
                except psycopg.Error:
                    pass  # the connection is gone: so is the transaction
            raise
        self._publish_rejected()

    def _lines(self, handle: BinaryIO) -> None:
        """BaseFeedImporter's, each batch written by a `_StoreThread`."""
        self.store_thread = _StoreThread(super()._flush)
        try:
            super()._lines(handle)
        except BaseException:
            self.store_thread.abandon()
            raise
        self.store_thread.finish()

    def _flush(self, batch: Batch) -> None:
        self.store_thread.put(batch)

    def _drop_indexes(self) -> list[sql.SQL | sql.Composed]:
        """A first load: drop the indexes of events; returns the statements that build them again."""
        rebuild: list[sql.SQL | sql.Composed] = []
        for name, constraint, index, definition in self.conn.execute(_INDEXES).fetchall():
            if constraint is not None:
                self.conn.execute(sql.SQL("ALTER TABLE events DROP CONSTRAINT {}").format(sql.Identifier(constraint)))
                rebuild.append(sql.SQL("ALTER TABLE events ADD CONSTRAINT {} {}").format(
                    sql.Identifier(constraint), sql.SQL(definition)))
            else:
                self.conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
                rebuild.append(sql.SQL(index))
        return rebuild

    def _build(self, rebuild: list[sql.SQL | sql.Composed]) -> None:
        """The indexes dropped by a first load, built now; a duplicate id starts the file over, asking."""
        if rebuild:
            self.conn.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
        for statement in rebuild:
            try:
                self.conn.execute(statement)
            except psycopg.errors.UniqueViolation as exc:
                raise _StartOver from exc

    def _report_once(self, problem: Problem) -> None:
        key = (problem.line, problem.ref, problem.reason)
        if key not in self._reported:  # a file started over finds the same problems again
            self._reported.add(key)
            self._report(problem)

    def _count_progress(self, size: int) -> None:
        self._bytes_read += size
        self._progress(size)

    # --- the store -------------------------------------------------------------------------

    def _query(self, statement: str, params: tuple) -> list[tuple]:
        """Rows as plain tuples: the importer reads every row by position (sqlite-like rows cost more)."""
        with self.conn.cursor(row_factory=tuple_row) as cursor:
            return cursor.execute(statement, params).fetchall()

    def _known_holders(self, nephs: list[str]) -> set[str]:
        return {row[0] for row in self._query(f"SELECT neph FROM holders WHERE neph = {_ANY_OF}", (",".join(nephs),))}

    def _write_holders(self, holders: list[tuple]) -> None:
        if not self.ask:
            # A first load: every holder is new unless the file names it twice (then it starts over, asking).
            self._copy(COPY_HOLDERS, holders)
            return
        if self.staged_holders:
            self.conn.execute("TRUNCATE staged_holders")  # (DELETE would leave every batch's rows to scan again)
        else:
            self.conn.execute(CREATE_STAGED_HOLDERS)
            self.staged_holders = True
        self._copy(COPY_STAGED_HOLDERS, holders)
        self.conn.execute(UPSERT_STAGED_HOLDERS)

    def _copy(self, statement: str, rows: list[tuple], tail: tuple = ()) -> None:
        """COPY the rows (each followed by `tail`); an id or neph already stored starts the file over
        when not asking (see the module's docstring)."""
        try:
            with self.conn.cursor() as cursor, cursor.copy(statement) as copy:
                write = copy.write_row
                if tail:
                    for row in rows:
                        write(row + tail)
                else:
                    for row in rows:
                        write(row)
        except psycopg.errors.UniqueViolation as exc:
            if self.ask:
                raise  # cannot happen: every id was asked about, holders are upserted
            raise _StartOver from exc

    def _last_seq(self) -> int:
        # _not_inserted tells the rows stored before this batch (seq <= last_seq) from those it inserted by
        # their seq. Here _insert's own question says which were stored: _stored gives them seq 0 and the
        # others 1, so no query is needed (max(seq) would read the whole table: seq has no index since 0008).
        return 0

    def _insert(self, rows: list[tuple]) -> int:
        if self.ask:
            # One question per batch: the stored events among its ids, kept for _stored.
            self.stored_before = {event_id: (neph, body, 0) for event_id, neph, body in self._query(
                f"SELECT id, neph, body FROM events WHERE id = {_ANY_OF}", (",".join([row[0] for row in rows]),))}
            fresh, seen = [], set()
            for row in rows:  # the first of each id not stored; _not_inserted judges the others
                if row[0] not in self.stored_before and row[0] not in seen:
                    seen.add(row[0])
                    fresh.append(row)
            rows = fresh
        self._copy(COPY_EVENTS, rows, (self.extract_id,))
        return len(rows)

    def _stored(self, ids: list[str]) -> dict[str, tuple[str, str, int]]:
        """Called by _not_inserted right after _insert, for the same batch: the answer _insert got (seq 0:
        stored before, see _last_seq), and for the ids that were not stored then, the rows this batch
        inserted (seq 1)."""
        # Their neph and body are not read: _not_inserted reads them only for rows stored before (seq <= last_seq).
        inserted = ("", "", 1)
        return {event_id: self.stored_before.get(event_id, inserted) for event_id in ids}

    def _dangling_cancellations(self, ids: list[str]) -> list[tuple[str, str, str | None, str]]:
        return self.conn.execute(
            "SELECT c.id, c.cancels, t.neph, c.neph FROM events c LEFT JOIN events t ON t.id = c.cancels "
            "WHERE c.id = ANY(%s) AND (t.id IS NULL OR t.neph <> c.neph)", (ids,)).fetchall()

    def _delete_event(self, event_id: str) -> None:
        self.conn.execute("DELETE FROM events WHERE id = %s", (event_id,))
