"""The history filter, used with the keyboard only: with JavaScript (htmx swaps the results, focus
goes to the results heading, the live region says what changed, the URL and title follow) and
without (the same form is a plain GET that reloads the page)."""

from __future__ import annotations

import asyncio

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fixtures.browser import DESKTOP, MOBILE

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def wait_until(page, function: str, what: str, timeout: float = 5.0) -> None:
    """Poll `function` (a JS arrow function) until it returns true. Polled from Python because
    Playwright's own polling evaluates strings, which the page's CSP (no unsafe-eval) refuses."""
    for _ in range(int(timeout / 0.05)):
        try:
            if await page.evaluate(function):
                return
        except Exception:  # the page is navigating: its context is being replaced
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"waited {timeout} s for {what}")

FOCUSED = """() => { const e = document.activeElement;
  return {tag: e.tagName, id: e.id, name: e.getAttribute('name'), type: e.getAttribute('type'),
          value: e.value, checked: !!e.checked, text: e.textContent.replace(/\\s+/g, ' ').trim()}; }"""


async def tab_to_filter(page) -> dict:
    """Press Tab from the top of the page until a radio of the filter has the focus."""
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(60):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED)
        if focused["tag"] == "INPUT" and focused["name"] == "type":
            return focused
    raise AssertionError("the history filter cannot be reached with the Tab key")


async def choose_another_kind_and_submit(page) -> str:
    first = await tab_to_filter(page)
    assert first["checked"], "Tab should land on the checked radio of the group"
    await page.keyboard.press("ArrowRight")  # the next option, checked by the arrow key
    chosen = await page.evaluate(FOCUSED)
    assert chosen["name"] == "type" and chosen["checked"] and chosen["value"] != first["value"], \
        f"the arrow key did not select another option: {chosen}"
    await page.keyboard.press("Tab")
    button = await page.evaluate(FOCUSED)
    assert button["tag"] == "BUTTON", f"after the radios, Tab lands on {button} instead of the submit button"
    await page.keyboard.press("Enter")
    return chosen["value"]


@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["mobile", "desktop"])
async def test_filter_with_keyboard_and_htmx(browser_page, live_server, axe_check, viewport):
    page = await browser_page(neph=live_server.nephs["martin"], viewport=viewport)
    await page.goto(live_server("/historique"))
    before = await page.locator("#history-results-title").text_content()
    await page.evaluate("window.__same_document = true")  # gone if the browser reloaded the page

    kind = await choose_another_kind_and_submit(page)

    await wait_until(page, "() => document.activeElement && document.activeElement.id === 'history-results-title'",
                     "the focus on the results heading after the swap")
    heading = " ".join((await page.locator("#history-results-title").text_content()).split())
    assert heading != " ".join(before.split()), "the results heading did not change after filtering"
    assert await page.evaluate("window.__same_document === true"), "htmx did not swap: the page was reloaded"
    assert await page.evaluate("document.activeElement.getAttribute('tabindex')") == "-1"
    await wait_until(page, "() => document.getElementById('annonces').textContent.trim().length > 0",
                     "an announcement in the live region", timeout=2.0)
    announced = " ".join((await page.locator("#annonces").text_content()).split())
    assert announced == heading, f"the live region says {announced!r}, the results heading is {heading!r}"
    assert parse_qs(urlsplit(page.url).query).get("type") == [kind], f"the URL {page.url} does not keep the filter"
    assert (await page.title()).startswith("Historique"), await page.title()
    assert await page.locator("h1").count() == 1
    await axe_check(page, f"/historique after an htmx filter ({viewport['width']} px)")

    # Back to the previous filter: a full page comes back from the server (no htmx snapshot kept).
    await page.go_back()
    await wait_until(page, "() => !window.__same_document && document.readyState === 'complete'",
                     "a full reload of the previous filter")
    assert " ".join((await page.locator("#history-results-title").text_content()).split()) == " ".join(before.split())


async def test_filter_with_keyboard_without_javascript(browser_page, live_server):
    page = await browser_page(js=False, neph=live_server.nephs["martin"], viewport=MOBILE)
    await page.goto(live_server("/historique"))
    before = await page.locator("#history-results-title").text_content()

    async with page.expect_navigation():
        kind = await choose_another_kind_and_submit(page)

    assert urlsplit(page.url).path == "/historique"
    assert parse_qs(urlsplit(page.url).query).get("type") == [kind]
    assert await page.locator(f'input[name="type"][value="{kind}"]').is_checked()
    after = await page.locator("#history-results-title").text_content()
    assert " ".join(after.split()) != " ".join(before.split())
    assert await page.locator("h1").count() == 1
