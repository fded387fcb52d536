"""The feed import written plainly: one line after the other, one SQL statement per question, the
stdlib `sqlite3` with SQLite's own foreign-key checks on. It is the specification of an import
(store.py's contract): the fast path (importer.py) must leave the same database for the same files,
accepted or rejected (tests/register/test_reference.py). It costs about three times the CPU per event
of the fast path, on one core (docs/performance.md, "Import"): `pointspermis import` uses the fast path.

Each line is checked on its own by `linecheck.check_line`, the strict check both paths share.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

from backend.register import lag
from backend.register.feed import ExtractHeader
from backend.register.linecheck import EVENT, HOLDER, check_line
from backend.register.repository import UPSERT_HOLDER, same_event, utc_iso
from backend.register.store import ImportResult, Problem, rejected_path


class ReferenceImporter:
    """A `store.BulkLoader` over a `sqlite3` connection in autocommit mode (db.connect)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def load(self, path: Path, skip_invalid: bool = False, report: Callable[[Problem], None] | None = None,
             progress: Callable[[int], None] | None = None) -> ImportResult:
        started = time.perf_counter()
        path = Path(path)
        result = ImportResult(path)
        data = path.read_bytes()
        lines = data.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        result.lines = 1  # the header, until the lines after it are read

        def problem(number: int, ref: str, reason: str, text: bytes) -> None:
            found = Problem(number, ref, reason, text if skip_invalid else b"")
            result.problems.append(found)
            if report:
                report(found)

        try:
            header = msgspec.json.decode(lines[0] if lines else b"", type=ExtractHeader)
        except msgspec.DecodeError as exc:
            problem(1, "header", "the first line must be the extract header "
                    f'{{"type": "extract", "extract_id": …, "extracted_at": …}}: {_plain(exc)}', lines[0] if lines else b"")
            result.status = "rejected"
            return result
        sha256 = hashlib.sha256(data).hexdigest()
        conn = self.conn
        stored = conn.execute("SELECT file_sha256 FROM extracts WHERE extract_id = ?", (header.extract_id,)).fetchone()
        if stored is not None and stored[0] == sha256:
            result.status = "already imported"
            return result

        conn.execute("BEGIN IMMEDIATE")
        result.lines = max(len(lines), 1)
        try:
            conn.execute(
                "INSERT INTO extracts (extract_id, extracted_at, file_name, file_sha256, imported_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (extract_id) DO UPDATE SET extracted_at = excluded.extracted_at, "
                "file_name = excluded.file_name, file_sha256 = excluded.file_sha256, imported_at = excluded.imported_at",
                (header.extract_id, utc_iso(header.extracted_at), path.name, sha256,
                 utc_iso(dt.datetime.now(dt.timezone.utc))))
            inserted: dict[str, int] = {}  # id -> line, for the events this file inserted
            delays = lag.DelayCounts.for_extract(header.extracted_at)  # the withdrawals inserted, for the data lag
            cancellations: list[tuple[int, str, str, str, bytes]] = []  # (line, id, cancels, neph, text)
            for number, text in enumerate(lines[1:], start=2):
                outcome = check_line(number, text, header.extract_id)
                if outcome is None:
                    continue  # a blank line
                if outcome[0] == HOLDER:
                    conn.execute(UPSERT_HOLDER, outcome[2])
                    result.holders += 1
                elif outcome[0] == EVENT:
                    event_id, neph, effective_on, cancels, body = outcome[2]
                    if conn.execute("SELECT 1 FROM holders WHERE neph = ?", (neph,)).fetchone() is None:
                        problem(number, f'event "{event_id}"', f"neph {neph!r} has no holder line earlier in this "
                                "file nor in the register", text)
                        continue
                    same_id = conn.execute("SELECT neph, body FROM events WHERE id = ?", (event_id,)).fetchone()
                    if same_id is None:
                        conn.execute("INSERT INTO events (id, neph, effective_on, cancels, extract_id, body) "
                                     "VALUES (?, ?, ?, ?, ?, ?)",
                                     (event_id, neph, effective_on, cancels, header.extract_id, body.decode()))
                        inserted[event_id] = number
                        delays.count(body)
                        result.events_new += 1
                        if cancels is not None:
                            cancellations.append((number, event_id, cancels, neph, text))
                    elif same_id[0] == neph and same_event(same_id[1], body):
                        result.events_unchanged += 1
                    elif event_id in inserted:
                        problem(number, f'event "{event_id}"',
                                f"id already used with different content on line {inserted[event_id]}", text)
                    else:
                        where = "for another holder" if same_id[0] != neph else "with different content"
                        problem(number, f'event "{event_id}"',
                                f"id already in the register or earlier in this file {where}", text)
                else:
                    problem(number, outcome[2], outcome[3], text)
                if progress:
                    progress(len(text) + 1)
            # A cancellation names an event of its holder, stored or anywhere in this file. One left
            # dangling is removed, and then a cancellation of it dangles too: until none is left.
            dangling = True
            while dangling:
                dangling = False
                for entry in list(cancellations):
                    number, event_id, cancels, neph, text = entry
                    target = conn.execute("SELECT neph FROM events WHERE id = ?", (cancels,)).fetchone()
                    if target is None or target[0] != neph:
                        where = "is not in the register nor in this file" if target is None else "belongs to another holder"
                        problem(number, f'event "{event_id}"', f"cancels {cancels!r}, which {where}", text)
                        conn.execute("DELETE FROM events WHERE id = ?", (event_id,))
                        result.events_new -= 1
                        cancellations.remove(entry)
                        dangling = True
            if result.problems and not skip_invalid:
                conn.execute("ROLLBACK")
                result.status = "rejected"
                return result
            conn.execute("UPDATE extracts SET lines = ?, holders = ?, events_new = ?, events_unchanged = ?, rejected = ? "
                         "WHERE extract_id = ?", (result.lines, result.holders, result.events_new,
                                                  result.events_unchanged, len(result.problems), header.extract_id))
            delays.store(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        _write_rejected(path, result)
        result.seconds = time.perf_counter() - started
        return result


def _write_rejected(path: Path, result: ImportResult) -> None:
    """After the commit: the bad lines with their reasons, or no file at all when there are none."""
    target = rejected_path(path)
    if not result.problems:
        target.unlink(missing_ok=True)
        return
    partial = target.with_name(target.name + ".partial")
    with partial.open("wb") as out:
        for problem in sorted(result.problems, key=lambda p: p.line):
            out.write(msgspec.json.encode({"line": problem.line, "reason": f"{problem.ref}: {problem.reason}",
                                           "text": problem.text.rstrip(b"\r\n").decode("utf-8", "replace")}))
            out.write(b"\n")
    os.replace(partial, target)
    result.rejected_file = target


def _plain(exc: Exception) -> str:
    return str(exc).replace("`$.", "`").replace("\\\\", "\\")
