"""The licence file as the engine sees it on `as_of`: checked, cut off, cancellations applied.

points-rules.md §1: only events known on `as_of` (their `recorded_on`, by default their
effective date) count; §11: what the engine refuses; record-format.md: a cancelled event
is removed from every computation, as if it never existed.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from . import tables
from .events import (Annulment, Cancellation, ComplementaryTraining, Course, Event, EventError,
                     InvalidationNotified, InvalidRecord, LicenceIssued, LicenceSurrendered, Offence,
                     Suspension, check_event)
from .result import Cancelled


class Record:
    """Known, non-cancelled events grouped by what the rules need, with indexes for windows."""

    __slots__ = ("events", "offences", "courses", "trainings", "notifications", "surrenders", "annulments",
                 "suspensions", "licences", "cancelled", "committed_keys", "by_committed", "established_keys",
                 "serious_keys", "serious")

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


_WITHDRAWALS_FROM = tables.parameter("offence_withdraws_points").versions[0].effective_from
_DELAYS_FROM = tables.parameter("full_restoration_delay").versions[0].effective_from
_COURSES_FROM = tables.parameter("course_interval").versions[0].effective_from


def _ref(event: Event) -> str:
    return f'event "{event.id}"'


def problems(events: Sequence[Event], other_ids: frozenset[str] = frozenset(),
             ) -> tuple[list[EventError], list[EventError]]:
    """(invalid, outside covered period) problems of the whole file, whatever `as_of`.

    `other_ids`: ids of events that failed to decode, so that a cancellation of one of them
    is not also reported as a cancellation of an unknown event.
    """
    invalid: list[EventError] = []
    outside: list[EventError] = []
    ids: set[str] = set()
    first_licence: dt.date | None = None
    for event in events:
        if type(event) is LicenceIssued and (first_licence is None or event.issued_on < first_licence):
            first_licence = event.issued_on
    for event in events:
        kind = type(event)
        if event.id in ids:
            invalid.append(EventError(_ref(event), "id", f"id {event.id!r} appears more than once"))
        ids.add(event.id)
        found = check_event(event, "")
        if found:  # the reference is only formatted when there is something to report
            invalid.extend(EventError(_ref(event), p.field, p.message) for p in found)
        if kind is Offence:
            ref = _ref(event)
            if first_licence is None or event.established_on < first_licence:
                invalid.append(EventError(ref, "established_on", f"offence established on {event.established_on} "
                                          "without a licence_issued on or before that date"))
            # Fast path: the first covered days of the two tables; the lookups build the message.
            if event.points > 0 and (event.committed_on < _WITHDRAWALS_FROM or event.established_on < _DELAYS_FROM):
                try:
                    tables.value_on("offence_withdraws_points", event.committed_on, ref, "committed_on")
                    tables.value_on("full_restoration_delay", event.established_on, ref, "established_on")
                except tables.OutsideCoveredPeriod as exc:
                    outside.extend(exc.problems)
        elif kind is Course and event.kind != "judicial" and event.last_day < _COURSES_FROM:
            try:
                tables.value_on("course_interval", event.last_day, _ref(event), "last_day")
            except tables.OutsideCoveredPeriod as exc:
                outside.extend(exc.problems)
    for event in events:
        if type(event) is Cancellation and event.cancels not in ids and event.cancels not in other_ids:
            invalid.append(EventError(_ref(event), "cancels", f"cancels {event.cancels!r}, which is not an event "
                                      "of this file"))
    return invalid, outside


def prepare(events: Sequence[Event], as_of: dt.date) -> Record:
    """Check the file (raise InvalidRecord / OutsideCoveredPeriod), then keep what counts on `as_of`."""
    invalid, outside = problems(events)
    if invalid:
        raise InvalidRecord(invalid + outside)
    if outside:
        raise tables.OutsideCoveredPeriod(outside)
    known = [(i, e) for i, e in enumerate(events) if (e.recorded_on or e.effective_on) <= as_of]
    cancellations = [e for _, e in known if type(e) is Cancellation]
    removed: dict[str, Cancellation] = {}
    if cancellations:
        # A cancelled cancellation has no effect (one level; the register never chains more).
        targeted = {c.cancels for c in cancellations}
        for c in cancellations:
            if c.id not in targeted:
                removed[c.cancels] = c
    record = Record()
    buckets = {Offence: record.offences, Course: record.courses, LicenceIssued: record.licences,
               ComplementaryTraining: record.trainings, InvalidationNotified: record.notifications,
               LicenceSurrendered: record.surrenders, Annulment: record.annulments, Suspension: record.suspensions}
    for index, event in known:
        kind = type(event)
        if kind is Cancellation or (removed and event.id in removed):
            continue
        if kind is Offence and event.points == 0:
            continue  # withdraws nothing, counts nowhere (points-rules.md §4)
        record.events.append((index, event))
        bucket = buckets.get(kind)
        if bucket is not None:
            bucket.append(event)
    for target, c in removed.items():
        record.cancelled.append(Cancelled(target, c.cancelled_on, c.reason))
    record.cancelled.sort(key=lambda c: (c.cancelled_on, c.event_id))
    by_committed = sorted(record.offences, key=lambda o: o.committed_on)
    record.by_committed = by_committed
    record.committed_keys = [o.committed_on for o in by_committed]
    record.established_keys = sorted(o.established_on for o in record.offences)
    index_serious(record)
    return record


def index_serious(record: Record) -> None:
    """Offences of the classes that lengthen the full-restoration delay, by established_on."""
    classes = tables.value_on("serious_classes", tables.LOPPSI_DELAYS).split()
    serious = sorted((o for o in record.offences if o.offence_class in classes), key=lambda o: o.established_on)
    record.serious = serious
    record.serious_keys = [o.established_on for o in serious]
