"""Every refusal of record-format.md and points-rules.md §11, through the Python API and the CLI.

Each case is one bad licence file; the engine must refuse it with a problem that names the
event (its id, or its index when the id itself is unusable) and the field, and the command
`pointspermis compute FILE` must exit 2 with nothing on standard output and exactly one line
per problem on standard error (spec/engine-contract.md).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from backend.law.events import InvalidRecord, decode_events

CLI = Path(sys.executable).with_name("pointspermis")
AS_OF = "2025-06-01"
LICENCE = {"id": "l-1", "type": "licence_issued", "issued_on": "1990-03-12", "kind": "first",
           "training": "traditional", "categories": ["B"]}


def offence(id: str = "o-3", **fields: Any) -> dict[str, Any]:
    event = {"id": id, "type": "offence", "committed_on": "2024-02-01", "established_on": "2024-03-01",
             "established_by": "fixed_fine_paid", "points": 2, "offence_class": "C4",
             "label": "Excès de vitesse égal ou supérieur à 20 km/h et inférieur à 30 km/h"}
    event.update(fields)
    return event


def without(event: dict[str, Any], field: str) -> dict[str, Any]:
    return {key: value for key, value in event.items() if key != field}


def course(id: str = "c-1", **fields: Any) -> dict[str, Any]:
    event = {"id": id, "type": "course", "first_day": "2024-05-13", "last_day": "2024-05-14", "kind": "voluntary"}
    event.update(fields)
    return event


# (events, who the message must name, the field it must name, another fragment it must contain)
CASES = [
    # record-format.md: decoding
    pytest.param([LICENCE, offence(colour="rouge")], 'event "o-3"', "colour", "unknown", id="unknown-field"),
    pytest.param([LICENCE, offence(points="2")], 'event "o-3"', "points", "int", id="wrong-type-string-for-int"),
    pytest.param([LICENCE, offence(drugs_and_alcohol="oui")], 'event "o-3"', "drugs_and_alcohol", "bool",
                 id="wrong-type-string-for-bool"),
    pytest.param([LICENCE, offence(committed_on=20240201)], 'event "o-3"', "committed_on", "", id="wrong-type-date"),
    pytest.param([LICENCE, without(offence(), "label")], 'event "o-3"', "label", "required",
                 id="missing-required-field"),
    pytest.param([LICENCE, without(offence(), "established_on")], 'event "o-3"', "established_on", "required",
                 id="missing-effective-date"),
    pytest.param([LICENCE, {"id": "z-1", "type": "offense", "committed_on": "2024-02-01"}], 'event "z-1"', "type",
                 "offense", id="unknown-type"),
    pytest.param([LICENCE, without(offence(), "type")], 'event "o-3"', "type", "", id="missing-type"),
    pytest.param([LICENCE, offence(established_on="2025-02-30")], 'event "o-3"', "established_on", "2025-02-30",
                 id="impossible-date-2025-02-30"),
    pytest.param([LICENCE, offence(committed_on="2024-13-01")], 'event "o-3"', "committed_on", "2024-13-01",
                 id="impossible-month"),
    pytest.param([LICENCE, offence(offence_class="C6")], 'event "o-3"', "offence_class", "C6",
                 id="unknown-offence-class"),
    pytest.param([LICENCE, offence(id="o 3")], 'event "o 3"', "id", "", id="id-pattern-space"),
    pytest.param([LICENCE, offence(id="o/3")], 'event "o/3"', "id", "", id="id-pattern-slash"),
    pytest.param([LICENCE, offence(id="o" * 65)], 'event "' + "o" * 65 + '"', "id", "64", id="id-too-long"),
    pytest.param([LICENCE, offence(id="")], "event #2", "id", "", id="id-empty-named-by-index"),
    pytest.param([LICENCE, offence(recorded_on="2024-02-29")], 'event "o-3"', "recorded_on", "2024-02-29",
                 id="recorded-on-before-established-on"),
    pytest.param([LICENCE, course(recorded_on="2024-05-14")], 'event "c-1"', "recorded_on", "2024-05-14",
                 id="recorded-on-before-course-effective-date"),
    pytest.param([LICENCE, offence(established_on="2024-01-02")], 'event "o-3"', "established_on", "committed_on",
                 id="established-before-committed"),
    pytest.param([LICENCE, course(first_day="2024-05-14", last_day="2024-05-13")], 'event "c-1"', "last_day",
                 "first_day", id="last-day-before-first-day"),
    pytest.param([LICENCE, offence(points=7)], 'event "o-3"', "points", "7", id="points-7"),
    pytest.param([LICENCE, offence(points=-1)], 'event "o-3"', "points", "-1", id="points-negative"),
    pytest.param([LICENCE, offence(points=9, offence_class="DELIT", established_by="final_conviction")],
                 'event "o-3"', "points", "9", id="points-9-without-drugs-and-alcohol"),
    pytest.param([LICENCE, offence(points=8, offence_class="DELIT", established_by="final_conviction",
                                   drugs_and_alcohol=True)], 'event "o-3"', "points", "8",
                 id="points-8-with-drugs-and-alcohol"),
    pytest.param([LICENCE, offence(), offence(label="Autre libellé")], 'event "o-3"', "id", "o-3",
                 id="duplicate-id"),
    # points-rules.md §11: the engine refuses, never guesses
    pytest.param([LICENCE, offence(committed_on="1992-06-30", established_on="1992-12-01", points=4)],
                 'event "o-3"', "committed_on", "1992-06-30", id="committed-before-1992-07-01"),
    pytest.param([LICENCE, offence(committed_on="1992-07-01", established_on="1992-11-30", points=4)],
                 'event "o-3"', "established_on", "1992-11-30", id="established-before-1992-12-01"),
    pytest.param([offence()], 'event "o-3"', "", "licence_issued", id="offence-without-any-licence"),
    pytest.param([dict(LICENCE, issued_on="2024-06-01"), offence()], 'event "o-3"', "", "licence_issued",
                 id="offence-before-the-licence-was-issued"),
    pytest.param([LICENCE, offence(), {"id": "x-1", "type": "cancellation", "cancels": "o-9",
                                       "cancelled_on": "2024-06-18"}], 'event "x-1"', "cancels", "o-9",
                 id="cancellation-of-unknown-id"),
]


def api_problems(events: list[dict[str, Any]], as_of: str = AS_OF) -> list[str]:
    """The problems the Python API reports: decoding first, then the engine's own refusals."""
    from backend.law import compute

    try:
        compute(decode_events(events), dt.date.fromisoformat(as_of))
    except InvalidRecord as exc:
        return [str(problem) for problem in exc.problems]
    pytest.fail("the file was accepted")


