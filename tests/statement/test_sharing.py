"""Consent share codes: the driver's journey (/partage) and the third party's (/consulter), through
the real app on the register's demo database and a real account."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from backend.statement.codes import SHARE_DIGITS, new_share_code
from backend.statement.sharing import coarse_origin
from backend.statement.throttle import SHARE_FAILURES
from tests.statement.test_proof import main_text
from tests.statement.test_routes import LONG, OTHER

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
CODE = re.compile(r'class="share-code">([0-9A-Z*~$=-]{26})<')


def choices(**overrides: str) -> dict[str, str]:
    return {"purpose": "employeur", "purpose_other": "", "shows": "rights", "days": "7", "use": "single", **overrides}


async def create(client, **overrides: str) -> str:
    response = await client.post("/partage", data={"_csrf_token": client.csrf_token, **choices(**overrides)})
    assert response.status_code == 201, main_text(response.text)[:500]
    return CODE.search(response.text).group(1)


async def third_party(harness):
    """A browser without an account, holding the public page's CSRF token (as its form does)."""
    browser = await harness.client()
    browser.headers["user-agent"] = FIREFOX
    browser.csrf_token = await harness.csrf(browser, "/consulter")
    return browser


async def open_code(browser, code: str):
    return await browser.post("/consulter", data={"_csrf_token": browser.csrf_token, "code": code})


async def test_a_rights_only_code_shows_rights_once_and_the_driver_sees_the_use(signed_in_client):
    client = await signed_in_client(LONG)
    code = await create(client, purpose="location")
    assert len(code.replace("-", "")) == SHARE_DIGITS + 1
    page = main_text((await client.get("/partage")).text)
    assert "Location de véhicule — code se terminant par " + code.replace("-", "")[-4:] in page
    assert "Jamais consulté" in page and code not in page  # shown once, then only its last characters

    browser = await third_party(signed_in_client.harness)
    response = await open_code(browser, code.lower().replace("-", " "))
    assert response.status_code == 200 and "no-store" in response.headers["cache-control"]
    body = main_text(response.text)
    assert "Code de partage valable" in body and "« Location de véhicule »" in body
    assert "MARTIN" in body and LONG in body and "Catégories du permis" in body and "Statut du permis" in body
    assert "Solde de points" not in body

    again = await open_code(browser, code)  # single use
    assert again.status_code == 410 and "déjà été utilisé" in again.text and "MARTIN" not in main_text(again.text)

    page = main_text((await client.get("/partage")).text)
    assert "Consultations (1)" in page and "Firefox sous Windows" in page and "Utilisé" in page
    assert "127.0.0.1" not in page and "testclient" not in page


async def test_a_multi_use_code_with_balance_works_until_revoked(signed_in_client):
    client = await signed_in_client(LONG)
    code = await create(client, purpose="autre", purpose_other="Agence d'intérim Martin", shows="rights_balance",
                        use="multiple", days="21")
    browser = await third_party(signed_in_client.harness)
    for _ in range(2):
        body = main_text((await open_code(browser, code)).text)
        assert "« Agence d'intérim Martin »" in body and "Solde de points" in body
    share_id = re.search(r'action="/partage/(\d+)/revoquer"', (await client.get("/partage")).text).group(1)
    other = await signed_in_client(OTHER)
    assert (await other.post(f"/partage/{share_id}/revoquer", data={"_csrf_token": other.csrf_token})).status_code == 404
    assert (await client.post(f"/partage/{share_id}/revoquer", data={})).status_code == 403
    response = await client.post(f"/partage/{share_id}/revoquer", data={"_csrf_token": client.csrf_token})
    assert response.status_code == 303
    refused = await open_code(browser, code)
    assert refused.status_code == 410 and "révoqué" in refused.text and "MARTIN" not in main_text(refused.text)
    page = main_text((await client.get("/partage?info=code-revoque")).text)
    assert "Consultations (2)" in page and "Révoqué le" in page and "ne donne plus accès" in page


async def test_a_code_expires_after_the_days_chosen(signed_in_client):
    client = await signed_in_client(LONG)
    start = dt.datetime.now(dt.UTC)
    client.app.state.proof_clock = lambda: start
    code = await create(client, days="3", use="multiple")
    browser = await third_party(signed_in_client.harness)
    client.app.state.proof_clock = lambda: start + dt.timedelta(days=3, seconds=-1)
    assert (await open_code(browser, code)).status_code == 200
    client.app.state.proof_clock = lambda: start + dt.timedelta(days=3)
    response = await open_code(browser, code)
    assert response.status_code == 410 and "expiré" in response.text
    assert "Expiré" in main_text((await client.get("/partage")).text)


