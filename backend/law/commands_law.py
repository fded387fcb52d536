"""`pointspermis law [--json]`: the dated law tables the engine applies, with their articles."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

import msgspec

from .tables import PARAMETERS

_COLUMNS = ("parameter", "value", "from", "until", "article", "url")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="tableau JSON, un objet par version")
    parser.add_argument("--on", metavar="YYYY-MM-DD", help="seulement les versions en vigueur à cette date")


def rows(on: dt.date | None = None) -> list[dict[str, str | int | None]]:
    """One row per version of every parameter, in table order (only those in force `on` a date)."""
    out: list[dict[str, str | int | None]] = []
    for parameter in PARAMETERS:
        for version in parameter.versions:
            if on is not None and not version.covers(on):
                continue
            out.append({
                "parameter": parameter.name, "label": parameter.label, "unit": parameter.unit,
                "keyed_by": parameter.keyed_by, "value": version.value,
                "from": version.effective_from.isoformat() if version.effective_from else None,
                "until": version.effective_until.isoformat() if version.effective_until else None,
                "article": f"Code de la route, art. {version.article}", "url": version.url, "note": version.note,
            })
    return out


def _text(value: object) -> str:
    return "—" if value is None else str(value)


def run(args: argparse.Namespace) -> int:
    on = None
    if args.on is not None:
        try:
            on = dt.date.fromisoformat(args.on) if len(args.on) == 10 else None
        except ValueError:
            pass
        if on is None:
            print(f"--on {args.on!r} is not an existing date in the form YYYY-MM-DD", file=sys.stderr)
            return 2
    table = rows(on)
    if args.json:
        text = msgspec.json.format(msgspec.json.encode(table), indent=2).decode() + "\n"
    else:
        lines = [list(_COLUMNS)] + [[_text(row[c]) for c in _COLUMNS] for row in table]
        widths = [max(len(line[i]) for line in lines) for i in range(len(_COLUMNS) - 1)]
        text = "".join("  ".join([cell.ljust(widths[i]) for i, cell in enumerate(line[:-1])] + [line[-1]]).rstrip()
                       + "\n" for line in lines)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `pointspermis law | head`: the reader has seen enough
        sys.stdout = open(os.devnull, "w")
    return 0
