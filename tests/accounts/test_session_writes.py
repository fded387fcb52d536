"""Session refreshes under load: requests never queue for the single writer one by one.

Each request of a session not refreshed for a minute owes the database one `last_seen_at` write,
made after its page is sent. Written one transaction per request, a burst of first visits asked the
writer for more transactions than it commits, and every such request stayed in memory after its
response, waiting for its turn: a worker grew by hundreds of MB a minute (docs/performance.md,
"Memory under load"). The first tests hold the writer busy and check what requests do meanwhile; the
last ones check that a process's refreshes wait (at most WRITE_AFTER) to be written together.
"""

from __future__ import annotations

import asyncio

from backend.accounts import session as session_module
from backend.accounts.session import IDLE_SECONDS, TOUCH_EVERY_SECONDS, WRITE_AFTER, Sessions
from backend.database import Store, open_database
from backend.database.db import Database
from backend.database.stores import accounts_db_for
from tests.fixtures.accounts import running_app, seed_database, settings_for
from tests.fixtures.postgres import assert_drain_waits_for

UPDATE = "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?"
# Not a timing: a request that waited for the busy writer would wait until the test releases it.
HANG = 30


async def sessions_due(db: Store, now: list[int], count: int) -> tuple[Sessions, list[str]]:
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


async def last_seen(db: Store) -> list[int]:
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


def counting_batches(db: Store) -> list[int]:
    """Counts the store's `write_many` calls (one transaction each) in the list returned."""
    calls = [0]
    write_many = db.write_many

    async def counting(take):
        calls[0] += 1
        return await write_many(take)

    db.write_many = counting  # type: ignore[method-assign]
    return calls


async def eventually(check, what: str) -> None:
    """Wait (at most HANG seconds: not a timing) until `check()` is true."""
    for _ in range(int(HANG / (WRITE_AFTER / 10))):
        if await check():
            return
        await asyncio.sleep(WRITE_AFTER / 10)
    raise AssertionError(what)


async def test_a_processs_refreshes_wait_for_its_timer_and_go_in_one_transaction(store_target):
    now = [1_800_000_000]
    db = await open_database(store_target("accounts.sqlite3"))
    try:
        sessions, ids = await sessions_due(db, now, 50)
        created = now[0] - TOUCH_EVERY_SECONDS
        batches = counting_batches(db)
        for session_id in ids:  # what the guard does after each page is sent
            later: list = []
            assert await sessions.load(session_id, later) is not None
            await sessions.write_later(later)
        assert batches[0] == 0  # nothing written yet: no transaction per request
        assert await last_seen(db) == [created] * 50

        async def written() -> bool:
            return await last_seen(db) == [now[0]] * 50
        await eventually(written, f"the refreshes were not written within {HANG} s")
        assert batches[0] == 1
        assert sessions._queued == {} and sessions._touched == {}
        later = []
        assert await sessions.load(ids[0], later) is not None and later == []  # the row itself says it is fresh
    finally:
        await db.close()


async def test_a_full_queue_is_written_at_once_by_the_request_that_fills_it(store_target, monkeypatch):
    monkeypatch.setattr(session_module, "WRITE_ROWS", 5)
    now = [1_800_000_000]
    db = await open_database(store_target("accounts.sqlite3"))
    try:
        sessions, ids = await sessions_due(db, now, 5)
        batches = counting_batches(db)
        for session_id in ids:
            later: list = []
            assert await sessions.load(session_id, later) is not None
            await sessions.write_later(later)
        assert batches[0] == 1 and await last_seen(db) == [now[0]] * 5
    finally:
        await db.close()


async def test_a_refresh_not_yet_written_keeps_its_session_alive_in_its_process(store_target):
    now = [1_800_000_000]
    db = await open_database(store_target("accounts.sqlite3"))
    try:
        sessions, (session_id,) = await sessions_due(db, now, 1)
        later: list = []
        assert await sessions.load(session_id, later) is not None
        await sessions.write_later(later)  # queued, not written
        now[0] += IDLE_SECONDS - 1  # idle for the row, not for this process, which saw the request
        later = []
        assert await sessions.load(session_id, later) is not None
        now[0] += IDLE_SECONDS
        assert await sessions.load(session_id, later) is None  # idle by both accounts: ended
    finally:
        await sessions.flush()
        await db.close()


async def test_the_app_writes_its_queued_refreshes_when_it_stops(store_target):
    target = store_target("accounts.sqlite3")
    await seed_database(target)
    async with running_app(settings_for(target)) as harness:
        client = await harness.signed_in(None)
        harness.clock.advance(TOUCH_EVERY_SECONDS)
        seen_at = harness.accounts.now()
        assert (await client.get("/compte")).status_code == 200  # owes a refresh, queued for the timer
        assert await last_seen(harness.db) == [seen_at - TOUCH_EVERY_SECONDS]
    db = await open_database(accounts_db_for(target))  # on SQLite, the accounts' file beside the register
    try:
        assert await last_seen(db) == [seen_at]
    finally:
        await db.close()


async def test_at_shutdown_a_batch_of_refreshes_under_way_is_waited_for_not_cut(store_target):
    """A batch may still wait for the database when the server stops (after an outage, or a table held by
    maintenance): `drain`, the app's step before closing the database, waits for it."""
    target = store_target("accounts.sqlite3")
    now = [1_800_000_000]
    db = await open_database(target)
    try:
        sessions, (session_id,) = await sessions_due(db, now, 1)
        later: list = []
        assert await sessions.load(session_id, later) is not None
        await assert_drain_waits_for(target, "sessions", sessions.write_now(later), sessions.drain)
        assert await last_seen(db) == [now[0]]
    finally:
        await db.close()
