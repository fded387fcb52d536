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


# A form's anti-forgery token did not match: most often a page kept open across a sign-in, a
# sign-out or an expired session (the token is bound to the session).
_CSRF = ("Formulaire expiré", "Ce formulaire a été ouvert avant une connexion, une déconnexion ou la fin de votre "
         "session : il n'est plus valable. Rechargez la page et recommencez. Rien n'a été modifié.")


def _page(request: Request, template: str, status_code: int, context: dict | None = None) -> Response:
    env = request.app.state.templates
    body = env.get_template(template).render({"request": request, **_accounts_context(request), **(context or {})})
    # No caching of error pages: a transient error must not be remembered by a browser or proxy,
    # and the page may show who is signed in (private).
    return Response(body, status_code=status_code, media_type=MediaType.HTML,
                    headers={"Cache-Control": "private, no-store", "Vary": "HX-Request"})


def _accounts_context(request: Request) -> dict:
    """Sign-out button and CSRF token when available; an error page must render even when they are not."""
    try:
        return dict(request_context(request))
    except Exception:  # e.g. a request rejected before the accounts middleware ran
        return {}


def not_found(request: Request, exc: Exception) -> Response:
    return _page(request, "errors/404.html", 404)


UNREADABLE_FORM = ("Le formulaire envoyé contient des caractères illisibles (il n'est pas encodé en UTF-8). "
                   "Revenez à la page, saisissez de nouveau les champs et renvoyez le formulaire.")


def unreadable_form(request: Request, exc: Exception) -> Response:
    """A form (or multipart part) that is not UTF-8: the client's fault, said plainly, nothing changed."""
    return _page(request, "errors/500.html", 400, {"heading": "Formulaire illisible", "message": UNREADABLE_FORM})


def server_error(request: Request, exc: Exception) -> Response:
    # The trace goes to the server log (no request data beyond method and path); the page says nothing internal.
    log.error("erreur interne : %s %s", request.method, request.url.path, exc_info=exc)
    return _page(request, "errors/500.html", 500)


# The store cannot serve now (backend.database.StoreUnavailable): a restart, a failover, an outage, a table held
# by maintenance.
UNAVAILABLE = ("Service momentanément indisponible",
               "Le service ne peut pas lire les données des permis en ce moment (maintenance ou incident technique). "
               "Réessayez dans une minute. Si vous veniez d'envoyer un formulaire, vérifiez ensuite que votre "
               "modification a bien été prise en compte.")
RETRY_AFTER_SECONDS = 60  # what the page says: « Réessayez dans une minute »


def store_unavailable(request: Request, exc: Exception) -> Response:
    """503, with the moment to try again: nothing is wrong with the request. One line in the log per request,
    without the trace (which says nothing more than the cause named here)."""
    cause = exc.__cause__ or exc
    log.warning("base de données indisponible : %s %s (%s)", request.method, request.url.path, type(cause).__name__)
    heading, message = UNAVAILABLE
    response = _page(request, "errors/500.html", 503, {"heading": heading, "message": message})
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def http_error(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotAuthorizedException):
        return Redirect("/connexion", status_code=303)
    if exc.status_code == 404:
        return not_found(request, exc)
    if exc.status_code >= 500:
        return server_error(request, exc)
    heading, message = _TITLES.get(exc.status_code, _TITLES[400])
    if exc.status_code == 403 and "CSRF" in str(exc.detail):
        heading, message = _CSRF
    response = _page(request, "errors/500.html", exc.status_code, {"heading": heading, "message": message})
    if exc.status_code == 405:
        response.headers["Allow"] = allowed_methods(exc)
    if exc.status_code == 429 and exc.headers and "retry-after" in {k.lower() for k in exc.headers}:
        response.headers.update({k: v for k, v in exc.headers.items() if k.lower() == "retry-after"})
    return response


def allowed_methods(exc: HTTPException) -> str:
    """The `Allow` header of a 405 (RFC 9110 §15.5.6): the router's list, with HEAD wherever GET is
    (security.HeadAsGet answers it); the static files router gives none, it serves GET and HEAD."""
    given = next((v for k, v in (exc.headers or {}).items() if k.lower() == "allow"), "GET")
    methods = [m.strip().upper() for m in given.split(",") if m.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.append("HEAD")
    order = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    return ", ".join(sorted(set(methods), key=lambda m: (order.index(m) if m in order else len(order), m)))
