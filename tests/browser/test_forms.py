"""A form sent with mistakes, with the keyboard only: the page comes back with the error summary
focused and announced, "Erreur : " at the start of the title, each error linked to its field and
repeated next to it — with and without JavaScript (sign-in and sign-up are the forms every
driver meets first)."""

from __future__ import annotations

import pytest

from tests.browser.checks import check_structure
from tests.fixtures.browser import MOBILE

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def submit_with_keyboard(page, form_selector: str) -> None:
    await page.locator(f"{form_selector} button[type=submit]").focus()
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
# Sign-in answers with one form-level message (it never says which of e-mail or password was
# wrong); sign-up names each field.
@pytest.mark.parametrize(("path", "form", "linked"), [("/connexion", 'main form[action="/connexion"]', False),
                                                     ("/inscription", 'main form[action="/inscription"]', True)],
                         ids=["connexion", "inscription"])
async def test_empty_form_shows_a_focused_error_summary(browser_page, live_server, axe_check, path, form, linked, js):
    page = await browser_page(js=js, viewport=MOBILE)
    await page.goto(live_server(path))
    await submit_with_keyboard(page, form)

    summary = page.locator("[data-error-summary]")
    assert await summary.count() == 1, f"{path}: no error summary after sending an empty form"
    assert (await page.title()).startswith("Erreur : "), f"{path}: title {await page.title()!r}"
    assert await page.evaluate("document.activeElement.hasAttribute('data-error-summary')"), \
        f"{path}: the error summary does not have the focus"
    assert await summary.locator('[role="alert"]').count() == 1
    assert (await summary.locator("li").first.text_content()).strip(), f"{path}: empty error message"
    links = summary.locator("a[href^='#']")
    if not linked:
        assert await links.count() == 0
        await check_structure(page, js=js)
        if js:
            await axe_check(page, f"{path} with errors")
        return
    assert await links.count() >= 1
    for index in range(await links.count()):
        field_id = (await links.nth(index).get_attribute("href"))[1:]
        field = page.locator(f"[id='{field_id}']")
        assert await field.count() == 1, f"{path}: the summary links to #{field_id}, which does not exist"
        assert await field.get_attribute("aria-invalid") == "true", f"{path}: #{field_id} is not marked invalid"
        described = (await field.get_attribute("aria-describedby") or "").split()
        assert f"{field_id}-erreur" in described, f"{path}: #{field_id} is not described by its error"
        assert await page.locator(f"[id='{field_id}-erreur']").is_visible()
    await check_structure(page, js=js)
    if js:
        await axe_check(page, f"{path} with errors")

    # Following the first link puts the keyboard in the field to correct.
    first = await links.first.get_attribute("href")
    await links.first.focus()
    await page.keyboard.press("Enter")
    assert await page.evaluate("location.hash") == first
