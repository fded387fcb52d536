"""`AccountsPlugin`: wires accounts into the app with one line in `create_app`.

It adds the account routes, the app-wide guard middleware, CSRF protection (a double-submit
cookie HMAC-signed with the service secret and the session, renewed at sign-in: accounts.csrf;
form field `_csrf_token` or header `X-CSRFToken`), the `viewer` dependency, and a lifespan step that builds `app.state.accounts`
once the web area's lifespan has opened the database.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.plugins import InitPlugin

from backend.accounts import routes, routes_franceconnect
from backend.accounts.csrf import SessionCSRFMiddleware
from backend.accounts.guards import GuardMiddleware
from backend.accounts.runtime import Accounts, csrf_config
from backend.accounts.session import provide_viewer, provide_viewer_after_register
from backend.records.service import is_computed
from backend.settings import Settings, get_settings


@contextlib.asynccontextmanager
async def accounts_lifespan(app: Litestar) -> AsyncIterator[None]:
    settings: Settings = getattr(app.state, "settings", None) or get_settings()
    state = app.state

    def file_computed(neph: str) -> bool:
        # A driver page shows the file on today's date (`rendering.context.driver_file`); both read when
        # asked, as the pages read them (tests set another date on a running app).
        today = getattr(state, "today", None)
        return today is not None and is_computed(state.register, neph, today())

    accounts = Accounts(app.state.accounts_db, app.state.register, settings, file_computed=file_computed)
    app.state.accounts = accounts
    app.state.access_log = accounts.access_log  # for other areas (a share code's use): no import of accounts
    await accounts.access_log.purge()
    async with app.state.accounts_db.write() as conn:
        await accounts.sessions.purge_expired(conn)
    try:
        yield
    finally:
        await accounts.sessions.drain()
        await accounts.access_log.drain()
        if accounts.fc is not None:
            await accounts.fc.close()


class AccountsPlugin(InitPlugin):
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend([*routes.ROUTES, *routes_franceconnect.ROUTES])
        # The guard first (it loads the session), then CSRF bound to that session (accounts.csrf):
        # not Litestar's `csrf_config`, whose tokens outlive a sign-in.
        app_config.middleware.append(GuardMiddleware())
        app_config.middleware.append(DefineMiddleware(SessionCSRFMiddleware, config=csrf_config(self.settings)))
        if "register" in app_config.dependencies:
            # Litestar resolves the dependencies of one depth together in an anyio task group: for
            # `register` and `viewer` (both instant) that is two task spawns and event-loop turns on
            # every driver page (docs/performance.md). Declared after `register`, `viewer` is resolved in
            # turn, directly.
            app_config.dependencies["viewer"] = Provide(provide_viewer_after_register)
        else:
            app_config.dependencies["viewer"] = Provide(provide_viewer)
        app_config.lifespan.append(accounts_lifespan)
        return app_config
