"""htmx navigation: a boosted link to #contenu gets the page's title and <main> only; every other request
the whole page; each driver page's regions are named blocks of its template (fragments vs full pages)."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.web import MARTIN
from tests.web.pagecheck import Page, check_page

NAV = {"HX-Request": "true", "HX-Boosted": "true", "HX-Target": "contenu"}
PAGES = ["/solde", "/historique", "/calendrier", "/permis", "/simulation", "/aide", "/accessibilite"]


def main_of(html: str) -> str:
    match = re.search(r'<main id="contenu".*?</main>', html, re.S)
    assert match, "no <main id=contenu>"
    return match.group(0)


def title_of(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


@pytest.mark.parametrize("path", PAGES)
async def test_a_navigation_gets_the_title_and_the_main_region_of_the_whole_page(web_client, path):
    async with web_client(MARTIN.neph) as client:
        page = await client.get(path)
        swap = await client.get(path, headers=NAV)
    assert swap.status_code == page.status_code == 200
    assert {"HX-Request", "HX-Boosted", "HX-Target"} <= {v.strip() for v in swap.headers["vary"].split(",")}
    body = swap.text.strip()
    assert body.startswith("<title>") and "<html" not in body and "<header" not in body and "<footer" not in body
    assert title_of(body) == title_of(page.text), "the swap's title is the page's title"
    main = main_of(page.text)
    assert main_of(body) == main, "the swap's <main> is the page's <main>, byte for byte"
    assert main.count("<h1") == 1
    if path != "/aide" and path != "/accessibilite":
        assert swap.headers["cache-control"] == "private, no-store"


@pytest.mark.parametrize("headers", [
    {"HX-Request": "true", "HX-Boosted": "true", "HX-Target": "contenu", "HX-History-Restore-Request": "true"},
    {"HX-Request": "true", "HX-Boosted": "true"},  # boosted elsewhere (no target): the page, htmx selects from it
])
async def test_history_restore_and_other_boosts_get_the_whole_page(web_client, headers):
    async with web_client(MARTIN.neph) as client:
        response = await client.get("/calendrier", headers=headers)
    check_page(response.text)


async def test_the_menu_and_footer_links_navigate_with_htmx_and_stay_plain_links(web_client):
    async with web_client(MARTIN.neph) as client:
        html = (await client.get("/solde")).text
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)
    assert 'hx-boost="true"' in nav and 'hx-target="#contenu"' in nav and 'hx-select="#contenu"' in nav
    assert all(f'href="{p}"' in nav for p in ("/solde", "/historique", "/calendrier", "/permis", "/aide"))
    sign_out = re.search(r'<form class="site-header__signout".*?</form>', html, re.S).group(0)
    assert "hx-" not in sign_out, "forms are never boosted: they post as plain forms"


@pytest.mark.parametrize(("path", "hx_target", "root_id"), [
    ("/solde", "balance-card", "balance-card"),
    ("/historique", "history-results", "history-results"),
    ("/calendrier", "calendar-results", "calendar-results"),
    ("/simulation", "simulation", "simulation"),
    ("/simulation", "simulation-result", "simulation-result"),
])
async def test_each_region_is_the_same_markup_alone_and_in_the_whole_page(web_client, path, hx_target, root_id):
    async with web_client(MARTIN.neph) as client:
        fragment = (await client.get(path, headers={"HX-Request": "true", "HX-Target": hx_target})).text.strip()
        page = (await client.get(path)).text
    assert Page(fragment).ids[0] == root_id
    assert "<h1" not in fragment
    # The simulator's regions end with the real balance card, out of band (refreshed with every answer).
    region, oob, card = fragment.partition('<div id="today-card" hx-swap-oob="true" data-quiet>')
    assert bool(oob) == path.startswith("/simulation")
    assert region.rstrip() in page
    if oob:
        assert card.rstrip().removesuffix("</div>").rstrip().removesuffix("</div>") in page
