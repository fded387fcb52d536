"""Who viewed which licence file, when, on which page — and nothing else.

A row is (viewed_at, account_id, neph, page) where `page` is the route template
(`/historique`), never the concrete URL or query string, so no other personal data lands
here. Rows older than `access_log_retention_days` are purged (checked at most hourly, and by
`purge()` at start-up).

Views are buffered and written in one transaction at most a second later (or at 100 rows, and
at shutdown): a page view then costs no write transaction of its own on the single writer.
The price is that a hard crash can lose the last second of log rows, never other data.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from backend.accounts.clock import Clock

log = logging.getLogger(__name__)
DAY = 86_400
PURGE_EVERY = 3_600
FLUSH_AFTER = 1.0
FLUSH_ROWS = 100


class AccessLog:
    def __init__(self, db: Any, clock: Clock, retention_days: int) -> None:
        self.db = db
        self.clock = clock
        self.retention_days = retention_days
        self._last_purge = 0
        self._pending: list[tuple[int, int, str, str]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()

    async def record(self, account_id: int, neph: str, page: str) -> None:
        now = self.clock()
        self._pending.append((now, account_id, neph, page))
        if len(self._pending) >= FLUSH_ROWS or now - self._pending[0][0] > FLUSH_AFTER:
            await self.flush()
            return
        loop = asyncio.get_running_loop()
        if self._timer is None or self._timer_loop is not loop:  # (a test client runs each request in its own loop)
            if self._timer is not None:
                self._timer.cancel()
            self._timer, self._timer_loop = loop.call_later(FLUSH_AFTER, self._flush_soon, loop), loop

    def _flush_soon(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        task = loop.create_task(self.flush())
        self._tasks.add(task)  # keep a reference until done (the loop only holds weak ones)
        task.add_done_callback(self._flushed)

    def _flushed(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("journal des consultations : écriture impossible (%s)", type(task.exception()).__name__)

    async def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        rows, self._pending = self._pending, []
        if not rows:
            return
        now = self.clock()
        async with self.db.write() as conn:
            await conn.executemany(
                "INSERT INTO access_log (viewed_at, account_id, neph, page) VALUES (?, ?, ?, ?)", rows
            )
            if now - self._last_purge >= PURGE_EVERY:
                await self._purge(conn, now)

    async def purge(self) -> None:
        await self.flush()
        async with self.db.write() as conn:
            await self._purge(conn, self.clock())

    async def _purge(self, conn: Any, now: int) -> None:
        await conn.execute("DELETE FROM access_log WHERE viewed_at < ?", (now - self.retention_days * DAY,))
        self._last_purge = now

    async def entries(self, *, neph: str | None = None, account_id: int | None = None) -> list[dict[str, Any]]:
        """Log rows, oldest first (for audits and tests)."""
        await self.flush()
        sql = "SELECT viewed_at, account_id, neph, page FROM access_log WHERE 1 = 1"
        params: list[Any] = []
        if neph is not None:
            sql += " AND neph = ?"
            params.append(neph)
        if account_id is not None:
            sql += " AND account_id = ?"
            params.append(account_id)
        async with self.db.read() as conn:
            cursor = await conn.execute(sql + " ORDER BY id", params)
            rows = await cursor.fetchall()
        return [dict(zip(("viewed_at", "account_id", "neph", "page"), tuple(row))) for row in rows]
