"""What a store of the register offers, whatever keeps it (SQLite or PostgreSQL).

- `RegisterStore`: reads (what the records service, the accounts and the statement use) and the
  plain writes (one holder, one extract, a holder's events) — `repository.SqlRegister`.
- `BulkLoader`: one feed file into the store, in one transaction — `importer.FeedImporter`
  (SQLite's fast path) and `reference_import.ReferenceImporter` (the same contract written plainly,
  line by line: the specification the fast path is tested against, tests/register/test_reference.py).

The contract of a bulk load, for any store (spec/record-format.md, "Feed file"):
- the file is all or nothing: any bad line rejects it (status "rejected", the store unchanged),
  unless `skip_invalid`, when the valid lines are stored and the bad ones written with their reasons
  to `FILE.rejected.jsonl` (replaced at each import of FILE; removed by a clean one);
- a holder line creates or updates its holder; an event needs a holder on an earlier line or in the
  store; an id already stored with the same content is unchanged, with other content it is a bad
  line; a cancellation must name an event of the same holder, stored or anywhere in the file;
- a file already imported (same extract id, same SHA-256) changes nothing ("already imported");
- a killed import leaves the store as it was before it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from backend.law.events import Event
from backend.register.feed import Holder, RegisterState


@dataclasses.dataclass
class Problem:
    """A bad line: its number (1-based), what it is about (`event "o-3"`, `holder "…"`, `line 7`),
    why, and its text (kept only when it goes to the rejected-lines file)."""

    line: int
    ref: str
    reason: str
    text: bytes


@dataclasses.dataclass
class ImportResult:
    path: Path
    status: str = "imported"  # imported | rejected | already imported
    lines: int = 0
    holders: int = 0
    events_new: int = 0
    events_unchanged: int = 0
    problems: list[Problem] = dataclasses.field(default_factory=list)
    rejected_file: Path | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.path}: {self.status} — {self.lines} lines, {self.holders} holders, "
                f"{self.events_new} events new, {self.events_unchanged} unchanged, "
                f"{len(self.problems)} rejected, {self.seconds:.2f} s")


def rejected_path(path: Path) -> Path:
    """Where the bad lines of `path` go with --skip-invalid."""
    return path.with_name(path.name + ".rejected.jsonl")


class RegisterStore(Protocol):
    """Reads and plain writes of the register. Events come by effective date, then feed order."""

    async def get_holder(self, neph: str) -> Holder | None: ...

    async def get_events(self, neph: str) -> list[Event]: ...

    async def get_file(self, neph: str, version: str | None = None) -> tuple[Holder | None, list[Event]]:
        """The holder (None: unknown NEPH) and their events; `version`: the register's version the caller
        computes the file for (`state`; a file read ahead under another one is read again)."""

    async def state(self) -> RegisterState:
        """The register's version (changed by every import) and its latest extract, in one snapshot."""

    async def find_holders_by_pivot(self, family_name: str, given_names: str, birth_date: dt.date,
                                    birth_place: str, birth_country: str, gender: str) -> list[Holder]: ...

    async def find_holder_for_link(self, neph: str, birth_date: dt.date, family_name: str) -> Holder | None: ...

    async def random_nephs(self, n: int, seed: int | None = None) -> list[str]: ...

    async def add_extract(self, extract_id: str, extracted_at: dt.datetime, file_name: str = "-") -> None: ...

    async def add_holder(self, holder: Holder, extract_id: str) -> None: ...

    async def add_events(self, neph: str, events: Iterable[Event], extract_id: str) -> None: ...


class BulkLoader(Protocol):
    """One feed file into a store, in one transaction (see the module's docstring for the contract).
    `report` is called as each bad line is found, `progress` with the number of bytes read."""

    def load(self, path: Path, skip_invalid: bool = False, report: Callable[[Problem], None] | None = None,
             progress: Callable[[int], None] | None = None) -> ImportResult: ...
