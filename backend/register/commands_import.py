"""`pointspermis import FILE... [--db PATH|URL] [--skip-invalid]`: import register feed files, into SQLite
(importer.py) or PostgreSQL (a `postgresql://` URL: pg_importer.py).

Each file is one transaction, imported in the order given. By default a single bad line rejects
its whole file (exit status 1, database unchanged); with ``--skip-invalid`` the valid lines are
imported and the bad ones written, with their reasons, to ``FILE.rejected.jsonl``.

Exit status 75 (sysexits' EX_TEMPFAIL, for a scheduler: try again later) when the connection to PostgreSQL is
lost during an import (the server restarting, failing over): the file under way is rolled back, the files
before it are imported, and the same command run again imports the rest (a file already imported is
recognised, its events unchanged). A server that cannot be reached at the start is exit status 1, as a
refused login is: libpq does not say which it was.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from backend.database import SyncStoreConnection, postgres
from backend.database.commands_migrate import add_db_argument, db_path, open_for_command
from backend.database.db import DatabaseError, StoreUnavailable
from backend.register import lag
from backend.register.importer import SqliteBulkLoader, open_writer
from backend.register.pg_importer import PostgresBulkLoader
from backend.register.store import BulkLoader, Problem

# Below this size an import takes well under a second: no progress bar.
PROGRESS_MIN_BYTES = 5_000_000
EX_TEMPFAIL = 75


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path, help="fichier d'extraction (JSON Lines)")
    add_db_argument(parser)
    parser.add_argument("--skip-invalid", action="store_true",
                        help="importe les lignes valides et écrit les autres dans FILE.rejected.jsonl")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="processus qui valident les lignes pendant que celui-ci écrit (défaut : selon la "
                             "taille du fichier et le nombre de cœurs ; 0 = aucun)")
    parser.add_argument("--indexes-at-end", action="store_true",
                        help="PostgreSQL, registre vide (chargement initial, service fermé) : construit les index "
                             "des événements à la fin, plus vite, mais les lectures des événements attendent la fin")


def run(args: argparse.Namespace) -> int:
    if postgres.is_postgres_url(db_path(args)):
        return run_postgres(args, db_path(args))
    path, migrated = open_for_command(args)
    if migrated is None:
        return 1
    migrated.close()  # before the import's own connection opens the file (see importer.open_writer)
    conn = open_writer(path)
    try:
        return import_all(SqliteBulkLoader(conn, args.workers), conn, args)
    finally:
        conn.close()


def run_postgres(args: argparse.Namespace, url: str) -> int:
    """The same on PostgreSQL (register/pg_importer.py: COPY)."""
    try:
        conn = postgres.connect(url)
    except DatabaseError as exc:
        print(f"{postgres.safe_url(url)}: {exc}", file=sys.stderr)
        return 1
    try:
        with postgres.unavailable_as_such(url):
            postgres.migrate(conn)
            loader = PostgresBulkLoader(conn, args.workers, indexes_at_end=args.indexes_at_end)
            if not loader.references_checked_here:
                print(f"{postgres.safe_url(url)}: this role may not set session_replication_role, so PostgreSQL "
                      "checks every event's holder itself (the import is about three times slower); a superuser "
                      "can allow it: GRANT SET ON PARAMETER session_replication_role TO <role>", file=sys.stderr)
            return import_all(loader, postgres.SyncConnection(conn), args)
    except StoreUnavailable as exc:  # the connection lost outside a file's import (measuring the data lag)
        print(f"{exc}: run the same command again once the database answers (the files imported so far stay "
              "imported, and are recognised)", file=sys.stderr)
        return EX_TEMPFAIL
    except DatabaseError as exc:
        print(f"{postgres.safe_url(url)}: {exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()


def import_all(loader: BulkLoader, conn: SyncStoreConnection, args: argparse.Namespace) -> int:
    """Each file in order, then the data lag (on `conn`, the import's connection)."""
    status = 0
    for file in args.files:
        if not file.is_file():
            print(f"{file}: no such file", file=sys.stderr)
            status = 1
            continue
        try:
            status = max(status, import_one(loader, file, args.skip_invalid))
        except StoreUnavailable as exc:
            done = args.files[:args.files.index(file)]
            print(f"{file}: {exc} during its import: nothing of this file was imported (one transaction per file)"
                  f"{'; the files before it stay as imported above' if done else ''}. Run the same command again "
                  "once the database answers: a file already imported is recognised and left as it is.",
                  file=sys.stderr)
            return EX_TEMPFAIL
    lag.refresh(conn)  # the data lag shown to drivers, measured once per import (register/lag.py)
    return status


def import_one(loader: BulkLoader, file: Path, skip_invalid: bool) -> int:
    def report(problem: Problem) -> None:
        print(f"{file}:{problem.line}: {problem.ref}: {problem.reason}", file=sys.stderr)

    bar = None
    size = file.stat().st_size
    if sys.stderr.isatty() and size >= PROGRESS_MIN_BYTES:
        from tqdm import tqdm
        bar = tqdm(total=size, unit="B", unit_scale=True, desc=file.name, file=sys.stderr, leave=False)
    try:
        result = loader.load(file, skip_invalid, report=report, progress=bar.update if bar else None)
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
