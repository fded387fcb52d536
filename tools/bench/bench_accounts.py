"""Accounts benchmark: what signing in and the guard cost. Prints figures; asserts nothing.

    .venv/bin/python tools/bench/bench_accounts.py [--sessions 2000] [--rounds 2000]

- argon2id hash and verify (argon2-cffi defaults: t=3, m=64 MiB, p=4): the cost of each sign-in,
  sign-up and password change, run in a worker thread so the event loop is not blocked;
- the guard's per-request work on a real SQLite file: loading a session (one read), the same
  with the once-a-minute idle refresh (one write, alone: the guard queues it with others), and recording a file view in the access log
  (buffered, one write per 100 views or per second);
- concurrent session loads (readers in parallel, as under load).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from backend.accounts.access_log import AccessLog  # noqa: E402
from backend.accounts.clock import ManualClock  # noqa: E402
from backend.accounts.passwords import hash_password, verify_password  # noqa: E402
from backend.accounts.session import TOUCH_EVERY_SECONDS, Sessions  # noqa: E402
from backend.database.db import Database  # noqa: E402


def timed(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[int(len(ordered) * 0.99) - 1] if len(ordered) >= 100 else ordered[-1]
    return f"median {statistics.median(ordered) * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms ({len(ordered)} runs)"


def bench_argon2(rounds: int = 10) -> None:
    hashes, checks = [], []
    stored = hash_password("une phrase de passe de référence")
    for _ in range(rounds):
        start = time.perf_counter()
        hash_password("une phrase de passe de référence")
        hashes.append(time.perf_counter() - start)
        start = time.perf_counter()
        verify_password(stored, "une phrase de passe de référence")
        checks.append(time.perf_counter() - start)
    print(f"argon2id hash:   {timed(hashes)}")
    print(f"argon2id verify: {timed(checks)}")


async def bench_guard(sessions_count: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="pointspermis-bench-accounts-") as tmp:
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        clock = ManualClock()
        sessions = Sessions(db, clock, secure=False)
        ids: list[str] = []
        async with db.write() as conn:
            for n in range(sessions_count):
                cursor = await conn.execute(
                    "INSERT INTO accounts (email, email_verified_at, neph, created_at) VALUES (?, ?, ?, ?) RETURNING id",
                    (f"b{n}@bench.test", clock(), f"{n:012d}", clock()),
                )
                (account_id,) = tuple(await cursor.fetchone())
                ids.append(await sessions.create(conn, account_id))
        loads, touches, logs = [], [], []
        log = AccessLog(db, clock, 365)
        for n in range(rounds):
            session_id = ids[n % len(ids)]
            start = time.perf_counter()
            loaded = await sessions.load(session_id)
            loads.append(time.perf_counter() - start)
            assert loaded is not None
            start = time.perf_counter()
            await log.record(loaded[0].account_id, loaded[0].neph or "", "/solde")
            logs.append(time.perf_counter() - start)
        start = time.perf_counter()
        await log.flush()
        flush_time = time.perf_counter() - start
        clock.advance(TOUCH_EVERY_SECONDS)
        for n in range(min(rounds, len(ids))):
            start = time.perf_counter()
            await sessions.load(ids[n])
            touches.append(time.perf_counter() - start)
        print(f"session load (read only):        {timed(loads)}")
        print(f"session load + idle refresh:     {timed(touches)}  (at most once a minute per session; written "
              "alone here, the guard queues it: Sessions.write_later)")
        print(f"access log record (buffered):    {timed(logs)}  (flushes of 100 rows included)")
        print(f"access log final flush:          {flush_time * 1e3:.3f} ms")
        start = time.perf_counter()
        await asyncio.gather(*(sessions.load(ids[n % len(ids)]) for n in range(rounds)))
        elapsed = time.perf_counter() - start
        print(f"concurrent session loads:        {rounds / elapsed:,.0f} per second ({rounds} at once)")
        await bench_enumeration(db, clock, sessions)
        await db.close()


async def bench_enumeration(db: Database, clock: ManualClock, sessions: Sessions) -> None:
    """A failed sign-in must take as long for an unknown address as for a known one (no enumeration)."""
    from backend.accounts.ratelimit import RateLimiter
    from backend.accounts.service import AccountError, AccountService
    from backend.accounts.testing import create_linked_account

    service = AccountService(db, clock, sessions, RateLimiter(db, clock), secret="bench" * 8, base_url="http://b")
    await create_linked_account(db, "connu@bench.test", "une phrase de passe de référence", None, clock=clock)
    times: dict[str, list[float]] = {"connu@bench.test": [], "inconnu@bench.test": []}
    for n in range(8):
        for address in times:
            start = time.perf_counter()
            try:
                await service.sign_in(address, "mauvais mot de passe", f"10.0.{n}.1", None)
            except AccountError:
                pass
            times[address].append(time.perf_counter() - start)
            clock.advance(3600)  # stay under the lockout: this measures the answer, not the limit
    for address, samples in times.items():
        print(f"failed sign-in, {'known' if address.startswith('connu') else 'unknown'} address: {timed(samples)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    bench_argon2()
    asyncio.run(bench_guard(args.sessions, args.rounds))


if __name__ == "__main__":
    main()
