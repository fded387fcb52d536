"""A deterministic, realistic demo feed (spec/record-format.md "Feed file"), for `make run`, tests
and benchmarks. Identities are fictitious (common names drawn at random, made-up NEPHs).

Showcase holders, always first and always the same (other areas and `make run` refer to them):

| neph | who | what the engine shows on 2026-11-25 |
|---|---|---|
| 100000000001 | Camille MARTIN, licence 1985 | long eventful record: offences 1994–2026, full and single-point restorations, a cancelled withdrawal, simultaneous offences, a course, medical visits, category C added; valid, 11 points |
| 100000000002 | Lucas BERNARD, AAC licence 2025-09 | probationary driver (3 points of 6): complementary training, phone offence (−3) → mandatory course due |
| 100000000003 | Sophie DUBOIS, licence 2019 | invalidated (48SI notified 2026-03-09, licence surrendered, new licence possible from 2026-09-17) |
| 100000000004 | Karim BENSAID, born in Morocco, licence 2025-12 | invalidation pending: balance 0, no 48SI letter yet |
| 100000000005 | Nathalie PETIT, licence 1999 | annulled by a court (alcohol), new licence not before 2027-09 |
| 100000000006 | Thomas ROBERT, licence 2008 | suspended (administrative suspension covering today) |
| 100000000007 | Inès MOREAU, licence 2012 | invalidated in 2014, new licence 2015 (after_invalidation, probation again), course in 2024; valid |
| 100000000008 | Jean LAURENT, born in Germany, licence 1980 | clean record: 12 points |

Generated holders follow (NEPH = registration year, month, département + a running number).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any, BinaryIO

from backend.law.events import decode_event
from backend.demo import catalogue as cat
from backend.demo.life import generate_holder

EXTRACTED_AT = dt.datetime(2026, 11, 25, 22, 0, tzinfo=dt.timezone.utc)
TODAY = EXTRACTED_AT.date()
D = dt.date.fromisoformat
Line = dict[str, Any]


def header(extract_id: str = "demo-2026-11-25") -> Line:
    return {"type": "extract", "extract_id": extract_id, "extracted_at": EXTRACTED_AT.isoformat()}


def _holder(neph: str, family: str, given: str, born: str, place: str, gender: str, country: str = "99100") -> Line:
    return {"type": "holder", "neph": neph, "family_name": family, "given_names": given, "birth_date": born,
            "birth_place": place, "birth_country": country, "gender": gender}


def _offence(id_: str, committed: str, established: str, points: int, cls: str, label: str, *, by: str =
             "fixed_fine_paid", recorded: str | None = None, **extra: Any) -> Line:
    line = {"type": "offence", "id": id_, "committed_on": committed, "established_on": established,
            "established_by": by, "points": points, "offence_class": cls, "label": label, **extra}
    if recorded:
        line["recorded_on"] = recorded
    return line


def showcase() -> list[tuple[Line, list[Line]]]:
    """The hand-written holders of the module docstring, each with its events."""
    speed = "Excès de vitesse de 5 à moins de 20 km/h (limite supérieure à 50 km/h)"
    files: list[tuple[Line, list[Line]]] = []
    n = "100000000001"
    files.append((_holder(n, "MARTIN", "Camille Louise", "1965-04-12", "69123", "female"), [
        {"type": "licence_issued", "id": f"{n}-01", "issued_on": "1985-06-14", "categories": ["B"]},
        _offence(f"{n}-02", "1994-05-03", "1994-06-20", 3, "C4", "Franchissement d'une ligne continue",
                 place="Mâcon (71)", recorded="1994-08-02"),
        _offence(f"{n}-03", "2003-02-11", "2003-03-15", 1, "C3", speed, place="Valence (26)", recorded="2003-04-30"),
        _offence(f"{n}-04", "2009-09-19", "2009-10-30", 2, "C2", "Usage d'un téléphone tenu en main en conduisant",
                 place="Lyon (69)", recorded="2009-12-01"),
        _offence(f"{n}-05", "2010-03-08", "2010-05-17", 4, "C4", "Franchissement d'un feu rouge",
                 by="increased_fine_order", place="Villeurbanne (69)", recorded="2010-07-05"),
        {"type": "course", "id": f"{n}-06", "first_day": "2010-09-23", "last_day": "2010-09-24", "kind": "voluntary",
         "organiser": cat.COURSE_ORGANISERS[0], "place": "Lyon (69)", "recorded_on": "2010-10-04"},
        {"type": "category_obtained", "id": f"{n}-07", "obtained_on": "2014-04-02", "category": "C",
         "valid_until": "2029-04-02"},
        {"type": "medical_visit", "id": f"{n}-08", "visited_on": "2014-02-20", "outcome": "fit",
         "valid_until": "2019-02-20", "categories": ["C"]},
        _offence(f"{n}-09", "2021-07-02", "2021-08-10", 2, "C4", "Excès de vitesse de 20 à moins de 30 km/h",
                 place="Montélimar (26)", recorded="2021-09-14", simultaneous_group="g-2021-07-02"),
        _offence(f"{n}-10", "2021-07-02", "2021-08-10", 3, "C4", "Usage d'un téléphone tenu en main en conduisant",
                 place="Montélimar (26)", recorded="2021-09-14", simultaneous_group="g-2021-07-02"),
        _offence(f"{n}-11", "2024-03-30", "2024-05-06", 4, "C4", "Non-respect de l'arrêt imposé par un panneau « stop »",
                 natinf="203", place="Bron (69)", recorded="2024-06-11"),
        {"type": "cancellation", "id": f"{n}-12", "cancels": f"{n}-11", "cancelled_on": "2024-11-18",
         "reason": "Décision du tribunal de police : relaxe", "recorded_on": "2024-12-02"},
        _offence(f"{n}-13", "2026-05-21", "2026-06-30", 1, "C3", speed, place="Vienne (38)", recorded="2026-08-04"),
        {"type": "medical_visit", "id": f"{n}-14", "visited_on": "2024-02-12", "outcome": "fit_with_restrictions",
         "valid_until": "2029-02-12", "categories": ["C"]},
    ]))
    n = "100000000002"
    files.append((_holder(n, "BERNARD", "Lucas", "2007-01-23", "44109", "male"), [
        {"type": "licence_issued", "id": f"{n}-01", "issued_on": "2025-09-22", "training": "aac", "categories": ["B"]},
        {"type": "complementary_training", "id": f"{n}-02", "completed_on": "2026-05-04", "recorded_on": "2026-05-11"},
        _offence(f"{n}-03", "2026-08-14", "2026-09-02", 3, "C4", "Usage d'un téléphone tenu en main en conduisant",
                 place="Nantes (44)", recorded="2026-10-01"),
    ]))
    n = "100000000003"
    files.append((_holder(n, "DUBOIS", "Sophie Anne", "1999-11-05", "33063", "female"), [
        {"type": "licence_issued", "id": f"{n}-01", "issued_on": "2019-03-18", "categories": ["B"]},
        _offence(f"{n}-02", "2020-06-12", "2020-07-20", 3, "C4", "Excès de vitesse de 30 à moins de 40 km/h",
                 place="Mérignac (33)", recorded="2020-09-01"),
        _offence(f"{n}-07", "2025-11-20", "2025-12-15", 6, "C4", "Refus de priorité à un piéton",
                 place="Pessac (33)", recorded="2026-01-05"),
        _offence(f"{n}-03", "2025-10-04", "2026-01-12", 6, "DELIT",
                 "Conduite sous l'empire d'un état alcoolique (taux égal ou supérieur à 0,8 g/l de sang)",
                 by="final_conviction", place="Bordeaux (33)", recorded="2026-02-03"),
        {"type": "suspension", "id": f"{n}-04", "starts_on": "2025-10-06", "ends_on": "2026-01-06",
         "suspension_kind": "administrative", "label": "Suspension préfectorale après contrôle d'alcoolémie"},
        {"type": "invalidation_notified", "id": f"{n}-05", "notified_on": "2026-03-09", "recorded_on": "2026-03-12"},
        {"type": "licence_surrendered", "id": f"{n}-06", "surrendered_on": "2026-03-17"},
    ]))
    n = "100000000004"
    files.append((_holder(n, "BENSAID", "Karim", "2002-07-30", "", "male", "99350"), [
        {"type": "licence_issued", "id": f"{n}-01", "issued_on": "2025-12-01", "categories": ["B"]},
        _offence(f"{n}-02", "2026-09-27", "2026-10-12", 4, "C4", "Franchissement d'un feu rouge",
                 place="Marseille (13)", recorded="2026-10-26"),
        _offence(f"{n}-03", "2026-10-05", "2026-10-30", 3, "C4",
                 "Défaut de port de la ceinture de sécurité par le conducteur", natinf="12929",
                 place="Aubagne (13)", recorded="2026-11-16"),
    ]))
    n = "100000000005"
    files.append((_holder(n, "PETIT", "Nathalie", "1980-02-29", "59350", "female"), [
        {"type": "licence_issued", "id": f"{n}-01", "issued_on": "1999-10-07", "categories": ["B"]},
        _offence(f"{n}-02", "2025-08-23", "2026-03-19", 6, "DELIT",
                 "Conduite sous l'empire d'un état alcoolique (taux égal ou supérieur à 0,8 g/l de sang)",
                 by="final_conviction", place="Lille (59)", recorded="2026-04-08"),
        {"type": "suspension", "id": f"{n}-03", "starts_on": "2025-08-25", "ends_on": "2026-02-25",
         "suspension_kind": "administrative"},
        {"type": "annulment", "id": f"{n}-04", "decided_on": "2026-03-19", "new_licence_not_before": "2027-09-19",
         "recorded_on": "2026-04-08"},
    ]))
    n = "100000000006"
    files.append((_holder(n, "ROBERT", "Thomas Pierre", "1988-12-01", "31555", "male"), [
        {"type": "licence_issued", "id": f"{n}-01", "issued_on": "2008-07-22", "categories": ["B"]},
        _offence(f"{n}-02", "2026-09-13", "2026-10-21", 6, "C4", "Conduite avec un taux d'alcool de 0,5 à 0,8 g/l de sang",
                 by="composition_penale", place="Toulouse (31)", recorded="2026-11-04"),
        {"type": "suspension", "id": f"{n}-03", "starts_on": "2026-09-15", "ends_on": "2027-01-15",
         "suspension_kind": "administrative", "label": "Suspension préfectorale de quatre mois"},
        {"type": "medical_visit", "id": f"{n}-04", "visited_on": "2026-11-10", "outcome": "fit_temporarily",
         "valid_until": "2027-11-10"},
    ]))
    n = "100000000007"
    files.append((_holder(n, "MOREAU", "Inès", "1993-06-18", "75056", "female"), [
        {"type": "licence_issued", "id": f"{n}-01", "issued_on": "2012-09-03", "categories": ["B"]},
        _offence(f"{n}-02", "2013-02-02", "2013-03-11", 4, "C4", "Refus de priorité", place="Paris (75)",
                 recorded="2013-04-15"),
        _offence(f"{n}-03", "2013-11-20", "2014-01-06", 3, "C4", "Usage d'un téléphone tenu en main en conduisant",
                 place="Créteil (94)", recorded="2014-02-10"),
        {"type": "invalidation_notified", "id": f"{n}-04", "notified_on": "2014-03-24"},
        {"type": "licence_surrendered", "id": f"{n}-05", "surrendered_on": "2014-03-31"},
        {"type": "medical_visit", "id": f"{n}-06", "visited_on": "2014-10-15", "outcome": "fit"},
        {"type": "licence_issued", "id": f"{n}-07", "issued_on": "2015-02-16", "kind": "after_invalidation",
         "categories": ["B"]},
        _offence(f"{n}-08", "2023-05-09", "2023-06-01", 2, "C4", "Excès de vitesse de 20 à moins de 30 km/h",
                 place="Orléans (45)", recorded="2023-07-10"),
        {"type": "course", "id": f"{n}-09", "first_day": "2024-01-11", "last_day": "2024-01-12",
         "organiser": cat.COURSE_ORGANISERS[1], "place": "Paris (75)"},
    ]))
    n = "100000000008"
    files.append((_holder(n, "LAURENT", "Jean Michel", "1961-08-09", "", "male", "99109"), [
        {"type": "licence_issued", "id": f"{n}-01", "issued_on": "1980-03-12", "categories": ["A", "B"]},
        {"type": "category_obtained", "id": f"{n}-02", "obtained_on": "1992-05-05", "category": "BE"},
    ]))
    return files


def feed_lines(holders: int = 200, seed: int = 1) -> Iterator[Line]:
    """Header, then the showcase holders, then generated ones until `holders` holders in all."""
    yield header()
    for count, (holder, events) in enumerate(showcase()):
        if count >= holders:
            return
        yield holder
        for event in events:
            yield {"neph": holder["neph"], **event}
    rng = random.Random(seed)
    for index in range(len(showcase()), holders):
        holder, events = generate_holder(rng, index)
        yield holder
        for event in events:
            yield {"neph": holder["neph"], **event}


def validate(events: list[Line]) -> None:
    """Every demo event must decode (the engine's own validation)."""
    for event in events:
        decode_event(event)


def write_feed(out: BinaryIO, holders: int = 200, seed: int = 1) -> int:
    """Write the feed as JSON Lines to a binary file; return the number of lines."""
    import msgspec

    encode = msgspec.json.Encoder().encode
    count = 0
    for line in feed_lines(holders, seed):
        out.write(encode(line) + b"\n")
        count += 1
    return count
