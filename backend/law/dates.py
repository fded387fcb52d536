"""Calendar arithmetic of the points law, with its one rounding choice made explicit.

The Code de la route counts delays in months and years ("six mois", "deux ans", "dix ans")
from a date such as the payment of a fine. Adding months to a day that does not exist in
the target month (31 August + 6 months, 29 February + 1 year) has no single answer; the
project's rule (points-rules.md §1) is: use the last day of the target month.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
"""The civil time of the service: "today" for a driver, and every date and time a page or a document
prints (a page viewed at 00:30 in Paris is already the next day; a validity counted in months keeps
the Paris clock across the change to summer time)."""

_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_length(year: int, month: int) -> int:
    if month == 2 and (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return 29
    return _DAYS[month - 1]


# Memo tables: a licence file uses few distinct dates, and a service computes many files.
_ADDED: dict[tuple[dt.date, int], dt.date] = {}
_FR: dict[dt.date, str] = {}
_MEMO_LIMIT = 200_000


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` + `months` calendar months; a missing day becomes the month's last day."""
    key = (day, months)
    found = _ADDED.get(key)
    if found is None:
        if len(_ADDED) > _MEMO_LIMIT:
            _ADDED.clear()
        found = _ADDED[key] = _add_months(day, months)
    return found


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = _month_length(year, month)
    return dt.date(year, month, day.day if day.day <= last else last)


def add_years(day: dt.date, years: int) -> dt.date:
    """`day` + `years` calendar years (29 February → 28 February in a common year)."""
    return add_months(day, 12 * years)


def fr(day: dt.date) -> str:
    """A date as French readers write it: 20/03/2025."""
    text = _FR.get(day)
    if text is None:
        if len(_FR) > _MEMO_LIMIT:
            _FR.clear()
        text = _FR[day] = f"{day.day:02d}/{day.month:02d}/{day.year}"
    return text


def duration_fr(months: int) -> str:
    """"6 mois", "1 an", "18 mois", "3 ans" — how the law and drivers name these delays."""
    if months % 12 == 0:
        years = months // 12
        return f"{years} an" if years == 1 else f"{years} ans"
    return f"{months} mois"
