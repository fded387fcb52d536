"""The statement and the verifier in real Chromium: axe (WCAG 2.1 AA), narrow screens, A4 printing."""

from __future__ import annotations

import io

import pypdf
import pytest

from tests.fixtures.browser import DESKTOP, NARROW, page_errors

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

A4_AT_96_DPI = {"width": 794, "height": 1123}
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect(); return r.width > 0 && r.right > width + 1;
  }).map(e => e.tagName + '.' + e.className).slice(0, 5);
  return {scroll: document.documentElement.scrollWidth, width, wide};
}"""


async def _no_horizontal_overflow(page) -> None:
    result = await page.evaluate(OVERFLOW)
    assert result["scroll"] <= result["width"] and not result["wide"], result


async def test_the_statement_page_passes_axe_and_fits_a_narrow_screen(browser_page, live_server, axe_check):
    page = await browser_page(neph=live_server.nephs["martin"], viewport=NARROW)
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
    assert page_errors(page) == []


async def test_the_statement_prints_to_a_clean_a4_layout(browser_page, live_server):
    page = await browser_page(neph=live_server.nephs["martin"], viewport=A4_AT_96_DPI)
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
    assert all((round(float(p.mediabox.width)), round(float(p.mediabox.height))) == (595, 842) for p in reader.pages)
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Relevé d'information intégral" in text and "Code de vérification" in text
    assert "Se déconnecter" not in text and "Télécharger le relevé" not in text


async def test_the_verifier_passes_axe_with_each_kind_of_answer(browser_page, live_server, axe_check):
    driver = await browser_page(neph=live_server.nephs["martin"], viewport=DESKTOP)
    await driver.goto(live_server("/releve"))
    code = (await driver.locator(".statement-seal .statement-code").first.inner_text()).strip()

    page = await browser_page(js=False, viewport=NARROW)  # signed out, no JavaScript
    await page.goto(live_server("/verifier"))
    await axe_check(page, "/verifier (form)")
    await page.get_by_label("Code de vérification").fill(code.lower())
    await page.get_by_role("button", name="Vérifier le relevé").click()
    await page.wait_for_load_state()
    assert "Relevé authentique" in await page.locator("main").inner_text()
    await axe_check(page, "/verifier (authentic)")
    await _no_horizontal_overflow(page)

    await page.get_by_label("Code de vérification").fill(code[:-6])
    await page.get_by_role("button", name="Vérifier le relevé").click()
    await page.wait_for_load_state()
    assert await page.title() == "Erreur : Vérifier un relevé d'information intégral – pointspermis"
    assert await page.locator(".error-summary a[href='#code']").count() == 1
    await axe_check(page, "/verifier (mistyped)")
    assert page_errors(page) == []
