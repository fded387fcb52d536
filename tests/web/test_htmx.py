"""One URL, two answers: the whole page, or the named block for a plain htmx request."""

from __future__ import annotations

import pytest

from tests.fixtures.web import MARTIN
from tests.web.pagecheck import Page, check_page

HX = {"HX-Request": "true"}


@pytest.mark.parametrize(("path", "root_id"), [("/solde", "balance-card"), ("/historique", "history-results")])
async def test_htmx_request_gets_only_the_block(web_client, path, root_id):
    async with web_client(MARTIN.neph) as client:
        response = await client.get(path, headers=HX)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["vary"]
    body = response.text.strip()
    assert not body.lower().startswith("<!doctype"), "a fragment is not a page"
    assert "<html" not in body and "<h1" not in body
    fragment = Page(body)
    assert fragment.ids and fragment.ids[0] == root_id, f"the block's root is #{root_id}"
    assert fragment.elements[0][1].get("data-title", "").endswith("– pointspermis"), "app.js sets the title from it"


@pytest.mark.parametrize("extra", [{"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}, {}])
async def test_boosted_history_restore_and_plain_requests_get_the_whole_page(web_client, extra):
    headers = {**HX, **extra} if extra else {}
    async with web_client(MARTIN.neph) as client:
        response = await client.get("/historique", headers=headers)
    assert "HX-Request" in response.headers["vary"]
    check_page(response.text)


async def test_filtered_fragment_holds_only_the_chosen_kind_and_says_so(web_client):
    async with web_client(MARTIN.neph) as client:
        response = await client.get("/historique?type=retraits", headers=HX)
    fragment = Page(response.text)
    assert "Usage d'un téléphone tenu en main en conduisant" in fragment.text
    assert "Reconstitution du capital" not in fragment.text
    assert fragment.elements[0][1]["data-title"].startswith("Historique de votre dossier : infractions et retraits")


@pytest.mark.parametrize("path", ["/", "/solde", "/historique", "/calendrier", "/permis", "/page-inexistante"])
async def test_every_html_response_varies_on_hx_request(web_client, path):
    async with web_client(MARTIN.neph) as client:
        response = await client.get(path)
    assert "HX-Request" in [v.strip() for v in response.headers["vary"].split(",")]


@pytest.mark.parametrize(("path", "other"), [("/solde", None), ("/historique", "/historique?type=retraits"),
                                             ("/historique?type=retraits", "/historique?type=stages")])
async def test_the_fragment_is_the_same_region_as_in_the_whole_page_whichever_comes_first(web_client, path, other):
    """Regions are rendered once per computed file (backend/rendering/fragments.py): whichever request renders a
    region first, the page and the fragment carry the same markup, and another filter its own."""
    async with web_client(MARTIN.neph) as client:
        if other:
            other_fragment = (await client.get(other, headers=HX)).text.strip()
        fragment = (await client.get(path, headers=HX)).text.strip()
        page = (await client.get(path)).text
        again = (await client.get(path, headers=HX)).text.strip()
    assert fragment == again
    assert fragment in page, "the whole page holds the fragment's markup"
    if other:
        assert other_fragment != fragment
        assert other_fragment not in page
