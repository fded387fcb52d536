"""HTTP over every route of the app (the routes are read from the app, so a new route is covered
without editing this file): HEAD answers as GET does without a body, a 405 says what is allowed
(`Allow`), everything sent to a signed-in person is `Cache-Control: private, no-store`; and inputs
that used to give a 500 get a clear 4xx page; the CSRF token is bound to the session and renewed
at sign-in."""

from __future__ import annotations

import re

import pytest

from backend.accounts.csrf import token_for_session
from backend.accounts.guards import PROBE_ROUTES
from backend.accounts.testing import create_linked_account, create_session
from tests.fixtures.accounts import HOLDERS

MARTIN = HOLDERS[0]
PARAM = re.compile(r"\{(\w+):(\w+)\}")
SAMPLES = {"int": "2026", "str": "ABCD", "path": "css/app.css"}


def concrete(path_template: str) -> str:
    return PARAM.sub(lambda m: SAMPLES.get(m.group(2), "x"), path_template)


def http_routes(app):
    return [route for route in app.routes if hasattr(route, "methods") and route.methods]


async def test_every_get_route_answers_head_and_is_private_for_a_signed_in_person(accounts_harness):
    client = await accounts_harness.signed_in(MARTIN.neph)
    checked = 0
    for route in http_routes(accounts_harness.app):
        if "GET" not in route.methods:
            continue
        path = concrete(route.path)
        get = await client.get(path)
        head = await client.head(path)
        assert head.status_code == get.status_code != 405, path
        assert head.content == b"", path
        assert head.headers.get("content-type") == get.headers.get("content-type"), path
        if get.status_code == 200 and "content-length" in get.headers:
            # The length GET would send (not compared: a PDF carries the moment it was made).
            assert int(head.headers["content-length"]) > 0, path
        if path.startswith("/static/"):
            assert get.status_code == 200 and "immutable" in get.headers["cache-control"], path  # public assets
        elif path in PROBE_ROUTES:  # nobody's data, and no session read: kept by no cache all the same
            assert get.headers.get("cache-control") == "no-store", path
        else:
            assert get.headers.get("cache-control") == "private, no-store", (path, get.headers.get("cache-control"))
        checked += 1
    assert checked >= 25  # the app's pages, not an empty loop


async def test_every_route_says_which_methods_it_allows_on_405(accounts_harness):
    client = await accounts_harness.signed_in(MARTIN.neph)
    for route in http_routes(accounts_harness.app):
        path = concrete(route.path)
        wrong = next(m for m in ("PUT", "DELETE", "PATCH", "POST", "GET") if m not in route.methods)
        response = await client.request(wrong, path)
        assert response.status_code == 405, (wrong, path)
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        expected = set(route.methods) | ({"HEAD"} if "GET" in route.methods else set())
        assert allowed == expected, (path, allowed)
        assert "Action impossible" in response.text and response.headers["cache-control"] == "private, no-store"


@pytest.mark.parametrize("path", ["/static/%00", "/static/css/%00app.css", "/solde%00", "/aide%0a"])
async def test_a_nul_or_control_character_in_the_path_is_a_404_page(accounts_harness, path):
    client = await accounts_harness.client()
    response = await client.get(path)
    assert response.status_code == 404 and "<h1>" in response.text


BAD_BYTES = b"\xff\xfe\xc3("


@pytest.mark.parametrize("path", ["/connexion", "/inscription", "/mot-de-passe-oublie", "/compte/lier",
                                  "/compte/email", "/compte/mot-de-passe"])
async def test_a_form_field_that_is_not_utf8_gets_a_400_page(accounts_harness, path):
    client = await accounts_harness.signed_in(None)
    token = await accounts_harness.csrf(client, "/compte")
    # multipart/form-data, token in the form: the CSRF check reads the form first.
    multipart = await client.post(path, files={"email": (None, BAD_BYTES), "neph": (None, BAD_BYTES),
                                               "_csrf_token": (None, token.encode())})
    # The token in the header instead: the page's own handler reads the form.
    in_header = await client.post(path, files={"email": (None, BAD_BYTES), "password": (None, BAD_BYTES)},
                                  headers={"X-CSRFToken": token})
    # urlencoded with percent-escapes that are not UTF-8.
    urlencoded = await client.post(path, content=b"email=%FF%FE&neph=%C3%28&password=%80&_csrf_token=" + token.encode(),
                                   headers={"content-type": "application/x-www-form-urlencoded"})
    for response in (multipart, in_header, urlencoded):
        assert 400 <= response.status_code < 500, (path, response.status_code)
        assert "<h1>" in response.text and "problème" not in response.text.split("<h1>")[1].split("</h1>")[0]
    assert "Formulaire illisible" in multipart.text and "UTF-8" in multipart.text


