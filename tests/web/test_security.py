"""Security headers on every response, compression, and long-cached versioned static files."""

from __future__ import annotations

import re

import brotli
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.rendering.templating import STATIC_DIR
from backend.web.compression import (LARGE_BODY_BYTES, MINIMUM_BYTES, QUALITY, WINDOW_BITS, CompressionMiddleware,
                                     compress)
from tests.fixtures.web import MARTIN, web_settings

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def assert_security_headers(headers) -> None:
    assert headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    assert headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/sante", "/solde", "/historique", "/calendrier.ics", "/page-inexistante",
                                  "/static/favicon.svg"])
async def test_security_headers_on_every_kind_of_response(web_client, path):
    async with web_client(MARTIN.neph) as client:
        response = await client.get(path)
    assert response.status_code in (200, 404)
    assert_security_headers(response.headers)
    assert "strict-transport-security" not in response.headers  # development/test: plain http on loopback


async def test_redirects_to_sign_in_carry_the_headers_too(web_client):
    async with web_client(None) as client:
        response = await client.get("/solde", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert_security_headers(response.headers)


async def test_production_adds_hsts_and_allows_the_franceconnect_form_target(web_db):
    settings = web_settings(web_db, environment="production",
                            fc_discovery_url="https://fc.exemple.test/api/v2/.well-known/openid-configuration")
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/sante")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["content-security-policy"].endswith("form-action 'self' https://fc.exemple.test")


async def test_pages_are_compressed(web_client):
    async with web_client(MARTIN.neph) as client:
        brotli_page = await client.get("/historique", headers={"Accept-Encoding": "gzip, deflate, br"})
        gzip_page = await client.get("/historique", headers={"Accept-Encoding": "gzip"})
        plain = await client.get("/historique", headers={"Accept-Encoding": "identity"})
        head = await client.head("/historique", headers={"Accept-Encoding": "gzip, deflate, br"})
        small = await client.get("/sante", headers={"Accept-Encoding": "br"})
    assert brotli_page.headers["content-encoding"] == "br" and gzip_page.headers["content-encoding"] == "gzip"
    assert brotli_page.text == gzip_page.text == plain.text and "<h1>Historique de votre dossier</h1>" in plain.text
    assert "content-encoding" not in plain.headers and int(plain.headers["content-length"]) == len(plain.content)
    # The length on the wire is the compressed one, for GET and HEAD alike; the text is a tenth or so of it.
    on_wire = len(brotli.compress(plain.content, quality=QUALITY, lgwin=WINDOW_BITS, mode=brotli.MODE_TEXT))
    assert brotli_page.headers["content-length"] == head.headers["content-length"] == str(on_wire)
    assert on_wire < len(plain.content) / 3
    assert brotli_page.headers["vary"] == "HX-Request, HX-Boosted, HX-Target, Accept-Encoding"
    assert_security_headers(brotli_page.headers)
    # A body under MINIMUM_BYTES goes as it is.
    assert len(small.content) < MINIMUM_BYTES and "content-encoding" not in small.headers


def test_a_long_body_is_compressed_harder_than_a_page():
    """Small pages at the configured (cheap) quality; from LARGE_BODY_BYTES on, the bytes a slow link waits
    for count more than the compressor's time: fewer bytes, the same text."""
    line = "<li class=\"statement-item\"><h3>Excès de vitesse de 5 à moins de 20 km/h</h3><p>Commise le {} à {}.</p></li>\n"
    towns = ["Clermont-Ferrand (63)", "Chambéry (73)", "Valence (26)", "Rennes (35)", "Brest (29)", "Nantes (44)"]
    body = "".join(line.format(f"{day} mars 19{90 + day % 10}", towns[day % 6]) for day in range(1, 400)).encode()
    small = body[:4000]
    assert len(small) < LARGE_BODY_BYTES <= len(body)
    assert compress(small, b"br") == brotli.compress(small, quality=QUALITY, lgwin=WINDOW_BITS, mode=brotli.MODE_TEXT)
    large = compress(body, b"br")
    assert brotli.decompress(large) == body
    cheap = brotli.compress(body, quality=QUALITY, lgwin=WINDOW_BITS, mode=brotli.MODE_TEXT)
    assert len(large) < len(cheap)


async def test_static_files_have_versioned_urls_and_a_year_of_cache(web_client):
    async with web_client(MARTIN.neph) as client:
        page = (await client.get("/solde")).text
        urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
        assert urls, "the layout links CSS and JS"
        for url in urls:
            assert re.search(r"\?v=[0-9a-f]{12}$", url), f"{url} has no content version"
            response = await client.get(url, headers={"Accept-Encoding": "br"})
            assert response.status_code == 200, url
            on_disk = (STATIC_DIR / url.split("?")[0].removeprefix("/static/")).read_bytes()
            assert response.content == on_disk, f"{url} does not decompress to the file"
            assert "max-age=31536000" in response.headers["cache-control"]
            assert "immutable" in response.headers["cache-control"]


async def test_no_inline_script_or_style_in_pages(web_client):
    async with web_client(MARTIN.neph) as client:
        for path in ["/", "/solde", "/historique", "/calendrier", "/permis"]:
            html = (await client.get(path)).text
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline <script> on {path}"
            assert "<style" not in html and " style=" not in html, f"inline style on {path}"
            assert "hx-on" not in html, f"hx-on handler on {path} (needs eval, blocked by the CSP)"


def _app(messages):
    async def app(scope, receive, send):
        for message in messages:
            await send(dict(message))
    return app


async def _through_compression(messages, accept=b"br"):
    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "headers": [(b"accept-encoding", accept)] if accept else []}
    await CompressionMiddleware(_app(messages))(scope, None, send)
    return sent


START = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/css"),
                                                                    (b"content-length", b"3000")]}


async def test_a_streamed_body_is_compressed_once_when_complete():
    parts = [b"a{color:red}" * 100, b"b{color:blue}" * 80, b""]
    sent = await _through_compression([START, *({"type": "http.response.body", "body": p, "more_body": i < 2}
                                                 for i, p in enumerate(parts))])
    start, body = sent
    headers = dict(start["headers"])
    assert brotli.decompress(body["body"]) == b"".join(parts) and body["more_body"] is False
    assert headers[b"content-encoding"] == b"br" and headers[b"content-length"] == str(len(body["body"])).encode()
    assert headers[b"vary"] == b"Accept-Encoding" and headers[b"content-type"] == b"text/css"


async def test_what_compression_leaves_alone_goes_out_as_the_app_sent_it():
    small = [START, {"type": "http.response.body", "body": b"ok", "more_body": False}]
    assert await _through_compression(small) == small
    assert await _through_compression(small, accept=None) == small
    encoded = [{**START, "headers": [(b"content-encoding", b"gzip")]},
               {"type": "http.response.body", "body": b"x" * 2000, "more_body": False}]
    assert await _through_compression(encoded) == encoded
    # A message that is not a body (an ASGI extension): what was held goes first, unchanged, in order.
    other = [START, {"type": "http.response.body", "body": b"y" * 600, "more_body": True},
             {"type": "http.response.pathsend", "path": "/tmp/f"}]
    assert await _through_compression(other) == [START, {"type": "http.response.body", "body": b"y" * 600,
                                                          "more_body": True}, other[2]]
