"""FranceConnect and password sign-in in headless Chromium against a live server (uvicorn on a
free loopback port) and the real test provider; axe checks the account pages on the way."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from backend.accounts.testing import create_linked_account
from backend.database.db import Database
from backend.database.stores import accounts_db_for
from tests.fixtures.accounts import HOLDERS, LICENCE_DATES, franceconnect_settings, oidc_provider, seed_database, settings_for
from tests.fixtures.browser import run_axe

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


def serve(app, sock):
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", ws="none",
                            loop="asyncio", http="h11")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    # The socket is bound but listens only once uvicorn has run the app's lifespan: a browser sent
    # before then is refused (seen once in make test, 19:11).
    for _ in range(400):
        if server.started:
            break
        time.sleep(0.025)
    assert server.started, "the live server did not start within 10 s"
    return server, thread


@pytest.fixture
def live_accounts(tmp_path: Path):
    """(base URL, accounts db path, issuer): the app with FranceConnect on a live server."""
    from backend.app import create_app

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    db_path = tmp_path / "browser-accounts.sqlite3"
    asyncio.run(seed_database(db_path))
    with oidc_provider([base], tmp_path) as issuer:
        app = create_app(settings_for(db_path, **franceconnect_settings(issuer, base)))
        server, thread = serve(app, sock)
        try:
            yield base, accounts_db_for(db_path), issuer
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()


def access_rows(db_path, neph):
    import sqlite3

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT page FROM access_log WHERE neph = ?", (neph,)).fetchall()
    finally:
        conn.close()


async def no_axe_violations(page):
    violations = await run_axe(page)
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]


async def test_franceconnect_sign_in_and_logout_in_chromium(chromium, live_accounts):
    base, _, issuer = live_accounts
    context = await chromium.new_context(locale="fr-FR")
    context.set_default_timeout(15_000)
    page = await context.new_page()
    try:
        await page.goto(f"{base}/historique")
        assert page.url == f"{base}/connexion?retour=/historique"
        await no_axe_violations(page)
        # FranceConnect comes first, with its explanation link, and opens in the same tab.
        fc_button = page.get_by_role("link", name="S'identifier avec FranceConnect")
        assert await fc_button.get_attribute("target") is None
        await page.get_by_role("link", name="Qu'est-ce que FranceConnect ?").wait_for()
        await fc_button.click()
        await page.wait_for_url(f"{issuer}/**")
        await page.fill("input[name=login]", "camille")
        await page.fill("input[name=password]", "peu importe")
        await page.click("button[type=submit]")
        await page.click("button[type=submit]")  # consent
        await page.wait_for_url(f"{base}/historique")
        assert (await page.title())
        # Sign out: through the provider's end-session page and back.
        await page.get_by_role("button", name="Se déconnecter").click()
        await page.wait_for_url(f"{issuer}/session/end**")
        await page.click("button[type=submit][value=yes], button[name=logout]")
        await page.wait_for_url(f"{base}/connexion?info=deconnecte")
        await page.goto(f"{base}/solde")
        assert page.url.startswith(f"{base}/connexion")
    finally:
        await context.close()


async def test_password_sign_in_and_linking_pages_in_chromium(chromium, live_accounts):
    base, db_path, _ = live_accounts
    db = await Database.open(db_path)
    try:
        await create_linked_account(db, "navigateur@exemple.test", "une phrase de passe solide", None)
    finally:
        await db.close()
    context = await chromium.new_context(locale="fr-FR")
    context.set_default_timeout(15_000)
    page = await context.new_page()
    try:
        await page.goto(f"{base}/connexion")
        await page.get_by_label("Adresse électronique", exact=True).fill("navigateur@exemple.test")
        await page.get_by_label("Mot de passe", exact=True).fill("mauvais mot de passe")
        await page.get_by_role("button", name="Se connecter").click()
        summary = page.locator("[data-error-summary]")
        await summary.wait_for()
        assert await summary.evaluate("el => el === document.activeElement")  # focus on the errors
        await no_axe_violations(page)
        await page.get_by_label("Mot de passe", exact=True).fill("une phrase de passe solide")
        await page.get_by_role("button", name="Se connecter").click()
        await page.wait_for_url(f"{base}/compte/lier")  # not linked yet
        await no_axe_violations(page)
        holder = HOLDERS[0]
        await page.get_by_label("Numéro de dossier (NEPH)").fill(holder.neph)
        birth = page.get_by_role("group", name="Date de naissance")
        await birth.get_by_label("Jour").fill(str(holder.birth_date.day))
        await birth.get_by_label("Mois").fill(str(holder.birth_date.month))
        await birth.get_by_label("Année").fill(str(holder.birth_date.year))
        await page.get_by_label("Nom de naissance").fill("Martin")
        obtained = page.get_by_role("group", name="Date d'obtention du permis")
        licence_on = LICENCE_DATES[holder.neph]
        await obtained.get_by_label("Jour").fill(str(licence_on.day))
        await obtained.get_by_label("Mois").fill(str(licence_on.month))
        await obtained.get_by_label("Année").fill(str(licence_on.year))
        await page.get_by_role("button", name="Relier mon dossier").click()
        await page.wait_for_url(f"{base}/solde")
        # On a real server the buffered access log is written by a timer about a second later.
        for _ in range(100):
            rows = await asyncio.to_thread(access_rows, db_path, holder.neph)
            if rows:
                break
            await asyncio.sleep(0.1)
        assert rows == [("/solde",)]
        for path in ("/compte", "/inscription", "/mot-de-passe-oublie", "/compte/mot-de-passe"):
            await page.goto(f"{base}{path}")
            await no_axe_violations(page)
    finally:
        await context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
async def test_account_page_shows_links_and_views_and_removes_a_link_at_360px(chromium, live_accounts, js):
    from backend.accounts.clock import system_clock
    from backend.accounts.session import Sessions

    base, db_path, _ = live_accounts
    holder = HOLDERS[0]
    db = await Database.open(db_path)
    try:
        holder_id = await create_linked_account(db, "titulaire@exemple.test", "une phrase de passe solide", holder.neph)
        await create_linked_account(db, "inconnu.tres.long.pour.un.petit.ecran@exemple.test",
                                    "une phrase de passe solide", holder.neph)
        async with db.write() as conn:
            # The session a FranceConnect sign-in whose identity matched the file makes.
            session = await Sessions(db, system_clock, secure=False).create(
                conn, holder_id, fc_id_token="jeton-d-identite", fc_match_neph=holder.neph)
            now = system_clock()
            await conn.executemany(
                "INSERT INTO access_log (viewed_at, account_id, neph, page, channel, who, place) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(now - 7200, holder_id + 1, holder.neph, "/historique", "password", None, None),
                 (now - 3600, None, holder.neph, "/partage/{code:str}", "share_code",
                  "Code de partage « Location de véhicule »", "France")])
    finally:
        await db.close()
    context = await chromium.new_context(locale="fr-FR", viewport={"width": 360, "height": 780},
                                         java_script_enabled=js)
    context.set_default_timeout(15_000)
    await context.add_cookies([{"name": "pp_session", "value": session, "url": base}])
    page = await context.new_page()
    try:
        await page.goto(f"{base}/compte")
        await page.get_by_role("heading", name="Comptes reliés à votre dossier").wait_for()
        table = page.get_by_role("table")
        await table.get_by_role("cell", name="Historique du dossier").wait_for()
        await table.get_by_text("Code de partage « Location de véhicule »").wait_for()
        if js:  # axe runs in the page: only with JavaScript (the markup is the same without)
            await no_axe_violations(page)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        remove = page.get_by_role("link", name="Retirer ce lien (in…@exemple.test)")
        box = await remove.bounding_box()
        assert box and box["height"] >= 44  # touch target
        await remove.click()
        await page.wait_for_url(f"{base}/compte/liens/*/retirer")
        if js:  # axe runs in the page: only with JavaScript (the markup is the same without)
            await no_axe_violations(page)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await page.get_by_role("button", name="Retirer ce lien").click()
        await page.wait_for_url(f"{base}/compte?info=retire")
        await page.get_by_text("Le lien a été retiré").wait_for()
        assert await page.get_by_role("link", name=re.compile("Retirer ce lien")).count() == 0
        if js:  # axe runs in the page: only with JavaScript (the markup is the same without)
            await no_axe_violations(page)
    finally:
        await context.close()
