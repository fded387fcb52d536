"""Ready-made accounts for tests, browser tests and `make run` (never used by a request).

`create_linked_account` makes a verified account with a known password, already linked to a
licence file, so a test or a person can sign in through the real `/connexion` form.
"""

from __future__ import annotations

import asyncio

from backend.accounts.clock import Clock, system_clock
from backend.accounts.passwords import hash_password
from backend.accounts.session import Sessions
from backend.database import Store

_hashes: dict[str, str] = {}


async def create_linked_account(db: Store, email: str, password: str, neph: str | None,
                                clock: Clock = system_clock) -> int:
    """A verified account (`email`, `password`) linked to `neph`; an existing one is updated."""
    password_hash = _hashes.get(password)
    if password_hash is None:
        password_hash = await asyncio.to_thread(hash_password, password)
    # Tests make hundreds of accounts with the same password: hash it once per process (a real
    # argon2id hash, same salt for these accounts — fine for test and demo accounts only).
    _hashes[password] = password_hash
    now = clock()
    async with db.write() as conn:
        cursor = await conn.execute(
            "INSERT INTO accounts (email, password_hash, email_verified_at, neph, linked_at, linked_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash,"
            " email_verified_at = excluded.email_verified_at, neph = excluded.neph, linked_at = excluded.linked_at,"
            " linked_by = excluded.linked_by RETURNING id",
            (email, password_hash, now, neph, now if neph else None, "form" if neph else None, now),
        )
        row = await cursor.fetchone()
        assert row is not None  # INSERT … RETURNING answers the row it wrote
        (account_id,) = tuple(row)
    return account_id


async def create_session(db: Store, account_id: int, *, clock: Clock = system_clock, secure: bool = False) -> str:
    """A live session for `account_id`; returns the cookie value."""
    sessions = Sessions(db, clock, secure=secure)
    async with db.write() as conn:
        return await sessions.create(conn, account_id)
