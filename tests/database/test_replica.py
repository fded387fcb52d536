"""The register's reads on a read replica, the driver's own writes on the primary (issue #18, docs/scaling.md).

A real PostgreSQL primary and a real hot standby fed by streaming replication (tools/dev/pgcluster.py
`replica`, pg_basebackup). With `POINTSPERMIS_REGISTER_REPLICA` set, the app reads licence files and
the latest extract from the replica and everything a request writes from the primary. Replay on the
replica is paused (`pg_wal_replay_pause`) to show which side each read comes from: a register change
on the primary is not shown until replay resumes, while what the driver writes is shown at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from backend.database import DatabaseError, postgres, replica as replica_reads
from backend.database.postgres import PostgresDatabase
from tests.database.paused_import import csrf_token
from backend.accounts.testing import create_linked_account, create_session
from backend.settings import load_settings
from tests.fixtures.accounts import TEST_PASSWORD, running_app, settings_for
from tests.fixtures.postgres import PGCLUSTER, copy_sqlite_register, run_sql

MARTIN, BERNARD = "100000000001", "100000000002"  # showcase holders of the demo register


@pytest.fixture(scope="module")
def primary_and_replica(demo_db_path: Path) -> Iterator[tuple[str, str]]:
    root = Path(tempfile.mkdtemp(prefix="pointspermis-replica-"))
    root.chmod(0o755)  # the servers run as `nobody` when the tests run as root: they go through it
    primary_dir, replica_dir = root / "primary", root / "replica"

    def cluster(*args: str) -> str:
        done = subprocess.run([sys.executable, str(PGCLUSTER), *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    try:
        primary = cluster("start", str(primary_dir), "--fast")
        postgres.migrate_url(primary)
        copy_sqlite_register(demo_db_path, primary)
        replica = cluster("replica", str(primary_dir), str(replica_dir))
        yield primary, replica
    finally:
        for directory in (replica_dir, primary_dir):
            subprocess.run([sys.executable, str(PGCLUSTER), "stop", str(directory)], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def wait_until(condition, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.1)


def latest_extract(url: str) -> str:
    return run_sql(url, "SELECT max(extract_id) FROM extracts")[0][0]


async def test_register_reads_come_from_the_replica_and_own_writes_from_the_primary(primary_and_replica):
    primary, replica = primary_and_replica
    wait_until(lambda: latest_extract(replica) == latest_extract(primary), "the replica to catch up")
    async with running_app(settings_for(primary, register_replica=replica)) as harness:
        assert harness.app.state.register_db is not harness.app.state.accounts_db
        client = await harness.signed_in(MARTIN)  # the account and session are written on the primary
        first = await client.get("/solde")
        assert first.status_code == 200 and "25 novembre 2026" in first.text

        run_sql(replica, "SELECT pg_wal_replay_pause()")
        try:
            # A register change on the primary (a later extract) while the replica does not replay.
            run_sql(primary, "INSERT INTO extracts (extract_id, extracted_at, file_name, file_sha256, imported_at) "
                             "VALUES ('demo-2026-12-03', '2026-12-03T22:00:00+00:00', 'later.jsonl', '', "
                             "'2026-12-04T06:00:00+00:00')")
            # The driver writes: a share code. It is shown at once: it was written and is read on the primary.
            page = await client.get("/partage")
            token = csrf_token(page)
            made = await client.post("/partage", data={"_csrf_token": token, "purpose": "employeur", "use": "single",
                                                       "shows": "rights", "days": "7"}, follow_redirects=True)
            assert made.status_code == 201, made.text[:500]
            assert "Employeur" in html.unescape((await client.get("/partage")).text)
            # The register read stays on the replica, which has not replayed the new extract.
            time.sleep(2.5)  # past the app's 2 s recheck of the latest extract
            assert "3 décembre 2026" not in (await client.get("/solde")).text
        finally:
            run_sql(replica, "SELECT pg_wal_replay_resume()")
        wait_until(lambda: latest_extract(replica) == "demo-2026-12-03", "the replica to replay the new extract")
        time.sleep(2.5)
        assert "3 décembre 2026" in (await client.get("/solde")).text


def pgcluster(*args: str) -> None:
    done = subprocess.run([sys.executable, str(PGCLUSTER), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@contextlib.contextmanager
def replica_stopped(replica: str) -> Iterator[None]:
    """The standby stopped for the block (it restarts, or is lost), then started again on its port."""
    directory = Path(run_sql(replica, "SHOW data_directory")[0][0]).parent
    port = replica.rsplit(":", 1)[1].split("/")[0]
    pgcluster("stop", str(directory))
    try:
        yield
    finally:
        pgcluster("replica", str(directory.parent / "primary"), str(directory), "--port", port)


STANDBY = "SELECT pg_is_in_recovery() AS standby"  # true on the replica only


async def until(condition, what: str, timeout: float = 15.0) -> None:
    """Until `condition()`, asked every 0.1 s while the event loop runs the handles' checks in the background."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        await asyncio.sleep(0.1)


