"""A first visit's licence file read along with its session (`FileJoin`, PostgreSQL only).

The session statement of a file page brings the linked file in the same round trip, and the page's
`get_file` takes it from there. What a caller can observe: the same file as `get_file`'s own read
(the reference path), one statement where there were two, and a file kept for one request never
answering another request or another file.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from backend import caching
from backend.accounts.session import IDLE_SECONDS, Sessions
from backend.database import open_database
from backend.database.postgres import PostgresDatabase
from backend.law.events import Event, decode_event
from backend.records import service
from backend.register.feed import Holder
from backend.register.repository import SqlRegister
from tests.fixtures.accounts import running_app, settings_for
from tests.fixtures.register import DEMO_HOLDERS, import_feed_process
from tests.fixtures.web import asgi_get

T0 = 1_800_000_000
AS_OF = dt.date(2026, 12, 7)
NEW_OFFENCE = decode_event({"type": "offence", "id": "o-after-the-page", "committed_on": "2026-10-02",
                            "established_on": "2026-11-10", "established_by": "fixed_fine_paid", "points": 1,
                            "offence_class": "C4", "label": "Excès de vitesse < 20 km/h"})


class CountingDatabase(PostgresDatabase):
    """The real PostgreSQL handle, noting the statements of each round trip made by `fetch_small`."""

    statements: list[str]

    async def fetch_small(self, sql: str, params: tuple | dict = ()) -> list:
        self.statements.append(sql)
        return await self.fetch_all(sql, params)


@dataclasses.dataclass
class Joined:
    """The register and the sessions of one PostgreSQL database, as the app wires them; `now` is their clock."""

    db: CountingDatabase
    register: SqlRegister
    sessions: Sessions
    now: list[int]
    version: str
    """The register's version, which the records service computes files for."""


@pytest.fixture
async def joined(postgres_demo_url: str) -> AsyncIterator[Joined]:
    db = await CountingDatabase.open(postgres_demo_url)
    db.statements = []
    now = [T0]
    register = SqlRegister(db)
    try:
        version = await latest_version(register)
        # As the app wires them (accounts.plugin): the session asks the records' cache whether the page's file
        # is computed in this process already.
        sessions = Sessions(db, lambda: now[0], secure=False, file_join=register.file_join(db),
                            file_computed=lambda neph: service.is_computed(register, neph, AS_OF))
        yield Joined(db, register, sessions, now, version)
    finally:
        await db.close()


async def session_for(db: PostgresDatabase, sessions: Sessions, neph: str) -> str:
    async with db.write() as conn:
        cursor = await conn.execute(
            "INSERT INTO accounts (email, email_verified_at, created_at, neph, linked_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
            (f"{neph}@exemple.test", T0, T0, neph, T0))
        (account,) = tuple(await cursor.fetchone())
        return await sessions.create(conn, account)


async def latest_version(register: SqlRegister) -> str:
    """The version the records service computes files for (the register's, changed by every import)."""
    return (await register.state()).version


async def request(joined: Joined, session_id: str, neph: str | None,
                  file_page: bool = True) -> tuple[Holder | None, list[Event]] | None:
    """One request in its own task, as the server runs each: the guard loads the session, then the page
    (when `neph` is given) reads that file for the register's version, known beforehand (the service's cache)."""

    async def run() -> tuple[Holder | None, list[Event]] | None:
        assert await joined.sessions.load(session_id, [], file_page=file_page) is not None
        return await joined.register.get_file(neph, joined.version) if neph else None

    return await asyncio.create_task(run())


async def test_every_demo_file_read_along_with_its_session_is_the_file_get_file_reads(
        joined: Joined, postgres_demo_url: str) -> None:
    db, register, sessions = joined.db, joined.register, joined.sessions
    reference_db = await open_database(postgres_demo_url)
    try:
        reference = SqlRegister(reference_db)
        nephs = await register.random_nephs(1_000)
        assert len(nephs) == DEMO_HOLDERS
        for neph in nephs:
            session_id = await session_for(db, sessions, neph)
            db.statements.clear()
            holder, events = await request(joined, session_id, neph)
            assert len(db.statements) == 1 and "register_file" in db.statements[0]  # one round trip, not two
            assert (holder, events) == await reference.get_file(neph)
            assert holder is not None and holder.neph == neph and events
    finally:
        await reference_db.close()


