"""Prepare a local development instance for `make run` (never used in production).

- var/dev.env: development secrets (session/CSRF key, statement seal key), made once;
- the register file: migrated, and filled with a demo feed when it has no holder yet;
- a demo personal account linked to a showcase holder (in the accounts file beside the register's),
  printed for the newcomer;
- var/oidc-identities.json: identities for the local OpenID provider that match demo holders
  (FranceConnect's "identité pivot"), so that FranceConnect sign-in finds their files.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

VAR = Path("var")
DEMO_HOLDERS = int(os.environ.get("DEMO_HOLDERS", "2000"))
DEMO_EMAIL = "demo@pointspermis.localhost"
DEMO_PASSWORD = "demonstration-permis-2026"
DEMO_NEPH = "100000000001"
PIVOT_NEPHS = ["100000000001", "100000000002", "100000000003", "100000000007", "100000000008"]


def dev_env() -> dict[str, str]:
    path = VAR / "dev.env"
    if not path.exists():
        seal_key = subprocess.run([sys.executable, "-m", "backend.statement.keys", "dev"],
                                  check=True, capture_output=True, text=True).stdout.strip()
        path.write_text(f"POINTSPERMIS_SECRET_KEY={secrets.token_urlsafe(48)}\n"
                        f"POINTSPERMIS_SEAL_PRIVATE_KEY={seal_key}\n"
                        f"POINTSPERMIS_FC_CLIENT_SECRET={secrets.token_urlsafe(32)}\n")
        path.chmod(0o600)
    return dict(line.split("=", 1) for line in path.read_text().split())


async def prepare_db(db_path: str) -> None:
    from backend.accounts.testing import create_linked_account
    from backend.database import open_database
    from backend.database.stores import open_stores
    from backend.register.repository import SqlRegister
    from backend.settings import get_settings

    # `pointspermis migrate`: on SQLite both files (the register's and the accounts' beside it), and a
    # register file from before the split has its accounts moved to the accounts file.
    subprocess.run([sys.executable, "-m", "backend", "migrate", "--db", db_path], check=True)
    db = await open_database(db_path)
    try:
        async with db.read() as conn:
            (holders,) = await (await conn.execute("SELECT count(*) FROM holders")).fetchone()
    finally:
        await db.close()  # before the import, which then writes a SQLite file in place (importer.write_in_place)
    if holders == 0:
        feed = VAR / "demo-feed.jsonl"
        print(f"Données de démonstration : {DEMO_HOLDERS} titulaires fictifs…", flush=True)
        subprocess.run([sys.executable, "-m", "backend", "demo", "--holders", str(DEMO_HOLDERS),
                        "--output", str(feed)], check=True)
        subprocess.run([sys.executable, "-m", "backend", "import", str(feed), "--db", db_path], check=True)
    db, accounts_db = await open_stores(get_settings())
    try:
        await create_linked_account(accounts_db, DEMO_EMAIL, DEMO_PASSWORD, DEMO_NEPH)
        register = SqlRegister(db)
        identities = []
        for neph in PIVOT_NEPHS:
            holder = await register.get_holder(neph)
            if holder is not None:
                identities.append({
                    "login": neph, "given_name": holder.given_names, "family_name": holder.family_name,
                    "birthdate": holder.birth_date.isoformat(), "birthplace": holder.birth_place,
                    "birthcountry": holder.birth_country, "gender": holder.gender,
                    "email": f"{neph}@franceconnect.localhost",
                })
        (VAR / "oidc-identities.json").write_text(json.dumps(identities, ensure_ascii=False, indent=1))
    finally:
        await db.close()
        await accounts_db.close()


def main() -> None:
    VAR.mkdir(exist_ok=True)
    env = dev_env()
    os.environ.update(env)
    asyncio.run(prepare_db(os.environ["POINTSPERMIS_DB"]))


if __name__ == "__main__":
    main()
