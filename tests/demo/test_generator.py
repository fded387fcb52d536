"""The demo feed: deterministic, valid for the engine, every kind of event and every status."""

from __future__ import annotations

import collections
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from backend.cli import main
from backend.law import compute
from backend.law.events import EVENT_TYPES, decode_event
from backend.demo.generator import EXTRACTED_AT, showcase, write_feed
from backend.register.repository import SqlRegister

EXTRACT_DAY = EXTRACTED_AT.date()


def feed_bytes(holders: int, seed: int) -> bytes:
    out = io.BytesIO()
    write_feed(out, holders, seed)
    return out.getvalue()


def test_same_arguments_same_bytes_and_the_seed_matters() -> None:
    assert feed_bytes(40, 3) == feed_bytes(40, 3)
    assert feed_bytes(40, 3) != feed_bytes(40, 4)


def test_cli_writes_to_stdout_or_a_file(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["demo", "--holders", "12", "--seed", "5"]) == 0
    stdout = capsysbinary.readouterr().out
    assert stdout == feed_bytes(12, 5)
    assert main(["demo", "--holders", "12", "--seed", "5", "--output", str(tmp_path / "d.jsonl")]) == 0
    assert (tmp_path / "d.jsonl").read_bytes() == stdout


def test_feed_shape_identities_and_events_are_valid() -> None:
    lines = [json.loads(line) for line in feed_bytes(400, 11).splitlines()]
    assert lines[0] == {"type": "extract", "extract_id": "demo-2026-11-25", "extracted_at": "2026-11-25T22:00:00+00:00"}
    holders = [line for line in lines if line["type"] == "holder"]
    assert len(holders) == 400 and len({h["neph"] for h in holders}) == 400
    assert [h["neph"] for h in holders[:8]] == [f"10000000000{i}" for i in range(1, 9)]
    assert all(len(h["neph"]) == 12 for h in holders)
    assert {h["gender"] for h in holders} == {"female", "male"}
    abroad = [h for h in holders if h["birth_country"] != "99100"]
    assert abroad and all(h["birth_place"] == "" for h in abroad)
    assert all(len(h["birth_place"]) == 5 for h in holders if h["birth_country"] == "99100")
    events = [line for line in lines[1:] if line["type"] != "holder"]
    kinds = collections.Counter(e["type"] for e in events)
    assert set(kinds) == set(EVENT_TYPES), kinds
    for event in events:
        decode_event({k: v for k, v in event.items() if k != "neph"})
        assert event.get("recorded_on", "0") <= EXTRACT_DAY.isoformat()
    offences = [e for e in events if e["type"] == "offence"]
    assert {e["offence_class"] for e in offences} == {"C2", "C3", "C4", "C5", "DELIT"}
    assert any("simultaneous_group" in e for e in offences) and any("natinf" in e for e in offences)
    assert all(e["place"].endswith(")") for e in offences)
    licences = [e for e in events if e["type"] == "licence_issued"]
    assert {e.get("kind", "first") for e in licences} == {"first", "after_invalidation", "after_annulment"}
    assert {e.get("training", "traditional") for e in licences} == {"traditional", "aac", "supervised"}
    assert {e.get("kind", "voluntary") for e in events if e["type"] == "course"} == {"voluntary", "mandatory",
                                                                                       "judicial"}
    assert min(e["issued_on"] for e in licences) < "1981" and max(e["issued_on"] for e in licences) > "2025"


SHOWCASE_STATUS = {"100000000001": ("valid", 11), "100000000002": ("valid", 3), "100000000003": ("invalidated", 0),
                   "100000000004": ("invalidation_pending", 0), "100000000005": ("annulled", 6),
                   "100000000006": ("suspended", 6), "100000000007": ("valid", 12), "100000000008": ("valid", 12)}


async def test_engine_computes_every_demo_holder_and_every_status_occurs(register: SqlRegister) -> None:
    nephs = await register.random_nephs(10**6, seed=0)
    assert len(nephs) >= 60
    statuses = collections.Counter()
    for neph in sorted(nephs):
        holder, events = await register.get_file(neph)
        assert holder is not None and events
        result = compute(events, EXTRACT_DAY)
        statuses[result.status] += 1
        if neph in SHOWCASE_STATUS:
            assert (result.status, result.balance) == SHOWCASE_STATUS[neph], neph
        # an earlier date too: only what was known then, which must also be a valid file
        if events[0].effective_on <= dt.date(2012, 6, 30):
            assert compute(events, dt.date(2012, 6, 30)).as_of == dt.date(2012, 6, 30)
    assert set(statuses) == {"valid", "invalidation_pending", "invalidated", "annulled", "suspended"}


def test_showcase_probationary_driver_owes_a_mandatory_course() -> None:
    from backend.law.events import decode_events
    files = dict((h["neph"], events) for h, events in showcase())
    result = compute(decode_events(files["100000000002"]), EXTRACT_DAY)
    assert result.probation is not None and result.maximum == 6
    assert result.mandatory_course is not None and result.mandatory_course.offence_id == "100000000002-03"
