"""SqlRegister reads and writes on a real SQLite file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from backend.law.events import Cancellation, LicenceIssued, Offence, decode_event
from backend.database.db import Database
from backend.register.feed import Holder, RegisterState
from backend.register.repository import SqlRegister

CAMILLE = Holder(neph="190575100123", family_name="MARTIN-DUBOIS", given_names="Camille Hélène",
                 birth_date=dt.date(1990, 4, 12), birth_place="69123", birth_country="99100", gender="female")
UTC = dt.timezone.utc


async def open_register(tmp_path: Path) -> SqlRegister:
    return SqlRegister(await Database.open(tmp_path / "db.sqlite3"))


async def test_empty_register(tmp_path: Path) -> None:
    register = await open_register(tmp_path)
    try:
        assert await register.get_holder("190575100123") is None
        assert await register.get_events("190575100123") == []
        assert await register.state() == RegisterState(version="", latest=None)  # nothing imported yet
        assert await register.random_nephs(5) == []
    finally:
        await register.db.close()


async def test_holder_events_and_extract_round_trip(tmp_path: Path) -> None:
    register = await open_register(tmp_path)
    try:
        await register.add_extract("x1", dt.datetime(2026, 10, 1, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))))
        await register.add_extract("x2", dt.datetime(2026, 11, 25, 22, 0, tzinfo=UTC))
        await register.add_holder(CAMILLE, "x1")
        events = [
            decode_event({"type": "offence", "id": "o-1", "committed_on": "2024-03-02", "established_on": "2024-04-10",
                          "established_by": "fixed_fine_paid", "points": 4, "offence_class": "C4",
                          "label": "Franchissement d'un feu rouge", "recorded_on": "2024-05-20"}),
            decode_event({"type": "licence_issued", "id": "l-1", "issued_on": "2010-06-01", "training": "aac",
                          "categories": ["B"]}),
            decode_event({"type": "cancellation", "id": "c-1", "cancels": "o-1", "cancelled_on": "2024-09-01"}),
        ]
        await register.add_events(CAMILLE.neph, events, "x2")
        assert await register.get_holder(CAMILLE.neph) == CAMILLE
        got = await register.get_events(CAMILLE.neph)
        assert [e.id for e in got] == ["l-1", "o-1", "c-1"]  # by effective date
        assert isinstance(got[0], LicenceIssued) and got[0].categories == ("B",)
        assert isinstance(got[1], Offence) and got[1].recorded_on == dt.date(2024, 5, 20)
        assert isinstance(got[2], Cancellation) and got[2].cancels == "o-1"
        assert got == [events[1], events[0], events[2]]
        latest = (await register.state()).latest
        assert latest is not None and latest.extract_id == "x2"
        assert latest.extracted_at == dt.datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
        assert await register.random_nephs(3, seed=1) == [CAMILLE.neph]
    finally:
        await register.db.close()


async def test_holder_update_replaces_identity(tmp_path: Path) -> None:
    register = await open_register(tmp_path)
    try:
        await register.add_extract("x1", dt.datetime(2026, 11, 25, tzinfo=UTC))
        await register.add_holder(CAMILLE, "x1")
        moved = Holder(**{**{f: getattr(CAMILLE, f) for f in CAMILLE.__struct_fields__}, "family_name": "DURAND"})
        await register.add_holder(moved, "x1")
        assert await register.get_holder(CAMILLE.neph) == moved
    finally:
        await register.db.close()


async def test_find_by_pivot_compares_names_like_a_person(tmp_path: Path) -> None:
    register = await open_register(tmp_path)
    try:
        await register.add_extract("x1", dt.datetime(2026, 11, 25, tzinfo=UTC))
        await register.add_holder(CAMILLE, "x1")
        found = await register.find_holders_by_pivot("Martin Dubois", "CAMILLE HELENE", dt.date(1990, 4, 12),
                                                     "69123", "99100", "female")
        assert found == [CAMILLE]
        for change in ({"birth_place": "75056"}, {"gender": "male"}, {"birth_date": dt.date(1990, 4, 13)},
                       {"given_names": "Camille"}, {"birth_country": "99134"}):
            args = {"family_name": "MARTIN-DUBOIS", "given_names": "Camille Hélène",
                    "birth_date": dt.date(1990, 4, 12), "birth_place": "69123", "birth_country": "99100",
                    "gender": "female", **change}
            assert await register.find_holders_by_pivot(**args) == [], change
    finally:
        await register.db.close()


async def test_find_holder_for_link_needs_birth_date_and_family_name(tmp_path: Path) -> None:
    register = await open_register(tmp_path)
    try:
        await register.add_extract("x1", dt.datetime(2026, 11, 25, tzinfo=UTC))
        await register.add_holder(CAMILLE, "x1")
        assert await register.find_holder_for_link(CAMILLE.neph, dt.date(1990, 4, 12), "martin dubois") == CAMILLE
        assert await register.find_holder_for_link(CAMILLE.neph, dt.date(1990, 4, 11), "MARTIN-DUBOIS") is None
        assert await register.find_holder_for_link(CAMILLE.neph, dt.date(1990, 4, 12), "MARTIN") is None
        assert await register.find_holder_for_link("999999999999", dt.date(1990, 4, 12), "MARTIN-DUBOIS") is None
    finally:
        await register.db.close()


async def test_get_file_reads_holder_and_events_together(tmp_path: Path) -> None:
    register = await open_register(tmp_path)
    try:
        assert await register.get_file(CAMILLE.neph) == (None, [])
        await register.add_extract("x1", dt.datetime(2026, 11, 25, tzinfo=UTC))
        await register.add_holder(CAMILLE, "x1")
        licence = decode_event({"type": "licence_issued", "id": "l-1", "issued_on": "2010-06-01"})
        await register.add_events(CAMILLE.neph, [licence], "x1")
        assert await register.get_file(CAMILLE.neph) == (CAMILLE, [licence])
    finally:
        await register.db.close()


async def test_get_file_gives_events_by_effective_date_then_feed_order(tmp_path: Path) -> None:
    register = await open_register(tmp_path)
    try:
        await register.add_extract("x1", dt.datetime(2026, 11, 25, tzinfo=UTC))
        await register.add_holder(CAMILLE, "x1")
        assert await register.get_file(CAMILLE.neph) == (CAMILLE, [])  # a holder without events yet

        def offence(event_id: str, established_on: str) -> Offence:
            return decode_event({"type": "offence", "id": event_id, "committed_on": "2020-01-02",
                                 "established_on": established_on, "established_by": "fixed_fine_paid",
                                 "points": 1, "offence_class": "C4", "label": "Excès de vitesse < 20 km/h"})

        licence = decode_event({"type": "licence_issued", "id": "l-1", "issued_on": "2010-06-01"})
        later, same_day_first, same_day_second = (offence("o-late", "2023-05-01"), offence("o-b", "2021-03-04"),
                                                  offence("o-a", "2021-03-04"))
        # Fed out of date order; the two of 2021-03-04 keep their feed order (o-b before o-a).
        await register.add_events(CAMILLE.neph, [later, same_day_first, licence, same_day_second], "x1")
        holder, events = await register.get_file(CAMILLE.neph)
        assert holder == CAMILLE
        assert [e.id for e in events] == ["l-1", "o-b", "o-a", "o-late"]
        assert events == [licence, same_day_first, same_day_second, later]
    finally:
        await register.db.close()
