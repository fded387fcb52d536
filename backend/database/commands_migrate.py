"""`pointspermis migrate [--db PATH|URL]`: create the database or bring it to the latest schema
(a SQLite file, or PostgreSQL with a `postgresql://` URL)."""

from __future__ import annotations

import argparse
import sqlite3
import sys

from backend.database import postgres
from backend.database.db import DatabaseError, open_migrated, schema_version
from backend.settings import get_settings


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH|URL", help="fichier SQLite ou URL postgresql:// "
                        "(par défaut POINTSPERMIS_DB, sinon var/pointspermis.sqlite3)")


def db_path(args: argparse.Namespace) -> str:
    return args.db or get_settings().db


def open_for_command(args: argparse.Namespace) -> tuple[str, sqlite3.Connection | None]:
    """The `--db` database opened and migrated; on refusal the reason is printed and None returned."""
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
    path, conn = open_for_command(args)
    if conn is None:
        return 1
    try:
        print(f"{path}: schema version {schema_version(conn)}")
    finally:
        conn.close()
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