async def test_a_file_read_along_serves_its_own_request_once(joined: Joined) -> None:
    db, register, sessions = joined.db, joined.register, joined.sessions
    first, other = await register.random_nephs(2, seed=7)
    session_id = await session_for(db, sessions, first)
    version = joined.version

    async def page() -> None:
        assert await sessions.load(session_id, [], file_page=True) is not None
        db.statements.clear()
        holder, _ = await register.get_file(other, version)  # another file: read from the register
        assert holder is not None and holder.neph == other and len(db.statements) == 1
        holder, _ = await register.get_file(first, version)  # the session's own: already read
        assert holder is not None and holder.neph == first and len(db.statements) == 1
        holder, _ = await register.get_file(first, version)  # a second time: read again
        assert holder is not None and holder.neph == first and len(db.statements) == 2

    await asyncio.create_task(page())

    # Another process (one that has not seen the session yet) whose caller names no version.
    other_process = Sessions(db, lambda: joined.now[0], secure=False, file_join=register.file_join(db))

    async def page_without_a_version() -> None:
        assert await other_process.load(session_id, [], file_page=True) is not None
        db.statements.clear()
        holder, _ = await register.get_file(first)  # no version named: the register is read
        assert holder is not None and holder.neph == first and len(db.statements) == 1

    await asyncio.create_task(page_without_a_version())


async def test_a_file_kept_and_not_asked_for_never_answers_a_later_request(joined: Joined) -> None:
    db, register, sessions = joined.db, joined.register, joined.sessions
    (neph,) = await register.random_nephs(1, seed=3)
    _, before = await register.get_file(neph)
    session_id = await session_for(db, sessions, neph)
    assert await request(joined, session_id, None) is None  # the page found its file computed
    # The register changes (an import), then the driver's next page asks for the file.
    await register.add_extract("later", dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc))
    await register.add_events(neph, [NEW_OFFENCE], "later")
    version = await latest_version(register)
    db.statements.clear()
    _, after = await asyncio.create_task(register.get_file(neph, version))
    assert len(db.statements) == 1  # read again, not the file kept for the earlier request
    assert NEW_OFFENCE in after and len(after) == len(before) + 1


async def test_a_page_computes_the_file_read_along_when_no_import_came_between(joined: Joined) -> None:
    """The register's version the records service knows is the one the session's statement read the file
    under: the page reads nothing more."""
    db, register, sessions = joined.db, joined.register, joined.sessions
    (neph,) = await register.random_nephs(1, seed=17)
    session_id = await session_for(db, sessions, neph)
    await service.extract_time(register)  # the version known, as in a worker that served pages before

    async def page() -> service.LicenceFile:
        assert await sessions.load(session_id, [], file_page=True) is not None
        db.statements.clear()
        return await service.licence_file(register, neph, dt.date(2026, 12, 7))

    file = await asyncio.create_task(page())
    assert db.statements == []
    assert (file.holder, file.events) == await register.get_file(neph)


