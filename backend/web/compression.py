"""Brotli for whole responses in one call.

Litestar's default brotli facade builds a streaming compressor for every response (even ones
too small to compress) and flushes it after each chunk. Our pages are one small body each,
so this facade keeps the chunks and compresses them once on close: cheaper per page (docs/performance.md),
and nothing at all is allocated for responses that are not compressed.

The effort follows the size. Most pages are a few KB and made in well under a millisecond: the
configured quality (1) keeps their compression cheap, and a higher one would save a few dozen bytes.
A long body (the full statement of a long record, ~24 KB) costs milliseconds to make anyway, and on a
slow mobile link its bytes are what the driver waits for: from `LARGE_BODY_BYTES` on, it is compressed
at `LARGE_BODY_QUALITY`, which saves a tenth or more of its bytes (figures: docs/performance.md,
"Why the code is the way it is", Compression).
"""

from __future__ import annotations

from io import BytesIO

import brotli
from litestar.config.compression import CompressionConfig
from litestar.enums import CompressionEncoding
from litestar.middleware.compression.facade import CompressionFacade

LARGE_BODY_BYTES = 16_384
"""From this size (uncompressed) on, a body is compressed at `LARGE_BODY_QUALITY`."""
LARGE_BODY_QUALITY = 4


class OneShotBrotli(CompressionFacade):
    __slots__ = ("buffer", "chunks", "compression_encoding", "lgwin", "quality")

    encoding = CompressionEncoding.BROTLI

    def __init__(self, buffer: BytesIO, compression_encoding: CompressionEncoding | str,
                 config: CompressionConfig) -> None:
        self.buffer = buffer
        self.compression_encoding = compression_encoding
        self.quality, self.lgwin = config.brotli_quality, config.brotli_lgwin
        self.chunks: list[bytes] = []

    def write(self, body: bytes) -> None:
        # A streamed body (static files) is held until its last chunk: valid ASGI (empty chunks
        # in between), and files are small and cached by browsers for a year.
        self.chunks.append(body)

    def close(self) -> None:
        if self.chunks:
            body = b"".join(self.chunks)
            quality = max(self.quality, LARGE_BODY_QUALITY) if len(body) >= LARGE_BODY_BYTES else self.quality
            self.buffer.write(brotli.compress(body, quality=quality, lgwin=self.lgwin, mode=brotli.MODE_TEXT))
            self.chunks = []
