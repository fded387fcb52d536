"""Drivers while an import holds the register's write lock (#18 "imports never block drivers").

A real `pointspermis serve` (one worker) on a demo register; first N drivers sign in, view /solde and
/historique and sign out with no import running; then `pointspermis import` of a big demo feed is
started against the same register file, stopped with SIGSTOP once it holds the file's write lock,
and N other drivers do the same. Prints each kind of request's p50 / p95 / max in both rounds, the
access-log rows written during the pause against the pages shown, then resumes the import.

    .venv/bin/python tools/bench/bench_paused_import.py [--drivers 50] [--holders 6000]

Goal (the issue): every answer under a second during the import, no access-log row lost. Before the
accounts had their own file, each sign-in waited for the busy timeout (30 s) and failed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.database.paused_import import (access_rows, big_feed, driver_visit, holder_nephs, make_accounts,  # noqa: E402
                                          serving, start_paused_import, wait_for_access_rows, write_lock_taken)
from tests.fixtures.register import import_feed, make_demo_feed  # noqa: E402


def nearest_rank(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(fraction * len(ordered) + 0.5)) - 1))]


def visits(base: str, emails: list[str]) -> tuple[dict[str, list[float]], int]:
    by_kind: dict[str, list[float]] = {}
    viewed = 0
    for email in emails:
        times, pages = driver_visit(base, email)
        viewed += pages
        for t in times:
            by_kind.setdefault(t.what, []).append(t.seconds * 1e3)
    return by_kind, viewed


def report(title: str, by_kind: dict[str, list[float]]) -> None:
    print(title)
    for kind, values in by_kind.items():
        print(f"  {kind:<22} n={len(values):>3}  p50 {statistics.median(values):7.1f} ms  "
              f"p95 {nearest_rank(values, 0.95):7.1f} ms  max {max(values):7.1f} ms")
    every = [v for values in by_kind.values() for v in values]
    print(f"  {'every answer':<22} n={len(every):>3}  max {max(every):7.1f} ms   (goal: < 1000 ms)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drivers", type=int, default=50, help="sign-ins per round (default 50)")
    parser.add_argument("--holders", type=int, default=6000, help="holders in the paused import's feed (default 6000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-paused-import-") as tmp:
        work = Path(tmp)
        small = make_demo_feed(work / "demo.jsonl", 60, 7)
        register = work / "register.sqlite3"
        assert import_feed(register, small).status == "imported"
        big = big_feed(work / "big.jsonl", args.holders, 7, "demo-big-import")
        nephs = holder_nephs(small)
        quiet = [f"calme-{i}@exemple.test" for i in range(args.drivers)]
        during = [f"pendant-{i}@exemple.test" for i in range(args.drivers)]
        make_accounts(register, [(email, nephs[i % len(nephs)]) for i, email in enumerate(quiet + during)])
        with serving(register, work / "serve.log") as base:
            driver_visit(base, quiet[0])  # warm the worker (first compile of templates, caches)
            by_kind, _ = visits(base, quiet[1:])
            report(f"no import ({args.drivers - 1} drivers):", by_kind)

            paused = start_paused_import(register, big, work / "import.log")
            try:
                started = time.perf_counter()
                by_kind, viewed = visits(base, during)
                rows = wait_for_access_rows(register, during, viewed)
                held = write_lock_taken(register)
                report(f"import of {args.holders} holders stopped holding the register's write lock "
                       f"({args.drivers} drivers, {time.perf_counter() - started:.1f} s):", by_kind)
                print(f"  access log: {viewed} pages shown, {rows} rows written during the pause; "
                      f"lock still held by the import: {held}")
                resumed = time.perf_counter()
                output = paused.resume()
            finally:
                paused.kill()
            print(f"import resumed: {output.strip().splitlines()[-1]} ({time.perf_counter() - resumed:.1f} s after SIGCONT)")
        print(f"after shutdown: {access_rows(register, during)} access-log rows for the {viewed} pages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
