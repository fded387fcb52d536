"""The verifier proves content: short codes designate kept, sealed documents whose facts it shows;
revoked and expired documents say so; the attestation of driving rights. Through the real app on
the register's demo database, signed in through a real account (accounts' `signed_in_client`)."""

from __future__ import annotations

import datetime as dt
import io
import re

import msgspec
import pypdf
import pytest

from backend.law import dates as law_dates
from backend.law.dates import PARIS
from backend.records.service import licence_file
from backend.statement import render as statement_render
from backend.statement.codes import grouped, normalise
from backend.statement.content import build_content
from backend.statement.attestation import validity_end
from backend.statement.documents import Documents
from backend.statement.pdf import render_pdf
from backend.statement.throttle import VERIFY_FAILURES
from tests.statement.test_routes import LONG, OTHER, SHORT, page_text

ATTESTATION = "Attestation de droits à conduire"


def main_text(html: str) -> str:
    """The page's own content, without the site menu (which has a "Solde" entry)."""
    return page_text(re.search(r"<main.*?</main>", html, re.S).group(0))


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


async def short_code_on(client, url: str) -> str:
    response = await client.get(url)
    assert response.status_code == 200, url
    return normalise(SHORT.search(response.text).group(1))


async def test_a_forged_pdf_is_contradicted_by_the_verifier_which_shows_the_true_balance(signed_in_client):
    client = await signed_in_client(LONG)
    app = client.app
    short = await short_code_on(client, "/releve")
    document = await Documents(app.state.accounts_db).get(short)
    true_balance = document.facts.balance
    assert true_balance is not None
    # The forger keeps the genuine seal, QR code and short code and edits the balance in the text.
    file = await licence_file(app.state.register, LONG, app.state.today())
    content = build_content(file)
    assert content.balance == true_balance
    forged_balance = 12 if true_balance != 12 else 6
    forged = statement_render.present(msgspec.structs.replace(content, balance=forged_balance), document.seal,
                                      app.state.settings.base_url, short_code=short, valid_until=document.valid_until)
    text = pdf_text(render_pdf(statement_render.pdf_document(app.state.templates, forged)))
    assert f"Solde de points {forged_balance} points" in text
    printed = re.search(r"Code de vérification : ([0-9A-Z*~$=-]{19})", text).group(1)
    assert normalise(printed) == short

    stranger = await signed_in_client.harness.client()
    body = page_text((await stranger.get("/verifier", params={"code": printed})).text)
    assert "Relevé d'information intégral authentique" in body
    assert f"Solde de points {true_balance} point" in body and f"sur {document.facts.maximum} points" in body
    assert f"Solde de points {forged_balance} points" not in body
    assert "MARTIN" in body and LONG in body and "Données du fichier national à jour au" in body


async def test_a_short_code_with_one_character_changed_is_refused_before_any_lookup(signed_in_client):
    client = await signed_in_client(LONG)
    short = await short_code_on(client, "/releve")
    for position in (0, 7, 14, 15):
        changed = short[:position] + ("7" if short[position] != "7" else "8") + short[position + 1:]
        response = await client.get("/verifier", params={"code": grouped(changed)})
        assert response.status_code == 400, changed
        assert "mal recopié" in response.text and 'aria-invalid="true"' in response.text
        assert "MARTIN" not in page_text(response.text)


async def test_the_page_and_the_pdf_of_the_day_carry_one_document(signed_in_client):
    client = await signed_in_client(LONG)
    short = await short_code_on(client, "/releve")
    assert await short_code_on(client, "/releve") == short
    text = pdf_text((await client.get("/releve.pdf")).content)
    assert grouped(short) in text
    assert len(await Documents(client.app.state.accounts_db).of_holder(LONG)) == 1


async def test_a_revoked_statement_says_so_and_shows_nothing(signed_in_client):
    client = await signed_in_client(LONG)
    short = await short_code_on(client, "/releve")
    seal_code = (await Documents(client.app.state.accounts_db).get(short)).seal_code
    other = await signed_in_client(OTHER)
    # Another driver cannot revoke it (not found), nor can anyone without the CSRF token.
    response = await other.post(f"/partage/documents/{short}/revoquer", data={"_csrf_token": other.csrf_token})
    assert response.status_code == 404
    response = await client.post(f"/partage/documents/{short}/revoquer", data={})
    assert response.status_code == 403
    assert "authentique" in page_text((await client.get("/verifier", params={"code": short})).text)

    response = await client.post(f"/partage/documents/{short}/revoquer", data={"_csrf_token": client.csrf_token})
    assert response.status_code == 303 and response.headers["location"] == "/partage?info=document-revoque"
    stranger = await signed_in_client.harness.client()
    for code in (short, seal_code):
        response = await stranger.get("/verifier", params={"code": code})
        body = page_text(response.text)
        assert response.status_code == 200
        assert "Document révoqué" in body and "révoqué le" in body
        assert "MARTIN" not in body and "Solde de points" not in body
    listing = page_text((await client.get("/partage")).text)
    assert "Révoqué le" in listing
    assert await short_code_on(client, "/releve") != short  # a new statement gets a new code


