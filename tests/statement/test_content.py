"""What the statement says, built from a real register file through the records service."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.law.events import decode_events
from backend.records.service import licence_file
from backend.register.feed import Holder
from backend.statement.content import build_content, canonical
from backend.statement.render import context, issue
from backend.statement.seal import Keyring, content_digest, new_private_key, verify
from backend.rendering.templating import create_environment

AS_OF = dt.date(2026, 11, 25)
NEPH = "150399100042"
HOLDER = Holder(neph=NEPH, family_name="GARNIER", given_names="Hélène", birth_date=dt.date(1982, 3, 15),
                birth_place="", birth_country="99134", gender="female")
BASE = [
    {"type": "licence_issued", "id": "g-l1", "issued_on": "2001-05-10", "categories": ["B"]},
    {"type": "category_obtained", "id": "g-c1", "obtained_on": "2015-03-01", "category": "C", "valid_until": "2025-03-01"},
]
SIMULTANEOUS = [
    {"type": "offence", "id": f"g-s{i}", "committed_on": "2026-01-10", "established_on": "2026-03-01",
     "established_by": "final_conviction", "points": p, "offence_class": "DELIT" if p == 6 else "C4",
     "label": label, "natinf": natinf, "place": "Valence (26)", "simultaneous_group": "g-1"}
    for i, (p, label, natinf) in enumerate([(6, "Conduite sous l'empire d'un état alcoolique", "10215"),
                                             (4, "Franchissement d'une ligne continue", "20561"),
                                             (3, "Usage d'un téléphone tenu en main", "22993")])
]


async def _file(register, events, neph=NEPH, as_of=AS_OF):
    await register.add_extract("test-statement", dt.datetime(2026, 11, 25, 22, tzinfo=dt.UTC))
    await register.add_holder(msgspec_replace(HOLDER, neph=neph), "test-statement")
    await register.add_events(neph, decode_events(events), "test-statement")
    return await licence_file(register, neph, as_of)


def msgspec_replace(struct, **changes):
    import msgspec

    return msgspec.structs.replace(struct, **changes)


async def test_simultaneous_offences_show_the_cap_applied(register):
    content = build_content(await _file(register, BASE + SIMULTANEOUS))
    offences = {o.event_id: o for o in content.offences}
    assert sum(o.withdrawn for o in offences.values()) == 8  # L223-2: at most 8 points for one check
    capped = [o for o in offences.values() if o.cap]
    assert capped and all("L223-2" in o.cap and "simultanément" in o.cap for o in capped)
    assert all(o.natinf and o.place == "Valence (26)" and o.established_by for o in offences.values())
    assert content.identity.birth_place == "hors de France" and "99134" not in content.identity.birth_country
    categories = {c.category: c for licence in content.licences for c in licence.categories}
    assert categories["C"].validity == "expirée depuis le 1er mars 2025"


async def test_a_cancelled_offence_is_listed_as_cancelled_and_withdraws_nothing(register):
    events = BASE + SIMULTANEOUS[1:2] + [
        {"type": "cancellation", "id": "g-x1", "cancels": "g-s1", "cancelled_on": "2026-06-01",
         "reason": "relaxe prononcée par le tribunal"}]
    content = build_content(await _file(register, events))
    (offence,) = content.offences
    assert offence.withdrawn == 0 and offence.cap is None
    assert offence.cancelled == "Annulation du 01/06/2026 : relaxe prononcée par le tribunal"
    (cancellation,) = content.cancellations
    assert cancellation.event_id == "g-s1" and "Franchissement d'une ligne continue" in cancellation.what
    assert content.balance == 12


async def test_an_event_not_yet_known_on_the_statement_date_is_not_listed(register):
    late = {**SIMULTANEOUS[2], "simultaneous_group": None, "id": "g-late", "recorded_on": "2026-12-20"}
    del late["simultaneous_group"]
    content = build_content(await _file(register, BASE + [late]))
    assert content.offences == []


async def test_a_file_the_engine_refuses_still_gets_an_honest_sealed_statement(register):
    events = [{"type": "licence_issued", "id": "r-l1", "issued_on": "1980-01-01", "categories": ["B"]},
              {"type": "offence", "id": "r-o1", "committed_on": "1991-01-01", "established_on": "1991-02-01",
               "established_by": "final_conviction", "points": 4, "offence_class": "DELIT", "label": "Délit ancien"}]
    file = await _file(register, events, neph="800101100001")
    assert file.result is None
    content = build_content(file)
    assert content.status == "Non calculé" and content.balance is None and "1992" in content.problem
    assert [o.label for o in content.offences] == ["Délit ancien"]
    keyring = Keyring.parse(new_private_key("t"))
    statement = issue(file, dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC), keyring, "https://pp.example")
    assert verify(keyring, statement.seal.code).authentic
    page = create_environment().get_template("pages/statement.html").render(
        {"request": None, "viewer": None, **context(statement)})
    assert "Solde non calculé" in page and "Délit ancien" in page and "Solde de points" not in page


async def test_the_digest_follows_the_content_not_the_time_of_issue(register):
    file = await _file(register, BASE + SIMULTANEOUS)
    keyring = Keyring.parse(new_private_key("t"))
    first = issue(file, dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC), keyring, "https://pp.example")
    again = issue(file, dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC), keyring, "https://pp.example")
    assert first.seal.digest == again.seal.digest and first.seal.code != again.seal.code
    assert canonical(build_content(file)) == canonical(build_content(file))
    assert first.verify_url == f"https://pp.example/verifier?code={first.seal.compact_code}"

    shorter = await licence_file(register, NEPH, dt.date(2026, 2, 1))  # before the offences became definitive
    assert content_digest(canonical(build_content(shorter))) != first.seal.digest


@pytest.mark.parametrize("neph", ["100000000001", "100000000002", "100000000003", "100000000004",
                                  "100000000005", "100000000006", "100000000007", "100000000008"])
async def test_every_showcase_file_gets_a_statement_that_renders(register, neph):
    file = await licence_file(register, neph, AS_OF)
    statement = issue(file, dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC), Keyring.parse(new_private_key("t")),
                      "https://pp.example")
    page = create_environment().get_template("pages/statement.html").render(
        {"request": None, "viewer": None, **context(statement)})
    assert neph in page and file.holder.family_name in page
    assert statement.content.status != "Non calculé"


def _section(page: str, heading_id: str) -> str:
    """The text of the page's <section> whose heading has this id (tags stripped)."""
    import html as html_module
    import re

    start = page.index(f'id="{heading_id}"')
    body = page[start:page.index("</section>", start)]
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


