"""The register in SQL: holders, their events, the extracts. Explicit SQL, Structs out.

`SqlRegister` is the `store.RegisterStore` (what the records service, the accounts and the statement
depend on) over either store's handle (`backend.database.open_database`: SQLite or PostgreSQL, the same
SQL but for the licence-file read). Feed files go through a `store.BulkLoader` (importer.py, and
pg_importer.py on PostgreSQL); `SqlRegister.add_*` are the plain writes (tests, tools). Of those, only
`add_extract` changes the register's version (`state`), as an import's extract row does: add an extract
after its holders and events when pages may be reading.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import random
from collections.abc import Iterable
from operator import itemgetter
from typing import Any, Protocol

import msgspec

from backend.law.events import Cancellation, Event, encode_event
from backend.database import Store
from backend.register import lag
from backend.register.feed import Extract, Holder, RegisterState, normalise_name

_EVENT_DECODER = msgspec.json.Decoder(Event)


class NamedRow(Protocol):
    """A row answering by column name (sqlite3.Row, and PostgreSQL's rows: backend/database/postgres.py)."""

    def __getitem__(self, name: str, /) -> Any: ...


_HOLDER_COLUMNS = "neph, family_name, given_names, birth_date, birth_place, birth_country, gender"


def holder_from_row(row: NamedRow, prefix: str = "") -> Holder:
    """The holder in a row's columns (`prefix`: the columns' prefix in a joined statement, see `FileJoin`)."""
    return Holder(neph=row[f"{prefix}neph"], family_name=row[f"{prefix}family_name"],
                  given_names=row[f"{prefix}given_names"], birth_date=dt.date.fromisoformat(row[f"{prefix}birth_date"]),
                  birth_place=row[f"{prefix}birth_place"], birth_country=row[f"{prefix}birth_country"],
                  gender=row[f"{prefix}gender"])


# Which extract is the latest: the data's freshness (« données à jour au … »).
_LATEST_EXTRACT = "FROM extracts ORDER BY extracted_at DESC LIMIT 1"


def extract_from_row(row: NamedRow) -> Extract:
    return Extract(extract_id=row["extract_id"], extracted_at=dt.datetime.fromisoformat(row["extracted_at"]),
                   imported_at=dt.datetime.fromisoformat(row["imported_at"]), file_name=row["file_name"],
                   file_sha256=row["file_sha256"], lines=row["lines"], holders=row["holders"],
                   events_new=row["events_new"], events_unchanged=row["events_unchanged"], rejected=row["rejected"])


def event_row(event: Event, neph: str, extract_id: str) -> tuple:
    """The `events` columns for a validated event (the importer builds the same tuples)."""
    return (event.id, neph, event.effective_on.isoformat(), event.cancels if isinstance(event, Cancellation) else None,
            extract_id, msgspec.json.encode(event).decode())


def same_event(body: str | bytes, other_body: str | bytes) -> bool:
    """Two stored or fed bodies of one event id (stored text, or a fed line's UTF-8 bytes) say the same
    thing (layout and spelled-out defaults aside)."""
    return body == other_body or _EVENT_DECODER.decode(body) == _EVENT_DECODER.decode(other_body)


INSERT_EVENT = ("INSERT INTO events (id, neph, effective_on, cancels, extract_id, body) VALUES (?, ?, ?, ?, ?, ?)")
UPSERT_HOLDER = (f"INSERT INTO holders ({_HOLDER_COLUMNS}, extract_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT (neph) DO UPDATE SET family_name = excluded.family_name, "
                 "given_names = excluded.given_names, birth_date = excluded.birth_date, "
                 "birth_place = excluded.birth_place, birth_country = excluded.birth_country, "
                 "gender = excluded.gender, extract_id = excluded.extract_id")


# A holder's events come from the index events_by_holder (neph, effective_on, then seq = feed order):
# one row, the holder's columns and their events as one JSON array (see `SqlRegister.get_file`).
_EVENT_ELEMENT = "'[\"' || e.effective_on || '\",' || e.seq || ',' || e.body || ']'"


def _file_select(aggregate: str, neph: str, prefix: str = "") -> str:
    """The file statement of the holder `neph` (a placeholder, or another statement's expression); `aggregate`
    joins the events' JSON elements (SQLite's and PostgreSQL's spelling); `prefix` names the columns."""
    holder = ", ".join(f"h.{c} AS {prefix}{c}" for c in _HOLDER_COLUMNS.split(", "))
    return (f"SELECT {holder}, (SELECT '[' || {aggregate.format(_EVENT_ELEMENT)} || ']' "
            f"FROM events e WHERE e.neph = h.neph) AS {prefix}events FROM holders h WHERE h.neph = {neph}")


_POSTGRES_AGGREGATE = "string_agg({}, ',')"  # PostgreSQL's spelling of SQLite's group_concat
_FILE_SQL = _file_select("group_concat({})", "?")
_FILE_SQL_POSTGRES = _file_select(_POSTGRES_AGGREGATE, "?")
_FILE_EVENTS_DECODER = msgspec.json.Decoder(list[tuple[str, int, Event]])

# A licence file read along with another area's statement, for the next `get_file` of its NEPH in the same
# request (its context): (neph, the row's file columns). See `FileJoin`.
_READ_AHEAD: contextvars.ContextVar[tuple[str, NamedRow] | None] = contextvars.ContextVar(
    "register_read_ahead", default=None)


class FileJoin:
    """The licence-file read as part of another statement on the same PostgreSQL database.

    A first visit reads its session, then its licence file: two round trips, each costing the worker
    and the server more than the statement itself (docs/performance.md, "One round trip for a first
    visit"). The accounts' session statement adds `columns` and `clause(neph)`, where `neph` is its
    expression for the linked file's NEPH; once the row has passed the session's checks, `keep(row)`
    hands the file to the next `get_file` of that NEPH in the same request (its context), which then
    reads nothing. A file kept and not asked for (the page found it computed) goes with the request
    (`drop`, which the request's end calls).

    The file is read before the page learns the register's version (`SqlRegister.state`), where
    `get_file`'s own read comes after: an import committed in between would otherwise have the file as
    it was before that import computed and cached as the new version's, until the next import. So the
    statement also reads the version, and `get_file` uses the file only for the version it was read under.

    The reference path is `get_file`'s own statement: the same columns, from the same `_file_select`
    (tests/register/test_file_join.py compares both on every demo file)."""

    columns = "register_file.*, coalesce(register_version.token, '') AS file_register_version"

    def clause(self, neph: str) -> str:
        select = _file_select(_POSTGRES_AGGREGATE, neph, prefix="file_")
        return f"LEFT JOIN LATERAL ({select}) AS register_file ON true LEFT JOIN register_version ON true"

    def keep(self, row: NamedRow) -> None:
        neph = row["file_neph"]
        if neph is not None:  # no such holder: `get_file` asks for itself
            _READ_AHEAD.set((neph, row))

    def drop(self) -> None:
        """Forget a file kept and not asked for, at the end of its request: a server may run the next
        request in the same context (ours copies one per request; not every server does)."""
        _READ_AHEAD.set(None)


def _ordered_events(events: str | None) -> list[Event]:
    if events is None:
        return []
    ordered = sorted(_FILE_EVENTS_DECODER.decode(events), key=itemgetter(0, 1))  # effective_on, seq
    return [event for _, _, event in ordered]


class SqlRegister:
    """The register over either store (SQLite or PostgreSQL: migrations/0001_register.sql and migrations/postgres/)."""

    def __init__(self, db: Store) -> None:
        self.db = db
        self._file_sql = _FILE_SQL_POSTGRES if db.dialect == "postgresql" else _FILE_SQL

    async def get_holder(self, neph: str) -> Holder | None:
        # A primary-key lookup, like get_file's: on the loop's thread (see Database.fetch_small).
        rows = await self.db.fetch_small(f"SELECT {_HOLDER_COLUMNS} FROM holders WHERE neph = ?", (neph,))
        return holder_from_row(rows[0]) if rows else None

    async def get_events(self, neph: str) -> list[Event]:
        """Every event of the file, cancellations included, by effective date then feed order."""
        async with self.db.read(snapshot=False) as conn:
            rows = await conn.execute_fetchall(
                "SELECT body FROM events WHERE neph = ? ORDER BY effective_on, seq", (neph,))
        return [_EVENT_DECODER.decode(row[0]) for row in rows]

    async def get_file(self, neph: str, version: str | None = None) -> tuple[Holder | None, list[Event]]:
        """Holder and events in one statement returning one row (one snapshot), read on the event
        loop's thread (`Database.fetch_small`: cheaper than a turn of the loop, see there).

        One row, not one per event: if SQLite is busy the statement goes to a reader thread, and
        Python's sqlite3 releases the GIL around each row it steps to, which a thread then waits to
        take back from a busy loop, for every row. The events come as one JSON array of
        [effective_on, seq, body] built by SQLite (bodies are the JSON validated on import), decoded
        in one call and put in order here. A file the request's session statement read along
        (`FileJoin`) is taken from there instead, once, when it was read under `version` (the register's
        version the caller computes the file for, `state`; without it, the register is read)."""
        ahead = _READ_AHEAD.get()
        if ahead is not None and ahead[0] == neph:
            _READ_AHEAD.set(None)  # read once: a second call reads the register again
            kept = ahead[1]
            if version is not None and kept["file_register_version"] == version:
                return holder_from_row(kept, "file_"), _ordered_events(kept["file_events"])
        rows = await self.db.fetch_small(self._file_sql, (neph,))
        if not rows:
            return None, []
        row = rows[0]
        return holder_from_row(row), _ordered_events(row["events"])

    def file_join(self, db: Store) -> FileJoin | None:
        """A `FileJoin` when statements on `db` can read this register's files along: the same PostgreSQL
        handle. None on SQLite (the accounts have their own file; a read there costs no round trip) and
        when the register reads from a replica (the accounts stay on the primary)."""
        return FileJoin() if db is self.db and db.dialect == "postgresql" else None

    async def state(self) -> RegisterState:
        """The register's version and its latest extract (the most recent by `extracted_at`: the data
        freshness shown to drivers), in one statement (one snapshot)."""
        rows = await self.db.fetch_small(
            f"SELECT coalesce((SELECT token FROM register_version), '') AS register_version, e.* "
            f"FROM (SELECT 1 AS one) o LEFT JOIN (SELECT * {_LATEST_EXTRACT}) e ON 1 = 1")
        row = rows[0]
        return RegisterState(version=row["register_version"],
                             latest=extract_from_row(row) if row["extract_id"] is not None else None)

    async def data_lag(self) -> lag.DataLag | None:
        """The delay before a withdrawal reaches the register, as measured at the last import."""
        return await lag.read(self.db)

    async def find_holders_by_pivot(self, family_name: str, given_names: str, birth_date: dt.date,
                                    birth_place: str, birth_country: str, gender: str) -> list[Holder]:
        """Holders whose identity matches a FranceConnect identité pivot (names compared normalised)."""
        async with self.db.read(snapshot=False) as conn:
            rows = await conn.execute_fetchall(
                f"SELECT {_HOLDER_COLUMNS} FROM holders WHERE birth_date = ? AND birth_country = ? AND gender = ? "
                "ORDER BY neph", (birth_date.isoformat(), birth_country, gender))
        family, given = normalise_name(family_name), normalise_name(given_names)
        return [holder_from_row(row) for row in rows
                if row["birth_place"] == birth_place and normalise_name(row["family_name"]) == family
                and normalise_name(row["given_names"]) == given]

    async def find_holder_for_link(self, neph: str, birth_date: dt.date, family_name: str) -> Holder | None:
        """The holder of `neph` if the birth date and family name given match it, else None."""
        holder = await self.get_holder(neph)
        if holder is None or holder.birth_date != birth_date:
            return None
        if normalise_name(holder.family_name) != normalise_name(family_name):
            return None
        return holder

    async def random_nephs(self, n: int, seed: int | None = None) -> list[str]:
        """Up to `n` distinct NEPHs of holders that have events (for benchmarks), reproducible with `seed`."""
        async with self.db.read(snapshot=False) as conn:
            nephs = [row[0] for row in await conn.execute_fetchall(
                "SELECT DISTINCT neph FROM events ORDER BY neph")]
        return random.Random(seed).sample(nephs, min(n, len(nephs)))

    # --- writes (tests and tools; the feed import is the production path) ---

    async def add_holder(self, holder: Holder, extract_id: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(UPSERT_HOLDER, (*holder_values(holder), extract_id))

    async def add_extract(self, extract_id: str, extracted_at: dt.datetime, file_name: str = "-") -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT INTO extracts (extract_id, extracted_at, file_name, file_sha256, imported_at) "
                "VALUES (?, ?, ?, '', ?)",
                (extract_id, utc_iso(extracted_at), file_name, utc_iso(dt.datetime.now(dt.timezone.utc))))

    async def add_events(self, neph: str, events: Iterable[Event], extract_id: str) -> None:
        rows = [event_row(e, neph, extract_id) for e in events]
        if not rows:
            return
        delays = lag.DelayCounts()
        for row in rows:
            delays.count(row[-1])
        async with self.db.write() as conn:
            await conn.executemany(INSERT_EVENT, rows)
            await conn.executemany(lag.ADD_DELAYS, delays.rows())


def holder_values(holder: Holder) -> tuple:
    return (holder.neph, holder.family_name, holder.given_names, holder.birth_date.isoformat(),
            holder.birth_place, holder.birth_country, holder.gender)


def utc_iso(moment: dt.datetime) -> str:
    """Stored timestamps are UTC, so that text order is time order."""
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


__all__ = ["SqlRegister", "Holder", "Extract", "encode_event"]
