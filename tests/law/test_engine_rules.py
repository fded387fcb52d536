"""Rules of points-rules.md that the shared scenarios do not pin down, one behaviour per test."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from backend.law import InvalidRecord, OutsideCoveredPeriod, compute, decode_events, to_json

from .builders import course, licence, lines, offence, run

OLD = licence("1998-05-10")  # before 2004-03-01: 12 points, no probation


def test_a_late_known_offence_cancels_a_restoration_shown_earlier() -> None:
    events = [OLD, offence("o-1", "2024-01-05", "2024-01-20", 1),
              offence("o-2", "2024-03-01", "2024-09-10", 2, recorded_on="2024-10-01")]
    before = run(events, "2024-08-01")
    assert ("2024-07-20", "single_point_restoration", 1) in lines(before["history"])
    after = run(events, "2024-10-01")  # o-2, committed inside o-1's window, is now known
    kinds = [e["kind"] for e in after["history"] + after["calendar"]]
    assert "single_point_restoration" not in kinds
    assert after["balance"] == 9


def test_mandatory_course_is_due_four_months_after_the_recording_until_a_course_is_known() -> None:
    events = [licence("2023-01-10"),
              offence("o-1", "2023-06-01", "2023-06-20", 4, "C4", recorded_on="2023-08-01"),
              course("c-1", "2023-09-14", "2023-09-15", kind="mandatory")]
    assert run(events, "2023-09-01")["mandatory_course"] == {"offence_id": "o-1", "due_by": "2023-12-01"}
    assert run(events, "2023-09-16")["mandatory_course"] is None
    small = [licence("2023-01-10"), offence("o-1", "2023-06-01", "2023-06-20", 2, "C4")]
    assert run(small, "2023-09-01")["mandatory_course"] is None  # fewer than 3 points


def test_invalidation_notified_above_zero_is_ignored_with_a_warning() -> None:
    events = [OLD, offence("o-1", "2024-01-05", "2024-01-20", 4, "C4"),
              {"id": "n-1", "type": "invalidation_notified", "notified_on": "2024-02-01"}]
    result = run(events, "2024-03-01")
    assert result["status"] == "valid" and result["balance"] == 8
    assert any("01/02/2024" in w and "sans effet" in w for w in result["warnings"])
    assert "invalidation" not in [e["kind"] for e in result["history"]]


def test_zero_balance_before_the_48si_letter_is_pending_with_an_empty_calendar() -> None:
    events = [licence("2023-06-15"), offence("o-1", "2024-01-10", "2024-02-01", 6, "C4")]
    result = run(events, "2024-03-01")
    assert (result["status"], result["balance"], result["maximum"]) == ("invalidation_pending", 0, 6)
    assert result["calendar"] == []
    assert any("48SI" in w and "stage" in w for w in result["warnings"])


def _emptied(prefix: str, year: int) -> list[dict]:
    return [offence(f"{prefix}-1", f"{year}-01-05", f"{year}-01-20", 6, "DELIT", established_by="final_conviction"),
            offence(f"{prefix}-2", f"{year}-02-05", f"{year}-02-20", 6, "DELIT", established_by="final_conviction"),
            {"id": f"{prefix}-n", "type": "invalidation_notified", "notified_on": f"{year}-03-01"}]


def test_new_licence_waits_six_months_after_the_surrender_or_a_year_on_a_second_invalidation() -> None:
    first = [OLD, *_emptied("a", 2015)]
    assert run(first, "2015-04-01")["new_licence_not_before"] is None  # not handed in yet
    assert any("remis" in w for w in run(first, "2015-04-01")["warnings"])
    first.append({"id": "s-1", "type": "licence_surrendered", "surrendered_on": "2015-03-08"})
    result = run(first, "2015-04-01")
    assert (result["status"], result["new_licence_not_before"]) == ("invalidated", "2015-09-08")
    second = [*first, licence("2016-01-04", id="l-2", kind="after_invalidation"), *_emptied("b", 2019),
              {"id": "s-2", "type": "licence_surrendered", "surrendered_on": "2019-03-10"}]
    result = run(second, "2019-04-01")
    assert result["new_licence_not_before"] == "2020-03-10"  # within 5 years of 2015-03-01
    assert [e["kind"] for e in result["history"]].count("licence_issued") == 2  # history kept


def test_annulment_stops_the_capital_and_gives_the_courts_date() -> None:
    events = [OLD, offence("o-1", "2024-01-05", "2024-01-20", 4, "C4"),
              {"id": "a-1", "type": "annulment", "decided_on": "2024-03-01", "new_licence_not_before": "2024-09-01"}]
    result = run(events, "2024-06-01")
    assert (result["status"], result["calendar"], result["new_licence_not_before"]) == ("annulled", [], "2024-09-01")
    assert result["next_course_credit_from"] is None


def test_suspension_covering_as_of_sets_the_status_and_points_still_count() -> None:
    events = [OLD, offence("o-1", "2024-01-05", "2024-01-20", 4, "C4"),
              {"id": "u-1", "type": "suspension", "starts_on": "2024-02-01", "ends_on": "2024-05-01",
               "suspension_kind": "administrative"}]
    assert run(events, "2024-03-01")["status"] == "suspended"
    assert run(events, "2024-03-01")["balance"] == 8
    assert run(events, "2024-05-02")["status"] == "valid"


def test_course_frequency_two_years_before_2011_03_15_then_one_year() -> None:
    events = [OLD, offence("o-1", "2009-01-05", "2009-01-20", 4, "C4"), course("c-1", "2009-02-01", "2009-02-02"),
              offence("o-2", "2009-06-05", "2009-06-20", 4, "C4"), course("c-2", "2010-03-01", "2010-03-02")]
    result = run(events, "2010-06-01")
    assert [e["event_id"] for e in result["history"] if e["kind"] == "course_credit"] == ["c-1"]
    assert any("02/02/2009" in w for w in result["warnings"])
    # Next possible: last_day 2009-02-02 + 2 years = 2011-02-02, before the 2011-03-15 change.
    assert result["next_course_credit_from"] == "2011-02-02"


def test_next_course_after_a_2010_course_follows_the_one_year_rule_of_2011() -> None:
    events = [OLD, offence("o-1", "2010-01-05", "2010-01-20", 4, "C4"), course("c-1", "2010-03-16", "2010-03-17")]
    assert run(events, "2010-06-01")["next_course_credit_from"] == "2011-03-17"  # law-research §9 #5


def test_literal_policy_defers_the_restoration_to_the_end_of_probation_and_restores_to_12() -> None:
    events = [licence("2021-09-01"), offence("o-1", "2021-12-20", "2022-01-10", 2, "C3")]
    default = run(events, "2022-06-01")
    literal = run(events, "2022-06-01", probation_full_restoration="literal")
    assert lines(default["calendar"]) == [("2024-09-01", "probation_end", 0), ("2025-01-10", "full_restoration", 8)]
    assert lines(literal["calendar"]) == [("2024-09-01", "probation_end", 0), ("2024-09-01", "full_restoration", 8)]
    assert literal["calendar"][-1]["balance"] == 12
    assert "fin de la période probatoire" in literal["calendar"][-1]["explanation"]


def test_complementary_training_reduction_is_lost_by_an_offence() -> None:
    events = [licence("2022-03-01"), {"id": "f-1", "type": "complementary_training", "completed_on": "2022-10-10"},
              offence("o-1", "2023-05-01", "2023-05-20", 1)]
    result = run(events, "2023-06-01")
    assert result["probation"] == {"started_on": "2022-03-01", "ends_on": "2025-03-01", "training": "traditional",
                                   "increments_blocked": True, "reduced_by_training": False}
    outside = [licence("2022-03-01"), {"id": "f-1", "type": "complementary_training", "completed_on": "2022-08-31"}]
    assert run(outside, "2023-06-01")["probation"]["reduced_by_training"] is False  # before issue + 6 months


def test_ten_year_recredit_is_capped_at_the_maximum() -> None:
    # Each offence is committed inside the previous one's full-restoration window, so no full
    # restoration happens; a course in 2016 brings the balance back to 12 before o-4 (−2).
    events = [OLD, offence("o-1", "2010-01-05", "2010-02-01", 4, "C4"),
              offence("o-2", "2012-12-20", "2013-01-05", 1), offence("o-3", "2015-12-01", "2015-12-15", 1),
              course("c-1", "2016-09-01", "2016-09-02"), offence("o-4", "2018-12-01", "2018-12-10", 2)]
    result = run(events, "2019-12-31")
    assert result["balance"] == 10
    assert lines(result["calendar"])[0] == ("2020-02-01", "ten_year_restoration", 2)  # 4 withdrawn, 2 missing
    assert result["calendar"][0]["balance"] == 12


def test_cancellation_lists_the_event_with_a_null_reason_when_none_is_given() -> None:
    events = [OLD, offence("o-1", "2024-01-05", "2024-01-20", 4, "C4"),
              {"id": "x-1", "type": "cancellation", "cancels": "o-1", "cancelled_on": "2024-03-01"}]
    assert run(events, "2024-02-01")["balance"] == 8  # cancellation not yet known
    result = run(events, "2024-03-01")
    assert result["balance"] == 12 and result["cancelled"] == [
        {"event_id": "o-1", "cancelled_on": "2024-03-01", "reason": None}]


def test_zero_point_offences_and_judicial_courses_make_no_entry() -> None:
    events = [OLD, offence("o-1", "2024-01-05", "2024-01-20", 0, "C3"),
              offence("o-2", "2024-02-05", "2024-02-20", 2, "C4"), course("c-1", "2024-04-01", "2024-04-02", kind="judicial")]
    result = run(events, "2024-06-01")
    assert [e["event_id"] for e in result["history"]] == ["l-1", "o-2"]


@pytest.mark.parametrize(("events", "field"), [
    ([offence("o-1", "2024-01-05", "2024-01-20", 2)], "established_on"),  # no licence at all
    ([licence("2024-06-01"), offence("o-1", "2024-01-05", "2024-01-20", 2)], "established_on"),
    ([OLD, licence("2010-01-01", id="l-2")], "issued_on"),  # previous licence still valid
])
def test_refusals_name_the_event_and_the_field(events, field) -> None:
    with pytest.raises(InvalidRecord) as caught:
        compute(decode_events(events), dt.date(2025, 1, 1))
    problem = caught.value.problems[0]
    assert problem.field == field and problem.ref.startswith('event "')


def test_offence_before_the_points_system_is_outside_the_covered_period() -> None:
    with pytest.raises(OutsideCoveredPeriod) as caught:
        run([OLD | {"issued_on": "1980-01-01"}, offence("o-1", "1992-11-20", "1992-11-30", 2)], "1995-01-01")
    assert str(caught.value).startswith('event "o-1": established_on 1992-11-30')


def test_every_explanation_is_french_and_names_its_dates() -> None:
    events = [licence("2021-09-01"), offence("o-1", "2021-12-20", "2022-01-10", 1, "C4"),
              course("c-1", "2022-03-01", "2022-03-02")]
    result = run(events, "2022-06-01")
    for entry in result["history"] + result["calendar"]:
        assert re.search(r"\d{2}/\d{2}/\d{4}", entry["explanation"]), entry
        assert not re.search(r"\d{4}-\d{2}-\d{2}", entry["explanation"]), entry


def test_same_input_gives_the_same_bytes() -> None:
    events = decode_events([licence("2021-09-01"), offence("o-1", "2021-12-20", "2022-01-10", 2)])
    assert to_json(compute(events, dt.date(2023, 1, 1))) == to_json(compute(events, dt.date(2023, 1, 1)))


def test_every_entry_cites_articles_that_link_to_legifrance() -> None:
    from backend.law.articles import legifrance_links

    events = [licence("2021-09-01"), offence("o-1", "2021-10-01", "2021-10-10", 1, "C4"),
              offence("o-2", "2022-05-01", "2022-05-10", 6, "C4"), course("c-1", "2022-05-20", "2022-05-21"),
              offence("o-3", "2022-05-02", "2022-05-25", 4, "C4"),
              {"id": "n-1", "type": "invalidation_notified", "notified_on": "2022-06-01"}]
    result = run(events, "2022-06-01")
    kinds = set()
    for entry in result["history"] + result["calendar"]:
        links = legifrance_links(entry["rule"])
        assert links and all(url.startswith("https://www.legifrance.gouv.fr/") for _, url in links), entry
        kinds.add(entry["kind"])
    assert {"licence_issued", "withdrawal", "single_point_restoration", "course_credit", "invalidation"} <= kinds
