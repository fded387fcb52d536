"""What a reader sees is each holder's events, all of them, once, in order (effective date, then feed
order), however the feed interleaves holders, however many imports, batches and skipped duplicates wrote
them, and after the migrations that moved from the index to `event_runs` (0003) and back (0004)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from backend.database import db as dbmod
from backend.register import importer, linecheck
from backend.database.db import Database, migrate
from backend.register.repository import SqlRegister
from tests.register.test_import import HEADER, HOLDER, run_import, write

A = HOLDER["neph"]
B = "190575100124"
C = "190575100125"
HOLDERS = [HOLDER, {**HOLDER, "neph": B, "family_name": "DURAND"}, {**HOLDER, "neph": C, "family_name": "PETIT"}]


def licence(neph: str, event_id: str, issued_on: str = "2010-06-01") -> dict:
    return {"neph": neph, "type": "licence_issued", "id": event_id, "issued_on": issued_on}


def offence(neph: str, event_id: str, established_on: str) -> dict:
    return {"neph": neph, "type": "offence", "id": event_id, "committed_on": "2001-01-02",
            "established_on": established_on, "established_by": "fixed_fine_paid", "points": 1,
            "offence_class": "C4", "label": "Excès de vitesse < 20 km/h"}


def extract(extract_id: str) -> dict:
    return {**HEADER, "extract_id": extract_id}


def files_read(db: Path) -> dict[str, list[str]]:
    """Each holder's event ids as the service reads them (get_file and get_events)."""
    import asyncio

    async def read() -> dict[str, list[str]]:
        database = await Database.open(db)
        register = SqlRegister(database)
        try:
            files = {}
            for holder in HOLDERS:
                got, events = await register.get_file(holder["neph"])
                assert got is not None
                assert [e.id for e in await register.get_events(holder["neph"])] == [e.id for e in events]
                files[holder["neph"]] = [e.id for e in events]
            return files
        finally:
            await database.close()

    return asyncio.run(read())


def files_scanned(db: Path) -> dict[str, list[str]]:
    """The same, found by reading the whole events table (what the index must agree with)."""
    conn = sqlite3.connect(db)
    try:
        files: dict[str, list[str]] = {holder["neph"]: [] for holder in HOLDERS}
        for neph, event_id in conn.execute("SELECT neph, id FROM events ORDER BY neph, effective_on, seq"):
            files[neph].append(event_id)
        return files
    finally:
        conn.close()


