"""Import a register feed file (JSON Lines, spec/record-format.md "Feed file") into the database.

The file is streamed in batches, never loaded whole: each line is decoded with msgspec and
validated with the engine's own `decode_event`; the checks that need the database (holder known,
id already imported, cancelled event exists) are one set query per batch. The whole file is one
transaction (`BEGIN IMMEDIATE`): a rejected file, an error or a `kill -9` leaves the database as
it was, and the import can simply be rerun. Re-importing an event with the same content is a
no-op; the same id with different content is an error.

Line numbers are 1-based; every problem is reported as ``FILE:LINE: event "id": reason``.

The import writes through its own connection, `open_writer`: apsw with the SQLite it bundles,
not the stdlib `sqlite3` the web and the migrations use (both read and write the same WAL file
format). Inserting the rows costs SQLite less CPU there (1,000,006 events, executemany of 5,000
rows: ~6 µs per event instead of ~9.5 µs with Debian's libsqlite3 through `sqlite3`).
"""

from __future__ import annotations

import array
import bisect
import contextlib
import ctypes
import dataclasses
import datetime as dt
import functools
import hashlib
import os
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import apsw
import msgspec

from backend.process import collector_paused
from backend.database.db import BUSY_TIMEOUT_MS
from backend.register.feed import ExtractHeader
from backend.register.linecheck import Checked, checked_chunks, split_lines
from backend.register.repository import UPSERT_HOLDER, same_event, utc_iso


BATCH_LINES = 5000
_EXTRACT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_encode_json = msgspec.json.encode


@dataclasses.dataclass
class Problem:
    line: int
    ref: str
    reason: str
    text: bytes


@dataclasses.dataclass
class ImportResult:
    path: Path
    status: str = "imported"  # imported | rejected | already imported
    lines: int = 0
    holders: int = 0
    events_new: int = 0
    events_unchanged: int = 0
    problems: list[Problem] = dataclasses.field(default_factory=list)
    rejected_file: Path | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.path}: {self.status} — {self.lines} lines, {self.holders} holders, "
                f"{self.events_new} events new, {self.events_unchanged} unchanged, "
                f"{len(self.problems)} rejected, {self.seconds:.2f} s")


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


def open_writer(path: str | Path) -> apsw.Connection:
    """The import's connection to a database already migrated (db.open_migrated), in autocommit mode
    (the importer opens its own transaction). Why apsw: see the module's docstring.

    Two copies of SQLite in one process must never have the same file open at once: POSIX locks
    belong to the process, so neither copy sees the other's, and closing this connection checkpoints
    and deletes the WAL under an open `sqlite3` connection (tried: that connection's next write went to
    the deleted WAL, and a new reader got "disk I/O error"). So a
    process that migrates with `sqlite3` closes that connection before opening this one (and the
    web, which uses `sqlite3`, runs no import)."""
    # NOMUTEX: only the importer's thread uses this connection (the writeback threads use their own
    # descriptors), so SQLite's per-call mutexes are pure cost (~3 % of an insert's instructions).
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
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    except apsw.BusyError:
        return False
    finally:
        conn.set_busy_timeout(BUSY_TIMEOUT_MS)
    if mode != "delete":
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


def rejected_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejected.jsonl")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class _Batch:
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

    def text(self, number: int) -> bytes:
        """The text of a line of this batch (rarely needed: only for lines found bad)."""
        first, block = self.blocks[bisect.bisect_right(self.blocks, number, key=lambda b: b[0]) - 1]
        if first not in self.split:
            self.split[first] = split_lines(block)
        return self.split[first][number - first]


