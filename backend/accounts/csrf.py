"""CSRF protection bound to the session, renewed at every sign-in.

Litestar's CSRF middleware (double-submit cookie: the form field or `X-CSRFToken` header must
equal the cookie, both HMAC-signed) signs every token with one service-wide secret, so a token
obtained before signing in (or by another session on the same browser) stays valid after. Here
the HMAC key also holds the hash of the request's session id (the guard has loaded the session
before this middleware runs): a token is valid only for the session it was made in. At a sign-in
(a new session id) the old cookie no longer verifies, and the first page of the new session sets
a new one; sign-in responses also clear the cookie (`cleared_cookie`), so the browser drops it at
once. Safe requests without a guard decision (static files) neither check nor set the cookie.
"""

from __future__ import annotations

from secrets import compare_digest

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, CSRFMiddleware, generate_csrf_hash, generate_csrf_token
from litestar.types import Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from backend.accounts.tokens import digest

ANONYMOUS = "anonymous"


def session_binding(scope: Scope) -> str | None:
    """What the request's CSRF token is bound to: its live session, or no session; None when the
    guard did not look (a path it skips, such as static files)."""
    state = scope.get("state") or {}
    if "session_id" not in state:
        return None
    session_id = state.get("session_id")
    return digest(session_id) if session_id else ANONYMOUS


def token_for_session(secret: str, session_id: str | None) -> str:
    """A valid CSRF token for the session `session_id` (None: a visitor without a session), as the
    middleware mints it: what a browser holds after its first page of that session (benchmarks use
    it so that their requests, like a browser's, are not each sent a new token)."""
    return generate_csrf_token(secret=f"{secret}|{digest(session_id) if session_id else ANONYMOUS}")


class SessionCSRFMiddleware(CSRFMiddleware):
    """Litestar's middleware (its configuration, cookie and token format), the checks replaced."""

    def _secret(self, binding: str) -> str:
        return f"{self.config.secret}|{binding}"  # as token_for_session

    def _valid(self, token: str | None, binding: str) -> str | None:
        """The token's random part if it is well formed and signed for `binding`."""
        if not token or len(token) < CSRF_SECRET_LENGTH + 1 or len(token) > 4 * CSRF_SECRET_LENGTH:
            return None
        random_part, mac = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
        expected = generate_csrf_hash(token=random_part, secret=self._secret(binding))
        return random_part if compare_digest(mac, expected) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        binding = session_binding(scope)
        request: Request = scope["litestar_app"].request_class(scope=scope, receive=receive)
        state = ScopeState.from_scope(scope)
        cookie = request.cookies.get(self.config.cookie_name)
        if request.method in self.config.safe_methods:
            if binding is None:
                await self.app(scope, receive, send)
                return
            if cookie is not None and self._valid(cookie, binding):
                state.csrf_token = cookie
                await self.app(scope, receive, send)
                return
            token = state.csrf_token = generate_csrf_token(secret=self._secret(binding))
            await self.app(scope, receive, self.create_send_wrapper(send=send, csrf_cookie=None, token=token))
            return

        submitted = request.headers.get(self.config.header_name)
        content_type, _ = request.content_type
        if not submitted and content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            submitted = (await request.form()).get("_csrf_token")
        if binding is None or not isinstance(submitted, str) or cookie is None:
            raise PermissionDeniedException("CSRF token verification failed")
        mine, theirs = self._valid(cookie, binding), self._valid(submitted, binding)
        if mine is None or theirs is None or not compare_digest(mine, theirs):
            raise PermissionDeniedException("CSRF token verification failed")
        state.csrf_token = submitted
        await self.app(scope, receive, send)


def cleared_cookie(config: CSRFConfig) -> Cookie:
    """Set on a sign-in response: the browser forgets the token of the session before."""
    return Cookie(key=config.cookie_name, value="", path=config.cookie_path, secure=config.cookie_secure,
                  httponly=config.cookie_httponly, samesite=config.cookie_samesite, max_age=0)