def check_index(db: Path) -> None:
    """A holder's events are read through the index events_by_holder (not a scan of the table)."""
    conn = sqlite3.connect(db)
    try:
        plan = " ".join(row[3] for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT body FROM events WHERE neph = ? ORDER BY effective_on, seq", (A,)))
        assert "USING INDEX events_by_holder" in plan, plan
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_holders_interleaved_in_a_feed_each_get_their_own_events_in_order(tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "db.sqlite3"
    feed = write(tmp_path / "a.jsonl", HEADER, *HOLDERS,
                 licence(A, "a-1"), licence(B, "b-1"), offence(B, "b-2", "2021-01-01"), offence(A, "a-2", "2022-01-01"),
                 offence(A, "a-3", "2019-01-01"), licence(C, "c-1"), offence(A, "a-4", "2022-01-01"),
                 offence(B, "b-3", "2020-01-01"))
    status, _, err = run_import(capsys, db, feed)
    assert status == 0, err
    files = {A: ["a-1", "a-3", "a-2", "a-4"], B: ["b-1", "b-3", "b-2"], C: ["c-1"]}  # by date, then feed order
    assert files_read(db) == files_scanned(db) == files
    check_index(db)


def test_two_imports_add_events_to_the_same_holder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "db.sqlite3"
    assert run_import(capsys, db, write(tmp_path / "a.jsonl", extract("x1"), *HOLDERS, licence(A, "a-1"),
                                        licence(B, "b-1"), offence(A, "a-2", "2022-01-01")))[0] == 0
    status, _, err = run_import(capsys, db, write(tmp_path / "b.jsonl", extract("x2"), offence(B, "b-2", "2021-01-01"),
                                                  offence(A, "a-3", "2021-06-01"), offence(A, "a-4", "2023-01-01")))
    assert status == 0, err
    assert files_read(db) == files_scanned(db) == {A: ["a-1", "a-3", "a-2", "a-4"], B: ["b-1", "b-2"], C: []}
    check_index(db)


def test_ids_already_imported_skipped_mid_batch_leave_correct_files(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Rows skipped inside a batch (same id, same content: unchanged) shift the seqs of the rows after
    them: the importer reads the seqs back instead of counting."""
    db = tmp_path / "db.sqlite3"
    assert run_import(capsys, db, write(tmp_path / "a.jsonl", extract("x1"), *HOLDERS, licence(A, "a-1"),
                                        licence(B, "b-1")))[0] == 0
    status, out, err = run_import(capsys, db, write(
        tmp_path / "b.jsonl", extract("x2"), offence(A, "a-2", "2022-01-01"), licence(B, "b-1"),
        offence(B, "b-2", "2021-01-01"), licence(A, "a-1"), offence(A, "a-3", "2021-06-01"),
        offence(C, "c-1", "2020-01-01"), offence(A, "a-3", "2021-06-01"), offence(C, "c-2", "2020-02-01")))
    assert status == 0, err
    assert "5 events new, 3 unchanged, 0 rejected" in out
    assert files_read(db) == files_scanned(db) == {A: ["a-1", "a-3", "a-2"], B: ["b-1", "b-2"], C: ["c-1", "c-2"]}
    check_index(db)


def test_a_holder_split_across_batches_gets_all_its_events(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linecheck, "CHUNK_BYTES", 512)  # a few lines per chunk
    monkeypatch.setattr(importer, "BATCH_LINES", 3)  # a batch is written after each chunk
    db = tmp_path / "db.sqlite3"
    events = [offence(A if n % 7 else B, f"e-{n}", f"20{10 + n % 13}-01-01") for n in range(1, 41)]
    status, _, err = run_import(capsys, db, write(tmp_path / "a.jsonl", HEADER, *HOLDERS, *events), "--workers", "0")
    assert status == 0, err
    assert files_read(db) == files_scanned(db)
    assert sorted(files_read(db)[A] + files_read(db)[B]) == sorted(e["id"] for e in events)
    check_index(db)


def test_after_a_deleted_cancellation_the_next_imports_are_read_by_their_own_holders(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--skip-invalid deletes a dangling cancellation after it was inserted; the next import's first
    event takes the deleted one's seq, and must be read once, by its own holder."""
    db = tmp_path / "db.sqlite3"
    dangling = {"neph": A, "type": "cancellation", "id": "c-1", "cancels": "nope", "cancelled_on": "2024-05-01"}
    status, out, _ = run_import(capsys, db, write(tmp_path / "a.jsonl", extract("x1"), *HOLDERS, licence(B, "b-1"),
                                                  licence(A, "a-1"), dangling), "--skip-invalid")
    assert status == 0 and "2 events new, 0 unchanged, 1 rejected" in out
    assert files_read(db) == files_scanned(db) == {A: ["a-1"], B: ["b-1"], C: []}
    for neph, extract_id in ((A, "x2"), (B, "x3")):  # the same holder, then another one, in the freed seq 3
        status, _, err = run_import(capsys, db, write(tmp_path / f"{extract_id}.jsonl", extract(extract_id),
                                                      offence(neph, f"o-{extract_id}", "2022-01-01")))
        assert status == 0, err
    assert files_read(db) == files_scanned(db) == {A: ["a-1", "o-x2"], B: ["b-1", "o-x3"], C: []}
    check_index(db)


def test_migrations_from_version_2_keep_the_files_of_interleaved_holders(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(dbmod.MIGRATIONS_DIR, folder, ignore=lambda _, names: [n for n in names if n >= "0003"])
    db = tmp_path / "db.sqlite3"
    conn = dbmod.connect(db)
    try:
        assert migrate(conn, folder) == [1, 2]
        conn.execute("INSERT INTO extracts (extract_id, extracted_at, file_name, file_sha256, imported_at) "
                     "VALUES ('x1', '2026-11-25T22:00:00+00:00', 'a.jsonl', '', '2026-11-26T00:00:00+00:00')")
        for holder in HOLDERS:
            conn.execute("INSERT INTO holders (neph, family_name, given_names, birth_date, birth_place, birth_country, "
                         "gender, extract_id) VALUES (?, ?, ?, ?, ?, ?, ?, 'x1')",
                         tuple(holder[k] for k in ("neph", "family_name", "given_names", "birth_date", "birth_place",
                                                   "birth_country", "gender")))
        # seq as a version 2 database may have them: interleaved holders, holes left by deleted events
        for seq, neph, event_id, effective_on in [
                (1, A, "a-1", "2010-06-01"), (2, A, "a-2", "2022-01-01"), (3, B, "b-1", "2010-06-01"),
                (5, A, "a-3", "2019-01-01"), (6, B, "b-2", "2021-01-01"), (7, B, "b-3", "2020-01-01"),
                (9, B, "b-4", "2023-01-01"), (10, C, "c-1", "2010-06-01"), (11, A, "a-4", "2022-01-01")]:
            line = licence(neph, event_id, effective_on) if event_id.endswith("-1") else \
                offence(neph, event_id, effective_on)
            body = json.dumps({k: v for k, v in line.items() if k != "neph"})
            conn.execute("INSERT INTO events (seq, id, neph, effective_on, extract_id, body) VALUES (?, ?, ?, ?, 'x1', ?)",
                         (seq, event_id, neph, effective_on, body))
        before = files_scanned(db)
        assert migrate(conn) == list(range(3, dbmod.migrations()[-1][0] + 1))
        assert [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE name IN "
                                               "('events_by_holder', 'event_runs')")] == ["events_by_holder"]
    finally:
        conn.close()
    check_index(db)
    assert files_read(db) == before == {A: ["a-1", "a-3", "a-2", "a-4"], B: ["b-1", "b-3", "b-2", "b-4"], C: ["c-1"]}


async def test_events_added_by_the_repository_are_read_in_their_files(tmp_path: Path) -> None:
    import datetime as dt

    from backend.law.events import decode_event
    from backend.register.feed import Holder

    register = SqlRegister(await Database.open(tmp_path / "db.sqlite3"))
    try:
        await register.add_extract("x1", dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc))
        for neph in (A, B):
            await register.add_holder(Holder(neph=neph, family_name="X", given_names="Y",
                                             birth_date=dt.date(1990, 4, 12), birth_place="69123",
                                             birth_country="99100", gender="male"), "x1")
        event = {k: v for k, v in licence(A, "").items() if k != "neph"}
        await register.add_events(A, [decode_event({**event, "id": "a-1"})], "x1")
        await register.add_events(B, [decode_event({**event, "id": "b-1"})], "x1")
        await register.add_events(A, [], "x1")
        await register.add_events(A, [decode_event({**event, "id": f"a-{n}"}) for n in (2, 3)], "x1")
        assert [e.id for e in await register.get_events(A)] == ["a-1", "a-2", "a-3"]
        assert [e.id for e in (await register.get_file(B))[1]] == ["b-1"]
        assert sorted(await register.random_nephs(5)) == [A, B]
    finally:
        await register.db.close()
    check_index(tmp_path / "db.sqlite3")
