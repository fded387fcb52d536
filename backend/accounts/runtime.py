"""`Accounts`, everything the accounts area needs at run time (`app.state.accounts`), and the settings
it derives from the app's settings (cookies, secret, CSRF). Its own module so that the plugin (which
builds it) and the pages (which read it through `pages.accounts`) both import it, not each other."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from litestar.config.csrf import CSRFConfig

from backend.accounts.access_log import AccessLog
from backend.accounts.clock import Clock, system_clock
from backend.accounts.franceconnect import FranceConnect
from backend.accounts.linking import AccountsRegister, Linker
from backend.accounts.mail import Mailer
from backend.accounts.ratelimit import RateLimiter
from backend.accounts.service import AccountService
from backend.accounts.session import Sessions
from backend.accounts.transparency import Transparency
from backend.database import Store
from backend.settings import Settings


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

    def __init__(self, db: Store, register: AccountsRegister, settings: Settings, clock: Clock = system_clock, *,
                 file_computed: Callable[[str], bool] | None = None) -> None:
        self.clock = clock
        self.settings = settings
        self.sessions = Sessions(db, self.now, secure=secure_cookies(settings), file_join=register.file_join(db),
                                 file_computed=file_computed)
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
