"""kill -9 in the middle of an import: the database stays consistent and a rerun finishes the job (SQLite
and PostgreSQL); a PostgreSQL import paused mid-way holds up no reader."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import string
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backend.database import postgres
from backend.database.db import open_migrated
from tests.fixtures.postgres import run_sql
from tests.fixtures.register import register_content

ROOT = Path(__file__).resolve().parents[2]


def big_feed(demo_feed: Path, path: Path, copies: int) -> Path:
    """The demo feed repeated under other NEPHs (two letters instead of the first two digits)."""
    header, body = demo_feed.read_bytes().split(b"\n", 1)
    codes = [a + b for a in string.ascii_uppercase for b in string.ascii_uppercase][:copies]
    with path.open("wb") as out:
        out.write(header + b"\n")
        for code in codes:
            out.write(re.sub(rb'"\d{2}(\d{10})', lambda m: b'"' + code.encode() + m[1], body))
    return path


def start_import(feed: Path, db: Path | str) -> subprocess.Popen:
    log = db.with_name(db.name + ".log") if isinstance(db, Path) else feed.with_name(feed.name + ".log")
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "backend", "import", str(feed), "--db", str(db)],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def log(db: Path) -> str:
    return db.with_name(db.name + ".log").read_text()


@pytest.mark.slow
def test_kill_9_mid_import_leaves_a_consistent_database_and_rerun_completes(demo_feed: Path, tmp_path: Path) -> None:
    feed = big_feed(demo_feed, tmp_path / "big.jsonl", copies=120)
    reference = tmp_path / "reference.sqlite3"
    started = time.monotonic()
    done = start_import(feed, reference)
    assert done.wait(timeout=300) == 0, log(reference)
    elapsed = time.monotonic() - started

    db = tmp_path / "killed.sqlite3"
    # Mid-way: at a fraction of the time an uninterrupted import took (start-up included). On a
    # busy machine a run can be faster than the reference, and be done or past its commit when
    # killed: then try again, earlier.
    for fraction in (0.6, 0.4, 0.25, 0.15):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        proc = start_import(feed, db)
        time.sleep(elapsed * fraction)
        if proc.poll() is not None:
            proc.wait()
            continue
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        # its worker processes (lines are checked in parallel for big files) die with it
        deadline = time.monotonic() + 10
        while processes_mentioning(str(db)):
            assert time.monotonic() < deadline, "a worker process outlived the killed import"
            time.sleep(0.05)
        hot_journal = Path(f"{db}-journal").exists()  # killed while writing in place (importer.write_in_place)
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
            extracts = conn.execute("SELECT count(*) FROM extracts").fetchone()[0]
        finally:
            conn.close()
        if extracts == 0:
            assert events == 0  # all or nothing: the killed transaction left nothing behind
            if hot_journal:  # the next open_migrated (any command, `serve`) puts the file back in WAL
                open_migrated(db).close()
                assert journal_mode(db) == "wal"
            break
        # killed after its commit: all of it is there
        assert register_content(db) == register_content(reference)
    else:
        pytest.fail("the import always finished (or committed) before it could be interrupted")

    rerun = start_import(feed, db)
    assert rerun.wait(timeout=300) == 0, log(db)
    content = register_content(db)
    assert content == register_content(reference)
    assert len(content[3]) == len(content[1]) > 50_000  # every event read once, through its holder's runs
    assert journal_mode(db) == "wal"


def journal_mode(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()


def copy_progress(url: str) -> tuple[int, int] | None:
    """(pid of the server process, events copied so far) of a COPY into events under way, else None."""
    rows = run_sql(url, "SELECT pid, tuples_processed FROM pg_stat_progress_copy "
                        "WHERE relid = 'events'::regclass AND datname = current_database()")
    return (rows[0][0], rows[0][1]) if rows else None


@pytest.mark.slow
def test_kill_9_mid_import_on_postgresql_leaves_the_register_as_it_was_and_rerun_completes(
        demo_feed: Path, tmp_path: Path, postgres_url: str) -> None:
    """Killed once COPY has put events in: PostgreSQL rolls the whole file back (the register is exactly as
    before, down to the events of an earlier extract), no checker outlives the import, and the same command
    then imports the file: the register is then the one SQLite's import makes of the same files."""
    earlier = tmp_path / "earlier.jsonl"
    earlier.write_bytes(demo_feed.read_bytes().replace(b"demo-2026-11-25", b"earlier", 1))
    feed = big_feed(demo_feed, tmp_path / "big.jsonl", copies=120)
    assert start_import(earlier, postgres_url).wait(timeout=120) == 0
    before = register_content(postgres_url)
    assert before[1]  # the earlier extract's events

    proc = start_import(feed, postgres_url)
    deadline = time.monotonic() + 120
    while (progress := copy_progress(postgres_url)) is None or progress[1] == 0:
        assert proc.poll() is None, "the import ended before any COPY was seen"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    deadline = time.monotonic() + 30
    # The server notices the closed connection and rolls back; the checkers die with the import.
    while run_sql(postgres_url, "SELECT 1 FROM pg_stat_activity WHERE pid = ?", (progress[0],)) or \
            processes_mentioning(str(feed)):
        assert time.monotonic() < deadline, "the import's server process or a checker outlived the kill"
        time.sleep(0.05)
    assert register_content(postgres_url) == before

    assert start_import(feed, postgres_url).wait(timeout=300) == 0
    reference = tmp_path / "reference.sqlite3"
    for path in (earlier, feed):
        assert start_import(path, reference).wait(timeout=300) == 0, log(reference)
    content = register_content(postgres_url)
    assert content == register_content(reference)
    assert len(content[1]) > 50_000


