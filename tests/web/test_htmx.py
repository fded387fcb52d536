"""One URL, two answers: the whole page, or the named block for a plain htmx request."""

from __future__ import annotations

import pytest
from litestar import Response
from litestar.enums import MediaType

from backend.rendering.htmx import VARY, PageResponse, SentPage
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


async def _sent(asgi_app) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    messages = []

    async def send(message):
        messages.append(message)

    await asgi_app({"type": "http"}, None, send)
    start, body = messages
    return start["status"], sorted((name.lower(), value) for name, value in start["headers"]), body["body"]


@pytest.mark.parametrize("status", [200, 404, 422, 503])
async def test_a_page_is_sent_exactly_as_litestars_own_response_would_send_it(status):
    """PageResponse's short path (htmx.SentPage) against Litestar's: same status, headers and bytes."""
    page = PageResponse("<p>Solde : 8 points sur 12 — données à jour</p>", status_code=status,
                        media_type=MediaType.HTML, headers={"Vary": VARY, "Cache-Control": "private, no-store"})
    fast = page.to_asgi_response(None, None, cookies=[], headers={})
    assert isinstance(fast, SentPage)
    assert await _sent(fast) == await _sent(Response.to_asgi_response(page, None, None, cookies=[], headers={}))


async def test_a_page_that_sets_a_cookie_takes_litestars_path():
    page = PageResponse("<p>Connecté</p>", media_type=MediaType.HTML, headers={"Vary": VARY})
    page.set_cookie("pp_test", "1", httponly=True)
    status, headers, body = await _sent(page.to_asgi_response(None, None, cookies=[], headers={}))
    assert status == 200 and body == "<p>Connecté</p>".encode()
    assert any(name == b"set-cookie" and value.startswith(b"pp_test=1") for name, value in headers)


async def test_a_response_that_is_not_html_takes_litestars_path():
    page = PageResponse("BEGIN:VCALENDAR", media_type="text/calendar", headers={"Vary": VARY})
    response = page.to_asgi_response(None, None, cookies=[], headers={})
    assert not isinstance(response, SentPage)
    status, headers, body = await _sent(response)
    assert (b"content-type", b"text/calendar; charset=utf-8") in headers and body == b"BEGIN:VCALENDAR"
