"""CPU per request through the whole ASGI app, in one process (no server, no network).

`.venv/bin/python tools/bench/cpu_web.py [DB] [--store sqlite|postgres] [--requests N] [--profile PATH] [--phases]`
copies DB (default var/bench/web-2000.sqlite3, made by bench_web.py; with `--store postgres`, a copy of
the database bench_web.py made from it in var/bench/pg, dropped at the end), signs in drivers linked to random holders, and
prints time.process_time per request for /sante, /solde (full and htmx fragment) and /historique,
as a returning browser sends them (session + CSRF cookies, Accept-Encoding br). With --profile,
it writes a cProfile of the /solde requests (or --profile-path); with --phases, it runs /solde again with
its phases timed (`phase_timers`) and prints them. Figures for comparing changes, not a goal.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POINTSPERMIS_ENVIRONMENT", "test")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", nargs="?", default=str(ROOT / "var/bench/web-2000.sqlite3"))
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--drivers", type=int, default=200)
    parser.add_argument("--profile")
    parser.add_argument("--profile-path", default="/solde", help="the page profiled with --profile")
    parser.add_argument("--routes", default="sante,solde,solde-hx,historique",
                        help="comma-separated subset of: sante, solde, solde-hx, historique")
    parser.add_argument("--cycles", action="store_true",
                        help="count the objects each request leaves in reference cycles (garbage only the "
                             "cyclic collector frees), by type")
    parser.add_argument("--phases", action="store_true",
                        help="then run /solde again with its phases timed (the loop thread's CPU clock) and print "
                             "each one's share: reads, engine, view, regions, page, brotli, access log")
    parser.add_argument("--cold", action="store_true",
                        help="a driver not seen lately on every request: the records service's caches emptied before "
                             "each, and each signed-in request with a session of its own (--drivers is then ignored)")
    args = parser.parse_args()

    import msgspec

    from backend.settings import get_settings
    from backend.app import create_app
    from tests.fixtures.register import copy_db

    with contextlib.ExitStack() as stack:
        if args.store == "sqlite":
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cpu-web-")))
            target = str(copy_db(Path(args.db), work / "db.sqlite3"))
        else:
            target = stack.enter_context(postgres_copy(Path(args.db)))
        settings = msgspec.structs.replace(get_settings(), db=target, environment="test")
        await measure(args, create_app(settings))


@contextlib.contextmanager
def postgres_copy(sqlite_path: Path):
    """A throwaway copy (CREATE DATABASE … TEMPLATE) of the bench database made from `sqlite_path`."""
    import psycopg

    sys.path.insert(0, str(ROOT / "tools" / "bench"))
    from stores import bench_store

    with bench_store("postgres", sqlite_path) as store:
        admin_url = store.target.rsplit("/", 1)[0] + "/postgres"
        name = f"cpu_web_{os.getpid()}"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name} TEMPLATE {store.target.rsplit('/', 1)[1]}")
        try:
            yield store.target.rsplit("/", 1)[0] + "/" + name
        finally:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def measure(args, app) -> None:
    import logging

    from litestar.testing import AsyncTestClient

    from backend.accounts.csrf import token_for_session
    from backend.accounts.testing import create_linked_account, create_session
    from backend.register.repository import SqlRegister
    from tests.fixtures.web import asgi_get

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request would be measured too
    async with AsyncTestClient(app):  # runs the lifespan (the stores are opened)
        db = app.state.accounts_db
        # --cold: a session per signed-in request of every pass (warm-up included), so that none is one this process
        # has seen (on PostgreSQL its first file page brings the file along: backend/accounts/session.py).
        routes = len(args.routes.split(","))
        requests = (args.requests + 20) * (routes + bool(args.phases) + bool(args.profile)) + 50 * routes * args.cycles + 3
        drivers = requests if args.cold else args.drivers
        nephs = await SqlRegister(app.state.register_db).random_nephs(drivers, seed=7)
        cookie_name = app.state.accounts.sessions.cookie_name
        sessions = []
        for i, neph in enumerate(nephs):
            account = await create_linked_account(db, f"cpu-{i}@exemple.test", "mot-de-passe-long-123", neph)
            sessions.append(await create_session(db, account))
        # A returning browser already holds its session's CSRF cookie (else every response mints one).
        secret = app.state.accounts.csrf_config.secret
        tokens = [token_for_session(secret, session) for session in sessions]
        anonymous_token = token_for_session(secret, None)
        base = {"Accept-Encoding": "br, gzip"}

        async def run(path: str, hx: bool, signed: bool, n: int, profile: cProfile.Profile | None = None) -> float:
            headers = dict(base)
            if hx:
                headers["HX-Request"] = "true"
            for i in range(20):  # warm-up
                await one(path, headers, signed, i)
            if profile:
                profile.enable()
            start = time.process_time()
            for i in range(n):
                response = await one(path, headers, signed, i)
            elapsed = time.process_time() - start
            if profile:
                profile.disable()
            assert response.status_code == 200, (path, response.status_code)
            return elapsed / n * 1e6

        from backend import caching

        unused = iter(range(len(sessions)))  # --cold: the next session no request has used

        async def one(path, headers, signed, i):
            if args.cold:
                caching.licence_files.clear()
                caching.rendered_blocks.clear()
                if signed:
                    i = next(unused)
            # A raw ASGI call (what a server does), so that no HTTP client work is measured.
            cookies = []
            if signed:
                cookies.append(f"{cookie_name}={sessions[i % len(sessions)]}")
                cookies.append(f"pp_csrf={tokens[i % len(sessions)]}")
            else:
                cookies.append(f"pp_csrf={anonymous_token}")
            raw = [(b"host", b"testserver.local"), (b"user-agent", b"Mozilla/5.0 (bench)"),
                   (b"accept", b"text/html,application/xhtml+xml"), (b"accept-language", b"fr-FR,fr;q=0.9")]
            raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
            if cookies:
                raw.append((b"cookie", "; ".join(cookies).encode()))
            return await asgi_get(app, path, raw)

        if os.environ.get("CPU_WEB_DUMP"):  # the uncompressed pages, to look at or to tune compression
            for name, path, hx in (("solde", "/solde", False), ("solde-hx", "/solde", True), ("historique", "/historique", False)):
                h = {"HX-Request": "true"} if hx else {}
                (Path(os.environ["CPU_WEB_DUMP"]) / f"{name}.html").write_bytes((await one(path, h, True, 0)).body)
        results = {}
        routes = {"sante": ("/sante", False, False), "solde": ("/solde", False, True),
                  "solde-hx": ("/solde", True, True), "historique": ("/historique", False, True)}
        for name in args.routes.split(","):
            path, hx, signed = routes[name]
            results[path + (" (fragment)" if hx else "")] = await run(path, hx, signed, args.requests)
        floor = results.get("/sante")
        for name, us in results.items():
            print(f"{name:20s} {us:8.0f} µs CPU/request" + (f"  ({us / floor:.2f}x /sante)" if floor else ""))
        if args.cycles:
            await cycles(routes, args.routes.split(","), one)
        if args.phases:
            with phase_timers() as spent:
                await run("/solde", False, True, args.requests)
            print_phases(spent)
        if args.profile:
            profile = cProfile.Profile()
            await run(args.profile_path, False, True, args.requests, profile)
            profile.dump_stats(args.profile)
            print("profile:", args.profile)


@contextlib.contextmanager
def phase_timers():
    """The functions a /solde request calls, each wrapped to add its thread CPU time (nanoseconds) and its
    calls to the dict yielded; put back as they were at the end. The module attributes are replaced, not the
    functions' code: what a page calls by its imported name (web/pages/balance.py) is timed there."""
    import functools
    import inspect

    from backend.accounts.access_log import AccessLog
    from backend.accounts.session import Sessions
    from backend.records import service, views
    from backend.register.repository import SqlRegister
    from backend.web import compression
    from backend.web.pages import balance

    targets = [(Sessions, "load", "session read"), (balance, "driver_file", "licence file (read + engine)"),
               (SqlRegister, "get_file", "  read (get_file)"), (service, "compute", "  engine (compute)"),
               (balance, "balance_view", "view (advice, actions, the rest)"), (views, "advice", "  course advice"),
               (views, "actions", "  actions"), (balance, "rendered_block", "the two regions"),
               (balance, "render", "the page around them"), (compression, "compress", "brotli"),
               (AccessLog, "record", "access log (and its flushes)")]
    spent = {label: [0, 0] for _, _, label in targets}  # in page order, for print_phases

    def timed(function, label):
        if inspect.iscoroutinefunction(function):
            @functools.wraps(function)
            async def wrapper(*args, **kwargs):
                start = time.thread_time_ns()
                try:
                    return await function(*args, **kwargs)
                finally:
                    spent[label][0] += time.thread_time_ns() - start
                    spent[label][1] += 1
        else:
            @functools.wraps(function)
            def wrapper(*args, **kwargs):
                start = time.thread_time_ns()
                try:
                    return function(*args, **kwargs)
                finally:
                    spent[label][0] += time.thread_time_ns() - start
                    spent[label][1] += 1
        return wrapper

    saved = [(owner, name, owner.__dict__[name]) for owner, name, _ in targets]
    for owner, name, label in targets:
        setattr(owner, name, timed(getattr(owner, name), label))
    try:
        yield spent
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def print_phases(spent: dict[str, list[int]]) -> None:
    requests = spent["licence file (read + engine)"][1]
    print(f"/solde by phase (µs of the loop thread's CPU per request, {requests} requests, warm-up included; an await "
          "also counts what the loop ran meanwhile; indented: part of the line before them):")
    for label, (nanoseconds, _) in spent.items():
        print(f"  {label:36s} {nanoseconds / requests / 1000:8.1f}")


async def cycles(routes: dict, names: list[str], one) -> None:
    """Objects left in reference cycles per request: each one is work for the cyclic collector, whose
    passes stop the worker (tens of ms when thousands of cyclic objects pile up between passes)."""
    import collections
    import gc

    for name in names:
        path, hx, signed = routes[name]
        headers = {"HX-Request": "true"} if hx else {}
        n = 50
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for i in range(n):
                await one(path, headers, signed, i)
            gc.collect()
            garbage = collections.Counter(type(o).__qualname__ for o in gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
        total = sum(garbage.values())
        print(f"{name}: {total / n:.0f} objects in reference cycles per request; most common:")
        for kind, count in garbage.most_common(12):
            print(f"    {count / n:8.1f}  {kind}")


if __name__ == "__main__":
    asyncio.run(main())