CHAIN = [
    {"type": "offence", "id": "g-o1", "committed_on": "2026-01-10", "established_on": "2026-03-01",
     "established_by": "fixed_fine_paid", "points": 4, "offence_class": "C4",
     "label": "Franchissement d'une ligne continue"},
    {"type": "cancellation", "id": "g-x1", "cancels": "g-o1", "cancelled_on": "2026-05-01", "reason": "relaxe"},
    {"type": "cancellation", "id": "g-x2", "cancels": "g-x1", "cancelled_on": "2026-07-01", "reason": "appel du parquet"},
    {"type": "cancellation", "id": "g-x3", "cancels": "g-x2", "cancelled_on": "2026-09-01", "reason": "cassation"},
]


@pytest.mark.parametrize(("as_of", "offence_in_force"), [
    (dt.date(2026, 6, 1), False),   # x-1 cancels the offence
    (dt.date(2026, 8, 1), True),    # x-2 cancels x-1: the offence is reinstated
    (dt.date(2026, 10, 1), False),  # x-3 cancels x-2: x-1 is back, the offence cancelled again
], ids=["cancelled", "cancellation-cancelled", "three-deep"])
async def test_the_statement_shows_each_event_in_the_engines_one_state(register, as_of, offence_in_force):
    """Cancellations of cancellations (points-rules.md §1): the page and the balance agree on every event."""
    file = await _file(register, BASE + CHAIN, neph="150399100043", as_of=as_of)
    engine_cancelled = {c.event_id for c in file.result.cancelled}
    assert ("g-o1" not in engine_cancelled) is offence_in_force
    statement = issue(file, dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC), Keyring.parse(new_private_key("t")),
                      "https://pp.example")
    page = create_environment().get_template("pages/statement.html").render(
        {"request": None, "viewer": None, **context(statement)})
    offences = _section(page, "releve-infractions")
    annulled = _section(page, "releve-annulations")
    # The offence: withdrawn (counted in the balance) or annulled, never both.
    withdrawn_text, annulled_text = "Points retirés : 4 points", "Points retirés : aucun, décision annulée"
    assert (withdrawn_text in offences, annulled_text in offences) == (offence_in_force, not offence_in_force)
    assert ("Franchissement d'une ligne continue" in annulled) is not offence_in_force
    assert file.result.balance == (8 if offence_in_force else 12)
    # Each cancellation: listed as annulled exactly when the engine says it is not in force.
    assert [c.event_id for c in statement.content.cancellations] == [c.event_id for c in file.result.cancelled]
    listed = annulled.count("Annulation d'une décision du")
    assert listed == len(engine_cancelled - {"g-o1"})