async def found_back(replica: replica_reads.ReplicaDatabase, timeout: float = 30.0) -> None:
    """Until the check in the background finds the standby answering again."""
    await until(lambda: not replica.out_of_reach, "the replica to be found back", timeout)


@contextlib.asynccontextmanager
async def beside_primary(primary_url: str, replica_url: str, max_lag: float) -> AsyncIterator[
        replica_reads.ReplicaDatabase]:
    """The standby's handle beside the primary's (`open_beside`), the standby caught up first; both closed after."""
    wait_until(lambda: latest_extract(replica_url) == latest_extract(primary_url), "the replica to catch up")
    primary = await PostgresDatabase.open(primary_url, connections=1, wait=1)
    try:
        replica = await replica_reads.ReplicaDatabase.open_beside(primary, replica_url, connections=1, wait=1,
                                                                  max_lag=max_lag)
        try:
            yield replica
        finally:
            await replica.close()
    finally:
        await primary.close()


async def as_driver(harness, neph: str) -> None:
    """Harness's main client (whose requests share one event loop, as a server worker's do: the check in the
    background runs on it) signed in as a new account linked to `neph`."""
    account_id = await create_linked_account(harness.db, f"replique-{neph}@exemple.test", TEST_PASSWORD, neph,
                                             clock=harness.accounts.now)
    session_id = await create_session(harness.db, account_id, clock=harness.accounts.now)
    harness.main.cookies.set(harness.accounts.sessions.cookie_name, session_id, domain="testserver.local")


async def test_while_the_replica_is_down_the_register_is_read_on_the_primary_then_on_the_replica_again(
        primary_and_replica, monkeypatch):
    primary, replica = primary_and_replica
    monkeypatch.setattr(replica_reads, "RETRY_SECONDS", 0.2)
    wait_until(lambda: latest_extract(replica) == latest_extract(primary), "the replica to catch up")
    async with running_app(settings_for(primary, register_replica=replica, pg_wait_seconds=1)) as harness:
        register_db, client = harness.app.state.register_db, harness.main
        await as_driver(harness, MARTIN)
        assert (await client.get("/solde")).status_code == 200 and not register_db.out_of_reach

        with replica_stopped(replica):
            # A driver whose file the app has not read yet: it must be read from the register.
            await as_driver(harness, BERNARD)
            for path in ("/solde", "/historique", "/releve"):
                page = await client.get(path)
                assert page.status_code == 200, (path, page.status_code)
            assert "BERNARD" in html.unescape(page.text)  # the statement names its holder
            assert register_db.out_of_reach, "the pages were not read on the primary"
            # A load balancer keeps the instance: it serves pages, from the primary.
            assert (await client.get("/sante/pret")).status_code == 200

        await found_back(register_db)
        await as_driver(harness, "100000000003")  # another file not read yet: from the replica
        assert (await client.get("/solde")).status_code == 200
        readers = run_sql(replica, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                                   "AND datname = current_database() AND pid <> pg_backend_pid()")[0][0]
        assert readers >= 1, "the app holds no connection to the replica again"


