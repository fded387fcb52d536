"""The `signed_in_client` fixture other areas rely on: a client signed in as a demo holder."""

from __future__ import annotations

SHOWCASE_NEPH = "100000000001"  # Camille MARTIN in the register's demo data


async def test_signed_in_client_sees_its_file_and_logs_the_view(signed_in_client):
    client = await signed_in_client(SHOWCASE_NEPH)
    response = await client.get("/solde")
    assert response.status_code == 200
    assert "MARTIN" in response.text or "Camille" in response.text or "points" in response.text
    entries = await client_app(signed_in_client).state.accounts.access_log.entries(account_id=client.account_id)
    assert [(e["neph"], e["page"]) for e in entries] == [(SHOWCASE_NEPH, "/solde")]


def client_app(factory):
    return factory.harness.app
