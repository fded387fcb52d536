"""The PDF never loads anything from outside: only our static files (from disk) and data: URIs."""

from __future__ import annotations

import http.server
import io
import threading

import pypdf
import pytest

from backend.statement.pdf import BASE_URL, LocalFetcher, RefusedResource, document_html, render_pdf


@pytest.fixture
def counting_server():
    """A real HTTP server on loopback that counts the requests it receives."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            hits.append(self.path)
            body = b"body { color: red }"
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_static_files_are_read_from_disk():
    fetcher = LocalFetcher()
    response = fetcher.fetch(BASE_URL + "static/css/print.css?v=123")
    assert b"@page" in response.read() and response.content_type == "text/css"


@pytest.mark.parametrize("url", [
    "https://example.org/tracker.png",
    "http://127.0.0.1:9/static/css/print.css",
    "file:///etc/passwd",
    BASE_URL + "static/../../backend/settings.py",
    BASE_URL + "other/path.css",
])
def test_anything_else_is_refused(url):
    fetcher = LocalFetcher()
    with pytest.raises((RefusedResource, ValueError)):
        fetcher.fetch(url)


def test_a_document_with_remote_references_renders_without_fetching_them(counting_server):
    origin, hits = counting_server
    html = document_html(
        f'<h1>Relevé</h1><img src="{origin}/pixel.png" alt="pixel"><p>Texte</p>'
        f'<link rel="stylesheet" href="{origin}/style.css">',
        "Relevé d'essai", stylesheets=(f"{origin}/remote.css", "/static/css/print.css"))
    fetcher = LocalFetcher()
    pdf = render_pdf(html, fetcher)
    assert hits == []
    assert any(url.startswith(origin) for url in fetcher.refused)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert "Relevé" in reader.pages[0].extract_text()
