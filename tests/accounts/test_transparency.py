"""/compte shows the holder every account linked to their file and who viewed it; a holder signed
in through FranceConnect (identity pivot match) removes another account's link."""

from __future__ import annotations

import html
import re

from tests.accounts.provider_browser import authorize, path_and_query
from tests.accounts.test_linking import RIGHT, link
from tests.fixtures.accounts import HOLDERS, wait_for_mail

MARTIN, DUBOIS = HOLDERS[0], HOLDERS[1]
CALLBACK = "http://testserver.local/auth/franceconnect/callback"


def access_rows(page: str) -> list[tuple[str, ...]]:
    """The access log table as text cells (who, page), newest first."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert body, "no access log table"
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", " ", cell)).split() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        rows.append(tuple(" ".join(cell) for cell in cells[1:]))
    return rows


def linked_titles(page: str) -> list[str]:
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", t)).split())
            for t in re.findall(r'<h3 class="linked-accounts__title">(.*?)</h3>', page, re.S)]


async def test_account_page_lists_linked_accounts_and_who_viewed_the_file(accounts_harness):
    harness = accounts_harness
    holder = await harness.signed_in(MARTIN.neph, email="titulaire@exemple.test")
    other = await harness.signed_in(MARTIN.neph, email="autre@exemple.test")
    stranger = await harness.signed_in(DUBOIS.neph, email="voisin@exemple.test")
    await holder.get("/solde")
    harness.clock.advance(60)
    await other.get("/historique")
    await stranger.get("/solde")  # another file: never on Martin's page
    harness.clock.advance(60)
    # A third party through a share code (helper proof's interface, no import of accounts).
    await harness.app.state.access_log.record_third_party(MARTIN.neph, "/partage/{code:str}",
                                                          "Code de partage « Location de véhicule »", "France")
    page = await holder.get("/compte")
    assert page.status_code == 200
    assert linked_titles(page.text) == ["ti…@exemple.test (ce compte)", "au…@exemple.test"]
    assert "voisin" not in page.text and "vo…@" not in page.text
    assert access_rows(page.text) == [
        ("Code de partage « Location de véhicule » Code de partage (sans compte), France", "/partage/{code:str}"),
        ("au…@exemple.test Compte avec adresse électronique et mot de passe", "Historique du dossier"),
        ("Vous (ce compte) Compte avec adresse électronique et mot de passe", "Solde de points"),
    ]
    # Signed in with a password, the holder is told how to remove a link, but cannot here.
    assert "Retirer ce lien" not in page.text and "connectez-vous avec FranceConnect" in page.text
    # Viewing /compte itself is no view of the file.
    assert [e["page"] for e in await harness.accounts.access_log.entries(neph=MARTIN.neph)].count("/compte") == 0


async def test_franceconnect_holder_removes_another_link_and_it_is_told(fc_harness):
    harness = fc_harness
    intruder = await harness.signed_in(None, email="intrus@exemple.test")
    assert (await link(harness, intruder, **RIGHT)).status_code == 303
    password_holder = await harness.signed_in(MARTIN.neph, email="titulaire@exemple.test")

    holder = await harness.client()
    start = await holder.get("/auth/franceconnect/connexion?retour=/compte")
    callback = await authorize(start.headers["location"], "camille", CALLBACK)
    signed_in = await holder.get(path_and_query(callback))
    assert signed_in.headers["location"] == "/compte"
    # A FranceConnect sign-in renews the CSRF token too (the browser drops the one it had).
    assert any(c.startswith("pp_csrf=") and "max-age=0" in c.lower() for c in signed_in.headers.get_list("set-cookie"))
    # The FranceConnect link is new to the file: its other accounts are told.
    await wait_for_mail(harness.inbox, "intrus@exemple.test")
    page = await holder.get("/compte")
    assert linked_titles(page.text)[-1] == "Compte sans adresse électronique (ce compte)"
    holder.account_id = (await harness.accounts.sessions.load(holder.cookies.get(harness.accounts.sessions.cookie_name)))[0].account_id
    removals = re.findall(r'href="(/compte/liens/(\d+)/retirer)"', page.text)
    assert {int(i) for _, i in removals} == {intruder.account_id, password_holder.account_id}
    path = f"/compte/liens/{intruder.account_id}/retirer"

    confirm = await holder.get(path)
    assert confirm.status_code == 200 and "in…@exemple.test" in confirm.text
    assert (await holder.post(path, data={"confirmation": "oui"})).status_code == 403  # no CSRF token
    assert (await intruder.get("/solde")).status_code == 200  # nothing changed
    token = await harness.csrf(holder, path)
    removed = await holder.post(path, data={"confirmation": "oui", "_csrf_token": token})
    assert removed.status_code == 303 and removed.headers["location"] == "/compte?info=retire"

    mails = await wait_for_mail(harness.inbox, "intrus@exemple.test", count=2)
    assert mails[-1]["subject"] == "Votre compte n'est plus relié à un dossier de permis"
    assert (await intruder.get("/solde")).headers["location"] == "/compte/lier"
    # The same facts no longer link this account (the same answer as any wrong fact).
    again = await link(harness, intruder, **RIGHT)
    assert again.status_code == 400 and "ne correspondent à aucun dossier" in again.text
    page = await holder.get("/compte")
    assert "in…@exemple.test" not in " ".join(linked_titles(page.text))

    # A password session of the file (not proven by identity) cannot remove a link.
    denied = await password_holder.get(f"/compte/liens/{intruder.account_id}/retirer")
    assert denied.status_code == 403 and "FranceConnect" in denied.text
    token = await harness.csrf(password_holder, "/compte")
    refused = await password_holder.post(f"/compte/liens/{holder.account_id}/retirer",
                                         data={"confirmation": "oui", "_csrf_token": token})
    assert refused.status_code == 403
    assert (await password_holder.get("/solde")).status_code == 200


async def test_franceconnect_holder_cannot_remove_their_own_link_or_another_files(fc_harness):
    harness = fc_harness
    neighbour = await harness.signed_in(DUBOIS.neph, email="voisin@exemple.test")
    holder = await harness.client()
    start = await holder.get("/auth/franceconnect/connexion?retour=/compte")
    await holder.get(path_and_query(await authorize(start.headers["location"], "camille", CALLBACK)))
    session = holder.cookies.get(harness.accounts.sessions.cookie_name)
    viewer, _ = await harness.accounts.sessions.load(session)
    assert viewer.holder_proven and viewer.neph == MARTIN.neph
    for target in (viewer.account_id, neighbour.account_id, 999_999):
        assert (await holder.get(f"/compte/liens/{target}/retirer")).status_code == 404
        token = await harness.csrf(holder, "/compte")
        refused = await holder.post(f"/compte/liens/{target}/retirer", data={"confirmation": "oui", "_csrf_token": token})
        assert refused.status_code == 404
    assert (await neighbour.get("/solde")).status_code == 200
