"""FranceConnect pages: start (redirect to FranceConnect), callback, return after logout.

Errors at the callback get a clear French page (400) with what to do next; the technical
reason is logged as a short code, never with personal data.
"""

from __future__ import annotations

import logging

from litestar import Request, Response, get
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect

from backend.accounts.csrf import cleared_cookie
from backend.accounts.franceconnect import FranceConnect, FranceConnectError, REQUEST_SECONDS
from backend.accounts.guards import LINK_PATH, safe_return_path
from backend.accounts.pages import HOME_AFTER_SIGN_IN, accounts, mail_task, page
from backend.accounts.tokens import random_token

log = logging.getLogger(__name__)
STATE_COOKIE = "pp_fc_state"
LOGOUT_COOKIE = "pp_fc_logout"
PREFIX = "/auth/franceconnect"


def _cookie(request: Request, name: str, value: str, *, clear: bool = False) -> Cookie:
    secure = accounts(request).sessions.secure
    return Cookie(key=name, value="" if clear else value, path=PREFIX, httponly=True, secure=secure,
                  samesite="lax", max_age=0 if clear else REQUEST_SECONDS)


def _fc(request: Request) -> FranceConnect:
    fc = accounts(request).fc
    if fc is None:
        raise NotFoundException()
    return fc


@get(f"{PREFIX}/connexion", include_in_schema=False)
async def franceconnect_start(request: Request, retour: FromQuery[str | None] = None) -> Response:
    fc = _fc(request)  # 404 when FranceConnect is not configured
    try:
        url, state = await fc.start(safe_return_path(retour) or HOME_AFTER_SIGN_IN)
    except OSError as exc:  # provider unreachable (httpx2 transport errors are OSError-like)
        log.warning("FranceConnect injoignable : %s", type(exc).__name__)
        return error_page(request, "FranceConnect ne répond pas pour le moment. Réessayez dans quelques minutes "
                                   "ou connectez-vous avec votre adresse électronique.", 503)
    except Exception as exc:  # noqa: BLE001 — discovery failures are many kinds; the page says what to do
        log.warning("FranceConnect : découverte impossible (%s)", type(exc).__name__)
        return error_page(request, "FranceConnect ne répond pas pour le moment. Réessayez dans quelques minutes "
                                   "ou connectez-vous avec votre adresse électronique.", 503)
    response = Redirect(url, status_code=303)
    response.set_cookie(_cookie(request, STATE_COOKIE, state))
    return response


def error_page(request: Request, message: str, status: int = 400) -> Response:
    response = page(request, "message.html", status, heading="Connexion avec FranceConnect impossible",
                    paragraphs=[message], link=("/connexion", "Revenir à la page de connexion"))
    response.set_cookie(_cookie(request, STATE_COOKIE, "", clear=True))
    if status == 503:  # FranceConnect unreachable: say when to try again
        response.headers["Retry-After"] = "60"
    return response


@get(f"{PREFIX}/callback", include_in_schema=False)
async def franceconnect_callback(request: Request) -> Response:
    fc = _fc(request)
    params = {key: value for key, value in request.query_params.items() if isinstance(value, str)}
    try:
        identity = await fc.callback(params, request.cookies.get(STATE_COOKIE))
        session_id, problem, mails = await fc.sign_in(identity, request.scope["state"].get("session_id"))
    except FranceConnectError as error:
        log.warning("FranceConnect : connexion refusée (%s)", error.code)
        return error_page(request, error.message, error.status)
    target = f"{LINK_PATH}?raison={problem}" if problem else identity["return_to"]
    response = Redirect(target, status_code=303)
    response.set_cookie(accounts(request).sessions.cookie(session_id))
    response.set_cookie(cleared_cookie(accounts(request).csrf_config))  # a new session, a new CSRF token
    response.set_cookie(_cookie(request, STATE_COOKIE, "", clear=True))
    response.background = mail_task(request, mails)
    return response


async def logout_response(request: Request, id_token: str) -> Response:
    """Send the browser to FranceConnect's end-session endpoint (required by FranceConnect)."""
    state = random_token()
    response = Redirect(await _fc(request).logout_url(id_token, state), status_code=303)
    response.set_cookie(_cookie(request, LOGOUT_COOKIE, state))
    return response


@get(f"{PREFIX}/deconnexion", include_in_schema=False)
async def franceconnect_logged_out(request: Request) -> Response:
    # The local session was already ended before leaving for FranceConnect; a wrong or missing
    # state only means this return was not the one we started, so say nothing more.
    state, expected = request.query_params.get("state"), request.cookies.get(LOGOUT_COOKIE)
    target = "/connexion?info=deconnecte" if state and expected and state == expected else "/connexion"
    response = Redirect(target, status_code=303)
    response.set_cookie(_cookie(request, LOGOUT_COOKIE, "", clear=True))
    return response


ROUTES = [franceconnect_start, franceconnect_callback, franceconnect_logged_out]
