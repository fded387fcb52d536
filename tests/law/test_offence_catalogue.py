"""The simulator's offence catalogue (backend/law/offences.py) against the law tables and the events'
own limits: every version is an offence the engine accepts, with the points the dated barème gives."""

from __future__ import annotations

import datetime as dt
import typing

import msgspec
import pytest

from backend.law import compute, tables
from backend.law.events import MAX_POINTS, MAX_POINTS_DRUGS_AND_ALCOHOL, LicenceIssued, Offence, OffenceClass
from backend.law.offences import BY_KEY, CATALOGUE, CATALOGUE_START, GROUPS, offence_event

D = dt.date
CLASSES = set(typing.get_args(OffenceClass))


def test_versions_are_contiguous_and_start_within_the_points_law():
    for offence in CATALOGUE:
        assert offence.group in GROUPS, offence.key
        assert offence.versions[0].effective_from >= max(CATALOGUE_START, tables.POINTS_START), offence.key
        assert offence.versions[-1].effective_until is None, f"{offence.key}: the last version must be open"
        for before, after in zip(offence.versions, offence.versions[1:]):
            assert before.effective_until == after.effective_from - dt.timedelta(days=1), offence.key


@pytest.mark.parametrize("offence", CATALOGUE, ids=lambda o: o.key)
def test_points_and_classes_are_within_the_law(offence):
    for version in offence.versions:
        assert version.offence_class in CLASSES
        assert version.article.split()[0][0] in "LR", "an article of the Code de la route"
        if version.drugs_and_alcohol:
            cap = tables.value_on("simultaneous_cap_drugs_and_alcohol", version.effective_from)
            assert version.points <= MAX_POINTS_DRUGS_AND_ALCOHOL and version.points <= cap
        else:
            assert 0 <= version.points <= MAX_POINTS
        # C5 and délits never go through the amende forfaitaire (no ten-year re-credit).
        if version.offence_class in ("C5", "DELIT"):
            assert not version.fixed_fine_eligible, (offence.key, version)


@pytest.mark.parametrize("offence", CATALOGUE, ids=lambda o: o.key)
def test_every_version_is_an_event_the_engine_computes(offence):
    for version in offence.versions:
        committed = max(version.effective_from, D(2011, 1, 1))
        if version.effective_until is not None and committed > version.effective_until:
            committed = version.effective_from
        event = offence_event(offence.key, event_id="sim-1", committed_on=committed,
                              established_on=committed + dt.timedelta(days=20), established_by="fixed_fine_paid")
        decoded = msgspec.json.decode(msgspec.json.encode(event), type=Offence)  # the strict decoder accepts it
        assert decoded == event
        licence = LicenceIssued(id="l-1", issued_on=D(1990, 1, 1))
        as_of = committed + dt.timedelta(days=30)
        result = compute([licence, event], as_of)
        assert result.balance == 12 - event.points, (offence.key, version)


@pytest.mark.parametrize(("key", "committed", "established", "points", "klass"), [
    ("phone_handheld", D(2011, 12, 20), D(2012, 2, 1), 2, "C2"),   # the barème of the day of the offence
    ("phone_handheld", D(2012, 1, 5), D(2012, 2, 1), 3, "C4"),
    ("pedestrian", D(2018, 9, 18), D(2018, 10, 1), 4, "C4"),
    ("pedestrian", D(2018, 9, 19), D(2018, 10, 1), 6, "C4"),
    ("speed_lt5_over50", D(2023, 12, 1), D(2023, 12, 31), 1, "C3"),
    ("speed_lt5_over50", D(2023, 12, 1), D(2024, 1, 1), 0, "C3"),  # the lenient change follows established_on
    ("speed_5_20_upto50", D(2026, 1, 10), D(2026, 2, 1), 1, "C4"),  # 1 point, yet a C4 (3-year rule)
    ("indicator", D(2026, 1, 10), D(2026, 2, 1), 3, "C2"),          # 3 points, yet a C2
    ("drugs_alcohol", D(2025, 7, 10), D(2025, 9, 1), 6, "DELIT"),
    ("drugs_alcohol", D(2025, 7, 11), D(2025, 9, 1), 9, "DELIT"),
    ("speed_50plus", D(2025, 12, 28), D(2026, 2, 1), 6, "C5"),
    ("speed_50plus", D(2025, 12, 29), D(2026, 2, 1), 6, "DELIT"),
    ("seatbelt", D(2003, 3, 31), D(2003, 5, 1), 1, "C2"),
    ("seatbelt", D(2003, 4, 1), D(2003, 5, 1), 3, "C4"),
])
def test_dated_rows_of_the_catalogue(key, committed, established, points, klass):
    terms = BY_KEY[key].terms(committed, established)
    assert (terms.points, terms.offence_class) == (points, klass)


def test_an_offence_before_it_existed_is_refused_in_french():
    with pytest.raises(tables.OutsideCoveredPeriod) as caught:
        BY_KEY["earpiece"].terms(D(2015, 6, 27), D(2015, 8, 1))
    assert "28 juin 2015" in str(caught.value)
