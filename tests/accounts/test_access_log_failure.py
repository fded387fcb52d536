"""The access log loses no row when the database refuses a write (issue #18: "no access-log row is lost"):
the rows go back and the next flush writes them, on both stores."""

from __future__ import annotations

import asyncio

import pytest

from backend.accounts.access_log import FLUSH_AFTER, AccessLog
from backend.database import open_database
from tests.fixtures.postgres import assert_drain_waits_for, run_sql


async def test_rows_refused_by_the_database_are_written_by_the_next_flush(store_target):
    target = store_target("accounts.sqlite3")
    db = await open_database(target)
    try:
        log = AccessLog(db, lambda: 1_800_000_000, 365)
        await log.record(1, "100000000001", "/solde")
        # A real refusal: the table is away (another connection renamed it).
        run_sql(target, "ALTER TABLE access_log RENAME TO access_log_away")
        with pytest.raises(Exception):
            await log.flush()
        await log.record(1, "100000000001", "/historique")  # a view while the rows wait
        run_sql(target, "ALTER TABLE access_log_away RENAME TO access_log")
        await log.flush()
        rows = run_sql(target, "SELECT page FROM access_log ORDER BY id")
        assert [row[0] for row in rows] == ["/solde", "/historique"]
        await log.flush()  # nothing left to write twice
        assert len(run_sql(target, "SELECT page FROM access_log")) == 2
    finally:
        await db.close()


async def test_a_view_recorded_while_a_connection_is_held_is_written_by_the_timer(store_target):
    # The timer's flush runs in a context of its own, not in the recording request's (on PostgreSQL, a
    # task that holds a connection is refused a second one, and so would be a task started from it).
    target = store_target("accounts.sqlite3")
    db = await open_database(target)
    try:
        log = AccessLog(db, lambda: 1_800_000_000, 365)
        async with db.read(snapshot=False):
            await log.record(1, "100000000001", "/solde")
        for _ in range(50):
            await asyncio.sleep(FLUSH_AFTER / 10)
            if run_sql(target, "SELECT page FROM access_log"):
                break
        assert [row[0] for row in run_sql(target, "SELECT page FROM access_log")] == ["/solde"]
    finally:
        await db.close()


async def test_at_shutdown_the_rows_of_a_write_under_way_are_waited_for_not_lost(store_target):
    """A request writes its view's row after its page is sent: a server stopping may find that write still
    waiting for the database. `drain` (the app's last step before closing the database) waits for it."""
    target = store_target("accounts.sqlite3")
    db = await open_database(target)
    try:
        log = AccessLog(db, lambda: 1_800_000_000, 365)
        await log.record(1, "100000000001", "/solde")
        await assert_drain_waits_for(target, "access_log", log.flush(), log.drain)
    finally:
        await db.close()
    assert [row[0] for row in run_sql(target, "SELECT page FROM access_log")] == ["/solde"]
