"""Connections per worker on PostgreSQL (`Settings.pg_pool_size`; why few: docs/performance.md,
"PostgreSQL: connections per worker"): how many a worker's stores keep, that every request is served
through them, and that a task asking for a second connection while it holds one is refused at once
instead of waiting for ever."""

from __future__ import annotations

import asyncio

import pytest

from backend.database import DatabaseError, Store
from backend.database.postgres import PostgresDatabase
from backend.database.stores import close_stores, open_stores
from backend.settings import load_settings
from tests.fixtures.accounts import settings_for


async def backends_serving(db: Store, requests: int) -> set[int]:
    """The server processes that answered `requests` reads sent at once (each lasts 50 ms)."""

    async def one() -> int:
        rows = await db.fetch_all("SELECT pg_backend_pid(), pg_sleep(0.05)")
        return rows[0][0]

    return set(await asyncio.gather(*(one() for _ in range(requests))))


@pytest.mark.parametrize("size", [1, 3])
async def test_a_worker_serves_every_request_through_the_connections_it_is_given(postgres_url, size):
    register_db, accounts_db = await open_stores(settings_for(postgres_url, pg_pool_size=size))
    try:
        assert register_db is accounts_db  # one database, one pool
        assert len(await backends_serving(register_db, 12)) == size
    finally:
        await close_stores(register_db, accounts_db)


async def test_by_default_a_worker_keeps_two_connections(postgres_url):
    settings = load_settings({"POINTSPERMIS_DB": postgres_url, "POINTSPERMIS_ENVIRONMENT": "test"})
    register_db, accounts_db = await open_stores(settings)
    try:
        assert len(await backends_serving(register_db, 12)) == 2
    finally:
        await close_stores(register_db, accounts_db)


@pytest.mark.parametrize("value, message", [("0", "POINTSPERMIS_PG_POOL_SIZE vaut 0 : il faut au moins 1"),
                                            ("deux", "réglage invalide : Expected `int`")])
def test_a_pool_size_that_is_not_a_positive_number_is_refused_with_what_to_set(value, message):
    with pytest.raises(ValueError, match=message):
        load_settings({"POINTSPERMIS_PG_POOL_SIZE": value})


async def test_a_second_connection_asked_while_holding_one_is_refused_at_once(postgres_url):
    db = await PostgresDatabase.open(postgres_url, connections=1)
    try:
        async with db.write() as conn:
            await conn.execute("INSERT INTO attempts (key, at) VALUES ('held', 1)")
            # With one connection, waiting for a second would never end: wait_for bounds the test.
            with pytest.raises(DatabaseError, match="second PostgreSQL connection while it holds one"):
                await asyncio.wait_for(db.fetch_all("SELECT 1"), 5)
            with pytest.raises(DatabaseError, match="second PostgreSQL connection"):
                async with db.read():
                    pass
            # The connection held is still the task's, in the same transaction.
            await conn.execute("INSERT INTO attempts (key, at) VALUES ('held', 2)")
        rows = await asyncio.wait_for(db.fetch_all("SELECT at FROM attempts WHERE key = 'held' ORDER BY at"), 5)
        assert [row[0] for row in rows] == [1, 2]
    finally:
        await db.close()


async def test_a_task_holding_a_connection_may_still_use_another_database(postgres_url):
    # e.g. the accounts' primary and the register's replica: two pools, no wait on itself.
    primary = await PostgresDatabase.open(postgres_url, connections=1)
    other = await PostgresDatabase.open(postgres_url, connections=1)
    try:
        async with primary.write() as conn:
            await conn.execute("INSERT INTO attempts (key, at) VALUES ('primary', 1)")
            assert [tuple(row) for row in await asyncio.wait_for(other.fetch_all("SELECT 2"), 5)] == [(2,)]
    finally:
        await primary.close()
        await other.close()


async def test_a_task_started_by_a_task_holding_a_connection_is_refused_too(postgres_url):
    # Its starter may be waiting for it while holding the connection (here `wait_for`): with one
    # connection, that is the same wait for ever.
    db = await PostgresDatabase.open(postgres_url, connections=1)
    try:
        async with db.read(snapshot=False):
            with pytest.raises(DatabaseError, match="second PostgreSQL connection"):
                await asyncio.wait_for(asyncio.create_task(db.fetch_all("SELECT 3")), 5)
        assert [tuple(row) for row in await asyncio.wait_for(db.fetch_all("SELECT 3"), 5)] == [(3,)]
    finally:
        await db.close()
