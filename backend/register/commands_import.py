"""`pointspermis import FILE... [--db PATH] [--skip-invalid]`: import register feed files.

Each file is one transaction, imported in the order given. By default a single bad line rejects
its whole file (exit status 1, database unchanged); with ``--skip-invalid`` the valid lines are
imported and the bad ones written, with their reasons, to ``FILE.rejected.jsonl``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from backend.database.commands_migrate import add_db_argument, open_for_command
from backend.register.importer import FeedImporter, Problem, open_writer

# Below this size an import takes well under a second: no progress bar, no worker processes.
PROGRESS_MIN_BYTES = 5_000_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path, help="fichier d'extraction (JSON Lines)")
    add_db_argument(parser)
    parser.add_argument("--skip-invalid", action="store_true",
                        help="importe les lignes valides et écrit les autres dans FILE.rejected.jsonl")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="processus qui valident les lignes pendant que celui-ci écrit (défaut : selon la "
                             "taille du fichier et le nombre de cœurs ; 0 = aucun)")


def run(args: argparse.Namespace) -> int:
    path, migrated = open_for_command(args)
    if migrated is None:
        return 1
    migrated.close()  # before the import's own connection opens the file (see importer.open_writer)
    conn = open_writer(path)
    status = 0
    try:
        for file in args.files:
            if not file.is_file():
                print(f"{file}: no such file", file=sys.stderr)
                status = 1
                continue
            status = max(status, import_one(conn, file, args.skip_invalid, args.workers))
    finally:
        conn.close()
    return status


def default_workers(size: int) -> int:
    """Line checks and SQLite writes cost about the same: one checker per spare core, up to 3."""
    if size < PROGRESS_MIN_BYTES:
        return 0
    return max(1, min(3, (os.cpu_count() or 1) - 1))


def import_one(conn, file: Path, skip_invalid: bool, workers: int | None = None) -> int:
    def report(problem: Problem) -> None:
        print(f"{file}:{problem.line}: {problem.ref}: {problem.reason}", file=sys.stderr)

    bar = None
    size = file.stat().st_size
    if sys.stderr.isatty() and size >= PROGRESS_MIN_BYTES:
        from tqdm import tqdm
        bar = tqdm(total=size, unit="B", unit_scale=True, desc=file.name, file=sys.stderr, leave=False)
    try:
        result = FeedImporter(conn, file, skip_invalid, report=report,
                              progress=bar.update if bar else (lambda n: None),
                              workers=default_workers(size) if workers is None else workers).run()
    finally:
        if bar:
            bar.close()
    print(result.summary())
    if result.status == "rejected":
        print(f"{file}: rejected, nothing imported — fix the lines above, or rerun with --skip-invalid to "
              f"import the valid lines and keep the others in {file.name}.rejected.jsonl", file=sys.stderr)
        return 1
    if result.rejected_file:
        print(f"{file}: {len(result.problems)} lines not imported, kept with their reasons in {result.rejected_file}",
              file=sys.stderr)
    return 0
