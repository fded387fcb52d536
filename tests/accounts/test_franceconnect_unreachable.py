"""The FranceConnect callback when the provider cannot be reached, at each fetch it makes (token,
keys, userinfo, discovery): a clear page saying to try again later (503, Retry-After), never a 500,
and nobody signed in."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from tests.accounts.provider_browser import authorize, path_and_query
from tests.fixtures.accounts import (TEST_BASE_URL, franceconnect_settings, free_port, oidc_provider, running_app,
                                     settings_for)

CALLBACK = f"{TEST_BASE_URL}/auth/franceconnect/callback"


def closed_url(path: str) -> str:
    """A loopback URL where nothing listens (the port was free a moment ago)."""
    return f"http://127.0.0.1:{free_port()}{path}"


async def assert_unavailable(harness, client, response):
    assert response.status_code == 503, response.text[:300]
    assert response.headers["retry-after"] == "60"
    assert "FranceConnect ne répond pas" in response.text and "Réessayez dans quelques minutes" in response.text
    assert harness.accounts.sessions.cookie_name not in response.headers.get("set-cookie", "")
    assert (await client.get("/solde")).status_code == 303  # still signed out


async def callback_ready(harness, login="camille"):
    """A browser that went through the provider; the callback URL it was sent back to."""
    client = await harness.client()
    start = await client.get("/auth/franceconnect/connexion?retour=/solde")
    return client, await authorize(start.headers["location"], login, CALLBACK)


async def test_provider_down_at_the_callback(accounts_db_path: Path, tmp_path: Path):
    # A provider of its own, stopped between the sign-in at the provider and the return here: the
    # code exchange finds nobody listening.
    provider = contextlib.ExitStack()
    issuer = provider.enter_context(oidc_provider([TEST_BASE_URL], tmp_path))
    try:
        settings = settings_for(accounts_db_path, **franceconnect_settings(issuer, TEST_BASE_URL))
        async with running_app(settings) as harness:
            client, callback = await callback_ready(harness)
            provider.close()
            await assert_unavailable(harness, client, await client.get(path_and_query(callback)))
    finally:
        provider.close()


@pytest.mark.parametrize("broken", ["jwks", "userinfo", "discovery"])
async def test_provider_fetches_failing_at_the_callback(fc_harness, broken):
    harness = fc_harness
    client, callback = await callback_ready(harness)
    fc = harness.accounts.fc
    if broken == "jwks":  # keys not fetched yet, and their URL unreachable
        fc._keys = None
        fc._metadata = {**fc._metadata, "jwks_uri": closed_url("/jwks")}
    elif broken == "userinfo":
        fc._metadata = {**fc._metadata, "userinfo_endpoint": closed_url("/me")}
    else:  # the discovery document expired and its URL no longer answers
        fc._metadata, fc.discovery_url = None, closed_url("/.well-known/openid-configuration")
    await assert_unavailable(harness, client, await client.get(path_and_query(callback)))
