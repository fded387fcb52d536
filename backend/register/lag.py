"""The data lag: how long after a withdrawal takes effect it reaches the register, from the register.

For every withdrawal (an `offence` with points) whose `recorded_on` falls in the 12 months up to the
latest extract, the delay is `recorded_on − established_on` in days; the median and the 90th
percentile of those delays (nearest rank: the smallest delay that at least half, resp. 90 %, of the
withdrawals do not exceed) answer "when will my fine show?". Only events that carry `recorded_on`
are measured: without it the feed says nothing about the delay (spec/record-format.md makes it
default to the effective date, which would count as a delay of 0).

`refresh(conn)` recomputes and stores the figures (table `data_lag`, migration 0005); the import
calls it once at its end, so pages read two numbers and never scan the register. `read(db)` is the
pages' side.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import msgspec

WINDOW_MONTHS = 12
MIN_SAMPLES = 20
"""Below this many withdrawals the figures are stored but `DataLag.usable` is false: pages then say
"about 2 months" from the general rule instead of a statistic of a handful of cases."""


class DataLag(msgspec.Struct, frozen=True, kw_only=True):
    computed_at: dt.datetime
    window_from: dt.date
    window_until: dt.date
    samples: int
    median_days: int | None
    p90_days: int | None

    @property
    def usable(self) -> bool:
        return self.samples >= MIN_SAMPLES and self.median_days is not None


def nearest_rank(sorted_values: list[int], fraction: float) -> int:
    """The smallest value that at least `fraction` of the values do not exceed."""
    return sorted_values[max(0, math.ceil(fraction * len(sorted_values)) - 1)]


# Cheap substring test first (most events have no recorded_on, and none but offences have points),
# then the JSON fields. established_on is the offence's effective_on column.
_DELAYS_SQL = """
SELECT CAST(julianday(json_extract(body, '$.recorded_on')) - julianday(effective_on) AS INTEGER)
FROM events
WHERE instr(body, '"recorded_on"') > 0 AND instr(body, '"points"') > 0
  AND json_extract(body, '$.type') = 'offence' AND json_extract(body, '$.points') > 0
  AND json_extract(body, '$.recorded_on') > ? AND json_extract(body, '$.recorded_on') <= ?
"""


def measure(conn: Any, now: dt.datetime | None = None) -> DataLag | None:
    """The figures for the register behind `conn` (sqlite3 or apsw), None before any extract."""
    row = list(conn.execute("SELECT max(extracted_at) FROM extracts"))
    latest = row[0][0] if row else None
    if latest is None:
        return None
    until = dt.datetime.fromisoformat(latest).date()
    since = _months_before(until, WINDOW_MONTHS)
    delays = sorted(max(0, r[0]) for r in conn.execute(_DELAYS_SQL, (since.isoformat(), until.isoformat())))
    return DataLag(computed_at=now or dt.datetime.now(dt.timezone.utc), window_from=since, window_until=until,
                   samples=len(delays), median_days=nearest_rank(delays, 0.5) if delays else None,
                   p90_days=nearest_rank(delays, 0.9) if delays else None)


def refresh(conn: Any) -> DataLag | None:
    """Measure and store (one statement: atomic without a transaction of its own). Unchanged figures
    are not rewritten, so re-importing the same file leaves the database exactly as it was."""
    lag = measure(conn)
    if lag is None:
        return None
    figures = (lag.window_from.isoformat(), lag.window_until.isoformat(), lag.samples, lag.median_days, lag.p90_days)
    if figures in [tuple(r) for r in conn.execute(
            "SELECT window_from, window_until, samples, median_days, p90_days FROM data_lag WHERE id = 1")]:
        return lag
    conn.execute(
        "INSERT OR REPLACE INTO data_lag (id, computed_at, window_from, window_until, samples, median_days, p90_days) "
        "VALUES (1, ?, ?, ?, ?, ?, ?)",
        (lag.computed_at.isoformat(), lag.window_from.isoformat(), lag.window_until.isoformat(), lag.samples,
         lag.median_days, lag.p90_days))
    return lag


async def read(db: Any) -> DataLag | None:
    """The stored figures (`backend.database.db.Database`), None if never computed."""
    rows = await db.fetch_small("SELECT * FROM data_lag WHERE id = 1")
    if not rows:
        return None
    r = rows[0]
    return DataLag(computed_at=dt.datetime.fromisoformat(r["computed_at"]),
                   window_from=dt.date.fromisoformat(r["window_from"]),
                   window_until=dt.date.fromisoformat(r["window_until"]),
                   samples=r["samples"], median_days=r["median_days"], p90_days=r["p90_days"])


def _months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))
