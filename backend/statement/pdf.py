"""The statement as a tagged A4 PDF (PDF/UA-1), rendered by WeasyPrint from the page's own block.

The PDF never reaches the network: `LocalFetcher` serves the project's static files from
disk and `data:` URIs (the QR code), and refuses everything else, so a statement cannot leak
who is reading it or change with a remote resource. Rendering takes CPU time (tens to
hundreds of milliseconds): callers run `render_pdf` in a worker thread.

A render's time is WeasyPrint's pure Python spread over every element, line and glyph, so it is set
by how much the statement says; request-independent work (stylesheets, fonts, parsing) is done once
or made cheap (where the time goes, measured: docs/performance.md).
"""

from __future__ import annotations

import logging
import mimetypes
import re
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import cssselect2
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from backend.caching import memoised
from backend.process import collector_paused

# WeasyPrint reports each rendering step at INFO: seven log lines per download, none useful.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

STATIC_DIR = Path(__file__).resolve().parents[2] / "frontend" / "static"
BASE_URL = "https://pointspermis.invalid/"
"""The document's base URL: never fetched, it only lets `LocalFetcher` recognise the project's
own paths (`/static/…`) once WeasyPrint has made them absolute."""


class RefusedResource(ValueError):
    """A resource the statement may not load (anything but our static files and data: URIs)."""


class LocalFetcher(URLFetcher):
    """WeasyPrint's fetcher, restricted to `data:` URIs and files under `frontend/static/`."""

    def __init__(self, static_dir: Path = STATIC_DIR) -> None:
        super().__init__(allowed_protocols=("data", "https"))
        self.static_dir = static_dir.resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parts = urlsplit(url)
        origin = urlsplit(BASE_URL)
        if (parts.scheme, parts.netloc) == (origin.scheme, origin.netloc) and parts.path.startswith("/static/"):
            path = (self.static_dir / unquote(parts.path[len("/static/"):])).resolve()
            if self.static_dir in path.parents and path.is_file():
                media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media_type})
        self.refused.append(url)
        raise RefusedResource(f"ressource refusée dans le relevé PDF : {url}")


# With print.css (the site's print rules), the whole look of the PDF. The screen stylesheet is
# left out on purpose: its cascade and flex layouts doubled WeasyPrint's time for nothing a
# printed statement needs. Two-column key/value tables keep a long record to a few pages; their
# fixed layout takes column widths from the CSS instead of measuring every cell's text twice
# (minimum and maximum content width) first, and lines the key column up across all the lists.
PDF_STYLE = """
@page {
  size: A4;
  margin: 16mm 15mm 18mm 15mm;
  @bottom-left { content: string(doctitle) " — NEPH " string(neph); font-size: 7.5pt; }
  @bottom-right { content: "Page " counter(page) " sur " counter(pages); font-size: 7.5pt; }
}
html { font-family: "DejaVu Sans", sans-serif; font-size: 9pt; line-height: 1.3; }
h1 { font-size: 15pt; string-set: doctitle content(); } h2 { font-size: 11.5pt; margin: 5mm 0 1.5mm; } h3 { font-size: 9.5pt; margin: 2.5mm 0 1mm; }
p { margin: 0 0 1.5mm; }
ul, ol { margin: 0 0 2mm; padding-left: 5mm; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0, 0, 0, 0); }
.statement-neph { string-set: neph content(); }
.notice { border: 0.8pt solid #000; padding: 2mm 3mm; margin: 0 0 3mm; }
.notice__heading { font-size: 9.5pt; margin: 0 0 1mm; }
table, .summary-list { border-collapse: collapse; table-layout: fixed; width: 100%; margin: 0 0 2mm; }
caption { text-align: left; font-weight: bold; padding: 0 0 1mm; }
th, td { border-bottom: 0.5pt solid #999; padding: 0.8mm 2mm 0.8mm 0; text-align: left; vertical-align: top; }
thead { display: table-header-group; }
.summary-list { display: table; }
.summary-list__row { display: table-row; }
.summary-list__key, .summary-list__value { display: table-cell; border-bottom: 0.5pt solid #bbb; padding: 0.6mm 2mm 0.6mm 0; margin: 0; }
.summary-list__key { width: 42mm; font-weight: bold; }
.statement-list { list-style: none; padding: 0; }
.statement-item { break-inside: avoid; margin: 0 0 2mm; }
.statement-seal { break-inside: avoid; border: 0.8pt solid #000; padding: 3mm; margin-top: 4mm; }
.statement-qr { width: 36mm; height: 36mm; float: right; margin: 0 0 2mm 4mm; image-rendering: pixelated; }
.statement-code { font-family: "DejaVu Sans Mono", monospace; font-size: 8pt; }
.statement-short-code { font-size: 12pt; letter-spacing: 0.5pt; }
.statement-actions { display: none; }
"""