class FeedImporter:
    """One file, one transaction. `report(problem)` is called as each bad line is found."""

    def __init__(self, conn: apsw.Connection, path: Path, skip_invalid: bool = False,
                 report: Callable[[Problem], None] = lambda p: None,
                 progress: Callable[[int], None] = lambda n: None, workers: int = 0) -> None:
        """`workers` > 0: check lines in that many worker processes while this one writes."""
        self.conn, self.path, self.skip_invalid, self.workers = conn, Path(path), skip_invalid, workers
        self.report, self.progress = report, progress
        self.result = ImportResult(self.path)
        self.extract_id = ""
        self.cancellations: dict[str, tuple[int, bytes]] = {}  # id -> (line, text), checked at the end

    # --- the run -------------------------------------------------------------------------

    def run(self) -> ImportResult:
        started = time.perf_counter()
        # The file's SHA-256 is computed from the bytes as the import reads them (a separate pass
        # over the file cost ~0.3 s per 1M events before anything else could start); a file is
        # read beforehand only to compare with an extract of the same id already imported.
        self.sha256 = _Digest()
        try:
            with self.path.open("rb") as handle:
                header = self._header(handle)
                if header is None:
                    self.result.status = "rejected"
                elif self._already_imported(header):
                    self.result.status = "already imported"
                else:
                    self._import(handle, header)
        finally:
            self.sha256.close()
        self.result.seconds = time.perf_counter() - started
        return self.result

    def _header(self, handle: BinaryIO) -> ExtractHeader | None:
        text = handle.readline()
        self.sha256.update_now(text)
        self.progress(len(text))
        self.result.lines = 1
        try:
            return msgspec.json.decode(text, type=ExtractHeader)
        except msgspec.DecodeError as exc:
            self._problem(1, "header", f"the first line must be the extract header "
                          f'{{"type": "extract", "extract_id": …, "extracted_at": …}}: {_plain(exc)}', text)
            return None

    def _already_imported(self, header: ExtractHeader) -> bool:
        row = self.conn.execute("SELECT file_sha256 FROM extracts WHERE extract_id = ?",
                                (header.extract_id,)).fetchone()
        return row is not None and row[0] == file_sha256(self.path)

    def _import(self, handle: BinaryIO, header: ExtractHeader) -> None:
        conn = self.conn
        self.extract_id = header.extract_id
        self.insert_event = insert_event_sql(header.extract_id)
        # Every event's holder is checked by one query per batch; SQLite checking it again on each
        # row would double the cost of an insert. The constraint is verified for each batch's holders.
        conn.execute("PRAGMA foreign_keys = OFF")
        in_place = write_in_place(conn)
        self.writeback = _Writeback(conn)
        try:  # from here on, whatever happens, the journal goes back to WAL (finally)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO extracts (extract_id, extracted_at, file_name, file_sha256, imported_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (extract_id) DO UPDATE SET extracted_at = excluded.extracted_at, "
                "file_name = excluded.file_name, file_sha256 = excluded.file_sha256, imported_at = excluded.imported_at",
                (self.extract_id, utc_iso(header.extracted_at), self.path.name, "",  # the SHA-256 at the end
                 utc_iso(dt.datetime.now(dt.timezone.utc))))
            self._lines(handle)
            self._check_cancellations()
            result = self.result
            if result.problems and not self.skip_invalid:
                conn.execute("ROLLBACK")
                result.status = "rejected"
                return
            conn.execute("UPDATE extracts SET lines = ?, holders = ?, events_new = ?, events_unchanged = ?, "
                         "rejected = ?, file_sha256 = ? WHERE extract_id = ?",
                         (result.lines, result.holders, result.events_new, result.events_unchanged,
                          len(result.problems), self.sha256.hexdigest(), self.extract_id))
            self._write_rejected()
            with self.writeback.during_commit():  # the commit writes the database file (checkpoint, or the last pages)
                conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            self.writeback.close()
            if in_place:
                back_to_wal(conn)
        self._publish_rejected()

    def _lines(self, handle: BinaryIO) -> None:
        """Lines are checked in chunks (here or in worker processes), then written in file order."""
        batch = _Batch()
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
                    batch = _Batch()
                    self.writeback.after_batch()
                self.progress(len(block))
            self._flush(batch)
        self.result.lines = number

    def _add(self, batch: _Batch, first: int, block: bytes, checked: Checked) -> None:
        batch.blocks.append((first, block))
        for number, ref, reason in checked.problems:
            self._problem(number, ref, reason, batch.text(number))
        for number, row in checked.holders:
            batch.holders.append(row)
            batch.holder_lines.setdefault(row[0], number)
        batch.rows += checked.rows
        batch.row_lines += checked.row_lines
        for neph, number in checked.first_event_line.items():
            batch.first_event_line.setdefault(neph, number)
        for number, event_id in checked.cancellations:
            if event_id not in self.cancellations:  # the text is only kept for the rejected-lines file
                self.cancellations[event_id] = (number, batch.text(number) if self.skip_invalid else b"")

    # --- writing a batch ---------------------------------------------------------------------

    def _flush(self, batch: _Batch) -> None:
        conn = self.conn
        rows, row_lines = batch.rows, batch.row_lines
        orphans: set[str] = set()
        # An event's holder is on an earlier line of this batch (most of them: a holder's line comes
        # just before its events), or else in the register or an earlier batch: only those are looked
        # up (checked before this batch's holders are written).
        elsewhere = [neph for neph, number in batch.first_event_line.items()
                     if batch.holder_lines.get(neph, number) >= number]
        if elsewhere:
            known = {row[0] for row in conn.execute(
                "SELECT neph FROM holders WHERE neph IN (SELECT value FROM json_each(?))",
                (_encode_json(elsewhere).decode(),))}
            orphans = {neph for neph in elsewhere if neph not in known}
        if batch.holders:
            # New holders (all of them, in a first load) are inserted by the short statement; only if
            # some were there already (or twice in the batch) does the upsert run, over the batch.
            # The upsert costs ~3,200 more instructions a row (callgrind): its longer text, that apsw
            # hashes for each row, and its conflict clause. A row refused for another reason (a CHECK:
            # OR IGNORE skips those too) fails in the upsert as it did before.
            changes = conn.total_changes()
            conn.executemany(INSERT_NEW_HOLDER, batch.holders)
            if conn.total_changes() - changes < len(batch.holders):
                conn.executemany(UPSERT_HOLDER, batch.holders)
            self.result.holders += len(batch.holders)
        if orphans:
            rows, row_lines = self._without_orphans(batch, orphans)
        if not rows:
            return
        # The foreign key holds for every row left (SQLite's own check is off for the import: per row it
        # would double the cost of an insert): its holder's line is earlier in this batch, just written
        # above, or the lookup above found the holder stored.
        # The greatest seq before this batch: rows with a greater one were inserted by this batch.
        last_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        changes = conn.total_changes()
        conn.executemany(self.insert_event, rows)
        inserted = conn.total_changes() - changes  # the rows not skipped by ON CONFLICT DO NOTHING
        self.result.events_new += inserted
        if inserted < len(rows):  # ids already stored, or twice in the file: rare
            self._not_inserted(batch, rows, row_lines, last_seq)

    def _without_orphans(self, batch: _Batch, orphans: set[str]) -> tuple[list[tuple], array.array]:
        rows, row_lines = [], array.array("q")
        for row, number in zip(batch.rows, batch.row_lines):
            neph = row[1]
            if neph in orphans and batch.holder_lines.get(neph, number) >= number:
                self._problem(number, f'event "{row[0]}"', f"neph {neph!r} has no holder line earlier in this "
                              "file nor in the register", batch.text(number))
            else:
                rows.append(row)
                row_lines.append(number)
        return rows, row_lines

    def _not_inserted(self, batch: _Batch, rows: list[tuple], row_lines: array.array, last_seq: int) -> None:
        """Some ids were there already: in the register or an earlier batch (seq <= last_seq), or
        earlier in this batch (its first occurrence was inserted). Same content is a no-op."""
        stored = {event_id: (neph, body, seq) for event_id, neph, body, seq in self.conn.execute(
            "SELECT id, neph, body, seq FROM events WHERE id IN (SELECT value FROM json_each(?))",
            (_encode_json([row[0] for row in rows]).decode(),))}
        first_in_batch: dict[str, int] = {}
        for index, (row, number) in enumerate(zip(rows, row_lines)):
            event_id = row[0]
            neph, body, seq = stored[event_id]
            if seq > last_seq:
                first = first_in_batch.setdefault(event_id, index)
                if first == index:
                    continue  # the one inserted
                if rows[first][1] == row[1] and same_event(rows[first][4], row[4]):
                    self.result.events_unchanged += 1
                else:
                    self._problem(number, f'event "{event_id}"',
                                  f"id already used with different content on line {row_lines[first]}",
                                  batch.text(number))
            elif neph == row[1] and same_event(body.encode(), row[4]):
                self.result.events_unchanged += 1
            else:
                where = "for another holder" if neph != row[1] else "with different content"
                self._problem(number, f'event "{event_id}"',
                              f"id already in the register or earlier in this file {where}", batch.text(number))

    def _check_cancellations(self) -> None:
        """A cancellation must name an event of the same holder, in the register or in this file."""
        while self.cancellations:
            bad = self.conn.execute(
                "SELECT c.id, c.cancels, t.neph, c.neph FROM events c LEFT JOIN events t ON t.id = c.cancels "
                "WHERE c.id IN (SELECT value FROM json_each(?)) AND (t.id IS NULL OR t.neph != c.neph)",
                (_encode_json(list(self.cancellations)).decode(),)).fetchall()
            if not bad:
                break
            for event_id, cancels, target_neph, neph in bad:
                number, text = self.cancellations.pop(event_id)
                where = "is not in the register nor in this file" if target_neph is None else "belongs to another holder"
                self._problem(number, f'event "{event_id}"', f"cancels {cancels!r}, which {where}", text)
                self.conn.execute("DELETE FROM events WHERE id = ?", (event_id,))
                self.result.events_new -= 1
            # A cancellation of a cancellation just removed is now dangling too: check again.

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


