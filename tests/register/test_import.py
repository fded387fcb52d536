"""`pointspermis import`: validation with line numbers, all-or-nothing files, --skip-invalid, re-imports.
The tests of the contract (store.py) run on both stores (`db`: a SQLite file or a PostgreSQL database)."""

from __future__ import annotations

import json
import socket
import re
import sqlite3
from pathlib import Path

import pytest

from backend.cli import main
from backend.database import postgres
from backend.database.db import open_migrated
from tests.fixtures.postgres import run_sql
from tests.fixtures.register import copy_db, register_content

HEADER = {"type": "extract", "extract_id": "x-2026-11-25", "extracted_at": "2026-11-25T22:00:00+00:00"}
HOLDER = {"type": "holder", "neph": "190575100123", "family_name": "MARTIN", "given_names": "Camille",
          "birth_date": "1990-04-12", "birth_place": "69123", "birth_country": "99100", "gender": "female"}
NEPH = HOLDER["neph"]
LICENCE = {"neph": NEPH, "type": "licence_issued", "id": "l-1", "issued_on": "2010-06-01"}
OFFENCE = {"neph": NEPH, "type": "offence", "id": "o-1", "committed_on": "2024-03-02", "established_on": "2024-04-10",
           "established_by": "fixed_fine_paid", "points": 4, "offence_class": "C4",
           "label": "Franchissement d'un feu rouge"}


def write(path: Path, *lines: dict | str) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


REGISTER_TABLES = ("extracts", "holders", "events", "withdrawal_delays", "data_lag")


