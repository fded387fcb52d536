"""The register's version (`SqlRegister.state`): what the pages' caches key computed files by.

Every import that changes the register changes it, whatever its extract's date; a file already imported
changes nothing, the version included. On both stores, imports run as deployed (`pointspermis import`).
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from backend.register.repository import SqlRegister
from tests.fixtures.postgres import run_sql
from tests.fixtures.register import import_feed_process


async def feed(register: SqlRegister, path: Path, extract_id: str, extracted_at: str, event_id: str) -> Path:
    """A feed adding one offence, `event_id`, to a demo holder."""
    (neph,) = await register.random_nephs(1, seed=1)
    holder = await register.get_holder(neph)
    assert holder is not None
    offence = {"neph": neph, "type": "offence", "id": event_id,
               "committed_on": "2026-09-01", "established_on": "2026-10-01", "established_by": "fixed_fine_paid",
               "points": 1, "offence_class": "C4", "label": "Excès de vitesse < 20 km/h"}
    lines = [{"type": "extract", "extract_id": extract_id, "extracted_at": extracted_at},
             {"type": "holder", **msgspec.structs.asdict(holder), "birth_date": holder.birth_date.isoformat()},
             offence]
    path.write_bytes(b"".join(msgspec.json.encode(line) + b"\n" for line in lines))
    return path


def imported(register: SqlRegister, path: Path) -> str:
    done = import_feed_process(register.db.target, path)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def test_every_import_changes_the_version_whatever_its_extract_date(register: SqlRegister,
                                                                           tmp_path: Path) -> None:
    demo = await register.state()
    assert demo.latest is not None and demo.version

    newer = await feed(register, tmp_path / "newer.jsonl", "newer", "2026-12-02T22:00:00+00:00", "o-newer")
    imported(register, newer)
    after_newer = await register.state()
    assert after_newer.latest is not None and after_newer.latest.extract_id == "newer"
    assert after_newer.version != demo.version

    assert "already imported" in imported(register, newer)  # the same file again: nothing changes
    assert await register.state() == after_newer

    # A catch-up: an extract older than the latest. « Données à jour au » stays the newer one's.
    older = await feed(register, tmp_path / "older.jsonl", "older", "2026-11-30T22:00:00+00:00", "o-older")
    imported(register, older)
    after_older = await register.state()
    assert after_older.latest == after_newer.latest
    assert after_older.version not in (demo.version, after_newer.version)

    # A corrected file of that older extract (same id, other content).
    corrected = await feed(register, tmp_path / "corrected.jsonl", "older", "2026-11-30T22:00:00+00:00",
                           "o-older-corrected")
    imported(register, corrected)
    after_correction = await register.state()
    assert after_correction.latest == after_newer.latest
    assert after_correction.version not in (demo.version, after_newer.version, after_older.version)


async def test_a_new_data_lag_changes_the_version(register: SqlRegister) -> None:
    """The data lag is measured after a run's imports, in a statement of its own: a page that read the version
    between the two must not keep the previous figures under the new version."""
    before = await register.state()
    run_sql(register.db.target, "UPDATE data_lag SET samples = samples + 1 WHERE id = 1")
    assert (await register.state()).version != before.version
