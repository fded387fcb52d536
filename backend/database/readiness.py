"""Whether this instance can serve pages now: a load balancer's readiness probe (`/sante/pret`, issue #18).

`/sante` says that the process answers (it reads nothing, and is the benchmarks' floor). A load balancer in
front of several instances also needs to know whether one can serve pages: an instance that cannot reach its
database (its network path to it cut, its pool exhausted for the whole wait) is better taken out of the
rotation while the others serve. `Readiness.ready()` reads a row from each store, as pages would: the
register's on its replica, or on the primary while the replica is out of reach (database/replica.py), so a
lost replica alone does not make the instance unready.

The answer is kept for `KEEP_SECONDS`: however many balancers probe however often, a worker asks its
database at most once a second. Probes that come while an answer is being asked get the previous one at once,
rather than wait with it (during an outage, that wait is `POINTSPERMIS_PG_WAIT_SECONDS`). A change of the
answer is said once in the log.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from backend.database import Store

log = logging.getLogger(__name__)

KEEP_SECONDS = 1.0


class Readiness:
    """Whether `stores` (the register's and the accounts', maybe one handle twice) answer a read now."""

    def __init__(self, *stores: Store, clock: Callable[[], float] = time.monotonic) -> None:
        self._stores = list({id(store): store for store in stores}.values())
        self._clock = clock
        self._asked_at = -math.inf
        self._ready = True  # until asked: a new instance has just opened (and migrated) its stores

    async def ready(self) -> bool:
        now = self._clock()
        if now - self._asked_at < KEEP_SECONDS:
            return self._ready
        self._asked_at = now
        ready, why = await self._ask()
        if ready != self._ready:
            if ready:
                log.warning("instance de nouveau prête : ses bases de données répondent")
            else:
                log.warning("instance pas prête : %s", why)
        self._ready = ready
        self._asked_at = self._clock()
        return ready

    async def _ask(self) -> tuple[bool, str]:
        for store in self._stores:
            try:
                await store.fetch_small("SELECT 1")
            except Exception as exc:  # whatever stops this store answering would stop the pages too
                return False, f"{store.path} ne répond pas ({type(exc).__name__})"
        return True, ""
