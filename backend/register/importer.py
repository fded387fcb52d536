"""SQLite's bulk loader (`store.BulkLoader`): a feed file (JSON Lines, spec/record-format.md "Feed
file") imported fast. It does what reference_import.py does (tests/register/test_reference.py holds
them to the same results), with these measured means (docs/performance.md, "Import"):

- lines are checked (linecheck.check_chunk) in a forked checker process (checkers.py) while this
  process writes: together in one process the import cannot reach 100,000 events/s;
- the database's own checks are done per batch of lines, not per row: the holders of a batch's
  events by one set query, duplicate ids only when a batch inserted fewer rows than it had, the
  cancellations once at the end;
- the writer is apsw (`open_writer`) with the SQLite it bundles, not the stdlib `sqlite3` the rest
  of the service uses: its inserts cost a third less CPU;
- alone with the database (`write_in_place`) the import writes it in place with a rollback journal,
  each page once, instead of through the WAL.

Every file is one transaction (`BEGIN IMMEDIATE`): a rejected file, an error or a `kill -9` leaves
the database as it was, and the import can simply be rerun. Line numbers are 1-based; every problem
is reported as ``FILE:LINE: event "id": reason``.
"""

from __future__ import annotations

import array
import bisect
import datetime as dt
import hashlib
import os
import re
import time
from collections.abc import Callable
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, cast

import apsw
import msgspec
import psycopg

from backend.process import collector_paused
from backend.database import SyncStoreConnection
from backend.database.db import BUSY_TIMEOUT_MS
from backend.register import lag
from backend.register.feed import ExtractHeader
from backend.register.linecheck import Checked, checked_chunks, split_lines
from backend.register.repository import UPSERT_HOLDER, same_event, utc_iso
from backend.register.store import ImportResult, Problem, rejected_path


BATCH_LINES = 5000
_EXTRACT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_encode_json = msgspec.json.encode


def insert_event_sql(extract_id: str) -> str:
    """The insert of a row of linecheck (id, neph, effective_on, cancels, body): the body comes as the
    UTF-8 bytes of the line, stored as TEXT without re-encoding; the extract id, the same for every
    row of a file, is written in the statement rather than bound on each row.

    Short on purpose, hence the values in the table's column order (seq, id, neph, effective_on,
    cancels, extract_id, body: a column added later fails every import at once, loudly): apsw looks
    its statement cache up by the text for every row of an executemany, a hash over the whole text
    (measured with callgrind on 50,000 rows: 2.7 % of the insert's instructions saved). The only
    conflict possible is on `id` (seq is the row id SQLite picks)."""
    if not _EXTRACT_ID.fullmatch(extract_id):  # the header's own pattern: nothing to quote
        raise ValueError(f"extract id {extract_id!r}")
    return f"INSERT INTO events VALUES(NULL,?,?,?,?,'{extract_id}',CAST(? AS TEXT))ON CONFLICT DO NOTHING"


# In the table's column order, as repository.UPSERT_HOLDER binds them (short: see insert_event_sql).
INSERT_NEW_HOLDER = "INSERT OR IGNORE INTO holders VALUES(?,?,?,?,?,?,?,?)"

# The extract's row, written first (its SHA-256 at the end) and completed with the counts: the same SQL on
# both stores (pg_importer.py).
UPSERT_EXTRACT = (
    "INSERT INTO extracts (extract_id, extracted_at, file_name, file_sha256, imported_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (extract_id) DO UPDATE SET extracted_at = excluded.extracted_at, "
    "file_name = excluded.file_name, file_sha256 = excluded.file_sha256, imported_at = excluded.imported_at")
COMPLETE_EXTRACT = ("UPDATE extracts SET lines = ?, holders = ?, events_new = ?, events_unchanged = ?, "
                    "rejected = ?, file_sha256 = ? WHERE extract_id = ?")


