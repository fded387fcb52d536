"""The hook through which another area adds to every page's template context.

Every page shows who is signed in (the sign-out button) and carries the CSRF token (the htmx meta
tag and forms); both belong to accounts, which the renderer must not import (accounts sits beside
web, above rendering). The composition root (`backend/app.py`) registers accounts' provider with
`use_request_context`; `render` and the error pages merge `request_context(request)` under each page's
own context. Without a provider (a bare app, a test of one area) pages get nothing extra.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from litestar import Litestar, Request

RequestContext = Callable[[Request], Mapping[str, Any]]
"""Given the request, the names every template of the page may use (e.g. `viewer`, `csrf_token`)."""


def use_request_context(app: Litestar, provider: RequestContext) -> None:
    """Make `provider`'s names available to every page rendered by `app`."""
    app.state.request_context = provider


def request_context(request: Request) -> Mapping[str, Any]:
    """The registered provider's names for this request (empty when none is registered)."""
    provider: RequestContext | None = getattr(request.app.state, "request_context", None)
    return provider(request) if provider is not None else {}
