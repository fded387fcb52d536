"""`pointspermis compute` and `pointspermis law`, run as a user runs them (spec/engine-contract.md)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "pointspermis"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "backend"]
CONTRACT_KEYS = ["as_of", "status", "balance", "maximum", "probation", "history", "calendar",
                 "next_course_credit_from", "mandatory_course", "new_licence_not_before", "cancelled",
                 "policies", "warnings"]
ENTRY_KEYS = ["date", "kind", "change", "balance", "maximum", "event_id", "rule", "explanation"]

LICENCE = {"id": "l-1", "type": "licence_issued", "issued_on": "2021-09-01", "kind": "first", "training": "traditional"}
OFFENCE = {"id": "o-1", "type": "offence", "committed_on": "2023-02-10", "established_on": "2023-02-20",
           "established_by": "fixed_fine_paid", "points": 2, "offence_class": "C3",
           "label": "Excès de vitesse inférieur à 20 km/h"}
RECORD = {"name": "extra keys are ignored", "expect": {}, "as_of": "2023-06-01", "events": [LICENCE, OFFENCE]}


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([*COMMAND, *args], input=stdin, capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=60)


@pytest.fixture
def record_file(tmp_path: Path) -> Path:
    path = tmp_path / "dossier.json"
    path.write_text(json.dumps(RECORD), encoding="utf-8")
    return path


def test_output_is_one_json_object_with_the_contract_keys_in_order(record_file: Path) -> None:
    done = run("compute", str(record_file))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    output = json.loads(done.stdout)
    assert list(output) == CONTRACT_KEYS
    assert output["as_of"] == "2023-06-01"
    assert (output["status"], output["balance"], output["maximum"]) == ("valid", 6, 8)
    assert output["probation"] == {"started_on": "2021-09-01", "ends_on": "2024-09-01", "training": "traditional",
                                   "increments_blocked": True, "reduced_by_training": False}
    for entry in output["history"] + output["calendar"]:
        assert list(entry) == ENTRY_KEYS
        assert entry["rule"].startswith("Code de la route, art. ")
    assert [e["kind"] for e in output["history"]] == ["licence_issued", "probation_increment", "withdrawal"]
    assert "20/02/2023" in output["history"][-1]["explanation"]
    assert output["policies"] == {"probation_full_restoration": "three_years"}


def test_same_input_same_bytes(record_file: Path) -> None:
    first = run("compute", str(record_file))
    second = run("compute", "-", stdin=record_file.read_text(encoding="utf-8"))
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout


def test_as_of_flag_wins_over_the_file(record_file: Path) -> None:
    output = json.loads(run("compute", str(record_file), "--as-of", "2022-09-01").stdout)
    assert output["as_of"] == "2022-09-01"
    assert output["balance"] == 8 and output["history"][-1]["kind"] == "probation_increment"


@pytest.mark.parametrize("machine_zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_without_as_of_the_date_is_today_in_france_whatever_the_machine_clock_zone(tmp_path: Path,
                                                                                   machine_zone: str) -> None:
    # UTC+14 and UTC-11: at any hour one of the two machines is on another calendar day than Paris.
    path = tmp_path / "dossier.json"
    path.write_text(json.dumps({"events": [LICENCE]}), encoding="utf-8")
    before = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    output = json.loads(run("compute", str(path), env={"TZ": machine_zone}).stdout)
    after = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    assert output["as_of"] in {before.isoformat(), after.isoformat()}


def test_policy_option_changes_the_computation(record_file: Path) -> None:
    default = json.loads(run("compute", str(record_file)).stdout)
    literal = json.loads(run("compute", str(record_file), "--policy", "probation_full_restoration=literal").stdout)
    assert literal["policies"] == {"probation_full_restoration": "literal"}
    # C3 only: 2 years from 2023-02-20 = 2025-02-20 under the literal reading, 3 years by default.
    assert [e["date"] for e in default["calendar"] if e["kind"] == "full_restoration"] == ["2026-02-20"]
    assert [e["date"] for e in literal["calendar"] if e["kind"] == "full_restoration"] == ["2025-02-20"]


def test_invalid_events_exit_2_with_one_line_per_problem(tmp_path: Path) -> None:
    bad = {"events": [LICENCE,
                      {**OFFENCE, "id": "o-3", "established_on": "2023-02-01"},
                      {**OFFENCE, "id": "o-4", "points": 7},
                      {"id": "x-1", "type": "cancellation", "cancels": "o-9", "cancelled_on": "2023-05-01"}]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    done = run("compute", str(path), "--as-of", "2024-01-01")
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 3, done.stderr
    assert lines[0] == 'event "o-3": established_on 2023-02-01 is before committed_on 2023-02-10'
    assert lines[1].startswith('event "o-4": points 7')
    assert lines[2].startswith('event "x-1": cancels') and "o-9" in lines[2]


def test_outside_the_covered_period_exits_2_naming_the_event(tmp_path: Path) -> None:
    old = {"events": [{**LICENCE, "issued_on": "1980-01-01"},
                      {**OFFENCE, "committed_on": "1992-03-01", "established_on": "1992-04-01"}]}
    done = run("compute", "-", "--as-of", "2000-01-01", stdin=json.dumps(old))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith('event "o-1": committed_on 1992-03-01 is outside the period covered')


@pytest.mark.parametrize(("args", "stdin", "expected"), [
    (["-"], "{not json", "standard input: invalid JSON"),
    (["-"], "[]", "expected a JSON object"),
    (["-"], "{}", "events is required"),
    (["-", "--as-of", "2025-02-30"], json.dumps(RECORD), "--as-of '2025-02-30' is not an existing date"),
    (["-", "--policy", "speed=fast"], json.dumps(RECORD), "unknown policy 'speed'"),
    (["-", "--policy", "probation_full_restoration=never"], json.dumps(RECORD), "has no value 'never'"),
    (["/nonexistent/dossier.json"], None, "cannot read /nonexistent/dossier.json"),
])
def test_bad_invocations_exit_2_with_a_clear_line(args, stdin, expected) -> None:
    done = run("compute", *args, stdin=stdin)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert expected in done.stderr


def test_law_prints_the_dated_tables() -> None:
    done = run("law")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["parameter", "value", "from", "until", "article", "url"]
    single = [line for line in lines if line.startswith("single_point_delay ")]
    assert len(single) == 3 and "2011-01-01" in single[2] and "L223-6" in single[2]
    assert all("https://www.legifrance.gouv.fr/" in line for line in lines[1:])
    as_json = json.loads(run("law", "--json").stdout)
    assert {"parameter": "single_point_delay", "value": 6, "from": "2011-01-01", "until": None}.items() <= \
        next(r for r in as_json if r["parameter"] == "single_point_delay" and r["value"] == 6).items()


def test_law_on_a_date_shows_the_versions_then_in_force() -> None:
    rows = json.loads(run("law", "--json", "--on", "2010-06-01").stdout)
    by_name = {row["parameter"]: row["value"] for row in rows}
    assert (by_name["single_point_delay"], by_name["full_restoration_delay"], by_name["course_interval"]) == (12, 36, 24)
    assert len(by_name) == len(rows)  # one version per parameter on a given day
    bad = run("law", "--on", "2010-02-30")
    assert bad.returncode == 2 and bad.stdout == "" and "2010-02-30" in bad.stderr


# The refusals added by points-rules 1.1 (listed in docs/law.md, "Refusals"): each one line on standard
# error naming the event (or as_of) and the field, nothing on standard output, exit 2.
NINE = {**OFFENCE, "id": "o-9", "committed_on": "2025-07-10", "established_on": "2025-09-01", "points": 9,
        "offence_class": "DELIT", "drugs_and_alcohol": True, "established_by": "final_conviction"}


@pytest.mark.parametrize(("events", "as_of", "expected"), [
    ([LICENCE], "2021-08-31", "as_of 2021-08-31 is before the licence was issued on 2021-09-01"),
    ([LICENCE, NINE], "2026-01-01", 'event "o-9": points 9 for an offence committed on 2025-07-10: 9 points apply only '
                                    "to offences committed on or after 2025-07-11"),
    ([LICENCE, OFFENCE, {**OFFENCE, "points": 3}], "2024-01-01",
     "event \"o-1\": id 'o-1' appears more than once with different content"),
    ([LICENCE, {**OFFENCE, "natinf": None}], "2024-01-01", 'event "o-1": natinf is null: an optional field is omitted'),
    ([LICENCE, {"id": "x-1", "type": "cancellation", "cancels": "x-2", "cancelled_on": "2023-05-01"},
      {"id": "x-2", "type": "cancellation", "cancels": "x-1", "cancelled_on": "2023-05-02"}], "2024-01-01",
     'event "x-1": cancels \'x-2\', and the chain of cancellations "x-1" → "x-2" → "x-1" comes back to it'),
    ([LICENCE, {"id": "c-1", "type": "course", "first_day": "1992-11-29", "last_day": "1992-11-30", "kind": "judicial"}],
     "2024-01-01", 'event "c-1": last_day 1992-11-30 is outside the period covered'),
    ([LICENCE, {**LICENCE, "id": "l-2", "issued_on": "2023-01-01"}], "2024-01-01",
     'event "l-2": licence issued on 2023-01-01 without an invalidation_notified or annulment'),
], ids=["as-of-before-licence", "nine-points-before-2025-07-11", "conflicting-duplicate", "json-null", "cycle",
        "course-before-1992-12-01", "later-licence-without-invalidation"])
def test_new_refusals_exit_2_with_one_line_naming_the_event(events, as_of, expected) -> None:
    done = run("compute", "-", "--as-of", as_of, stdin=json.dumps({"events": events}))
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), done.stderr


def test_identical_duplicate_is_accepted_and_counted_once() -> None:
    done = run("compute", "-", "--as-of", "2023-06-01", stdin=json.dumps({"events": [LICENCE, OFFENCE, dict(OFFENCE)]}))
    assert done.returncode == 0, done.stderr
    assert [e["kind"] for e in json.loads(done.stdout)["history"]].count("withdrawal") == 1


def test_law_shows_the_2025_07_11_drugs_and_alcohol_boundary() -> None:
    """The boundary comes from the dated tables: 6 points and a group cap of 8 the day before, 9 from that day."""
    before = {r["parameter"]: r for r in json.loads(run("law", "--json", "--on", "2025-07-10").stdout)}
    after = {r["parameter"]: r for r in json.loads(run("law", "--json", "--on", "2025-07-11").stdout)}
    assert (before["points_drugs_and_alcohol"]["value"], after["points_drugs_and_alcohol"]["value"]) == (6, 9)
    assert before["points_drugs_and_alcohol"]["until"] == "2025-07-10"
    assert after["points_drugs_and_alcohol"]["from"] == "2025-07-11"
    assert (before["simultaneous_cap_drugs_and_alcohol"]["value"], after["simultaneous_cap_drugs_and_alcohol"]["value"]) == (8, 9)
    text = run("law").stdout
    assert any(line.startswith("points_drugs_and_alcohol") and "2025-07-11" in line for line in text.splitlines())
