"""`pointspermis compute FILE [--as-of YYYY-MM-DD] [--policy NAME=VALUE ...]` (spec/engine-contract.md).

Prints one JSON object (exit 0). Invalid input: exit 2, nothing on standard output, one line
per problem on standard error naming the event and the field.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import msgspec

from .dates import PARIS
from .engine import compute
from .events import InvalidRecord, decode_event, decode_events
from .record import problems as file_problems
from .policies import parse_policies
from .result import to_json

EXIT_INVALID = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE",
                        help='fichier JSON {"events": [...], "as_of": "AAAA-MM-JJ"}, ou - pour l\'entrée standard')
    parser.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD",
                        help="date du calcul (par défaut : celle du fichier, sinon aujourd'hui)")
    parser.add_argument("--policy", action="append", default=[], metavar="NAME=VALUE",
                        help="choix d'interprétation, ex. probation_full_restoration=literal")


def _date(text: object, what: str) -> dt.date:
    if isinstance(text, str):
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"{what} {text!r} is not an existing date in the form YYYY-MM-DD")


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    with open(name, "rb") as handle:
        return handle.read()


def _fail(lines: list[str]) -> int:
    for line in lines:
        print(line, file=sys.stderr)
    return EXIT_INVALID


def _file_problems(raws: object) -> list[str]:
    """Problems across events (e.g. a cancellation of an unknown id) among those that decoded,
    so that one run reports everything wrong with the file."""
    if not isinstance(raws, list):
        return []
    decoded, failed_ids = [], set()
    for index, raw in enumerate(raws):
        try:
            decoded.append(decode_event(raw, index))
        except InvalidRecord:
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                failed_ids.add(raw["id"])
    invalid, outside = file_problems(decoded, frozenset(failed_ids))
    # Only what decoding cannot have reported and that does not depend on a failed event.
    return [str(p) for p in invalid if p.field == "cancels"] + [str(p) for p in outside]


def run(args: argparse.Namespace) -> int:
    source = "standard input" if args.file == "-" else args.file
    try:
        data = msgspec.json.decode(_read(args.file))
    except OSError as exc:
        return _fail([f"cannot read {source}: {exc.strerror or exc}"])
    except msgspec.DecodeError as exc:
        return _fail([f"{source}: invalid JSON: {exc}"])
    if not isinstance(data, dict):
        return _fail([f'{source}: expected a JSON object {{"events": [...], "as_of": "YYYY-MM-DD"}}'])
    problems: list[str] = []
    as_of = dt.datetime.now(PARIS).date()  # the legal date in France, as the web app's
    try:
        if args.as_of is not None:
            as_of = _date(args.as_of, "--as-of")
        elif "as_of" in data:
            as_of = _date(data["as_of"], "as_of")
    except ValueError as exc:
        problems.append(str(exc))
    try:
        policies = parse_policies(args.policy)
    except InvalidRecord as exc:
        problems.extend(p.message for p in exc.problems)
    if "events" not in data:
        problems.append(f"{source}: events is required (a JSON array of record events)")
    if problems:
        return _fail(problems)
    try:
        events = decode_events(data["events"])
    except InvalidRecord as exc:
        return _fail([str(p) for p in exc.problems] + _file_problems(data["events"]))
    try:
        result = compute(events, as_of, policies)
    except InvalidRecord as exc:
        return _fail([str(p) for p in exc.problems])
    sys.stdout.buffer.write(to_json(result) + b"\n")
    sys.stdout.flush()
    return 0
