"""The records service keeps computed files per process: a new import must still be seen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec

from backend.records import service
from backend.demo.generator import _holder
from tests.fixtures.register import import_feed_process

NEPH = "100000000001"  # showcase holder MARTIN Camille (11 points on AS_OF)
AS_OF = dt.date(2026, 11, 26)


def write_feed(path: Path, extract_id: str, lines: list[dict], extracted_at: str = "2026-11-26T22:00:00+00:00") -> Path:
    header = {"type": "extract", "extract_id": extract_id, "extracted_at": extracted_at}
    holder = _holder(NEPH, "MARTIN", "Camille Louise", "1965-04-12", "69123", "female")
    path.write_bytes(b"".join(msgspec.json.encode(line) + b"\n" for line in [header, holder, *lines]))
    return path


async def test_a_file_is_computed_once_then_again_after_an_import(register, tmp_path, monkeypatch):
    first = await service.licence_file(register, NEPH, AS_OF)
    before = first.result.balance
    assert before >= 3 and not any(e.id == "cache-1" for e in first.events)
    assert await service.licence_file(register, NEPH, AS_OF) is first  # kept: no new read, no new computation
    assert (await service.licence_file(register, NEPH, AS_OF + dt.timedelta(days=1))).as_of == AS_OF + dt.timedelta(days=1)

    offence = {"neph": NEPH, "type": "offence", "id": "cache-1", "committed_on": "2026-09-01",
               "established_on": "2026-10-01", "established_by": "fixed_fine_paid", "points": 3,
               "offence_class": "C4", "label": "Infraction importée après coup"}
    # As deployed: the import runs in its own process while this one (the web's) has the file open.
    imported = import_feed_process(register.db.target, write_feed(tmp_path / "next.jsonl", "next-extract", [offence]))
    assert imported.returncode == 0, imported.stdout + imported.stderr

    # Once the latest extract is read again (at most EXTRACT_TTL_SECONDS later), the file is recomputed.
    later = service.monotonic() + service.EXTRACT_TTL_SECONDS + 1
    monkeypatch.setattr(service, "monotonic", lambda: later)
    second = await service.licence_file(register, NEPH, AS_OF)
    assert second is not first
    assert second.result.balance == before - 3 and any(e.id == "cache-1" for e in second.events)
    assert second.extracted_at == dt.datetime(2026, 11, 26, 22, 0, tzinfo=dt.timezone.utc)


async def test_an_extract_imported_after_a_newer_one_is_seen_too(register, tmp_path, monkeypatch):
    """A catch-up: the extract of the 25th, missed, is imported after the one of the 26th. The latest extract
    (« données à jour au ») stays the 26th's, and the offence only the 25th's extract brings is seen."""
    imported = import_feed_process(register.db.target, write_feed(tmp_path / "26.jsonl", "extract-26", []))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    first = await service.licence_file(register, NEPH, AS_OF)

    offence = {"neph": NEPH, "type": "offence", "id": "catch-up-1", "committed_on": "2026-09-01",
               "established_on": "2026-10-01", "established_by": "fixed_fine_paid", "points": 2,
               "offence_class": "C4", "label": "Infraction d'un extrait importé en retard"}
    missed = write_feed(tmp_path / "25.jsonl", "extract-25", [offence], extracted_at="2026-11-25T22:00:00+00:00")
    imported = import_feed_process(register.db.target, missed)
    assert imported.returncode == 0, imported.stdout + imported.stderr

    later = service.monotonic() + service.EXTRACT_TTL_SECONDS + 1
    monkeypatch.setattr(service, "monotonic", lambda: later)
    second = await service.licence_file(register, NEPH, AS_OF)
    assert second.extracted_at == dt.datetime(2026, 11, 26, 22, 0, tzinfo=dt.timezone.utc)
    assert any(e.id == "catch-up-1" for e in second.events)
    assert second.result.balance == first.result.balance - 2


async def test_an_unknown_holder_is_never_kept(register):
    import pytest

    for _ in range(2):
        with pytest.raises(service.HolderNotFound):
            await service.licence_file(register, "999999999999", AS_OF)
