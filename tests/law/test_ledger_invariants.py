"""Invariants of the ledger on many generated licence files (fixed seed, so reproducible).

Whatever the file: either a refusal (InvalidRecord naming an event) or a result whose balance
stays within [0, maximum], whose entries add up, whose history ends on or before `as_of` and
whose calendar starts after it, with change 0 only for probation_end, invalidation and a withdrawal
after an annulment (points-rules.md §10) — under
both policies, and byte-identical when computed twice.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from backend.law import InvalidRecord, Policies, compute, decode_events, to_json

D = dt.date
KINDS_WITH_ZERO = {"probation_end", "invalidation"}


def _day(rng: random.Random, low: dt.date, high: dt.date) -> dt.date:
    return low + dt.timedelta(days=rng.randrange((high - low).days + 1))


def generated_file(rng: random.Random) -> tuple[list[dict], dt.date]:
    issued = _day(rng, D(1980, 1, 1), D(2024, 1, 1))
    events = [{"id": "l-1", "type": "licence_issued", "issued_on": issued.isoformat(),
               "training": rng.choice(["traditional", "aac", "supervised"])}]
    day = max(issued, D(1993, 1, 1))
    for i in range(rng.randrange(25)):
        day += dt.timedelta(days=rng.randrange(1, 500))
        roll = rng.random()
        if roll < 0.6:
            established = day + dt.timedelta(days=rng.randrange(120))
            offence = {"id": f"o-{i}", "type": "offence", "committed_on": day.isoformat(),
                       "established_on": established.isoformat(), "established_by": "fixed_fine_paid",
                       "points": rng.choice([0, 1, 1, 2, 3, 4, 6]),
                       "offence_class": rng.choice(["C1", "C2", "C3", "C4", "C5", "DELIT"]), "label": "Infraction"}
            if rng.random() < 0.15:
                offence["simultaneous_group"] = f"g-{i // 3}"
            if rng.random() < 0.2:
                offence["recorded_on"] = (established + dt.timedelta(days=rng.randrange(200))).isoformat()
            events.append(offence)
        elif roll < 0.75:
            events.append({"id": f"c-{i}", "type": "course", "first_day": day.isoformat(),
                           "last_day": (day + dt.timedelta(days=1)).isoformat(),
                           "kind": rng.choice(["voluntary", "mandatory", "judicial"])})
        elif roll < 0.8:
            events.append({"id": f"f-{i}", "type": "complementary_training", "completed_on": day.isoformat()})
        elif roll < 0.88:
            events.append({"id": f"n-{i}", "type": "invalidation_notified", "notified_on": day.isoformat()})
        elif roll < 0.92:
            events.append({"id": f"s-{i}", "type": "licence_surrendered", "surrendered_on": day.isoformat()})
        elif roll < 0.95:
            events.append({"id": f"l-{i + 2}", "type": "licence_issued", "issued_on": day.isoformat(),
                           "kind": "after_invalidation"})
        elif roll < 0.97:
            events.append({"id": f"a-{i}", "type": "annulment", "decided_on": day.isoformat()})
        else:
            offences = [e["id"] for e in events if e["type"] == "offence"]
            if offences:
                events.append({"id": f"x-{i}", "type": "cancellation", "cancels": rng.choice(offences),
                               "cancelled_on": day.isoformat()})
    return events, _day(rng, issued, D(2027, 1, 1))


@pytest.mark.parametrize("seed", range(8))
def test_ledger_invariants_on_generated_files(seed: int) -> None:
    rng = random.Random(seed)
    computed = 0
    for _ in range(150):
        raw, as_of = generated_file(rng)
        events = decode_events(raw)
        for policy in ("three_years", "literal"):
            policies = Policies(probation_full_restoration=policy)
            try:
                result = compute(events, as_of, policies)
            except InvalidRecord as exc:
                assert all(str(p).startswith('event "') for p in exc.problems), exc.problems
                continue
            computed += 1
            assert to_json(result) == to_json(compute(events, as_of, policies))
            assert 0 <= result.balance <= max(result.maximum, 0)
            assert all(e.date <= as_of for e in result.history) and all(e.date > as_of for e in result.calendar)
            running = None
            for entry in result.history + result.calendar:
                assert 0 <= entry.balance <= entry.maximum, entry
                assert entry.change != 0 or entry.kind in KINDS_WITH_ZERO or (
                    entry.kind == "withdrawal" and any(e["type"] == "annulment" and e["decided_on"] <= entry.date.isoformat()
                                                       for e in raw)), entry
                if running is not None and entry.kind != "licence_issued":
                    assert entry.balance == running + entry.change, entry
                running = entry.balance
            if result.status in ("invalidated", "annulled", "invalidation_pending"):
                assert result.calendar == []
    assert computed > 150
