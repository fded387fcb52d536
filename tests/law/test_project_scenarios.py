"""The project's own worked cases (tests/scenarios/*.json), run like the shared ones.

Each file has the engine's input shape (`events`, `as_of`) plus `name`, `source`, a hand
`derivation` from spec/points-rules.md, `expect` and, rarely, `policies` (non-default policy
values, points-rules.md §6). A refused file says `"expect": {"refused": [...]}`: each string must
appear in one of the error lines (which name the event and the field). Every other key of `expect` is compared with
the engine's JSON output; `history` and `calendar` are compared as `[date, kind, change]` for
the entries whose change is not 0, summed per date and kind (spec/engine-contract.md,
"Scenario files"), so that a capped simultaneous group may be one entry or several.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from backend.law.events import decode_events
from tests.law.scenario_support import mismatches, refusal, run_scenario

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"
SCENARIOS = sorted(SCENARIO_DIR.glob("*.json"))


def test_there_are_project_scenarios() -> None:
    assert len(SCENARIOS) >= 40, f"expected the project's scenario files in {SCENARIO_DIR}"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_file_is_documented(path: Path) -> None:
    scenario = json.loads(path.read_text(encoding="utf-8"))
    for key in ("name", "source", "derivation", "as_of", "events", "expect"):
        assert scenario.get(key), f"{path.name}: missing or empty {key!r}"
    dt.date.fromisoformat(scenario["as_of"])
    if "refused" in scenario["expect"]:
        assert set(scenario["expect"]) == {"refused"}, f"{path.name}: a refused file expects nothing else"
        return
    decode_events(scenario["events"])  # the input itself is a valid record


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_project_scenario(path: Path) -> None:
    scenario = json.loads(path.read_text(encoding="utf-8"))
    if "refused" in scenario["expect"]:
        lines = refusal(scenario)
        assert lines is not None, f"{path.name}: accepted, expected refused with {scenario['expect']['refused']}"
        for expected in scenario["expect"]["refused"]:
            assert any(expected in line for line in lines), f"{path.name}: {expected!r} not in {lines}"
        return
    problems = mismatches(scenario, run_scenario(scenario))
    assert not problems, f"{path.name} ({scenario['name']}):\n" + "\n".join(problems)
