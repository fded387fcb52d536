"""PostgreSQL restarting, failing over or down (issue #18: several instances over one shared database).

A server that restarts or fails over ends every session, so the connections a worker keeps in its pool
are closed while nobody uses them: they are replaced before they are lent, and no request fails for
them. While the server cannot be reached, a request waits at most `pg_wait_seconds` for a connection,
then fails with `StoreUnavailable` (the web's 503 page, tests/web/test_store_outage.py), and once the
server is back the next request is served. A table locked by maintenance makes a request wait no longer.
Real server, real pool: the tests' PostgreSQL cluster."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from backend.database import StoreUnavailable
from backend.database.postgres import PostgresDatabase
from backend.database.stores import close_stores, open_stores
from backend.settings import PG_WAIT_SECONDS, load_settings
from tests.fixtures.accounts import settings_for

KEY = "SELECT count(*) AS n FROM attempts WHERE key = ?"


@pytest.fixture
async def db(postgres_url):
    db = await PostgresDatabase.open(postgres_url, connections=2, wait=1)
    yield db
    await db.close()


async def every_way_of_using(db: PostgresDatabase) -> list:
    """One of each: a small read (batched), a read, a snapshot, a transaction, a pipelined write."""
    async with db.write() as conn:
        await conn.execute("INSERT INTO attempts (key, at) VALUES ('restart', 1)")
    await db.write_many(lambda: [("INSERT INTO attempts (key, at) VALUES (?, ?)", [("restart", 2)])])
    async with db.read() as conn:
        snapshot = await conn.execute_fetchall(KEY, ("restart",))
    return [(await db.fetch_small(KEY, ("restart",)))[0]["n"], (await db.fetch_all(KEY, ("restart",)))[0]["n"],
            snapshot[0]["n"]]


async def test_connections_the_server_closed_are_replaced_before_any_request_gets_one(db, postgres_cluster,
                                                                                      postgres_url):
    name = postgres_cluster.name_of(postgres_url)
    assert (await db.fetch_small(KEY, ("restart",)))[0]["n"] == 0  # both connections opened and used
    assert postgres_cluster.end_sessions(name) == 2
    assert await every_way_of_using(db) == [2, 2, 2]
    # And again, with the pool's connections ended in the middle of a run of reads.
    postgres_cluster.end_sessions(name)
    assert [(await db.fetch_small(KEY, ("restart",)))[0]["n"] for _ in range(5)] == [2] * 5


async def test_an_unreachable_server_makes_requests_fail_as_unavailable_then_they_are_served_again(
        db, postgres_cluster, postgres_url):
    name = postgres_cluster.name_of(postgres_url)
    with postgres_cluster.outage(name):
        for use in (lambda: db.fetch_small(KEY, ("restart",)), lambda: db.fetch_all(KEY, ("restart",)),
                    lambda: db.write_many(lambda: [("INSERT INTO attempts (key, at) VALUES (?, ?)", [("lost", 1)])])):
            with pytest.raises(StoreUnavailable, match="indisponible"):
                await use()
        # An outage longer than the pool's first pauses between tries (1 s, 2 s, 4 s…): psycopg_pool's own
        # policy would not try again before the 15th second, and the next requests would fail as well.
        await asyncio.sleep(6)
    # Back: the pool opens connections again as soon as a request asks (it stopped trying after the wait).
    assert await every_way_of_using(db) == [2, 2, 2]
    assert (await db.fetch_all(KEY, ("lost",)))[0]["n"] == 0, "a write refused as unavailable was applied"


async def test_a_table_held_by_maintenance_makes_requests_unavailable_after_the_wait_not_hang(db, postgres_url):
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as maintenance:
        await maintenance.execute("BEGIN")
        await maintenance.execute("LOCK TABLE attempts IN ACCESS EXCLUSIVE MODE")  # e.g. a migration's rebuild
        with pytest.raises(StoreUnavailable, match="indisponible"):
            await db.fetch_small(KEY, ("restart",))
        with pytest.raises(StoreUnavailable):
            await db.write_many(lambda: [("INSERT INTO attempts (key, at) VALUES (?, ?)", [("held", 1)])])
        await maintenance.execute("COMMIT")
    assert await every_way_of_using(db) == [2, 2, 2]
    assert (await db.fetch_all(KEY, ("held",)))[0]["n"] == 0


async def test_the_wait_is_a_setting_of_every_handle_the_service_opens(postgres_url):
    register_db, accounts_db = await open_stores(settings_for(postgres_url, pg_wait_seconds=1.5))
    try:
        assert register_db.pool.timeout == 1.5  # one handle on PostgreSQL (a replica's is opened the same way)
    finally:
        await close_stores(register_db, accounts_db)
    assert load_settings({"POINTSPERMIS_ENVIRONMENT": "test"}).pg_wait_seconds == PG_WAIT_SECONDS == 5.0


@pytest.mark.parametrize("value, message", [
    ("0", "POINTSPERMIS_PG_WAIT_SECONDS vaut 0.0 : il faut une attente positive, en secondes"),
    ("-1", "POINTSPERMIS_PG_WAIT_SECONDS vaut -1.0"),
    ("cinq", "réglage invalide : Expected `float`")])
def test_a_wait_that_is_not_a_positive_number_of_seconds_is_refused_with_what_to_set(value, message):
    with pytest.raises(ValueError, match=message):
        load_settings({"POINTSPERMIS_PG_WAIT_SECONDS": value})
