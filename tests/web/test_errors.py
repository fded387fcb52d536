"""Error pages: French, same layout, 404 for unknown pages, 500 that reveals nothing internal."""

from __future__ import annotations


from litestar.testing import AsyncTestClient

from backend.accounts.testing import create_linked_account, create_session
from backend.app import create_app
from tests.fixtures.postgres import run_sql
from tests.fixtures.web import AS_OF, MARTIN, web_settings
from tests.web.pagecheck import check_page


async def test_unknown_page_is_a_french_404_page(web_client):
    async with web_client(MARTIN.neph) as client:
        response = await client.get("/cette-page-n-existe-pas")
    assert response.status_code == 404
    page = check_page(response.text)
    assert page.h1 == ["Page introuvable"]
    assert any(tag == "a" and attrs.get("href") == "/" for tag, attrs in page.elements)


async def test_server_error_is_a_french_500_page_revealing_nothing(web_db):
    # A damaged record in the database (not JSON) makes the page fail for real.
    run_sql(web_db, "UPDATE events SET body = '{not json' WHERE neph = ?", (MARTIN.neph,))
    app = create_app(web_settings(web_db), today=lambda: AS_OF)
    async with AsyncTestClient(app=app) as client:
        account = await create_linked_account(app.state.accounts_db, "a@exemple.test", "un long mot de passe de test",
                                              MARTIN.neph)
        client.cookies.set(app.state.accounts.sessions.cookie_name, await create_session(app.state.accounts_db, account))
        response = await client.get("/solde")
    assert response.status_code == 500
    page = check_page(response.text)
    assert page.h1 == ["Le service rencontre un problème"]
    for secret in ("Traceback", "msgspec", "json", "DecodeError", "sqlite", "psycopg", MARTIN.neph, "/work/"):
        assert secret not in response.text, secret
    assert response.headers["cache-control"] == "private, no-store"