def open_writer(path: str | Path) -> apsw.Connection:
    """The import's connection to a database already migrated (db.open_migrated), in autocommit mode
    (the importer opens its own transaction). Why apsw: see the module's docstring.

    Two copies of SQLite in one process must never have the same file open at once: POSIX locks
    belong to the process, so neither copy sees the other's, and closing this connection checkpoints
    and deletes the WAL under an open `sqlite3` connection (tried: that connection's next write went to
    the deleted WAL, and a new reader got "disk I/O error"). So a
    process that migrates with `sqlite3` closes that connection before opening this one (and the
    web, which uses `sqlite3`, runs no import)."""
    # NOMUTEX: only the importer's thread uses this connection, so SQLite's per-call mutexes are pure
    # cost (~3 % of an insert's instructions).
    conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_NOMUTEX)
    try:
        conn.set_busy_timeout(BUSY_TIMEOUT_MS)
        # As db.configure, except foreign keys: the importer verifies them per batch itself.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = OFF")
        # Bigger page cache for the import's index updates (bounded: 64 MiB).
        conn.execute("PRAGMA cache_size = -65536")
    except BaseException:
        conn.close()
        raise
    return conn


def write_in_place(conn: apsw.Connection) -> bool:
    """Leave WAL for this import if no other connection has the database open: its pages are then
    written once, in place, with a rollback journal, instead of twice (into the WAL, then copied into
    the database by the commit's checkpoint: 342 MiB each way for a million events, and the WAL's
    removal). A rollback journal only keeps the pages the file had before (new pages need no copy to
    be undone), so for a first load it stays tiny; a `kill -9` leaves it hot and the next connection
    rolls the file back, as a ROLLBACK would.

    SQLite itself says whether we are alone: it leaves WAL only under an exclusive lock, which any
    other connection that has read the database prevents (the web's pool holds its readers open).
    Then the import stays in WAL and the web goes on reading while it runs. Alone, a connection opened
    during the import waits for it (busy timeout) as for any writer in rollback mode.
    Returns whether the journal was switched (then `back_to_wal` after the transaction)."""
    conn.set_busy_timeout(0)  # ask, do not wait: busy means someone is reading
    try:
        row = conn.execute("PRAGMA journal_mode = DELETE").fetchone()
    except apsw.BusyError:
        return False
    finally:
        conn.set_busy_timeout(BUSY_TIMEOUT_MS)
    assert row is not None  # PRAGMA journal_mode answers the mode it leaves
    if row[0] != "delete":
        return False
    # In rollback mode NORMAL may skip the journal's sync that a power loss needs; FULL costs one
    # fsync of a journal that holds only the pages that existed before.
    conn.execute("PRAGMA synchronous = FULL")
    return True


def back_to_wal(conn: apsw.Connection) -> None:
    """After an import written in place: WAL again, so that readers and a writer can work together.
    If a connection opened meanwhile keeps the file busy past the busy timeout, it stays in rollback
    mode until the next `db.open_migrated` (the import, `serve`, `migrate`) sets WAL again."""
    conn.execute("PRAGMA synchronous = NORMAL")
    try:
        conn.execute("PRAGMA journal_mode = WAL")
    except apsw.BusyError:
        pass


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class Batch:
    """Lines checked but not yet written: valid event rows, holders, and what the checks that need
    the database look at (per holder, not per event)."""

    def __init__(self) -> None:
        self.blocks: list[tuple[int, bytes]] = []  # (first line, chunk): the texts of lines found bad
        self.split: dict[int, list[bytes]] = {}  # first line -> the chunk's lines, split when needed
        self.rows: list[tuple] = []
        self.row_lines = array.array("q")
        self.first_event_line: dict[str, int] = {}  # neph -> line of its first event in this batch
        self.holders: list[tuple] = []
        self.holder_lines: dict[str, int] = {}  # neph -> first holder line in this batch
        self.withdrawals: list[tuple[int, tuple[str, int]]] = []  # (line, delay key), see linecheck.Checked
        # (line, ref, reason): the checks' problems and those found writing the batch, reported in line
        # order once it is written (a store may write a batch while the next one is added: pg_importer).
        self.problems: list[tuple[int, str, str]] = []

    def text(self, number: int) -> bytes:
        """The text of a line of this batch (rarely needed: only for lines found bad)."""
        first, block = self.blocks[bisect.bisect_right(self.blocks, number, key=lambda b: b[0]) - 1]
        if first not in self.split:
            self.split[first] = split_lines(block)
        return self.split[first][number - first]


# Below this size an import takes well under a second: no worker processes.
WORKERS_MIN_BYTES = 5_000_000


def default_workers(size: int) -> int:
    """Line checks and SQLite writes cost about the same: one checker per spare core, up to 3."""
    if size < WORKERS_MIN_BYTES:
        return 0
    return max(1, min(3, (os.cpu_count() or 1) - 1))


