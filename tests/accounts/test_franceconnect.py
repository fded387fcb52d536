"""FranceConnect sign-in against the real test provider (tools/oidc/provider.mjs) on loopback."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.accounts.provider_browser import authorize, path_and_query
from tests.fixtures.accounts import HOLDERS

CALLBACK = "http://testserver.local/auth/franceconnect/callback"


async def start(harness, client, retour="/historique"):
    response = await client.get(f"/auth/franceconnect/connexion?retour={retour}")
    assert response.status_code == 303
    return response.headers["location"]


async def test_full_flow_signs_in_the_matching_holder(fc_harness):
    client = await fc_harness.client()
    authorize_url = await start(fc_harness, client)
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["acr_values"] == ["eidas1"] and query["code_challenge_method"] == ["S256"]
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert set(query["scope"][0].split()) >= {"openid", "given_name", "family_name", "birthdate",
                                              "birthplace", "birthcountry", "gender"}
    callback = await authorize(authorize_url, "camille", CALLBACK)
    response = await client.get(path_and_query(callback))
    assert response.status_code == 303 and response.headers["location"] == "/historique"
    page = await client.get("/historique")
    assert page.status_code == 200
    account = await fc_harness.accounts.service.account(
        (await fc_harness.accounts.access_log.entries(neph=HOLDERS[0].neph))[0]["account_id"])
    assert account["neph"] == HOLDERS[0].neph and account["has_franceconnect"] and account["email"] is None


async def completed_authorization(harness, client, login="camille"):
    """Start a flow in `client` and sign in at the provider; return the callback URL (not yet used)."""
    return await authorize(await start(harness, client), login, CALLBACK)


async def assert_refused(harness, client, response):
    assert response.status_code == 400, response.text[:300]
    assert "Connexion avec FranceConnect impossible" in response.text
    assert harness.accounts.sessions.cookie_name not in response.headers.get("set-cookie", "")
    assert (await client.get("/solde")).status_code == 303  # still signed out


def with_query(url, **changes):
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    from urllib.parse import urlencode

    return parts.path + "?" + urlencode(query)


async def test_missing_or_wrong_state_is_refused(fc_harness):
    client = await fc_harness.client()
    callback = await completed_authorization(fc_harness, client)
    await assert_refused(fc_harness, client, await client.get(with_query(callback, state=None)))
    await assert_refused(fc_harness, client, await client.get(with_query(callback, state="x" * 43)))


async def test_callback_planted_in_another_browser_is_refused(fc_harness):
    attacker = await fc_harness.client()
    callback = await completed_authorization(fc_harness, attacker)
    victim = await fc_harness.client()
    await victim.get("/connexion")
    await assert_refused(fc_harness, victim, await victim.get(path_and_query(callback)))


async def test_replayed_code_is_refused(fc_harness):
    client = await fc_harness.client()
    callback = await completed_authorization(fc_harness, client)
    first_verifier = await verifier_of(fc_harness, parse_qs(urlsplit(callback).query)["state"][0])
    assert (await client.get(path_and_query(callback))).status_code == 303
    # Same callback again: its state was single use.
    replay = await fc_harness.client()
    await assert_refused(fc_harness, replay, await replay.get(path_and_query(callback)))
    # Even with a fresh state and the original PKCE verifier, the provider refuses a used code.
    fresh = await fc_harness.client()
    location = await start(fc_harness, fresh)
    state = parse_qs(urlsplit(location).query)["state"][0]
    await set_verifier(fc_harness, state, first_verifier)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    await assert_refused(fc_harness, fresh, await fresh.get(with_query(callback, state=state, code=code)))


async def test_wrong_pkce_verifier_is_refused_by_the_provider(fc_harness):
    client = await fc_harness.client()
    callback = await completed_authorization(fc_harness, client)
    await set_verifier(fc_harness, parse_qs(urlsplit(callback).query)["state"][0], "w" * 64)
    await assert_refused(fc_harness, client, await client.get(path_and_query(callback)))


async def test_callback_from_another_issuer_is_refused(fc_harness):
    client = await fc_harness.client()
    callback = await completed_authorization(fc_harness, client)
    await assert_refused(fc_harness, client, await client.get(with_query(callback, iss="http://127.0.0.1:1")))


async def test_cancelled_at_the_provider_shows_a_clear_page(fc_harness):
    client = await fc_harness.client()
    location = await start(fc_harness, client)
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = await client.get(f"/auth/franceconnect/callback?error=access_denied&state={state}")
    await assert_refused(fc_harness, client, response)
    assert "Vous avez annulé" in response.text


async def test_identity_matching_no_file_or_several_files_sends_to_linking(fc_harness):
    for login, reason in (("inconnu", "franceconnect-aucun"), ("jean", "franceconnect-plusieurs")):
        client = await fc_harness.client()
        callback = await completed_authorization(fc_harness, client, login)
        response = await client.get(path_and_query(callback))
        assert response.status_code == 303 and response.headers["location"] == f"/compte/lier?raison={reason}"
        page = await client.get(response.headers["location"])
        assert page.status_code == 200 and "NEPH" in page.text
        # "inconnu" has the e-mail address of another person: never used to pick a file.
        assert (await client.get("/solde")).headers["location"] == "/compte/lier"


async def test_born_abroad_matches_with_an_empty_birth_place(fc_harness):
    client = await fc_harness.client()
    callback = await completed_authorization(fc_harness, client, "mai")
    assert (await client.get(path_and_query(callback))).headers["location"] == "/historique"
    assert (await client.get("/solde")).status_code == 200


async def test_logout_goes_through_the_providers_end_session(fc_harness):
    client = await fc_harness.client()
    callback = await completed_authorization(fc_harness, client)
    await client.get(path_and_query(callback))
    token = (await fc_harness.csrf(client))
    response = await client.post("/deconnexion", data={"_csrf_token": token})
    assert response.status_code == 303
    end_session = response.headers["location"]
    assert end_session.startswith(f"{fc_harness.issuer}/session/end?")
    query = parse_qs(urlsplit(end_session).query)
    assert query["id_token_hint"][0].count(".") == 2 and len(query["state"][0]) >= 32
    assert query["post_logout_redirect_uri"] == ["http://testserver.local/auth/franceconnect/deconnexion"]
    assert (await client.get("/solde")).status_code == 303  # local session already ended
    back = await authorize(end_session, "camille", "http://testserver.local/auth/franceconnect/deconnexion")
    assert parse_qs(urlsplit(back).query)["state"] == query["state"]
    final = await client.get(path_and_query(back))
    assert final.headers["location"] == "/connexion?info=deconnecte"


async def verifier_of(harness, state):
    from backend.accounts.tokens import digest

    async with harness.db.read() as conn:
        cursor = await conn.execute("SELECT code_verifier FROM oidc_requests WHERE state_hash = ?", (digest(state),))
        row = await cursor.fetchone()
    return row[0]


async def set_verifier(harness, state, verifier):
    from backend.accounts.tokens import digest

    async with harness.db.write() as conn:
        await conn.execute("UPDATE oidc_requests SET code_verifier = ? WHERE state_hash = ?", (verifier, digest(state)))
