"""`create_app(settings)`: the composition root, the one place that wires the application.

Nothing under `backend/` imports this module (tests/test_dependencies.py): `pointspermis serve`
names it to Granian (`backend.app:create_app`) and tests build the app through it. It is the only
module that sees every area, so it is where they are connected: e.g. accounts' viewer and CSRF
token reach every template through the request-context hook (`backend.rendering.context`).

Routes, middleware, dependencies and exception handlers are assembled in plain lists below, so
that another area adds its router or middleware with a one-line edit. Order of middleware
matters: the first in the list is the outermost. Security headers are outside all of them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable

from litestar import Litestar, Request
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotFoundException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from backend.accounts.plugin import AccountsPlugin
from backend.accounts.session import template_context
from backend.database import StoreUnavailable
from backend.database.readiness import Readiness
from backend.database.stores import close_stores, open_stores
from backend.law.dates import PARIS
from backend.register.repository import SqlRegister
from backend.process import settle_after_start
from backend.records.service import HolderNotFound
from backend.settings import Settings, get_settings
from backend.statement.routes import ROUTES as STATEMENT_ROUTES
from backend.web import errors, pages
from backend.web.compression import CompressionMiddleware
from backend.web.security import HeadAsGet, PathCheckMiddleware, SecurityHeadersMiddleware, security_headers
from backend.rendering.context import use_request_context
from backend.rendering.templating import STATIC_DIR, StaticFiles, create_environment


def paris_today() -> dt.date:
    """The legal date for a driver in France (a page viewed at 00:30 in Paris is already "today")."""
    return dt.datetime.now(PARIS).date()


def provide_register(request: Request) -> SqlRegister:
    return request.app.state.register


def create_app(settings: Settings | None = None, *, today: Callable[[], dt.date] = paris_today) -> Litestar:
    """Build the application; `today` gives the `as_of` date of driver pages (tests fix it)."""
    settings = settings or get_settings()
    templates = create_environment(static=StaticFiles())

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Two stores (backend/database/stores.py): the register's, which an import holds for its whole
        # length, and the accounts', which every request writes (accounts, sessions, access log, proofs).
        register_db, accounts_db = await open_stores(settings)
        app.state.register_db, app.state.accounts_db = register_db, accounts_db
        app.state.register = SqlRegister(register_db)
        app.state.readiness = Readiness(register_db, accounts_db)  # /sante/pret, a load balancer's probe
        settle_after_start()  # what exists now lives as long as the worker (backend/process.py)
        try:
            yield
        finally:
            await close_stores(register_db, accounts_db)

    route_handlers: list = [
        *pages.ROUTES,
        *STATEMENT_ROUTES,
        create_static_files_router(
            path="/static", directories=[STATIC_DIR], name="static", include_in_schema=False,
            # URLs carry a content hash (templating.StaticFiles): a file never changes under its URL.
            cache_control=CacheControlHeader(public=True, max_age=31_536_000, immutable=True),
        ),
    ]
    middleware: list = [PathCheckMiddleware()]

    # `viewer` (the signed-in driver, whose `.neph` is the only file pages show) comes from AccountsPlugin.
    dependencies = {
        "register": Provide(provide_register, sync_to_thread=False),
    }

    exception_handlers: dict = {
        NotFoundException: errors.not_found,
        HolderNotFound: errors.not_found,
        HTTPException: errors.http_error,
        UnicodeDecodeError: errors.unreadable_form,  # a form field or part that is not UTF-8
        StoreUnavailable: errors.store_unavailable,  # PostgreSQL restarting, failing over or down: 503
        Exception: errors.server_error,
    }

    app = Litestar(
        route_handlers=route_handlers,
        middleware=middleware,
        dependencies=dependencies,
        exception_handlers=exception_handlers,
        lifespan=[lifespan],
        # No HTMXPlugin: its request class made a reference cycle per request, which kept whole requests
        # alive until the cyclic collector ran (docs/performance.md). Pages read the HX-* headers
        # themselves (rendering.htmx.wants_fragment).
        plugins=[AccountsPlugin(settings)],
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(templates)),
        debug=False,
        openapi_config=None,
    )
    # Security headers and compression wrap Litestar's whole ASGI handler, not just the routes: responses
    # made before routing (unknown paths, 405) and by exception handlers get them too. Compression inside
    # HeadAsGet, so that a HEAD states the Content-Length the GET sends (web/compression.py says why
    # it is ours, not Litestar's).
    app.asgi_handler = SecurityHeadersMiddleware(HeadAsGet(CompressionMiddleware(app.asgi_handler)),
                                                 security_headers(settings))
    app.state.settings = settings
    app.state.templates = templates
    app.state.today = today
    use_request_context(app, template_context)  # `viewer` and `csrf_token` in every page (accounts)
    return app
