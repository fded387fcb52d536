"""`AccountsPlugin`: wires accounts into the app with one line in `create_app`.

It adds the account routes, the app-wide guard middleware, CSRF protection (a double-submit
cookie HMAC-signed with the service secret and the session, renewed at sign-in: accounts.csrf;
form field `_csrf_token` or header `X-CSRFToken`), the `viewer` dependency, and a lifespan step that builds `app.state.accounts`
once the web area's lifespan has opened the database.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.plugins import InitPlugin

from backend.accounts import routes, routes_franceconnect
from backend.accounts.access_log import AccessLog
from backend.accounts.clock import Clock, system_clock
from backend.accounts.csrf import SessionCSRFMiddleware
from backend.accounts.franceconnect import FranceConnect
from backend.accounts.guards import GuardMiddleware
from backend.accounts.linking import Linker
from backend.accounts.mail import Mailer
from backend.accounts.ratelimit import RateLimiter
from backend.accounts.service import AccountService
from backend.accounts.session import Sessions, provide_viewer, provide_viewer_after_register
from backend.accounts.transparency import Transparency
from backend.settings import Settings, get_settings


_PROCESS_SECRET = secrets.token_urlsafe(32)


def secure_cookies(settings: Settings) -> bool:
    return settings.environment == "production"


def secret_key(settings: Settings) -> str:
    """The signing secret; development without one gets a per-process random secret (production
    refuses to start without one: backend/settings.py)."""
    return settings.secret_key or _PROCESS_SECRET


def csrf_config(settings: Settings) -> CSRFConfig:
    secure = secure_cookies(settings)
    return CSRFConfig(
        secret=secret_key(settings),
        cookie_name="__Host-pp_csrf" if secure else "pp_csrf",
        cookie_secure=secure,
        cookie_httponly=True,  # the token reaches pages through the template, not document.cookie
        cookie_samesite="lax",
    )


class Accounts:
    """Everything the accounts area needs at run time, in `app.state.accounts`.

    `clock` is read through `now()`, so tests swap the time source of a running app
    (`app.state.accounts.clock = ManualClock(...)`) and every lifetime follows.
    """

    def __init__(self, db: Any, register: Any, settings: Settings, clock: Clock = system_clock) -> None:
        self.clock = clock
        self.settings = settings
        self.sessions = Sessions(db, self.now, secure=secure_cookies(settings))
        self.limiter = RateLimiter(db, self.now)
        self.access_log = AccessLog(db, self.now, settings.access_log_retention_days)
        self.service = AccountService(db, self.now, self.sessions, self.limiter,
                                      secret=secret_key(settings), base_url=settings.base_url)
        self.linker = Linker(db, register, self.limiter, self.now, base_url=settings.base_url)
        self.mailer = Mailer(settings)
        self.csrf_config = csrf_config(settings)
        self.transparency = Transparency(db, self.access_log, self.now)
        self.fc: FranceConnect | None = None
        if settings.fc_discovery_url:
            self.fc = FranceConnect(db, register, settings, self.now, self.sessions, self.linker)

    def now(self) -> int:
        return self.clock()


@contextlib.asynccontextmanager
async def accounts_lifespan(app: Litestar) -> AsyncIterator[None]:
    settings: Settings = getattr(app.state, "settings", None) or get_settings()
    accounts = Accounts(app.state.accounts_db, app.state.register, settings)
    app.state.accounts = accounts
    app.state.access_log = accounts.access_log  # for other areas (a share code's use): no import of accounts
    await accounts.access_log.purge()
    async with app.state.accounts_db.write() as conn:
        await accounts.sessions.purge_expired(conn)
    try:
        yield
    finally:
        await accounts.access_log.flush()
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
