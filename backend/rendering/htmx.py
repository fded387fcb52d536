"""Render a whole page, or one named block of it for htmx.

One template per page; the regions htmx swaps are named blocks of that same template
(jinja2-fragments renders a block alone, with the page's context). A request gets the block
only when htmx made it *and* it is neither boosted (a boosted link wants a whole page) nor a
history restore (the back button after the cache was evicted wants a whole page). Because
one URL answers two ways, every response says `Vary: HX-Request`, so no cache ever hands a
fragment to a full navigation.
"""

from __future__ import annotations

from typing import Any, Mapping

import jinja2
from jinja2_fragments import render_block
from litestar import Request, Response
from litestar.enums import MediaType

from backend.rendering.context import request_context

VARY = "HX-Request"


def wants_fragment(request: Request) -> bool:
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )


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
    else:
        body = env.get_template(template_name).render(full_context)
    return Response(
        body,
        status_code=status_code,
        media_type=MediaType.HTML,
        headers={"Vary": VARY, **(headers or {})},
    )
