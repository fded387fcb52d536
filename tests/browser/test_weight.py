"""First-visit weight of /solde on a cold cache, as Chromium transfers it (compressed): the HTML,
CSS and JavaScript must stay within 40 KB (htmx alone is about 17 KB) — a budget for slow mobile
connections, measured in bytes, not in time."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import MOBILE

pytestmark = pytest.mark.asyncio(loop_scope="session")

BUDGET = 40 * 1024

TRANSFER_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource').map(r => ({name: r.name, size: r.transferSize, type: r.initiatorType}));
  return {document: nav.transferSize, resources};
}"""


async def test_first_visit_of_the_balance_page_fits_the_budget(chromium, browser_page, live_server):
    signed_in = await browser_page(neph=live_server.nephs["martin"])
    context = await chromium.new_context(viewport=MOBILE, locale="fr-FR")
    try:
        await context.add_cookies(await signed_in.context.cookies())  # same session, empty cache
        page = await context.new_page()
        response = await page.goto(live_server("/solde"))
        assert response is not None and response.ok and page.url == live_server("/solde")
        await page.wait_for_load_state("load")
        measured = await page.evaluate(TRANSFER_JS)
    finally:
        await context.close()
    resources = [r for r in measured["resources"] if r["name"].startswith(live_server.url)]
    kinds = {r["name"].split("?")[0].rsplit("/", 1)[-1]: r["size"] for r in resources}
    assert any(name.startswith("htmx") for name in kinds) and "app.css" in kinds, kinds
    assert all(size > 0 for size in kinds.values()), f"a resource came from a cache: {kinds}"
    total = measured["document"] + sum(kinds.values())
    report = f"/solde first visit: document {measured['document']} B + " + \
        ", ".join(f"{name} {size} B" for name, size in sorted(kinds.items())) + f" = {total} B"
    print(report)
    assert total <= BUDGET, f"{report}: over the {BUDGET} B budget"
