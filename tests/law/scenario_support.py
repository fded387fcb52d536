"""Running a scenario file (spec/engine-contract.md, "Scenario files") and comparing `expect`.

Shared by the shared scenarios (../shared/scenarios) and the project's own (tests/scenarios).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from backend.law import InvalidRecord, Policies, compute, decode_events, to_builtins


def summarise(entries: list[dict[str, Any]]) -> list[list[Any]]:
    """The contract's comparison: `[date, kind, change]` of non-zero entries, summed per (date, kind),
    so that a capped simultaneous group may be one entry or several."""
    totals: dict[tuple[str, str], int] = {}
    for entry in entries:
        if entry["change"] != 0:
            key = (entry["date"], entry["kind"])
            totals[key] = totals.get(key, 0) + entry["change"]
    return [[date, kind, change] for (date, kind), change in totals.items()]


def run_scenario(scenario: dict[str, Any]) -> dict[str, Any]:
    """The engine's output for a scenario (with its optional non-default `policies`) as plain JSON values."""
    result = compute(decode_events(scenario["events"]), dt.date.fromisoformat(scenario["as_of"]),
                     Policies(**scenario.get("policies", {})))
    return to_builtins(result)


def mismatches(scenario: dict[str, Any], output: dict[str, Any]) -> list[str]:
    """Every key of `expect` that the output does not match, said readably (empty when all match)."""
    problems = []
    for key, expected in scenario["expect"].items():
        actual = summarise(output[key]) if key in ("history", "calendar") else output[key]
        if actual != expected:
            problems.append(f"{key}:\n  expected {json.dumps(expected, ensure_ascii=False)}"
                            f"\n  engine   {json.dumps(actual, ensure_ascii=False)}")
    return problems


def refusal(scenario: dict[str, Any]) -> list[str] | None:
    """The lines `pointspermis compute` would print on standard error for a refused scenario, or None
    when the engine accepts it (the project's scenarios say `"expect": {"refused": [...]}`)."""
    try:
        events = decode_events(scenario["events"])
        compute(events, dt.date.fromisoformat(scenario["as_of"]), Policies(**scenario.get("policies", {})))
    except InvalidRecord as exc:
        return [str(problem) for problem in exc.problems]
    return None
