"""Public information pages: help, accessibility statement, legal notice, personal data.

Fixed texts (no database access, no personal data), so they are cheap and public
(`backend.accounts.guards.PUBLIC_ROUTES` lists them). The page layout still shows the
sign-in/sign-out area from the request's session.
"""

from __future__ import annotations

from email.utils import parseaddr

from litestar import Request, Response, get

from backend.records.service import data_lag
from backend.records.views import lag_text

from backend.rendering.context import ProvidedRegister
from backend.rendering.htmx import render

# The accessibility statement's date: change it with the statement (RGAA: on each substantial change).
STATEMENT_ESTABLISHED_ON = "2026-11-26"


def contact_email(request: Request) -> str:
    """accessibilite@<the instance's mail domain>: the operator sets the domain with POINTSPERMIS_MAIL_FROM."""
    address = parseaddr(request.app.state.settings.mail_from)[1]
    domain = address.rpartition("@")[2] or "pointspermis.localhost"
    return f"accessibilite@{domain}"


@get("/aide", include_in_schema=False)
async def help_page(request: Request, register: ProvidedRegister) -> Response:
    return render(request, "pages/help.html", {"page_title": "Aide : comprendre votre solde et vos courriers",
                                               "lag_sentence": lag_text(await data_lag(register))})


@get("/accessibilite", include_in_schema=False)
async def accessibility(request: Request) -> Response:
    return render(request, "pages/accessibility.html", {
        "page_title": "Déclaration d'accessibilité",
        "established_on": STATEMENT_ESTABLISHED_ON,
        "contact_email": contact_email(request),
    })


@get("/mentions-legales", include_in_schema=False)
async def legal(request: Request) -> Response:
    return render(request, "pages/legal.html", {"page_title": "Mentions légales", "contact_email": contact_email(request)})


@get("/donnees-personnelles", include_in_schema=False)
async def privacy(request: Request) -> Response:
    return render(request, "pages/privacy.html", {
        "page_title": "Données personnelles",
        "access_log_retention_days": request.app.state.settings.access_log_retention_days,
        "contact_email": contact_email(request),
    })


ROUTES = [help_page, accessibility, legal, privacy]