class SqliteBulkLoader:
    """`store.BulkLoader` of SQLite: each file through a `FeedImporter` on the import's own connection
    (`open_writer`). `workers` None: chosen by the size of each file (`default_workers`)."""

    def __init__(self, conn: apsw.Connection, workers: int | None = None) -> None:
        self.conn, self.workers = conn, workers

    def load(self, path: Path, skip_invalid: bool = False, report: Callable[[Problem], None] | None = None,
             progress: Callable[[int], None] | None = None) -> ImportResult:
        workers = default_workers(Path(path).stat().st_size) if self.workers is None else self.workers
        return FeedImporter(self.conn, path, skip_invalid, report=report or (lambda p: None),
                            progress=progress or (lambda n: None), workers=workers).run()


class BaseFeedImporter:
    """One file, one transaction. `report(problem)` is called as each bad line is found.

    The pipeline (header, chunks checked by the checkers, batches, the checks per batch, problems, the
    rejected-lines file) is the same for every store; what asks or writes the store is in the methods
    under "the store" below, which each store's importer has: `FeedImporter` (SQLite, here) and
    pg_importer.PostgresFeedImporter, each over its own connection (`self.conn`)."""

    def __init__(self, sql: SyncStoreConnection, path: Path, skip_invalid: bool = False,
                 report: Callable[[Problem], None] = lambda p: None,
                 progress: Callable[[int], None] = lambda n: None, workers: int = 0) -> None:
        """`sql` runs the statements written for both stores (`?` placeholders) on the import's
        connection. `workers` > 0: check lines in that many worker processes while this one writes."""
        self.path, self.skip_invalid, self.workers = Path(path), skip_invalid, workers
        self.sql = sql
        self.report, self.progress = report, progress
        self.result = ImportResult(self.path)
        self.extract_id = ""
        self.cancellations: dict[str, tuple[int, bytes]] = {}  # id -> (line, text), checked at the end
        self.delays = lag.DelayCounts()  # the withdrawals inserted, for the data lag (register/lag.py); see _import

    # --- the run -------------------------------------------------------------------------

    def run(self) -> ImportResult:
        started = time.perf_counter()
        # The file's SHA-256 is computed from the bytes as the import reads them; a file is read
        # beforehand only to compare with an extract of the same id already imported.
        self.sha256 = hashlib.sha256()
        with self.path.open("rb") as handle:
            header = self._header(handle)
            if header is None:
                self.result.status = "rejected"
            elif self._already_imported(header):
                self.result.status = "already imported"
            else:
                self._import(handle, header)
        self.result.seconds = time.perf_counter() - started
        return self.result

    def _header(self, handle: BinaryIO) -> ExtractHeader | None:
        text = handle.readline()
        self.sha256.update(text)
        self.progress(len(text))
        self.result.lines = 1
        try:
            return msgspec.json.decode(text, type=ExtractHeader)
        except msgspec.DecodeError as exc:
            self._problem(1, "header", f"the first line must be the extract header "
                          f'{{"type": "extract", "extract_id": …, "extracted_at": …}}: {_plain(exc)}', text)
            return None

    def _already_imported(self, header: ExtractHeader) -> bool:
        row = self.sql.execute("SELECT file_sha256 FROM extracts WHERE extract_id = ?",
                                (header.extract_id,)).fetchone()
        return row is not None and row[0] == file_sha256(self.path)

    def _import(self, handle: BinaryIO, header: ExtractHeader) -> None:
        """The file's lines after its header, in one transaction (the store's)."""
        raise NotImplementedError

    def _finish(self, conn: apsw.Connection | psycopg.Connection, statements: SyncStoreConnection) -> None:
        """After the last line, inside the file's transaction: refuse the file (roll back) or complete
        its extract row and the delay counts through `statements` and commit on `conn` (the same
        connection on SQLite; PostgreSQL's loader runs statements through its own cursor)."""
        self._check_cancellations()
        result = self.result
        if result.problems and not self.skip_invalid:
            conn.execute("ROLLBACK")
            result.status = "rejected"
            return
        statements.execute(COMPLETE_EXTRACT, self._extract_counts())
        self.delays.store(statements)
        self._write_rejected()
        conn.execute("COMMIT")

    def _extract_row(self, header: ExtractHeader) -> tuple:
        """The UPSERT_EXTRACT parameters (the SHA-256 comes at the end, with the counts)."""
        return (self.extract_id, utc_iso(header.extracted_at), self.path.name, "",
                utc_iso(dt.datetime.now(dt.timezone.utc)))

    def _extract_counts(self) -> tuple:
        """The COMPLETE_EXTRACT parameters."""
        result = self.result
        return (result.lines, result.holders, result.events_new, result.events_unchanged, len(result.problems),
                self.sha256.hexdigest(), self.extract_id)

    def _lines(self, handle: BinaryIO) -> None:
        """Lines are checked in chunks (here or in worker processes), then written in file order."""
        batch = Batch()
        number = 1
        # The rows are tuples of strings and bytes: no reference cycles for the collector to find,
        # but allocating a million of them would start it thousands of times.
        with collector_paused():
            for first, count, block, checked in checked_chunks(handle, self.extract_id, self.workers):
                self.sha256.update(block)  # the chunks are the rest of the file, in order
                self._add(batch, first, block, checked)
                number = first + count - 1
                if len(batch.rows) + len(batch.holders) >= BATCH_LINES:
                    self._flush(batch)
                    batch = Batch()
                self.progress(len(block))
            self._flush(batch)
        self.result.lines = number

    def _add(self, batch: Batch, first: int, block: bytes, checked: Checked) -> None:
        batch.blocks.append((first, block))
        batch.problems += checked.problems
        for number, row in checked.holders:
            batch.holders.append(row)
            batch.holder_lines.setdefault(row[0], number)
        batch.rows += checked.rows
        batch.row_lines += checked.row_lines
        batch.withdrawals += checked.withdrawals
        for neph, number in checked.first_event_line.items():
            batch.first_event_line.setdefault(neph, number)
        for number, event_id in checked.cancellations:
            if event_id not in self.cancellations:  # the text is only kept for the rejected-lines file
                self.cancellations[event_id] = (number, batch.text(number) if self.skip_invalid else b"")

    # --- writing a batch ---------------------------------------------------------------------

    def _flush(self, batch: Batch) -> None:
        self._write(batch)
        for number, ref, reason in sorted(batch.problems, key=itemgetter(0)):
            self._problem(number, ref, reason, batch.text(number))

    def _write(self, batch: Batch) -> None:
        rows, row_lines = batch.rows, batch.row_lines
        orphans: set[str] = set()
        # An event's holder is on an earlier line of this batch (most of them: a holder's line comes
        # just before its events), or else in the register or an earlier batch: only those are looked
        # up (checked before this batch's holders are written).
        elsewhere = [neph for neph, number in batch.first_event_line.items()
                     if batch.holder_lines.get(neph, number) >= number]
        if elsewhere:
            known = self._known_holders(elsewhere)
            orphans = {neph for neph in elsewhere if neph not in known}
        if batch.holders:
            self._write_holders(batch.holders)
            self.result.holders += len(batch.holders)
        if orphans:
            rows, row_lines = self._without_orphans(batch, orphans)
        if not rows:
            return
        # The foreign key holds for every row left (SQLite's own check is off for the import: per row it
        # would double the cost of an insert): its holder's line is earlier in this batch, just written
        # above, or the lookup above found the holder stored.
        # The greatest seq before this batch: rows with a greater one were inserted by this batch.
        last_seq = self._last_seq()
        inserted = self._insert(rows)
        self.result.events_new += inserted
        skipped = self._not_inserted(batch, rows, row_lines, last_seq) if inserted < len(rows) else set()
        # The data lag's counts (register/lag.py): the withdrawals among the rows inserted.
        add = self.delays.add
        if inserted == len(batch.rows):  # every row of the batch: the usual case
            for _, key in batch.withdrawals:
                add(key)
        elif batch.withdrawals:
            kept = {number for index, number in enumerate(row_lines) if index not in skipped}
            for number, key in batch.withdrawals:
                if number in kept:
                    add(key)

    def _without_orphans(self, batch: Batch, orphans: set[str]) -> tuple[list[tuple], array.array]:
        rows, row_lines = [], array.array("q")
        for row, number in zip(batch.rows, batch.row_lines):
            neph = row[1]
            if neph in orphans and batch.holder_lines.get(neph, number) >= number:
                batch.problems.append((number, f'event "{row[0]}"', f"neph {neph!r} has no holder line earlier "
                                       "in this file nor in the register"))
            else:
                rows.append(row)
                row_lines.append(number)
        return rows, row_lines

    def _not_inserted(self, batch: Batch, rows: list[tuple], row_lines: array.array, last_seq: int) -> set[int]:
        """Some ids were there already: in the register or an earlier batch (seq <= last_seq), or
        earlier in this batch (its first occurrence was inserted). Same content is a no-op.
        Returns the indexes in `rows` of those not inserted."""
        stored = self._stored([row[0] for row in rows])
        first_in_batch: dict[str, int] = {}
        skipped: set[int] = set()
        for index, (row, number) in enumerate(zip(rows, row_lines)):
            event_id = row[0]
            neph, body, seq = stored[event_id]
            if seq > last_seq:
                first = first_in_batch.setdefault(event_id, index)
                if first == index:
                    continue  # the one inserted
                skipped.add(index)
                if rows[first][1] == row[1] and same_event(rows[first][4], row[4]):
                    self.result.events_unchanged += 1
                else:
                    batch.problems.append((number, f'event "{event_id}"',
                                           f"id already used with different content on line {row_lines[first]}"))
                continue
            skipped.add(index)
            if neph == row[1] and same_event(body.encode(), row[4]):
                self.result.events_unchanged += 1
            else:
                where = "for another holder" if neph != row[1] else "with different content"
                batch.problems.append((number, f'event "{event_id}"',
                                       f"id already in the register or earlier in this file {where}"))
        return skipped

    def _check_cancellations(self) -> None:
        """A cancellation must name an event of the same holder, in the register or in this file."""
        while self.cancellations:
            bad = self._dangling_cancellations(list(self.cancellations))
            if not bad:
                break
            for event_id, cancels, target_neph, neph in bad:
                number, text = self.cancellations.pop(event_id)
                where = "is not in the register nor in this file" if target_neph is None else "belongs to another holder"
                self._problem(number, f'event "{event_id}"', f"cancels {cancels!r}, which {where}", text)
                self._delete_event(event_id)
                self.result.events_new -= 1
            # A cancellation of a cancellation just removed is now dangling too: check again.

    # --- the store (each store's importer has its own) ----------------------------------------------

    def _known_holders(self, nephs: list[str]) -> set[str]:
        """Which of `nephs` have a holder stored."""
        raise NotImplementedError

    def _write_holders(self, holders: list[tuple]) -> None:
        """Insert or update the holders (repository.UPSERT_HOLDER columns) in order: a later line wins."""
        raise NotImplementedError

    def _last_seq(self) -> int:
        """Before `_insert`: a seq that no event stored yet exceeds and every event `_insert` stores will
        (the greatest seq stored, 0: none; `_stored` may report seqs of its own on the same scale)."""
        raise NotImplementedError

    def _insert(self, rows: list[tuple]) -> int:
        """Insert the rows (linecheck's) in order, skipping any whose id is stored already (in the
        register, or earlier in this file or batch); returns how many were inserted."""
        raise NotImplementedError

    def _stored(self, ids: list[str]) -> dict[str, tuple[str, str, int]]:
        """id -> (neph, body, seq) of the events stored with these ids."""
        raise NotImplementedError

    def _dangling_cancellations(self, ids: list[str]) -> list[tuple[str, str, str | None, str]]:
        """(id, cancels, neph of the cancelled event or None, neph) of the stored cancellations among
        `ids` whose event is missing or another holder's."""
        raise NotImplementedError

    def _delete_event(self, event_id: str) -> None:
        raise NotImplementedError

    # --- problems and the rejected-lines file ----------------------------------------------------

    def _problem(self, number: int, ref: str, reason: str, text: bytes) -> None:
        # The line itself is only kept when it goes to the rejected-lines file.
        problem = Problem(number, ref, reason, text if self.skip_invalid else b"")
        self.result.problems.append(problem)
        self.report(problem)

    def _write_rejected(self) -> None:
        target = rejected_path(self.path)
        if not self.result.problems:
            return
        partial = target.with_name(target.name + ".partial")
        with partial.open("wb") as out:
            for problem in sorted(self.result.problems, key=lambda p: p.line):
                out.write(_encode_json({"line": problem.line, "reason": f"{problem.ref}: {problem.reason}",
                                        "text": problem.text.rstrip(b"\r\n").decode("utf-8", "replace")}))
                out.write(b"\n")
        self.result.rejected_file = target

    def _publish_rejected(self) -> None:
        """After the commit: the rejected lines file replaces any stale one (written before, renamed now)."""
        target = rejected_path(self.path)
        if self.result.rejected_file is not None:
            os.replace(target.with_name(target.name + ".partial"), target)
        elif target.exists():
            target.unlink()