async def test_a_file_read_along_before_an_import_is_never_shown_as_that_import(
        joined: Joined, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session's statement reads the file; an import commits; then the page learns the register's version
    (its cache had expired, or another request read it meanwhile). The page must show the file as that
    import left it: the file read before it, under the new version and « données à jour au », would stay in
    the records' cache until the next import."""
    db, register, sessions = joined.db, joined.register, joined.sessions
    (neph,) = await register.random_nephs(1, seed=13)
    session_id = await session_for(db, sessions, neph)
    extracted_at = dt.datetime(2026, 12, 2, 21, 0, tzinfo=dt.timezone.utc)

    async def page() -> service.LicenceFile:
        assert await sessions.load(session_id, [], file_page=True) is not None  # the file read along
        await register.add_extract("during-the-page", extracted_at)
        await register.add_events(neph, [NEW_OFFENCE], "during-the-page")
        later = service.monotonic() + service.EXTRACT_TTL_SECONDS + 1
        monkeypatch.setattr(service, "monotonic", lambda: later)
        db.statements.clear()
        return await service.licence_file(register, neph, dt.date(2026, 12, 7))

    file = await asyncio.create_task(page())
    assert file.extracted_at == extracted_at
    assert NEW_OFFENCE in file.events  # read again: the file as the import left it
    assert sum("register_file" not in sql and "FROM holders h" in sql for sql in db.statements) == 1


async def test_a_file_page_brings_the_file_unless_this_process_holds_it_computed(
        joined: Joined, monkeypatch: pytest.MonkeyPatch) -> None:
    db, register, sessions = joined.db, joined.register, joined.sessions
    first, second = await register.random_nephs(2, seed=11)
    await service.extract_time(register)  # the register's version known, as in a worker that served pages before
    frozen = service.monotonic()
    monkeypatch.setattr(service, "monotonic", lambda: frozen)  # and still known: no second read of it

    async def page(session_id: str, neph: str) -> service.LicenceFile:
        async def run() -> service.LicenceFile:
            assert await sessions.load(session_id, [], file_page=True) is not None
            return await service.licence_file(register, neph, AS_OF)

        db.statements.clear()
        return await asyncio.create_task(run())

    # An account page (not a file page): the session alone.
    session_id = await session_for(db, sessions, first)
    db.statements.clear()
    await request(joined, session_id, None, file_page=False)
    assert len(db.statements) == 1 and "register_file" not in db.statements[0]
    # The first file page of this session in this process: one statement brings both.
    file = await page(session_id, first)
    assert len(db.statements) == 1 and "register_file" in db.statements[0]
    # The next one finds the file computed: the session alone, and nothing else read.
    assert await page(session_id, first) is file
    assert len(db.statements) == 1 and "register_file" not in db.statements[0]
    # The file leaves this process's cache (other drivers came): the session brings it again, in one statement.
    caching.licence_files.of(register).clear()
    again = await page(session_id, first)
    assert len(db.statements) == 1 and "register_file" in db.statements[0]
    assert (again.holder, again.events) == (file.holder, file.events)

    # An expired session brings nothing: the sign-in page does not read the file.
    expired = await session_for(db, sessions, second)
    joined.now[0] += IDLE_SECONDS

    async def expired_request() -> None:
        assert await sessions.load(expired, [], file_page=True) is None
        db.statements.clear()
        await register.get_file(second)
        assert len(db.statements) == 1 and "register_file" not in db.statements[0]

    await asyncio.create_task(expired_request())


async def test_the_app_reads_a_returning_drivers_file_along_only_when_it_is_not_computed(
        postgres_demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The wiring of the running app (accounts.plugin → records.service.is_computed): a driver's page costs one
    statement whether or not the worker still holds their file, and reads the file only when it does not."""
    async with running_app(settings_for(postgres_demo_url)) as harness:
        app = harness.app
        statements: list[str] = []
        small_read = app.state.accounts_db.fetch_small

        async def recording(sql: str, params: tuple | dict = ()) -> list:
            statements.append(sql)
            return await small_read(sql, params)

        monkeypatch.setattr(app.state.accounts_db, "fetch_small", recording)
        (neph,) = await app.state.register.random_nephs(1, seed=21)
        client = await harness.signed_in(neph)
        assert (await client.get("/solde")).status_code == 200  # first page: the register's version read too
        frozen = service.monotonic()
        monkeypatch.setattr(service, "monotonic", lambda: frozen)  # that version stays known below

        async def page() -> list[str]:
            statements.clear()
            assert (await client.get("/historique")).status_code == 200
            return list(statements)

        computed = await page()
        assert len(computed) == 1 and "register_file" not in computed[0]  # the file computed: the session alone
        caching.licence_files.of(app.state.register).clear()
        evicted = await page()
        assert len(evicted) == 1 and "register_file" in evicted[0]  # not computed: read along, one statement


async def test_no_file_join_where_it_would_cross_databases(postgres_demo_url: str, tmp_path: Path) -> None:
    # SQLite: the accounts have their own file. PostgreSQL with a register on another handle (a replica).
    sqlite = await open_database(tmp_path / "register.sqlite3")
    primary, replica = await open_database(postgres_demo_url), await open_database(postgres_demo_url)
    try:
        assert SqlRegister(sqlite).file_join(sqlite) is None
        assert SqlRegister(replica).file_join(primary) is None
        assert SqlRegister(primary).file_join(primary) is not None
    finally:
        for db in (sqlite, primary, replica):
            await db.close()


async def test_a_server_running_requests_in_one_context_never_shows_a_file_read_along_earlier(
        postgres_demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Granian runs each request in a copy of the context; a server that runs them one after the other in
    the same one must still never answer a page with the file a previous request's session brought."""
    async with running_app(settings_for(postgres_demo_url)) as harness:
        app, name = harness.app, harness.accounts.sessions.cookie_name
        (neph,) = await app.state.register.random_nephs(1, seed=5)
        holder = await app.state.register.get_holder(neph)
        assert holder is not None
        first = await harness.signed_in(neph)
        assert (await first.get("/historique")).status_code == 200  # the file computed, kept by the records' cache

        def cookie_of(client) -> list[tuple[bytes, bytes]]:
            return [(b"cookie", f"{name}={client.cookies.get(name)}".encode())]

        # Another session of the same file, new to this process: its statement brings the file, which the
        # page does not ask for (computed already). Run in this test's own context, as such a server would.
        second = await harness.signed_in(neph)
        assert (await asgi_get(app, "/solde", cookie_of(second))).status_code == 200

        # An import adds an offence; once the latest extract is read again, the file is read again.
        header = {"type": "extract", "extract_id": "after-the-page", "extracted_at": "2026-12-01T22:00:00+00:00"}
        lines = [header, {"type": "holder", **msgspec.structs.asdict(holder), "birth_date": holder.birth_date.isoformat()},
                 {"neph": neph, **msgspec.to_builtins(NEW_OFFENCE), "label": "Infraction importée après la page"}]
        feed = tmp_path / "next.jsonl"
        feed.write_bytes(b"".join(msgspec.json.encode(line) + b"\n" for line in lines))
        imported = import_feed_process(postgres_demo_url, feed)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        later = service.monotonic() + service.EXTRACT_TTL_SECONDS + 1
        monkeypatch.setattr(service, "monotonic", lambda: later)

        page = await asgi_get(app, "/historique", cookie_of(first))
        assert page.status_code == 200
        assert "Infraction importée après la page" in page.body.decode()
