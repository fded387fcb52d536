"""Printing (print.css): a driver's history and statement print on A4 without the site's
navigation, forms or buttons, in black on white, and nothing is cut at the right edge."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.fixtures.browser import DESKTOP

pytestmark = pytest.mark.asyncio(loop_scope="session")

PRINTED_JS = """() => {
  const shown = sel => [...document.querySelectorAll(sel)].filter(e => getComputedStyle(e).display !== 'none').length;
  const main = document.getElementById('contenu');
  return {nav: shown('.site-nav'), skip: shown('.skip-link'), forms: shown('main form, .site-header form'),
          buttons: shown('main button, main .button'), color: getComputedStyle(main).color,
          background: getComputedStyle(document.body).backgroundColor,
          mainWidth: main.scrollWidth, pageWidth: document.documentElement.clientWidth};
}"""


@pytest.mark.parametrize("path", ["/historique", "/releve"])
async def test_driver_pages_print_cleanly_on_a4(browser_page, live_server, path):
    page = await browser_page(neph=live_server.nephs["martin"], viewport=DESKTOP, color_scheme="dark")
    await page.goto(live_server(path))
    await page.emulate_media(media="print")
    try:
        printed = await page.evaluate(PRINTED_JS)
        pdf = await page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        await page.emulate_media(media="screen")
    assert printed["nav"] == printed["skip"] == printed["forms"] == printed["buttons"] == 0, \
        f"{path}: navigation, forms or buttons are printed: {printed}"
    assert printed["color"] == "rgb(0, 0, 0)", f"{path}: printed text is {printed['color']} (dark theme leaked)"
    assert printed["background"] in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), printed["background"]
    assert printed["mainWidth"] <= printed["pageWidth"], f"{path}: content wider than the printed page: {printed}"
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 1
    width, height = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
    assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2, f"{path}: page is {width} × {height} pt, not A4"
