"""Who viewed which licence file, when, on which page, through which channel — and nothing else.

A row is (viewed_at, account_id, neph, page, channel, who, place) where `page` is the route
template (`/historique`), never the concrete URL or query string, so no other personal data
lands here. `channel` is how the file was seen: an account signed in with its password
('password') or through FranceConnect ('franceconnect'), or a third party without an account
('share_code', `account_id` NULL, `who` a French label such as the share code's purpose, `place`
a coarse origin). Other areas record a third party's view through `app.state.access_log`
(`record_third_party`) without importing accounts. Rows older than `access_log_retention_days` are purged (checked at most hourly, and by
`purge()` at start-up).

Views are buffered and written in one transaction at most a second later (or at 100 rows, and
at shutdown, once the writes under way are over: `drain`): a page view then costs no write transaction
of its own on the single writer.
The price is that a hard crash can lose the last second of log rows, never other data.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TypedDict

from backend.accounts.clock import Clock
from backend.accounts.deferred import FlushTimer, settle
from backend.database import Store, StoreConnection

log = logging.getLogger(__name__)
DAY = 86_400
PURGE_EVERY = 3_600
FLUSH_AFTER = 1.0
# Rows kept in memory while the database refuses them (a few MB at most).
KEEP_UNWRITTEN = 50_000
FLUSH_ROWS = 100
COLUMNS = ("viewed_at", "account_id", "neph", "page", "channel", "who", "place")


class AccessRow(TypedDict):
    """One row of the log, by column name (COLUMNS)."""

    viewed_at: int
    account_id: int | None
    neph: str
    page: str
    channel: str
    who: str | None
    place: str | None


def _access_row(row: Sequence[Any]) -> AccessRow:
    viewed_at, account_id, neph, page, channel, who, place = tuple(row)
    return AccessRow(viewed_at=viewed_at, account_id=account_id, neph=neph, page=page, channel=channel, who=who,
                     place=place)


class AccessLog:
    def __init__(self, db: Store, clock: Clock, retention_days: int) -> None:
        self.db = db
        self.clock = clock
        self.retention_days = retention_days
        self._last_purge = 0
        self._pending: list[tuple[int, int | None, str, str, str, str | None, str | None]] = []
        self._writing = 0  # flushes under way (a request's, the timer's): `drain` waits for them
        self._timer = FlushTimer(self.flush, FLUSH_AFTER, "journal des consultations")

    async def record(self, account_id: int, neph: str, page: str, channel: str = "password") -> None:
        """A view of `neph`'s page `page` (route template) by a signed-in account."""
        await self._add((self.clock(), account_id, neph, page, channel, None, None))

    async def record_third_party(self, neph: str, page: str, who: str, where: str | None = None) -> None:
        """A view of `neph` by someone without an account (a share code's user): `who` and `where`
        are French texts shown to the holder as they are (no personal data of the third party)."""
        await self._add((self.clock(), None, neph, page, "share_code", who[:200], (where or None) and where[:100]))

    async def _add(self, row: tuple[int, int | None, str, str, str, str | None, str | None]) -> None:
        now = row[0]
        self._pending.append(row)
        if len(self._pending) >= FLUSH_ROWS or now - self._pending[0][0] > FLUSH_AFTER:
            await self.flush()
            return
        self._timer.arm()

    async def drain(self) -> None:
        """At shutdown: wait for the writes under way (`settle`), then write what is left. A flush's rows come
        back to the queue if it fails, and the pool closes after this: flushing only the queue as it stood
        lost them (seen after an outage of PostgreSQL, tests/web/test_store_outage.py)."""
        await settle(lambda: self._writing > 0)
        await self.flush()

    async def flush(self) -> None:
        self._timer.cancel()
        rows, self._pending = self._pending, []
        if not rows:
            return
        now = self.clock()
        self._writing += 1
        try:
            async with self.db.write() as conn:
                await conn.executemany(
                    "INSERT INTO access_log (viewed_at, account_id, neph, page, channel, who, place)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)", rows
                )
                if now - self._last_purge >= PURGE_EVERY:
                    await self._purge(conn, now)
        except BaseException:
            # Nothing was written (one transaction): the rows go back, before the ones added meanwhile,
            # and the next flush writes them. Bounded, so that a database down for long cannot fill
            # the memory: the oldest rows beyond KEEP_UNWRITTEN are dropped, and said so in the log.
            kept = rows + self._pending
            dropped = len(kept) - KEEP_UNWRITTEN
            if dropped > 0:
                log.error("journal des consultations : %d lignes non écrites abandonnées", dropped)
                kept = kept[dropped:]
            self._pending = kept
            raise
        finally:
            self._writing -= 1

    async def purge(self) -> None:
        await self.flush()
        async with self.db.write() as conn:
            await self._purge(conn, self.clock())

    async def _purge(self, conn: StoreConnection, now: int) -> None:
        await conn.execute("DELETE FROM access_log WHERE viewed_at < ?", (now - self.retention_days * DAY,))
        self._last_purge = now

    async def entries(self, *, neph: str | None = None, account_id: int | None = None) -> list[AccessRow]:
        """Log rows, oldest first (for audits and tests)."""
        await self.flush()
        sql = f"SELECT {', '.join(COLUMNS)} FROM access_log WHERE 1 = 1"
        params: list[str | int] = []
        if neph is not None:
            sql += " AND neph = ?"
            params.append(neph)
        if account_id is not None:
            sql += " AND account_id = ?"
            params.append(account_id)
        async with self.db.read() as conn:
            cursor = await conn.execute(sql + " ORDER BY id", params)
            rows = await cursor.fetchall()
        return [_access_row(row) for row in rows]

    async def latest(self, neph: str, limit: int) -> tuple[list[AccessRow], int]:
        """The file's `limit` latest rows, newest first, and how many rows it has in all (the
        retention period's)."""
        await self.flush()
        async with self.db.read() as conn:
            cursor = await conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM access_log WHERE neph = ? ORDER BY viewed_at DESC, id DESC LIMIT ?",
                (neph, limit))
            rows = await cursor.fetchall()
            cursor = await conn.execute("SELECT count(*) FROM access_log WHERE neph = ?", (neph,))
            counted = await cursor.fetchone()
            assert counted is not None  # count(*) answers one row
            (total,) = tuple(counted)
        return [_access_row(row) for row in rows], total
