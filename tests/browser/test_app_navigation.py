"""The driver's pages as one app (issue #15), at 360 px: with JavaScript a menu link swaps <main> (same
document), the title, URL and current menu item follow, the focus lands on the new h1 and the live region
says the page; Back and Forward give the right pages. Without JavaScript the same links load whole pages."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.checks import check_no_horizontal_scroll, check_structure
from tests.browser.test_history_filter import wait_until
from tests.fixtures.browser import MOBILE

pytestmark = pytest.mark.asyncio(loop_scope="session")

# Menu text -> path, in the order the journey clicks them (Solde last: back where it started).
JOURNEY = [("Historique", "/historique"), ("Calendrier", "/calendrier"), ("Permis", "/permis"),
           ("Relevé", "/releve"), ("Aide", "/aide"), ("Solde", "/solde")]

STATE = """() => ({path: location.pathname, title: document.title,
  h1: document.querySelector('h1').textContent.replace(/\\s+/g, ' ').trim(),
  focused: document.activeElement && document.activeElement.tagName,
  current: [...document.querySelectorAll('.site-nav__link[aria-current="page"]')].map(a => a.getAttribute('href')),
  same: window.__same_document === true})"""


async def click_menu(page, text: str) -> None:
    await page.locator(".site-nav").get_by_role("link", name=text, exact=True).click()


async def test_menu_navigation_with_javascript(browser_page, live_server, axe_check):
    page = await browser_page(neph=live_server.nephs["martin"], viewport=MOBILE)
    await page.goto(live_server("/solde"))
    await page.evaluate("window.__same_document = true")
    visited = ["/solde"]
    for text, path in JOURNEY:
        await click_menu(page, text)
        await wait_until(page, f"() => location.pathname === '{path}' && document.activeElement.tagName === 'H1'",
                         f"the focus on the h1 of {path}")
        state = await page.evaluate(STATE)
        assert state["same"], f"{path}: the browser loaded a whole page instead of swapping <main>"
        assert state["title"].startswith(state["h1"]) and state["title"].endswith("pointspermis"), state
        assert state["current"] == [path], f"{path}: the menu's current item is {state['current']}"
        await wait_until(page, "() => document.getElementById('annonces').textContent.trim().length > 0",
                         "the live region's announcement", timeout=2.0)
        assert (await page.locator("#annonces").text_content()).strip() == state["title"]
        await check_structure(page)
        await check_no_horizontal_scroll(page)
        await axe_check(page, f"{path} after an htmx navigation")
        visited.append(path)

    # A link inside a page navigates the same way: « Et si… ? » from the balance.
    await page.get_by_role("link", name="Et si… ? Simuler une amende ou un stage").click()
    await wait_until(page, "() => location.pathname === '/simulation' && document.activeElement.tagName === 'H1'",
                     "the focus on the simulator's h1")
    state = await page.evaluate(STATE)
    assert state["same"] and state["title"].startswith(state["h1"]) and state["current"] == [], state
    await check_structure(page)
    await axe_check(page, "/simulation after an htmx navigation")
    await page.evaluate("window.__before_back = true")
    await page.go_back()
    await wait_until(page, "() => location.pathname === '/solde' && window.__before_back !== true "
                           "&& document.readyState === 'complete'", "Back to /solde, as a whole page")

    # Back and Forward: the history cache is off, so each is a whole page from the server.
    for expected in reversed(visited[-3:-1]):
        await page.evaluate("window.__before_back = true")
        await page.go_back()  # htmx finds no snapshot and reloads the page (refreshOnHistoryMiss)
        await wait_until(page, f"() => location.pathname === '{expected}' && window.__before_back !== true "
                               "&& document.readyState === 'complete'", f"Back to {expected}, as a whole page")
        state = await page.evaluate(STATE)
        assert state["title"].startswith(state["h1"]) and state["current"] == [expected], state
        await check_structure(page)
    await page.evaluate("window.__before_forward = true")
    await page.go_forward()  # htmx finds no snapshot and reloads the page (refreshOnHistoryMiss)
    await wait_until(page, f"() => location.pathname === '{visited[-2]}' && window.__before_forward !== true "
                           "&& document.readyState === 'complete'", "Forward, as a whole page")
    await page.reload()
    state = await page.evaluate(STATE)
    assert state["path"] == visited[-2] and state["title"].startswith(state["h1"])


async def test_menu_navigation_without_javascript(browser_page, live_server):
    page = await browser_page(js=False, neph=live_server.nephs["martin"], viewport=MOBILE)
    await page.goto(live_server("/solde"))
    for text, path in JOURNEY[:3]:
        async with page.expect_navigation():
            await click_menu(page, text)
        assert urlsplit(page.url).path == path
        await check_structure(page, js=False)  # axe needs JavaScript: it runs on the same markup above
    await page.go_back()
    assert urlsplit(page.url).path == JOURNEY[1][1]
    assert (await page.title()).startswith((await page.locator("h1").text_content()).strip())


async def test_calendar_options_swap_the_calendar_region(browser_page, live_server, axe_check):
    page = await browser_page(neph=live_server.nephs["martin"], viewport=MOBILE)
    await page.goto(live_server("/calendrier"))
    await page.evaluate("window.__same_document = true")
    await page.get_by_label("Les 12 prochains mois").check()
    await page.get_by_role("button", name="Afficher le calendrier").click()
    await wait_until(page, "() => location.search.includes('periode=12-mois') && "
                           "document.activeElement.id === 'previsions-titre'", "the calendar region swapped")
    assert await page.evaluate("window.__same_document === true")
    await check_structure(page)
    await axe_check(page, "/calendrier?periode=12-mois after the swap")