class FeedImporter(BaseFeedImporter):
    """SQLite's: one file, one transaction, on the import's apsw connection (`open_writer`)."""

    def __init__(self, conn: apsw.Connection, path: Path, skip_invalid: bool = False,
                 report: Callable[[Problem], None] = lambda p: None,
                 progress: Callable[[int], None] = lambda n: None, workers: int = 0) -> None:
        """`workers` > 0: check lines in that many worker processes while this one writes."""
        super().__init__(conn, path, skip_invalid, report=report, progress=progress, workers=workers)
        self.conn = conn

    def _import(self, handle: BinaryIO, header: ExtractHeader) -> None:
        conn = self.conn
        self.extract_id = header.extract_id
        self.insert_event = insert_event_sql(header.extract_id)
        self.delays = lag.DelayCounts.for_extract(header.extracted_at)
        # Every event's holder is checked by one query per batch; SQLite checking it again on each
        # row would double the cost of an insert. The constraint is verified for each batch's holders.
        conn.execute("PRAGMA foreign_keys = OFF")
        in_place = write_in_place(conn)
        try:  # from here on, whatever happens, the journal goes back to WAL (finally)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(UPSERT_EXTRACT, self._extract_row(header))
            self._lines(handle)
            self._finish(conn, conn)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            if in_place:
                back_to_wal(conn)
        self._publish_rejected()

    # --- the store -------------------------------------------------------------------------

    def _known_holders(self, nephs: list[str]) -> set[str]:
        return {row[0] for row in self.conn.execute(
            "SELECT neph FROM holders WHERE neph IN (SELECT value FROM json_each(?))", (_encode_json(nephs).decode(),))}

    def _write_holders(self, holders: list[tuple]) -> None:
        # New holders (all of them, in a first load) are inserted by the short statement; only if
        # some were there already (or twice in the batch) does the upsert run, over the batch.
        # The upsert costs ~3,200 more instructions a row (callgrind): its longer text, that apsw
        # hashes for each row, and its conflict clause. A row refused for another reason (a CHECK:
        # OR IGNORE skips those too) fails in the upsert as it did before.
        conn = self.conn
        changes = conn.total_changes()
        conn.executemany(INSERT_NEW_HOLDER, holders)
        if conn.total_changes() - changes < len(holders):
            conn.executemany(UPSERT_HOLDER, holders)

    def _last_seq(self) -> int:
        row = self.conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
        assert row is not None  # an aggregate answers one row
        return row[0]

    def _insert(self, rows: list[tuple]) -> int:
        changes = self.conn.total_changes()
        self.conn.executemany(self.insert_event, rows)
        return self.conn.total_changes() - changes  # the rows not skipped by ON CONFLICT DO NOTHING

    def _stored(self, ids: list[str]) -> dict[str, tuple[str, str, int]]:
        return {event_id: (neph, body, seq) for event_id, neph, body, seq in self.conn.execute(
            "SELECT id, neph, body, seq FROM events WHERE id IN (SELECT value FROM json_each(?))",
            (_encode_json(ids).decode(),))}

    def _dangling_cancellations(self, ids: list[str]) -> list[tuple[str, str, str | None, str]]:
        # apsw types a row's values as any SQLite value: these are TEXT, only t.neph may be NULL (LEFT JOIN).
        return cast(list[tuple[str, str, str | None, str]], self.conn.execute(
            "SELECT c.id, c.cancels, t.neph, c.neph FROM events c LEFT JOIN events t ON t.id = c.cancels "
            "WHERE c.id IN (SELECT value FROM json_each(?)) AND (t.id IS NULL OR t.neph != c.neph)",
            (_encode_json(ids).decode(),)).fetchall())

    def _delete_event(self, event_id: str) -> None:
        self.conn.execute("DELETE FROM events WHERE id = ?", (event_id,))


def _plain(exc: Exception) -> str:
    return str(exc).replace("`$.", "`").replace("\\\\", "\\")  # repr-quoted pattern: `\\Z` back to `\Z`
