"""Soak benchmark: does a worker stay steady through minutes of first-visit traffic? Prints figures; asserts nothing.

    .venv/bin/python tools/bench/bench_soak.py [--store sqlite|postgres] [--minutes 10] [--holders 100000]
        [--sessions N] [--path /solde] [--probe]

1. Builds (once, then reuses) the same register as bench_web.py (N demo holders); with `--store postgres`,
   serves it from PostgreSQL (tools/bench/stores.py: the same register copied in once, fsync on).
2. Signs in as many drivers as there are holders by default (accounts linked to random holders, sessions
   made in the database as bench_web.py does): each request picks one at random, so most requests find
   nothing of theirs in a worker's caches (a worker keeps caching.FILE_CACHE_SIZE files).
3. Serves with `pointspermis serve --workers 2` and runs wrk (2 threads, 32 connections) on /solde one
   minute at a time, for `--minutes` minutes without pause.
4. Prints per minute: req/s, p50 and p99 (wrk's own latency figures), the workers' CPU time per request
   (/proc: the neighbours' load moves it far less than latency; on PostgreSQL + the server's processes'),
   each worker's resident size (RSS, from
   /proc), the load average of the machine and, on PostgreSQL, the transactions committed per request
   (pg_stat_database: a read counts as one; session refreshes batched show as few); then each worker's RSS at 1, 5 and 10 minutes
   and its largest size after the first minute (the warm-up) against the size at the end of it.
Goals: a worker's RSS stays within 20 % of its size after warm-up; p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_web import (CLI, PY, ROOT, WRK_SCRIPT, build_register, cpu_by_process, cpu_spent,  # noqa: E402
                       create_sessions, free_port, stop, wait_until_up, with_csrf, workers_of, wrk)
from stores import STORES, BenchStore, bench_store  # noqa: E402

PROBE_SERVE = """
import sys
from granian import Granian
from granian.constants import Interfaces
from granian.log import LogLevels
Granian("memprobe:create_app", factory=True, address="127.0.0.1", port=int(sys.argv[1]), interface=Interfaces.ASGI,
        workers=int(sys.argv[2]), log_level=LogLevels.warning).serve()
"""
GROWTH_GOAL = 0.20
P99_GOAL_MS = 50.0


def memory_of(pid: int) -> dict[str, int]:
    """Resident sizes of a process in KB: VmRSS and its anonymous / file / shared parts, and threads."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "Threads"):
            figures[key] = int(value.split()[0])
    return figures


