"""What `compute` returns: msgspec Structs whose JSON is exactly spec/engine-contract.md.

Field order is the contract's key order; nothing is omitted (nulls are written), so the
same input always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

Kind = Literal["licence_issued", "withdrawal", "single_point_restoration", "full_restoration",
               "ten_year_restoration", "course_credit", "probation_increment", "probation_end",
               "invalidation"]
Status = Literal["valid", "invalidation_pending", "invalidated", "annulled", "suspended"]


class Entry(msgspec.Struct, frozen=True, gc=False):
    """One line of the history or of the calendar."""
    date: dt.date
    kind: Kind
    change: int
    balance: int
    maximum: int
    event_id: str | None
    rule: str
    explanation: str


class Probation(msgspec.Struct, frozen=True, gc=False):
    started_on: dt.date
    ends_on: dt.date
    training: Literal["traditional", "aac", "supervised"]
    increments_blocked: bool
    reduced_by_training: bool


class MandatoryCourse(msgspec.Struct, frozen=True, gc=False):
    offence_id: str
    due_by: dt.date


class Cancelled(msgspec.Struct, frozen=True, gc=False):
    event_id: str
    cancelled_on: dt.date
    reason: str | None


class Result(msgspec.Struct, frozen=True, gc=False):
    as_of: dt.date
    status: Status
    balance: int
    maximum: int
    probation: Probation | None
    history: list[Entry]
    calendar: list[Entry]
    next_course_credit_from: dt.date | None
    mandatory_course: MandatoryCourse | None
    new_licence_not_before: dt.date | None
    cancelled: list[Cancelled]
    policies: dict[str, str]
    warnings: list[str]


_ENCODER = msgspec.json.Encoder()


def to_json(result: Result) -> bytes:
    """The contract's JSON, byte-for-byte deterministic."""
    return _ENCODER.encode(result)


def to_builtins(result: Result) -> dict:
    """The contract's JSON as Python dicts/lists/strings (dates as ISO strings)."""
    return msgspec.to_builtins(result)
