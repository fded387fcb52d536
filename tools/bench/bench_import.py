"""Import benchmark: a demo feed of 1,000,000 events into a fresh database.

The feed is generated first (not timed) and kept in $TMPDIR/pointspermis-bench/ for the next
run (the demo generator is deterministic). The import runs in a child process, exactly as
`pointspermis import FILE --db PATH`, so that its peak RSS is its own.
Goal: >= 100,000 events/s with flat memory. Prints figures; asserts nothing.

    .venv/bin/python tools/bench/bench_import.py [--events N] [--seed S] [--workers N]
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

    db = folder / "import.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    load_before = os.getloadavg()
    started = time.perf_counter()
    command = [sys.executable, "-m", "backend", "import", str(feed), "--db", str(db)]
    if args.workers is not None:
        command += ["--workers", str(args.workers)]
    child = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    load_after = os.getloadavg()
    if child.returncode != 0:
        print(child.stdout, child.stderr, file=sys.stderr)
        return 1
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kib, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    size = sum(os.path.getsize(f"{db}{s}") for s in ("", "-wal") if os.path.exists(f"{db}{s}"))
    print(child.stdout.strip())
    print(f"import: {events} events, {holders} holders in {seconds:.2f} s (process wall time, start-up included)")
    print(f"  {events / seconds:,.0f} events/s (goal >= {GOAL_EVENTS_PER_SECOND:,})")
    # On a shared machine the wall time depends on the neighbours; CPU time says what one core does.
    print(f"  CPU time {cpu:.2f} s (writer and checker processes): {cpu / events * 1e6:.1f} us per event, "
          f"{events / cpu:,.0f} events per CPU second")
    print(f"  peak RSS of the import process: {peak_kib / 1024:.0f} MiB")
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    print(f"  database size: {size / 2**20:.0f} MiB ({feed.stat().st_size / 2**20:.0f} MiB of feed), "
          f"{page_size // 1024} KiB pages")
    # Two cores shared with other work: the wall time is only meaningful beside the load.
    print(f"  load average (1 min) before/after: {load_before[0]:.2f} / {load_after[0]:.2f} "
          f"on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
