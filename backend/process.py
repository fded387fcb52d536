"""Settings that hold for the whole process: Python's cyclic garbage collector.

The collector is one per process, shared by every thread: whoever tunes or pauses it does so for
all the requests the process serves. So nothing else in the code base touches `gc`
(tests/test_dependencies.py checks it); the two uses are here, each with its reason:

- `settle_after_start()`, once a web worker is up: what exists then (modules, templates, the app)
  lives as long as the process, so it is moved out of the collector's sight (`gc.freeze`), and the
  young generation is collected less often. Every page allocates thousands of short-lived objects
  that reference counting frees anyway; with the default threshold (700) full collections walking
  every long-lived object came often enough to show in the slowest percentile of page times.
- `collector_paused()`, around work that allocates a great many objects that live until it ends
  (a PDF render, a feed import's rows): without a pause they trip the thresholds over and over, each
  collection finding nothing to free. The pause is counted (nested and concurrent pauses end
  together, with the last), leaves the collector as it found it (never enables one that someone
  else disabled) and is bounded: a pause kept going by overlapping work longer than
  `LONGEST_PAUSE_SECONDS` collects the young generations when one of them ends, so the cyclic
  garbage of other threads (other requests) never waits long.
Figures: docs/performance.md.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Iterator

YOUNG_THRESHOLD = 20_000
"""Allocations (minus frees) before a young-generation collection in a settled worker (default 700)."""
LONGEST_PAUSE_SECONDS = 2.0
"""The longest other threads' cyclic garbage may wait behind overlapping pauses."""


def settle_after_start() -> None:
    """Freeze what exists now (it lives as long as the process) and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 20, 20)


class _Pause:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._paused = False  # we disabled the collector (it was enabled)
        self._since = 0.0

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            self._holders += 1
            if self._holders == 1 and gc.isenabled():
                gc.disable()
                self._paused, self._since = True, time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._paused and self._holders == 0:
                    self._paused = False
                    gc.enable()
                elif self._paused and time.monotonic() - self._since > LONGEST_PAUSE_SECONDS:
                    gc.collect(1)  # others still work: collect the young generations, keep the pause
                    self._since = time.monotonic()


collector_paused = _Pause()
"""`with collector_paused():` — no cyclic collection in the process while the block runs (see above)."""
