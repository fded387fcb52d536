"""Date arithmetic of the delays: calendar months and years, month ends clamped (points-rules.md §1)."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.law.dates import add_months, add_years, duration_fr, fr

D = dt.date


@pytest.mark.parametrize(("start", "months", "expected"), [
    (D(2025, 3, 20), 6, D(2025, 9, 20)),
    (D(2025, 8, 31), 6, D(2026, 2, 28)),      # the spec's own example
    (D(2021, 8, 31), 6, D(2022, 2, 28)),      # scenario 22
    (D(2023, 8, 31), 6, D(2024, 2, 29)),      # leap year: 29 February exists
    (D(2024, 1, 31), 1, D(2024, 2, 29)),
    (D(2025, 1, 31), 1, D(2025, 2, 28)),
    (D(2025, 5, 31), 4, D(2025, 9, 30)),
    (D(2024, 12, 15), 1, D(2025, 1, 15)),     # year change
    (D(2025, 2, 28), -6, D(2024, 8, 28)),
    (D(2025, 3, 31), -1, D(2025, 2, 28)),
    (D(2022, 3, 1), 18, D(2023, 9, 1)),       # AAC probation with the training
])
def test_add_months_clamps_to_the_last_day_of_the_month(start, months, expected) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(("start", "years", "expected"), [
    (D(2020, 2, 29), 1, D(2021, 2, 28)),
    (D(2020, 2, 29), 3, D(2023, 2, 28)),
    (D(2020, 2, 29), 4, D(2024, 2, 29)),
    (D(2014, 2, 1), 10, D(2024, 2, 1)),
    (D(2099, 2, 28), 1, D(2100, 2, 28)),      # 2100 is not a leap year
    (D(1996, 2, 29), 4, D(2000, 2, 29)),      # 2000 is
])
def test_add_years_and_29_february(start, years, expected) -> None:
    assert add_years(start, years) == expected


def test_every_day_of_four_years_plus_six_months_lands_in_the_right_month() -> None:
    day = D(2020, 1, 1)
    while day < D(2024, 1, 1):
        later = add_months(day, 6)
        assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == 6
        assert later.day == day.day or (later.day < day.day and (later + dt.timedelta(days=1)).day == 1)
        day += dt.timedelta(days=1)


def test_french_forms() -> None:
    assert fr(D(2025, 3, 2)) == "02/03/2025"
    assert [duration_fr(m) for m in (6, 12, 18, 24, 36)] == ["6 mois", "1 an", "18 mois", "2 ans", "3 ans"]
