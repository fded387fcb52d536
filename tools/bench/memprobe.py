"""Where a worker's memory goes: the app of `backend.app`, plus a thread that logs, every few seconds,
the resident size beside what each allocator says it holds. A diagnostic for bench_soak.py --probe.

    PYTHONPATH=tools/bench granian --interface asgi --factory memprobe:create_app

Each worker appends lines to var/bench/probe-<pid>.log:
  rss / anon     resident size and its anonymous part (/proc), MB
  py_blocks      Python objects' memory blocks in use (sys.getallocatedblocks)
  malloc_used    bytes glibc malloc has handed out and not had back (mallinfo2 uordblks + hblkhd), MB
  malloc_free    bytes glibc malloc holds free inside its heaps (fordblks), MB: memory a program has
                 freed that the process still holds
  arenas         glibc heap bytes (arena: main heap + thread arenas), MB
  sqlite         SQLite's own allocations (sqlite3_memory_used; page caches, statements), MB
  threads        threads of the process
`PROBE_TRIM=1` calls malloc_trim(0) after each line and logs the RSS it gave back.
"""

from __future__ import annotations

import collections
import ctypes
import ctypes.util
import gc
import os
import sys
import threading
import time
from pathlib import Path

from backend.app import create_app as create_backend_app

ROOT = Path(__file__).resolve().parents[2]


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


LIBC = ctypes.CDLL(ctypes.util.find_library("c"))
LIBC.mallinfo2.restype = MallInfo2
LIBC.malloc_trim.argtypes = [ctypes.c_size_t]
SQLITE = ctypes.CDLL("libsqlite3.so.0")
SQLITE.sqlite3_memory_used.restype = ctypes.c_int64
SQLITE.sqlite3_memory_highwater.restype = ctypes.c_int64
SQLITE.sqlite3_memory_highwater.argtypes = [ctypes.c_int]


def status() -> dict[str, int]:
    figures = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "Threads"):
            figures[key] = int(value.split()[0])
    return figures


def line() -> str:
    info = LIBC.mallinfo2()
    proc = status()
    mib = 1 << 20
    return (f"{time.strftime('%H:%M:%S')} rss {proc['VmRSS'] / 1024:.0f} anon {proc['RssAnon'] / 1024:.0f} "
            f"py_blocks {sys.getallocatedblocks()} malloc_used {(info.uordblks + info.hblkhd) / mib:.0f} "
            f"malloc_free {info.fordblks / mib:.0f} arenas {info.arena / mib:.0f} mmapped {info.hblkhd / mib:.0f} "
            f"sqlite {SQLITE.sqlite3_memory_used() / mib:.1f} sqlite_peak {SQLITE.sqlite3_memory_highwater(0) / mib:.1f} "
            f"threads {proc['Threads']}")


def type_counts() -> collections.Counter:
    return collections.Counter(type(o).__qualname__ for o in gc.get_objects())


def probe(every: float, trim: bool) -> None:
    log = ROOT / "var" / "bench" / f"probe-{os.getpid()}.log"
    types_every = float(os.environ.get("PROBE_TYPES", "0"))  # seconds between counts of live objects by type
    counts, counted = None, time.monotonic()
    while True:
        if types_every and time.monotonic() - counted >= types_every:
            now_counts, counted = type_counts(), time.monotonic()
            if counts is not None:
                grown = (now_counts - counts).most_common(12)
                with log.open("a") as out:
                    out.write("  grown: " + ", ".join(f"{name} +{n}" for name, n in grown) + "\n")
            counts = now_counts
        text = line()
        if trim:
            before = status()["VmRSS"]
            LIBC.malloc_trim(0)
            text += f" trimmed {(before - status()['VmRSS']) / 1024:.0f}"
        with log.open("a") as out:
            out.write(text + "\n")
        time.sleep(every)


def create_app():
    app = create_backend_app()
    threading.Thread(target=probe, args=(float(os.environ.get("PROBE_EVERY", "5")), os.environ.get("PROBE_TRIM") == "1"),
                     daemon=True).start()
    return app
