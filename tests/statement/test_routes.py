"""/releve, /releve.pdf and /verifier through the real app, on the register's demo database,
signed in through a real account and session (accounts' `signed_in_client`)."""

from __future__ import annotations

import datetime as dt
import html
import io
import re

import msgspec
import pypdf
import pytest
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from backend.law.events import Offence
from backend.records.service import licence_file
from backend.statement.codes import normalise
from backend.statement.content import build_content, canonical
from backend.statement.documents import Documents
from backend.statement.seal import (Keyring, SealError, content_digest, new_private_key, public_key_of, read_code,
                                    sign)

LONG = "100000000001"  # the demo's long, eventful record (backend/demo/generator.py)
OTHER = "100000000005"
SECTIONS = ["Titulaire", "Situation du permis", "Permis et catégories", "Infractions", "Points restitués",
            "Stages de sensibilisation", "Visites médicales", "Suspensions", "Invalidation, annulation",
            "Décisions annulées", "Cachet et code de vérification", "Ce que ce relevé n'est pas"]
SHORT = re.compile(r'statement-short-code">([0-9A-Z*~$=-]{19})<')


def page_text(body: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


async def offences_of(client, neph: str) -> list[Offence]:
    events = await client.app.state.register.get_events(neph)
    return [e for e in events if isinstance(e, Offence)]


async def test_the_statement_page_shows_the_drivers_whole_file(signed_in_client):
    client = await signed_in_client(LONG)
    response = await client.get("/releve")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    text = page_text(response.text)
    for section in SECTIONS:
        assert section in text, section
    assert "MARTIN" in text and "Camille Louise" in text and LONG in text
    offences = await offences_of(client, LONG)
    assert len(offences) >= 8
    for offence in offences:
        assert html.unescape(offence.label) in text, offence.label
    assert "Données à jour au 25 novembre 2026 à 23 h 00" in text
    assert "recent" not in text and "peuvent ne pas encore y figurer" in text
    assert response.text.count("<h1") == 1


async def test_the_seal_signs_the_facts_kept_which_carry_the_digest_of_exactly_what_is_shown(signed_in_client):
    client = await signed_in_client(LONG)
    short, seal = await _page_seal(client)
    app = client.app
    file = await licence_file(app.state.register, LONG, app.state.today())
    document = await Documents(app.state.accounts_db).get(short)
    assert seal.neph == LONG and seal.short_code == short and seal.kind == "statement"
    assert document.facts.content_digest == content_digest(canonical(build_content(file))).hex()
    assert document.facts.balance == file.result.balance
    assert abs(seal.issued_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


async def test_the_pdf_is_a_tagged_a4_document_with_every_section_and_offence(signed_in_client):
    client = await signed_in_client(LONG)
    response = await client.get("/releve.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=1))).date()
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(rf'attachment; filename="releve-{LONG}-\d{{4}}-\d{{2}}-\d{{2}}\.pdf"', disposition)
    assert abs(dt.date.fromisoformat(disposition[-15:-5]) - today) <= dt.timedelta(days=1)

    reader = pypdf.PdfReader(io.BytesIO(response.content))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog
    assert catalog["/MarkInfo"]["/Marked"] is True or catalog["/MarkInfo"]["/Marked"] == pypdf.generic.BooleanObject(True)
    assert catalog["/Lang"] == "fr"
    assert reader.metadata.title.startswith(f"Relevé d'information intégral – NEPH {LONG}")
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"]
    for page in reader.pages:  # A4 portrait: 595 × 842 points
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)

    figures = [o for o in _all_objects(reader) if o.get("/S") == "/Figure"]
    assert figures and all(str(f.get("/Alt", "")).startswith("Code QR de vérification") for f in figures)
    headings = [o.get("/S") for o in _all_objects(reader) if o.get("/S") in ("/H1", "/H2")]
    assert headings.count("/H1") == 1 and headings.count("/H2") >= len(SECTIONS) - 1

    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    for section in SECTIONS:
        assert section in text, section
    for offence in await offences_of(client, LONG):
        assert offence.label in text, offence.label
    assert f"Page 1 sur {len(reader.pages)}" in text
    assert f"Page {len(reader.pages)} sur {len(reader.pages)}" in text


def _all_objects(reader: pypdf.PdfReader):
    seen: set[int] = set()
    stack = [reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            yield obj
            stack.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


async def test_the_pdf_references_nothing_outside_itself(signed_in_client):
    client = await signed_in_client(LONG)
    reader = pypdf.PdfReader(io.BytesIO((await client.get("/releve.pdf")).content))
    objects = list(_all_objects(reader))
    assert len(objects) > 50  # the walk did reach the pages, fonts and structure tree
    for obj in objects:
        assert "/URI" not in obj and "/URL" not in obj, obj
        action = obj.get("/S")
        assert action not in ("/URI", "/Launch", "/GoToR", "/ImportData", "/SubmitForm", "/JavaScript"), obj
        if obj.get("/Type") == "/Filespec" or "/FS" in obj:
            raise AssertionError(f"external file reference: {obj}")


async def test_the_pdf_code_verifies_and_names_the_same_neph(signed_in_client):
    client = await signed_in_client(LONG)
    reader = pypdf.PdfReader(io.BytesIO((await client.get("/releve.pdf")).content))
    text = " ".join(page.extract_text() for page in reader.pages)
    code = text.split("Code de vérification :")[1].split("Vérifiable jusqu'au")[0].strip()
    assert len(code.replace("-", "")) == 16
    response = await client.get("/verifier", params={"code": code})
    body = page_text(response.text)
    assert response.status_code == 200 and "Relevé d'information intégral authentique" in body and LONG in body
    # the PDF and the page of the same day carry the same document, hence the same code
    assert normalise(code) == (await _page_seal(client))[0]


async def _page_seal(client):
    """The short code printed on /releve, and the full seal its QR code carries (kept with it)."""
    response = await client.get("/releve")
    short = normalise(SHORT.search(response.text).group(1))
    document = await Documents(client.app.state.accounts_db).get(short)
    return short, read_code(document.seal_code)


async def test_the_verifier_is_public_and_confirms_a_genuine_statement(signed_in_client):
    client = await signed_in_client(LONG)
    short, seal = await _page_seal(client)
    stranger = await signed_in_client.harness.client()  # signed out
    for code in (seal.code, short, short.lower()):
        response = await stranger.get("/verifier", params={"code": code})
        assert response.status_code == 200
        body = page_text(response.text)
        assert "Relevé d'information intégral authentique" in body
        # The signed facts themselves, to compare with the paper.
        assert LONG in body and "MARTIN" in body and "Solde de points" in body and "Catégories du permis" in body
    form = await stranger.get("/verifier")
    assert form.status_code == 200 and 'method="get" action="/verifier"' in form.text


@pytest.mark.parametrize("change", ["neph", "issued_at", "digest"])
async def test_changing_the_neph_the_date_or_the_content_makes_the_verifier_refuse(signed_in_client, change):
    client = await signed_in_client(LONG)
    _, seal = await _page_seal(client)
    tampered = {
        "neph": {"neph": OTHER},
        "issued_at": {"issued_at": seal.issued_at - dt.timedelta(days=30)},
        "digest": {"digest": bytes([seal.digest[0] ^ 1]) + seal.digest[1:]},
    }[change]
    response = await client.get("/verifier", params={"code": msgspec.structs.replace(seal, **tampered).code})
    body = page_text(response.text)
    assert "Document non authentique" in body and "Ce code est authentique" not in body
    assert OTHER not in body and "MARTIN" not in body


def _caught_typo(code: str, position: int = 10) -> str:
    """`code` with one character mistyped, as its typing check catches it. The check is one byte: one
    typo in 256 passes it and is then refused by the signature (test_changing_the_neph_…); the seal
    depends on the time, so the typo is chosen among several to keep the test deterministic."""
    for wrong in "ABCDEFGHJK":
        typo = code[:position] + wrong + code[position + 1:]
        if typo == code:
            continue
        try:
            read_code(typo)
        except SealError:
            return typo
    raise AssertionError(f"no typo at position {position} fails the typing check of {code}")


async def test_an_unknown_key_is_refused_and_a_mistyped_code_is_a_field_error(signed_in_client):
    client = await signed_in_client(LONG)
    stranger = Keyring.parse(new_private_key("zz9"))
    foreign = sign(stranger, neph=LONG, issued_at=dt.datetime.now(dt.UTC), digest=bytes(16))
    body = page_text((await client.get("/verifier", params={"code": foreign.code})).text)
    assert "Vérification impossible" in body and "« zz9 »" in body and "ne connaît pas" in body
    assert "Ce code est authentique" not in body

    _, seal = await _page_seal(client)
    response = await client.get("/verifier", params={"code": _caught_typo(seal.compact_code)})
    assert response.status_code == 400
    assert "Il y a un problème" in response.text and 'href="#code"' in response.text
    assert 'aria-invalid="true"' in response.text and "mal recopié" in response.text
    assert "<title>Erreur : " in response.text


async def test_statements_sealed_before_a_key_rotation_still_verify(signed_in_client):
    client = await signed_in_client(LONG)
    old_private = new_private_key("old1")
    client.app.state.seal_keyring = Keyring.parse(old_private)
    old_short, old_seal = await _page_seal(client)
    assert old_seal.key_id == "old1"
    client.app.state.seal_keyring = Keyring.parse(new_private_key("new1"), public_key_of(old_private))
    await Documents(client.app.state.accounts_db).revoke(LONG, old_short, dt.datetime.now(dt.UTC))  # else reused today
    assert (await _page_seal(client))[1].key_id == "new1"
    body = page_text((await client.get("/verifier", params={"code": old_seal.code})).text)
    assert "révoqué" in body  # the old key still vouches for the record: the verdict is its revocation
    old_v1 = sign(Keyring.parse(old_private), neph=LONG, issued_at=dt.datetime.now(dt.UTC), digest=bytes(16))
    body = page_text((await client.get("/verifier", params={"code": old_v1.code})).text)
    assert "Code authentique" in body and LONG in body  # version 1 codes issued before short codes
    # Once the old public key is dropped, its statements can no longer be vouched for.
    client.app.state.seal_keyring = Keyring.parse(new_private_key("new1"))
    for code in (old_seal.code, old_v1.code):
        body = page_text((await client.get("/verifier", params={"code": code})).text)
        assert "Vérification impossible" in body


async def test_a_driver_only_ever_gets_their_own_statement(signed_in_client):
    client = await signed_in_client(LONG)
    other_holder = await client.app.state.register.get_holder(OTHER)
    for url in (f"/releve?neph={OTHER}", f"/releve.pdf?neph={OTHER}", f"/releve/{OTHER}"):
        response = await client.get(url)
        content = response.text if "pdf" not in url else ""
        if response.status_code == 200 and url.startswith("/releve.pdf"):
            reader = pypdf.PdfReader(io.BytesIO(response.content))
            content = " ".join(page.extract_text() for page in reader.pages)
        assert OTHER not in content and other_holder.family_name not in content, url
    other = await signed_in_client(OTHER)
    text = page_text((await other.get("/releve")).text)
    assert OTHER in text and other_holder.family_name in text and LONG not in text


async def test_signed_out_visitors_are_sent_to_sign_in(signed_in_client):
    stranger = await signed_in_client.harness.client()
    for url in ("/releve", "/releve.pdf"):
        response = await stranger.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/connexion"), url


async def test_without_a_signing_key_no_unsealed_statement_is_handed_out(signed_in_client):
    client = await signed_in_client(LONG)
    client.app.state.seal_keyring = Keyring.parse("", public_key_of(new_private_key("old1")))
    for url in ("/releve", "/releve.pdf"):
        response = await client.get(url)
        assert response.status_code >= 500, url  # the web area's error page (503 is shown as its 500 page)
        assert LONG not in response.text and "MARTIN" not in response.text


@pytest.mark.parametrize("neph", [LONG, "100000000002", "100000000003", "100000000006"])
async def test_the_statement_and_the_balance_page_say_the_same(signed_in_client, neph):
    """Same engine, same data, same day: the balance, ceiling and status agree with /solde."""
    client = await signed_in_client(neph)
    balance_page = (await client.get("/solde")).text
    meter = re.search(r'<meter class="balance__meter" min="0" max="(\d+)" value="(\d+)"', balance_page)
    statement = page_text((await client.get("/releve")).text)
    assert meter or neph != LONG
    if meter:
        maximum, balance = int(meter.group(1)), int(meter.group(2))
        assert f"Solde de points {balance} point" in statement
        assert f"Nombre maximal de points {maximum} point" in statement
    file = await licence_file(client.app.state.register, neph, client.app.state.today())
    content = build_content(file)
    assert content.balance == file.result.balance and content.maximum == file.result.maximum
    assert f"Statut du permis {content.status}" in statement
