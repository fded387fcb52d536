"""Server-side sessions and the `Viewer` every page handler receives.

The cookie carries only a random id (HttpOnly, SameSite=Lax, Secure and `__Host-` prefixed
outside development/test); the database row (keyed by the id's hash) says which account it
is, when it started and when it was last used. A session ends after 30 minutes without a
request (idle) or 12 hours after sign-in (absolute), whichever comes first, and a new id is
issued at every sign-in (no fixation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException

from backend.accounts.clock import Clock
from backend.accounts.deferred import FlushTimer, settle
from backend.accounts.tokens import digest, random_token
from backend.database import Store, StoreConnection
from backend.register.repository import FileJoin
from backend.rendering.context import ProvidedRegister

IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 12 * 60 * 60
# Refresh `last_seen_at` at most once a minute: one write per minute per session, not per request.
TOUCH_EVERY_SECONDS = 60
# A refresh (or an expired session's removal) waits at most this long to be written with the others of
# the process, or until this many are queued: a few transactions a second however many requests
# (docs/performance.md, "Session refreshes written together"). Not more rows at once: a batch holds the
# loop while psycopg sends it (~16 µs a row), and every request in flight waits that long. The row's
# `last_seen_at` is the time of the request either way; a crash can lose the last second's refreshes,
# which can only end a session earlier.
WRITE_AFTER = 1.0
WRITE_ROWS = 100
# Refreshes this process has queued and not yet written, remembered at most this many (oldest first out).
_RECENT_TOUCHES_MAX = 100_000
# The linked NEPH of the sessions this process has seen, remembered at most this many (the most recent): the
# records' cache holds as many computed files per process (backend/caching.py, FILE_CACHE_SIZE).
_LINKED_NEPHS_MAX = 4_096

_SESSION_COLUMNS = "s.account_id, s.created_at, s.last_seen_at, s.fc_id_token, a.neph, a.email, s.fc_match_neph"
_SESSION_FROM = "FROM sessions s JOIN accounts a ON a.id = s.account_id"
_SESSION_SQL = f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} WHERE s.id_hash = ?"


class Viewer(msgspec.Struct, frozen=True):
    """Who is signed in: the account and the licence file it is linked to (None: not linked)."""

    account_id: int
    neph: str | None
    email: str | None = None
    via_franceconnect: bool = False
    # This session's FranceConnect identity pivot matched `neph`: the person is the holder (may
    # remove the other accounts linked to the file), not merely someone who knows facts about it.
    holder_proven: bool = False


def cookie_name(secure: bool) -> str:
    # `__Host-` makes the browser refuse the cookie unless Secure, path=/ and no Domain:
    # a sibling subdomain cannot plant a session. Browsers refuse it over plain http.
    return "__Host-pp_session" if secure else "pp_session"


class Sessions:
    """Create, read, refresh and end sessions in the `sessions` table."""

    def __init__(self, db: Store, clock: Clock, *, secure: bool, file_join: FileJoin | None = None,
                 file_computed: Callable[[str], bool] | None = None) -> None:
        self.db = db
        # On PostgreSQL, where the register is in the same database, a file page's session statement
        # brings the linked licence file along: one round trip instead of two when the page has to read
        # the file (backend/register/repository.py, `FileJoin`). Not when `file_computed(neph)` says this
        # process already holds that file computed (the records' cache): the page would not read it. The
        # NEPH is known before the statement only for a session seen lately (`_linked_nephs`); a session
        # new to this process always brings its file.
        self._file_join = file_join
        self._joined_sql = (f"SELECT {_SESSION_COLUMNS}, {file_join.columns} {_SESSION_FROM} "
                            f"{file_join.clause('a.neph')} WHERE s.id_hash = ?") if file_join else _SESSION_SQL
        self._file_computed = file_computed
        self._linked_nephs: dict[str, str | None] = {}
        self.clock = clock
        self.secure = secure
        self.cookie_name = cookie_name(secure)
        # id_hash -> when this process queued its refresh. Until that write is done, the row still
        # shows the old `last_seen_at`; without this, every request of the session in the meantime
        # would queue the same refresh again, and under load the single writer fell seconds behind
        # (docs/performance.md). Forgotten once written, so it holds only the refreshes not yet
        # committed (at most _RECENT_TOUCHES_MAX if the writer is stuck).
        self._touched: dict[str, int] = {}
        # Refreshes and removals queued by requests, to be written together: (statement, session) ->
        # parameters, so a session is written once per batch. See `write_later` and `write_now`.
        self._queued: dict[tuple[str, str], tuple] = {}
        self._writing = False
        self._timer = FlushTimer(self.flush, WRITE_AFTER, "sessions")

    def cookie(self, value: str, *, clear: bool = False) -> Cookie:
        return Cookie(
            key=self.cookie_name,
            value="" if clear else value,
            path="/",
            httponly=True,
            secure=self.secure,
            samesite="lax",
            max_age=0 if clear else ABSOLUTE_SECONDS,
        )

    async def create(self, conn: StoreConnection, account_id: int, *, fc_id_token: str | None = None,
                     fc_match_neph: str | None = None) -> str:
        """A new session for `account_id` inside the caller's write transaction; returns the cookie value."""
        session_id = random_token()
        now = self.clock()
        await conn.execute(
            "INSERT INTO sessions (id_hash, account_id, created_at, last_seen_at, fc_id_token, fc_match_neph)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (digest(session_id), account_id, now, now, fc_id_token, fc_match_neph),
        )
        return session_id

    async def load(self, session_id: str | None, later: list[tuple[str, tuple]] | None = None, *,
                   file_page: bool = False) -> tuple[Viewer, str | None] | None:
        """The viewer of a live session (and its FranceConnect ID token), refreshing its idle time.

        With `later`, the session's own write (refresh, or removal when expired) is appended to it
        for the caller to hand to `write_later` once the page is sent: the page then never waits for
        the single writer (an import, another worker's checkpoint on a slow disk). `file_page`: the
        request will show the linked licence file (the session may bring it along, see `__init__`)."""
        if not session_id or len(session_id) > 100:
            return None
        id_hash = digest(session_id)
        now = self.clock()
        join = self._file_join if file_page and not self._has_file_computed(id_hash) else None
        # One primary-key lookup on every guarded request: a small read, on the loop's thread.
        rows = await self.db.fetch_small(self._joined_sql if join else _SESSION_SQL, (id_hash,))
        row = rows[0] if rows else None
        if row is None:
            return None
        account_id, created_at, last_seen_at, fc_id_token, neph, email, fc_match_neph = tuple(row)[:7]
        # Last seen: by the row, or by this process's refresh not written yet (`write_later`).
        seen = max(last_seen_at, self._touched.get(id_hash, 0))
        if now - seen >= IDLE_SECONDS or now - created_at >= ABSOLUTE_SECONDS:
            await self._write(later, "DELETE FROM sessions WHERE id_hash = ?", (id_hash,))
            return None
        if now - seen >= TOUCH_EVERY_SECONDS:
            self._remember_touch(id_hash, now)
            await self._write(later, "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", (now, id_hash))
        if join is not None and neph is not None:
            join.keep(row)  # a live session's own file: its page's `get_file` reads nothing more
        if self._file_join is not None:
            self._remember_linked_neph(id_hash, neph)
        viewer = Viewer(account_id=account_id, neph=neph, email=email, via_franceconnect=fc_id_token is not None,
                        holder_proven=fc_id_token is not None and neph is not None and fc_match_neph == neph)
        return viewer, fc_id_token

    def end_request(self) -> None:
        """The request is answered: a file its session brought along and its page did not use is dropped."""
        if self._file_join is not None:
            self._file_join.drop()

    def _has_file_computed(self, id_hash: str) -> bool:
        """Whether the file linked to this session when this process last saw it is computed here already."""
        neph = self._linked_nephs.get(id_hash)
        return neph is not None and self._file_computed is not None and self._file_computed(neph)

    def _remember_linked_neph(self, id_hash: str, neph: str | None) -> None:
        linked = self._linked_nephs
        linked.pop(id_hash, None)  # re-inserted last: the dict stays in order of use
        linked[id_hash] = neph
        if len(linked) > _LINKED_NEPHS_MAX:
            del linked[next(iter(linked))]  # the least recently seen first out

    def _remember_touch(self, id_hash: str, now: int) -> None:
        touched = self._touched
        touched.pop(id_hash, None)  # re-inserted last: the dict stays in order of touch
        touched[id_hash] = now
        if len(touched) > _RECENT_TOUCHES_MAX:
            del touched[next(iter(touched))]

    async def _write(self, later: list[tuple[str, tuple]] | None, sql: str, params: tuple) -> None:
        if later is not None:
            later.append((sql, params))
            return
        await self.write_now([(sql, params)])

    async def write_later(self, writes: list[tuple[str, tuple]]) -> None:
        """Queue `writes` to be written with the others of the process within WRITE_AFTER seconds.

        Written as they came, a refresh had a transaction of its own whenever the worker was not busy
        enough for several to share one (about 0.6 ms of a worker's CPU each on PostgreSQL); queued for up
        to a second, a worker's refreshes go in a few transactions a second at any load. At WRITE_ROWS
        queued, the caller (whose page is already sent) writes them at once: the queue, and the pause a
        batch costs the loop, stay small.
        """
        self._queue(writes)
        if len(self._queued) >= WRITE_ROWS:
            await self.write_now([])
        elif self._queued:
            self._timer.arm()

    async def flush(self) -> None:
        """Write whatever is queued now (the timer)."""
        await self.write_now([])

    async def drain(self) -> None:
        """At shutdown: wait for the batch under way (`settle`), then write what is left. A batch being written
        when the server stops would otherwise be cut by the pool's closing, and `flush` returns at once while
        one is under way (the sessions it holds would then end up to a minute earlier than they should)."""
        await settle(lambda: self._writing)
        await self.flush()

    def _queue(self, writes: list[tuple[str, tuple]]) -> None:
        queued = self._queued
        for sql, params in writes:
            queued[(sql, params[-1])] = params  # the session's id_hash is the last parameter

    async def write_now(self, writes: list[tuple[str, tuple]]) -> None:
        """Write `writes` together with those other requests of the process queued meanwhile.

        One request at a time writes, in one transaction, everything queued when it gets the writer,
        and again until nothing is left; the others queue their writes and return at once. With one
        transaction per request, first visits of many drivers (each session refreshed once) asked the
        single writer for more transactions than it commits: every request then stayed in memory,
        after its response, waiting for its turn, and a worker grew by hundreds of MB a minute
        (docs/performance.md, "Memory under load"). The queue holds one entry per session and
        statement, so it is bounded by the sessions seen while one batch is written.
        """
        self._queue(writes)
        if self._writing:
            return
        self._timer.cancel()  # what it would write is written here
        self._writing = True
        try:
            while self._queued:
                batch: dict[tuple[str, str], tuple] = {}

                def take() -> list[tuple[str, list[tuple]]]:
                    # Taken once the writer is ours: what was queued while waiting goes in this transaction.
                    nonlocal batch
                    batch, self._queued = self._queued, {}
                    statements: dict[str, list[tuple]] = {}
                    for (sql, _), params in batch.items():
                        statements.setdefault(sql, []).append(params)
                    return list(statements.items())

                # One transaction, and on PostgreSQL one round trip (`write_many`).
                await self.db.write_many(take)
                # Committed: the rows now show these refreshes, nothing more to remember of them.
                for _, id_hash in batch:
                    self._touched.pop(id_hash, None)
        finally:
            self._writing = False

    async def end(self, conn: StoreConnection, session_id: str | None) -> None:
        if session_id:
            await conn.execute("DELETE FROM sessions WHERE id_hash = ?", (digest(session_id),))

    async def end_all(self, conn: StoreConnection, account_id: int, *, keep: str | None = None) -> None:
        """End every session of an account (password change/reset, deletion), except `keep`."""
        await conn.execute(
            "DELETE FROM sessions WHERE account_id = ? AND id_hash != ?",
            (account_id, digest(keep) if keep else ""),
        )

    async def purge_expired(self, conn: StoreConnection) -> None:
        now = self.clock()
        await conn.execute(
            "DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ?",
            (now - IDLE_SECONDS, now - ABSOLUTE_SECONDS),
        )