class Sampler(threading.Thread):
    """Samples every worker's memory every `every` seconds, so that a minute's peak is seen too."""

    def __init__(self, pids: list[int], every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.pids, self.every = pids, every
        self.latest: dict[int, dict[str, int]] = {}
        self.peak: dict[int, int] = {pid: 0 for pid in pids}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(self.every)

    def sample(self) -> dict[int, dict[str, int]]:
        for pid in self.pids:
            try:
                figures = memory_of(pid)
            except FileNotFoundError:  # a worker that died: shows as missing in the table
                continue
            self.latest[pid] = figures
            self.peak[pid] = max(self.peak[pid], figures["VmRSS"])
        return self.latest

    def take_peaks(self) -> dict[int, int]:
        peaks, self.peak = self.peak, {pid: 0 for pid in self.pids}
        return peaks


def mb(kb: int) -> str:
    return f"{kb / 1024:.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=10, help="length of the soak (default 10)")
    parser.add_argument("--holders", type=int, default=100_000)
    parser.add_argument("--store", choices=STORES, default="sqlite")
    parser.add_argument("--sessions", type=int, help="signed-in drivers (default: as many as holders)")
    parser.add_argument("--db", type=Path, help="SQLite register to use (default: var/bench/web-<holders>.sqlite3; "
                                                "with --store postgres, the one copied in)")
    parser.add_argument("--path", default="/solde", help="page requested (default /solde)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--probe", action="store_true",
                        help="serve through memprobe.py: each worker logs RSS beside malloc's and SQLite's "
                             "figures in var/bench/probe-<pid>.log")
    args = parser.parse_args()

    db = args.db or ROOT / "var" / "bench" / f"web-{args.holders}.sqlite3"
    build_register(db, args.holders)
    with bench_store(args.store, db) as store:
        return soak(args, store)


def soak(args: argparse.Namespace, store: BenchStore) -> int:
    print(f"store: {store.describe()}")
    started = time.perf_counter()
    sessions = args.sessions or args.holders
    cookies = asyncio.run(create_sessions(store, sessions, secure=True))
    print(f"sessions: {len(cookies)} signed-in drivers ({time.perf_counter() - started:.0f} s to create)")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("POINTSPERMIS_")},
           "POINTSPERMIS_ENVIRONMENT": "production", "POINTSPERMIS_SECRET_KEY": secrets.token_urlsafe(48),
           "POINTSPERMIS_DB": store.target}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = ROOT / "var" / "bench" / f"soak-server-{store.kind}.log"
    command = [str(CLI), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)]
    if args.probe:  # the same server as `pointspermis serve`, with memprobe's factory
        env["PYTHONPATH"] = f"{ROOT}:{ROOT / 'tools' / 'bench'}"
        command = [str(PY), "-c", PROBE_SERVE, str(port), str(args.workers)]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=server_log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_until_up(base)
        pids = workers_of(server.pid)
        sampler = Sampler(pids)
        started_rss = {pid: figures["VmRSS"] for pid, figures in sampler.sample().items()}
        print(f"workers {pids}, RSS after start (MB): " + ", ".join(mb(rss) for rss in started_rss.values()))
        with tempfile.TemporaryDirectory() as tmp:
            tmp_dir = Path(tmp)
            cookies_file, script = tmp_dir / "cookies.txt", tmp_dir / "random_driver.lua"
            # Each driver's browser holds its own session's CSRF token (else every response mints one).
            cookies_file.write_text("".join(with_csrf(cookie, env["POINTSPERMIS_SECRET_KEY"]) + "\n"
                                            for cookie in cookies))
            script.write_text(WRK_SCRIPT)
            sampler.start()
            print(f"\nwrk -t2 -c32, {args.path}, one run per minute; {store.kind}, {args.holders} holders, {len(cookies)} "
                  f"drivers picked at random; granian {args.workers} workers. wrk, the server and other "
                  "work on the machine share its cores: see the load average.")
            from backend.caching import FILE_CACHE_SIZE

            print(f"a worker keeps {FILE_CACHE_SIZE} computed files: at most "
                  f"{min(1, FILE_CACHE_SIZE / len(cookies)):.0%} of its requests find the driver's file cached")
            header = " ".join(f"{'RSS ' + str(pid):>11}" for pid in pids)
            print(f"{'min':>3} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req':>12} {header} {'peak MB':>9} "
                  f"{'anon/file/shm MB (1st worker)':>29} {'load 1/5 min':>13} {'commits/req':>11} non-2xx")
            at_minute: dict[int, dict[int, int]] = {}
            p50s: list[float] = []
            p99s: list[float] = []
            # The workers' and the database server's CPU apart (as bench_web.py prints them): on PostgreSQL
            # the server's share is part of what a request costs the machine.
            app_before, db_before = cpu_by_process(pids), cpu_by_process(store.server_pids())
            commits_before = store.commits()
            for minute in range(1, args.minutes + 1):
                result = wrk(base, args.path, False, cookies_file, script, 60)
                app_now, db_now = cpu_by_process(pids), cpu_by_process(store.server_pids())
                requests = max(1, result["requests"])
                app_ms = cpu_spent(app_before, app_now) * 1000 / requests
                db_ms = cpu_spent(db_before, db_now) * 1000 / requests
                app_before, db_before = app_now, db_now
                cpu_per_request = f"{app_ms:.2f} + {db_ms:.2f}" if db_now else f"{app_ms:.2f}"  # {}: SQLite
                commits_now = store.commits()
                commits = ("" if commits_now is None or commits_before is None
                           else f"{(commits_now - commits_before) / requests:.2f}")
                commits_before = commits_now
                latest = sampler.sample()
                peaks = sampler.take_peaks()
                at_minute[minute] = {pid: latest[pid]["VmRSS"] for pid in pids if pid in latest}
                p50s.append(result["p50"])
                p99s.append(result["p99"])
                first = latest.get(pids[0], {})
                load = os.getloadavg()
                rss = " ".join(f"{mb(at_minute[minute].get(pid, 0)):>11}" for pid in pids)
                print(f"{minute:>3} {result['rps']:>7.0f} {result['p50']:>7.1f} {result['p99']:>7.1f} "
                      f"{cpu_per_request:>12} {rss} "
                      f"{'/'.join(mb(peaks[pid]) for pid in pids):>9} "
                      f"{mb(first.get('RssAnon', 0)) + '/' + mb(first.get('RssFile', 0)) + '/' + mb(first.get('RssShmem', 0)):>29} "
                      f"{load[0]:>6.1f}/{load[1]:<6.1f} {commits:>11} {result['non_2xx']} {result['errors']}", flush=True)
            sampler.stop.set()
        print("\nRSS per worker (MB) at 1, 5 and 10 minutes (those reached), and growth after warm-up "
              f"(largest size after minute 1 against the size at minute 1; goal <= {GROWTH_GOAL:.0%}):")
        for pid in pids:
            marks = ", ".join(f"{m} min {mb(at_minute[m][pid])}" for m in (1, 5, 10) if pid in at_minute.get(m, {}))
            later = [at_minute[m][pid] for m in at_minute if m > 1 and pid in at_minute[m]]
            growth = (max(later) / at_minute[1][pid] - 1) if later and pid in at_minute.get(1, {}) else 0.0
            print(f"  worker {pid}: after start {mb(started_rss.get(pid, 0))}, {marks}; growth {growth:+.0%}")
        worst = max(p99s[1:] or p99s)
        print(f"p50 per minute (ms): {', '.join(f'{p:.0f}' for p in p50s)}")
        print(f"p99 per minute (ms): {', '.join(f'{p:.0f}' for p in p99s)}; worst after warm-up {worst:.1f} "
              f"(goal < {P99_GOAL_MS:.0f} ms)")
    finally:
        stop(server)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