def run_cli(tmp_path: Path, document: Any, *args: str) -> subprocess.CompletedProcess[bytes]:
    path = tmp_path / "dossier.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return subprocess.run([str(CLI), "compute", str(path), *args], capture_output=True, timeout=60)


def assert_names(line: str, who: str, field: str, fragment: str) -> None:
    assert line.startswith(who + ":"), f"{line!r} should start by naming {who}"
    assert field in line.removeprefix(who), f"{line!r} should name the field {field!r}"
    assert fragment in line, f"{line!r} should mention {fragment!r}"


@pytest.mark.parametrize(("events", "who", "field", "fragment"), CASES)
def test_api_refuses(events: list[dict[str, Any]], who: str, field: str, fragment: str) -> None:
    problems = api_problems(events)
    assert len(problems) == 1, problems
    assert_names(problems[0], who, field, fragment)


@pytest.mark.parametrize(("events", "who", "field", "fragment"), CASES)
def test_cli_refuses(tmp_path: Path, events: list[dict[str, Any]], who: str, field: str, fragment: str) -> None:
    done = run_cli(tmp_path, {"as_of": AS_OF, "events": events})
    assert done.returncode == 2, done.stderr.decode()
    assert done.stdout == b""
    lines = done.stderr.decode("utf-8").splitlines()
    assert len(lines) == 1, lines
    assert_names(lines[0], who, field, fragment)


def test_cli_message_of_the_contract(tmp_path: Path) -> None:
    done = run_cli(tmp_path, {"as_of": AS_OF, "events": [LICENCE, offence(established_on="2024-01-02")]})
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode("utf-8") == 'event "o-3": established_on 2024-01-02 is before committed_on 2024-02-01\n'


def test_every_problem_reported_one_line_each(tmp_path: Path) -> None:
    events = [LICENCE, offence("o-1", colour="rouge"), offence("o-2", established_on="2025-02-30"),
              offence("o-3", established_on="2024-01-02"), course("c-1", first_day="2024-05-14", last_day="2024-05-13")]
    expected = [('event "o-1"', "colour"), ('event "o-2"', "established_on"), ('event "o-3"', "established_on"),
                ('event "c-1"', "last_day")]
    problems = api_problems(events)
    done = run_cli(tmp_path, {"as_of": AS_OF, "events": events})
    assert (done.returncode, done.stdout) == (2, b"")
    lines = done.stderr.decode("utf-8").splitlines()
    for reported in (problems, lines):
        assert len(reported) == len(expected), reported
        for (who, field), line in zip(expected, reported):
            assert_names(line, who, field, "")


def test_valid_events_with_a_refused_offence_still_refused_whole(tmp_path: Path) -> None:
    """A refusal never yields a partial result: nothing on standard output at all."""
    events = [LICENCE, offence("o-1"), offence("o-2", committed_on="1992-06-30", established_on="1993-01-04", points=4)]
    done = run_cli(tmp_path, {"as_of": AS_OF, "events": events})
    assert (done.returncode, done.stdout) == (2, b"")
    assert [line.split(":")[0] for line in done.stderr.decode().splitlines()] == ['event "o-2"']


def test_cli_invalid_json(tmp_path: Path) -> None:
    done = run_cli(tmp_path, '{"as_of": "2025-06-01", "events": [')
    assert (done.returncode, done.stdout) == (2, b"")
    assert len(done.stderr.decode().splitlines()) == 1


@pytest.mark.parametrize("as_of", ["2025-02-30", "01/06/2025"])
def test_cli_impossible_as_of(tmp_path: Path, as_of: str) -> None:
    done = run_cli(tmp_path, {"events": [LICENCE]}, "--as-of", as_of)
    assert (done.returncode, done.stdout) == (2, b"")
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and as_of in lines[0], lines


def test_cli_accepts_the_boundary_file(tmp_path: Path) -> None:
    """The same harness on a valid file (offence of 1992-07-01 established 1992-12-01): exit 0, JSON out."""
    events = [LICENCE, offence(committed_on="1992-07-01", established_on="1992-12-01", points=4)]
    done = run_cli(tmp_path, {"as_of": "1993-06-01", "events": events})
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    assert json.loads(done.stdout)["balance"] == 8
