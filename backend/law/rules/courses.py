"""Awareness courses — Code de la route, art. L223-6 al. 4–5, R223-4 and R223-8 (points-rules.md §8)."""

from __future__ import annotations

import datetime as dt

from .. import tables
from ..dates import add_months
from ..events import Course, Offence
from ..result import MandatoryCourse
from .probation import ProbationPlan


def next_credit_from(last_credit_day: dt.date | None) -> dt.date | None:
    """The earliest `last_day` of a new course that the frequency rule lets credit points.

    The interval follows the new course's own last day (2 years before 2011-03-15, 1 year
    from then), so the earliest day is the first that satisfies the version in force then.
    """
    if last_credit_day is None:
        return None
    candidates = []
    for first, last, months in tables.number_ranges("course_interval"):
        day = add_months(last_credit_day, months)
        if day < first:
            day = first
        if day <= last:
            candidates.append(day)
    return min(candidates) if candidates else None


def mandatory_course(plan: ProbationPlan | None, offences: list[Offence], courses: list[Course],
                     ) -> MandatoryCourse | None:
    """The pending 48N obligation with the nearest deadline, if any (R223-4).

    An offence committed during probation that withdraws at least the threshold obliges the
    holder to follow a course within 4 months of the 48N letter; the letter date is not in
    the record, so `recorded_on` stands for it. A voluntary or mandatory course that started
    after the offence became definitive discharges it.
    """
    if plan is None:
        return None
    pending: MandatoryCourse | None = None
    for offence in offences:
        if not (plan.started_on <= offence.committed_on < plan.ends_on):
            continue
        if offence.points < tables.number_on("mandatory_course_threshold", offence.committed_on):
            continue
        if any(c.kind != "judicial" and c.first_day > offence.established_on for c in courses):
            continue
        known_on = offence.recorded_on or offence.established_on
        due_by = add_months(known_on, tables.number_on("mandatory_course_delay", known_on))
        if pending is None or due_by < pending.due_by:
            pending = MandatoryCourse(offence.id, due_by)
    return pending
