"""Every route requires a session unless it is listed here; file pages also need a linked file.

The guard is one app-wide middleware (`GuardMiddleware`), so a route someone forgets to mark
is protected, not exposed. It runs after routing, on the route's *path template*
(`/releve/{year:int}`, not the concrete path), so a parameter can never sneak a path into
the public list. For each request it:

1. reads the session cookie and puts the `Viewer` (or None) in `request.state.viewer`;
2. lets PUBLIC_ROUTES through;
3. without a session: sends GET/HEAD to `/connexion?retour=<this path>` (htmx: `HX-Redirect`),
   anything else to the sign-in page as well, with 303 (a POST is never replayed);
4. ACCOUNT_ROUTES need only a session; every other route (the driver's file pages) also needs
   a linked licence file, else the account is sent to the linking page `/compte/lier`;
5. records each successful view of a file page in the access log;
6. marks every response to a signed-in person `Cache-Control: private, no-store`.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.types.asgi_types import RawHeadersList

from backend.accounts.runtime import Accounts

PUBLIC_ROUTES: frozenset[str] = frozenset({
    # information pages (web, design)
    "/", "/sante", "/sante/pret", "/aide", "/accessibilite", "/mentions-legales", "/donnees-personnelles",
    "/plan-du-site", "/robots.txt", "/favicon.ico",
    # statement seal check (statement)
    "/verifier", "/verifier/{code:str}",
    # a third party opens a driver's share code without an account (statement; rate-limited on
    # failures, codes of 100 random bits, every use shown to the driver and in the access log)
    "/consulter",
    # signing in and everything reached from a mail before signing in (accounts)
    "/connexion", "/inscription", "/deconnexion", "/mot-de-passe-oublie", "/mot-de-passe/nouveau",
    "/compte/confirmer-email",
    "/auth/franceconnect/connexion", "/auth/franceconnect/callback", "/auth/franceconnect/deconnexion",
})
# Static files: one mounted router, whatever its path-parameter spelling.
PUBLIC_PREFIXES: tuple[str, ...] = ("/static/",)
# Probes (monitoring, a load balancer): public, and never read a session, even when a browser sends its cookie:
# they show nobody's data, and `/sante` must answer while the database does not (web/pages/health.py). As for
# static files, the CSRF middleware then neither checks nor mints a token (accounts/csrf.py).
PROBE_ROUTES: frozenset[str] = frozenset({"/sante", "/sante/pret"})

# Need a session but no linked file: the account's own pages.
ACCOUNT_ROUTES: frozenset[str] = frozenset({
    "/compte", "/compte/lier", "/compte/mot-de-passe", "/compte/email", "/compte/supprimer",
    "/compte/liens/{account_id:int}/retirer",
})

SIGN_IN_PATH = "/connexion"
LINK_PATH = "/compte/lier"


def is_public(path_template: str) -> bool:
    return path_template in PUBLIC_ROUTES or path_template.startswith(PUBLIC_PREFIXES)


def safe_return_path(value: str | None) -> str | None:
    """`value` if it is a path on this site (never another host: no open redirect), else None."""
    if not value or len(value) > 1000 or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if any(ord(char) < 0x20 or char == "\\" for char in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def sign_in_url(return_to: str | None) -> str:
    path = safe_return_path(return_to)
    if path is None or path == "/":
        return SIGN_IN_PATH
    return f"{SIGN_IN_PATH}?retour={quote(path, safe='/')}"


async def _redirect(scope: Scope, send: Send, location: str) -> None:
    headers: RawHeadersList = [(b"cache-control", b"no-store")]
    status = 303
    if any(name == b"hx-request" for name, _ in scope.get("headers", ())):
        # htmx follows a 303 inside the XHR and would swap the sign-in page into a fragment;
        # HX-Redirect makes it navigate the whole page instead.
        status = 401
        headers.append((b"hx-redirect", location.encode()))
    else:
        headers.append((b"location", location.encode()))
    headers.append((b"content-length", b"0"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


class GuardMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        path_template: str = scope.get("path_template", scope["path"])
        if path_template.startswith(PUBLIC_PREFIXES) or path_template in PROBE_ROUTES:
            await next_app(scope, receive, send)  # static files and probes: no session lookup at all
            return
        accounts = scope["litestar_app"].state.accounts
        session_id = _cookie(scope, accounts.sessions.cookie_name)
        later: list[tuple[str, tuple]] = []  # the session's refresh, written once the response is sent
        try:
            await self._guarded(scope, receive, send, next_app, accounts, session_id, path_template, later)
        finally:
            accounts.sessions.end_request()
            if later:
                await accounts.sessions.write_later(later)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp, accounts: Accounts,
                       session_id: str | None, path_template: str, later: list[tuple[str, tuple]]) -> None:
        public = is_public(path_template)
        # A page of the licence file (what the guard checks last below): its session may bring the file along.
        file_page = not public and path_template not in ACCOUNT_ROUTES
        loaded = await accounts.sessions.load(session_id, later, file_page=file_page)
        viewer = loaded[0] if loaded else None
        state = scope.setdefault("state", {})
        state["viewer"] = viewer
        state["session_id"] = session_id if loaded else None
        state["fc_id_token"] = loaded[1] if loaded else None

        if viewer is not None:
            send = _private(send)
        if public:
            await next_app(scope, receive, send)
            return
        if viewer is None:
            query = scope.get("query_string", b"").decode("latin-1")
            here = scope["path"] + (f"?{query}" if query else "")
            method = scope.get("method", "GET")
            await _redirect(scope, send, sign_in_url(here if method in ("GET", "HEAD") else None))
            return
        if path_template in ACCOUNT_ROUTES:
            await next_app(scope, receive, send)
            return
        if viewer.neph is None:
            await _redirect(scope, send, LINK_PATH)
            return

        status: dict[str, int] = {}

        async def send_and_watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await next_app(scope, receive, send_and_watch)
        if status.get("code") == 200 and scope.get("method") in ("GET", "HEAD"):
            await accounts.access_log.record(viewer.account_id, viewer.neph, path_template,
                                             "franceconnect" if viewer.via_franceconnect else "password")


PRIVATE = (b"cache-control", b"private, no-store")


def _private(send: Send) -> Send:
    """Whatever a signed-in person is sent (their file, or any page showing their menu and CSRF
    token) is kept by no cache: `Cache-Control: private, no-store`, replacing the handler's own."""

    async def send_private(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [h for h in message.get("headers", ()) if h[0].lower() != b"cache-control"]
            message = {**message, "headers": [*headers, PRIVATE]}
        await send(message)

    return send_private


def _cookie(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for header, value in scope.get("headers", ()):
        if header == b"cookie":
            for part in value.split(b";"):
                key, _, val = part.strip().partition(b"=")
                if key == wanted:
                    return val.decode("latin-1")
    return None
