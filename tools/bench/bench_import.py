"""Import benchmark: a demo feed of 1,000,000 events into a fresh database, on each store.

The feed is generated first (not timed) and kept in $TMPDIR/pointspermis-bench/ for the next
run (the demo generator is deterministic). The import runs in a child process, exactly as
`pointspermis import FILE --db PATH|URL`, so that its peak RSS is its own. For PostgreSQL the
benchmark starts its own cluster (tools/dev/pgcluster.py, durable settings: fsync on) in
$TMPDIR/pointspermis-bench/pg, imports into a new database and stops the cluster at the end; the
server's CPU time is that of the cluster's processes (the import's backend included) meanwhile.
Goal: >= 100,000 events/s with flat memory, on both stores. Prints figures; asserts nothing.

    .venv/bin/python tools/bench/bench_import.py [--store sqlite|postgres|both] [--events N] [--seed S] [--workers N]
                                                 [--indexes-at-end]
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from backend.demo.generator import feed_lines  # noqa: E402

GOAL_EVENTS_PER_SECOND = 100_000


def generate(path: Path, events: int, seed: int) -> int:
    """Whole holders until at least `events` events; returns the number of events written."""
    import msgspec

    encode = msgspec.json.Encoder().encode
    written = 0
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as out:
        for line in feed_lines(holders=10**7, seed=seed):
            kind = line["type"]
            if kind == "holder" and written >= events:
                break
            out.write(encode(line) + b"\n")
            written += kind not in ("holder", "extract")
    partial.replace(path)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, help="passed to pointspermis import (default: its own choice)")
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--indexes-at-end", action="store_true", help="passed to the PostgreSQL import")
    args = parser.parse_args()

    folder = Path(tempfile.gettempdir()) / "pointspermis-bench"
    folder.mkdir(parents=True, exist_ok=True)
    feed = folder / f"demo-{args.events}-s{args.seed}.jsonl"
    if not feed.exists():
        started = time.perf_counter()
        count = generate(feed, args.events, args.seed)
        print(f"generated {feed}: {count} events in {time.perf_counter() - started:.1f} s (not timed)")
    lines = sum(1 for _ in feed.open("rb"))
    holders = sum(1 for line in feed.open("rb") if line.startswith(b'{"type":"holder"'))
    events = lines - holders - 1
    status = 0
    if args.store in ("sqlite", "both"):
        print("--- SQLite")
        status |= bench_sqlite(folder, feed, events, holders, args.workers)
    if args.store in ("postgres", "both"):
        print("--- PostgreSQL")
        status |= bench_postgres(folder, feed, events, holders, args.workers, args.indexes_at_end)
    return status


class Imported(NamedTuple):
    returncode: int
    stdout: str
    stderr: str
    seconds: float  # wall time
    usage: resource.struct_rusage  # of the import process and its checkers
    load: tuple  # load averages before and after


def run_import(feed: Path, db: str, workers: int | None, options: tuple[str, ...] = ()) -> Imported:
    """`pointspermis import FEED --db DB` in a child, with its own resource usage (wait4)."""
    load_before = os.getloadavg()
    started = time.perf_counter()
    command = [sys.executable, "-m", "backend", "import", str(feed), "--db", db, *options]
    if workers is not None:
        command += ["--workers", str(workers)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return Imported(child.returncode, out.read(), err.read(), seconds, usage, (load_before, os.getloadavg()))


def print_figures(child: Imported, events: int, holders: int, seconds: float) -> None:
    usage = child.usage
    cpu = usage.ru_utime + usage.ru_stime
    print(child.stdout.strip())
    print(f"import: {events} events, {holders} holders in {seconds:.2f} s (process wall time, start-up included)")
    print(f"  {events / seconds:,.0f} events/s (goal >= {GOAL_EVENTS_PER_SECOND:,})")
    # On a shared machine the wall time depends on the neighbours; CPU time says what one core does.
    print(f"  CPU time {cpu:.2f} s (writer and checker processes): {cpu / events * 1e6:.1f} us per event, "
          f"{events / cpu:,.0f} events per CPU second")
    print(f"  peak RSS of the import process: {usage.ru_maxrss / 1024:.0f} MiB")


def print_load(load: tuple) -> None:
    # Two cores shared with other work: the wall time is only meaningful beside the load.
    print(f"  load average (1 min) before/after: {load[0][0]:.2f} / {load[1][0]:.2f} on {os.cpu_count()} CPUs")


def bench_sqlite(folder: Path, feed: Path, events: int, holders: int, workers: int | None) -> int:
    db = folder / "import.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    child = run_import(feed, str(db), workers)
    if child.returncode != 0:
        print(child.stdout, child.stderr, file=sys.stderr)
        return 1
    print_figures(child, events, holders, child.seconds)
    size = sum(os.path.getsize(f"{db}{s}") for s in ("", "-wal") if os.path.exists(f"{db}{s}"))
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    print(f"  database size: {size / 2**20:.0f} MiB ({feed.stat().st_size / 2**20:.0f} MiB of feed), "
          f"{page_size // 1024} KiB pages")
    print_load(child.load)
    return 0


def cluster_cpu(data: Path) -> float:
    """CPU seconds of the cluster's processes so far: the postmaster's own and its reaped children's
    (the import's backend, once it has exited), and those of its children still running."""
    ticks = os.sysconf("SC_CLK_TCK")
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(entry.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        elif parent == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def bench_postgres(folder: Path, feed: Path, events: int, holders: int, workers: int | None,
                   indexes_at_end: bool) -> int:
    import psycopg

    cluster = folder / "pg"
    tool = [sys.executable, str(ROOT / "tools" / "dev" / "pgcluster.py")]
    started = subprocess.run([*tool, "start", str(cluster)], capture_output=True, text=True)
    if started.returncode != 0:
        print(f"PostgreSQL did not start: {started.stderr}", file=sys.stderr)
        return 1
    url = started.stdout.strip()
    target = url.rsplit("/", 1)[0] + "/bench_import"
    try:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS bench_import")
            admin.execute("CREATE DATABASE bench_import")
        migrated = subprocess.run([sys.executable, "-m", "backend", "migrate", "--db", target], cwd=ROOT,
                                  capture_output=True, text=True)
        if migrated.returncode != 0:
            print(migrated.stdout, migrated.stderr, file=sys.stderr)
            return 1
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("CHECKPOINT")  # the migration's writes are not the import's
        server_before = cluster_cpu(cluster / "data")
        child = run_import(feed, target, workers, ("--indexes-at-end",) if indexes_at_end else ())
        server = cluster_cpu(cluster / "data") - server_before
        if child.returncode != 0:
            print(child.stdout, child.stderr, file=sys.stderr)
            return 1
        print_figures(child, events, holders, child.seconds)
        print(f"  server CPU time {server:.2f} s (the cluster's processes): {server / events * 1e6:.1f} us per event")
        with psycopg.connect(target) as conn:
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        print(f"  database size: {size / 2**20:.0f} MiB ({feed.stat().st_size / 2**20:.0f} MiB of feed), "
              "cluster with fsync on")
        print_load(child.load)
        return 0
    finally:
        subprocess.run([*tool, "stop", str(cluster)], capture_output=True)


if __name__ == "__main__":
    raise SystemExit(main())
