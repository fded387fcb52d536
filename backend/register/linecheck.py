"""Validating one feed line on its own, without the database: the part of an import that can run
in worker processes. The importer then does the checks that need the whole file or the database
(holder known, id already used, cancelled event exists).

`check_line` returns one of
- ``(EVENT, number, row)`` — row = ``(id, neph, effective_on, cancels, body)``, the ``events``
  columns of importer.insert_event_sql: the body is the line's UTF-8 (bytes), stored as TEXT
  without re-encoding, and ``cancels`` is None except for a cancellation (the only row whose row[3]
  is not None);
- ``(HOLDER, number, row)`` — row = the ``holders`` columns (repository.UPSERT_HOLDER order);
- ``(PROBLEM, number, ref, reason)``;
- ``None`` for a blank line.
"""

from __future__ import annotations

import array
import collections
import datetime as dt
import functools
import io
import pickle
import re
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

import msgspec

from backend.law.events import (Cancellation, Event, InvalidRecord, check_event, decode_event, event_ref,
                                validation_message)
from backend.register.checkers import Checkers
from backend.register.feed import HolderRecord
from backend.register.lag import delay_key, withdrawal_delay_key

EVENT, HOLDER, PROBLEM = 0, 1, 2
CHUNK_BYTES = 1 << 18  # about 1,000 lines of the demo feed
IN_FLIGHT_PER_WORKER = 8  # descriptors sent ahead

_decode_json = msgspec.json.Decoder().decode
_encode_json = msgspec.json.Encoder().encode
_decode_event_json = msgspec.json.Decoder(Event).decode
_decode_holder_json = msgspec.json.Decoder(HolderRecord).decode
# A line that starts with its `neph` (as the register and the demo write it) is decoded straight into
# the engine's event Structs, in C. Any other line, or any error, takes the general path
# (`decode_event` on a dict), which gives the exact message.
_NEPH_FIRST = re.compile(rb'\{\s*"neph"\s*:\s*"([0-9A-Za-z]{12})"\s*,')
_HOLDER_FIRST = re.compile(rb'\{\s*"type"\s*:\s*"holder"\s*,')
_TRAILING_SPACE = (b" ", b"\t", b"\r", b"\n")
# Effective dates as text: the same few thousand days come back on every chunk (a dict lookup costs
# a third of `isoformat()`); bounded, it is emptied when full.
_ISO_DAYS: dict[dt.date, str] = {}
_ISO_DAYS_MAX = 100_000
_NEPH_OK = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def checked_chunks(handle: BinaryIO, extract_id: str,
                   workers: int = 0) -> Iterator[tuple[int, int, bytes, Checked]]:
    """(first line number, number of lines, the chunk's bytes: whole lines, their outcomes) in file
    order, for the lines after the header; with `workers` > 0 the checks run in that many processes
    (checkers.py), a few chunks ahead of the caller, which only reads the file to cut it into chunks."""
    chunks = _chunks(handle)
    if workers < 1:
        for first, count, _, block in chunks:
            yield first, count, block, check_chunk(first, block, extract_id)
        return
    pending: collections.deque = collections.deque()
    with Checkers(handle.fileno(), workers, functools.partial(_check_chunk_pickled, extract_id=extract_id)) as pool:
        for index, (first, count, offset, block) in enumerate(chunks):
            pool.send(index, first, offset, len(block))
            pending.append((index, first, count, block))
            if len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                index, first, count, block = pending.popleft()
                yield first, count, block, pickle.loads(pool.receive(index))
        while pending:
            index, first, count, block = pending.popleft()
            yield first, count, block, pickle.loads(pool.receive(index))


