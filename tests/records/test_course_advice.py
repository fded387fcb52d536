"""What a course would give (records/actions.py): `course_advice` answers a file whose ceiling cannot
move (`ceiling_fixed`) without the engine's second run; `course_advice_by_engine`, the reference, always
asks the engine. Both give the same advice on every worked case, on thousands of generated files and on
the edges of the short path."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from backend.demo import generator as demo
from backend.demo.life import generate_holder
from backend.law.events import InvalidRecord
from backend.records.actions import HYPOTHETICAL_ID, ceiling_fixed, course_advice, course_advice_by_engine
from backend.records.service import LicenceFile
from tests.law.test_shared_scenarios import SCENARIOS as SHARED_SCENARIOS
from tests.law.test_project_scenarios import SCENARIOS as PROJECT_SCENARIOS
from tests.records.test_views import LICENCE, make_file, offence

KINDS = ("voluntary", "mandatory")


def short_path_taken(file: LicenceFile) -> bool:
    """Whether `course_advice` answers `file` without the engine (for the course it advises)."""
    result, last_day = file.result, course_advice(file).last_day
    # (ceiling_fixed itself refuses invalidated and annulled licences)
    return result is not None and last_day is not None and ceiling_fixed(file, result, last_day + dt.timedelta(days=1))


def same_advice(file: LicenceFile) -> bool:
    """Both paths agree for both kinds of course; returns whether the short path answered."""
    for kind in KINDS:
        assert course_advice(file, kind) == course_advice_by_engine(file, kind), (file.neph, file.as_of, kind)
    return short_path_taken(file)


def days_around(as_of: dt.date) -> list[dt.date]:
    return [as_of, as_of + dt.timedelta(days=200), as_of + dt.timedelta(days=3 * 365 + 40)]


def test_every_worked_case_on_several_days() -> None:
    short = 0
    files = 0
    for path in [*SHARED_SCENARIOS, *PROJECT_SCENARIOS]:
        case = json.loads(path.read_text(encoding="utf-8"))
        if "events" not in case or "as_of" not in case:
            continue
        for day in days_around(dt.date.fromisoformat(case["as_of"])):
            try:
                file = make_file(case["events"], day)
            except InvalidRecord:  # an event that does not decode: a refusal case, no advice to give
                continue
            files += 1
            short += same_advice(file)
    assert files >= 150
    assert 0 < short < files  # both paths exercised


def test_generated_files_agree() -> None:
    rng = random.Random(7)
    short = 0
    count = 2000
    for index in range(count):
        _, events = generate_holder(rng, index + 10)
        short += same_advice(make_file(events, demo.TODAY))
    assert count * 0.3 < short < count  # most files at 12 of 12 take the short path, the others the engine


def test_showcase_files_agree() -> None:
    for _, events in demo.showcase():
        same_advice(make_file(events, demo.TODAY))


AS_OF = dt.date(2026, 3, 2)


def full_file(*later: dict) -> list[dict]:
    """A licence of 2005 whose only offence (2 points, 2015) has long been restored: 12 of 12 on AS_OF."""
    return [LICENCE, offence(1, "2015-01-10", 2), *later]


def test_a_file_at_its_ceiling_takes_the_short_path_and_gains_nothing() -> None:
    file = make_file(full_file(), AS_OF)
    assert file.result.balance == file.result.maximum == 12
    assert short_path_taken(file)
    advice = course_advice(file)
    assert advice == course_advice_by_engine(file)
    assert not advice.possible and advice.points == 0 and "plafond de 12 points" in advice.text
    assert advice.first_day == AS_OF + dt.timedelta(days=1)


def test_an_offence_the_register_records_tomorrow_is_left_to_the_engine() -> None:
    # established before AS_OF, recorded the day after: unknown on AS_OF (12 of 12), known when a course
    # started tomorrow would be credited, which then gives points back
    late = {**offence(2, "2026-02-20", 4), "recorded_on": (AS_OF + dt.timedelta(days=1)).isoformat()}
    file = make_file(full_file(late), AS_OF)
    assert file.result.balance == 12
    assert not short_path_taken(file)
    advice = course_advice(file)
    assert advice == course_advice_by_engine(file)
    assert advice.possible and advice.points == 4


def test_an_event_with_the_hypothetical_id_is_left_to_the_engine() -> None:
    clash = {"type": "course", "id": HYPOTHETICAL_ID, "first_day": "2016-02-03", "last_day": "2016-02-04"}
    file = make_file(full_file(clash), AS_OF)
    assert file.result is not None and file.result.balance == 12
    assert not short_path_taken(file)
    assert course_advice(file) == course_advice_by_engine(file)
    assert "ne pouvons pas calculer" in course_advice(file).text


@pytest.mark.parametrize("months", [1, 30])
def test_probationary_licences_are_below_the_ceiling_and_left_to_the_engine(months: int) -> None:
    issued = AS_OF - dt.timedelta(days=months * 30)
    licence = {**LICENCE, "issued_on": issued.isoformat(), "kind": "first"}
    file = make_file([licence], AS_OF)
    assert file.result.probation is not None
    assert not short_path_taken(file)
    assert course_advice(file) == course_advice_by_engine(file)
