"""Attempt counters for rate limits and lockout, shared by every worker through the database.

A limit is (max attempts, window seconds) on a key such as `signin:addr:<hash of the
address>` or `signin:ip:<client address>`. Keys on an address are hashed and used whether or
not an account exists, so the lockout itself reveals nothing about who has an account.

The client address is the connection's peer (`request.client.host`). Behind a reverse proxy,
run the ASGI server with its trusted-proxy option (uvicorn `--forwarded-allow-ips`) so that the
peer is the visitor, not the proxy — otherwise every visitor shares one client budget.
"""

from __future__ import annotations

import msgspec

from backend.accounts.clock import Clock
from backend.accounts.tokens import digest
from backend.database import Store


class Limit(msgspec.Struct, frozen=True):
    attempts: int
    window: int  # seconds

    @property
    def minutes(self) -> int:
        return max(1, self.window // 60)


# Failed sign-ins lock an address for 15 minutes after 5 failures; a client address gets more
# room (several people behind one NAT) but is stopped from spraying many accounts.
SIGNIN_PER_ADDRESS = Limit(5, 15 * 60)
SIGNIN_PER_CLIENT = Limit(20, 15 * 60)
SIGNUP_PER_CLIENT = Limit(5, 60 * 60)
LINK_PER_ACCOUNT = Limit(5, 60 * 60)
LINK_PER_CLIENT = Limit(20, 60 * 60)
# Per licence file, whoever tries: many accounts and addresses guessing one file's licence date
# are stopped too (a day's window; the holder can still link through FranceConnect meanwhile).
LINK_PER_FILE = Limit(10, 24 * 60 * 60)
RESET_PER_ADDRESS = Limit(3, 60 * 60)
RESET_PER_CLIENT = Limit(10, 60 * 60)
RESEND_PER_ADDRESS = Limit(3, 60 * 60)


def address_key(kind: str, email: str) -> str:
    return f"{kind}:addr:{digest(email.strip().lower())}"


def client_key(kind: str, client: str) -> str:
    return f"{kind}:ip:{client}"


def file_key(kind: str, neph: str) -> str:
    # Hashed like addresses, and counted whether or not the file exists.
    return f"{kind}:file:{digest(neph)}"


def account_key(kind: str, account_id: int) -> str:
    return f"{kind}:acct:{account_id}"


class RateLimiter:
    def __init__(self, db: Store, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def blocked(self, checks: list[tuple[str, Limit]]) -> Limit | None:
        """The first limit already reached among `checks`, else None."""
        now = self.clock()
        async with self.db.read() as conn:
            for key, limit in checks:
                cursor = await conn.execute(
                    "SELECT count(*) FROM attempts WHERE key = ? AND at > ?", (key, now - limit.window)
                )
                counted = await cursor.fetchone()
                assert counted is not None  # count(*) answers one row
                (count,) = tuple(counted)
                if count >= limit.attempts:
                    return limit
        return None

    async def hit(self, keys: list[str]) -> None:
        now = self.clock()
        async with self.db.write() as conn:
            await conn.executemany("INSERT INTO attempts (key, at) VALUES (?, ?)", [(k, now) for k in keys])
            # Keep the table small: nothing older than the longest window matters.
            await conn.execute("DELETE FROM attempts WHERE at <= ?", (now - 24 * 60 * 60,))

    async def clear(self, keys: list[str]) -> None:
        async with self.db.write() as conn:
            await conn.executemany("DELETE FROM attempts WHERE key = ?", [(k,) for k in keys])


def too_many_message(limit: Limit) -> str:
    return (
        "Trop de tentatives en peu de temps. Pour protéger les comptes, cette action est bloquée "
        f"pendant {limit.minutes} minutes. Réessayez plus tard."
    )
