"""Share codes and the attestation in real Chromium at 360 px, with and without JavaScript: the
driver makes a code (after a mistake), a third party without an account opens it, the driver sees
the use; axe (WCAG 2.1 AA) and the structural checks on every step."""

from __future__ import annotations

import pytest
import pytest_asyncio

from tests.browser.checks import check_no_horizontal_scroll, check_structure, check_touch_targets
from tests.fixtures.browser import DRIVER_NEPHS, MOBILE

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def axe_page(chromium, live_server):
    """A page with JavaScript on the live server's origin, where axe checks the exact DOM a page
    without JavaScript received (axe is a script: it cannot run in a page that has them off)."""
    context = await chromium.new_context(viewport=MOBILE, locale="fr-FR")
    page = await context.new_page()
    await page.goto(live_server("/aide"))
    yield page
    await context.close()


async def checked(page, axe_check, axe_page, where: str, *, js: bool) -> None:
    await check_structure(page, js=js)
    await check_no_horizontal_scroll(page)
    await check_touch_targets(page)
    where = f"{where} ({'JS' if js else 'sans JS'}, 360 px)"
    if js:
        await axe_check(page, where)
    else:
        await axe_page.set_content(await page.content())  # same origin: its stylesheets load as they did
        await axe_check(axe_page, where)


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
async def test_the_share_code_journey(browser_page, live_server, axe_check, axe_page, js):
    neph = DRIVER_NEPHS["bernard"]
    driver = await browser_page(js=js, neph=neph, viewport=MOBILE)
    await driver.goto(live_server("/partage"))
    await checked(driver, axe_check, axe_page, "/partage", js=js)

    # A mistake first: a duration beyond 21 days.
    await driver.get_by_label("Employeur").check()
    await driver.get_by_label("Droits à conduire et solde de points").check()
    await driver.get_by_label("Durée de validité, en jours").fill("30")
    await driver.get_by_label("Une seule fois").check()
    await driver.get_by_role("button", name="Créer le code de partage").click()
    await driver.wait_for_load_state()
    assert (await driver.title()).startswith("Erreur : Partager mes droits à conduire")
    summary = driver.locator(".error-summary a[href='#days']")
    assert await summary.count() == 1
    if js:
        assert await driver.evaluate("document.activeElement.closest('.error-summary') !== null")
    await checked(driver, axe_check, axe_page, "/partage (erreur)", js=js)

    await driver.get_by_label("Durée de validité, en jours").fill("5")
    await driver.get_by_role("button", name="Créer le code de partage").click()
    await driver.wait_for_load_state()
    code = (await driver.locator(".share-code").inner_text()).strip()
    assert len(code.replace("-", "")) == 21
    await checked(driver, axe_check, axe_page, "/partage (code créé)", js=js)

    visitor = await browser_page(js=js, viewport=MOBILE)  # no account
    await visitor.goto(live_server("/consulter"))
    await checked(visitor, axe_check, axe_page, "/consulter", js=js)
    await visitor.get_by_label("Code de partage").fill(code.lower())
    await visitor.get_by_role("button", name="Consulter").click()
    await visitor.wait_for_load_state()
    main = await visitor.locator("main").inner_text()
    assert "Code de partage valable" in main and neph in main and "Solde de points" in main
    await checked(visitor, axe_check, axe_page, "/consulter (droits affichés)", js=js)

    await visitor.get_by_label("Code de partage").fill(code)
    await visitor.get_by_role("button", name="Consulter un autre code").click()
    await visitor.wait_for_load_state()
    assert "déjà été utilisé" in await visitor.locator("main").inner_text()
    await checked(visitor, axe_check, axe_page, "/consulter (code déjà utilisé)", js=js)

    await driver.goto(live_server("/partage"))
    listing = await driver.locator("main").inner_text()
    assert "Consultations (1)" in listing and "Chrom" in listing
    await checked(driver, axe_check, axe_page, "/partage (consultation listée)", js=js)


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
async def test_the_attestation_and_its_verification(browser_page, live_server, axe_check, axe_page, js):
    driver = await browser_page(js=js, neph=DRIVER_NEPHS["bernard"], viewport=MOBILE)
    await driver.goto(live_server("/attestation"))
    await checked(driver, axe_check, axe_page, "/attestation", js=js)
    code = (await driver.locator(".statement-short-code").inner_text()).strip()
    visitor = await browser_page(js=js, viewport=MOBILE)
    await visitor.goto(live_server("/verifier"))
    await visitor.get_by_label("Code de vérification").fill(code)
    await visitor.get_by_role("button", name="Vérifier le document").click()
    await visitor.wait_for_load_state()
    assert "Attestation de droits à conduire authentique" in await visitor.locator("main").inner_text()
    await checked(visitor, axe_check, axe_page, "/verifier (attestation)", js=js)