@pytest.mark.slow
def test_a_postgresql_import_paused_mid_way_blocks_no_reader(demo_feed: Path, tmp_path: Path,
                                                             postgres_url: str) -> None:
    """The import holds its transaction open for the whole file: readers of the register meanwhile see it as
    it was, at once (its lock on events keeps out only other writers of events)."""
    earlier = tmp_path / "earlier.jsonl"
    earlier.write_bytes(demo_feed.read_bytes().replace(b"demo-2026-11-25", b"earlier", 1))
    assert start_import(earlier, postgres_url).wait(timeout=120) == 0
    before = register_content(postgres_url)
    neph = before[0][0][0]
    feed = big_feed(demo_feed, tmp_path / "big.jsonl", copies=120)
    proc = start_import(feed, postgres_url)
    try:
        deadline = time.monotonic() + 120
        while (progress := copy_progress(postgres_url)) is None or progress[1] == 0:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGSTOP)
        started = time.monotonic()
        with postgres.connect(postgres_url) as conn:
            conn.execute("SET statement_timeout = '5s'")  # a blocked read fails instead of hanging
            assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == len(before[1])
            assert conn.execute("SELECT count(*) FROM events WHERE neph = %s", (neph,)).fetchone()[0] == \
                sum(1 for row in before[3] if row[0] == neph)
            assert conn.execute("SELECT family_name FROM holders WHERE neph = %s", (neph,)).fetchone()
            assert conn.execute("SELECT max(extract_id) FROM extracts").fetchone()[0] == "earlier"
        assert time.monotonic() - started < 1
        os.kill(proc.pid, signal.SIGCONT)
        assert proc.wait(timeout=300) == 0, feed.with_name(feed.name + ".log").read_text()
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            os.kill(proc.pid, signal.SIGCONT)
            proc.wait()
    assert len(register_content(postgres_url)[1]) > len(before[1])


@pytest.mark.slow
def test_a_postgresql_import_that_loses_its_connection_says_so_exits_75_and_rerun_completes(
        demo_feed: Path, tmp_path: Path, postgres_url: str) -> None:
    """The server ends the import's session in the middle of its second file (a restart, a failover): the
    first file stays imported, the second is rolled back, and the command says so plainly, with sysexits'
    EX_TEMPFAIL (75) for a scheduler to try again; the same command then imports the rest."""
    earlier = tmp_path / "earlier.jsonl"
    earlier.write_bytes(demo_feed.read_bytes().replace(b"demo-2026-11-25", b"earlier", 1))
    feed = big_feed(demo_feed, tmp_path / "big.jsonl", copies=120)
    command = [sys.executable, "-m", "backend", "import", str(earlier), str(feed), "--db", postgres_url]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not run_sql(postgres_url, "SELECT 1 FROM extracts WHERE extract_id = 'earlier'") or \
                (progress := copy_progress(postgres_url)) is None or progress[1] == 0:
            assert proc.poll() is None, "the import ended before the second file's COPY was seen"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        after_first = register_content(postgres_url)
        assert run_sql(postgres_url, "SELECT pg_terminate_backend(?)", (progress[0],))[0][0]
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 75, err
    assert f"{earlier.name}: imported" in out  # the first file's summary line
    # The error's name depends on where the import was when its session ended (AdminShutdown when it was waiting
    # for the server, OperationalError when it was sending): the message names it.
    assert re.search(rf"{re.escape(str(feed))}: PostgreSQL postgresql://[^ ]+ indisponible \(\w+\) during its import: "
                     r"nothing of this file was imported \(one transaction per file\); the files before it stay as "
                     r"imported above\.", err), err
    assert "Run the same command again once the database answers" in err
    assert "Traceback" not in err
    assert register_content(postgres_url) == after_first  # the second file rolled back, the first kept
    assert not processes_mentioning(str(feed)), "a checker outlived the import"

    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    reference = tmp_path / "reference.sqlite3"
    for path in (earlier, feed):
        assert start_import(path, reference).wait(timeout=300) == 0, log(reference)
    assert register_content(postgres_url) == register_content(reference)
