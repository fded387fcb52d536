"""Whether a file is valid never depends on `as_of` (points-rules.md §1, §11; issue #13 item 2).

Hypothesis builds licence files of every event type, valid or not in the ways §11 lists (late
licences with or without a notification before them, 9-point offences on both sides of
2025-07-11, cancellations of cancellations and cycles, courses around 1992-12-01, events recorded
long after they happened), and asks `compute` for several dates after the first licence: it must
accept the file on every date or refuse it on every date with the same problems.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.law import InvalidRecord, compute, decode_events

D = dt.date
START, END = D(1990, 1, 1), D(2030, 12, 31)
days = st.dates(min_value=START, max_value=END)
gaps = st.integers(min_value=0, max_value=900).map(lambda n: dt.timedelta(days=n))


@st.composite
def licence_files(draw: st.DrawFn) -> tuple[list[dict], list[dt.date]]:
    first = draw(st.dates(min_value=D(1985, 1, 1), max_value=D(2026, 1, 1)))
    events: list[dict] = [{"id": "l-1", "type": "licence_issued", "issued_on": first.isoformat(),
                           "training": draw(st.sampled_from(["traditional", "aac", "supervised"]))}]
    ids = ["l-1"]
    day = first
    for n in range(draw(st.integers(min_value=0, max_value=14))):
        day = min(day + draw(gaps), END)
        kind = draw(st.sampled_from(["offence", "offence", "offence", "course", "notification", "surrender",
                                     "licence", "annulment", "cancellation", "training"]))
        event: dict
        if kind == "offence":
            drugs = draw(st.booleans())
            committed = day - draw(gaps) if draw(st.booleans()) else day  # sometimes before the licence
            event = {"id": f"o-{n}", "type": "offence", "committed_on": committed.isoformat(),
                     "established_on": day.isoformat(), "established_by": "final_conviction",
                     "points": draw(st.sampled_from([0, 1, 2, 3, 4, 6, 9] if drugs else [0, 1, 2, 3, 4, 6])),
                     "offence_class": draw(st.sampled_from(["C3", "C4", "C5", "DELIT"])), "label": "Infraction",
                     **({"drugs_and_alcohol": True} if drugs else {}),
                     **({"simultaneous_group": "g"} if draw(st.booleans()) else {})}
        elif kind == "course":
            last = draw(st.sampled_from([day, D(1992, 11, 30), D(1992, 12, 1)]))
            event = {"id": f"c-{n}", "type": "course", "first_day": last.isoformat(), "last_day": last.isoformat(),
                     "kind": draw(st.sampled_from(["voluntary", "mandatory", "judicial"]))}
        elif kind == "notification":
            event = {"id": f"n-{n}", "type": "invalidation_notified", "notified_on": day.isoformat()}
        elif kind == "surrender":
            event = {"id": f"s-{n}", "type": "licence_surrendered", "surrendered_on": day.isoformat()}
        elif kind == "licence":
            event = {"id": f"l-{n}", "type": "licence_issued", "issued_on": day.isoformat(), "kind": "after_invalidation"}
        elif kind == "annulment":
            event = {"id": f"a-{n}", "type": "annulment", "decided_on": day.isoformat()}
        elif kind == "training":
            event = {"id": f"f-{n}", "type": "complementary_training", "completed_on": day.isoformat()}
        else:  # a cancellation of any earlier event, or of a later one (a chain, possibly a cycle)
            target = draw(st.sampled_from(ids + [f"x-{n + 1}", f"x-{n}"]))
            event = {"id": f"x-{n}", "type": "cancellation", "cancels": target, "cancelled_on": day.isoformat()}
        if draw(st.integers(min_value=0, max_value=4)) == 0:  # known long after it took effect
            event["recorded_on"] = min(day + draw(gaps), END).isoformat()
        events.append(event)
        ids.append(event["id"])
    if draw(st.booleans()):  # a cancellation that closes a chain back on an earlier one
        cancellations = [e["id"] for e in events if e["type"] == "cancellation"]
        if cancellations:
            events.append({"id": f"x-{len(events)}", "type": "cancellation", "cancels": draw(st.sampled_from(cancellations)),
                           "cancelled_on": day.isoformat()})
    dates = draw(st.lists(st.dates(min_value=first, max_value=END), min_size=2, max_size=5))
    return events, dates


def outcome(events: list, as_of: dt.date) -> list[str] | None:
    try:
        compute(events, as_of)
    except InvalidRecord as exc:
        return [str(problem) for problem in exc.problems]
    return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(licence_files())
def test_compute_accepts_or_refuses_a_file_the_same_way_on_every_date(case: tuple[list[dict], list[dt.date]]) -> None:
    raw, dates = case
    try:
        events = decode_events(raw)
    except InvalidRecord:
        return  # refused before any date is asked (duplicate ids from a drawn cancellation name)
    outcomes = {as_of: outcome(events, as_of) for as_of in dates}
    assert len({None if o is None else tuple(o) for o in outcomes.values()}) == 1, outcomes


def test_the_generated_files_are_both_accepted_and_refused() -> None:
    """The property above is only worth something if the files it draws include both kinds."""
    seen: set[bool] = set()

    @settings(max_examples=200, deadline=None, database=None)
    @given(licence_files())
    def collect(case: tuple[list[dict], list[dt.date]]) -> None:
        raw, dates = case
        try:
            seen.add(outcome(decode_events(raw), dates[0]) is None)
        except InvalidRecord:
            pass

    collect()
    assert seen == {True, False}
