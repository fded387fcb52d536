"""`pointspermis migrate [--db PATH|URL]`: create the database or bring it to the latest schema
(SQLite files, or PostgreSQL with a `postgresql://` URL).

On SQLite `--db` (or `POINTSPERMIS_DB`) names the register file; the accounts file is
`POINTSPERMIS_ACCOUNTS_DB` or the register file's sibling (`backend/database/stores.py`), migrated too.
A register file from before the split (its accounts tables hold rows) has those rows moved into the
accounts file, once (`stores.move_accounts`). On PostgreSQL one database holds both.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys

import msgspec

from backend.database import postgres
from backend.database.db import DatabaseError, open_migrated
from backend.database.stores import prepare_stores
from backend.settings import get_settings


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH|URL", help="fichier SQLite du registre ou URL postgresql:// "
                        "(par défaut POINTSPERMIS_DB, sinon var/pointspermis.sqlite3)")


def db_path(args: argparse.Namespace) -> str:
    return args.db or get_settings().db


def open_for_command(args: argparse.Namespace) -> tuple[str, sqlite3.Connection | None]:
    """The `--db` database (the register file) opened and migrated; on refusal the reason is printed
    and None returned."""
    path = db_path(args)
    try:
        return path, open_migrated(path)
    except DatabaseError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return path, None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)


def run(args: argparse.Namespace) -> int:
    if postgres.is_postgres_url(db_path(args)):
        return run_postgres(db_path(args))
    settings = get_settings()
    if args.db:
        settings = msgspec.structs.replace(settings, db=args.db)
    try:
        register, register_version, accounts, accounts_version, moved = prepare_stores(settings)
    except DatabaseError as exc:
        print(f"pointspermis migrate: {exc}", file=sys.stderr)
        return 1
    print(f"{register}: schema version {register_version} (register)")
    print(f"{accounts}: schema version {accounts_version} (accounts)")
    if moved:
        print(f"{register}: accounts rows moved to {accounts}: "
              + ", ".join(f"{table} {count}" for table, count in moved.items()))
    return 0


def run_postgres(url: str) -> int:
    name = postgres.safe_url(url)
    try:
        with postgres.connect(url) as conn:
            postgres.migrate(conn)
            print(f"{name}: schema version {postgres.schema_version(conn)}")
    except DatabaseError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 1
    return 0