class Checked(NamedTuple):
    """The outcomes of a chunk of lines, grouped so that the writer handles a valid event without
    any per-line Python work of its own: it extends its batch with `rows` and hands them to SQLite."""

    rows: list[tuple]  # valid events, in file order (see check_line)
    row_lines: array.array  # their line numbers
    first_event_line: dict[str, int]  # neph -> line of its first event in this chunk
    holders: list[tuple[int, tuple]]  # (line, repository.UPSERT_HOLDER columns)
    cancellations: list[tuple[int, str]]  # (line, id) of the cancellations among `rows`
    problems: list[tuple[int, str, str]]  # (line, ref, reason)
    withdrawals: list[tuple[int, tuple[str, int]]]  # (line, lag.delay_key) of the rows that are withdrawals
    # with a recorded_on: the writer counts those it inserts, for the data lag (register/lag.py)


def split_lines(block: bytes) -> list[bytes]:
    """The lines of a chunk as iterating over the file gives them (split on b"\\n" only), without
    their b"\\n"."""
    lines = block.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def check_chunk(first_number: int, block: bytes, extract_id: str) -> Checked:
    """Every line of a chunk, in order, as check_line checks it. A line in the register's own layout
    (`{"neph":"<12 letters or digits>",…}`, as the register and the demo write it) is decoded here
    directly, with the same strict decoder and checks as check_line, without its regex and call
    (a third of the checker's time per line); any other line, or any problem, goes to check_line."""
    checked = Checked([], array.array("q"), {}, [], [], [], [])
    rows, row_lines, first_event_line, cancellations = (checked.rows, checked.row_lines, checked.first_event_line,
                                                        checked.cancellations)
    decode, iso_days = _decode_event_json, _ISO_DAYS
    for number, text in enumerate(split_lines(block), start=first_number):
        if text[:9] == b'{"neph":"' and text[21:23] == b'",' and text[-1:] == b"}" and text[9:21].isalnum():
            body = b"{" + text[23:]
            try:
                event = decode(body)
            except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError):
                event = None
            if event is not None and not check_event(event, ""):
                neph = text[9:21].decode()  # bytes.isalnum: ASCII letters and digits only
                day = event.effective_on
                cancels = event.cancels if type(event) is Cancellation else None
                rows.append((event.id, neph, iso_days.get(day) or _iso_day(day), cancels, body))
                row_lines.append(number)
                if neph not in first_event_line:
                    first_event_line[neph] = number
                if cancels is not None:
                    cancellations.append((number, event.id))
                elif event.recorded_on is not None:
                    key = delay_key(event)
                    if key is not None:
                        checked.withdrawals.append((number, key))
                continue
        _add(checked, number, check_line(number, text, extract_id))
    return checked


def _add(checked: Checked, number: int, outcome: tuple | None) -> None:
    """A check_line outcome into the chunk's outcomes (None: a blank line)."""
    if outcome is None:
        return
    kind = outcome[0]
    if kind == EVENT:
        row = outcome[2]
        checked.rows.append(row)
        checked.row_lines.append(number)
        if row[1] not in checked.first_event_line:
            checked.first_event_line[row[1]] = number
        if row[3]:
            checked.cancellations.append((number, row[0]))
        else:
            key = withdrawal_delay_key(row[4])
            if key is not None:
                checked.withdrawals.append((number, key))
    elif kind == HOLDER:
        checked.holders.append((number, outcome[2]))
    else:
        checked.problems.append((number, outcome[2], outcome[3]))


def _check_chunk_pickled(first_number: int, block: bytes, extract_id: str) -> bytes:
    """In a worker: the chunk's outcome pickled in "fast" mode, without the memo that looks up every
    object (a third of the usual cost; the rows of strings share nothing that would need it).
    (Measured: the rows as a few joined columns, split and zipped again by the writer, cost both
    processes more than pickling a tuple per row: 1.26 + 1.06 µs per event against 0.81 + 0.56.)"""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(check_chunk(first_number, block, extract_id))
    return out.getvalue()


