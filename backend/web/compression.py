"""Compression of whole responses in one call: brotli, or gzip for a client without it.

Our pages are one small body each, made per request on a CPU every request of the worker shares.
Around the compressor, Litestar's compression middleware (a facade object, a buffer, header objects
for every response) cost 4 % of the instructions of a cached page (docs/performance.md,
"Instructions"); this ASGI middleware reads and writes the raw header list, keeps the body's chunks
and compresses them once, on the last one. Nothing at all is wrapped for a client that accepts neither encoding.
Streamed bodies (static files) are held until their last chunk: files are small and cached by
browsers for a year.

The effort follows the size. Most pages are a few KB and made in well under a millisecond: quality 1
keeps their compression cheap, and a higher one would save a few dozen bytes. A long body (the full
statement of a long record, ~24 KB) costs milliseconds to make anyway, and on a slow mobile link its
bytes are what the driver waits for: from `LARGE_BODY_BYTES` on, it is compressed at
`LARGE_BODY_QUALITY`, which saves a tenth or more of its bytes (figures: docs/performance.md,
"Why the code is the way it is", Compression).
"""

from __future__ import annotations

import gzip

import brotli
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

QUALITY = 1
"""Brotli quality of a page."""
WINDOW_BITS = 18
"""Brotli window (256 KB): more than any body we send, so a body is compressed against all of itself."""
GZIP_LEVEL = 6
MINIMUM_BYTES = 500
"""Smaller bodies are sent as they are (the encoding's own overhead would eat the gain)."""
LARGE_BODY_BYTES = 16_384
"""From this size (uncompressed) on, a body is compressed at `LARGE_BODY_QUALITY`."""
LARGE_BODY_QUALITY = 4


def compress(body: bytes, encoding: bytes) -> bytes:
    if encoding == b"gzip":
        return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    quality = LARGE_BODY_QUALITY if len(body) >= LARGE_BODY_BYTES else QUALITY
    return brotli.compress(body, quality=quality, lgwin=WINDOW_BITS, mode=brotli.MODE_TEXT)


def chosen_encoding(scope: Scope) -> bytes | None:
    """Brotli if the request accepts it, else gzip if it accepts that, else none."""
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            return b"br" if b"br" in value else b"gzip" if b"gzip" in value else None
    return None


def compressed_headers(headers: list[tuple[bytes, bytes]], encoding: bytes, length: int) -> list[tuple[bytes, bytes]]:
    """The response's headers for its compressed body: the encoding, the new length, `Vary: Accept-Encoding`."""
    kept: list[tuple[bytes, bytes]] = []
    vary = b""
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"vary":
            vary = value
        elif lowered != b"content-length":
            kept.append((name, value))
    vary = vary + b", Accept-Encoding" if vary else b"Accept-Encoding"
    return [*kept, (b"vary", vary), (b"content-encoding", encoding), (b"content-length", str(length).encode())]


class CompressionMiddleware:
    """Wraps the whole ASGI handler, like the security headers (backend/web/security.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        encoding = chosen_encoding(scope) if scope["type"] == "http" else None
        if encoding is None:
            await self.app(scope, receive, send)
            return
        start: HTTPResponseStartEvent | None = None
        chunks: list[bytes] = []

        async def send_compressed(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                # Anything but a body (an ASGI extension, e.g. a file sent by path): what is held goes
                # out as the app made it, and so does the rest of the response.
                if start is not None:
                    await send(start)
                    if chunks:
                        await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": True})
                        chunks.clear()
                    start = None
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            headers = list(start.get("headers", []))
            if len(body) >= MINIMUM_BYTES and not any(name.lower() == b"content-encoding" for name, _ in headers):
                body = compress(body, encoding)
                start = start.copy()
                start["headers"] = compressed_headers(headers, encoding, len(body))
            sent, start = start, None
            await send(sent)
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, send_compressed)