DOCUMENT = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title>
<meta name="author" content="pointspermis"><meta name="description" content="{title}">
{stylesheets}</head>
<body>{body}</body></html>"""


def document_html(body: str, title: str, stylesheets: tuple[str, ...] = ()) -> str:
    """A whole HTML document around the statement block (`title` and `body` already escaped).
    `stylesheets` are extra `<link>`s; print.css and PDF_STYLE are applied by `render_pdf`."""
    links = "".join(f'<link rel="stylesheet" href="{href}">' for href in stylesheets)
    return DOCUMENT.format(title=title, stylesheets=links, body=body)


@memoised(maxsize=None)
def _stylesheets() -> tuple[weasyprint.CSS, ...]:
    """print.css and PDF_STYLE, parsed once per process rather than once per statement."""
    return (weasyprint.CSS(filename=str(STATIC_DIR / "css" / "print.css"), media_type="print"),
            weasyprint.CSS(string=PDF_STYLE, media_type="print"))


_VOID_ELEMENT = re.compile(r"<(area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr)\b([^>]*?)/?>")


class _ParsedHTML(weasyprint.HTML):
    """A `weasyprint.HTML` around a tree parsed beforehand: sets what WeasyPrint 70's `HTML.__init__`
    sets after parsing (the version is pinned; tests/statement/test_pdf_render.py compares the PDF
    with the one WeasyPrint's own parser gives, so an upgrade that changes this shows up there)."""

    def __init__(self, root: ET.Element, url_fetcher: URLFetcher) -> None:  # noqa: D107
        self.base_url = BASE_URL
        self.url_fetcher = url_fetcher
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element


def _html(html: str, fetcher: URLFetcher) -> weasyprint.HTML:
    """The document for WeasyPrint. Our template writes well-formed markup whose only non-XML
    trait is unclosed void elements (`<br>`, `<img …>`), so once those are closed the C XML parser
    reads it in a fraction of the time WeasyPrint's HTML5 parser (pure Python) takes
    (docs/performance.md). Anything that is not well-formed goes through the HTML5 parser as before."""
    try:
        root = ET.fromstring(_VOID_ELEMENT.sub(r"<\1\2/>", html))
    except ET.ParseError:
        root = None
    if root is None or root.tag != "html":
        return weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher, media_type="print")
    return _ParsedHTML(root, fetcher)


class _FontConfigurations:
    """FontConfigurations kept for reuse, one per concurrent render.

    WeasyPrint otherwise builds a new one per document: Fontconfig reloads its configuration and
    a fresh Pango font map starts with empty caches (fonts, glyph metrics, shaping plans), which
    each statement then refills. A configuration is lent to one render at a time, as Pango font
    maps are not meant to be used from two threads at once; there are never more of them than
    renders running together (routes cap those at two)."""

    def __init__(self) -> None:
        self._idle: list[FontConfiguration] = []
        self._lock = threading.Lock()

    def take(self) -> FontConfiguration:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return FontConfiguration()

    def give_back(self, config: FontConfiguration) -> None:
        with self._lock:
            self._idle.append(config)


_FONT_CONFIGS = _FontConfigurations()


def render_pdf(html: str, fetcher: LocalFetcher | None = None) -> bytes:
    """Tagged PDF/UA-1 bytes of a whole HTML document (blocking: run it in a thread)."""
    font_config = _FONT_CONFIGS.take()
    try:
        # A render allocates some hundred thousand objects (boxes, styles, text runs) that live until
        # it ends; the collector waits for it (bounded and shared with other work: backend/process.py).
        with collector_paused():
            return _html(html, fetcher or LocalFetcher()).write_pdf(
                stylesheets=list(_stylesheets()), font_config=font_config, pdf_variant="pdf/ua-1", pdf_tags=True)
    finally:
        _FONT_CONFIGS.give_back(font_config)
