"""A write that may wait a moment so that many go in one transaction: a timer per event loop.

The access log's rows and the sessions' `last_seen_at` refreshes are written this way: a page view
queues its row and returns, and at most `delay` seconds later one task writes everything queued.
The timer's task runs in a context of its own: it belongs to no request and must not inherit what the
request that armed it had set (e.g. a PostgreSQL connection held: its write would be refused).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

# At shutdown, how long `settle` waits for the writes under way (a little more than a write may wait for the
# database: PostgreSQL's pg_wait_seconds, SQLite's busy timeout of 30 s).
DRAIN_SECONDS = 35.0


async def settle(under_way: Callable[[], bool], seconds: float = DRAIN_SECONDS) -> None:
    """At shutdown, until `under_way()` says no write is under way, at most `seconds`. A request writes after its
    page is sent, so a server that stops may find a write still waiting for the database; the database closes
    after this, under it. Polled rather than awaited: the writes may run on other event loops (a test client's)."""
    deadline = time.monotonic() + seconds
    while under_way() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


class FlushTimer:
    """Runs `flush()` `delay` seconds after the first `arm()` since it last ran; failures are logged as `what`."""

    def __init__(self, flush: Callable[[], Coroutine[Any, Any, None]], delay: float, what: str) -> None:
        self._flush = flush
        self.delay = delay
        self._what = what
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()

    def arm(self) -> None:
        """Make sure a flush comes within `delay` seconds on the running loop (once armed, arming again does nothing)."""
        loop = asyncio.get_running_loop()
        if self._timer is not None and self._loop is loop:
            return
        # Another loop (a test client runs each request in its own): the old one may never run its timer.
        self.cancel()
        self._timer = loop.call_later(self.delay, self._run, loop, context=contextvars.Context())
        self._loop = loop

    def cancel(self) -> None:
        """No flush is owed any more (the owner has just flushed)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        task = loop.create_task(self._flush())
        self._tasks.add(task)  # keep a reference until done (the loop only holds weak ones)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s : écriture impossible (%s)", self._what, type(task.exception()).__name__)
