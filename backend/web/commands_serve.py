"""`pointspermis serve --host --port --workers --db`: serve the web application with Granian.

Granian runs each worker in its own process; every worker builds the app with `create_app()`
from the environment, so the options below are passed to them as `POINTSPERMIS_*` variables.
Both database files, the register's (`--db`) and the accounts' (`POINTSPERMIS_ACCOUNTS_DB`, or the
register file's sibling: backend/database/stores.py), are opened (and migrated) by each worker's
lifespan; a register file from before the split is refused here first, with what to do.
"""

from __future__ import annotations

import argparse
import os

from backend.database.db import DatabaseError
from backend.database.postgres import is_postgres_url
from backend.database.stores import check_split, store_paths
from backend.settings import load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (défaut : 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port d'écoute (défaut : 8000)")
    parser.add_argument("--workers", type=int, default=1, help="nombre de processus (défaut : 1)")
    parser.add_argument("--db", metavar="PATH|URL",
                        help="fichier SQLite du registre (défaut : POINTSPERMIS_DB ou var/pointspermis.sqlite3 ; "
                        "les comptes sont dans un fichier voisin, voir POINTSPERMIS_ACCOUNTS_DB), "
                        "ou URL postgresql:// d'une base qui contient tout")
    parser.add_argument("--access-log", action="store_true", help="journaliser chaque requête")


def run(args: argparse.Namespace) -> int:
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    if args.db:
        os.environ["POINTSPERMIS_DB"] = args.db
    if args.workers < 1:
        print("--workers doit valoir au moins 1")
        return 2
    try:
        settings = load_settings()  # refuse bad settings here, with a clear message, before starting any worker
        if not is_postgres_url(settings.db):
            check_split(*store_paths(settings))
    except ValueError as exc:
        print(f"pointspermis serve : {exc}")
        return 2
    except DatabaseError as exc:
        print(f"pointspermis serve : {exc}")
        return 1
    Granian(
        "backend.app:create_app",
        factory=True,
        address=args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        workers=args.workers,
        log_access=args.access_log,
        log_level=LogLevels.warning,
    ).serve()
    return 0
