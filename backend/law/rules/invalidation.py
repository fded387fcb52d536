"""Invalidation and the wait before a new licence — Code de la route, art. L223-5 (points-rules.md §9).

L223-5 II: no new licence before six months from the day the invalidated licence was
handed in, one year when a further invalidation occurs within five years of the previous one.
"""

from __future__ import annotations

import datetime as dt

from .. import tables
from ..dates import add_months
from ..events import LicenceSurrendered


def new_licence_not_before(invalidated_on: list[dt.date], surrenders: list[LicenceSurrendered],
                           since: dt.date) -> dt.date | None:
    """Date from which a new licence may be obtained, or None while the licence is not handed in."""
    current = invalidated_on[-1]
    handed_in = [s.surrendered_on for s in surrenders if s.surrendered_on >= since]
    if not handed_in:
        return None
    surrendered_on = max(handed_in)
    window = tables.value_on("repeat_invalidation_window", current)
    earliest_previous = add_months(current, -window)
    repeat = any(earliest_previous <= day < current for day in invalidated_on[:-1])
    months = tables.value_on("new_licence_wait_repeat" if repeat else "new_licence_wait", surrendered_on)
    return add_months(surrendered_on, months)
