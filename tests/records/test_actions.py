"""« Que faire maintenant ? » (records/actions.py): one instruction per situation, and its one deadline is
the engine's own date — computed by the real engine on the demo showcase files and on hand-made ones."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from backend.law import compute
from backend.law.events import decode_events
from backend.records.actions import actions, course_advice
from backend.records.labels import date_fr
from backend.records.service import LicenceFile
from backend.records.views import balance_view, calendar_view
from backend.demo import generator as demo
from backend.register.feed import Holder
from tests.records.test_views import LICENCE, make_file, offence

SHOWCASE = {holder["neph"]: events for holder, events in demo.showcase()}


def demo_file(neph: str) -> LicenceFile:
    events = decode_events(SHOWCASE[neph])
    holder = Holder(neph=neph, family_name="DEMO", given_names="Test", birth_date=dt.date(1990, 1, 1),
                    birth_place="75056", birth_country="99100", gender="female")
    return LicenceFile(neph=neph, as_of=demo.TODAY, holder=holder, events=events, result=compute(events, demo.TODAY))


def every_text(value) -> str:
    """All the words of a view model, to look for a date anywhere in what the page says."""
    return " ".join(str(v) for v in _walk(msgspec.to_builtins(value)))


def _walk(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)
    else:
        yield value


@pytest.mark.parametrize(("neph", "situation", "engine_date"), [
    ("100000000002", "mandatory_course", lambda r: r.mandatory_course.due_by),
    ("100000000003", "invalidated", lambda r: r.new_licence_not_before),
    ("100000000004", "invalidation_pending", lambda r: None),
    ("100000000005", "annulled", lambda r: r.new_licence_not_before),
    ("100000000006", "suspended", lambda r: dt.date(2027, 1, 15)),  # the suspension's ends_on in the demo feed
])
def test_each_showcase_status_has_one_instruction_whose_deadline_is_the_engines(neph, situation, engine_date):
    file = demo_file(neph)
    decided = actions(file)
    assert decided.main is not None and decided.main.situation == situation
    expected = engine_date(file.result)
    assert (decided.main.deadline.date if decided.main.deadline else None) == expected
    assert decided.deadlines == ((decided.main.deadline,) if expected else ())
    # the calendar keeps the same dates, no other
    assert calendar_view(file).deadlines == decided.deadlines


def test_invalidation_pending_never_shows_the_later_48n_deadline():
    file = demo_file("100000000004")  # probationary, balance 0, a 48N obligation due 2027-02-26
    assert file.result.status == "invalidation_pending" and file.result.mandatory_course is not None
    due = file.result.mandatory_course.due_by
    view = balance_view(file)
    words = every_text(view)
    assert date_fr(due) not in words and due.isoformat() not in words
    main = view.actions.main
    assert main.urgency == "urgent" and main.deadline is None and "48SI" in main.deadline_text
    assert any("48N" in step for step in main.steps)  # the same course discharges it: said without a date
    assert calendar_view(file).deadlines == ()


def test_mandatory_course_deadline_is_estimated_and_says_how():
    file = demo_file("100000000002")
    deadline = actions(file).main.deadline
    assert deadline.estimated and deadline.relation == "before"
    assert "4 mois" in deadline.basis and date_fr(dt.date(2026, 10, 1)) in deadline.basis  # the recording date
    assert [link.text.split(" (")[0] for link in actions(file).main.legal] == [
        "Code de la route, art. L223-6", "Code de la route, art. R223-4", "Code de la route, art. R223-8"]


def test_annulled_and_invalidated_files_do_not_present_a_balance():
    for neph in ("100000000003", "100000000005"):
        assert not balance_view(demo_file(neph)).balance_counts
    assert balance_view(demo_file("100000000002")).balance_counts


def test_a_clean_file_has_nothing_to_do():
    assert actions(demo_file("100000000008")).main is None


def test_course_advice_comes_from_the_engine_within_the_ceiling():
    # probation 3 of 6: a course gives 3, not 4 (ceiling); 11 of 12: 1 point; at the ceiling: none
    assert course_advice(demo_file("100000000002")).points == 3
    assert course_advice(demo_file("100000000001")).points == 1
    full = course_advice(demo_file("100000000008"))
    assert full.points == 0 and not full.possible and "aucun point" in full.text
    # the register is untouched: the hypothetical course lives only in memory
    assert all(e.id != "stage-hypothetique" for e in demo_file("100000000002").events)


def test_course_advice_waits_for_the_once_a_year_rule():
    raw = [LICENCE, offence(1, "2025-01-10", 4),
           {"type": "course", "id": "c1", "first_day": "2025-02-03", "last_day": "2025-02-04"},
           offence(2, "2025-03-10", 4)]
    file = make_file(raw, dt.date(2025, 4, 1))
    assert file.result.next_course_credit_from is not None and file.result.next_course_credit_from > file.as_of
    advice = course_advice(file)
    assert advice.last_day == file.result.next_course_credit_from and advice.points > 0
    assert f"à partir du {date_fr(advice.first_day)}" in advice.text and "Un seul stage par an" in advice.text


def test_calendar_counts_only_entries_that_give_points():
    view = calendar_view(demo_file("100000000002"))  # end of probation (0 points) and a full restoration
    assert len(view.entries) == 2 and view.restorations == 1


@pytest.mark.parametrize("neph", list(SHOWCASE))
def test_every_history_and_calendar_line_has_its_text(neph):
    from backend.records.history import history_view

    file = demo_file(neph)
    lines = history_view(file, show_all=True).lines
    assert lines and all(line.body.strip() for line in lines), [line.title for line in lines if not line.body]
    assert all(entry.body.strip() for entry in calendar_view(file).entries)


def test_a_clean_record_says_so_in_a_sentence():
    from backend.records.history import history_view

    view = history_view(demo_file("100000000008"))  # licence 1980, category 1992: nothing in 10 years
    assert view.lines == ()
    assert view.empty_text.startswith("Aucun événement n'est inscrit sur votre dossier depuis le ")
    assert "de ce type" not in view.empty_text
    assert "de ce type" in history_view(demo_file("100000000008"), kind="stages").empty_text


def test_what_one_more_offence_would_do_is_concrete_and_true():
    from backend.records.actions import _one_more_offence

    assert "l'usage d'un téléphone tenu en main" in _one_more_offence(3)
    assert "(par exemple" not in _one_more_offence(9) and "9 points au total" in _one_more_offence(9)
    probation = actions(demo_file("100000000002"))  # 3 of 6: the note says a 3-point offence empties it
    assert any("3 points ou plus" in note.text for note in probation.notes) or \
        any("3 points ou plus" in step for step in probation.main.steps)
