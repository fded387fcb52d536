"""Render a whole page, or one named block of it for htmx.

One template per page; the regions htmx swaps are named blocks of that same template
(jinja2-fragments renders a block alone, with the page's context). A request gets the block
only when htmx made it *and* it is neither boosted (a boosted link wants a whole page) nor a
history restore (the back button after the cache was evicted wants a whole page). Because
one URL answers two ways, every response says `Vary: HX-Request`, so no cache ever hands a
fragment to a full navigation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Mapping

import jinja2
from jinja2_fragments import render_block
from litestar import Litestar, Request, Response
from litestar.background_tasks import BackgroundTask, BackgroundTasks
from litestar.datastructures import Cookie
from litestar.enums import MediaType
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send, TypeEncodersMap

from backend.rendering.context import request_context

# The answer depends on these request headers (see wants_fragment and wants_navigation).
VARY = "HX-Request, HX-Boosted, HX-Target"
MAIN_ID = "contenu"


def wants_fragment(request: Request) -> bool:
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )


def wants_navigation(request: Request) -> bool:
    """A boosted link swapping the main region (templating.BOOST): the page's title and <main> only.
    Not a history restore: the back button after a cache miss wants the whole page."""
    headers = request.headers
    return (
        headers.get("hx-boosted") == "true"
        and headers.get("hx-target") == MAIN_ID
        and headers.get("hx-history-restore-request") != "true"
        and headers.get("hx-request") == "true"
    )


class SentPage(ASGIResponse):
    """The ASGI app of a rendered page: its status, raw headers and body, sent as they are.

    An `ASGIResponse` by type (what Litestar awaits) without its machinery: Litestar only calls it, so
    `ASGIResponse.__init__` (headers, cookies, encoders: what this class exists to skip) is not called."""

    __slots__ = ("status", "raw_headers", "content")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status, self.raw_headers, self.content = status, headers, body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.content, "more_body": False})


class PageResponse(Response[str]):
    """An HTML page, sent without Litestar's general machinery when nothing needs it.

    Litestar turns every response into an `ASGIResponse` (a header object, cookie, encoder and
    background merging): 3 % of the instructions of a cached page (docs/performance.md, "Instructions").
    An HTML page that sets no cookie, has no background task and gets no header from a layer (none is
    configured) is sent as its status, its headers and its bytes; anything else takes Litestar's path."""

    def to_asgi_response(self, app: Litestar | None, request: Request, *,
                         background: BackgroundTask | BackgroundTasks | None = None,
                         cookies: Iterable[Cookie] | None = None,
                         encoded_headers: Iterable[tuple[bytes, bytes]] | None = None,
                         headers: dict[str, str] | None = None, is_head_response: bool = False,
                         media_type: MediaType | str | None = None, status_code: int | None = None,
                         type_encoders: TypeEncodersMap | None = None) -> ASGIResponse:
        status = self.status_code or status_code or 200
        if (self.cookies or cookies or encoded_headers or headers or background or self.background
                or is_head_response or status < 200 or status in (204, 304) or not isinstance(self.content, str)
                or self.media_type not in (MediaType.HTML, MediaType.HTML.value)
                or any(name.lower() in ("content-type", "content-length") for name in self.headers)):
            return super().to_asgi_response(
                app, request, background=background, cookies=cookies, encoded_headers=encoded_headers,
                headers=headers, is_head_response=is_head_response, media_type=media_type, status_code=status_code,
                type_encoders=type_encoders)
        body = self.content.encode()
        raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in self.headers.items()]
        raw += [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        return SentPage(status, raw, body)


def environment(request: Request) -> jinja2.Environment:
    return request.app.state.templates


def render(
    request: Request,
    template_name: str,
    context: Mapping[str, Any],
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response[str]:
    """The page, or only `block` for a plain htmx request; always with `Vary: HX-Request`."""
    env = environment(request)
    # What the request-context hook adds (accounts: `viewer`, `csrf_token`) is in every page, so
    # base.html's sign-out form and the htmx CSRF meta tag work on all pages; a page's own context wins.
    full_context = {"request": request, **request_context(request), **context}
    if block is not None and wants_fragment(request):
        body = render_block(env, template_name, block, full_context)
    elif wants_navigation(request):
        full_context["navigation_swap"] = True  # base.html extends layouts/swap.html
        body = env.get_template(template_name).render(full_context)
    else:
        body = env.get_template(template_name).render(full_context)
    return PageResponse(
        body,
        status_code=status_code,
        media_type=MediaType.HTML,
        headers={"Vary": VARY, **(headers or {})},
    )
