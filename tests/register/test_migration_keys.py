"""Migration 0008 on a PostgreSQL register that already holds files: byte-order keys and events keyed by
their id keep every row and every answer, and imports go on as before (the same file again changes
nothing; a new event of a stored holder comes after its older ones in feed order)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from backend.database import postgres
from tests.fixtures.postgres import Cluster, copy_sqlite_register, run_sql
from tests.fixtures.register import register_content
from tests.register.test_import import run_import


@pytest.fixture
def register_at_7(postgres_cluster: Cluster, demo_db_path: Path, tmp_path: Path) -> Iterator[str]:
    """A PostgreSQL register at schema version 7 holding the demo files."""
    before = tmp_path / "before"
    before.mkdir()
    for path in sorted(postgres.POSTGRES_MIGRATIONS_DIR.glob("*.sql")):
        if int(path.name[:4]) < 8:
            shutil.copy(path, before / path.name)
    name = postgres_cluster.create()
    url = postgres_cluster.url_of(name)
    with postgres.connect(url) as conn:
        assert postgres.migrate(conn, before)[-1] == 7
    copy_sqlite_register(demo_db_path, url)
    yield url
    postgres_cluster.drop(name)


def test_0008_keeps_the_register_and_its_answers(register_at_7: str, demo_db_path: Path, demo_feed: Path,
                                                  tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with postgres.connect(register_at_7) as conn:
        assert postgres.migrate(conn)[0] == 8  # and the later ones
    assert register_content(register_at_7) == register_content(demo_db_path)

    # The demo file again under another extract: every event is compared with the stored one, none changes.
    events = run_sql(register_at_7, "SELECT count(*) FROM events")[0][0]
    lines = demo_feed.read_text().splitlines()
    header = json.loads(lines[0]) | {"extract_id": "again-after-0008"}
    again = tmp_path / "again.jsonl"
    again.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    status, out, err = run_import(capsys, register_at_7, again)
    assert status == 0, err
    assert f"0 events new, {events} unchanged" in out

    # A new event of a stored holder, dated like an older one: the file reads it after that one (feed order).
    header |= {"extract_id": "after-0008"}
    neph, event_id, effective_on = run_sql(register_at_7, "SELECT neph, id, effective_on FROM events "
                                                          "WHERE id LIKE '%-02' ORDER BY id LIMIT 1")[0]
    older = json.loads(run_sql(register_at_7, "SELECT body FROM events WHERE id = ?", (event_id,))[0][0])
    newer = {"neph": neph} | older | {"id": f"{neph}-99"}
    feed = tmp_path / "after.jsonl"
    feed.write_text("\n".join(json.dumps(line) for line in (header, newer)) + "\n")
    status, out, err = run_import(capsys, register_at_7, feed)
    assert status == 0 and "1 events new" in out, err
    same_day = [row[0] for row in run_sql(register_at_7, "SELECT id FROM events WHERE neph = ? AND effective_on = ? "
                                                         "ORDER BY seq", (neph, effective_on))]
    assert same_day[-2:] == [event_id, f"{neph}-99"]

    # An id is still the events' key.
    with pytest.raises(psycopg.errors.UniqueViolation):
        run_sql(register_at_7, "INSERT INTO events (id, neph, effective_on, extract_id, body) "
                               "SELECT id, neph, effective_on, extract_id, body FROM events WHERE id = ?", (event_id,))
