"""The data lag (backend/register/lag.py) on a register built for the test: a real SQLite file, filled by
`pointspermis import` as in production, whose withdrawals have known recording delays."""

from __future__ import annotations

import datetime as dt
import math
import json
import sqlite3
from pathlib import Path

from backend.register import lag
from backend.database.db import Database, open_migrated
from tests.fixtures.register import import_feed_process

EXTRACTED_AT = "2026-11-25T22:00:00+00:00"
UNTIL = dt.date(2026, 11, 25)


def write_feed(path: Path, delays: list[int], *, extract_id: str = "lag-1", old: int = 0, no_recorded: int = 0) -> Path:
    """One holder per withdrawal, recorded `delay` days after it took effect, inside the 12-month window;
    `old` more recorded before the window and `no_recorded` more without a recorded_on (not measured)."""
    lines = [{"type": "extract", "extract_id": extract_id, "extracted_at": EXTRACTED_AT}]
    specs = ([(UNTIL - dt.timedelta(days=10 + i), d, True) for i, d in enumerate(delays)]
             + [(dt.date(2025, 6, 1), 5, True)] * old + [(dt.date(2026, 6, 1), 0, False)] * no_recorded)
    for n, (recorded, delay, has_recorded) in enumerate(specs):
        neph = f"9{n:011d}"
        established = recorded - dt.timedelta(days=delay)
        lines.append({"type": "holder", "neph": neph, "family_name": "TEST", "given_names": "Lag",
                      "birth_date": "1980-01-01", "birth_place": "75056", "birth_country": "99100", "gender": "male"})
        lines.append({"neph": neph, "type": "licence_issued", "id": f"{neph}-1", "issued_on": "2000-01-01"})
        offence = {"neph": neph, "type": "offence", "id": f"{neph}-2",
                   "committed_on": (established - dt.timedelta(days=30)).isoformat(),
                   "established_on": established.isoformat(), "established_by": "fixed_fine_paid", "points": 2,
                   "offence_class": "C4", "label": "Excès de vitesse de 20 à moins de 30 km/h"}
        if has_recorded:
            offence["recorded_on"] = recorded.isoformat()
        lines.append(offence)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def stored(db: Path) -> tuple:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT samples, median_days, p90_days, window_from, window_until FROM data_lag").fetchone()
    finally:
        conn.close()


def test_the_import_command_measures_median_and_90th_percentile(tmp_path):
    db = tmp_path / "register.sqlite3"
    delays = list(range(30, 70))  # 40 withdrawals: 30, 31, … 69 days
    done = import_feed_process(db, write_feed(tmp_path / "feed.jsonl", delays, old=7, no_recorded=5))
    assert done.returncode == 0, done.stderr
    # nearest rank: the 20th of 40 sorted delays is 49, the 36th is 65; the old and unrecorded ones do not count
    assert stored(db) == (40, 49, 65, "2025-11-25", "2026-11-25")


def test_recomputed_after_each_import_never_per_read(tmp_path):
    db = tmp_path / "register.sqlite3"
    assert import_feed_process(db, write_feed(tmp_path / "a.jsonl", [40] * 25)).returncode == 0
    assert stored(db)[:3] == (25, 40, 40)
    feed = write_feed(tmp_path / "b.jsonl", [40] * 25 + [100] * 25, extract_id="lag-2")
    assert import_feed_process(db, feed).returncode == 0
    assert stored(db)[:3] == (50, 40, 100)


async def test_pages_read_the_stored_figures(tmp_path):
    db_path = tmp_path / "register.sqlite3"
    assert import_feed_process(db_path, write_feed(tmp_path / "a.jsonl", [10] * 5)).returncode == 0
    db = await Database.open(db_path)
    try:
        figures = await lag.read(db)
    finally:
        await db.close()
    assert (figures.samples, figures.median_days, figures.p90_days) == (5, 10, 10)
    assert not figures.usable, f"{lag.MIN_SAMPLES} withdrawals at least before a statistic is shown"


def test_no_extract_no_figures(tmp_path):
    conn = open_migrated(tmp_path / "empty.sqlite3")
    try:
        assert lag.refresh(conn) is None
        assert conn.execute("SELECT count(*) FROM data_lag").fetchone()[0] == 0
    finally:
        conn.close()


def nearest_rank(sorted_values: list[int], fraction: float) -> int:
    """The plain definition `lag.rank_of_counts` is tested against: the smallest value that at least
    `fraction` of the values do not exceed."""
    return sorted_values[max(0, math.ceil(fraction * len(sorted_values)) - 1)]


def test_nearest_rank():
    assert nearest_rank([1, 2, 3, 4], 0.5) == 2
    assert nearest_rank([1, 2, 3, 4, 5], 0.5) == 3
    assert nearest_rank(list(range(1, 11)), 0.9) == 9
    assert nearest_rank([7], 0.9) == 7


def test_rank_of_counts_is_the_nearest_rank_of_the_values_counted():
    """The stored counts give the same figures as the delays listed one by one."""
    import random

    draw = random.Random(7)
    for _ in range(200):
        values = sorted(draw.choice([0, 3, 30, 31, 45, 90, 400]) for _ in range(draw.randint(1, 40)))
        counts = [(v, values.count(v)) for v in sorted(set(values))]
        for fraction in (0.5, 0.9):
            assert lag.rank_of_counts(counts, len(values), fraction) == nearest_rank(values, fraction)


def test_the_counts_kept_by_the_import_are_those_of_the_events_stored(tmp_path, demo_feed):
    """The import counts the withdrawals it inserts as it goes (lag.DelayCounts); counted afresh from every
    event stored, the window's delays are the same — after a first load, a re-import and a later extract."""
    db = tmp_path / "lag.sqlite3"
    lines = demo_feed.read_text().splitlines()
    header = json.loads(lines[0])
    later = tmp_path / "later.jsonl"
    later.write_text("\n".join([json.dumps({**header, "extract_id": "later"}), *lines[1:400]]) + "\n")
    for feed in (demo_feed, demo_feed, later):
        assert import_feed_process(db, feed).returncode == 0
        conn = sqlite3.connect(db)
        try:
            since = lag._months_before(dt.datetime.fromisoformat(header["extracted_at"]).date(), lag.WINDOW_MONTHS)
            counted = {}
            for body, in conn.execute("SELECT body FROM events"):
                key = lag.withdrawal_delay_key(body)
                if key is not None and key[0] > since.isoformat():
                    counted[key] = counted.get(key, 0) + 1
            kept = {(r, d): n for r, d, n in conn.execute("SELECT * FROM withdrawal_delays")}
        finally:
            conn.close()
        assert counted and kept == counted
