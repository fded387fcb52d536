"""Real processes for "imports never block drivers" (#18): `pointspermis serve` on a register file,
`pointspermis import` of a big feed into that same file, caught while it holds the register's
write lock and stopped there (SIGSTOP), and drivers who sign in, browse and sign out meanwhile.

Used by tests/database/test_import_never_blocks.py (behaviour) and tools/bench/bench_paused_import.py
(the figures). Nothing here is mocked: two real SQLite files, a real server, a real importer.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from backend.accounts.testing import create_linked_account
from backend.database import is_postgres_url, open_database
from backend.database.stores import accounts_db_for
from backend.demo.generator import write_feed
from tests.fixtures.postgres import run_sql

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).with_name("pointspermis")
PASSWORD = "une phrase de passe pour la pause"
SECRET = "test-secret-key-not-for-production-0123456789"
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]*)"')


def big_feed(path: Path, holders: int, seed: int, extract_id: str) -> Path:
    """The demo feed of `holders` holders under another extract id: its first holders are those of
    the smaller demo feed of the same seed (unchanged events), the others are new."""
    with path.open("wb") as out:
        write_feed(out, holders, seed)
    with path.open("r+b") as handle:
        first = handle.readline()
        renamed = first.replace(b'"extract_id":"demo-2026-11-25"', f'"extract_id":"{extract_id}"'.encode())
        assert len(renamed) == len(first), "the new extract id must have the old one's length"
        handle.seek(0)
        handle.write(renamed)
    return path


def holder_nephs(feed: Path) -> list[str]:
    nephs = []
    with feed.open("rb") as handle:
        for line in handle:
            if line.startswith(b'{"type":"holder"'):
                nephs.append(re.search(rb'"neph":"(\d+)"', line).group(1).decode())
    return nephs


def make_accounts(register: Path | str, accounts: list[tuple[str, str]]) -> None:
    """Verified accounts (email, neph) with PASSWORD, written where the service keeps them (the accounts
    file beside a SQLite register, the same database on PostgreSQL)."""

    async def create() -> None:
        db = await open_database(accounts_db_for(str(register)))
        try:
            for email, neph in accounts:
                await create_linked_account(db, email, PASSWORD, neph)
        finally:
            await db.close()

    asyncio.run(create())


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POINTSPERMIS_")}
    return {**env, "POINTSPERMIS_ENVIRONMENT": "test", "POINTSPERMIS_SECRET_KEY": SECRET}


@contextmanager
def serving(register: Path | str, log: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`pointspermis serve --db REGISTER` (one worker, with `env`'s settings too); yields its base URL,
    stops it gracefully (the access log's last rows are written at shutdown)."""
    port = free_port()
    with log.open("w") as output:
        server = subprocess.Popen([str(CLI), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                   "--db", str(register)], env={**service_env(), **(env or {})}, cwd=ROOT,
                                  stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/sante", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, f"the server stopped: {log.read_text()}"
            assert time.monotonic() < deadline, "the server did not answer within 60 s"
            time.sleep(0.2)
        yield base
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def write_lock_taken(register: Path | str) -> bool:
    """Whether an import is inside its transaction now (asked without waiting): on SQLite, another
    connection holds the file's write lock; on PostgreSQL, an import holds its lock on events
    (register/pg_importer.py: SHARE ROW EXCLUSIVE, from the start of its transaction to its end)."""
    if is_postgres_url(register):
        return bool(run_sql(register, "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                                      "WHERE l.relation = 'events'::regclass AND l.mode = 'ShareRowExclusiveLock' "
                                      "AND l.granted AND a.datname = current_database()"))
    conn = sqlite3.connect(register, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
            raise
        return True
    finally:
        conn.close()


def copy_sent_rows(register: str) -> bool:
    """Whether a COPY into events is under way and has sent rows."""
    return bool(run_sql(register, "SELECT 1 FROM pg_stat_progress_copy WHERE relid = 'events'::regclass "
                                  "AND tuples_processed > 0"))


def holders_read_now(register: Path | str) -> int:
    """The register's holders as a new connection reads them at once (no busy wait). Beside an import
    that writes through the WAL this is the snapshot before the import; an import that writes the
    file in place (importer.write_in_place) locks every new connection out ("database is locked"),
    and no sign of it on disk is reliable before its pages leave its cache (the header's journal mode
    included). On PostgreSQL, the snapshot before the import (MVCC)."""
    if is_postgres_url(register):
        return run_sql(register, "SELECT count(*) FROM holders")[0][0]
    conn = sqlite3.connect(f"{register.resolve().as_uri()}?mode=ro", uri=True, timeout=0)
    try:
        return conn.execute("SELECT count(*) FROM holders").fetchone()[0]
    finally:
        conn.close()


@dataclass
class PausedImport:
    process: subprocess.Popen
    log: Path

    def resume(self, timeout: float = 180) -> str:
        """SIGCONT, then wait for the import's end; its output (the summary line)."""
        os.killpg(self.process.pid, signal.SIGCONT)
        self.process.wait(timeout=timeout)
        output = self.log.read_text()
        assert self.process.returncode == 0, output
        return output

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start_paused_import(register: Path | str, feed: Path, log: Path, timeout: float = 120) -> PausedImport:
    """`pointspermis import FEED --db REGISTER` in its own process group, stopped (SIGSTOP, the
    importer and its checker processes) as soon as it holds the register file's write lock; the lock
    is checked again once it is stopped, so the pause surely is inside the import's transaction."""
    with log.open("w") as output:
        process = subprocess.Popen([str(CLI), "import", str(feed), "--db", str(register)], env=service_env(),
                                   cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    paused = PausedImport(process, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            # On PostgreSQL, mid-way: once a COPY into events has sent rows (one COPY per batch: it may be
            # over by the time the import stops, the transaction and its lock are not).
            while not (copy_sent_rows(register) if is_postgres_url(register) else write_lock_taken(register)):
                assert process.poll() is None, f"the import ended before it was caught: {log.read_text()}"
                assert time.monotonic() < deadline, "the import did not take the write lock in time"
                time.sleep(0.002)
            os.killpg(process.pid, signal.SIGSTOP)
            if write_lock_taken(register):
                break
            # Caught in a write before its import's transaction (on SQLite, the command's migration check at its
            # start takes the lock a moment; seen once in CI): let it go on, and catch it again.
            assert process.poll() is None, f"the import ended before it could be stopped: {log.read_text()}"
            os.killpg(process.pid, signal.SIGCONT)
    except BaseException:
        paused.kill()
        raise
    return paused


@dataclass
class Timed:
    what: str
    status: int
    seconds: float


def timed(client: httpx.Client, method: str, path: str, what: str, **kwargs) -> tuple[httpx.Response, Timed]:
    started = time.perf_counter()
    response = client.request(method, path, **kwargs)
    return response, Timed(what, response.status_code, time.perf_counter() - started)


def csrf_token(page: httpx.Response) -> str:
    match = CSRF_FIELD.search(page.text)
    assert match, f"no CSRF field on {page.url}"
    return html.unescape(match.group(1))


def driver_visit(base: str, email: str, wrong_password: bool = False) -> tuple[list[Timed], int]:
    """A driver signs in through the form (after a wrong password when asked: a rate-limit write),
    views /solde and /historique, and signs out. Returns each response timed, and how many file pages
    were shown (each one is an access-log row)."""
    times: list[Timed] = []
    with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client:
        page, t = timed(client, "GET", "/connexion", "GET /connexion")
        times.append(t)
        token = csrf_token(page)
        if wrong_password:
            response, t = timed(client, "POST", "/connexion", "POST /connexion (mauvais mot de passe)",
                                data={"email": email, "password": "pas le bon mot de passe", "_csrf_token": token})
            times.append(t)
            assert response.status_code == 400 or response.status_code == 401, response.status_code
            token = csrf_token(response)
        response, t = timed(client, "POST", "/connexion", "POST /connexion",
                            data={"email": email, "password": PASSWORD, "_csrf_token": token})
        times.append(t)
        assert response.status_code == 303 and response.headers["location"] == "/solde", response.text[:500]
        viewed = 0
        for path in ("/solde", "/historique"):
            page, t = timed(client, "GET", path, f"GET {path}")
            times.append(t)
            assert page.status_code == 200, (path, page.status_code)
            viewed += 1
        response, t = timed(client, "POST", "/deconnexion", "POST /deconnexion", data={"_csrf_token": csrf_token(page)})
        times.append(t)
        assert response.status_code == 303, response.status_code
        assert (client.get("/solde")).status_code == 303, "still signed in after signing out"
    return times, viewed


def access_rows(register: Path | str, emails: list[str]) -> int:
    """Access-log rows of these accounts, read where the service keeps them."""
    marks = ",".join("?" * len(emails))
    return run_sql(accounts_db_for(str(register)),
                   f"SELECT count(*) FROM access_log JOIN accounts ON accounts.id = access_log.account_id "
                   f"WHERE accounts.email IN ({marks})", tuple(emails))[0][0]


def wait_for_access_rows(register: Path | str, emails: list[str], expected: int, timeout: float = 10) -> int:
    """The rows are written at most a second after the view (backend/accounts/access_log.py)."""
    deadline = time.monotonic() + timeout
    while (rows := access_rows(register, emails)) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return rows
