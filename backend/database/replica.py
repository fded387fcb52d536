"""The register's reads on a hot standby, and on the primary while the standby cannot be reached (issue #18).

With `POINTSPERMIS_REGISTER_REPLICA`, licence files, the latest extract and the data lag are read from a
streaming replica, to spare the primary (docs/scaling.md). A replica that restarts, is rebuilt or fails
must not take every page down with it while the primary is there: its reads then go to the primary, which
holds the same register, never older (the replica replays the primary's changes). Reading there is always
correct, only more load on the primary.

The first read that finds the replica out of reach waits for it at most `pg_wait_seconds` (the pool's wait),
then is served by the primary; so are the reads after it, at once, until a check in the background (every
`RETRY_SECONDS`, of no request) finds the replica answering again, at this code's schema.

A replica that answers but falls behind (its replay paused by a conflict with a long query, its link to the
primary broken: it then serves an ever older register, and an import made on the primary would never show)
is left too: every `LAG_CHECK_SECONDS` each worker notes the primary's position in its log of changes (WAL)
and asks how far the replica has replayed; a replica that has not yet replayed what the primary had written
`max_lag` seconds ago (`POINTSPERMIS_REPLICA_MAX_LAG_SECONDS`) is behind, and the register is read on the
primary until it has caught up. So a page never shows a register more than `max_lag` (and a check) older than
the primary's, whatever the replica does; while it keeps up (normally within milliseconds) nothing changes.

An instance that starts while its replica cannot be reached starts all the same and reads on the primary
from the first request (`open_beside`): stopping it there would let a replica's restart, during a rolling
deployment of the instances, take the whole service down. A replica reached but not at this code's schema
is refused at start, as before: that is a mistake to mend (a replica of another database, or of a primary
not migrated yet), not a moment to wait out.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from backend.database.db import DatabaseError, StoreUnavailable
from backend.database.postgres import Connection, PostgresDatabase, check_replica
from backend.settings import PG_POOL_SIZE, PG_WAIT_SECONDS, REPLICA_MAX_LAG_SECONDS

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
LAG_CHECK_SECONDS = 2.0
# Positions in the log of changes as bytes since its start: numbers to compare.
PRIMARY_POSITION = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS position"
# NULL on a server that is not (or no longer) a standby: promoted by a failover, it has nothing to replay.
REPLAYED_POSITION = "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint AS position"


class Due:
    """What a replica must have replayed by now: the primary's position `max_lag` seconds ago, from the
    positions noted (`note`); nothing is due until one was noted that long ago."""

    def __init__(self, max_lag: float) -> None:
        self.max_lag = max_lag
        self._noted: collections.deque[tuple[float, int]] = collections.deque()

    def note(self, at: float, position: int) -> None:
        self._noted.append((at, position))

    def behind(self, at: float, replayed: int | None) -> bool:
        """Whether a replica that has replayed up to `replayed` at `at` is more than `max_lag` behind."""
        noted, since = self._noted, at - self.max_lag
        while len(noted) > 1 and noted[1][0] <= since:  # the last one noted that long ago is what is due
            noted.popleft()
        return replayed is not None and bool(noted) and noted[0][0] <= since and replayed < noted[0][1]


class ReplicaDatabase(PostgresDatabase):
    """A read replica (`open_beside`) whose reads go to `primary` while it cannot be reached or is behind
    (`on_primary`). Only reads: a hot standby refuses writes, and the service writes on the primary."""

    primary: PostgresDatabase | None = None
    # Whether the replica was found behind the primary by more than `max_lag` (`Due`), not yet caught up.
    behind = False
    _checking: asyncio.Task[None] | None = None
    _watching: asyncio.Task[None] | None = None
    _due: Due | None = None  # what the replica must have replayed (open_beside)

    @classmethod
    async def open_beside(cls, primary: PostgresDatabase, url: str, connections: int = PG_POOL_SIZE,
                          wait: float = PG_WAIT_SECONDS, max_lag: float = REPLICA_MAX_LAG_SECONDS) -> ReplicaDatabase:
        """The replica at `url` (`PostgresDatabase.open`'s arguments), its reads on `primary` while it cannot be
        reached, from now on if it cannot be reached now, or while it is more than `max_lag` seconds behind.
        `DatabaseError` if it answers at another schema."""
        lost: StoreUnavailable | None = None
        try:
            replica = await cls.open(url, connections, replica=True, wait=wait)
        except StoreUnavailable as exc:
            replica, lost = cls.unopened(url, connections, wait), exc  # its pool is opened once the replica answers
        replica.fall_back_to(primary)
        if lost is not None:
            replica._lost(lost)
        # The watch belongs to no request: its own context, so that it holds no request's connection.
        replica._due = Due(max_lag)
        replica._watching = asyncio.get_running_loop().create_task(replica._watch_lag(),
                                                                   context=contextvars.Context())
        return replica

    def fall_back_to(self, primary: PostgresDatabase) -> None:
        self.primary = primary

    @property
    def out_of_reach(self) -> bool:
        """Whether the replica was found out of reach, not yet found back."""
        return self._checking is not None

    @property
    def on_primary(self) -> bool:
        """Whether the register is read on the primary now: the replica out of reach, or behind."""
        return self._checking is not None or self.behind

    async def fetch_small(self, sql: str, params: Sequence[Any] | dict = ()) -> list:
        return await self._either(PostgresDatabase.fetch_small, sql, params)

    async def fetch_all(self, sql: str, params: Sequence[Any] | dict = ()) -> list:
        return await self._either(PostgresDatabase.fetch_all, sql, params)

    async def _either(self, read: Callable[[PostgresDatabase, str, Sequence[Any] | dict], Awaitable[list]], sql: str,
                      params: Sequence[Any] | dict) -> list:
        """`read` (a `PostgresDatabase` method) on the replica, or on the primary while it is out of reach or behind."""
        if self.primary is not None and not self.on_primary:
            try:
                return await read(self, sql, params)
            except StoreUnavailable as exc:
                self._lost(exc)
        return await read(self.primary or self, sql, params)

    @contextlib.asynccontextmanager
    async def read(self, snapshot: bool = True) -> AsyncIterator[Connection]:
        """A connection to the replica, or to the primary when the replica cannot be reached or is behind. Only a
        connection not obtained goes to the primary: a read that loses its connection once under way fails
        (`StoreUnavailable`), since what it has done cannot be taken back and done again."""
        async with contextlib.AsyncExitStack() as stack:
            conn = None
            if self.primary is None or not self.on_primary:
                try:
                    conn = await stack.enter_async_context(super().read(snapshot))
                except StoreUnavailable as exc:
                    if self.primary is None:
                        raise
                    self._lost(exc)
            if conn is None:
                assert self.primary is not None  # else the replica's error was raised
                conn = await stack.enter_async_context(self.primary.read(snapshot))
            yield conn

    async def close(self) -> None:
        for task in (self._checking, self._watching):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._checking = self._watching = None
        await super().close()

    def _lost(self, exc: StoreUnavailable) -> None:
        if self._checking is not None:
            return
        # The driver's or the pool's own words say why (refused, timed out, a name not found, a login refused);
        # they never hold the password.
        why = str(exc.__cause__ or exc).strip().splitlines()[:1] or [type(exc).__name__]
        log.warning("réplique %s indisponible (%s) : le registre est lu sur la base principale", self.path, why[0])
        # The check belongs to no request: its own context, so that it holds no request's connection.
        self._checking = asyncio.get_running_loop().create_task(self._check_until_back(),
                                                                context=contextvars.Context())

    async def _check_until_back(self) -> None:
        refused = ""
        while True:
            await asyncio.sleep(RETRY_SECONDS)
            try:
                # Its schema first: a replica rebuilt meanwhile may carry another one.
                await asyncio.to_thread(check_replica, self.url)
                if self.pool.closed:  # out of reach since the start: its connections are opened now
                    await self.pool.open()
                # A read through the pool, which waits for them: how far it has replayed. A replica back from a
                # restart may still be replaying what it missed: judged before any page reads it.
                (replayed,) = await super().fetch_all(REPLAYED_POSITION)
            except StoreUnavailable:
                continue
            except DatabaseError as exc:  # another schema: said once, and the register stays on the primary
                if str(exc) != refused:
                    log.error("réplique %s refusée : %s", self.path, exc)
                    refused = str(exc)
                continue
            except Exception:  # not the replica's reachability: say so, and keep reading on the primary
                log.exception("réplique %s : vérification impossible", self.path)
                continue
            if self._due is not None:
                self._judge(self._due.behind(time.monotonic(), replayed["position"]))
            log.warning("réplique %s de nouveau joignable%s", self.path,
                        "" if self.behind else " : le registre y est lu de nouveau")
            self._checking = None
            return

    async def _watch_lag(self) -> None:
        """Every LAG_CHECK_SECONDS (at most a quarter of `max_lag`): the primary's position noted, then the
        replica's replayed position compared with what is due (`Due`); a change of `behind` is said once."""
        due = self._due
        assert self.primary is not None and due is not None
        every = min(LAG_CHECK_SECONDS, due.max_lag / 4)
        while True:
            await asyncio.sleep(every)
            try:
                (noted,) = await self.primary.fetch_small(PRIMARY_POSITION)
                due.note(time.monotonic(), noted["position"])
                if self.out_of_reach:
                    continue  # the other check finds it back; what it has replayed is asked after
                (replayed,) = await PostgresDatabase.fetch_small(self, REPLAYED_POSITION)
            except StoreUnavailable:
                continue  # the primary's absence makes every page say so; the replica's, `_lost`
            except Exception:  # not the servers' reachability: say so, and keep watching
                log.exception("réplique %s : retard impossible à mesurer", self.path)
                continue
            self._judge(due.behind(time.monotonic(), replayed["position"]))

    def _judge(self, behind: bool) -> None:
        """The replica found `behind` (by `Due`) or not; a change is said once."""
        if behind == self.behind:
            return
        if behind:
            assert self._due is not None
            log.warning("réplique %s en retard de plus de %g s sur la base principale : le registre est lu sur la "
                        "base principale", self.path, self._due.max_lag)
        else:
            log.warning("réplique %s de nouveau à jour : le registre y est lu de nouveau", self.path)
        self.behind = behind
