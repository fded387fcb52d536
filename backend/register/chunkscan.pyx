# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The loop of linecheck.check_chunk, compiled (Cython): finding each line of a chunk, testing its
layout and cutting its neph and body out cost Python about a third of the checker's work per line
(bytecode, `bytes.startswith`'s argument parsing, slices and memoryviews); here they are a few C
comparisons. Everything that decides whether a line is valid stays in Python and is the same for
both paths: msgspec's decoders, the engine's `check_event`, linecheck's pattern checks, and
`check_line` for any line not in the register's own layout.

`configure` is called once by linecheck with those functions; `scan` fills a `Checked` (see there)."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_DecodeASCII
from libc.string cimport memchr, memcmp, memcpy

cdef object _decode_event, _decode_holder, _check_event, _event_checks, _holder_checks, _cancellation
cdef object _iso_days, _iso_day, _holder_row, _other_line, _decode_errors, _holder_decode_errors


def configure(decode_event, decode_holder, check_event, event_checks, holder_checks, cancellation,
              iso_days, iso_day, holder_row, other_line, decode_errors, holder_decode_errors):
    """decode_event/decode_holder(bytes-like) -> Struct, raising one of decode_errors (holder:
    holder_decode_errors); check_event(event, "") -> problems; event_checks: lenient type -> its
    (field, check) pairs other than the id; holder_checks: (field, check) pairs; cancellation: the
    lenient Cancellation type; iso_days/iso_day: the cache of effective dates as text;
    holder_row(number, holder, extract_id) -> (HOLDER, number, row); other_line(checked, number,
    text, extract_id): any other line, strictly."""
    global _decode_event, _decode_holder, _check_event, _event_checks, _holder_checks, _cancellation
    global _iso_days, _iso_day, _holder_row, _other_line, _decode_errors, _holder_decode_errors
    _decode_event, _decode_holder, _check_event = decode_event, decode_holder, check_event
    _event_checks, _holder_checks, _cancellation = event_checks, holder_checks, cancellation
    _iso_days, _iso_day, _holder_row, _other_line = iso_days, iso_day, holder_row, other_line
    _decode_errors, _holder_decode_errors = decode_errors, holder_decode_errors


cdef bint _neph_ok(const char *p):
    """12 ASCII letters or digits (bytes.isalnum)."""
    cdef int i
    cdef char c
    for i in range(12):
        c = p[i]
        if not (b'0' <= c <= b'9' or b'A' <= c <= b'Z' or b'a' <= c <= b'z'):
            return False
    return True


def scan(long first_number, bytes block, str extract_id, checked, list ids, later):
    """The lines of `block` into `checked`: `ids` gets the id of every event decoded leniently and
    `later[check]` the other values whose pattern is checked once for the chunk (linecheck)."""
    cdef const char *start = PyBytes_AS_STRING(block)
    cdef const char *end = start + PyBytes_GET_SIZE(block)
    cdef const char *p = start
    cdef const char *nl
    cdef char *body_text
    cdef Py_ssize_t size
    cdef long number = first_number - 1
    cdef list rows = checked.rows, holders = checked.holders, cancellations = checked.cancellations
    cdef dict first_event_line = checked.first_event_line, iso_days = _iso_days, event_checks = _event_checks
    row_lines = checked.row_lines
    while p < end:
        nl = <const char *>memchr(p, b'\n', end - p)
        size = (nl - p + 1) if nl != NULL else (end - p)  # with its "\n", if it has one
        number += 1
        # The register's layout: {"neph":"<12 letters or digits>",…} then "\n", no space at the end.
        if (size > 24 and memcmp(p, b'{"neph":"', 9) == 0 and p[21] == b'"' and p[22] == b','
                and p[size - 1] == b'\n' and p[size - 2] == b'}' and _neph_ok(p + 9)):
            # The body: the line from its "," to its "}", the "," made a "{". Bytes rather than a
            # bytearray: one allocation instead of two, here and where the writer unpickles it.
            body = PyBytes_FromStringAndSize(NULL, size - 23)
            body_text = PyBytes_AS_STRING(body)  # filled before anyone else sees the object
            body_text[0] = b'{'
            memcpy(body_text + 1, p + 23, size - 24)
            try:
                event = _decode_event(body)
            except _decode_errors:
                event = None
            if event is not None and not _check_event(event, ""):
                event_id = event.id
                ids.append(event_id)
                kind = type(event)
                others = event_checks[kind]
                if others:  # fields other than the id with a pattern (an offence's natinf…)
                    for name, check in others:
                        value = getattr(event, name)
                        if type(value) is str:  # a pattern applies to a string (not to None, in an Optional)
                            later[check].append(value)
                cancels = None
                if kind is _cancellation:
                    cancels = event.cancels
                    cancellations.append((number, event_id))
                day = event.effective_on
                text_day = iso_days.get(day)
                if text_day is None:
                    text_day = _iso_day(day)
                neph = PyUnicode_DecodeASCII(p + 9, 12, NULL)
                rows.append((event_id, neph, text_day, cancels, body))
                row_lines.append(number)
                if neph not in first_event_line:
                    first_event_line[neph] = number
                p += size
                continue
        elif size > 17 and memcmp(p, b'{"type":"holder",', 17) == 0:
            text = PyBytes_FromStringAndSize(p, size)
            try:
                holder = _decode_holder(text)
            except _holder_decode_errors:
                holder = None
            if holder is not None:
                for name, check in _holder_checks:
                    later[check].append(getattr(holder, name))
                holders.append((number, _holder_row(number, holder, extract_id)[2]))
                p += size
                continue
        # Any other line (another layout, a problem): strictly, without its "\n".
        _other_line(checked, number, PyBytes_FromStringAndSize(p, size - (nl != NULL)), extract_id)
        p += size