async def test_each_way_of_reading_goes_to_the_primary_while_the_replica_is_down_and_back_after(
        primary_and_replica, monkeypatch):
    primary_url, replica_url = primary_and_replica
    monkeypatch.setattr(replica_reads, "RETRY_SECONDS", 0.2)
    primary = await PostgresDatabase.open(primary_url, connections=1, wait=1)
    replica = await replica_reads.ReplicaDatabase.open(replica_url, connections=1, replica=True, wait=1)
    replica.fall_back_to(primary)

    async def sides() -> list[bool]:
        async with replica.read() as conn:
            in_snapshot = (await conn.execute_fetchall(STANDBY))[0]["standby"]
        async with replica.read(snapshot=False) as conn:
            alone = (await conn.execute_fetchall(STANDBY))[0]["standby"]
        return [(await replica.fetch_small(STANDBY))[0]["standby"], (await replica.fetch_all(STANDBY))[0]["standby"],
                in_snapshot, alone]

    try:
        assert await sides() == [True] * 4
        with replica_stopped(replica_url):
            assert await sides() == [False] * 4  # the first waited a second for the replica, the others did not
            assert replica.out_of_reach
        await found_back(replica)
        assert await sides() == [True] * 4
    finally:
        await replica.close()
        await primary.close()


def without_schema(replica: str) -> str:
    """The standby's `postgres` database: it has no schema, as a replica of a primary not yet migrated."""
    return replica.rsplit("/", 1)[0] + "/postgres"


async def test_a_replica_behind_this_codes_schema_is_refused_with_what_to_do(primary_and_replica, tmp_path):
    primary_url, replica = primary_and_replica
    with pytest.raises(DatabaseError, match="migrez la base principale"):
        await PostgresDatabase.open(without_schema(replica), replica=True)
    # Beside a primary too: a replica that answers at another schema is a mistake to mend, not an outage.
    primary = await PostgresDatabase.open(primary_url, connections=1, wait=1)
    try:
        with pytest.raises(DatabaseError, match="migrez la base principale"):
            await replica_reads.ReplicaDatabase.open_beside(primary, without_schema(replica), connections=1, wait=1)
    finally:
        await primary.close()


async def test_a_replica_out_of_reach_at_start_is_read_on_the_primary_until_it_answers_at_this_codes_schema(
        primary_and_replica, monkeypatch, caplog):
    """An instance starting while its replica restarts (a rolling deployment, a rebuilt STANDBY) starts, reads
    the register on the primary, and goes to the replica once it answers; a replica that comes back at
    another schema stays refused, said once in the log."""
    primary_url, replica_url = primary_and_replica
    monkeypatch.setattr(replica_reads, "RETRY_SECONDS", 0.2)
    # A login the replica refuses (no such role), with a password that must not reach the log.
    secret = "postgresql://nobody_else:not-this-password@" + replica_url.split("@", 1)[1]
    primary = await PostgresDatabase.open(primary_url, connections=1, wait=1)
    opened: list[replica_reads.ReplicaDatabase] = []
    try:
        with replica_stopped(replica_url):
            for url in (replica_url, without_schema(replica_url), secret):
                opened.append(await replica_reads.ReplicaDatabase.open_beside(primary, url, connections=1, wait=1))
            replica, other_schema, wrong_login = opened
            assert all(each.out_of_reach for each in opened)
            assert (await replica.fetch_small(STANDBY))[0]["standby"] is False
            async with replica.read() as conn:
                assert (await conn.execute_fetchall(STANDBY))[0]["standby"] is False
            out_of_reach = [r.getMessage() for r in caplog.records if "indisponible" in r.getMessage()]
            # Each says why, in the driver's words: the standby is stopped.
            assert len(out_of_reach) == 3 and all("Connection refused" in m for m in out_of_reach), out_of_reach
            assert "not-this-password" not in caplog.text
        await found_back(replica)
        assert (await replica.fetch_small(STANDBY))[0]["standby"] is True
        assert (await replica.fetch_all(STANDBY))[0]["standby"] is True

        await asyncio.sleep(1.0)  # five checks of the others since the standby answers
        assert other_schema.out_of_reach and wrong_login.out_of_reach
        assert (await other_schema.fetch_small(STANDBY))[0]["standby"] is False
        refused = [r for r in caplog.records if "refusée" in r.getMessage()]
        assert len(refused) == 1 and "migrez la base principale" in refused[0].getMessage()
        assert "not-this-password" not in caplog.text
    finally:
        for each in opened:
            await each.close()
        await primary.close()


