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
import datetime as dt
import collections
import functools
import io
import pickle
import re
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, BinaryIO, NamedTuple, Union

import msgspec

from backend.law.events import (EVENT_TYPES, Cancellation, Event, InvalidRecord, _Event, _reword, check_event,
                                decode_event, event_ref)
from backend.register.checkers import Checkers
from backend.register.feed import HolderRecord

try:
    from backend.register import chunkscan
except ImportError as exc:
    raise ImportError("backend/register/chunkscan.pyx is not compiled: run `make install-python` "
                      "(or `python setup.py build_ext --inplace`; a C compiler is needed)") from exc
if (_SOURCE := Path(__file__).with_name("chunkscan.pyx")).exists() \
        and _SOURCE.stat().st_mtime > Path(chunkscan.__file__).stat().st_mtime:
    # A build older than its source would silently run the old loop.
    raise ImportError(f"{chunkscan.__file__} is older than {_SOURCE}: rebuild it with `make install-python`")

EVENT, HOLDER, PROBLEM = 0, 1, 2
CHUNK_BYTES = 1 << 18  # about 1,000 lines of the demo feed
IN_FLIGHT_PER_WORKER = 8  # descriptors sent ahead

_decode_json = msgspec.json.Decoder().decode
_encode_json = msgspec.json.Encoder().encode
_decode_event_json = msgspec.json.Decoder(Event).decode
_decode_holder_json = msgspec.json.Decoder(HolderRecord).decode
# Fast path: a line that starts with its `neph` (as the register and the demo write it) is decoded
# straight into the engine's event Structs, in C. Any other line, or any error, takes the general
# path (`decode_event` on a dict), which gives the exact message.
_NEPH_FIRST = re.compile(rb'\{\s*"neph"\s*:\s*"([0-9A-Za-z]{12})"\s*,')
_HOLDER_FIRST = re.compile(rb'\{\s*"type"\s*:\s*"holder"\s*,')
_TRAILING_SPACE = (b" ", b"\t", b"\r", b"\n")
# Effective dates as text: the same few thousand days come back on every chunk (a dict lookup costs
# a third of `isoformat()`); bounded, it is emptied when full.
_ISO_DAYS: dict[dt.date, str] = {}
_ISO_DAYS_MAX = 100_000
_NEPH_OK = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


# --- patterns checked once per chunk ---------------------------------------------------------------
# msgspec checks a `pattern` by calling back into Python's `re` for each value (~1 µs each: a third of
# decoding an event, two thirds of a holder). The chunk's fast path decodes into subclasses of the same
# Structs without those patterns (every other constraint, field and check is the engine's), collects
# the values, and checks each pattern once for all of them at the end of the chunk; if any value fails,
# the whole chunk is checked again line by line with the strict decoders, which give the exact message.

