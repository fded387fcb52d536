"""Import a register feed file (JSON Lines, spec/record-format.md "Feed file") into the database.

The file is streamed in batches, never loaded whole: each line is decoded with msgspec and
validated with the engine's own `decode_event`; the checks that need the database (holder known,
id already imported, cancelled event exists) are one set query per batch. The whole file is one
transaction (`BEGIN IMMEDIATE`): a rejected file, an error or a `kill -9` leaves the database as
it was, and the import can simply be rerun. Re-importing an event with the same content is a
no-op; the same id with different content is an error.

Line numbers are 1-based; every problem is reported as ``FILE:LINE: event "id": reason``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from backend.law.events import Cancellation, Event, InvalidRecord, _check, _reword, decode_event, event_ref
from backend.register.feed import ExtractHeader, HolderRecord
from backend.register.repository import INSERT_EVENT, UPSERT_HOLDER, utc_iso

BATCH_LINES = 5000
_decode_json = msgspec.json.Decoder().decode
_encode_json = msgspec.json.encode
_decode_event_json = msgspec.json.Decoder(Event).decode
# Fast path: a line that starts with its `neph` (as the register and the demo write it) is decoded
# straight into the engine's event Structs, in C. Any other line, or any error, takes the general
# path (`decode_event`), which gives the exact message.
_NEPH_FIRST = re.compile(rb'\{\s*"neph"\s*:\s*"([0-9A-Za-z]{12})"\s*,')
_NEPH_OK = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


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


def rejected_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejected.jsonl")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class _Batch:
    """Lines decoded but not yet written: holders, events, and the nephs they rely on."""

    def __init__(self) -> None:
        self.holders: list[tuple] = []
        self.holder_lines: dict[str, int] = {}  # neph -> line, holders defined in this batch
        self.events: dict[str, tuple[int, tuple, bytes]] = {}  # id -> (line, row, text)
        self.nephs_to_check: dict[str, None] = {}


class FeedImporter:
    """One file, one transaction. `report(problem)` is called as each bad line is found."""

    def __init__(self, conn: sqlite3.Connection, path: Path, skip_invalid: bool = False,
                 report: Callable[[Problem], None] = lambda p: None,
                 progress: Callable[[int], None] = lambda n: None) -> None:
        self.conn, self.path, self.skip_invalid = conn, Path(path), skip_invalid
        self.report, self.progress = report, progress
        self.result = ImportResult(self.path)
        self.extract_id = ""
        self.cancellations: dict[str, tuple[int, bytes]] = {}  # id -> (line, text), checked at the end

    # --- the run -------------------------------------------------------------------------

    def run(self) -> ImportResult:
        started = time.perf_counter()
        digest = file_sha256(self.path)
        with self.path.open("rb") as handle:
            header = self._header(handle)
            if header is None:
                self.result.status = "rejected"
            elif self._already_imported(header, digest):
                self.result.status = "already imported"
            else:
                self._import(handle, header, digest)
        self.result.seconds = time.perf_counter() - started
        return self.result

    def _header(self, handle: BinaryIO) -> ExtractHeader | None:
        text = handle.readline()
        self.progress(len(text))
        self.result.lines = 1
        try:
            return msgspec.json.decode(text, type=ExtractHeader)
        except msgspec.DecodeError as exc:
            self._problem(1, "header", f"the first line must be the extract header "
                          f'{{"type": "extract", "extract_id": …, "extracted_at": …}}: {_plain(exc)}', text)
            return None

    def _already_imported(self, header: ExtractHeader, digest: str) -> bool:
        row = self.conn.execute("SELECT file_sha256 FROM extracts WHERE extract_id = ?",
                                (header.extract_id,)).fetchone()
        return row is not None and row[0] == digest

    def _import(self, handle: BinaryIO, header: ExtractHeader, digest: str) -> None:
        conn = self.conn
        self.extract_id = header.extract_id
        # Every event's holder is checked by one query per batch; SQLite checking it again on each
        # row would double the cost of an insert. The constraint is verified for the new rows at the end.
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("BEGIN IMMEDIATE")
        try:
            first_seq = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM events").fetchone()[0]
            conn.execute(
                "INSERT INTO extracts (extract_id, extracted_at, file_name, file_sha256, imported_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (extract_id) DO UPDATE SET extracted_at = excluded.extracted_at, "
                "file_name = excluded.file_name, file_sha256 = excluded.file_sha256, imported_at = excluded.imported_at",
                (self.extract_id, utc_iso(header.extracted_at), self.path.name, digest,
                 utc_iso(dt.datetime.now(dt.timezone.utc))))
            self._lines(handle)
            self._check_cancellations()
            orphans = conn.execute("SELECT count(*) FROM events WHERE seq >= ? AND neph NOT IN "
                                   "(SELECT neph FROM holders)", (first_seq,)).fetchone()[0]
            if orphans:  # cannot happen unless the checks above are wrong: never commit it
                raise RuntimeError(f"{orphans} imported events have no holder")
            result = self.result
            if result.problems and not self.skip_invalid:
                conn.execute("ROLLBACK")
                result.status = "rejected"
                return
            conn.execute("UPDATE extracts SET lines = ?, holders = ?, events_new = ?, events_unchanged = ?, "
                         "rejected = ? WHERE extract_id = ?",
                         (result.lines, result.holders, result.events_new, result.events_unchanged,
                          len(result.problems), self.extract_id))
            self._write_rejected()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.execute("PRAGMA foreign_keys = ON")
        self._publish_rejected()

    def _lines(self, handle: BinaryIO) -> None:
        batch = _Batch()
        number = 1
        consumed = 0
        for text in handle:
            number += 1
            consumed += len(text)
            self._line(number, text, batch)
            if len(batch.events) + len(batch.holders) >= BATCH_LINES:
                self._flush(batch)
                batch = _Batch()
                self.progress(consumed)
                consumed = 0
        self._flush(batch)
        self.progress(consumed)
        self.result.lines = number

    # --- one line (the hot path: keep it lean) -------------------------------------------------

    def _line(self, number: int, text: bytes, batch: _Batch) -> None:
        match = _NEPH_FIRST.match(text)
        if match is not None:
            try:
                event = _decode_event_json(b"{" + text[match.end():])
            except (msgspec.ValidationError, msgspec.DecodeError):
                pass
            else:
                if not _check(event, ""):
                    return self._event(number, event, match.group(1).decode(), text, batch)
        try:
            raw = _decode_json(text)
        except msgspec.DecodeError as exc:
            if not text.strip():
                return  # blank lines (e.g. a trailing one) carry nothing
            return self._problem(number, f"line {number}", f"not valid JSON ({exc})", text)
        if type(raw) is not dict:
            return self._problem(number, f"line {number}", "expected a JSON object", text)
        kind = raw.get("type")
        if kind == "holder":
            return self._holder(number, raw, text, batch)
        if kind == "extract":
            return self._problem(number, "header", "a second extract header; only the first line may be one", text)
        neph = raw.pop("neph", None)
        try:
            event = decode_event(raw)
        except InvalidRecord as exc:
            ref = event_ref(raw, None)
            reasons = "; ".join(p.message for p in exc.problems)
            return self._problem(number, ref, reasons, text)
        if type(neph) is not str or len(neph) != 12 or not _NEPH_OK.issuperset(neph):
            reason = "neph is required" if neph is None else f"neph {neph!r} is not a 12-character licence-file number"
            return self._problem(number, f'event "{event.id}"', reason, text)
        return self._event(number, event, neph, text, batch)

    def _event(self, number: int, event: Event, neph: str, text: bytes, batch: _Batch) -> None:
        if event.id in batch.events:
            return self._duplicate_in_batch(number, event, neph, text, batch)
        if neph not in batch.holder_lines:
            batch.nephs_to_check[neph] = None
        recorded = event.recorded_on
        row = (event.id, neph, event.__struct_config__.tag, event.effective_on.isoformat(),
               recorded.isoformat() if recorded else None, event.known_on.isoformat(),
               event.cancels if type(event) is Cancellation else None, self.extract_id,
               _encode_json(event).decode())
        batch.events[event.id] = (number, row, text)
        if type(event) is Cancellation:
            self.cancellations[event.id] = (number, text)

    def _holder(self, number: int, raw: dict[str, Any], text: bytes, batch: _Batch) -> None:
        try:
            holder = msgspec.convert(raw, HolderRecord, strict=True)
        except msgspec.ValidationError as exc:
            neph = raw.get("neph")
            ref = f'holder "{neph}"' if isinstance(neph, str) and neph else "holder"
            return self._problem(number, ref, _reword(exc, raw)[1], text)
        batch.holders.append((holder.neph, holder.family_name, holder.given_names, holder.birth_date.isoformat(),
                              holder.birth_place, holder.birth_country, holder.gender, self.extract_id))
        batch.holder_lines.setdefault(holder.neph, number)

    def _duplicate_in_batch(self, number: int, event: Any, neph: str, text: bytes, batch: _Batch) -> None:
        first_line, row, _ = batch.events[event.id]
        if row[1] == neph and row[8] == _encode_json(event).decode():
            self.result.events_unchanged += 1
            return None
        return self._problem(number, f'event "{event.id}"',
                             f"id already used with different content on line {first_line}", text)

    # --- writing a batch ---------------------------------------------------------------------

    def _flush(self, batch: _Batch) -> None:
        conn = self.conn
        known: set[str] = set()
        if batch.nephs_to_check:
            known = {row[0] for row in conn.execute(
                "SELECT neph FROM holders WHERE neph IN (SELECT value FROM json_each(?))",
                (_encode_json(list(batch.nephs_to_check)).decode(),))}
        if batch.holders:
            conn.executemany(UPSERT_HOLDER, batch.holders)
            self.result.holders += len(batch.holders)
        if not batch.events:
            return
        existing = {row[0]: (row[1], row[2]) for row in conn.execute(
            "SELECT id, neph, body FROM events WHERE id IN (SELECT value FROM json_each(?))",
            (_encode_json(list(batch.events)).decode(),))}
        new: list[tuple] = []
        for event_id, (number, row, text) in batch.events.items():
            neph = row[1]
            if neph not in known and batch.holder_lines.get(neph, number) >= number:
                self._problem(number, f'event "{event_id}"', f"neph {neph!r} has no holder line earlier in this "
                              "file nor in the register", text)
                continue
            previous = existing.get(event_id)
            if previous is None:
                new.append(row)
            elif previous == (neph, row[8]):
                self.result.events_unchanged += 1
            else:
                where = "for another holder" if previous[0] != neph else "with different content"
                self._problem(number, f'event "{event_id}"',
                              f"id already in the register or earlier in this file {where}", text)
        conn.executemany(INSERT_EVENT, new)
        self.result.events_new += len(new)

    def _check_cancellations(self) -> None:
        """A cancellation must name an event of the same holder, in the register or in this file."""
        while self.cancellations:
            bad = self.conn.execute(
                "SELECT c.id, c.cancels, t.neph FROM events c LEFT JOIN events t ON t.id = c.cancels "
                "WHERE c.id IN (SELECT value FROM json_each(?)) AND (t.id IS NULL OR t.neph != c.neph)",
                (_encode_json(list(self.cancellations)).decode(),)).fetchall()
            if not bad:
                return
            for event_id, cancels, target_neph in bad:
                number, text = self.cancellations.pop(event_id)
                where = "is not in the register nor in this file" if target_neph is None else "belongs to another holder"
                self._problem(number, f'event "{event_id}"', f"cancels {cancels!r}, which {where}", text)
                self.conn.execute("DELETE FROM events WHERE id = ?", (event_id,))
                self.result.events_new -= 1
            # A cancellation of a cancellation just removed is now dangling too: check again.

    # --- problems and the rejected-lines file ----------------------------------------------------

    def _problem(self, number: int, ref: str, reason: str, text: bytes) -> None:
        problem = Problem(number, ref, reason, text)
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


def _plain(exc: Exception) -> str:
    return str(exc).replace("`$.", "`")
