"""Properties of the engine over generated valid licence files (hypothesis).

The generated files follow record-format.md: a licence issued 1993–2024 (any training), 0–12
offences committed after the issue date (sometimes several at one check in a simultaneous
group, sometimes recorded late), courses of every kind, sometimes a complementary training,
sometimes the 48SI letter once the balance reached 0 (then, sometimes, the surrender and a new
licence with further offences), otherwise sometimes a judicial annulment; sometimes a suspension. Each property states what points-rules.md guarantees for
every such file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backend.law import compute
from backend.law.events import decode_events

DAY = dt.timedelta(days=1)
LAST_DAY = dt.date(2029, 12, 31)
MAXIMA = {6, 8, 9, 10, 12}
ENDED = {"invalidated", "annulled", "invalidation_pending"}
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# (points, class) of plausible point-withdrawing and 0-point offences.
OFFENCE_KINDS = [(1, "C3"), (1, "C4"), (2, "C4"), (3, "C4"), (3, "C2"), (4, "C4"), (6, "C4"), (6, "C5"),
                 (6, "DELIT"), (0, "C3"), (0, "C4")]
NINE_POINTS_FROM = dt.date(2025, 7, 11)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def dates(low: dt.date, high: dt.date) -> st.SearchStrategy[dt.date]:
    return st.dates(min_value=low, max_value=max(low, high))


def run(events: list[dict[str, Any]], as_of: dt.date) -> dict[str, Any]:
    return msgspec.to_builtins(compute(decode_events(events), as_of))


@st.composite
def offences(draw: st.DrawFn, prefix: str, after: dt.date, until: dt.date) -> list[dict[str, Any]]:
    """One offence, or 2–3 found at one check (a simultaneous group), committed after `after`."""
    committed = draw(dates(after + DAY, until))
    size = draw(st.sampled_from([1, 1, 1, 1, 2, 3]))
    group = f"{prefix}-g" if size > 1 else None
    made = []
    for n in range(size):
        points, offence_class = draw(st.sampled_from(OFFENCE_KINDS))
        nine = committed >= NINE_POINTS_FROM and draw(st.integers(0, 9)) == 0
        established = committed + draw(st.integers(0, 240)) * DAY
        event: dict[str, Any] = {
            "id": f"{prefix}-{n}", "type": "offence",
            "committed_on": committed.isoformat(), "established_on": established.isoformat(),
            "established_by": "final_conviction" if offence_class == "DELIT" else "fixed_fine_paid",
            "points": 9 if nine else points, "offence_class": "DELIT" if nine else offence_class,
            "label": "Infraction générée"}
        if nine:
            event["drugs_and_alcohol"] = True
        if group:
            event["simultaneous_group"] = group
        if draw(st.integers(0, 4)) == 0:
            event["recorded_on"] = (established + draw(st.integers(0, 120)) * DAY).isoformat()
        made.append(event)
    return made


@st.composite
def capital(draw: st.DrawFn, prefix: str, issued: dt.date, until: dt.date, kind: str) -> list[dict[str, Any]]:
    """A licence_issued and what happens to that capital: offences, courses, a complementary training."""
    events: list[dict[str, Any]] = [{
        "id": f"{prefix}l", "type": "licence_issued", "issued_on": issued.isoformat(), "kind": kind,
        "training": draw(st.sampled_from(["traditional", "aac", "supervised"])), "categories": ["B"]}]
    if draw(st.booleans()):
        completed = issued + draw(st.integers(150, 400)) * DAY
        events.append({"id": f"{prefix}f", "type": "complementary_training", "completed_on": completed.isoformat()})
    for n in range(draw(st.integers(0, 12))):
        events.extend(draw(offences(f"{prefix}o{n}", issued, until)))
    for n in range(draw(st.integers(0, 3))):
        last = draw(dates(issued + 2 * DAY, until))
        events.append({"id": f"{prefix}c{n}", "type": "course", "first_day": (last - DAY).isoformat(),
                       "last_day": last.isoformat(),
                       "kind": draw(st.sampled_from(["voluntary", "voluntary", "mandatory", "judicial"]))})
    return events


def first_zero(events: list[dict[str, Any]]) -> dt.date | None:
    """The first day a withdrawal brought the balance to 0, if any (every event known)."""
    result = run(events, LAST_DAY)
    for entry in result["history"]:
        if entry["kind"] == "withdrawal" and entry["balance"] == 0:
            return dt.date.fromisoformat(entry["date"])
    return None


@st.composite
def records(draw: st.DrawFn, reissue: bool = True) -> tuple[list[dict[str, Any]], dt.date]:
    """A valid licence file and an as_of date on or after the first issue date."""
    issued = draw(dates(dt.date(1993, 1, 1), dt.date(2024, 12, 31)))
    until = min(add_years(issued, 16), dt.date(2027, 12, 31))
    events = draw(capital("", issued, until, "first"))
    zero = first_zero(events)
    if zero is not None and draw(st.integers(0, 2)) > 0:
        notified = zero + draw(st.integers(0, 90)) * DAY
        events.append({"id": "n-1", "type": "invalidation_notified", "notified_on": notified.isoformat()})
        if reissue and run(events, notified)["status"] == "invalidated" and draw(st.booleans()):
            surrendered = notified + draw(st.integers(0, 30)) * DAY
            again = surrendered + draw(st.integers(183, 540)) * DAY
            events.append({"id": "s-1", "type": "licence_surrendered", "surrendered_on": surrendered.isoformat()})
            later = draw(capital("r", again, min(add_years(again, 12), dt.date(2028, 12, 31)), "after_invalidation"))
            events.extend(e for e in later if e["type"] != "complementary_training")
    if not any(e["id"] == "n-1" for e in events):
        if draw(st.integers(0, 7)) == 0:  # a judicial annulment stops the capital (§10)
            decided = draw(dates(issued + DAY, until))
            annulment = {"id": "a-1", "type": "annulment", "decided_on": decided.isoformat()}
            if draw(st.booleans()):
                annulment["new_licence_not_before"] = add_years(decided, 1).isoformat()
            events.append(annulment)
    if draw(st.integers(0, 5)) == 0:  # a suspension changes the status only
        starts = draw(dates(issued + DAY, until))
        events.append({"id": "su-1", "type": "suspension", "starts_on": starts.isoformat(),
                       "ends_on": (starts + draw(st.integers(0, 365)) * DAY).isoformat(),
                       "suspension_kind": draw(st.sampled_from(["administrative", "judicial"]))})
    as_of = draw(dates(issued, LAST_DAY))
    return events, as_of


EFFECTIVE_FIELD = {"licence_issued": "issued_on", "offence": "established_on", "complementary_training": "completed_on",
                   "invalidation_notified": "notified_on", "licence_surrendered": "surrendered_on",
                   "annulment": "decided_on", "suspension": "starts_on", "cancellation": "cancelled_on"}


def known_on(event: dict[str, Any]) -> str:
    """The day the register knew the event: recorded_on, by default its effective date."""
    if "recorded_on" in event:
        return event["recorded_on"]
    if event["type"] == "course":
        return (dt.date.fromisoformat(event["last_day"]) + DAY).isoformat()
    return event[EFFECTIVE_FIELD[event["type"]]]


def point_entries(result: dict[str, Any]) -> list[dict[str, Any]]:
    return result["history"] + result["calendar"]


def check_bounds(result: dict[str, Any], as_of: dt.date) -> None:
    """0 ≤ balance ≤ maximum, on as_of and after every entry; history up to as_of, calendar after."""
    assert 0 <= result["balance"] <= result["maximum"] and result["maximum"] in MAXIMA
    for entry in point_entries(result):
        assert 0 <= entry["balance"] <= entry["maximum"], entry
        assert entry["maximum"] in MAXIMA, entry
    assert all(e["date"] <= as_of.isoformat() for e in result["history"])
    assert all(e["date"] > as_of.isoformat() for e in result["calendar"])
    for entries in (result["history"], result["calendar"]):
        assert [e["date"] for e in entries] == sorted(e["date"] for e in entries)


def check_running_totals(result: dict[str, Any]) -> None:
    """Each entry's balance is the previous one plus its change; a licence_issued starts a new
    capital (its balance is its change); the balance on as_of is the sum of the history's changes
    since the last licence_issued, and the calendar continues from it."""
    history = result["history"]
    assert history and history[0]["kind"] == "licence_issued"
    running = 0
    for entry in point_entries(result):
        running = entry["change"] if entry["kind"] == "licence_issued" else running + entry["change"]
        assert entry["balance"] == running, entry
        if entry is history[-1]:
            assert (result["balance"], result["maximum"]) == (entry["balance"], entry["maximum"])
    last_issue = max(i for i, e in enumerate(history) if e["kind"] == "licence_issued")
    assert result["balance"] == sum(e["change"] for e in history[last_issue:])


def check_calendar_end(result: dict[str, Any]) -> None:
    """Assuming no new offence or course, every capital still in force gets back to 12 of 12
    (the last withdrawal's full restoration, or the end of probation); an invalidated, annulled or
    pending licence has an empty calendar (points-rules.md §6, §3, §9, §10). Generated offences are
    committed at least a day after the issue date, so a 3-year restoration never falls before the
    end of probation."""
    if result["status"] in ENDED:
        assert result["calendar"] == []
    else:
        last = (result["calendar"] or result["history"])[-1]
        assert (last["balance"], last["maximum"]) == (12, 12), last


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_bounds_running_totals_and_calendar_end(record: tuple[list[dict[str, Any]], dt.date]) -> None:
    """Three invariants of any one result (one generated file each, to keep the run short)."""
    events, as_of = record
    result = run(events, as_of)
    check_bounds(result, as_of)
    check_running_totals(result)
    check_calendar_end(result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_same_input_same_bytes(record: tuple[list[dict[str, Any]], dt.date]) -> None:
    events, as_of = record
    first = msgspec.json.encode(compute(decode_events(events), as_of))
    again = msgspec.json.encode(compute(decode_events(json.loads(json.dumps(events))), as_of))
    assert first == again


@SETTINGS
@given(records(), st.data())
def test_the_calendar_comes_true_when_nothing_new_becomes_known(record: tuple[list[dict[str, Any]], dt.date],
                                                                 data: st.DataObject) -> None:
    """The calendar is the future "assuming no new offence and no new course" (points-rules.md §1):
    on a later date before any further event becomes known, the history is the earlier history
    followed by the calendar entries up to that date, and the calendar is the rest. (Not for a
    pending invalidation, whose calendar is empty on purpose, §9.)"""
    events, as_of = record
    first = run(events, as_of)
    assume(first["status"] != "invalidation_pending")
    later_known = [dt.date.fromisoformat(d) for d in map(known_on, events) if d > as_of.isoformat()]
    horizon = min(later_known) - DAY if later_known else add_years(as_of, 15)
    assume(horizon > as_of)
    later = data.draw(dates(as_of + DAY, horizon))
    second = run(events, later)

    def lines(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(e["date"], e["kind"], e["change"], e["balance"], e["maximum"], e["event_id"]) for e in entries]

    foreseen = lines(first["history"] + first["calendar"])
    cut = sum(1 for line in foreseen if line[0] <= later.isoformat())
    assert lines(second["history"]) == foreseen[:cut]
    assert lines(second["calendar"]) == foreseen[cut:]


def offence_sample_dates(extra: dict[str, Any], as_of: dt.date) -> list[dt.date]:
    established = dt.date.fromisoformat(extra["established_on"])
    days = [established - DAY, established, established + 183 * DAY, add_years(established, 1),
            add_years(established, 2), add_years(established, 3), add_years(established, 10), as_of]
    return sorted({d for d in days if d <= dt.date(2045, 12, 31)})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records(reissue=False), st.data())
def test_an_extra_offence_never_raises_a_balance_until_zero(record: tuple[list[dict[str, Any]], dt.date],
                                                            data: st.DataObject) -> None:
    """Adding a point-withdrawing offence E, on its own (no simultaneous group), committed anywhere
    after the issue date, never raises the balance nor the maximum on a date t, as long as the
    history with E (computed on t) never reached 0. E only withdraws, blocks windows (full
    restorations, single points, increments), can make the class test ask 3 years or cost the
    training reduction; restorations and courses are capped at the maximum, which is monotone.

    Why the two conditions, per points-rules.md: once the balance hits 0 the floor cuts a later
    withdrawal (change = −min(points, balance)) while E's own ten-year or single-point re-credit
    still returns E's points in full, so the balance with E can end higher (found by this test:
    eight 2000-01-02 withdrawals, a later one cut by the floor, then the ten-year re-credits of
    2010-01-02 give back one point more with E). Likewise E joining a group moves the cap of 8
    from a non-eligible member to itself and its ten-year re-credit returns more. Before E is
    known, the output is exactly the same (points-rules.md §1)."""
    events, as_of = record
    issued = dt.date.fromisoformat(events[0]["issued_on"])
    extra = data.draw(offences("x", issued, min(add_years(issued, 16), dt.date(2027, 12, 31))))[0]
    assume(extra["points"] > 0)
    extra = dict(extra, id="x-extra")
    extra.pop("simultaneous_group", None)
    known_on = extra.get("recorded_on", extra["established_on"])
    more = events + [extra]
    for day in offence_sample_dates(extra, as_of):
        without, with_extra = run(events, day), run(more, day)
        if day.isoformat() < known_on:
            assert with_extra == without, day
        if all(entry["balance"] > 0 for entry in with_extra["history"]):
            assert with_extra["balance"] <= without["balance"], day
            assert with_extra["maximum"] <= without["maximum"], day


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records(reissue=False), st.data())
def test_a_cancelled_event_is_as_if_it_never_existed(record: tuple[list[dict[str, Any]], dt.date],
                                                     data: st.DataObject) -> None:
    events, as_of = record
    candidates = [e for e in events if e["type"] in ("offence", "course") and known_on(e) <= as_of.isoformat()]
    assume(candidates)
    target = data.draw(st.sampled_from(candidates))
    cancelled_on = data.draw(dates(dt.date.fromisoformat(known_on(target)), as_of))
    reason = data.draw(st.sampled_from([None, "Décision annulée par le tribunal administratif"]))
    cancellation: dict[str, Any] = {"id": "x-cancel", "type": "cancellation", "cancels": target["id"],
                                    "cancelled_on": cancelled_on.isoformat()}
    if reason:
        cancellation["reason"] = reason
    never = run([e for e in events if e is not target], as_of)
    cancelled = run(events + [cancellation], as_of)
    assert cancelled["cancelled"] == [{"event_id": target["id"], "cancelled_on": cancelled_on.isoformat(),
                                       "reason": reason}]
    for key in ("status", "balance", "maximum", "probation", "history", "calendar", "next_course_credit_from",
                "mandatory_course", "new_licence_not_before", "policies"):
        assert cancelled[key] == never[key], key
    assert never["cancelled"] == []


def test_cli_output_is_byte_identical_across_processes(tmp_path: Path) -> None:
    """Determinism of `pointspermis compute` itself: two runs with different hash seeds."""
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "ten-year-re-credits-2019-ce-471142.json"
    cli = Path(sys.executable).with_name("pointspermis")
    outputs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([str(cli), "compute", str(scenario)], capture_output=True, timeout=60, env=env)
        assert done.returncode == 0, done.stderr.decode()
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["balance"] == 10
