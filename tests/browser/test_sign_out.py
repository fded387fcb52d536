"""The header's sign-out button (a POST form carrying the CSRF token, in base.html) works with and
without JavaScript, and afterwards the driver's pages ask to sign in again."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import MOBILE, sign_in

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
async def test_sign_out_from_the_header(chromium, live_server, js):
    context = await chromium.new_context(java_script_enabled=js, viewport=MOBILE, locale="fr-FR")
    context.set_default_timeout(10_000)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, live_server.nephs["martin"])
        await page.goto(live_server("/solde"))
        assert page.url == live_server("/solde")
        button = page.locator(".site-header").get_by_role("button", name="Se déconnecter")
        await button.focus()
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        assert await page.locator(".site-header").get_by_role("link", name="Se connecter").count() == 1
        assert await page.locator(".site-nav a[href='/solde']").count() == 0, "driver navigation still shown"
        await page.goto(live_server("/solde"))
        assert page.url.startswith(live_server("/connexion")), f"/solde after sign-out went to {page.url}"
    finally:
        await context.close()
