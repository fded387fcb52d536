"""The statement as a tagged A4 PDF (PDF/UA-1), rendered by WeasyPrint from the page's own block.

The PDF never reaches the network: `LocalFetcher` serves the project's static files from
disk and `data:` URIs (the QR code), and refuses everything else, so a statement cannot leak
who is reading it or change with a remote resource. Rendering takes CPU time (tens to
hundreds of milliseconds): callers run `render_pdf` in a worker thread.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.urls import URLFetcher, URLFetcherResponse

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


# After the site's app.css and print.css: page size, numbers and running footer, and the
# few things a PDF needs that a printed web page does not.
PDF_STYLE = """
@page {
  size: A4;
  margin: 18mm 16mm 20mm 16mm;
  @bottom-left { content: "Relevé d'information intégral — NEPH " string(neph); font-size: 8pt; }
  @bottom-right { content: "Page " counter(page) " sur " counter(pages); font-size: 8pt; }
}
html { font-size: 9.5pt; }
.statement-neph { string-set: neph content(); }
thead { display: table-header-group; }
tr, .statement-item, .summary-list__row { break-inside: avoid; }
.statement-seal { break-inside: avoid; border: 0.8pt solid #000; padding: 3mm; margin-top: 5mm; }
.statement-qr { width: 38mm; height: 38mm; float: right; margin: 0 0 2mm 4mm; }
.statement-code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; }
.statement-actions { display: none; }
"""

DOCUMENT = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title>
<meta name="author" content="pointspermis"><meta name="description" content="{title}">
{stylesheets}<style>{style}</style></head>
<body>{body}</body></html>"""


def document_html(body: str, title: str, stylesheets: tuple[str, ...] = ()) -> str:
    """A whole HTML document around the statement block (`title` and `body` already escaped)."""
    links = "".join(f'<link rel="stylesheet" href="{href}">' for href in stylesheets)
    return DOCUMENT.format(title=title, stylesheets=links, style=PDF_STYLE, body=body)


def render_pdf(html: str, fetcher: LocalFetcher | None = None) -> bytes:
    """Tagged PDF/UA-1 bytes of a whole HTML document (blocking: run it in a thread)."""
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher or LocalFetcher(),
                               media_type="print")
    return document.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