async def test_the_csrf_token_is_renewed_at_sign_in_and_bound_to_the_session(accounts_harness):
    harness = accounts_harness
    account = await harness.signed_in(MARTIN.neph)  # an account with a known password
    browser = await harness.client()
    before = await harness.csrf(browser, "/connexion")  # a visitor's token, before signing in
    signed = await browser.post("/connexion", data={"email": account.email, "password": account.password,
                                                    "_csrf_token": before})
    assert signed.status_code == 303
    # The sign-in response makes the browser drop the visitor's token.
    assert any(c.startswith("pp_csrf=") and "max-age=0" in c.lower() for c in signed.headers.get_list("set-cookie"))
    # The old token, even put back in the cookie, is refused in the new session.
    browser.cookies.set("pp_csrf", before, domain="testserver.local")
    stale = await browser.post("/compte/email", data={"email": "x@exemple.test", "current_password": "x",
                                                      "_csrf_token": before})
    assert stale.status_code == 403 and "Formulaire expiré" in stale.text
    after = await harness.csrf(browser, "/compte")
    assert after != before
    ok = await browser.post("/compte/email", data={"email": "nouvelle@exemple.test",
                                                   "current_password": account.password, "_csrf_token": after})
    assert ok.status_code == 303

    # Another session's token (and cookie) is worth nothing here.
    other = await harness.signed_in(HOLDERS[1].neph)
    theirs = other.csrf_token
    browser.cookies.set("pp_csrf", theirs, domain="testserver.local")
    refused = await browser.post("/compte/email", data={"email": "autre@exemple.test",
                                                        "current_password": account.password, "_csrf_token": theirs})
    assert refused.status_code == 403
    # Signing out ends the session: its token no longer works for a visitor either.
    mine = await harness.csrf(browser, "/compte")
    assert (await browser.post("/deconnexion", data={"_csrf_token": mine})).status_code == 303
    browser.cookies.set("pp_csrf", mine, domain="testserver.local")
    assert (await browser.post("/mot-de-passe-oublie", data={"email": account.email, "_csrf_token": mine})).status_code == 403


async def test_a_browser_holding_its_sessions_token_is_not_sent_a_new_one(accounts_harness):
    """`csrf.token_for_session` mints what the middleware mints for that session (the benchmarks send it
    as a returning browser does): kept, not replaced, and accepted on a form; not for another session."""
    harness = accounts_harness
    account_id = await create_linked_account(harness.db, "jeton@exemple.test", "un long mot de passe de test",
                                             MARTIN.neph)
    session_id = await create_session(harness.db, account_id)
    browser = await harness.client()
    browser.cookies.set(harness.accounts.sessions.cookie_name, session_id, domain="testserver.local")
    token = token_for_session(harness.accounts.csrf_config.secret, session_id)
    browser.cookies.set("pp_csrf", token, domain="testserver.local")
    page = await browser.get("/compte")
    assert page.status_code == 200 and token in page.text
    assert not any(c.startswith("pp_csrf=") for c in page.headers.get_list("set-cookie"))
    assert (await browser.post("/deconnexion", data={"_csrf_token": token})).status_code == 303

    other = token_for_session(harness.accounts.csrf_config.secret, "une-autre-session")
    browser = await harness.client()
    browser.cookies.set(harness.accounts.sessions.cookie_name, await create_session(harness.db, account_id),
                        domain="testserver.local")
    browser.cookies.set("pp_csrf", other, domain="testserver.local")
    page = await browser.get("/compte")
    assert any(c.startswith("pp_csrf=") for c in page.headers.get_list("set-cookie")), "another session's: replaced"
