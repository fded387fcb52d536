"""Security headers on every response, including static files, errors and redirects.

A plain ASGI middleware (not an after-request hook) so that nothing escapes it: exception
responses and the static-files router get the same headers as pages.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar.enums import ScopeType
from litestar.exceptions import NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.settings import Settings


def content_security_policy(settings: Settings) -> str:
    # A sign-in form posts to our own route, which redirects to FranceConnect: browsers apply
    # form-action to that redirect, so FranceConnect's origin must be allowed there.
    form_action = "'self'"
    if settings.fc_discovery_url:
        parts = urlsplit(settings.fc_discovery_url)
        form_action += f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action {form_action}"
    )


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    headers = {
        "content-security-policy": content_security_policy(settings),
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "cross-origin-opener-policy": "same-origin",
        "x-frame-options": "DENY",
    }
    if not settings.is_development:
        headers["strict-transport-security"] = "max-age=63072000; includeSubDomains"
    return [(name.encode(), value.encode()) for name, value in headers.items()]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]]) -> None:
        self.app, self.headers = app, headers
        self.names = {name for name, _ in headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [h for h in message.get("headers", []) if h[0].lower() not in self.names]
                message["headers"] = kept + self.headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGet:
    """Answer `HEAD` on every GET route (RFC 9110 §9.3.2) as GET would, without the body.

    Litestar routes HEAD only to handlers declared for it; rather than declare it on every page,
    a HEAD request runs the GET handler and its body is dropped here, headers (Content-Length
    included) kept. Wraps the whole ASGI handler, like the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        as_get = scope.copy()
        as_get["method"] = "GET"
        await self.app(as_get, receive, send_without_body)


class PathCheckMiddleware(ASGIMiddleware):
    """A path with a NUL or another control character names no page (and would reach the file
    system through the static files router, which fails on a NUL): a 404 page, before any handler."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if any(ord(char) < 0x20 or char == "\x7f" for char in scope["path"]):
            raise NotFoundException()
        await next_app(scope, receive, send)