class _PatternCheck:
    """`ok(values)`: every value passes `re.search(pattern, value)`, as msgspec checks it (or, for
    `^[class]+\\Z` patterns, one test of all values at once: a value it refuses is looked at
    again by the strict path, so nothing passes that msgspec would refuse)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._search = re.compile(pattern).search
        self._members: bytes | None = None
        # ^[…]+\Z (or ^[…]+$, whose trailing-newline leniency the joined test refuses: the strict
        # path then decides), a class of ASCII characters and ranges: no escape, not negated.
        plain = re.fullmatch(r"\^(\[[^\]\\\n^][^\]\\\n]*\])\+(?:\$|\\Z)", pattern)
        if plain and plain.group(1).isascii():
            klass = plain.group(1)
            members = bytes(b for b in range(128) if re.fullmatch(klass, chr(b)))
            if b"\n" not in members:
                self._members = members

    def ok(self, values: list[str]) -> bool:
        if not values:
            return True
        if self._members is not None:
            # Every value non-empty, and deleting the class's bytes from all of them joined by "\n"
            # leaves only those "\n": one C pass (a regex over the same text costs ~5 times more).
            joined = "\n".join(values)
            return (joined.isascii() and all(values)
                    and joined.encode().translate(None, self._members) == b"\n" * (len(values) - 1))
        return all(map(self._search, values))


def _without_pattern(hint: object) -> tuple[object, str | None]:
    """`hint` without the `pattern` of its msgspec.Meta (in an Annotated, or an Optional of one)."""
    origin = typing.get_origin(hint)
    if origin is Annotated:
        base, *metas = typing.get_args(hint)
        found, kept = None, []
        for meta in metas:
            if isinstance(meta, msgspec.Meta) and meta.pattern is not None:
                found = meta.pattern
                rest = {name: getattr(meta, name) for name in _META_FIELDS if getattr(meta, name) is not None}
                if rest:
                    kept.append(msgspec.Meta(**rest))
            else:
                kept.append(meta)
        return (Annotated[(base, *kept)] if kept else base), found
    if origin is Union:
        args = [_without_pattern(arg) for arg in typing.get_args(hint)]
        patterns = {pattern for _, pattern in args if pattern is not None}
        if len(patterns) == 1:
            return Union[tuple(arg for arg, _ in args)], patterns.pop()
    return hint, None


_META_FIELDS = ("gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length", "tz", "title", "description",
                "examples", "extra_json_schema", "extra")


def _lenient(cls: type) -> tuple[type, tuple[tuple[str, _PatternCheck], ...]]:
    """A subclass of the Struct `cls` whose string fields have no `pattern` (same config, tag, defaults,
    other constraints), and the (field, pattern) pairs left to check."""
    hints = typing.get_type_hints(cls, include_extras=True)
    fields, checks = [], []
    names = cls.__struct_fields__
    defaults = cls.__struct_defaults__
    for index, name in enumerate(names):
        hint, pattern = _without_pattern(hints[name])
        if pattern is None:
            continue
        default = index - (len(names) - len(defaults))
        fields.append((name, hint) if default < 0 else (name, hint, defaults[default]))
        checks.append((name, _pattern_check(pattern)))
    config = cls.__struct_config__
    lenient = msgspec.defstruct(cls.__name__, fields, bases=(cls,), module=__name__, kw_only=True,
                                tag=config.tag, tag_field=config.tag_field)
    settings = ("forbid_unknown_fields", "frozen", "gc", "omit_defaults", "array_like", "eq", "order", "tag", "tag_field")
    assert all(getattr(lenient.__struct_config__, name) == getattr(config, name) for name in settings), cls
    return lenient, tuple(checks)


_PATTERN_CHECKS: dict[str, _PatternCheck] = {}


def _pattern_check(pattern: str) -> _PatternCheck:
    if pattern not in _PATTERN_CHECKS:
        _PATTERN_CHECKS[pattern] = _PatternCheck(pattern)
    return _PATTERN_CHECKS[pattern]


def _lenient_events() -> tuple[Callable, _PatternCheck | None, dict[type, tuple[tuple[str, _PatternCheck], ...]]]:
    """The decoder of the event union without patterns; the check of `id` (the same for every type, else
    None: then no type is lenient about it); per lenient type, its other fields still to check."""
    id_pattern = _without_pattern(typing.get_type_hints(_Event, include_extras=True)["id"])[1]
    types, others = [], {}
    for cls in EVENT_TYPES.values():
        lenient, checks = _lenient(cls)
        if any(name == "id" and check.pattern != id_pattern for name, check in checks):
            lenient, checks = cls, ()  # cannot happen today; then this type is decoded strictly
        types.append(lenient)
        others[lenient] = tuple((name, check) for name, check in checks if name != "id")
    id_check = _pattern_check(id_pattern) if id_pattern is not None else None
    return msgspec.json.Decoder(Union[tuple(types)]).decode, id_check, others


_decode_event_lenient, _ID_CHECK, _EVENT_CHECKS = _lenient_events()
_CANCELLATION = next(cls for cls in _EVENT_CHECKS if issubclass(cls, Cancellation))  # the type decoded
_HolderLenient, _HOLDER_CHECKS = _lenient(HolderRecord)
_decode_holder_lenient = msgspec.json.Decoder(_HolderLenient).decode


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


def split_lines(block: bytes) -> list[bytes]:
    """The lines of a chunk as iterating over the file gives them (split on b"\\n" only), without
    their b"\\n"."""
    lines = block.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def check_chunk(first_number: int, block: bytes, extract_id: str) -> Checked:
    """The lines of a chunk: in the layout the register and the demo write (`{"neph":"…",` first, no
    space at the end; holders `{"type":"holder",` first), each event or holder is decoded leniently
    and its patterns are checked for the whole chunk at the end; any other line, or any problem, goes
    through check_line. If a pattern fails, the chunk is checked again by check_line alone.
    The loop over the lines is compiled (chunkscan.pyx); what it calls is configured below."""
    checked = Checked([], array.array("q"), {}, [], [], [])
    ids: list[str] = []  # the ids of the events decoded leniently, and their other pattern fields
    later: dict[_PatternCheck, list[str]] = collections.defaultdict(list)
    chunkscan.scan(first_number, block, extract_id, checked, ids, later)
    if (_ID_CHECK is not None and not _ID_CHECK.ok(ids)) or not all(check.ok(values) for check, values in later.items()):
        return check_chunk_strictly(first_number, block, extract_id)
    return checked


def _other_line(checked: Checked, number: int, text: bytes, extract_id: str) -> None:
    """A line of a chunk not in the register's layout, or with a problem: strictly."""
    _add(checked, number, check_line(number, text, extract_id))


def check_chunk_strictly(first_number: int, block: bytes, extract_id: str) -> Checked:
    """Every line through check_line (the strict decoders)."""
    checked = Checked([], array.array("q"), {}, [], [], [])
    for number, text in enumerate(split_lines(block), start=first_number):
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
    # The lines in the register's own layout are handled by check_chunk's loop; here come the others
    # (and every line of a chunk checked strictly): the body is the line without its neph.
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
            return PROBLEM, number, ref, _reword(exc, raw)[1]
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


chunkscan.configure(
    decode_event=_decode_event_lenient, decode_holder=_decode_holder_lenient, check_event=check_event,
    event_checks=_EVENT_CHECKS, holder_checks=_HOLDER_CHECKS, cancellation=_CANCELLATION,
    iso_days=_ISO_DAYS, iso_day=_iso_day, holder_row=_holder_row, other_line=_other_line,
    decode_errors=(msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError),
    holder_decode_errors=(msgspec.ValidationError, msgspec.DecodeError))
