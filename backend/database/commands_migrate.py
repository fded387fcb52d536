"""`pointspermis migrate [--db PATH]`: create the database or bring it to the latest schema."""

from __future__ import annotations

import argparse
import sqlite3
import sys

from backend.database.db import DatabaseError, open_migrated, schema_version
from backend.settings import get_settings


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", help="fichier SQLite (par défaut POINTSPERMIS_DB, "
                        "sinon var/pointspermis.sqlite3)")


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
    path, conn = open_for_command(args)
    if conn is None:
        return 1
    try:
        print(f"{path}: schema version {schema_version(conn)}")
    finally:
        conn.close()
    return 0
