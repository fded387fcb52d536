"""Small reads sent together on PostgreSQL (`PostgresDatabase.fetch_small`, backend/database/pg_batch.py):
they answer what the reference path answers (`fetch_all`, one statement per round trip), in fewer round
trips, and a read that fails or a reader that goes away costs no other reader its answer."""

from __future__ import annotations

import asyncio
import math

import psycopg
import pytest

from backend.database import DatabaseError
from backend.database.pg_batch import MAX_BATCH
from backend.database.postgres import PostgresDatabase


@pytest.fixture
async def db(postgres_url):
    db = await PostgresDatabase.open(postgres_url, connections=2)
    async with db.write() as conn:
        await conn.executemany("INSERT INTO attempts (key, at) VALUES (?, ?)",
                               [(f"k{i % 7}", i) for i in range(40)])
    yield db
    await db.close()


# Statements of several shapes: parameters, a literal `%`, no rows, several rows, names.
READS = [("SELECT key, at FROM attempts WHERE key = ? ORDER BY at", ("k3",)),
         ("SELECT count(*) AS n, '100 %' AS pct FROM attempts WHERE at >= ?", (10,)),
         ("SELECT key FROM attempts WHERE key = ?", ("nobody",)),
         ("SELECT ? || '-' || ? AS joined", ("a", "b"))]


def plain(rows: list) -> list:
    """Rows by position and by name, to compare two answers."""
    return [(tuple(row), {name: row[name] for name in row.keys()}) for row in rows]


async def test_reads_asked_together_answer_as_one_read_each_would_in_fewer_round_trips(db):
    reads = READS * 10
    expected = [plain(await db.fetch_all(sql, params)) for sql, params in reads]
    before = db.batches.round_trips
    answers = await asyncio.gather(*(db.fetch_small(sql, params) for sql, params in reads))
    assert [plain(rows) for rows in answers] == expected
    assert db.batches.round_trips - before == math.ceil(len(reads) / MAX_BATCH)  # 40 reads: 2 round trips


async def test_a_read_alone_is_sent_at_once_and_sees_what_was_committed_before_it(db):
    async with db.write() as conn:
        await conn.execute("INSERT INTO attempts (key, at) VALUES ('late', 99)")
    before = db.batches.round_trips
    rows = await asyncio.wait_for(db.fetch_small("SELECT at FROM attempts WHERE key = ?", ("late",)), 5)
    assert [tuple(row) for row in rows] == [(99,)]
    assert db.batches.round_trips - before == 1


async def test_a_failing_read_fails_alone_and_the_others_of_its_batch_get_their_rows(db):
    reads = [db.fetch_small("SELECT count(*) FROM attempts WHERE key = ?", ("k1",)),
             db.fetch_small("SELECT 1 / (count(*) - count(*)) FROM attempts"),  # division by zero
             db.fetch_small("SELECT max(at) FROM attempts")]
    first, failed, last = await asyncio.gather(*reads, return_exceptions=True)
    assert [tuple(row) for row in first] == [(6,)]
    assert isinstance(failed, psycopg.errors.DivisionByZero)
    assert [tuple(row) for row in last] == [(39,)]
    # The connections are clean again: the next reads, together and alone, are answered.
    again = await asyncio.gather(*(db.fetch_small("SELECT ? AS n", (i,)) for i in range(5)))
    assert [rows[0]["n"] for rows in again] == [0, 1, 2, 3, 4]


async def test_a_reader_that_stops_waiting_costs_the_others_nothing(db):
    gone = asyncio.ensure_future(db.fetch_small("SELECT pg_sleep(0.2)"))
    staying = asyncio.ensure_future(db.fetch_small("SELECT count(*) FROM attempts"))
    await asyncio.sleep(0)  # both queued, not yet sent
    gone.cancel()
    assert [tuple(row) for row in await asyncio.wait_for(staying, 5)] == [(40,)]
    with pytest.raises(asyncio.CancelledError):
        await gone
    # Gone once the batch was sent: its answer is dropped, the connection goes back to the pool.
    gone = asyncio.ensure_future(db.fetch_small("SELECT pg_sleep(0.2)"))
    await asyncio.sleep(0.05)
    gone.cancel()
    rows = await asyncio.wait_for(asyncio.gather(*(db.fetch_small("SELECT 7") for _ in range(3))), 5)
    assert [tuple(r[0]) for r in rows] == [(7,)] * 3


async def test_more_reads_than_connections_and_batches_all_get_answered(db):
    reads = [db.fetch_small("SELECT ? AS n, pg_sleep(0.01)", (i,)) for i in range(3 * MAX_BATCH + 5)]
    answers = await asyncio.wait_for(asyncio.gather(*reads), 10)
    assert [rows[0]["n"] for rows in answers] == list(range(3 * MAX_BATCH + 5))


async def test_a_small_read_while_holding_a_connection_is_refused_at_once(db):
    async with db.read(snapshot=False):
        with pytest.raises(DatabaseError, match="second PostgreSQL connection while it holds one"):
            await asyncio.wait_for(db.fetch_small("SELECT 1"), 5)
    assert [tuple(row) for row in await asyncio.wait_for(db.fetch_small("SELECT 1"), 5)] == [(1,)]


async def test_readers_learn_why_when_the_database_is_gone(postgres_url):
    db = await PostgresDatabase.open(postgres_url, connections=1)
    await db.close()
    answers = await asyncio.wait_for(asyncio.gather(db.fetch_small("SELECT 1"), db.fetch_small("SELECT 2"),
                                                    return_exceptions=True), 5)
    assert all(isinstance(answer, Exception) for answer in answers), answers
