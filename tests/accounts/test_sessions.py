"""Sessions, the guard and CSRF, seen from a browser's side (real app, real SQLite file)."""

from __future__ import annotations

from backend.accounts.session import ABSOLUTE_SECONDS, IDLE_SECONDS
from tests.fixtures.accounts import HOLDERS, TEST_PASSWORD

NEPH = HOLDERS[0].neph


async def sign_in(harness, client, email, password=TEST_PASSWORD, retour=None):
    token = await harness.csrf(client)
    data = {"email": email, "password": password, "_csrf_token": token}
    if retour is not None:
        data["retour"] = retour
    return await client.post("/connexion", data=data)


async def test_signed_out_visitor_is_sent_to_sign_in_with_a_return_path(accounts_harness):
    client = await accounts_harness.client()
    response = await client.get("/historique?page=2")
    assert response.status_code == 303
    assert response.headers["location"] == "/connexion?retour=/historique%3Fpage%3D2"
    htmx = await client.get("/solde", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["hx-redirect"] == "/connexion?retour=/solde"


async def test_sign_in_sets_a_fresh_httponly_lax_cookie_and_returns_to_the_page(accounts_harness):
    owner = await accounts_harness.signed_in(NEPH)
    client = await accounts_harness.client()
    # A session cookie planted before sign-in (fixation attempt) must not survive sign-in.
    planted = owner.cookies.get("pp_session")
    client.cookies.set("pp_session", planted, domain="testserver.local")
    response = await sign_in(accounts_harness, client, owner.email, retour="/historique")
    assert response.status_code == 303 and response.headers["location"] == "/historique"
    set_cookie = response.headers["set-cookie"]
    assert "pp_session=" in set_cookie and "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
    assert "Secure" not in set_cookie  # test environment: plain http
    new_id = client.cookies.get("pp_session")
    assert new_id and new_id != planted
    assert (await client.get("/solde")).status_code == 200
    # The planted id was the owner's session: signing in through it ended it.
    assert (await owner.get("/solde")).status_code == 303


async def test_sessions_expire_when_idle_and_absolutely(accounts_harness):
    client = await accounts_harness.signed_in(NEPH)
    clock = accounts_harness.clock
    clock.advance(IDLE_SECONDS - 60)
    assert (await client.get("/solde")).status_code == 200  # activity refreshes the idle time
    clock.advance(IDLE_SECONDS - 60)
    assert (await client.get("/solde")).status_code == 200
    clock.advance(IDLE_SECONDS)
    assert (await client.get("/solde")).status_code == 303  # 30 minutes without a request

    client = await accounts_harness.signed_in(NEPH)
    step, elapsed = IDLE_SECONDS - 60, 0
    while elapsed + step < ABSOLUTE_SECONDS:  # active all day long: never idle
        clock.advance(step)
        elapsed += step
        assert (await client.get("/compte")).status_code == 200, f"ended after {elapsed} s"
    clock.advance(ABSOLUTE_SECONDS - elapsed)
    response = await client.get("/compte")
    assert response.status_code == 303 and response.headers["location"].startswith("/connexion")


async def test_post_without_csrf_token_is_refused(accounts_harness):
    client = await accounts_harness.signed_in(None)
    refused = await client.post("/compte/lier", data={"neph": NEPH})
    assert refused.status_code == 403
    forged = await client.post("/compte/lier", data={"neph": NEPH, "_csrf_token": "x" * 40})
    assert forged.status_code == 403
    accepted = await client.post("/compte/lier", data={"neph": NEPH, "_csrf_token": client.csrf_token})
    assert accepted.status_code == 400  # reached the handler: wrong details, generic message
    header = await client.post("/compte/lier", data={"neph": NEPH}, headers={"X-CSRFToken": client.csrf_token})
    assert header.status_code == 400


async def test_account_without_linked_file_is_sent_to_the_linking_page(accounts_harness):
    client = await accounts_harness.signed_in(None)
    response = await client.get("/solde")
    assert response.status_code == 303 and response.headers["location"] == "/compte/lier"
    assert (await client.get("/compte")).status_code == 200


async def test_sign_out_ends_the_session(accounts_harness):
    client = await accounts_harness.signed_in(NEPH)
    response = await client.post("/deconnexion", data={"_csrf_token": client.csrf_token})
    assert response.status_code == 303
    assert (await client.get("/solde")).status_code == 303


async def test_production_cookies_are_secure_and_host_prefixed(accounts_db_path):
    import re

    from litestar.testing import AsyncTestClient

    from backend.accounts.testing import create_linked_account
    from tests.fixtures.accounts import running_app, settings_for

    settings = settings_for(accounts_db_path, environment="production")
    async with running_app(settings) as harness:
        await create_linked_account(harness.db, "prod@exemple.test", TEST_PASSWORD, NEPH)
        client = AsyncTestClient(harness.app, base_url="https://pointspermis.example")
        client.follow_redirects = False
        page = await client.get("/connexion")
        assert "__Host-pp_csrf=" in page.headers["set-cookie"] and "Secure" in page.headers["set-cookie"]
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
        response = await client.post("/connexion", data={"email": "prod@exemple.test", "password": TEST_PASSWORD,
                                                          "_csrf_token": token})
        assert response.status_code == 303
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-pp_session=") and "Secure" in cookie and "HttpOnly" in cookie
        assert "Path=/" in cookie and "Domain" not in cookie
        assert (await client.get("/solde")).status_code == 200


async def test_a_session_is_refreshed_once_a_minute_not_once_per_request(tmp_path):
    """While a refresh waits for the writer, the session's next requests must not ask for it again."""
    from backend.accounts.session import TOUCH_EVERY_SECONDS, Sessions
    from backend.accounts.testing import create_linked_account
    from backend.database.db import Database

    now = [1_800_000_000]
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        account = await create_linked_account(db, "minute@exemple.test", TEST_PASSWORD, NEPH)
        sessions = Sessions(db, lambda: now[0], secure=False)
        async with db.write() as conn:
            session_id = await sessions.create(conn, account)

        later: list = []
        for _ in range(3):
            assert await sessions.load(session_id, later) is not None
        assert later == []  # just created: nothing to refresh
        now[0] += TOUCH_EVERY_SECONDS
        for _ in range(5):  # five pages before the refresh is written
            assert await sessions.load(session_id, later) is not None
        assert later == [("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", (now[0], later[0][1][1]))]
        await sessions.write_now(later)
        now[0] += TOUCH_EVERY_SECONDS - 1
        again: list = []
        assert await sessions.load(session_id, again) is not None and again == []
        now[0] += 1
        assert await sessions.load(session_id, again) is not None and len(again) == 1
        # Another process (its own Sessions) reads the row: refreshed by the write above.
        other: list = []
        assert await Sessions(db, lambda: now[0] - 1, secure=False).load(session_id, other) is not None
        assert other == []
    finally:
        await db.close()
