"""The register's reads on a hot standby, and on the primary while the standby cannot be reached (issue #18).

With `POINTSPERMIS_REGISTER_REPLICA`, licence files, the latest extract and the data lag are read from a
streaming replica, to spare the primary (docs/scaling.md). A replica that restarts, is rebuilt or fails
must not take every page down with it while the primary is there: its reads then go to the primary, which
holds the same register, never older (the replica replays the primary's changes). Reading there is always
correct, only more load on the primary.

The first read that finds the replica out of reach waits for it at most `pg_wait_seconds` (the pool's wait),
then is served by the primary; so are the reads after it, at once, until a check in the background (every
`RETRY_SECONDS`, of no request) finds the replica answering again, at this code's schema.

An instance that starts while its replica cannot be reached starts all the same and reads on the primary
from the first request (`open_beside`): stopping it there would let a replica's restart, during a rolling
deployment of the instances, take the whole service down. A replica reached but not at this code's schema
is refused at start, as before: that is a mistake to mend (a replica of another database, or of a primary
not migrated yet), not a moment to wait out.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from backend.database.db import DatabaseError, StoreUnavailable
from backend.database.postgres import Connection, PostgresDatabase, check_replica
from backend.settings import PG_POOL_SIZE, PG_WAIT_SECONDS

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0


class ReplicaDatabase(PostgresDatabase):
    """A read replica (`PostgresDatabase.open(url, replica=True)`) whose reads go to `primary` while it cannot be
    reached (`fall_back_to`). Only reads: a hot standby refuses writes, and the service writes on the primary."""

    primary: PostgresDatabase | None = None
    _checking: asyncio.Task[None] | None = None

    @classmethod
    async def open_beside(cls, primary: PostgresDatabase, url: str, connections: int = PG_POOL_SIZE,
                          wait: float = PG_WAIT_SECONDS) -> ReplicaDatabase:
        """The replica at `url` (`PostgresDatabase.open`'s arguments), its reads on `primary` while it cannot be
        reached, from now on if it cannot be reached now. `DatabaseError` if it answers at another schema."""
        try:
            replica = await cls.open(url, connections, replica=True, wait=wait)
        except StoreUnavailable as exc:
            replica = cls.unopened(url, connections, wait)  # its pool is opened once the replica answers
            replica.fall_back_to(primary)
            replica._lost(exc)
            return replica
        replica.fall_back_to(primary)
        return replica

    def fall_back_to(self, primary: PostgresDatabase) -> None:
        self.primary = primary

    @property
    def out_of_reach(self) -> bool:
        """Whether reads go to the primary now (the replica found out of reach, not yet found back)."""
        return self._checking is not None

    async def fetch_small(self, sql: str, params: Sequence[Any] | dict = ()) -> list:
        return await self._either(PostgresDatabase.fetch_small, sql, params)

    async def fetch_all(self, sql: str, params: Sequence[Any] | dict = ()) -> list:
        return await self._either(PostgresDatabase.fetch_all, sql, params)

    async def _either(self, read: Callable[[PostgresDatabase, str, Sequence[Any] | dict], Awaitable[list]], sql: str,
                      params: Sequence[Any] | dict) -> list:
        """`read` (a `PostgresDatabase` method) on the replica, or on the primary while the replica is out of reach."""
        if self.primary is not None and not self.out_of_reach:
            try:
                return await read(self, sql, params)
            except StoreUnavailable as exc:
                self._lost(exc)
        return await read(self.primary or self, sql, params)

    @contextlib.asynccontextmanager
    async def read(self, snapshot: bool = True) -> AsyncIterator[Connection]:
        """A connection to the replica, or to the primary when the replica cannot be reached. Only a connection
        not obtained goes to the primary: a read that loses its connection once under way fails
        (`StoreUnavailable`), since what it has done cannot be taken back and done again."""
        async with contextlib.AsyncExitStack() as stack:
            conn = None
            if self.primary is None or not self.out_of_reach:
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
        if self._checking is not None:
            self._checking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checking
            self._checking = None
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
                await super().fetch_all("SELECT 1")  # and a read through the pool, which waits for them
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
            log.warning("réplique %s de nouveau joignable : le registre y est lu de nouveau", self.path)
            self._checking = None
            return
