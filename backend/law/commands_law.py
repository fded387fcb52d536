"""`pointspermis law [--json]`: the dated law tables the engine applies, with their articles."""

from __future__ import annotations

import argparse
import sys

import msgspec

from .tables import PARAMETERS

_COLUMNS = ("parameter", "value", "from", "until", "article", "url")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="une ligne JSON par version (tableau JSON)")


def rows() -> list[dict[str, str | int | None]]:
    """One row per version of every parameter, in table order."""
    out: list[dict[str, str | int | None]] = []
    for parameter in PARAMETERS:
        for version in parameter.versions:
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
    table = rows()
    if args.json:
        sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(table), indent=2) + b"\n")
        return 0
    lines = [list(_COLUMNS)] + [[_text(row[c]) for c in _COLUMNS] for row in table]
    widths = [max(len(line[i]) for line in lines) for i in range(len(_COLUMNS) - 1)]
    for line in lines:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(line[:-1])] + [line[-1]]
        print("  ".join(cells).rstrip())
    return 0
