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
