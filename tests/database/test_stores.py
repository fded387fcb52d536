"""Two files, the register's and the accounts' (backend/database/stores.py, #18): where each table's
rows live, `pointspermis migrate` on both, and a register file from before the split."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest

from backend.accounts.testing import create_linked_account, create_session
from backend.cli import main
from backend.database.db import Database, DatabaseError, migrations, open_migrated
from backend.database.stores import ACCOUNTS_TABLES, REGISTER_TABLES, accounts_db_for, open_stores, store_paths
from tests.database.paused_import import big_feed
from tests.fixtures.accounts import HOLDERS, TEST_PASSWORD, running_app, seed_database, settings_for
from tests.fixtures.register import DEMO_SEED, import_feed_process
from tests.statement.test_routes import LONG
from tests.statement.test_sharing import create, open_code, third_party

LATEST = migrations()[-1][0]
ROOT = Path(__file__).resolve().parents[2]


def counts(path: Path, tables: tuple[str, ...]) -> dict[str, int]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}
    finally:
        conn.close()


def rows(path: Path, table: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
    finally:
        conn.close()


def test_the_accounts_file_is_the_register_files_sibling_unless_named(tmp_path: Path) -> None:
    assert accounts_db_for("var/pointspermis.sqlite3") == Path("var/pointspermis.accounts.sqlite3")
    assert accounts_db_for("/srv/pp/register.db") == Path("/srv/pp/register.accounts.db")
    assert accounts_db_for("/srv/pp/register") == Path("/srv/pp/register.accounts")
    assert accounts_db_for("var/pointspermis.sqlite3", "/elsewhere/accounts.sqlite3") == Path("/elsewhere/accounts.sqlite3")
    register = tmp_path / "r.sqlite3"
    assert store_paths(settings_for(register)) == (register, tmp_path / "r.accounts.sqlite3")
    with pytest.raises(DatabaseError, match="POINTSPERMIS_ACCOUNTS_DB names the register file itself"):
        store_paths(settings_for(register, accounts_db=str(tmp_path / "." / "r.sqlite3")))


def test_every_table_belongs_to_exactly_one_file(tmp_path: Path) -> None:
    """A migration that adds a table must say in stores.py which file its rows live in."""
    conn = open_migrated(tmp_path / "schema.sqlite3")
    try:
        tables = {name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    finally:
        conn.close()
    assert not set(REGISTER_TABLES) & set(ACCOUNTS_TABLES)
    assert tables == set(REGISTER_TABLES) | set(ACCOUNTS_TABLES)


async def test_each_file_holds_only_its_own_rows_after_a_session_and_an_import(signed_in_client, tmp_path: Path) -> None:
    client = await signed_in_client(LONG)
    harness = signed_in_client.harness
    for path in ("/solde", "/historique", "/releve", "/attestation"):
        assert (await client.get(path)).status_code == 200, path
    code = await create(client)  # a share code, opened once by a third party, once with a wrong code
    browser = await third_party(harness)
    assert (await open_code(browser, code)).status_code == 200
    assert (await open_code(browser, "0" * 26)).status_code != 200
    stranger = await harness.client()
    token = await harness.csrf(stranger)
    response = await stranger.post("/connexion", data={"email": client.email, "password": "pas le bon",
                                                       "_csrf_token": token})
    assert response.status_code == 400
    await harness.accounts.access_log.flush()
    register, accounts = Path(harness.app.state.register_db.path), Path(harness.app.state.accounts_db.path)
    assert accounts == accounts_db_for(register)

    feed = big_feed(tmp_path / "next.jsonl", 80, DEMO_SEED, "demo-next-extra")
    done = import_feed_process(register, feed)
    assert done.returncode == 0, done.stderr

    assert set(counts(register, ACCOUNTS_TABLES).values()) == {0}, "accounts rows in the register file"
    assert set(counts(accounts, REGISTER_TABLES).values()) == {0}, "register rows in the accounts file"
    written = counts(accounts, ACCOUNTS_TABLES)
    for table in ("accounts", "sessions", "attempts", "access_log", "issued_documents", "share_codes",
                  "share_code_uses", "code_attempts"):
        assert written[table] > 0, f"nothing written to {table}: the test does not exercise it"
    imported = counts(register, REGISTER_TABLES)
    assert imported["extracts"] == 2 and imported["holders"] == 80 and imported["data_lag"] == 1


def test_migrate_creates_and_migrates_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register = tmp_path / "new" / "register.sqlite3"
    assert main(["migrate", "--db", str(register)]) == 0
    accounts = tmp_path / "new" / "register.accounts.sqlite3"
    out = capsys.readouterr().out
    assert f"{register}: schema version {LATEST} (register)" in out
    assert f"{accounts}: schema version {LATEST} (accounts)" in out
    for path in (register, accounts):
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        finally:
            conn.close()


async def pre_split_file(path: Path) -> tuple[int, str]:
    """A register file as the service wrote it before the split: holders, and an account with a
    session and access-log rows in the same file. Returns (account id, session cookie)."""
    await seed_database(path)
    db = await Database.open(path)
    try:
        account_id = await create_linked_account(db, "ancien@exemple.test", TEST_PASSWORD, HOLDERS[0].neph)
        session = await create_session(db, account_id)
        async with db.write() as conn:
            await conn.executemany("INSERT INTO access_log (viewed_at, account_id, neph, page, channel) "
                                   "VALUES (?, ?, ?, ?, 'password')",
                                   [(int(time.time()) - 60 + i, account_id, HOLDERS[0].neph, "/solde") for i in range(3)])
    finally:
        await db.close()
    return account_id, session


async def test_a_register_file_from_before_the_split_is_refused_until_migrate_moves_its_accounts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register = tmp_path / "old.sqlite3"
    accounts = accounts_db_for(register)
    account_id, session = await pre_split_file(register)
    before = {table: rows(register, table) for table in ("accounts", "sessions", "access_log")}

    with pytest.raises(DatabaseError, match=f"run `pointspermis migrate --db {register}` once"):
        await open_stores(settings_for(register))
    served = subprocess.run([str(Path(sys.executable).with_name("pointspermis")), "serve", "--port", "1",
                             "--db", str(register)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert served.returncode == 1 and "holds accounts rows from before" in served.stdout + served.stderr

    assert main(["migrate", "--db", str(register)]) == 0
    out = capsys.readouterr().out
    assert f"{register}: accounts rows moved to {accounts}: accounts 1, sessions 1, access_log 3" in out
    assert set(counts(register, ACCOUNTS_TABLES).values()) == {0}
    assert {table: rows(accounts, table) for table in before} == before, "moved as they were, ids kept"
    assert counts(register, ("holders",)) == {"holders": len(HOLDERS)}

    # The driver's session from before the split still works, and the service writes beside it.
    async with running_app(settings_for(register)) as harness:
        browser = await harness.client()
        browser.cookies.set(harness.accounts.sessions.cookie_name, session, domain="testserver.local")
        assert (await browser.get("/solde")).status_code == 200
        entries = await harness.accounts.access_log.entries(account_id=account_id)
    assert len(entries) == 4

    assert main(["migrate", "--db", str(register)]) == 0  # once: nothing left to move
    assert "moved" not in capsys.readouterr().out


async def test_a_move_interrupted_after_its_copy_is_finished_by_the_next_migrate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register = tmp_path / "old.sqlite3"
    accounts = accounts_db_for(register)
    await pre_split_file(register)
    # The first transaction of the move done, the second (deleting from the register file) not.
    open_migrated(accounts).close()
    conn = sqlite3.connect(accounts, isolation_level=None)
    conn.execute("ATTACH DATABASE ? AS old", (str(register),))
    for table in ACCOUNTS_TABLES:
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM old.{table}")
    conn.close()
    copied = counts(accounts, ACCOUNTS_TABLES)

    assert main(["migrate", "--db", str(register)]) == 0
    assert "accounts rows moved" in capsys.readouterr().out
    assert set(counts(register, ACCOUNTS_TABLES).values()) == {0}
    assert counts(accounts, ACCOUNTS_TABLES) == copied, "nothing copied twice"


async def test_a_register_file_and_an_accounts_file_both_holding_accounts_are_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register = tmp_path / "old.sqlite3"
    accounts = accounts_db_for(register)
    await pre_split_file(register)
    db = await Database.open(accounts)
    try:
        await create_linked_account(db, "autre@exemple.test", TEST_PASSWORD, None)
    finally:
        await db.close()
    register_before, accounts_before = rows(register, "accounts"), rows(accounts, "accounts")

    assert main(["migrate", "--db", str(register)]) == 1
    err = capsys.readouterr().err
    assert "cannot be merged safely" in err and f"Move {accounts} aside" in err
    assert rows(register, "accounts") == register_before and rows(accounts, "accounts") == accounts_before


def test_the_accounts_file_can_be_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from backend.settings import get_settings

    accounts = tmp_path / "private" / "comptes.sqlite3"
    monkeypatch.setenv("POINTSPERMIS_ACCOUNTS_DB", str(accounts))
    get_settings.cache_clear()
    try:
        assert main(["migrate", "--db", str(tmp_path / "register.sqlite3")]) == 0
        assert store_paths(msgspec.structs.replace(get_settings(), db=str(tmp_path / "register.sqlite3")))[1] == accounts
    finally:
        get_settings.cache_clear()
    assert f"{accounts}: schema version {LATEST} (accounts)" in capsys.readouterr().out
    assert not accounts_db_for(tmp_path / "register.sqlite3").exists()


@pytest.fixture
def store() -> str:
    """These tests are about SQLite's two files (on PostgreSQL one database holds both)."""
    return "sqlite"
