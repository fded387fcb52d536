"""View models: what each page says, computed by the real engine from dated events."""

from __future__ import annotations

import datetime as dt

from backend.law import compute
from backend.law.events import InvalidRecord, decode_events
from backend.records.history import history_view
from backend.records.labels import date_fr
from backend.records.service import LicenceFile, _french_reason
from backend.records.views import balance_view, calendar_view, licence_view
from backend.register.feed import Holder
from backend.rendering.templating import points, signed_points

HOLDER = Holder(neph="123456789012", family_name="PETIT", given_names="Noé", birth_date=dt.date(1980, 1, 2),
                birth_place="75056", birth_country="99100", gender="male")
LICENCE = {"type": "licence_issued", "id": "l1", "issued_on": "2000-05-02", "categories": ["B"]}


def offence(i: int, established_on: str, points: int, offence_class: str = "C4", committed_on: str | None = None) -> dict:
    day = dt.date.fromisoformat(established_on)
    return {"type": "offence", "id": f"o{i}", "committed_on": committed_on or (day - dt.timedelta(days=30)).isoformat(),
            "established_on": established_on, "established_by": "fixed_fine_paid", "points": points,
            "offence_class": offence_class, "label": f"Infraction numéro {i}", "place": "Paris (75)"}


def make_file(raw: list[dict], as_of: dt.date) -> LicenceFile:
    events = decode_events(raw)
    try:
        result, problem = compute(events, as_of), None
    except InvalidRecord as exc:
        result, problem = None, "; ".join(_french_reason(p) for p in exc.problems)
    return LicenceFile(neph=HOLDER.neph, as_of=as_of, holder=HOLDER, events=events, result=result, problem=problem,
                       extracted_at=None)


def test_french_words_for_dates_and_points():
    assert date_fr(dt.date(2025, 3, 1)) == "1er mars 2025"
    assert date_fr("2025-12-31") == "31 décembre 2025"
    assert date_fr(None) == ""
    assert points(0) == "0 point" and points(1) == "1 point" and points(2) == "2 points"
    assert signed_points(-3) == "\u22123 points" and signed_points(1) == "+1 point"


def test_zero_balance_says_invalidation_is_pending_and_a_course_can_still_help():
    file = make_file([LICENCE, offence(1, "2025-01-10", 6), offence(2, "2025-02-10", 6, "DELIT")], dt.date(2025, 3, 1))
    view = balance_view(file)
    assert view.balance == 0 and view.status == "invalidation_pending"
    action = view.actions.main
    assert action.situation == "invalidation_pending" and action.urgency == "urgent"
    assert "avant la lettre 48SI" in action.title and action.deadline is None
    assert "48SI" in action.deadline_text and "stage" in action.instruction
    calendar = calendar_view(file)
    assert calendar.entries == () and "lettre 48SI" in calendar.empty_reason


def test_invalidated_licence_says_from_when_a_new_licence_is_possible():
    raw = [LICENCE, offence(1, "2025-01-10", 6), offence(2, "2025-02-10", 6, "DELIT"),
           {"type": "invalidation_notified", "id": "n1", "notified_on": "2025-03-15"},
           {"type": "licence_surrendered", "id": "s1", "surrendered_on": "2025-03-20"}]
    file = make_file(raw, dt.date(2025, 4, 1))
    view = balance_view(file)
    assert view.status == "invalidated"
    deadline = view.actions.main.deadline
    assert deadline.date == dt.date(2025, 9, 20) == file.result.new_licence_not_before
    assert deadline.label == "Nouveau permis possible à partir du"
    later = balance_view(make_file(raw, dt.date(2025, 10, 1)))
    assert later.actions.main.deadline.label == "Nouveau permis possible depuis le"
    assert "Un stage ne peut plus" in view.course.text and not view.balance_counts
    assert licence_view(file).categories[0].validity == "non valide (permis invalidé)"
    titles = [line.title for line in history_view(file).lines]
    assert titles[:2] == ["Permis remis à la préfecture", "Invalidation du permis (lettre 48SI)"]


def test_a_file_the_engine_refuses_is_still_listed_with_the_reason():
    # The points regime before 1992 is not modelled: the engine refuses rather than guess.
    old_licence = {**LICENCE, "issued_on": "1985-05-02"}
    file = make_file([old_licence, offence(1, "1991-01-10", 2)], dt.date(2025, 3, 1))
    assert file.result is None
    view = balance_view(file)
    assert not view.computed
    assert view.problem == ("date hors de la période couverte par la loi modélisée (infractions entraînant "
                            "retrait de points : à partir du 01/07/1992)")
    lines = history_view(file).lines
    assert lines == ()  # older than ten years
    lines = history_view(file, show_all=True).lines
    assert [line.title for line in lines] == ["Infraction numéro 1", "Premier permis, formation traditionnelle"]


def test_offence_without_points_and_judicial_course_are_listed_without_points():
    raw = [LICENCE, offence(1, "2024-06-10", 0, "C1"),
           {"type": "course", "id": "c1", "first_day": "2024-09-02", "last_day": "2024-09-03", "kind": "judicial"}]
    lines = history_view(make_file(raw, dt.date(2025, 1, 1)), show_all=True).lines
    by_title = {line.title: line for line in lines}
    assert by_title["Infraction numéro 1"].kind_label == "Infraction sans retrait de points"
    assert by_title["Stage ordonné par la justice"].body.endswith("ne donne pas de points.")
    assert by_title["Stage ordonné par la justice"].group == "stages"


def test_history_is_newest_first_filtered_and_windowed():
    raw = [LICENCE, offence(1, "2012-03-10", 3), offence(2, "2024-03-10", 2)]
    file = make_file(raw, dt.date(2025, 1, 1))
    recent = history_view(file)
    dates = [line.date for line in recent.lines]
    assert dates == sorted(dates, reverse=True)
    assert all(day >= dt.date(2015, 1, 1) for day in dates)
    assert recent.hidden_older >= 2  # the 2000 licence and the 2012 withdrawal
    everything = history_view(file, show_all=True)
    assert len(everything.lines) == len(recent.lines) + recent.hidden_older
    withdrawals = history_view(file, kind="retraits", show_all=True)
    assert {line.kind for line in withdrawals.lines} == {"withdrawal"}
    assert history_view(file, kind="n'importe quoi").kind == "tout"


def test_history_and_licence_page_follow_the_engine_through_a_cancellation_of_a_cancellation():
    """points-rules.md §1: x2 cancels x1, which cancelled o1 — o1 is in force again, withdrawn once."""
    raw = [LICENCE, offence(1, "2024-03-10", 3),
           {"type": "cancellation", "id": "x1", "cancels": "o1", "cancelled_on": "2024-05-01"},
           {"type": "cancellation", "id": "x2", "cancels": "x1", "cancelled_on": "2024-07-01"},
           {"type": "suspension", "id": "s1", "starts_on": "2024-08-01", "suspension_kind": "administrative"},
           {"type": "cancellation", "id": "x3", "cancels": "s1", "cancelled_on": "2024-09-01"},
           {"type": "cancellation", "id": "x4", "cancels": "x3", "cancelled_on": "2024-10-01"}]
    file = make_file(raw, dt.date(2025, 1, 1))
    assert file.result.balance == 9 and [c.event_id for c in file.result.cancelled] == ["x1", "x3"]
    lines = [line for line in history_view(file, show_all=True).lines if line.title == "Infraction numéro 1"]
    assert len(lines) == 1 and not lines[0].annulled and lines[0].change == -3
    # The suspension's cancellation was itself cancelled: the licence page lists it as in force.
    assert len(licence_view(file).suspensions) == 1
