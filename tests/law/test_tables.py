"""The law tables: every value cites its article and a Légifrance URL, versions follow each
other without gap or overlap, and a date outside the covered period is refused."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from backend.law import InvalidRecord, OutsideCoveredPeriod
from backend.law.articles import legifrance_links
from backend.law.tables import PARAMETERS, parameter, value_on

ONE_DAY = dt.timedelta(days=1)


@pytest.mark.parametrize("param", PARAMETERS, ids=[p.name for p in PARAMETERS])
def test_every_version_has_an_article_and_a_legifrance_url(param) -> None:
    assert param.label and param.unit and param.keyed_by
    for version in param.versions:
        assert re.fullmatch(r"[LR]\d{3}-\d+(-\d+)?( et [LR]\d{3}-\d+(-\d+)?)*", version.article), version
        assert version.url.startswith("https://www.legifrance.gouv.fr/"), version.url


@pytest.mark.parametrize("param", PARAMETERS, ids=[p.name for p in PARAMETERS])
def test_versions_have_no_gap_and_no_overlap(param) -> None:
    versions = param.versions
    for earlier, later in zip(versions, versions[1:]):
        assert earlier.effective_until is not None and later.effective_from is not None, param.name
        assert later.effective_from == earlier.effective_until + ONE_DAY, (
            f"{param.name}: {earlier.effective_until} → {later.effective_from} leaves a gap or overlaps")
    for version in versions:
        if version.effective_from and version.effective_until:
            assert version.effective_from <= version.effective_until
    assert versions[-1].effective_until is None, f"{param.name}: the current law must be open-ended"


def test_sweep_every_quarter_finds_exactly_one_version() -> None:
    """Catala's coverage test: across the covered period every date has one applicable version."""
    for param in PARAMETERS:
        start = param.versions[0].effective_from or dt.date(1970, 1, 1)
        day = start
        while day < dt.date(2040, 1, 1):
            assert sum(v.covers(day) for v in param.versions) == 1, (param.name, day)
            day += dt.timedelta(days=91)


@pytest.mark.parametrize(("name", "day", "expected"), [
    ("single_point_delay", dt.date(2006, 12, 31), None),
    ("single_point_delay", dt.date(2007, 1, 1), 12),
    ("single_point_delay", dt.date(2010, 12, 31), 12),
    ("single_point_delay", dt.date(2011, 1, 1), 6),
    ("full_restoration_delay", dt.date(2010, 12, 31), 36),
    ("full_restoration_delay", dt.date(2011, 1, 1), 24),
    ("full_restoration_delay_serious", dt.date(2011, 1, 1), 36),
    ("ten_year_delay", dt.date(2014, 2, 1), 120),
    ("simultaneous_cap", dt.date(2024, 5, 20), 8),
    ("simultaneous_cap_drugs_and_alcohol", dt.date(2025, 7, 10), 8),
    ("simultaneous_cap_drugs_and_alcohol", dt.date(2025, 7, 11), 9),
    ("course_credit", dt.date(2024, 3, 11), 4),
    ("course_interval", dt.date(2011, 3, 14), 24),
    ("course_interval", dt.date(2011, 3, 15), 12),
    ("mandatory_course_delay", dt.date(2023, 8, 1), 4),
    ("new_licence_wait", dt.date(2022, 9, 5), 6),
    ("new_licence_wait_repeat", dt.date(2022, 9, 5), 12),
    ("initial_capital", dt.date(2004, 2, 29), 12),
    ("initial_capital", dt.date(2004, 3, 1), 6),
    ("initial_capital", dt.date(1975, 6, 1), 12),
    ("probation_increment_traditional", dt.date(2007, 12, 30), 0),
    ("probation_increment_traditional", dt.date(2007, 12, 31), 2),
    ("probation_increment_aac", dt.date(2007, 12, 31), 3),
    ("probation_length_traditional", dt.date(2004, 3, 1), 36),
    ("probation_length_aac", dt.date(2004, 3, 1), 24),
    ("probation_length_traditional_training", dt.date(2018, 12, 31), None),
    ("probation_length_traditional_training", dt.date(2019, 1, 1), 24),
    ("probation_length_aac_training", dt.date(2019, 1, 1), 18),
])
def test_values_on_each_side_of_their_dates_of_effect(name, day, expected) -> None:
    assert value_on(name, day) == expected
    assert parameter(name).value_on(day) == expected


@pytest.mark.parametrize("name", ["full_restoration_delay", "single_point_delay", "course_interval",
                                  "simultaneous_cap", "offence_withdraws_points"])
def test_lookup_before_the_covered_period_is_refused_with_a_clear_message(name) -> None:
    first = parameter(name).versions[0].effective_from
    with pytest.raises(OutsideCoveredPeriod) as caught:
        value_on(name, first - ONE_DAY, 'event "o-7"', "established_on")
    assert isinstance(caught.value, InvalidRecord)
    message = str(caught.value)
    assert message.startswith('event "o-7": established_on ')
    assert (first - ONE_DAY).isoformat() in message and "hors de la période couverte" in message
    assert value_on(name, first) is not None or name == "single_point_delay"


def test_legifrance_links_names_every_article_of_a_rule_once() -> None:
    links = legifrance_links("Code de la route, art. L223-1 et L223-6, al. 1 et 2")
    assert [article for article, _ in links] == ["L223-1", "L223-6"]
    assert links[1][1] == "https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000006840966"
    assert legifrance_links("Code de la route, art. R223-8")[0][1].startswith("https://www.legifrance.gouv.fr/search/")
    assert legifrance_links("aucun article") == []
