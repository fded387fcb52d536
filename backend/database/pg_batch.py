"""Small reads sent together: PostgreSQL's pipeline mode behind `PostgresDatabase.fetch_small` (issue #18).

Under load a worker has a dozen requests in turn, and each first visit makes one small read (its session,
its licence file read along). Alone, each read costs the worker and the server far more than its statement:
the pool's checkout and return, the socket registered with the loop and removed, a wake-up of the server
process (docs/performance.md, "Small reads sent together"). Here the reads asked for during one turn of the
loop, and those asked for while every connection was in use, go to the server together on one connection:
one pipeline, one Sync, one wait for all the answers. A read asked for alone is sent alone, at the next turn.

Each read keeps the outcome it would have had alone. The reads are read-only and independent (as on SQLite,
whose `fetch_small` connection is read-only). A pipeline runs its statements up to the Sync in one implicit
transaction, and the first failure aborts the rest: then every statement of the batch is run again on its
own, so that only the one at fault fails. A caller that stops waiting (a client gone) loses its answer,
never another's.

The reference path is one statement, one round trip (`PostgresDatabase.fetch_all`):
tests/database/test_pg_batch.py checks that both answer the same.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any

import psycopg

# More reads than this waiting at once go in several batches, on several connections: a batch answers all
# its readers at once, so a very long one would hold the first of them back.
MAX_BATCH = 32

_Read = tuple[str, Any, "asyncio.Future[list]"]


class ReadBatches:
    """Reads (`fetch`: SQL already in psycopg's syntax, adapted parameters) queued until a connection from
    `connection()` is free (at the soonest, the loop's next turn), then sent in one pipeline on it.

    `statements` and `round_trips` count what was sent, for tests and benchmarks."""

    def __init__(self, connection: Callable[[], AbstractAsyncContextManager[psycopg.AsyncConnection[Any]]]) -> None:
        self._connection = connection
        self._queue: list[_Read] = []
        self._running: set[asyncio.Task[None]] = set()  # referenced until done (the loop keeps weak ones)
        self.statements = 0
        self.round_trips = 0

    async def fetch(self, sql: str, params: Any) -> list:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list] = loop.create_future()
        self._queue.append((sql, params, future))
        if len(self._queue) == 1:
            # Nothing was waiting: a task that, once it has a connection (the next turn at the soonest), sends
            # every read queued by then. It belongs to no request: it runs in a context of its own, so that it
            # holds its connection there and not in the context of this reader (see postgres._HELD).
            self._start(self._run())
        return await future

    def _start(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine, context=contextvars.Context())
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, batch: list[_Read] | None = None) -> None:
        """Send `batch` on a connection; without one, the queue as it is once the connection is ours (not
        when the task started: the reads asked for while every connection was in use go too, so under load
        batches form by themselves)."""
        try:
            async with self._connection() as conn:
                if batch is None:
                    batch = self._take_queue()
                await self._send(conn, batch)
        except BaseException as exc:
            self._fail(self._take_queue() if batch is None else batch, exc)
            if not isinstance(exc, Exception):
                raise

    def _take_queue(self) -> list[_Read]:
        queued, self._queue = self._queue, []
        for start in range(MAX_BATCH, len(queued), MAX_BATCH):
            self._start(self._run(queued[start:start + MAX_BATCH]))
        return queued[:MAX_BATCH]

    @staticmethod
    def _fail(batch: list[_Read], exc: BaseException) -> None:
        """No connection, or the task stopped: every reader still waiting learns why."""
        for _, _, future in batch:
            if future.done():
                continue
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)

    async def _send(self, conn: psycopg.AsyncConnection[Any], batch: list[_Read]) -> None:
        waiting = [read for read in batch if not read[2].done()]  # a reader gone meanwhile: not sent
        if len(waiting) == 1:
            await self._alone(conn, waiting[0])
        elif waiting:
            await self._together(conn, waiting)

    async def _together(self, conn: psycopg.AsyncConnection[Any], batch: list[_Read]) -> None:
        self.statements += len(batch)
        self.round_trips += 1
        try:
            async with conn.pipeline() as pipeline:
                cursors = [await conn.execute(sql, params) for sql, params, _ in batch]
                await pipeline.sync()
            answers = [await cursor.fetchall() for cursor in cursors]
        except psycopg.Error:
            # One statement failed and aborted the others' implicit transaction: each alone, as without batches.
            for read in batch:
                await self._alone(conn, read)
            return
        for (_, _, future), rows in zip(batch, answers):
            if not future.done():
                future.set_result(rows)

    async def _alone(self, conn: psycopg.AsyncConnection[Any], read: _Read) -> None:
        sql, params, future = read
        self.statements += 1
        self.round_trips += 1
        try:
            cursor = await conn.execute(sql, params)
            rows = await cursor.fetchall()
        except psycopg.Error as exc:
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(rows)
