"""The licence file as the engine sees it on `as_of`: checked, then the known file (known.py) by rule.

points-rules.md §1: only events known on `as_of` (their `recorded_on`, by default their
effective date) count; §11: what the engine refuses; record-format.md: a cancelled event
is removed from every computation, as if it never existed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from . import tables
from .events import (Annulment, Cancellation, ComplementaryTraining, Course, Event, EventError,
                     InvalidationNotified, InvalidRecord, LicenceIssued, LicenceSurrendered, Offence,
                     Suspension, check_event, duplicate_error)
from .known import KnownFile, known_file
from .result import Cancelled


class Record:
    """Known, non-cancelled events grouped by what the rules need, with indexes for windows."""

    __slots__ = ("events", "offences", "courses", "trainings", "notifications", "surrenders", "annulments",
                 "suspensions", "licences", "cancelled", "committed_keys", "by_committed", "established_keys",
                 "serious_keys", "serious")

    # Set by `prepare` once the offences are known (slots, so no class attribute is created here).
    by_committed: list[Offence]           # point-withdrawing offences by committed_on
    committed_keys: list[dt.date]         # their committed_on, in that order
    established_keys: list[dt.date]       # their established_on, sorted
    serious: list[Offence]                # those of the classes that lengthen the full-restoration delay
    serious_keys: list[dt.date]           # their established_on, in that order

    def __init__(self) -> None:
        self.events: list[tuple[int, Event]] = []
        self.offences: list[Offence] = []          # point-withdrawing only
        self.courses: list[Course] = []
        self.trainings: list[ComplementaryTraining] = []
        self.notifications: list[InvalidationNotified] = []
        self.surrenders: list[LicenceSurrendered] = []
        self.annulments: list[Annulment] = []
        self.suspensions: list[Suspension] = []
        self.licences: list[LicenceIssued] = []
        self.cancelled: list[Cancelled] = []


_WITHDRAWALS_FROM = tables.covered_from("offence_withdraws_points")
_DELAYS_FROM = tables.covered_from("full_restoration_delay")
_COURSES_FROM = tables.covered_from("course_interval")


def _ref(event: Event) -> str:
    return f'event "{event.id}"'


def problems(events: Sequence[Event], other_ids: frozenset[str] = frozenset(),
             ) -> tuple[list[EventError], list[EventError]]:
    """(invalid, outside covered period) problems of the whole file, whatever `as_of` (points-rules.md §1, §11).

    `other_ids`: ids of events that failed to decode, so that a cancellation of one of them
    is not also reported as a cancellation of an unknown event.
    """
    invalid, outside, _ = _check(events, other_ids)
    return invalid, outside


def _check(events: Sequence[Event], other_ids: frozenset[str],
           ) -> tuple[list[EventError], list[EventError], dt.date | None]:
    """`problems`, and the `issued_on` of the first licence (for the `as_of` check) from the same pass."""
    invalid: list[EventError] = []
    outside: list[EventError] = []
    by_id: dict[str, Event] = {}
    licences: list[LicenceIssued] = []
    closings: list[dt.date] = []  # effective dates of the notifications and annulments
    has_cancellation = False
    # `type(event) is …` rather than a variable holding the type: mypy narrows `event` only on the former.
    for event in events:
        first = by_id.get(event.id)
        if first is not None:
            if first != event:
                invalid.append(duplicate_error(event))
            continue  # identical: the same event given twice, counted once
        by_id[event.id] = event
        found = check_event(event, "")
        if found:  # the reference is only formatted when there is something to report
            invalid.extend(EventError(_ref(event), p.field, p.message) for p in found)
        if type(event) is LicenceIssued:
            licences.append(event)
        elif type(event) is InvalidationNotified or type(event) is Annulment:
            closings.append(event.effective_on)
        elif type(event) is Cancellation:
            has_cancellation = True
    first_licence = min((lic.issued_on for lic in licences), default=None)
    for event in by_id.values():
        if type(event) is Offence:
            if first_licence is None or event.established_on < first_licence:
                invalid.append(EventError(_ref(event), "established_on", f"offence established on "
                                          f"{event.established_on} without a licence_issued on or before that date"))
            # Fast path: the first covered days of the two tables; the lookups build the message.
            if event.points > 0 and (event.committed_on < _WITHDRAWALS_FROM or event.established_on < _DELAYS_FROM):
                ref = _ref(event)
                try:
                    tables.value_on("offence_withdraws_points", event.committed_on, ref, "committed_on")
                    tables.value_on("full_restoration_delay", event.established_on, ref, "established_on")
                except tables.OutsideCoveredPeriod as exc:
                    outside.extend(exc.problems)
        elif type(event) is Course and event.last_day < _COURSES_FROM:
            # Every kind, judicial included: a course before the period covered is outside it (§11).
            try:
                tables.value_on("course_interval", event.last_day, _ref(event), "last_day")
            except tables.OutsideCoveredPeriod as exc:
                outside.extend(exc.problems)
    if len(licences) > 1:
        invalid.extend(_later_licence_problems(licences, closings))
    if has_cancellation:
        invalid.extend(_cancellation_problems(by_id, other_ids))
    return invalid, outside, first_licence


def _later_licence_problems(licences: list[LicenceIssued], closings: list[dt.date]) -> list[EventError]:
    """A later licence_issued needs an invalidation_notified or annulment effective between the previous
    licence and its own `issued_on` (record-format.md). Whether that notification had any effect on the
    points is a question of the replay (a warning, points-rules.md §9), never of validity."""
    found = []
    ordered = sorted(licences, key=lambda lic: lic.issued_on)
    for previous, licence in zip(ordered, ordered[1:]):
        if not any(previous.issued_on <= day <= licence.issued_on for day in closings):
            found.append(EventError(_ref(licence), "issued_on", (
                f"licence issued on {licence.issued_on} without an invalidation_notified or annulment between the "
                f"previous licence \"{previous.id}\" ({previous.issued_on}) and that date (a later licence_issued "
                "is only valid after one) — nouveau permis sans invalidation ni annulation du précédent")))
    return found


def _cancellation_problems(by_id: dict[str, Event], other_ids: frozenset[str]) -> list[EventError]:
    """Cancellations of unknown events, and cycles of cancellations (points-rules.md §11)."""
    found = []
    cancels = {e.id: e.cancels for e in by_id.values() if type(e) is Cancellation}
    for event_id, target in cancels.items():
        if target not in by_id and target not in other_ids:
            found.append(EventError(f'event "{event_id}"', "cancels", f"cancels {target!r}, which is not an event "
                                    "of this file"))
    reported: set[str] = set()
    for start in cancels:
        if start in reported or cancels[start] == start:  # an event cancelling itself: check_event says so
            continue
        chain, current = [start], cancels[start]
        while current in cancels and current not in chain and current not in reported:
            chain.append(current)
            current = cancels[current]
        if current == start:
            reported.update(chain)
            path = " → ".join(f'"{i}"' for i in chain + [start])
            found.append(EventError(f'event "{start}"', "cancels", (
                f"cancels {cancels[start]!r}, and the chain of cancellations {path} comes back to it: a cycle of "
                "cancellations cannot be resolved; the register must correct one of them — annulations en boucle")))
    return found




def prepare(events: Sequence[Event], as_of: dt.date) -> tuple[Record, KnownFile]:
    """Check the file (raise InvalidRecord / OutsideCoveredPeriod), then keep what counts on `as_of`."""
    invalid, outside, first_licence = _check(events, frozenset())
    if invalid:
        raise InvalidRecord(invalid + outside)
    if outside:
        raise tables.OutsideCoveredPeriod(outside)
    if first_licence is not None and as_of < first_licence:
        # No licence to compute on that date (points-rules.md §1, §11); the contract's message, as is.
        raise InvalidRecord([EventError("", "as_of", f"as_of {as_of} is before the licence was issued on "
                                        f"{first_licence}")])
    known = known_file(events, as_of)
    record = Record()
    # Each kind's list, by the event's exact type (medical visits and categories go to none).
    buckets: dict[type, list[Any]] = {
        Offence: record.offences, Course: record.courses, LicenceIssued: record.licences,
        ComplementaryTraining: record.trainings, InvalidationNotified: record.notifications,
        LicenceSurrendered: record.surrenders, Annulment: record.annulments, Suspension: record.suspensions}
    for index, event in enumerate(known.in_force):
        if type(event) is Offence and event.points == 0:
            continue  # withdraws nothing, counts nowhere (points-rules.md §4)
        record.events.append((index, event))
        bucket = buckets.get(type(event))
        if bucket is not None:
            bucket.append(event)
    record.cancelled = known.cancelled
    by_committed = sorted(record.offences, key=lambda o: o.committed_on)
    record.by_committed = by_committed
    record.committed_keys = [o.committed_on for o in by_committed]
    record.established_keys = sorted(o.established_on for o in record.offences)
    index_serious(record)
    return record, known


def index_serious(record: Record) -> None:
    """Offences of the classes that lengthen the full-restoration delay, by established_on."""
    classes = tables.text_on("serious_classes", tables.LOPPSI_DELAYS).split()
    serious = sorted((o for o in record.offences if o.offence_class in classes), key=lambda o: o.established_on)
    record.serious = serious
    record.serious_keys = [o.established_on for o in serious]
