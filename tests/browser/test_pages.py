"""Every page, as a visitor and as a signed-in driver, on a phone and a desktop screen, with and
without JavaScript: no axe violation (WCAG 2.1 A/AA), sound structure, no horizontal scrolling
at 320 px, touch targets of at least 44 px.

axe-core needs timers and promises, which do not run in a page with JavaScript disabled: without
JavaScript the same pages get the structural and touch-target checks (the server sends the same
HTML either way; app.js and htmx change nothing on load), and axe runs with JavaScript on."""

from __future__ import annotations

import asyncio

import pytest

from tests.browser.checks import check_no_horizontal_scroll, check_structure, check_touch_targets
from tests.browser.pages import DRIVER_PAGES, DRIVERS, DRIVERS_WITHOUT_JS, NOT_FOUND_PAGE, PUBLIC_PAGES
from tests.fixtures.browser import DESKTOP, MOBILE, NARROW

pytestmark = pytest.mark.asyncio(loop_scope="session")

# Without JavaScript the layout is the same CSS: the phone size is the demanding one.
VIEWPORTS = {True: (MOBILE, DESKTOP), False: (MOBILE,)}


async def open_page(page, url: str, status: int = 200):
    response = await page.goto(url)
    assert response is not None and response.status == status, \
        f"{url}: HTTP {response.status if response else None}, expected {status}"
    return response


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
@pytest.mark.parametrize("path", PUBLIC_PAGES)
async def test_public_page(browser_page, live_server, axe_check, path, js):
    page = await browser_page(js=js)
    for viewport in VIEWPORTS[js]:
        await page.set_viewport_size(viewport)
        await open_page(page, live_server(path))
        await check_structure(page, js=js)
        if js:
            await axe_check(page, f"{path} ({viewport['width']} px)")
        await check_touch_targets(page)


@pytest.mark.parametrize(("driver", "js"), [*((d, True) for d in DRIVERS), *((d, False) for d in DRIVERS_WITHOUT_JS)],
                         ids=[*(f"{d}-js" for d in DRIVERS), *(f"{d}-sans-js" for d in DRIVERS_WITHOUT_JS)])
@pytest.mark.parametrize("path", DRIVER_PAGES)
async def test_driver_page(browser_page, live_server, axe_check, path, driver, js):
    page = await browser_page(js=js, neph=live_server.nephs[driver])
    for viewport in VIEWPORTS[js]:
        await page.set_viewport_size(viewport)
        await open_page(page, live_server(path))
        assert page.url == live_server(path), f"{path}: redirected to {page.url}"
        await check_structure(page, js=js)
        if js:
            await axe_check(page, f"{path} of {driver} ({viewport['width']} px)")
        await check_touch_targets(page)


async def test_not_found_page(browser_page, live_server, axe_check):
    page = await browser_page()
    await open_page(page, live_server(NOT_FOUND_PAGE), status=404)
    await check_structure(page)
    await axe_check(page, "page 404")


@pytest.mark.parametrize("path", PUBLIC_PAGES + [NOT_FOUND_PAGE])
async def test_dark_theme_public(browser_page, live_server, axe_check, path):
    """Contrast and the rest hold in the dark theme too (prefers-color-scheme: dark)."""
    page = await browser_page(color_scheme="dark")
    await page.goto(live_server(path))
    await axe_check(page, f"{path} (thème sombre)")


@pytest.mark.parametrize("path", DRIVER_PAGES)
async def test_dark_theme_driver(browser_page, live_server, axe_check, path):
    page = await browser_page(neph=live_server.nephs["martin"], color_scheme="dark")
    await open_page(page, live_server(path))
    await axe_check(page, f"{path} (thème sombre)")


async def test_no_horizontal_scroll_at_320px(browser_page, live_server):
    for neph, paths in ((None, PUBLIC_PAGES + [NOT_FOUND_PAGE]),
                        *((live_server.nephs[d], DRIVER_PAGES) for d in DRIVERS)):
        page = await browser_page(neph=neph, viewport=NARROW)
        for path in paths:
            await page.goto(live_server(path))
            await check_no_horizontal_scroll(page)


async def test_no_horizontal_scroll_at_200_percent_zoom(browser_page, live_server):
    """WCAG 1.4.10: 1280 px at 400 % is 320 CSS px; 200 % text on a phone must reflow too."""
    page = await browser_page(neph=live_server.nephs["martin"], viewport=MOBILE)
    for path in ["/aide", *DRIVER_PAGES]:
        await page.goto(live_server(path))
        await page.evaluate("document.documentElement.style.fontSize = '200%'")
        await check_no_horizontal_scroll(page)


async def test_skip_link_moves_to_the_content(browser_page, live_server):
    page = await browser_page(viewport=DESKTOP)
    for path in ["/", "/aide"]:
        await page.goto(live_server(path))
        await page.keyboard.press("Tab")
        focused = await page.evaluate("({text: document.activeElement.textContent.trim(),"
                                      " top: document.activeElement.getBoundingClientRect().top})")
        assert focused["text"] == "Aller au contenu", f"{path}: first Tab lands on {focused['text']!r}"
        assert focused["top"] >= 0, f"{path}: the focused skip link is off screen (top {focused['top']})"
        await page.keyboard.press("Enter")
        for _ in range(40):  # the same-document navigation settles after the key press
            if await page.evaluate("location.hash === '#contenu' && document.activeElement.id === 'contenu'"):
                break
            await asyncio.sleep(0.05)
        assert await page.evaluate("location.hash") == "#contenu", f"{path}: the skip link did not go to #contenu"
        assert await page.evaluate("document.activeElement.id") == "contenu", \
            f"{path}: after the skip link, focus is not on <main id=\"contenu\">"
