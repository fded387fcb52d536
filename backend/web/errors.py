"""Error pages: French, same layout as every page, and nothing internal in a 500."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect

from backend.rendering.context import request_context

log = logging.getLogger("pointspermis.web")

_TITLES = {
    400: ("Requête invalide", "La page demandée n'a pas compris votre demande. Vérifiez l'adresse ou le formulaire."),
    403: ("Accès refusé", "Vous n'avez pas accès à cette page."),
    405: ("Action impossible", "Cette page ne permet pas cette action."),
    429: ("Trop de demandes", "Vous avez fait trop de demandes en peu de temps. Réessayez dans quelques minutes."),
}


def _page(request: Request, template: str, status_code: int, context: dict | None = None) -> Response:
    env = request.app.state.templates
    body = env.get_template(template).render({"request": request, **_accounts_context(request), **(context or {})})
    # No caching of error pages: a transient error must not be remembered by a browser or proxy.
    return Response(body, status_code=status_code, media_type=MediaType.HTML,
                    headers={"Cache-Control": "no-store", "Vary": "HX-Request"})


def _accounts_context(request: Request) -> dict:
    """Sign-out button and CSRF token when available; an error page must render even when they are not."""
    try:
        return dict(request_context(request))
    except Exception:  # e.g. a request rejected before the accounts middleware ran
        return {}


def not_found(request: Request, exc: Exception) -> Response:
    return _page(request, "errors/404.html", 404)


def server_error(request: Request, exc: Exception) -> Response:
    # The trace goes to the server log (no request data beyond method and path); the page says nothing internal.
    log.error("erreur interne : %s %s", request.method, request.url.path, exc_info=exc)
    return _page(request, "errors/500.html", 500)


def http_error(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotAuthorizedException):
        return Redirect("/connexion", status_code=303)
    if exc.status_code == 404:
        return not_found(request, exc)
    if exc.status_code >= 500:
        return server_error(request, exc)
    heading, message = _TITLES.get(exc.status_code, _TITLES[400])
    return _page(request, "errors/500.html", exc.status_code, {"heading": heading, "message": message})
