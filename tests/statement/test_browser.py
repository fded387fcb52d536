"""The statement and the verifier in real Chromium: axe (WCAG 2.1 AA), narrow screens, A4 printing."""

from __future__ import annotations

import io
import unicodedata

import pypdf
import pytest
import pytest_asyncio

from backend.accounts.testing import create_linked_account, create_session
from backend.database.db import Database
from tests.fixtures.browser import CHROMIUM_ARGS, DESKTOP, NARROW, page_errors  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

A4_AT_96_DPI = {"width": 794, "height": 1123}
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect(); return r.width > 0 && r.right > width + 1;
  }).map(e => e.tagName + '.' + e.className).slice(0, 5);
  return {scroll: document.documentElement.scrollWidth, width, wide};
}"""


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def driver_page(chromium, live_server):
    """A browser context holding a real session of a real account linked to the MARTIN test file
    (made directly in the database: these tests are about the statement, not the sign-in form)."""
    db = await Database.open(live_server.accounts_db_path)
    try:
        account = await create_linked_account(db, "releve@exemple.test", "un long mot de passe de test",
                                              live_server.nephs["martin"])
        session = await create_session(db, account)
    finally:
        await db.close()
    context = await chromium.new_context(viewport=NARROW, locale="fr-FR")
    await context.add_cookies([{"name": live_server.app.state.accounts.sessions.cookie_name, "value": session,
                                "url": live_server.url}])
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    yield page
    await context.close()


async def _no_horizontal_overflow(page) -> None:
    result = await page.evaluate(OVERFLOW)
    assert result["scroll"] <= result["width"] and not result["wide"], result


async def test_the_statement_page_passes_axe_and_fits_a_narrow_screen(driver_page, live_server, axe_check):
    page = driver_page
    await page.set_viewport_size(NARROW)
    response = await page.goto(live_server("/releve"))
    assert response.status == 200
    assert await page.locator("h1").count() == 1
    assert await page.locator("h1").inner_text() == "Relevé d'information intégral"
    await axe_check(page, "/releve (320 px)")
    await _no_horizontal_overflow(page)
    qr = page.locator("img.statement-qr")
    assert await qr.evaluate("img => img.complete && img.naturalWidth > 100")  # the data: URI loaded under the CSP
    await page.set_viewport_size(DESKTOP)
    await axe_check(page, "/releve (desktop)")
    assert page.errors == []


async def test_the_statement_prints_to_a_clean_a4_layout(driver_page, live_server):
    page = driver_page
    await page.set_viewport_size(A4_AT_96_DPI)
    await page.goto(live_server("/releve"))
    await page.emulate_media(media="print")
    try:
        await _no_horizontal_overflow(page)
        assert not await page.locator(".site-nav").is_visible()
        assert not await page.locator(".statement-actions").is_visible()
        assert await page.locator(".statement-seal").is_visible()
        pdf = await page.pdf(format="A4", print_background=False)
    finally:
        await page.emulate_media(media="screen")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    for p in reader.pages:  # A4 is 595.3 × 841.9 points; Chromium rounds to whole CSS pixels
        assert abs(float(p.mediabox.width) - 595.3) < 1 and abs(float(p.mediabox.height) - 841.9) < 1
    text = unicodedata.normalize("NFKC", " ".join(p.extract_text() for p in reader.pages))  # ﬁ → fi
    assert "Relevé d'information intégral" in text and "Code de vérification" in text
    assert "Se déconnecter" not in text and "Télécharger le relevé" not in text


async def test_the_verifier_passes_axe_with_each_kind_of_answer(driver_page, browser_page, live_server, axe_check):
    await driver_page.goto(live_server("/releve"))
    code = (await driver_page.locator(".statement-seal .statement-short-code").inner_text()).strip()

    page = await browser_page(js=True, viewport=NARROW)  # signed out
    await page.goto(live_server("/verifier"))
    await axe_check(page, "/verifier (form)")
    await page.get_by_label("Code de vérification").fill(code.lower())
    await page.get_by_role("button", name="Vérifier le document").click()
    await page.wait_for_load_state()
    main = await page.locator("main").inner_text()
    assert "Relevé d'information intégral authentique" in main and "Solde de points" in main
    await axe_check(page, "/verifier (authentic)")
    await _no_horizontal_overflow(page)

    await page.get_by_label("Code de vérification").fill(code[:-3] + ("7" if code[-3] != "7" else "8") + code[-2:])
    await page.get_by_role("button", name="Vérifier le document").click()
    await page.wait_for_load_state()
    assert await page.title() == "Erreur : Vérifier un relevé ou une attestation – pointspermis"
    assert await page.locator(".error-summary a[href='#code']").count() == 1
    await axe_check(page, "/verifier (mistyped)")
    assert page_errors(page) == []


async def test_the_verifier_works_without_javascript(driver_page, browser_page, live_server):
    """A scanned QR code lands on /verifier?code=…; typing the code uses the plain GET form."""
    await driver_page.goto(live_server("/releve"))
    code = (await driver_page.locator(".statement-seal .statement-short-code").inner_text()).strip()
    qr_target = await driver_page.evaluate("() => document.querySelector('img.statement-qr').alt")
    assert qr_target.startswith("Code QR de vérification")

    page = await browser_page(js=False, viewport=NARROW)
    await page.goto(live_server("/verifier?code=" + code.replace("-", "")))
    assert "Relevé d'information intégral authentique" in await page.locator("main").inner_text()
    await page.goto(live_server("/verifier"))
    await page.get_by_label("Code de vérification").fill(code)
    await page.get_by_role("button", name="Vérifier le document").click()
    await page.wait_for_load_state()
    assert "Relevé d'information intégral authentique" in await page.locator("main").inner_text()
