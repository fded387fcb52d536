"""The data lag: how long after a withdrawal takes effect it reaches the register, from the register.

For every withdrawal (an `offence` with points) whose `recorded_on` falls in the 12 months up to the
latest extract, the delay is `recorded_on − established_on` in days; the median and the 90th
percentile of those delays (nearest rank: the smallest delay that at least half, resp. 90 %, of the
withdrawals do not exceed) answer "when will my fine show?". Only events that carry `recorded_on`
are measured: without it the feed says nothing about the delay (spec/record-format.md makes it
default to the effective date, which would count as a delay of 0).

`refresh(conn)` recomputes and stores the figures (table `data_lag`, migration 0005) from the delays that the
writers of events count as they insert them (`DelayCounts`, table `withdrawal_delays`); the import
calls it once at its end, so pages read two numbers and never scan the register. `read(db)` is the
pages' side.
"""

from __future__ import annotations

import datetime as dt
import math

import msgspec

from backend.database import Store, SyncStoreConnection
from backend.law.events import Event

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


class _Withdrawal(msgspec.Struct):
    """The fields of a stored event body that a delay needs (the others are skipped by the decoder)."""

    type: str
    points: int = 0
    recorded_on: dt.date | None = None
    established_on: dt.date | None = None


_decode_withdrawal = msgspec.json.Decoder(_Withdrawal).decode


def delay_key(event: Event | _Withdrawal) -> tuple[str, int] | None:
    """(recorded_on, delay in days) of a withdrawal that says when it was recorded, else None.
    `event` is an engine event or the few fields of a stored body (`_Withdrawal`)."""
    recorded_on = getattr(event, "recorded_on", None)
    if recorded_on is None or getattr(event, "points", 0) <= 0 or getattr(event, "type", "offence") != "offence":
        return None
    # Only an Offence or a _Withdrawal gets here (points > 0), which mypy cannot tell from the getattr
    # tests above; narrowing it by isinstance would cost every withdrawal of the checker's per-row path.
    return recorded_on.isoformat(), max(0, (recorded_on - event.established_on).days)  # type: ignore[union-attr]


def withdrawal_delay_key(body: bytes | str) -> tuple[str, int] | None:
    """`delay_key` of the event stored as `body` (one substring test for most events)."""
    raw = body.encode() if isinstance(body, str) else body
    if b'"recorded_on"' not in raw or b'"points"' not in raw:
        return None
    return delay_key(_decode_withdrawal(raw))


class DelayCounts:
    """The withdrawals one write inserts, counted by (recorded_on, delay in days).

    Every writer of events counts each event it inserted (`add(delay_key)` or `count(body)`) and
    calls `store(conn)` in the same transaction (table `withdrawal_delays`, migration 0005): the
    figures then never need a scan of the events. Only withdrawals recorded after `since` are kept —
    the window of the extract being written (12 months before its date): an older one can never
    enter the window again, since the window follows the latest extract — and `store` forgets the
    counts that have left it, so the table holds about a year of days."""

    __slots__ = ("counts", "since")

    def __init__(self, since: dt.date | None = None) -> None:
        self.counts: dict[tuple[str, int], int] = {}
        self.since = since.isoformat() if since is not None else ""

    @classmethod
    def for_extract(cls, extracted_at: dt.datetime) -> "DelayCounts":
        return cls(_months_before(extracted_at.date(), WINDOW_MONTHS))

    def count(self, body: bytes | str) -> None:
        """Count the event stored as `body` if it is a withdrawal with a `recorded_on`."""
        self.add(withdrawal_delay_key(body))

    def add(self, key: tuple[str, int] | None) -> None:
        """Count a withdrawal by its `delay_key` (None: not a withdrawal with a `recorded_on`)."""
        if key is not None and key[0] > self.since:
            self.counts[key] = self.counts.get(key, 0) + 1

    def rows(self) -> list[tuple[str, int, int]]:
        """The parameters of `ADD_DELAYS`, then forgotten (each count is added once)."""
        rows = [(recorded_on, delay, n) for (recorded_on, delay), n in self.counts.items()]
        self.counts.clear()
        return rows

    def store(self, conn: SyncStoreConnection) -> None:
        """Add the counts to the register's (sqlite3, apsw, postgres.SyncConnection; inside the writer's
        transaction)."""
        if self.since:
            conn.execute(FORGET_DELAYS, (self.since,))
        rows = self.rows()
        if rows:
            conn.executemany(ADD_DELAYS, rows)


FORGET_DELAYS = "DELETE FROM withdrawal_delays WHERE recorded_on <= ?"
ADD_DELAYS = ("INSERT INTO withdrawal_delays (recorded_on, delay_days, withdrawals) VALUES (?, ?, ?) "
              "ON CONFLICT (recorded_on, delay_days) DO UPDATE SET withdrawals = withdrawal_delays.withdrawals + excluded.withdrawals")


# The window's figures come from the counts (table withdrawal_delays), not from a scan of the events.
# (PostgreSQL's sum of bigints is a numeric: cast back, for integers on both stores.)
_DELAYS_SQL = """
SELECT delay_days, CAST(sum(withdrawals) AS BIGINT) FROM withdrawal_delays
WHERE recorded_on > ? AND recorded_on <= ? AND withdrawals > 0
GROUP BY delay_days ORDER BY delay_days
"""


def measure(conn: SyncStoreConnection, now: dt.datetime | None = None) -> DataLag | None:
    """The figures for the register behind `conn` (sqlite3, apsw or postgres.SyncConnection), None
    before any extract."""
    row = list(conn.execute("SELECT max(extracted_at) FROM extracts"))
    latest = row[0][0] if row else None
    if latest is None:
        return None
    until = dt.datetime.fromisoformat(latest).date()
    since = _months_before(until, WINDOW_MONTHS)
    counts = [(delay, n) for delay, n in conn.execute(_DELAYS_SQL, (since.isoformat(), until.isoformat()))]
    samples = sum(n for _, n in counts)
    return DataLag(computed_at=now or dt.datetime.now(dt.timezone.utc), window_from=since, window_until=until,
                   samples=samples, median_days=rank_of_counts(counts, samples, 0.5) if samples else None,
                   p90_days=rank_of_counts(counts, samples, 0.9) if samples else None)


def rank_of_counts(counts: list[tuple[int, int]], total: int, fraction: float) -> int:
    """The nearest rank over values given as (value, how many) in increasing order: the smallest value
    that at least `fraction` of the values do not exceed."""
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for value, n in counts:
        seen += n
        if seen >= rank:
            return value
    return counts[-1][0]


def refresh(conn: SyncStoreConnection) -> DataLag | None:
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
        "INSERT INTO data_lag (id, computed_at, window_from, window_until, samples, median_days, p90_days) "
        "VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET computed_at = excluded.computed_at, "
        "window_from = excluded.window_from, window_until = excluded.window_until, samples = excluded.samples, "
        "median_days = excluded.median_days, p90_days = excluded.p90_days",
        (lag.computed_at.isoformat(), lag.window_from.isoformat(), lag.window_until.isoformat(), lag.samples,
         lag.median_days, lag.p90_days))
    return lag


async def read(db: Store) -> DataLag | None:
    """The stored figures, None if never computed."""
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
