"""The guard, checked on every route the app has (not a hand-kept list): anything not in
PUBLIC_ROUTES needs a session, and a signed-in driver never reaches another driver's file."""

from __future__ import annotations

import re

from backend.accounts.guards import ACCOUNT_ROUTES, is_public, safe_return_path
from tests.fixtures.postgres import run_sql
from tests.fixtures.accounts import HOLDERS

MINE, THEIRS = HOLDERS[0], HOLDERS[1]
PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def concrete(template: str, value: str) -> str:
    def fill(match: re.Match) -> str:
        kind = match.group(2) or "str"
        return {"int": "1", "path": value, "uuid": "00000000-0000-0000-0000-000000000000"}.get(kind, value)

    return PARAM.sub(fill, template)


def all_routes(app):
    for route in app.routes:
        for method in sorted(getattr(route, "methods", {"GET"}) - {"OPTIONS", "HEAD"}):
            yield route.path, method


async def test_every_route_not_public_requires_a_session(accounts_harness):
    client = await accounts_harness.client()
    token = await accounts_harness.csrf(client)
    checked = 0
    for template, method in all_routes(accounts_harness.app):
        if is_public(template):
            continue
        path = concrete(template, "abc")
        if method == "GET":
            response = await client.get(path)
            assert response.status_code == 303, f"GET {template} answered {response.status_code} without a session"
            assert response.headers["location"].startswith("/connexion"), template
        else:
            response = await client.request(method, path, data={"_csrf_token": token})
            assert response.status_code == 303, f"{method} {template} answered {response.status_code} without a session"
            assert response.headers["location"] == "/connexion", template
        checked += 1
    assert checked >= 10  # the walk did see the app's pages (driver pages, account pages)


async def test_public_routes_answer_without_a_session(accounts_harness):
    client = await accounts_harness.client()
    for template, method in all_routes(accounts_harness.app):
        if is_public(template) and method == "GET" and "{" not in template:
            response = await client.get(template)
            assert response.status_code < 500, f"public {template}: {response.status_code}"
            # not the guard's redirect (which always carries the page to come back to)
            assert "retour=" not in response.headers.get("location", ""), template


async def test_a_driver_never_sees_another_drivers_file(accounts_harness):
    client = await accounts_harness.signed_in(MINE.neph)
    for template, method in all_routes(accounts_harness.app):
        if method != "GET" or template in ACCOUNT_ROUTES or is_public(template):
            continue
        has_params = "{" in template
        path = concrete(template, THEIRS.neph)
        query = f"neph={THEIRS.neph}&dossier={THEIRS.neph}&id={THEIRS.neph}"
        response = await client.get(f"{path}?{query}")
        if has_params:
            assert response.status_code in (400, 404), f"{template} with another NEPH: {response.status_code}"
        body = response.content.decode("utf-8", "replace")
        assert THEIRS.neph not in body.replace(query, ""), f"{template} shows the other driver's NEPH"
        assert THEIRS.family_name not in body.upper(), f"{template} shows the other driver's name"
        assert THEIRS.given_names not in body, f"{template} shows the other driver's given names"
        if not has_params:  # the NEPH as a path segment addresses nothing
            below = await client.get(f"{template.rstrip('/')}/{THEIRS.neph}")
            assert below.status_code == 404, f"{template}/<NEPH>: {below.status_code}"
    for path in (f"/dossier/{THEIRS.neph}", f"/dev/dossier/{THEIRS.neph}", f"/releve/{THEIRS.neph}.pdf"):
        assert (await client.get(path)).status_code == 404, path


async def test_access_log_records_who_viewed_which_file_and_is_purged(accounts_harness):
    client = await accounts_harness.signed_in(MINE.neph)
    await client.get("/solde")
    await client.get("/historique?page=1&type=tout")
    log = accounts_harness.accounts.access_log
    entries = await log.entries(neph=MINE.neph)
    assert [(e["account_id"], e["page"]) for e in entries] == [(client.account_id, "/solde"),
                                                               (client.account_id, "/historique")]
    # Nothing but who, when, which page and through which channel (no URL, query or address).
    assert all(set(e) == {"viewed_at", "account_id", "neph", "page", "channel", "who", "place"} for e in entries)
    assert {(e["channel"], e["who"], e["place"]) for e in entries} == {("password", None, None)}
    retention = accounts_harness.accounts.settings.access_log_retention_days
    accounts_harness.clock.advance(retention * 86_400 + 1)
    await log.purge()
    assert await log.entries(neph=MINE.neph) == []


def test_return_paths_never_leave_the_site():
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                "/\x00", " /solde", "http:/solde", "\\\\evil"):
        assert safe_return_path(bad) is None, bad
    assert safe_return_path("/historique?page=2") == "/historique?page=2"


async def test_open_redirect_in_the_return_url_is_ignored(accounts_harness):
    client = await accounts_harness.signed_in(MINE.neph)
    response = await client.post("/connexion", data={
        "email": client.email, "password": client.password, "retour": "//evil.example/",
        "_csrf_token": client.csrf_token})
    assert response.status_code == 303 and response.headers["location"] == "/solde"
    page = await client.get("/connexion?retour=https://evil.example/")
    assert "evil.example" not in page.text


async def test_buffered_views_are_written_at_shutdown(accounts_db_path):
    from backend.database.stores import accounts_db_for
    from tests.fixtures.accounts import running_app, settings_for

    async with running_app(settings_for(accounts_db_path)) as harness:
        client = await harness.signed_in(MINE.neph)
        await client.get("/permis")
        account_id = client.account_id
    rows = run_sql(accounts_db_for(accounts_db_path), "SELECT neph, page FROM access_log WHERE account_id = ?",
                   (account_id,))
    assert [tuple(row) for row in rows] == [(MINE.neph, "/permis")]
