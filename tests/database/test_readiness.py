"""`Readiness`: whether an instance's stores answer, for a load balancer's probe (`/sante/pret`, issue #18).
The served instance during a PostgreSQL outage is in tests/web/test_store_outage.py; a lost replica (the
instance stays ready, reading on the primary) in tests/database/test_replica.py."""

from __future__ import annotations

from backend.database import open_database
from backend.database.readiness import KEEP_SECONDS, Readiness


async def test_ready_while_the_stores_answer_and_asked_again_at_most_once_a_second(tmp_path, caplog):
    register = await open_database(tmp_path / "register.sqlite3")
    accounts = await open_database(tmp_path / "accounts.sqlite3")
    now = [100.0]
    readiness = Readiness(register, accounts, clock=lambda: now[0])
    try:
        assert await readiness.ready()
        await accounts.close()  # it can no longer answer
        assert await readiness.ready(), "asked again within the second: the database is asked once a second"
        now[0] += KEEP_SECONDS
        assert not await readiness.ready()
        assert "instance pas prête" in caplog.text and "accounts.sqlite3 ne répond pas" in caplog.text
        assert not await readiness.ready()  # kept: not asked, not said again
        assert caplog.text.count("instance pas prête") == 1
    finally:
        await register.close()