@pytest.fixture
def db(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """The database a test imports into: a new SQLite file, or a new PostgreSQL database."""
    if store == "postgres":
        return request.getfixturevalue("postgres_url")
    return tmp_path / "db.sqlite3"


def dump(db: Path | str) -> list:
    """Everything the database holds (on PostgreSQL: every row of the register's tables)."""
    if postgres.is_postgres_url(db):
        with postgres.connect(str(db)) as conn:
            return [(table, sorted(repr(tuple(row)) for row in conn.execute(f"SELECT * FROM {table}")))
                    for table in REGISTER_TABLES]
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def run_import(capsys: pytest.CaptureFixture[str], db: Path | str, *args: str | Path) -> tuple[int, str, str]:
    status = main(["import", *map(str, args), "--db", str(db)])
    out, err = capsys.readouterr()
    return status, out, err


def count(db: Path | str, table: str) -> int:
    return run_sql(db, f"SELECT count(*) FROM {table}")[0][0]


def test_imports_a_demo_feed(db: Path | str, demo_feed: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_import(capsys, db, demo_feed)
    lines = [json.loads(line) for line in demo_feed.read_text().splitlines()]
    holders = sum(1 for line in lines if line["type"] == "holder")
    events = len(lines) - holders - 1
    assert status == 0, err
    assert out.strip() == (f"{demo_feed}: imported — {len(lines)} lines, {holders} holders, {events} events new, "
                           f"0 unchanged, 0 rejected, " + out.split(", ")[-1].strip())
    assert count(db, "holders") == holders and count(db, "events") == events
    row = run_sql(db, "SELECT * FROM extracts")[0]
    assert (row["extract_id"], row["extracted_at"], row["events_new"]) == ("demo-2026-11-25", "2026-11-25T22:00:00+00:00",
                                                                            events)
    if not postgres.is_postgres_url(db):
        assert run_sql(db, "PRAGMA integrity_check")[0][0] == "ok"


def test_reimporting_the_same_file_is_a_no_op(db: Path | str, demo_feed: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert run_import(capsys, db, demo_feed)[0] == 0
    before = dump(db)
    status, out, _ = run_import(capsys, db, demo_feed)
    assert status == 0 and "already imported" in out
    assert dump(db) == before


def test_already_imported_events_in_a_new_extract_are_unchanged(db: Path | str, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run_import(capsys, db, write(tmp_path / "a.jsonl", HEADER, HOLDER, LICENCE))[0] == 0
    later = {**HEADER, "extract_id": "x-2026-11-26", "extracted_at": "2026-11-26T22:00:00+00:00"}
    # same event with its defaults spelled out: same content
    status, out, err = run_import(capsys, db, write(tmp_path / "b.jsonl", later, {**LICENCE, "kind": "first"}, OFFENCE))
    assert status == 0, err
    assert "1 events new, 1 unchanged, 0 rejected" in out
    assert count(db, "events") == 2 and count(db, "extracts") == 2


def test_a_holder_in_a_later_extract_is_updated(db: Path | str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """The import inserts new holders with a short statement and upserts only when one was there already
    (or twice in a batch): the later line wins, the other holders of the batch are inserted as usual."""
    assert run_import(capsys, db, write(tmp_path / "a.jsonl", HEADER, HOLDER, LICENCE))[0] == 0
    later = {**HEADER, "extract_id": "x-2026-11-26", "extracted_at": "2026-11-26T22:00:00+00:00"}
    other = {**HOLDER, "neph": "190575100124", "family_name": "DURAND"}
    renamed = {**HOLDER, "family_name": "MARTIN-DUBOIS", "given_names": "Camille Hélène"}
    status, out, err = run_import(capsys, db, write(tmp_path / "b.jsonl", later, other, renamed,
                                                    {**renamed, "birth_place": "75056"}))
    assert status == 0, err
    assert [tuple(row) for row in run_sql(db, "SELECT neph, family_name, given_names, birth_place, extract_id "
                                              "FROM holders ORDER BY neph")] == [
        (NEPH, "MARTIN-DUBOIS", "Camille Hélène", "75056", "x-2026-11-26"),
        ("190575100124", "DURAND", "Camille", "69123", "x-2026-11-26")]


def test_a_holder_twice_in_a_first_load_is_its_later_line(db: Path | str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Into an empty register as into one with events: on PostgreSQL the first load copies holders without
    asking, meets the second line and starts the file over (pg_importer.py); nothing is reported twice."""
    renamed = {**HOLDER, "family_name": "MARTIN-DUBOIS"}
    feed = write(tmp_path / "a.jsonl", HEADER, HOLDER, LICENCE, {**OFFENCE, "points": 9}, renamed, OFFENCE)
    status, out, err = run_import(capsys, db, feed, "--skip-invalid")
    assert status == 0, err
    assert "6 lines, 2 holders, 2 events new, 0 unchanged, 1 rejected" in out
    assert err.count("points 9") == 1
    assert [tuple(row) for row in run_sql(db, "SELECT neph, family_name FROM holders")] == [(NEPH, "MARTIN-DUBOIS")]
    assert count(db, "events") == 2


BAD_LINES = [  # (line, expected message after FILE:LINE:)
    ({**OFFENCE, "id": "o-2", "points": 7}, 'event "o-2": points 7 is outside 0–6, or 9 with drugs_and_alcohol'),
    ({**OFFENCE, "id": "o-3", "established_on": "2025-02-30"},
     "event \"o-3\": established_on '2025-02-30' is not an existing date in the form YYYY-MM-DD"),
    ({**OFFENCE, "id": "o-4", "colour": "red"}, 'event "o-4": unknown field colour'),
    ({**OFFENCE, "id": "o-5", "neph": "999999999999"},
     "event \"o-5\": neph '999999999999' has no holder line earlier in this file nor in the register"),
    ({k: v for k, v in OFFENCE.items() if k != "neph"} | {"id": "o-6"}, 'event "o-6": neph is required'),
    ({**OFFENCE, "id": "o-7", "neph": "12"}, "event \"o-7\": neph '12' is not a 12-character licence-file number"),
    ({**OFFENCE, "points": 2}, 'event "o-1": id already used with different content on line 3'),
    ({"neph": NEPH, "type": "cancellation", "id": "c-1", "cancels": "nope", "cancelled_on": "2024-05-01"},
     "event \"c-1\": cancels 'nope', which is not in the register nor in this file"),
    ({"neph": NEPH, "type": "parking", "id": "p-1"}, 'event "p-1": unknown type'),
    ("{not json", "line "),
    ({**HOLDER, "neph": "190575100124", "gender": "x"}, 'holder "190575100124": gender'),
    ({**HEADER}, "header: a second extract header"),
]


def test_every_bad_line_is_reported_and_the_file_rejected(db: Path | str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert run_import(capsys, db, write(tmp_path / "first.jsonl", {**HEADER, "extract_id": "x0"}, HOLDER))[0] == 0
    before = dump(db)
    feed = write(tmp_path / "feed.jsonl", HEADER, LICENCE, OFFENCE, *(line for line, _ in BAD_LINES))
    status, out, err = run_import(capsys, db, feed)
    assert status == 1
    messages = [line for line in err.splitlines() if line.startswith(f"{feed}:")]
    for number, (_, expected) in enumerate(BAD_LINES, start=4):
        assert any(m.startswith(f"{feed}:{number}: {expected}") for m in messages), (number, expected, messages)
    assert "rejected, nothing imported" in err and "--skip-invalid" in err
    assert dump(db) == before  # not even the valid lines


def test_a_line_that_is_not_utf8_is_reported_not_a_crash(db: Path | str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    feed = tmp_path / "feed.jsonl"
    licence = json.dumps(LICENCE).encode()
    feed.write_bytes(b"\n".join([json.dumps(HEADER).encode(), json.dumps(HOLDER).encode(), licence,
                                 licence.replace(b'"l-1"', b'"l-\xe9"')]) + b"\n")
    status, _, err = run_import(capsys, db, feed)
    assert status == 1
    assert f"{feed}:4: line 4: not valid UTF-8 (bytes e9 in a string); a feed file is encoded in UTF-8" in err
    assert count(db, "events") == 0


def test_holder_must_come_before_its_events(db: Path | str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feed = write(tmp_path / "feed.jsonl", HEADER, LICENCE, HOLDER)
    status, _, err = run_import(capsys, db, feed)
    assert status == 1
    assert f"{feed}:2: event \"l-1\": neph '{NEPH}' has no holder line earlier" in err


def test_cancellation_may_name_an_event_later_in_the_file_or_already_imported(db: Path | str, 
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cancel = {"neph": NEPH, "type": "cancellation", "id": "c-1", "cancels": "o-1", "cancelled_on": "2024-05-01"}
    assert run_import(capsys, db, write(tmp_path / "a.jsonl", HEADER, HOLDER, LICENCE, cancel, OFFENCE))[0] == 0
    other = {**HOLDER, "neph": "190575100124"}
    cancel_other = {**cancel, "id": "c-2", "neph": other["neph"]}
    later = {**HEADER, "extract_id": "x2"}
    status, _, err = run_import(capsys, db, write(tmp_path / "b.jsonl", later, other, cancel_other))
    assert status == 1 and "cancels 'o-1', which belongs to another holder" in err
    cancel_again = {**cancel, "id": "c-3", "cancels": "l-1"}
    assert run_import(capsys, db, write(tmp_path / "c.jsonl", later, cancel_again))[0] == 0


def test_same_id_twice_in_a_file(db: Path | str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_import(capsys, db, write(tmp_path / "a.jsonl", HEADER, HOLDER, LICENCE, LICENCE))
    assert status == 0 and "1 events new, 1 unchanged" in out
    status, _, err = run_import(capsys, db, write(tmp_path / "b.jsonl", {**HEADER, "extract_id": "b"}, HOLDER,
                                                  OFFENCE, {**OFFENCE, "points": 3}))
    assert status == 1 and f"{tmp_path / 'b.jsonl'}:4: event \"o-1\": id already used with different content on line 3" in err
    status, _, err = run_import(capsys, db, write(tmp_path / "c.jsonl", {**HEADER, "extract_id": "c"},
                                                  {**LICENCE, "issued_on": "2011-06-01"}))
    assert status == 1 and ('c.jsonl:2: event "l-1": id already in the register or earlier in this file with '
                            'different content') in err
    status, _, err = run_import(capsys, db, write(tmp_path / "d.jsonl", {**HEADER, "extract_id": "d"},
                                                  {**HOLDER, "neph": "190575100999"},
                                                  {**LICENCE, "neph": "190575100999"}))
    assert status == 1 and 'd.jsonl:3: event "l-1": id already in the register or earlier in this file for another' in err


def test_a_bad_or_missing_header_rejects_the_file(db: Path | str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    feed = write(tmp_path / "feed.jsonl", HOLDER, LICENCE)
    status, _, err = run_import(capsys, db, feed)
    assert status == 1 and f"{feed}:1: header: the first line must be the extract header" in err
    naive = write(tmp_path / "naive.jsonl", {**HEADER, "extracted_at": "2026-11-25T22:00:00"}, HOLDER)
    status, _, err = run_import(capsys, db, naive)
    assert status == 1 and f"{naive}:1: header:" in err
    assert count(db, "holders") == 0


def test_skip_invalid_imports_the_rest_and_keeps_the_bad_lines(db: Path | str, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    bad_offence = {**OFFENCE, "id": "o-2", "points": 7}
    orphan_cancel = {"neph": NEPH, "type": "cancellation", "id": "c-1", "cancels": "o-2", "cancelled_on": "2024-05-01"}
    feed = write(tmp_path / "feed.jsonl", HEADER, HOLDER, LICENCE, bad_offence, OFFENCE, "{oops", orphan_cancel)
    status, out, err = run_import(capsys, db, feed, "--skip-invalid")
    assert status == 0, err
    assert "2 events new, 0 unchanged, 3 rejected" in out
    rejected = feed.with_name("feed.jsonl.rejected.jsonl")
    assert str(rejected) in err
    kept = [json.loads(line) for line in rejected.read_text().splitlines()]
    assert [k["line"] for k in kept] == [4, 6, 7]
    assert json.loads(kept[0]["text"]) == bad_offence and kept[1]["text"] == "{oops"
    assert json.loads(kept[2]["text"]) == orphan_cancel
    assert kept[0]["reason"].startswith('event "o-2": points 7')
    assert "which is not in the register nor in this file" in kept[2]["reason"]
    assert count(db, "events") == 2
    # fixed lines can be imported later; a clean import removes the stale rejected-lines file
    status, _, _ = run_import(capsys, db, write(tmp_path / "feed.jsonl", {**HEADER, "extract_id": "fix"},
                                                {**bad_offence, "points": 6}, orphan_cancel), "--skip-invalid")
    assert status == 0 and not rejected.exists() and count(db, "events") == 4


def test_a_newer_database_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], demo_feed: Path) -> None:
    db = tmp_path / "db.sqlite3"
    open_migrated(db).execute("PRAGMA user_version = 999")
    status, _, err = run_import(capsys, db, demo_feed)
    assert status == 1 and "newer than this code" in err


def test_migrate_command(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "env.sqlite3"
    monkeypatch.setenv("POINTSPERMIS_DB", str(db))
    from backend.settings import get_settings
    get_settings.cache_clear()
    try:
        assert main(["migrate"]) == 0
    finally:
        get_settings.cache_clear()
    assert f"{db}: schema version" in capsys.readouterr().out


def test_copy_of_demo_db_is_independent(demo_db_path: Path, tmp_path: Path) -> None:
    copy = copy_db(demo_db_path, tmp_path / "copy.sqlite3")
    conn = sqlite3.connect(copy)
    conn.execute("DELETE FROM events")
    conn.commit()
    conn.close()
    assert count(demo_db_path, "events") > 0


def test_worker_processes_give_the_same_result_as_one_process(tmp_path: Path, demo_feed: Path) -> None:
    """Lines checked in worker processes (as for big files) are applied in the same order, same messages."""
    import subprocess
    import sys

    lines = demo_feed.read_text().splitlines()
    bad = [json.dumps({**json.loads(lines[5]), "points": 8}) if '"offence"' in lines[5] else "{oops", "{oops"]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(lines[:5] + bad + lines[5:]) + "\n")
    outputs = []
    for workers in ("0", "2"):
        db = tmp_path / f"db-{workers}.sqlite3"
        done = subprocess.run([sys.executable, "-m", "backend", "import", str(feed), "--db", str(db), "--skip-invalid",
                               "--workers", workers], cwd=Path(__file__).resolve().parents[2],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outputs.append((done.stdout.rsplit(",", 1)[0], done.stderr, register_content(db),
                        feed.with_name("feed.jsonl.rejected.jsonl").read_text()))
    assert outputs[0] == outputs[1]
    assert "2 rejected" in outputs[0][0]


async def test_latest_extract_is_the_most_recent_by_extraction_time(db: Path | str, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Data freshness: an older extract imported later does not make the data look older."""
    from backend.database import open_database
    from backend.register.repository import SqlRegister

    newer = write(tmp_path / "newer.jsonl", {**HEADER, "extract_id": "new", "extracted_at": "2026-11-25T23:30:00+01:00"},
                  HOLDER)
    older = write(tmp_path / "older.jsonl", {**HEADER, "extract_id": "old", "extracted_at": "2026-11-20T22:00:00+00:00"},
                  HOLDER, LICENCE)
    status, out, err = run_import(capsys, db, newer, older)  # several files in one command, in order
    assert status == 0, err
    assert out.count("imported —") == 2
    register = SqlRegister(await open_database(db))
    try:
        latest = (await register.state()).latest
        assert latest is not None and latest.extract_id == "new"
        assert latest.extracted_at.isoformat() == "2026-11-25T22:30:00+00:00"  # stored in UTC
        assert [e.id for e in await register.get_events(NEPH)] == ["l-1"]
    finally:
        await register.db.close()


def test_a_missing_file_is_reported_and_the_others_imported(db: Path | str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_import(capsys, db, tmp_path / "nowhere.jsonl", write(tmp_path / "a.jsonl", HEADER, HOLDER))
    assert status == 1
    assert f"{tmp_path / 'nowhere.jsonl'}: no such file" in err
    assert count(db, "holders") == 1


def test_progress_bar_on_a_terminal_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_feed: Path) -> None:
    import io
    import sys

    from backend.register import commands_import

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(commands_import, "PROGRESS_MIN_BYTES", 0)  # the demo feed is small
    for stream, shown in ((Terminal(), True), (io.StringIO(), False)):
        monkeypatch.setattr(sys, "stderr", stream)
        monkeypatch.setattr(sys, "stdout", io.StringIO())
        db = tmp_path / f"db-{shown}.sqlite3"
        assert main(["import", str(demo_feed), "--db", str(db), "--workers", "0"]) == 0
        assert ("demo.jsonl:" in stream.getvalue() and "%|" in stream.getvalue()) is shown, stream.getvalue()


def test_events_are_stored_as_text_with_their_columns(db: Path | str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The body is the line's JSON without its neph, as TEXT; `cancels` is NULL except for a cancellation."""
    cancel = {"neph": NEPH, "type": "cancellation", "id": "c-1", "cancels": "o-1", "cancelled_on": "2024-05-01"}
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(HEADER) + "\n" + json.dumps(HOLDER) + "\n"
                    + '{"neph":"' + NEPH + '","type":"licence_issued","id":"l-1","issued_on":"2010-06-01"}\n'
                    + json.dumps(OFFENCE, ensure_ascii=False) + "\n" + json.dumps(cancel) + "\n")
    assert run_import(capsys, db, feed)[0] == 0
    kind = "pg_typeof(body)::text" if postgres.is_postgres_url(db) else "typeof(body)"
    rows = run_sql(db, f"SELECT id, neph, effective_on, cancels, extract_id, {kind}, body FROM events ORDER BY seq")
    assert [tuple(row[:6]) for row in rows] == [
        ("l-1", NEPH, "2010-06-01", None, "x-2026-11-25", "text"),
        ("o-1", NEPH, "2024-04-10", None, "x-2026-11-25", "text"),
        ("c-1", NEPH, "2024-05-01", "o-1", "x-2026-11-25", "text")]
    assert rows[0][6] == '{"type":"licence_issued","id":"l-1","issued_on":"2010-06-01"}'
    assert json.loads(rows[1][6]) == {k: v for k, v in OFFENCE.items() if k != "neph"}


def test_a_failing_checker_process_aborts_the_import_and_changes_nothing(
        db: Path | str, demo_feed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checker process that raises (here on its second chunk) stops the import with its traceback;
    the transaction is rolled back."""
    from backend.register import linecheck
    from backend.register.checkers import CheckerFailed
    from backend.register.importer import SqliteBulkLoader, open_writer
    from backend.register.pg_importer import PostgresBulkLoader

    real = linecheck.check_chunk

    def failing(first: int, block: bytes, extract_id: str) -> linecheck.Checked:
        if first > 2:
            raise RuntimeError("the checker ran out of luck")
        return real(first, block, extract_id)

    monkeypatch.setattr(linecheck, "CHUNK_BYTES", 4096)  # several chunks of the small demo feed
    monkeypatch.setattr(linecheck, "check_chunk", failing)  # inherited by the forked checkers
    if postgres.is_postgres_url(db):
        conn = postgres.connect(str(db))
        loader, in_transaction = PostgresBulkLoader(conn, workers=2), lambda: conn.info.transaction_status != 0
    else:
        open_migrated(db).close()
        conn = open_writer(db)
        loader, in_transaction = SqliteBulkLoader(conn, workers=2), lambda: conn.in_transaction
    try:
        with pytest.raises(CheckerFailed, match="the checker ran out of luck"):
            loader.load(demo_feed)
        assert not in_transaction()
    finally:
        conn.close()
    assert count(db, "events") + count(db, "holders") + count(db, "extracts") == 0


def compact(line: dict | str) -> str:
    """A line as the register and the demo write it (no spaces; the neph first, when it has one)."""
    return line if isinstance(line, str) else json.dumps(line, separators=(",", ":"), ensure_ascii=False)


PATTERN_LINES = [  # fields with a regex: the message names the field and the pattern
    ({**LICENCE, "id": "l 2"}, "event \"l 2\": id: Expected `str` matching regex '^[A-Za-z0-9._:-]+\\Z'"),
    ({**OFFENCE, "id": "o-8", "natinf": "12a"}, "event \"o-8\": natinf: Expected `str` matching regex '^[0-9]+\\Z'"),
    ({"neph": NEPH, "type": "cancellation", "id": "c-2", "cancels": "o/1", "cancelled_on": "2024-05-01"},
     "event \"c-2\": cancels: Expected `str` matching regex '^[A-Za-z0-9._:-]+\\Z'"),
    ({**HOLDER, "neph": "19057510012-"}, "holder \"19057510012-\": neph: Expected `str` matching regex"),
    # A trailing newline (escaped in the JSON) is not part of any of these forms (`\Z`, not `$`), and a
    # refused value is quoted as JSON in the message, so that it stays on one line.
    ({**LICENCE, "id": "l-3\n"}, "event \"l-3\\n\": id: Expected `str` matching regex '^[A-Za-z0-9._:-]+\\Z'"),
    ({**OFFENCE, "id": "o-9", "natinf": "123\n"}, "event \"o-9\": natinf: Expected `str` matching regex '^[0-9]+\\Z'"),
    ({**HOLDER, "neph": "190575100126\n"}, "holder \"190575100126\\n\": neph: Expected `str` matching regex"),
    ({**HOLDER, "neph": "190575100125", "birth_country": "98100"}, 'holder "190575100125": birth_country: Expected'),
]


def test_bad_lines_in_the_compact_layout_get_the_same_messages(db: Path | str, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert run_import(capsys, db, write(tmp_path / "first.jsonl", {**HEADER, "extract_id": "x0"}, HOLDER))[0] == 0
    before = dump(db)
    bad = [*BAD_LINES, *PATTERN_LINES]
    feed = write(tmp_path / "feed.jsonl", *map(compact, (HEADER, LICENCE, OFFENCE, *(line for line, _ in bad))))
    status, _, err = run_import(capsys, db, feed)
    assert status == 1
    messages = [line for line in err.splitlines() if line.startswith(f"{feed}:")]
    for number, (_, expected) in enumerate(bad, start=4):
        assert any(m.startswith(f"{feed}:{number}: {expected}") for m in messages), (number, expected, messages)
    assert sum(m.startswith(f"{feed}:") and m.split(":")[1].isdigit() for m in messages) == len(bad)
    assert dump(db) == before


def test_a_chunk_cuts_lines_as_reading_the_file_does() -> None:
    """Every edge of a line (no final newline, CRLF, blank lines, spaces, a neph of the wrong length or with
    other characters, bytes that are not UTF-8, accents) gives the rows and problems of its own line."""
    from backend.register.linecheck import check_chunk

    holder, licence, offence = compact(HOLDER), compact(LICENCE), compact({**OFFENCE, "label": "Excès de vitesse"})
    lines = [
        holder.encode(), licence.encode(), offence.encode(),
        licence.replace('"l-1"', '"l-2"').encode() + b"\r",  # CRLF
        b"", b"   ",  # blank lines
        licence.replace('"l-1"', '"l-3"').encode() + b" ",  # a space after the object
        licence.replace(NEPH, NEPH[:11] + "-").replace('"l-1"', '"l-4"').encode(),
        licence.replace(NEPH, NEPH[:11]).replace('"l-1"', '"l-5"').encode(),
        licence.replace('"l-1"', '"l-6"').encode().replace(b'"licence_issued"', b'"licence_\xff"'),
        b'{"neph":"' + NEPH.encode() + b'",}', b"{", b'{"type":"holder",',
    ]
    for ending in (b"\n", b""):  # the file's last line may have no newline
        checked = check_chunk(2, b"\n".join(lines) + ending, "x")
        assert [row[0] for row in checked.rows] == ["l-1", "o-1", "l-2", "l-3"] and len(checked.holders) == 1
        assert list(checked.row_lines) == [3, 4, 5, 8]
        assert [number for number, _, _ in checked.problems] == [9, 10, 11, 12, 13, 14]


def test_the_extract_records_the_sha256_of_the_whole_file(db: Path | str, demo_feed: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Computed from the chunks as they are read (several chunks here, with worker processes)."""
    import hashlib

    from backend.register import linecheck

    monkeypatch.setattr(linecheck, "CHUNK_BYTES", 4096)
    assert main(["import", str(demo_feed), "--db", str(db), "--workers", "2"]) == 0
    assert run_sql(db, "SELECT file_sha256 FROM extracts")[0][0] == hashlib.sha256(demo_feed.read_bytes()).hexdigest()


def test_a_first_load_on_postgresql_builds_the_indexes_it_dropped(postgres_url: str, demo_feed: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """With --indexes-at-end, pg_importer builds the secondary indexes of events once at the end of a first
    load: afterwards the table has exactly the indexes and constraints of a migrated database, and they work
    (a later file's same ids are found unchanged, another content is refused)."""
    schema = ("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'events' ORDER BY indexname",
              "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'events'::regclass "
              "ORDER BY conname")
    before = [[tuple(row) for row in run_sql(postgres_url, query)] for query in schema]
    assert run_import(capsys, postgres_url, demo_feed, "--indexes-at-end")[0] == 0
    assert [[tuple(row) for row in run_sql(postgres_url, query)] for query in schema] == before
    events = count(postgres_url, "events")
    lines = demo_feed.read_text().splitlines()
    again = write(tmp_path / "again.jsonl", {**HEADER, "extract_id": "again"}, *map(json.loads, lines[1:]))
    status, out, _ = run_import(capsys, postgres_url, again)
    assert status == 0 and f"0 events new, {events} unchanged" in out
    changed = json.loads(next(line for line in lines if '"offence"' in line)) | {"label": "autre"}
    status, _, err = run_import(capsys, postgres_url, write(tmp_path / "changed.jsonl", {**HEADER, "extract_id": "c"},
                                                            changed))
    assert status == 1 and "id already in the register or earlier in this file with different content" in err


def test_an_id_twice_in_a_first_load_with_indexes_at_end(postgres_url: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Without its unique index the first pass cannot see the repeated id: building the index fails, and the
    file starts over, asking, with the result of any other import (same content unchanged, other refused)."""
    feed = write(tmp_path / "a.jsonl", HEADER, HOLDER, LICENCE, OFFENCE, LICENCE, {**OFFENCE, "points": 3})
    status, out, err = run_import(capsys, postgres_url, feed, "--skip-invalid", "--indexes-at-end")
    assert status == 0, err
    assert "2 events new, 1 unchanged, 1 rejected" in out
    assert err.count("id already used with different content on line 4") == 1
    assert run_sql(postgres_url, "SELECT count(*) FROM pg_indexes WHERE tablename = 'events'")[0][0] == 2


def test_a_postgresql_role_without_the_rights_imports_the_same_with_the_triggers_on(
        postgres_url: str, demo_feed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A role that may neither set session_replication_role nor drop the indexes of events (not their owner)
    still imports, with PostgreSQL's own foreign-key checks, and is told how to make it faster."""
    import os
    from urllib.parse import urlsplit, urlunsplit

    role, password = f"importer_{os.getpid()}", "mot-de-passe-de-test"
    run_sql(postgres_url, f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    try:
        run_sql(postgres_url, f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        run_sql(postgres_url, f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        server = urlsplit(postgres_url)
        url = urlunsplit(server._replace(netloc=f"{role}:{password}@{server.hostname}:{server.port}"))
        status, out, err = run_import(capsys, url, demo_feed, "--indexes-at-end")
        assert status == 0, err
        assert "GRANT SET ON PARAMETER session_replication_role" in err
        reference = tmp_path / "reference.sqlite3"
        assert run_import(capsys, reference, demo_feed)[0] == 0
        assert register_content(postgres_url) == register_content(reference)
        assert run_sql(postgres_url, "SELECT count(*) FROM pg_indexes WHERE tablename = 'events'")[0][0] == 2
    finally:
        run_sql(postgres_url, f"DROP OWNED BY {role}")
        run_sql(postgres_url, f"DROP ROLE {role}")


def test_problems_are_reported_in_line_order_across_batches(db: Path | str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A line's own problems and those found while writing its batch (a holder missing, an id reused)
    come out in line order, also when the store writes a batch while the next is being read
    (PostgreSQL's store thread)."""
    from backend.register import importer, linecheck

    monkeypatch.setattr(importer, "BATCH_LINES", 2)
    monkeypatch.setattr(linecheck, "CHUNK_BYTES", 1)  # one line per chunk
    orphan = {**OFFENCE, "neph": "190575100999", "id": "o-orphan"}
    feed = write(tmp_path / "feed.jsonl", HEADER, HOLDER, LICENCE, orphan, "{oops", OFFENCE,
                 {**LICENCE, "issued_on": "2011-06-01"}, "{oops", {**OFFENCE, "id": "o-2"}, orphan)
    status, out, err = run_import(capsys, db, feed, "--skip-invalid")
    assert status == 0, err
    lines = [int(line.split(":")[1]) for line in err.splitlines() if re.match(rf"{re.escape(str(feed))}:\d+: ", line)]
    assert lines == [4, 5, 7, 8, 10]
    assert "3 events new" in out and "5 rejected" in out


def test_a_postgresql_server_out_of_reach_or_a_refused_login_is_said_without_the_password(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], demo_feed: Path, postgres_url: str) -> None:
    with socket.socket() as free:  # a port nobody listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    status, _, err = run_import(capsys, f"postgresql://pointspermis:secret@127.0.0.1:{port}/absent", demo_feed)
    assert status == 1
    assert f"postgresql://pointspermis:***@127.0.0.1:{port}/absent: PostgreSQL" in err and "ne répond pas" in err
    assert "secret" not in err
    wrong = re.sub(r"(://[^:/@]+):[^@]*@", r"\1:pas-le-bon@", postgres_url)
    status, _, err = run_import(capsys, wrong, demo_feed)
    assert status == 1 and "password authentication failed" in err and "pas-le-bon" not in err
