"""Tampered tokens are refused: each case changes one thing in an otherwise valid answer."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc.jwk import ECKey

from tests.accounts.token_server import TokenServer
from tests.fixtures.accounts import OIDC_CLIENT_ID, franceconnect_settings, running_app, settings_for



@pytest.fixture
async def tampering(accounts_db_path: Path, caplog):
    caplog.set_level(logging.WARNING, logger="backend.accounts.routes_franceconnect")
    with TokenServer(OIDC_CLIENT_ID) as server:
        settings = settings_for(accounts_db_path, **franceconnect_settings(server.issuer, "http://testserver.local"))
        async with running_app(settings) as harness:
            harness.server = server
            harness.caplog = caplog
            yield harness


async def attempt(harness):
    """Start a sign-in and come back with a code; returns the callback response."""
    client = await harness.client()
    location = (await client.get("/auth/franceconnect/connexion")).headers["location"]
    query = parse_qs(urlsplit(location).query)
    harness.server.nonce = query["nonce"][0]
    response = await client.get(f"/auth/franceconnect/callback?code=the-code&state={query['state'][0]}"
                                f"&iss={harness.server.issuer}")
    return client, response


async def assert_refused(harness, reason):
    """Refused, for `reason` (the start of the code the service logs), and still signed out."""
    harness.caplog.clear()
    client, response = await attempt(harness)
    codes = [r.getMessage() for r in harness.caplog.records if "connexion refusée" in r.getMessage()]
    assert codes and f"({reason}" in codes[-1], codes
    assert response.status_code == 400, response.text[:300]
    assert "Connexion avec FranceConnect impossible" in response.text
    assert (await client.get("/solde")).status_code == 303


async def test_the_untampered_answer_is_accepted(tampering):
    client, response = await attempt(tampering)
    assert response.status_code == 303 and response.headers["location"] == "/solde"
    assert (await client.get("/solde")).status_code == 200


@pytest.mark.parametrize(("claims", "reason"), [
    ({"aud": "another-service"}, "claims:InvalidClaimError:aud"),
    ({"aud": ["another-service", OIDC_CLIENT_ID]}, "claims:azp"),  # several audiences without azp = us
    ({"iss": "http://127.0.0.1:1"}, "claims:InvalidClaimError:iss"),
    ({"nonce": "n" * 43}, "claims:InvalidClaimError:nonce"),
    ({"nonce": None}, "claims:MissingClaimError"),
    ({"acr": "eidas0"}, "claims:InvalidClaimError:acr"),
    ({"acr": None}, "claims:MissingClaimError"),
    ({"sub": None}, "claims:MissingClaimError"),
])
async def test_wrong_id_token_claims_are_refused(tampering, claims, reason):
    tampering.server.id_claims = claims
    await assert_refused(tampering, reason)


async def test_expired_id_token_is_refused(tampering):
    tampering.clock.advance(60 + 31)  # exp is 60 s after issue; 30 s of leeway for clock skew
    await assert_refused(tampering, "claims:ExpiredTokenError")


async def test_id_token_signed_by_another_key_is_refused(tampering):
    tampering.server.sign_with = tampering.server.other
    await assert_refused(tampering, "signature:")
    # Same kid as the published key, but not its signature:
    forged = ECKey.generate_key("P-256", parameters={"kid": "good", "alg": "ES256"})
    tampering.server.sign_with = forged
    await assert_refused(tampering, "signature:BadSignatureError")


async def test_unsigned_id_token_is_refused(tampering):
    tampering.server.unsigned_id_token = True
    await assert_refused(tampering, "signature:")


@pytest.mark.parametrize(("mode", "reason"), [
    ("json", "userinfo:unsigned"), ("other-key", "signature:"), ("other-sub", "claims:InvalidClaimError:sub"),
])
async def test_userinfo_must_be_a_jwt_signed_by_the_provider_about_the_same_person(tampering, mode, reason):
    tampering.server.userinfo_mode = mode
    await assert_refused(tampering, reason)


async def test_rotated_signing_key_is_fetched_when_its_kid_is_unknown(tampering):
    client, response = await attempt(tampering)
    assert response.status_code == 303
    fetches = tampering.server.jwks_fetches
    rotated = ECKey.generate_key("P-256", parameters={"kid": "rotated", "alg": "ES256", "use": "sig"})
    tampering.server.published = [rotated]
    tampering.server.sign_with = rotated
    tampering.clock.advance(11)  # JWKS refetches are spaced by 10 s at least
    client, response = await attempt(tampering)
    assert response.status_code == 303
    assert tampering.server.jwks_fetches == fetches + 1