def check_line(number: int, text: bytes, extract_id: str) -> tuple | None:
    """One line on its own (see the module's docstring for what it returns). The body of an event in
    the register's layout (its neph first) is the line without its neph, as fed."""
    if match := _NEPH_FIRST.match(text):
        neph = match.group(1).decode()
        body = b"{" + text[match.end():]
    else:
        neph = None
    if neph is not None:
        # The event without its neph, exactly as fed: validated here, stored as the body, read back
        # with the same decoder (no re-encoding).
        if body.endswith(_TRAILING_SPACE):
            body = body.rstrip(b" \t\r\n")
        try:
            event = _decode_event_json(body)
            if not check_event(event, ""):
                day = event.effective_on
                return EVENT, number, (event.id, neph, _ISO_DAYS.get(day) or _iso_day(day),
                                       event.cancels if type(event) is Cancellation else None, body)
        except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError):
            pass
    elif _HOLDER_FIRST.match(text):
        try:
            return _holder_row(number, _decode_holder_json(text), extract_id)
        except (msgspec.ValidationError, msgspec.DecodeError):
            pass
    return _check_slowly(number, text, extract_id)


def _iso_day(day: dt.date) -> str:
    if len(_ISO_DAYS) >= _ISO_DAYS_MAX:
        _ISO_DAYS.clear()
    text = _ISO_DAYS[day] = day.isoformat()
    return text


def _holder_row(number: int, holder: HolderRecord, extract_id: str) -> tuple:
    return HOLDER, number, (holder.neph, holder.family_name, holder.given_names, holder.birth_date.isoformat(),
                            holder.birth_place, holder.birth_country, holder.gender, extract_id)


def _check_slowly(number: int, text: bytes, extract_id: str) -> tuple | None:
    """Any layout; on a problem, the message users read."""
    try:
        raw = _decode_json(text)
    except msgspec.DecodeError as exc:
        if not text.strip():
            return None  # blank lines (e.g. a trailing one) carry nothing
        return PROBLEM, number, f"line {number}", f"not valid JSON ({exc})"
    except UnicodeDecodeError as exc:  # msgspec's, for a string that is not UTF-8
        bad = exc.object[exc.start:exc.end]
        return PROBLEM, number, f"line {number}", (f"not valid UTF-8 (bytes {bad.hex(' ')} in a string); "
                                                   "a feed file is encoded in UTF-8")
    if type(raw) is not dict:
        return PROBLEM, number, f"line {number}", "expected a JSON object"
    kind = raw.get("type")
    if kind == "holder":
        try:
            return _holder_row(number, msgspec.convert(raw, HolderRecord, strict=True), extract_id)
        except msgspec.ValidationError as exc:
            neph = raw.get("neph")
            ref = f"holder {_encode_json(neph).decode()}" if isinstance(neph, str) and neph else "holder"  # one line
            return PROBLEM, number, ref, validation_message(exc, raw)
    if kind == "extract":
        return PROBLEM, number, "header", "a second extract header; only the first line may be one"
    neph = raw.pop("neph", None)
    try:
        event = decode_event(raw)
    except InvalidRecord as exc:
        return PROBLEM, number, event_ref(raw, None), "; ".join(p.message for p in exc.problems)
    if type(neph) is not str or len(neph) != 12 or not _NEPH_OK.issuperset(neph):
        reason = "neph is required" if neph is None else f"neph {neph!r} is not a 12-character licence-file number"
        return PROBLEM, number, f'event "{event.id}"', reason
    return EVENT, number, (event.id, neph, event.effective_on.isoformat(),
                           event.cancels if type(event) is Cancellation else None, _encode_json(event))


def _chunks(handle: BinaryIO) -> Iterator[tuple[int, int, int, bytes]]:
    """(number of the first line, number of lines, offset in the file, whole lines) for the lines
    after the header: one read of about CHUNK_BYTES, completed to the end of its last line."""
    first, offset = 2, handle.tell()
    while block := handle.read(CHUNK_BYTES):
        if not block.endswith(b"\n"):
            block += handle.readline()
        count = block.count(b"\n") + (not block.endswith(b"\n"))
        yield first, count, offset, block
        first += count
        offset += len(block)