class _Digest:
    """The file's SHA-256 from the chunks as the import reads them, hashed on a thread of its own:
    hashlib lets go of the GIL while it hashes a chunk, so the ~0.2 s per million events (SHA-NI) run
    beside the writer, which bounds the import, on the core the checker leaves idle part of the time.
    The thread starts with the first chunk, after the checkers are forked (a fork copies no thread);
    at most QUEUED chunks wait for it (the memory stays flat)."""

    QUEUED = 16

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.chunks: queue.Queue[bytes | None] = queue.Queue(self.QUEUED)
        self.thread: threading.Thread | None = None

    def update_now(self, data: bytes) -> None:
        """Hashed at once, by the caller (before the thread starts: the header)."""
        assert self.thread is None
        self.digest.update(data)

    def update(self, data: bytes) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="sha256", daemon=True)
            self.thread.start()
        self.chunks.put(data)

    def _run(self) -> None:
        while (data := self.chunks.get()) is not None:
            self.digest.update(data)

    def hexdigest(self) -> str:
        self.close()
        return self.digest.hexdigest()

    def close(self) -> None:
        """Waits for the chunks given so far (also on the way out of a failed import)."""
        if self.thread is not None:
            self.chunks.put(None)
            self.thread.join()
            self.thread = None


class _Writeback:
    """Asks Linux to start writing the import's pages to disk early (sync_file_range with
    SYNC_FILE_RANGE_WRITE: a hint, it changes no guarantee), from a thread of its own (the call may
    wait for the disk's queue, ~3 ms per batch measured); the importer never waits for it.

    - While lines are imported, after each batch (`after_batch`, from the first one: after the
      checkers are forked): the WAL, or the database file itself for an import written in place
      (`write_in_place`). Otherwise all of it (as big as the import) is written at the commit, which
      waits for its fsync.
    - During the commit (`during_commit`), every 20 ms: in WAL mode the checkpoint writes the
      database file whole, and its closing fsync then finds most of it written (~0.2 s less at the
      end of 1,000,006 events, measured back to back).

    Our own read-only descriptors: SQLite holds no lock on them, so closing them releases none of
    SQLite's. A no-op where libc has no sync_file_range."""

    _WRITE = 2  # SYNC_FILE_RANGE_WRITE
    COMMIT_EVERY_SECONDS = 0.02

    def __init__(self, conn: apsw.Connection) -> None:
        self.fds: list[int] = []  # the WAL's and the database's, those that could be opened
        self.sync_file_range = _sync_file_range()
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.committing = False
        self.closing = False
        if self.sync_file_range is not None:
            for path in (conn.filename_wal, conn.filename):  # no WAL for an import in place
                try:
                    self.fds.append(os.open(path, os.O_RDONLY))
                except OSError:
                    pass

    def after_batch(self) -> None:
        if not self.fds:
            return
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="writeback", daemon=True)
            self.thread.start()
        self.wake.set()

    @contextlib.contextmanager
    def during_commit(self) -> Iterator[None]:
        self.committing = True
        self.after_batch()
        try:
            yield
        finally:
            self.committing = False

    def _run(self) -> None:
        while True:
            if self.committing:
                self.wake.wait(self.COMMIT_EVERY_SECONDS)
            else:
                self.wake.wait()
            self.wake.clear()
            if self.closing:
                return
            for fd in self.fds:  # a file with no dirty page costs the call nothing
                self.sync_file_range(fd, 0, 0, self._WRITE)

    def close(self) -> None:
        if self.thread is not None:
            self.closing = True
            self.wake.set()
            self.thread.join()
            self.thread = None
        for fd in self.fds:
            os.close(fd)
        self.fds = []


@functools.cache
def _sync_file_range() -> Callable | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    return function


def _plain(exc: Exception) -> str:
    return str(exc).replace("`$.", "`").replace("\\\\", "\\")  # repr-quoted pattern: `\\Z` back to `\Z`
