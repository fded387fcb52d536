"""An import alone with the database writes it in place (rollback journal); beside another connection
it stays in WAL and never blocks that connection's reads. Either way the database ends in WAL."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from backend.database.db import Database, open_migrated
from backend.register.importer import FeedImporter, open_writer
from tests.fixtures.register import register_content
from tests.register.test_kill import big_feed, journal_mode

ROOT = Path(__file__).resolve().parents[2]


def import_watching_files(db: Path, feed: Path) -> tuple[str, set[str]]:
    """Import in this process, noting which of the database's side files exist after each chunk (from
    the first chunk of lines: the header is read before the transaction starts)."""
    open_migrated(db).close()
    seen: set[str] = set()
    calls = 0

    def progress(_: int) -> None:
        nonlocal calls
        calls += 1
        if calls > 1:
            seen.update(suffix for suffix in ("-journal", "-wal") if Path(f"{db}{suffix}").exists())

    conn = open_writer(db)
    try:
        status = FeedImporter(conn, feed, progress=progress).run().status
    finally:
        conn.close()
    return status, seen


def test_an_import_alone_writes_in_place_and_leaves_the_database_in_wal(demo_feed: Path, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    status, seen = import_watching_files(db, demo_feed)
    assert status == "imported"
    assert seen == {"-journal"}  # a rollback journal while it ran, no WAL
    assert not Path(f"{db}-journal").exists()
    assert journal_mode(db) == "wal"
    conn = open_migrated(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] > 100
    finally:
        conn.close()


def test_a_rejected_import_in_place_changes_nothing_and_leaves_wal(demo_feed: Path, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    assert import_watching_files(db, demo_feed)[0] == "imported"
    before = register_content(db)
    lines = demo_feed.read_text().splitlines()
    header = {**json.loads(lines[0]), "extract_id": "second"}
    bad = tmp_path / "bad.jsonl"
    # the demo's events again under new ids, then a line that rejects the whole file at its end
    renamed = [line.replace('"id":"', '"id":"again-') for line in lines[1:]]
    bad.write_text("\n".join([json.dumps(header), *renamed, "{not json"]) + "\n")
    status, seen = import_watching_files(db, bad)
    assert status == "rejected" and seen == {"-journal"}
    assert register_content(db) == before
    assert journal_mode(db) == "wal" and not Path(f"{db}-journal").exists()


def test_an_import_beside_an_open_reader_stays_in_wal_and_never_blocks_it(demo_feed: Path, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    open_migrated(db).close()
    feed = big_feed(demo_feed, tmp_path / "big.jsonl", copies=20)
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("PRAGMA busy_timeout = 0")  # a read that had to wait would fail at once
    try:
        assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == 0
        proc = subprocess.Popen([sys.executable, "-m", "backend", "import", str(feed), "--db", str(db)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        reads_during = 0
        journal_seen = False
        while proc.poll() is None:
            reader.execute("SELECT count(*) FROM events").fetchone()  # raises "database is locked" if blocked
            reads_during += proc.poll() is None
            journal_seen |= Path(f"{db}-journal").exists()
            time.sleep(0.01)
        output = proc.communicate()[0].decode()
        assert proc.returncode == 0, output
        assert reads_during > 10, "the import ended too soon to show anything"
        assert not journal_seen
        assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert reader.execute("SELECT count(*) FROM events").fetchone()[0] > 10_000
    finally:
        reader.close()


async def test_an_import_while_the_service_has_the_database_open_stays_in_wal(demo_feed: Path, tmp_path: Path) -> None:
    """The service's connections, opened at its start and not yet used by any request, are enough for
    the import to keep WAL: the service reads while the import runs."""
    db_path = tmp_path / "db.sqlite3"
    feed = big_feed(demo_feed, tmp_path / "big.jsonl", copies=20)
    db = await Database.open(db_path)
    try:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "backend", "import", str(feed),
                                                    "--db", str(db_path), cwd=ROOT, stdout=subprocess.PIPE,
                                                    stderr=subprocess.STDOUT)
        reads_during = 0
        journal_seen = False
        while proc.returncode is None:
            # in rollback mode this read would wait for the whole import (busy timeout): fail fast instead
            await asyncio.wait_for(db.fetch_all("SELECT count(*) FROM events"), timeout=5)
            reads_during += 1
            journal_seen |= Path(f"{db_path}-journal").exists()
            try:
                await asyncio.wait_for(proc.wait(), timeout=0.01)
            except asyncio.TimeoutError:
                pass
        output = (await proc.stdout.read()).decode()
        assert proc.returncode == 0, output
        assert reads_during > 10, "the import ended too soon to show anything"
        assert not journal_seen
        assert (await db.fetch_all("SELECT count(*) FROM events"))[0][0] > 10_000
    finally:
        await db.close()