async def test_an_instance_starts_while_its_replica_is_down_and_reads_the_replica_once_it_is_back(
        primary_and_replica, monkeypatch):
    primary, replica = primary_and_replica
    monkeypatch.setattr(replica_reads, "RETRY_SECONDS", 0.2)
    wait_until(lambda: latest_extract(replica) == latest_extract(primary), "the replica to catch up")
    async with contextlib.AsyncExitStack() as stack:
        with replica_stopped(replica):
            harness = await stack.enter_async_context(
                running_app(settings_for(primary, register_replica=replica, pg_wait_seconds=1)))
        # The standby is back (replica_stopped's end): the instance, started without it, reads on the primary
        # until its check in the background (on the loop of `harness.main`, a server worker's) finds it.
        register_db, client = harness.app.state.register_db, harness.main
        await as_driver(harness, MARTIN)
        page = await client.get("/solde")
        assert page.status_code == 200 and "D'après le fichier national" in html.unescape(page.text)  # a file read
        await found_back(register_db)
        await as_driver(harness, BERNARD)  # a file not read yet: from the replica
        assert (await client.get("/historique")).status_code == 200
        readers = run_sql(replica, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                                   "AND datname = current_database() AND pid <> pg_backend_pid()")[0][0]
        assert readers >= 1, "the app holds no connection to the replica"


def test_a_replica_without_a_postgresql_primary_is_refused():
    with pytest.raises(ValueError, match="POINTSPERMIS_REGISTER_REPLICA"):
        settings_for("var/x.sqlite3", register_replica="postgresql://u:p@127.0.0.1:1/x")


def test_due_is_what_the_primary_had_written_max_lag_ago():
    due = replica_reads.Due(max_lag=10)
    assert not due.behind(5, 0)  # nothing noted yet
    due.note(0, 100)
    due.note(4, 200)
    due.note(8, 300)
    assert not due.behind(9, 0), "nothing noted 10 s before 9 s: nothing is due yet"
    assert due.behind(10, 99) and not due.behind(10, 100)  # due at 10 s: what was written by 0 s
    assert due.behind(15, 199) and not due.behind(15, 200)  # at 15 s: what was written by 4 s
    assert not due.behind(15, None), "not a standby (promoted): nothing to replay"


async def test_a_replica_that_stops_replaying_is_left_for_the_primary_until_it_has_caught_up(
        primary_and_replica, monkeypatch, caplog):
    primary_url, replica_url = primary_and_replica
    monkeypatch.setattr(replica_reads, "LAG_CHECK_SECONDS", 0.2)
    async with beside_primary(primary_url, replica_url, max_lag=1) as replica:
        await asyncio.sleep(1.5)  # a few checks, the replica keeping up: it stays in use
        assert not replica.behind and (await replica.fetch_small(STANDBY))[0]["standby"] is True
        run_sql(replica_url, "SELECT pg_wal_replay_pause()")
        try:
            run_sql(primary_url, "CREATE TABLE lag_probe (x int)")  # something written on the primary, not replayed
            await until(lambda: replica.behind, "the replica to be found behind")
            assert (await replica.fetch_small(STANDBY))[0]["standby"] is False
            assert (await replica.fetch_all(STANDBY))[0]["standby"] is False
            async with replica.read() as conn:
                assert (await conn.execute_fetchall(STANDBY))[0]["standby"] is False
        finally:
            run_sql(replica_url, "SELECT pg_wal_replay_resume()")
            run_sql(primary_url, "DROP TABLE lag_probe")
        await until(lambda: not replica.behind, "the replica to be found caught up")
        assert (await replica.fetch_small(STANDBY))[0]["standby"] is True
    said = [r.getMessage() for r in caplog.records if r.name == "backend.database.replica"]
    assert len([m for m in said if "en retard de plus de 1 s" in m]) == 1, said
    assert len([m for m in said if "de nouveau à jour" in m]) == 1, said


