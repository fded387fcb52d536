"""The hook through which another area adds to every page's template context.

Every page shows who is signed in (the sign-out button) and carries the CSRF token (the htmx meta
tag and forms); both belong to accounts, which the renderer must not import (accounts sits beside
web, above rendering). The composition root (`backend/app.py`) registers accounts' provider with
`use_request_context`; `render` and the error pages merge `request_context(request)` under each page's
own context. Without a provider (a bare app, a test of one area) pages get nothing extra.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeAlias

from litestar import Litestar, Request
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import SkipValidation

from backend.records.service import LicenceFile, RegisterReader, licence_file

RequestContext = Callable[[Request], Mapping[str, Any]]
"""Given the request, the names every template of the page may use (e.g. `viewer`, `csrf_token`)."""


def use_request_context(app: Litestar, provider: RequestContext) -> None:
    """Make `provider`'s names available to every page rendered by `app`."""
    app.state.request_context = provider


def request_context(request: Request) -> Mapping[str, Any]:
    """The registered provider's names for this request (empty when none is registered)."""
    provider: RequestContext | None = getattr(request.app.state, "request_context", None)
    return provider(request) if provider is not None else {}


class Viewer(Protocol):
    """Who is signed in, as the pages see it (accounts' `session.Viewer` is one; the composition root
    provides it to the pages as the `viewer` dependency)."""

    @property
    def neph(self) -> str | None:
        """The licence file the account is linked to (None: not linked yet)."""
        ...


# How a handler declares the two objects the composition root provides by name. Typed for mypy; not
# checked by Litestar on each request (it cannot check a Protocol, and the provider is the app's own).
ProvidedRegister: TypeAlias = NamedDependency[SkipValidation[RegisterReader]]
ProvidedViewer: TypeAlias = NamedDependency[SkipValidation[Viewer]]


def own_neph(viewer: Viewer) -> str:
    """The NEPH of the viewer's own file, the only one a driver's page may show. The guard has already
    sent an account without a linked file to the linking page: this refusal is a second line of defence."""
    if viewer.neph is None:
        raise NotAuthorizedException("Aucun dossier de permis n'est rattaché à ce compte")
    return viewer.neph


async def driver_file(request: Request, register: RegisterReader, viewer: Viewer) -> LicenceFile:
    """The signed-in driver's own file on today's date (`app.state.today`): what every driver page and the
    statement show. A driver never chooses which file to see."""
    return await licence_file(register, own_neph(viewer), request.app.state.today())