@pytest.mark.parametrize("form, field, message", [
    (choices(purpose=""), "purpose", "à qui vous destinez"),
    (choices(purpose="autre"), "purpose_other", "Précisez"),
    (choices(purpose="autre", purpose_other="x" * 61), "purpose_other", "60 caractères"),
    (choices(days="22"), "days", "de 1 à 21 jours"),
    (choices(days="0"), "days", "de 1 à 21 jours"),
    (choices(days="-3"), "days", "en chiffres"),
    (choices(days="99999999999999999999"), "days", "en chiffres"),
    (choices(days="sept"), "days", "en chiffres"),
    (choices(shows="everything"), "shows", "Choisissez ce que"),
    (choices(use="forever"), "use", "une seule fois ou plusieurs"),
])
async def test_bad_choices_get_an_error_summary_and_keep_what_was_typed(signed_in_client, form, field, message):
    client = await signed_in_client(LONG)
    response = await client.post("/partage", data={"_csrf_token": client.csrf_token, **form})
    assert response.status_code == 400
    assert "<title>Erreur : " in response.text and "Il y a un problème" in response.text
    assert f'href="#{field}"' in response.text and message in response.text
    assert 'aria-invalid="true"' in response.text or 'class="field field--error"' in response.text
    assert "Mes codes de partage (0)" in main_text(response.text)  # nothing half-made


async def test_malformed_posts_never_give_a_500(signed_in_client):
    client = await signed_in_client(LONG)
    headers = {"content-type": "application/x-www-form-urlencoded"}
    for body in (b"_csrf_token=" + client.csrf_token.encode() + b"&days=\xff\xfe&purpose=\xc3",
                 b"_csrf_token=" + client.csrf_token.encode() + b"&days=1&days=2&purpose=employeur"):
        response = await client.post("/partage", content=body, headers=headers)
        assert response.status_code < 500, response.status_code
    assert (await client.post("/partage", data={"_csrf_token": "faux", **choices()})).status_code == 403
    assert (await client.post("/partage/99999999/revoquer", data={"_csrf_token": client.csrf_token})).status_code == 404
    assert (await client.post("/partage/abc/revoquer", data={"_csrf_token": client.csrf_token})).status_code in (400, 404)
    browser = await third_party(signed_in_client.harness)
    for code in ("", "x" * 5000, "ÉÉÉ", new_share_code()[:-1] + "#"):
        response = await open_code(browser, code)
        assert response.status_code == 400 and "Il y a un problème" in response.text, code[:20]
    response = await browser.post("/consulter", headers=headers,
                                  content=b"_csrf_token=" + browser.csrf_token.encode() + b"&code=\xff\xfe%FF")
    assert response.status_code < 500


async def test_opening_codes_is_rate_limited_and_a_guess_opens_nothing(signed_in_client):
    client = await signed_in_client(LONG)
    genuine = await create(client, use="multiple")
    browser = await third_party(signed_in_client.harness)
    for _ in range(SHARE_FAILURES.attempts):
        response = await open_code(browser, new_share_code())
        assert response.status_code == 404 and "Aucun code de partage" in response.text
    response = await open_code(browser, genuine)
    assert response.status_code == 429 and "MARTIN" not in main_text(response.text)


async def test_the_files_access_log_shows_a_third_partys_use_of_a_share_code(signed_in_client):
    client = await signed_in_client(LONG)
    code = await create(client, purpose="assurance")
    browser = await third_party(signed_in_client.harness)
    assert (await open_code(browser, code)).status_code == 200
    rows = await client.app.state.access_log.entries(neph=LONG)
    uses = [r for r in rows if r.get("channel") == "share_code"]
    assert len(uses) == 1 and uses[0]["page"] == "/consulter" and uses[0]["account_id"] is None
    assert uses[0]["who"] == "Code de partage « Assurance »" and uses[0]["place"].startswith("Firefox sous Windows")
    assert code.replace("-", "") not in str(rows)


@pytest.mark.parametrize("agent, address, expected", [
    (FIREFOX, "91.198.174.192", "Firefox sous Windows, réseau 91.198.x.x"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1",
     "2a01:cb00:1234:5678::1", "Safari sous iOS, réseau 2a01:cb00::/32"),
    ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36", "10.1.2.3",
     "Chrome sous Android, réseau local ou privé"),
    ("curl/8.0", "::ffff:82.64.10.20", "navigateur non reconnu, réseau 82.64.x.x"),
    (None, None, "navigateur non reconnu"),
])
def test_where_a_use_came_from_is_coarse(agent, address, expected):
    assert coarse_origin(agent, address) == expected
