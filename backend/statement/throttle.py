"""Rate limit of the public pages that read codes (`/verifier`, `/consulter`), shared by workers.

Only failed attempts count (a code that does not exist or is mistyped): an employer checking
many genuine documents is never stopped, someone trying codes is. The key is an HMAC of the
client address under the service secret, so the table holds no address, and its rows are
deleted once older than the window (an hour at most).

This is deliberately separate from accounts' limiter (`backend.accounts.ratelimit`): statement
does not depend on accounts (docs/ARCHITECTURE.md), and these limits concern people without
an account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import msgspec

from backend.database import Store


class Limit(msgspec.Struct, frozen=True):
    attempts: int
    window: dt.timedelta

    @property
    def minutes(self) -> int:
        return max(1, int(self.window.total_seconds()) // 60)


VERIFY_FAILURES = Limit(30, dt.timedelta(minutes=15))
SHARE_FAILURES = Limit(10, dt.timedelta(minutes=15))
LONGEST = dt.timedelta(hours=1)


class Throttle:
    def __init__(self, db: Store, secret: str) -> None:
        self.db = db
        self._secret = secret.encode()

    def key(self, kind: str, client: str) -> str:
        return kind + ":" + hmac.new(self._secret, client.encode(), hashlib.sha256).hexdigest()[:32]

    async def blocked(self, kind: str, client: str, limit: Limit, now: dt.datetime) -> bool:
        async with self.db.read() as conn:
            cursor = await conn.execute("SELECT count(*) FROM code_attempts WHERE key = ? AND at > ?",
                                        (self.key(kind, client), int((now - limit.window).timestamp())))
            counted = await cursor.fetchone()
            assert counted is not None  # count(*) answers one row
            (count,) = tuple(counted)
        return count >= limit.attempts

    async def failed(self, kind: str, client: str, now: dt.datetime) -> None:
        at = int(now.timestamp())
        async with self.db.write() as conn:
            await conn.execute("INSERT INTO code_attempts (key, at) VALUES (?, ?)", (self.key(kind, client), at))
            await conn.execute("DELETE FROM code_attempts WHERE at <= ?", (at - int(LONGEST.total_seconds()),))


def too_many(limit: Limit) -> str:
    return (f"Trop de codes erronés en peu de temps depuis votre connexion : pour protéger les dossiers, la "
            f"vérification est suspendue pendant {limit.minutes} minutes. Réessayez plus tard.")
