"""The fast import (importer.py: chunks, batches, set queries, forked checkers, in-place writing; and
pg_importer.py, the same on PostgreSQL with COPY) against the reference import (reference_import.py: one
line, one statement at a time, SQLite): the same files, in the same order, leave the same register, the
same outcome and the same bad lines. Every test runs with the fast path on each store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from backend.database import postgres
from backend.database.db import connect, open_migrated
from backend.register import importer, linecheck
from backend.register.importer import SqliteBulkLoader, open_writer
from backend.register.pg_importer import PostgresBulkLoader
from backend.register.reference_import import ReferenceImporter
from backend.register.store import rejected_path
from tests.fixtures.register import register_content
from tests.register.test_import import BAD_LINES, HEADER, HOLDER, LICENCE, NEPH, OFFENCE, PATTERN_LINES, compact

OTHER = {**HOLDER, "neph": "190575100124", "family_name": "DURAND"}


def extract(extract_id: str) -> dict:
    return {**HEADER, "extract_id": extract_id}


def cancel(event_id: str, cancels: str, neph: str = NEPH) -> dict:
    return {"neph": neph, "type": "cancellation", "id": event_id, "cancels": cancels, "cancelled_on": "2024-05-01"}


def offence(event_id: str, neph: str = NEPH, points: int = 2) -> dict:
    return {**OFFENCE, "id": event_id, "neph": neph, "points": points}


def feed(path: Path, *lines: dict | str, layout=compact) -> Path:
    path.write_text("".join(layout(line) + "\n" for line in lines), encoding="utf-8")
    return path


def spaced(line: dict | str) -> str:
    """Another layout than the register's (spaces, the neph last): the checker's general path."""
    if isinstance(line, str):
        return line
    neph = {"neph": line["neph"]} if "neph" in line and line.get("type") != "holder" else {}
    rest = {k: v for k, v in line.items() if not neph or k != "neph"}
    return json.dumps({**rest, **neph})


# The only message that depends on how the fast path batches lines: a second use of an id with other
# content names the first line when both are in one batch, else says "earlier in this file".
_SAME_ID = re.compile(r"id already (used with different content on line \d+|in the register or earlier in this "
                      r"file with different content)")


def outcome(result, path: Path) -> tuple:
    problems = sorted((p.line, p.ref, _SAME_ID.sub("id already used", p.reason)) for p in result.problems)
    rejected = rejected_path(path)
    kept = [json.loads(line) for line in rejected.read_text().splitlines()] if rejected.exists() else None
    if kept:
        for line in kept:
            line["reason"] = _SAME_ID.sub("id already used", line["reason"])
    return (result.status, result.lines, result.holders, result.events_new, result.events_unchanged, problems, kept)


# PostgreSQL as its owner imports (the import's own reference checks instead of triggers), the same with
# the indexes of events built at the end of a first load (--indexes-at-end), and as a role without those
# rights (triggers kept).
FAST_PATHS = ("sqlite", "postgres", "postgres-indexes-at-end", "postgres-plain-role")


@pytest.fixture(params=FAST_PATHS)
def fast_db(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path | str, str]:
    """Where the fast path imports (a new SQLite file, or a new PostgreSQL database), and which path."""
    if request.param.startswith("postgres"):
        return request.getfixturevalue("postgres_url"), request.param
    open_migrated(tmp_path / "fast.sqlite3").close()
    return tmp_path / "fast.sqlite3", request.param


def fast_load(fast_db: tuple[Path | str, str], path: Path, skip_invalid: bool, workers: int):
    """One file by the fast path of `fast_db`, as `pointspermis import` does."""
    target, kind = fast_db
    if kind.startswith("postgres"):
        with postgres.connect(str(target)) as pg:
            loader = PostgresBulkLoader(pg, workers, indexes_at_end=kind == "postgres-indexes-at-end")
            if kind == "postgres-plain-role":
                loader.references_checked_here = loader.owns_events = False
            return loader.load(path, skip_invalid)
    conn = open_writer(target)
    try:
        return SqliteBulkLoader(conn, workers).load(path, skip_invalid)
    finally:
        conn.close()


def import_both(tmp_path: Path, fast_db: tuple[Path | str, str], files: list[tuple[Path, bool]],
                workers: int = 0) -> None:
    """Each (file, skip_invalid) imported in order into two databases, one per path: after each file
    the outcomes and the registers are the same."""
    reference_db = tmp_path / "reference.sqlite3"
    open_migrated(reference_db).close()
    for path, skip_invalid in files:
        fast = outcome(fast_load(fast_db, path, skip_invalid, workers), path)
        conn = connect(reference_db)
        try:
            reference = outcome(ReferenceImporter(conn).load(path, skip_invalid), path)
        finally:
            conn.close()
        assert fast == reference, path
        assert register_content(fast_db[0]) == register_content(reference_db), path


def test_the_demo_feed_then_again_then_a_later_extract(tmp_path: Path, fast_db: tuple[Path | str, str],
                                                      demo_feed: Path) -> None:
    lines = demo_feed.read_text().splitlines()
    later = feed(tmp_path / "later.jsonl", extract("later"), *lines[1:40], {**HOLDER, "family_name": "MARTIN-DUBOIS"},
                 offence("o-later"), cancel("c-later", "o-later"))
    import_both(tmp_path, fast_db, [(demo_feed, False), (demo_feed, False), (later, False), (later, True)])


@pytest.mark.parametrize("skip_invalid", [False, True])
@pytest.mark.parametrize("layout", [compact, spaced])
def test_bad_lines_of_every_kind(tmp_path: Path, fast_db: tuple[Path | str, str], skip_invalid: bool, layout) -> None:
    first = feed(tmp_path / "first.jsonl", extract("x0"), HOLDER, layout=layout)
    bad = feed(tmp_path / "bad.jsonl", HEADER, LICENCE, OFFENCE, *(line for line, _ in [*BAD_LINES, *PATTERN_LINES]),
               "", "   ", layout=layout)
    import_both(tmp_path, fast_db, [(first, False), (bad, skip_invalid), (bad, True)])


@pytest.mark.parametrize("workers", [0, 2])
def test_duplicates_orphans_and_cancellations_across_batches(tmp_path: Path, fast_db: tuple[Path | str, str],
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             workers: int) -> None:
    monkeypatch.setattr(linecheck, "CHUNK_BYTES", 300)  # a few lines per chunk
    monkeypatch.setattr(importer, "BATCH_LINES", 3)  # a batch after each chunk or two
    first = feed(tmp_path / "a.jsonl", extract("a"), HOLDER, LICENCE, offence("o-1"), cancel("c-1", "o-1"))
    lines = [extract("b"), offence("o-2"), OTHER, LICENCE, {**LICENCE, "issued_on": "2011-06-01"},
             offence("o-3", OTHER["neph"]), cancel("c-2", "o-4"), offence("o-4"), cancel("c-3", "o-1", OTHER["neph"]),
             cancel("c-4", "c-3", OTHER["neph"]), cancel("c-5", "c-4", OTHER["neph"]), offence("o-5", "190575100999"),
             offence("o-3", OTHER["neph"]), offence("o-3", OTHER["neph"], points=3), offence("o-1", OTHER["neph"]),
             {**OTHER, "given_names": "Louise"}, offence("o-6", OTHER["neph"]), cancel("c-1", "o-1"), "{oops",
             cancel("c-7", "c-8", OTHER["neph"]), cancel("c-8", "nope", OTHER["neph"])]
    second = feed(tmp_path / "b.jsonl", *lines)
    import_both(tmp_path, fast_db, [(first, False), (second, False), (second, True), (second, True)], workers)


def test_a_first_load_and_a_load_into_a_register_that_has_events(tmp_path: Path, fast_db: tuple[Path | str, str],
                                                                 demo_feed: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linecheck, "CHUNK_BYTES", 4096)
    lines = demo_feed.read_text().splitlines()
    half = feed(tmp_path / "half.jsonl", *lines[: len(lines) // 2])
    whole = feed(tmp_path / "whole.jsonl", extract("whole"), *lines[1:], cancel("c-x", "nope"))
    import_both(tmp_path, fast_db, [(whole, False), (half, False), (whole, True)], workers=2)
