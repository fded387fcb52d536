"""The time source of the accounts area, injectable so tests move time instead of sleeping.

Every lifetime (session idle/absolute, mail links, lockouts) is computed from `clock()`,
integer seconds since the Unix epoch.
"""

from __future__ import annotations

import time
from typing import Callable

Clock = Callable[[], int]


def system_clock() -> int:
    return int(time.time())


class ManualClock:
    """A clock that only moves when told to (tests, and `pointspermis` scripts that replay)."""

    def __init__(self, start: int | None = None) -> None:
        self.now = system_clock() if start is None else start

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += seconds
