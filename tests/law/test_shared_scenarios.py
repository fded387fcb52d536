"""Every worked legal case of the shared folder (shared/scenarios/*.json) through the engine.

The shared folder sits next to the repository (`<repo>/../shared`) or where
POINTSPERMIS_SHARED_DIR says. Its absence is a failure, not a skip: these cases are the
project's reference answers (spec/engine-contract.md, "Scenario files").
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.law.scenario_support import mismatches, run_scenario

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("POINTSPERMIS_SHARED_DIR") or REPO.parent / "shared")
SCENARIOS = sorted((SHARED / "scenarios").glob("*.json"))


def test_shared_scenarios_are_there() -> None:
    assert (SHARED / "scenarios").is_dir(), (
        f"shared scenarios not found in {SHARED / 'scenarios'}: put the shared folder next to the "
        "repository or set POINTSPERMIS_SHARED_DIR")
    assert len(SCENARIOS) >= 24


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shared_scenario(path: Path) -> None:
    scenario = json.loads(path.read_text(encoding="utf-8"))
    output = run_scenario(scenario)
    problems = mismatches(scenario, output)
    assert not problems, f"{path.name} — {scenario['name']}\n" + "\n".join(problems)
    # Whatever the case, the balance never leaves [0, maximum] and the ledger adds up.
    running = None
    for entry in output["history"] + output["calendar"]:
        assert 0 <= entry["balance"] <= entry["maximum"], entry
        if running is not None and entry["kind"] != "licence_issued":
            assert entry["balance"] == running + entry["change"], entry
        running = entry["balance"]
