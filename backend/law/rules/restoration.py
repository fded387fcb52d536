"""Automatic restoration of points — Code de la route, art. L223-6 (points-rules.md §5–§7).

Al. 1–2 (full restoration): « Si le titulaire du permis de conduire n'a pas commis, dans le
délai de deux ans à compter de la date du paiement de la dernière amende forfaitaire, de
l'émission du titre exécutoire de la dernière amende forfaitaire majorée, de l'exécution
de la dernière composition pénale ou de la dernière condamnation définitive, une nouvelle
infraction ayant donné lieu au retrait de points, son permis est affecté du nombre maximal
de points. Le délai est porté à trois ans si l'une des infractions ayant entraîné un
retrait de points est un délit ou une contravention de la quatrième ou de la cinquième
classe. » — read over the whole record since the capital started or since the last full
restoration (CE 21/11/2016 n° 392555); "new offence" = committed inside the window
(CE 04/12/2017 n° 402423), and a later definitive offence restarts the delay.
Al. 3: one point back after six months (one year 2007–2010) for a 1-point offence.
Last al.: contraventions that can be settled by fixed fine come back after ten years.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right

from .. import tables
from ..dates import add_months
from ..events import Offence

RULE_SINGLE = "Code de la route, art. L223-6, al. 3"
RULE_FULL = "Code de la route, art. L223-6, al. 1 et 2"
RULE_FULL_PROBATION = "Code de la route, art. L223-1 et L223-6, al. 1 et 2"
RULE_TEN = "Code de la route, art. L223-6, dernier al."


def exists_between(keys: list[dt.date], low: dt.date, high: dt.date) -> bool:
    """Is there a date strictly between `low` and `high` in the sorted `keys`?"""
    index = bisect_right(keys, low)
    return index < len(keys) and keys[index] < high


def single_point(offence: Offence, committed_keys: list[dt.date]) -> tuple[dt.date, int] | None:
    """(date, delay in months) of the 1-point re-credit, or None (not 1 point, no rule, blocked)."""
    if offence.points != 1:
        return None
    day = offence.established_on
    months = tables.optional_number_on("single_point_delay", day, f'event "{offence.id}"', "established_on")
    if months is None:
        return None
    restored_on = add_months(day, months)
    if exists_between(committed_keys, day, restored_on):
        return None
    return restored_on, months


def full_delay(offence: Offence, since: dt.date, serious_keys: list[dt.date], serious: list[Offence],
               ) -> tuple[int, bool, Offence | None]:
    """(months, established before 2011, the C4/C5/délit offence found since `since` or None)."""
    day = offence.established_on
    if day < tables.LOPPSI_DELAYS:
        return tables.number_on("full_restoration_delay", day), True, None
    index = bisect_left(serious_keys, since)
    found = serious[index] if index < len(serious_keys) and serious_keys[index] <= day else None
    name = "full_restoration_delay_serious" if found is not None else "full_restoration_delay"
    return tables.number_on(name, day), False, found


def full_blocked(day: dt.date, restored_on: dt.date, established_keys: list[dt.date],
                 committed_keys: list[dt.date]) -> bool:
    """Another point-withdrawing offence became definitive, or was committed, inside (day, restored_on)."""
    return exists_between(established_keys, day, restored_on) or exists_between(committed_keys, day, restored_on)


def ten_year(offence: Offence) -> dt.date | None:
    if not offence.is_fixed_fine_eligible:
        return None
    day = offence.established_on
    return add_months(day, tables.number_on("ten_year_delay", day))