def current_viewer(request: Request) -> Viewer | None:
    """The viewer the guard middleware found for this request (None on public pages when signed out)."""
    return request.scope.get("state", {}).get("viewer")


def signed_in_viewer(request: Request) -> Viewer:
    """The signed-in person on a page that requires a session.

    The guard middleware has already redirected requests without a session (or, for file
    pages, without a linked file); this refusal is a second line of defence.
    """
    viewer = current_viewer(request)
    if viewer is None:
        raise NotAuthorizedException("Connexion requise")
    return viewer


async def provide_viewer(request: Request) -> Viewer:
    """Litestar dependency `viewer`: the signed-in person, whose `.neph` is their linked file
    (`signed_in_viewer`)."""
    return signed_in_viewer(request)


async def provide_viewer_after_register(request: Request, register: ProvidedRegister) -> Viewer:
    """`provide_viewer`, declared as depending on `register` only so that Litestar resolves the two
    one after the other instead of in a task group (see AccountsPlugin); `register` is not used."""
    return await provide_viewer(request)


def csrf_token_for(request: Request) -> str:
    """The CSRF token for forms on this page (Litestar's CSRF middleware put it in the scope)."""
    from litestar.utils.empty import value_or_default
    from litestar.utils.scope.state import ScopeState

    return value_or_default(ScopeState.from_scope(request.scope).csrf_token, "")


def template_context(request: Request) -> dict[str, Any]:
    """What every page template needs from accounts: `viewer` (or None) and `csrf_token`."""
    return {"viewer": current_viewer(request), "csrf_token": csrf_token_for(request)}
