"""Brotli for whole responses in one call.

Litestar's default brotli facade builds a streaming compressor for every response (even ones
too small to compress) and flushes it after each chunk. Our pages are one small body each,
so this facade keeps the chunks and compresses them once on close: cheaper per page (docs/performance.md),
and nothing at all is allocated for responses that are not compressed.
"""

from __future__ import annotations

from io import BytesIO

import brotli
from litestar.config.compression import CompressionConfig
from litestar.enums import CompressionEncoding
from litestar.middleware.compression.facade import CompressionFacade


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
            self.buffer.write(brotli.compress(b"".join(self.chunks), quality=self.quality, lgwin=self.lgwin,
                                              mode=brotli.MODE_TEXT))
            self.chunks = []
