"""`pointspermis demo [--holders N] [--seed S] [--output FILE]`: write a deterministic demo feed.

The showcase holders (see `backend.demo.generator`) come first; the same arguments always give
the same file, byte for byte.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from backend.demo.generator import write_feed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--holders", type=int, default=200, metavar="N", help="nombre de titulaires (défaut 200)")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="graine du générateur (défaut 1)")
    parser.add_argument("--output", type=Path, metavar="FILE", help="fichier à écrire (défaut : sortie standard)")


def run(args: argparse.Namespace) -> int:
    if args.holders < 1:
        print("--holders must be at least 1", file=sys.stderr)
        return 2
    if args.output is None:
        write_feed(sys.stdout.buffer, args.holders, args.seed)
        sys.stdout.flush()
    else:
        partial = args.output.with_name(args.output.name + ".partial")
        with partial.open("wb") as out:
            write_feed(out, args.holders, args.seed)
        partial.replace(args.output)
    return 0