async def test_a_replica_back_from_a_restart_is_not_read_while_it_replays_what_it_missed(
        primary_and_replica, monkeypatch):
    """A standby that restarts after the primary has moved on replays what it missed once it is back: found back
    before it has, it is judged behind before any read goes to it (it would serve the register as it was)."""
    primary_url, replica_url = primary_and_replica
    monkeypatch.setattr(replica_reads, "RETRY_SECONDS", 0.2)
    on_primary: list[bool] = []

    async def watch(replica: replica_reads.ReplicaDatabase) -> None:  # how reads would go, every 5 ms
        while True:
            on_primary.append(replica.on_primary)
            await asyncio.sleep(0.005)

    async with beside_primary(primary_url, replica_url, max_lag=1) as replica:
        # Once started again, the standby applies each transaction a minute after its commit: it stays behind.
        run_sql(replica_url, "ALTER SYSTEM SET recovery_min_apply_delay = '60s'")
        try:
            with replica_stopped(replica_url):
                assert (await replica.fetch_small(STANDBY))[0]["standby"] is False and replica.out_of_reach
                run_sql(primary_url, "CREATE TABLE lag_probe (x int)")  # written while the standby is down
                await asyncio.sleep(1.5)  # older than the lag allowed
                watching = asyncio.create_task(watch(replica))
            await found_back(replica)
            await asyncio.sleep(0.5)
            watching.cancel()
            assert replica.behind and all(on_primary), "a read would have gone to the replica before it was judged"
            assert (await replica.fetch_small(STANDBY))[0]["standby"] is False
        finally:
            run_sql(replica_url, "ALTER SYSTEM RESET recovery_min_apply_delay")
            run_sql(replica_url, "SELECT pg_reload_conf()")
            run_sql(primary_url, "DROP TABLE IF EXISTS lag_probe")
        await until(lambda: not replica.behind, "the replica to be found caught up once it applied what it missed")


async def test_an_import_is_shown_within_the_lag_allowed_even_when_the_replica_stops_replaying(
        primary_and_replica, monkeypatch):
    """Issue #18: an import made anywhere is visible to every instance within seconds. With the replica's replay
    stopped, the register is read on the primary once the replica is more than the allowed lag behind."""
    primary, replica = primary_and_replica
    wait_until(lambda: latest_extract(replica) == latest_extract(primary), "the replica to catch up")
    async with running_app(settings_for(primary, register_replica=replica, replica_max_lag_seconds=1)) as harness:
        await as_driver(harness, MARTIN)
        client = harness.main  # one event loop for the requests and the watch, as in a server worker
        assert "4 décembre 2026" not in (await client.get("/solde")).text
        run_sql(replica, "SELECT pg_wal_replay_pause()")
        try:
            run_sql(primary, "INSERT INTO extracts (extract_id, extracted_at, file_name, file_sha256, imported_at) "
                             "VALUES ('demo-2026-12-04', '2026-12-04T22:00:00+00:00', 'later.jsonl', '', "
                             "'2026-12-05T06:00:00+00:00')")
            deadline = time.monotonic() + 15
            while "4 décembre 2026" not in (await client.get("/solde")).text:
                assert time.monotonic() < deadline, "the new extract is not shown while the replica does not replay"
                await asyncio.sleep(0.2)
            assert harness.app.state.register_db.behind
            assert latest_extract(replica) != "demo-2026-12-04", "the replica replayed it: the test proves nothing"
        finally:
            run_sql(replica, "SELECT pg_wal_replay_resume()")
            run_sql(primary, "DELETE FROM extracts WHERE extract_id = 'demo-2026-12-04'")


def test_the_replicas_lag_is_a_setting_refused_unless_a_positive_number_of_seconds():
    assert load_settings({"POINTSPERMIS_ENVIRONMENT": "test"}).replica_max_lag_seconds == 15.0
    assert load_settings({"POINTSPERMIS_ENVIRONMENT": "test",
                          "POINTSPERMIS_REPLICA_MAX_LAG_SECONDS": "2.5"}).replica_max_lag_seconds == 2.5
    with pytest.raises(ValueError, match="POINTSPERMIS_REPLICA_MAX_LAG_SECONDS vaut 0.0 : il faut un retard positif"):
        load_settings({"POINTSPERMIS_REPLICA_MAX_LAG_SECONDS": "0"})
