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
                           since: dt.date) -> tuple[dt.date | None, list[dt.date]]:
    """(date from which a new licence may be obtained, or None while the licence is not handed in;
    the surrenders of this licence dated before the 48SI letter, which do not start the wait).

    The wait runs from the first surrender on or after the notification (L223-5: the licence is
    handed in once the holder is ordered to do so, points-rules.md §9); `since` is the issue date
    of the invalidated licence (an earlier surrender belongs to an earlier licence).
    """
    current = invalidated_on[-1]
    early = sorted(s.surrendered_on for s in surrenders if since <= s.surrendered_on < current)
    handed_in = [s.surrendered_on for s in surrenders if s.surrendered_on >= current]
    if not handed_in:
        return None, early
    surrendered_on = min(handed_in)
    window = tables.number_on("repeat_invalidation_window", current)
    earliest_previous = add_months(current, -window)
    repeat = any(earliest_previous <= day < current for day in invalidated_on[:-1])
    months = tables.number_on("new_licence_wait_repeat" if repeat else "new_licence_wait", surrendered_on)
    return add_months(surrendered_on, months), early