async def test_a_document_altered_in_the_database_no_longer_verifies(signed_in_client):
    client = await signed_in_client(LONG)
    short = await short_code_on(client, "/releve")
    async with client.app.state.accounts_db.write() as conn:
        cursor = await conn.execute("SELECT facts FROM issued_documents WHERE short_code = ?", (short,))
        (facts,) = tuple(await cursor.fetchone())
        tampered = re.sub(rb'"balance":\d+', b'"balance":12', facts)
        assert tampered != facts or b'"balance":12' in facts
        tampered = tampered.replace(b'"family_name":"MARTIN"', b'"family_name":"DUPONT"')
        await conn.execute("UPDATE issued_documents SET facts = ? WHERE short_code = ?", (tampered, short))
    body = page_text((await client.get("/verifier", params={"code": short})).text)
    assert "Document non authentique" in body and "DUPONT" not in body


async def test_the_attestation_states_rights_not_points_and_its_own_four_month_validity(signed_in_client):
    client = await signed_in_client(LONG)
    response = await client.get("/attestation")
    assert response.status_code == 200 and "no-store" in response.headers["cache-control"]
    body = main_text(response.text)
    assert response.text.count("<h1") == 1 and ATTESTATION in body
    assert "valable 4 mois, jusqu'au" in body and "Catégories du permis" in body and "Statut du permis" in body
    assert "Solde" not in body and "Infraction" not in body
    offences = [e for e in await client.app.state.register.get_events(LONG) if type(e).__name__ == "Offence"]
    assert offences and not any(o.label in body for o in offences)

    short = normalise(SHORT.search(response.text).group(1))
    document = await Documents(client.app.state.accounts_db).get(short)
    assert document.kind == "attestation" and document.facts.balance is None
    issued = document.issued_at.astimezone(PARIS)
    until = document.valid_until.astimezone(PARIS)
    assert until.date() == law_dates.add_months(issued.date(), 4) and until.time() == issued.time()

    stranger = await signed_in_client.harness.client()
    body = main_text((await stranger.get("/verifier", params={"code": grouped(short)})).text)
    assert f"{ATTESTATION} authentique" in body and "MARTIN" in body and "Solde de points" not in body
    for category in document.facts.categories:
        assert category.category in body

    # One minute before the end of validity it still verifies; at the end it has expired.
    client.app.state.proof_clock = lambda: document.valid_until - dt.timedelta(minutes=1)
    assert f"{ATTESTATION} authentique" in page_text((await stranger.get("/verifier", params={"code": short})).text)
    client.app.state.proof_clock = lambda: document.valid_until
    body = page_text((await stranger.get("/verifier", params={"code": short})).text)
    assert "Document expiré" in body and "MARTIN" not in body and "Catégories du permis" not in body


@pytest.mark.parametrize(("issued_utc", "ends_in_paris"), [
    # 23 h 06 in Paris in winter is still 6 December; four months later Paris is on summer time.
    (dt.datetime(2026, 12, 6, 22, 6, 41, 500, tzinfo=dt.UTC), dt.datetime(2027, 4, 6, 23, 6, 41)),
    # 0 h 30 in Paris on 1 March is 28 February in UTC: the day counted is Paris's.
    (dt.datetime(2027, 2, 28, 23, 30, tzinfo=dt.UTC), dt.datetime(2027, 7, 1, 0, 30)),
    # 31 October + 4 months: February has no 31st, so its last day (the law's rounding).
    (dt.datetime(2027, 10, 31, 9, 0, tzinfo=dt.UTC), dt.datetime(2028, 2, 29, 10, 0)),
])
def test_the_attestation_is_valid_four_months_of_the_paris_calendar(issued_utc, ends_in_paris):
    ends = validity_end(issued_utc)
    assert ends.utcoffset() == dt.timedelta(0)
    assert ends.astimezone(PARIS).replace(tzinfo=None) == ends_in_paris


async def test_the_attestation_pdf_is_tagged_and_says_what_the_page_says(signed_in_client):
    client = await signed_in_client(LONG)
    short = await short_code_on(client, "/attestation")
    response = await client.get("/attestation.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert re.fullmatch(rf'attachment; filename="attestation-droits-{LONG}-\d{{4}}-\d{{2}}-\d{{2}}\.pdf"',
                        response.headers["content-disposition"])
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert "/StructTreeRoot" in reader.trailer["/Root"] and reader.trailer["/Root"]["/Lang"] == "fr"
    assert reader.metadata.title.startswith(f"{ATTESTATION} – NEPH {LONG}")
    text = pdf_text(response.content)
    assert grouped(short) in text and "valable 4 mois" in text and f"{ATTESTATION} — NEPH {LONG}" in text
    assert "Solde" not in text


async def test_signed_out_visitors_cannot_issue_or_revoke(signed_in_client):
    stranger = await signed_in_client.harness.client()
    for url in ("/attestation", "/attestation.pdf", "/partage"):
        response = await stranger.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/connexion"), url


async def test_guessing_codes_is_rate_limited_per_client(signed_in_client):
    client = await signed_in_client(LONG)
    genuine = await short_code_on(client, "/attestation")
    stranger = await signed_in_client.harness.client()
    from backend.statement.codes import new_code

    for _ in range(VERIFY_FAILURES.attempts):
        response = await stranger.get("/verifier", params={"code": new_code()})
        assert response.status_code == 200 and "Aucun document" in response.text
    response = await stranger.get("/verifier", params={"code": genuine})
    assert response.status_code == 429 and "Trop de codes erronés" in response.text
    assert "MARTIN" not in page_text(response.text)
