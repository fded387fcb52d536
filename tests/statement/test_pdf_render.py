"""How the PDF is produced, beyond what it says: the fast parse of our own documents gives the very PDF
WeasyPrint's HTML5 parser gives; renders share font configurations across threads; the garbage
collector paused during renders always comes back."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import gc
import io

import pypdf
import pytest
import weasyprint

from backend.records.service import licence_file
from backend.statement import pdf
from backend.statement.render import issue, pdf_document
from backend.statement.seal import Keyring, new_private_key
from backend.rendering.templating import create_environment

LONG = "100000000001"
AS_OF = dt.date(2026, 11, 25)


async def _long_document(register) -> str:
    file = await licence_file(register, LONG, AS_OF)
    statement = issue(file, dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC), Keyring.parse(new_private_key("t")),
                      "https://pp.example")
    return pdf_document(create_environment(), statement)


def _struct_types(node, out: list[str]) -> list[str]:
    node = node.get_object()
    if "/S" in node:
        out.append(str(node["/S"]))
    kids = node.get("/K")
    kids = [] if kids is None else kids.get_object()
    for kid in kids if isinstance(kids, list) else [kids]:
        kid = kid.get_object() if hasattr(kid, "get_object") else kid
        if isinstance(kid, dict):
            _struct_types(kid, out)
    return out


def _what_it_says(data: bytes) -> tuple[list[str], list[str], str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    return [p.extract_text() for p in reader.pages], _struct_types(root["/StructTreeRoot"], []), str(root["/Lang"])


async def test_the_statement_is_parsed_fast_and_gives_the_same_pdf_as_the_html5_parser(register, monkeypatch):
    html = await _long_document(register)
    assert isinstance(pdf._html(html, pdf.LocalFetcher()), pdf._ParsedHTML)  # our template stays well-formed
    fast = _what_it_says(pdf.render_pdf(html))
    monkeypatch.setattr(pdf, "_html", lambda html, fetcher: weasyprint.HTML(
        string=html, base_url=pdf.BASE_URL, url_fetcher=fetcher, media_type="print"))
    assert fast == _what_it_says(pdf.render_pdf(html))
    pages, tags, lang = fast
    assert len(pages) >= 3 and lang == "fr" and tags.count("/H3") >= 8 and "/Table" in tags and "/Figure" in tags
    # on paper, restored points are written in words (the screen-reader text), not as "+3"
    assert "points récupérés" in " ".join(pages) and "+3" not in " ".join(pages)


def test_a_document_that_is_not_well_formed_xml_still_renders_with_the_html5_parser():
    html = pdf.document_html("<p>Avant&nbsp;la coupure<br>après<p>Second paragraphe sans fin", "Essai")
    assert not isinstance(pdf._html(html, pdf.LocalFetcher()), pdf._ParsedHTML)
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.render_pdf(html))).pages)
    assert "Avant" in text and "après" in text and "Second paragraphe sans fin" in text


@pytest.mark.parametrize("enabled", [True, False])
def test_renders_from_two_threads_at_once_succeed_and_leave_the_collector_as_it_was(enabled, monkeypatch):
    html = pdf.document_html("<h1>Relevé</h1>" + "<p>Ligne de texte assez longue pour être coupée.</p>" * 60, "Essai")
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            results = list(pool.map(pdf.render_pdf, [html] * 6))
        assert all(pypdf.PdfReader(io.BytesIO(r)).pages[0].extract_text().startswith("Relevé") for r in results)
        assert gc.isenabled() is enabled

        def broken() -> tuple:
            raise RuntimeError("feuille de style illisible")

        monkeypatch.setattr(pdf, "_stylesheets", broken)
        with pytest.raises(RuntimeError):  # a render that fails gives the collector back too
            pdf.render_pdf(html)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
