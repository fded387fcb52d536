"""Session refreshes under load: requests never queue for the single writer one by one.

Each request of a session not refreshed for a minute owes the database one `last_seen_at` write,
made after its page is sent. Written one transaction per request, a burst of first visits asked the
writer for more transactions than it commits, and every such request stayed in memory after its
response, waiting for its turn: a worker grew by hundreds of MB a minute (docs/performance.md,
"Memory under load"). These tests hold the writer busy and check what requests do meanwhile.
"""

from __future__ import annotations

import asyncio

from backend.accounts.session import TOUCH_EVERY_SECONDS, Sessions
from backend.database.db import Database

UPDATE = "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?"
# Not a timing: a request that waited for the busy writer would wait until the test releases it.
HANG = 30


async def sessions_due(db: Database, now: list[int], count: int) -> tuple[Sessions, list[str]]:
    """`count` sessions of their own accounts, each owing its refresh (a minute has passed)."""
    sessions = Sessions(db, lambda: now[0], secure=False)
    ids = []
    async with db.write() as conn:
        for i in range(count):
            cursor = await conn.execute("INSERT INTO accounts (email, email_verified_at, created_at) "
                                        "VALUES (?, ?, ?) RETURNING id", (f"charge-{i}@exemple.test", now[0], now[0]))
            (account,) = tuple(await cursor.fetchone())
            ids.append(await sessions.create(conn, account))
    now[0] += TOUCH_EVERY_SECONDS
    return sessions, ids


async def request(sessions: Sessions, session_id: str) -> None:
    """What the guard does for a page: load the session, send the page, then write what is owed."""
    later: list = []
    assert await sessions.load(session_id, later) is not None
    assert [sql for sql, _ in later] == [UPDATE]
    await sessions.write_now(later)


async def last_seen(db: Database) -> list[int]:
    return [row[0] for row in await db.fetch_all("SELECT last_seen_at FROM sessions ORDER BY last_seen_at")]


class BusyWriter:
    """Holds the database's writer (as an access-log flush or another batch would) until released;
    counts the write transactions opened meanwhile and after."""

    def __init__(self, db: Database) -> None:
        self.db, self.free, self.transactions = db, asyncio.Event(), 0
        self._write = db.write

        def counting_write():
            self.transactions += 1
            return self._write()

        db.write = counting_write  # type: ignore[method-assign]

    async def __aenter__(self) -> BusyWriter:
        async def hold() -> None:
            async with self._write():
                await self.free.wait()

        self.task = asyncio.create_task(hold())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.free.set()
        await self.task


async def test_requests_do_not_wait_for_the_writer_and_their_refreshes_go_in_one_transaction(tmp_path):
    now = [1_800_000_000]
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        sessions, ids = await sessions_due(db, now, 50)
        async with BusyWriter(db) as writer:
            first = asyncio.create_task(request(sessions, ids[0]))
            await asyncio.sleep(0)  # it now waits for the writer, to write for everyone
            for session_id in ids[1:]:  # each returns at once: nothing of it stays in memory
                await asyncio.wait_for(request(sessions, session_id), HANG)
            assert not first.done()
        await asyncio.wait_for(first, HANG)
        assert await last_seen(db) == [now[0]] * 50
        assert writer.transactions == 1
        # Written, so forgotten: what the process keeps is bounded by the refreshes not yet written.
        assert sessions._queued == {} and sessions._touched == {}
        later: list = []
        assert await sessions.load(ids[0], later) is not None and later == []  # the row itself says it is fresh
    finally:
        await db.close()


async def test_a_session_refreshed_again_while_queued_is_written_once_with_its_latest_time(tmp_path):
    now = [1_800_000_000]
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        sessions, (first_id, second_id) = await sessions_due(db, now, 2)
        async with BusyWriter(db) as writer:
            first = asyncio.create_task(request(sessions, first_id))
            await asyncio.sleep(0)
            later: list = []
            assert await sessions.load(second_id, later) is not None
            second_hash = later[0][1][1]
            for minute in range(3):  # e.g. a refresh owed again by a later process of the same session
                await asyncio.wait_for(sessions.write_now([(UPDATE, (now[0] + 60 * minute, second_hash))]), HANG)
        await asyncio.wait_for(first, HANG)
        assert await last_seen(db) == [now[0], now[0] + 120]
        assert writer.transactions == 1
    finally:
        await db.close()
