"""`Store.write_many`: many small writes in one transaction (on PostgreSQL, one round trip), on both stores.

What a caller observes: every row of every statement written, or none (the error raised, the store still
usable), and the statements asked for only once the writer is held, so that what was queued while waiting
goes in the same transaction (accounts.session.Sessions.write_now relies on it).
"""

from __future__ import annotations

import asyncio

import pytest

from backend.database import Store, open_database

INSERT = "INSERT INTO scratch (k, v) VALUES (?, ?)"


async def opened(target: str, connections: int = 2) -> Store:
    db = await open_database(target, pg_connections=connections)
    async with db.write() as conn:
        await conn.execute("CREATE TABLE scratch (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
    return db


async def content(db: Store) -> dict[str, int]:
    return {k: v for k, v in await db.fetch_all("SELECT k, v FROM scratch ORDER BY k")}


async def test_every_row_of_every_statement_is_written(store_target) -> None:
    db = await opened(store_target())
    try:
        await db.write_many(lambda: [(INSERT, [("a", 1), ("b", 2), ("c", 3)]),
                                     ("UPDATE scratch SET v = ? WHERE k = ?", [(10, "a"), (30, "c")]),
                                     ("DELETE FROM scratch WHERE k = ?", [])])
        assert await content(db) == {"a": 10, "b": 2, "c": 30}
    finally:
        await db.close()


async def test_a_failing_row_writes_nothing_and_the_store_stays_usable(store_target) -> None:
    db = await opened(store_target())
    try:
        await db.write_many(lambda: [(INSERT, [("a", 1)])])
        with pytest.raises(Exception, match="(?i)unique|duplicate"):
            # The second statement's second row breaks the primary key: the first statement is undone too.
            await db.write_many(lambda: [("UPDATE scratch SET v = ? WHERE k = ?", [(5, "a")]),
                                         (INSERT, [("b", 2), ("a", 3), ("c", 4)])])
        assert await content(db) == {"a": 1}
        await db.write_many(lambda: [(INSERT, [("b", 2)])])
        async with db.write() as conn:
            await conn.execute("UPDATE scratch SET v = 7 WHERE k = 'b'")
        assert await content(db) == {"a": 1, "b": 7}
    finally:
        await db.close()


async def test_the_rows_are_asked_for_once_the_writer_is_held(store_target) -> None:
    db = await opened(store_target(), connections=1)  # on PostgreSQL, one connection: held below
    try:
        held, release = asyncio.Event(), asyncio.Event()
        asked: list[str] = []

        async def holder() -> None:
            async with db.write() as conn:
                await conn.execute(INSERT, ("first", 1))
                held.set()
                await release.wait()

        def take() -> list:
            asked.append("taken")
            return [(INSERT, [("second", 2)])]

        holding = asyncio.create_task(holder())
        await held.wait()
        writing = asyncio.create_task(db.write_many(take))
        await asyncio.sleep(0.2)
        assert asked == [] and not writing.done()  # waiting for the writer, nothing taken yet
        release.set()
        await asyncio.gather(holding, writing)
        assert asked == ["taken"]
        assert await content(db) == {"first": 1, "second": 2}
    finally:
        await db.close()
