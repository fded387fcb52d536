"""The one call every driver page and the statement make: `licence_file(register, neph, as_of)`.

It reads the holder and the events (one read) and the latest extract (cached) from the register, and applies the
points engine to the events *as known on* `as_of`. When the engine refuses a file (points-rules
§11: outside the covered period, inconsistent record), the file is still returned, with the
engine's reason in `problem`: the driver sees their record and an honest explanation instead of
an error page or a made-up balance.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol

import msgspec

from backend import caching
from backend.caching import EXTRACT_TTL_SECONDS, FILE_CACHE_SIZE  # noqa: F401 (re-exported: the records' cache policy)
from backend.law import Result, compute
from backend.law.dates import PARIS
from backend.law.events import Event, EventError, InvalidRecord
from backend.register.feed import Holder, RegisterState
from backend.register.lag import DataLag


class RegisterReader(Protocol):
    """The part of `backend.register.store.RegisterStore` this service uses."""

    async def get_file(self, neph: str, version: str | None = None) -> tuple[Holder | None, list[Event]]: ...
    async def state(self) -> RegisterState: ...
    async def data_lag(self) -> DataLag | None: ...


class LicenceFile(msgspec.Struct, frozen=True, kw_only=True):
    """Everything known about one licence file on `as_of`."""

    neph: str
    as_of: dt.date
    holder: Holder
    """Who holds the licence (neph, family_name, given_names, birth_date, …)."""
    events: list[Event]
    """Every event of the file, cancellations included, in register order."""
    result: Result | None
    """The engine's result, or None when the engine refused the file (see `problem`)."""
    problem: str | None = None
    """Why the engine could not compute the file, in French, for the driver."""
    extracted_at: dt.datetime | None = None
    """When the register produced the latest imported extract ("données à jour au …")."""

    @property
    def events_by_id(self) -> dict[str, Event]:
        return {event.id: event for event in self.events}


class HolderNotFound(LookupError):
    """No holder with this NEPH in the register."""


async def licence_file(register: RegisterReader, neph: str, as_of: dt.date) -> LicenceFile:
    """Load and compute one file; raise `HolderNotFound` when the NEPH is unknown."""
    extracted_at, version = await _freshness_and_version(register)  # cached: usually no database access
    # A file changes only when a feed is imported (whatever its extract's date, `RegisterState.version`) and its
    # result only with `as_of`: a driver going from page to page, or reloading, reuses it.
    files = caching.licence_files.of(register)
    key = _file_key(neph, as_of, version)
    cached = files.get(key)
    if cached is not None:
        return cached
    holder, events = await register.get_file(neph, version)  # the file as it is under `version`, or newer
    if holder is None:
        raise HolderNotFound(neph)
    result, problem = None, None
    try:
        result = compute(events, as_of)
    except InvalidRecord as exc:
        problem = (
            "Le solde de ce dossier ne peut pas être calculé automatiquement : "
            + "; ".join(_french_reason(p) for p in exc.problems)
            + ". Les informations du fichier national restent affichées telles quelles."
        )
    file = LicenceFile(
        neph=neph,
        as_of=as_of,
        holder=holder,
        events=list(events),
        result=result,
        problem=problem,
        extracted_at=extracted_at,
    )
    return files.put(key, file)


def is_computed(register: RegisterReader, neph: str, as_of: dt.date) -> bool:
    """Whether this process holds `neph`'s file computed for `as_of` under the register's version it last
    read: `licence_file` would then read nothing of the register (unless an import has changed the version
    since). Asks without counting as a use of the cache."""
    known = caching.latest_extracts.get(register)
    return known is not None and _file_key(neph, as_of, known[2]) in caching.licence_files.of(register)


def _file_key(neph: str, as_of: dt.date, version: str) -> tuple[str, dt.date, str]:
    """What a computed file is cached under: the same for `licence_file`, which fills the cache, and
    `is_computed`, which asks it."""
    return (neph, as_of, version)


def _french_reason(problem: EventError) -> str:
    """The engine's messages name the field in English, then (after " — ") explain in French."""
    _, sep, french = problem.message.partition(" — ")
    return french if sep else f"le dossier contient une incohérence ({problem.ref})"


# The register's version and latest extract change only when a feed is imported (a few times a day): they
# are remembered for EXTRACT_TTL_SECONDS, and the files computed under that version as long as it holds, so
# a new import is seen by every page at most that much later, together with its « données à jour au »
# (backend/caching.py holds both caches).
monotonic = time.monotonic  # module attribute: tests move the clock past the TTL


async def extract_time(register: RegisterReader) -> dt.datetime | None:
    """When the register produced the latest imported extract, or None before any import."""
    return (await _freshness_and_version(register))[0]


async def _freshness_and_version(register: RegisterReader) -> tuple[dt.datetime | None, str]:
    """(the latest extract's extracted_at in Paris time, the register's version: changed by every import)."""
    now = monotonic()
    cached = caching.latest_extracts.get(register)
    if cached is not None and cached[0] > now:
        return cached[1], cached[2]
    state = await register.state()
    # Shown to drivers in France: in Paris time, so that the date written is the local date.
    value = state.latest.extracted_at.astimezone(PARIS) if state.latest is not None else None
    caching.latest_extracts.put(register, (now + EXTRACT_TTL_SECONDS, value, state.version))
    return value, state.version


async def data_lag(register: RegisterReader) -> DataLag | None:
    """The register's data lag (median and 90th percentile of the days a
    withdrawal takes to reach the file), as measured by the last import; None if never measured.
    Read again only when the register's version changes, like the files (backend/caching.py)."""
    _, version = await _freshness_and_version(register)
    cached = caching.data_lags.get(register)
    if cached is not None and cached[0] == version:
        return cached[1]
    lag = await register.data_lag()
    caching.data_lags.put(register, (version, lag))
    return lag
