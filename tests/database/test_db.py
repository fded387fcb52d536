"""Migrations and the Database handle, on real SQLite files."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest

from backend.database import db as dbmod
from backend.database.db import APPLICATION_ID, Database, DatabaseError, migrate, migrations, open_migrated

LATEST = migrations()[-1][0]


def test_migrates_an_empty_file_to_the_latest_version(tmp_path: Path) -> None:
    conn = open_migrated(tmp_path / "sub" / "db.sqlite3")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"holders", "events", "extracts"} <= tables
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    conn = open_migrated(tmp_path / "db.sqlite3")
    schema = conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    assert migrate(conn) == []
    assert conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema


def test_refuses_a_database_newer_than_the_code(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    open_migrated(path).execute(f"PRAGMA user_version = {LATEST + 1}")
    with pytest.raises(DatabaseError, match=f"schema version {LATEST + 1}, newer than this code"):
        open_migrated(path)


def test_refuses_a_foreign_database(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE notes (x)")
    other.commit()
    with pytest.raises(DatabaseError, match="not created by pointspermis"):
        open_migrated(path)
    other.execute("PRAGMA application_id = 42")
    with pytest.raises(DatabaseError, match="not a pointspermis database"):
        open_migrated(path)


def test_a_file_that_is_not_a_database_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("not a database at all, just some text" * 50)
    with pytest.raises(DatabaseError, match="pas une base SQLite utilisable.*--db"):
        open_migrated(path)
    assert path.read_text().startswith("not a database"), "the file must be left as it was"


def test_later_migration_files_are_picked_up_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(dbmod.MIGRATIONS_DIR, folder)
    next_version = LATEST + 1
    (folder / f"{next_version:04d}_extra.sql").write_text("CREATE TABLE extra (neph TEXT REFERENCES holders (neph));")
    conn = dbmod.connect(tmp_path / "db.sqlite3")
    assert migrate(conn, folder) == list(range(1, next_version + 1))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == next_version


def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(dbmod.MIGRATIONS_DIR, folder)
    bad = LATEST + 1
    (folder / f"{bad:04d}_bad.sql").write_text("CREATE TABLE half (x); INSERT INTO nowhere VALUES (1);")
    conn = dbmod.connect(tmp_path / "db.sqlite3")
    with pytest.raises(DatabaseError, match=f"{bad:04d}_bad.sql failed"):
        migrate(conn, folder)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'").fetchone()[0] == 0


def test_a_migration_breaking_foreign_keys_is_rolled_back(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(dbmod.MIGRATIONS_DIR, folder)
    bad = LATEST + 1
    (folder / f"{bad:04d}_orphan.sql").write_text(
        "INSERT INTO extracts (extract_id, extracted_at, file_name, file_sha256, imported_at) VALUES ('x','','','','');"
        "INSERT INTO events (id, neph, effective_on, extract_id, body) "
        "VALUES ('e', 'nobody000000', '', 'x', '{}');")
    conn = dbmod.connect(tmp_path / "db.sqlite3")
    with pytest.raises(DatabaseError, match="breaks foreign keys"):
        migrate(conn, folder)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_migration_numbers_must_not_have_gaps(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("")
    (tmp_path / "0003_c.sql").write_text("")
    with pytest.raises(DatabaseError, match="without gaps"):
        migrations(tmp_path)


async def test_database_write_commits_and_rolls_back(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        async with db.write() as conn:
            await conn.execute("INSERT INTO extracts (extract_id, extracted_at, file_name, file_sha256, imported_at) "
                               "VALUES ('a', '2026-01-01T00:00:00+00:00', 'f', '', '')")
        with pytest.raises(RuntimeError):
            async with db.write() as conn:
                await conn.execute("INSERT INTO extracts (extract_id, extracted_at, file_name, file_sha256, "
                                   "imported_at) VALUES ('b', '2026-01-01T00:00:00+00:00', 'f', '', '')")
                raise RuntimeError("boom")
        async with db.read() as conn:
            rows = await (await conn.execute("SELECT extract_id FROM extracts")).fetchall()
        assert [r[0] for r in rows] == ["a"]
    finally:
        await db.close()


async def test_readers_cannot_write_and_run_concurrently(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3", readers=2)
    try:
        async with db.read() as conn:
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                await conn.execute("DELETE FROM holders")

        async def count() -> int:
            async with db.read() as conn:
                return (await (await conn.execute("SELECT count(*) FROM holders")).fetchone())[0]

        assert await asyncio.gather(*(count() for _ in range(10))) == [0] * 10
    finally:
        await db.close()


async def test_writes_are_serialised(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        async def add(i: int) -> None:
            async with db.write() as conn:
                await conn.execute("INSERT INTO extracts (extract_id, extracted_at, file_name, file_sha256, "
                                   "imported_at) VALUES (?, '2026-01-01T00:00:00+00:00', 'f', '', '')", (f"x{i}",))
        await asyncio.gather(*(add(i) for i in range(20)))
        async with db.read() as conn:
            assert (await (await conn.execute("SELECT count(*) FROM extracts")).fetchone())[0] == 20
    finally:
        await db.close()


@pytest.mark.parametrize("fetch", ["fetch_all", "fetch_small"])
async def test_one_statement_reads_are_read_only_and_see_each_commit(tmp_path: Path, fetch: str) -> None:
    """fetch_all runs on a reader thread, fetch_small on the event loop's thread: same answers."""
    db = await Database.open(tmp_path / "db.sqlite3")
    read = getattr(db, fetch)
    try:
        assert await read("SELECT extract_id FROM extracts") == []
        async with db.write() as conn:
            await conn.execute("INSERT INTO extracts (extract_id, extracted_at, file_name, file_sha256, imported_at) "
                               "VALUES ('a', '2026-01-01T00:00:00+00:00', 'f', '', '')")
        # No snapshot is held between calls: the row committed after the first read is seen at once.
        rows = await read("SELECT extract_id FROM extracts WHERE file_name = ?", ("f",))
        assert [r["extract_id"] for r in rows] == ["a"]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await read("DELETE FROM extracts")
    finally:
        await db.close()
