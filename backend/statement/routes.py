"""`/releve` (page), `/releve.pdf` (download) and `/verifier` (public seal check).

Thin handlers: load the signed-in driver's own file through the records service, seal it,
render. The PDF is rendered in a worker thread (WeasyPrint is CPU-bound and synchronous) so
the event loop keeps serving other requests meanwhile.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import anyio.to_thread
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.exceptions import ServiceUnavailableException

from backend.records.service import licence_file
from backend.statement import render as statement_render
from backend.statement.keys import keyring_from_settings
from backend.statement.pdf import render_pdf
from backend.statement.seal import Keyring, SealError, verify
from backend.rendering.htmx import render

# Personal data: never kept by a browser cache or a proxy.
PRIVATE = {"Cache-Control": "no-store"}
# A PDF render holds a worker thread for tens to hundreds of milliseconds: cap them so that a
# burst of downloads queues instead of starving the threads other blocking work needs.
_PDF_LIMITER = anyio.CapacityLimiter(2)


def keyring(request: Request) -> Keyring:
    """The app's seal keys (built once from the settings; tests may set `app.state.seal_keyring`)."""
    state = request.app.state
    if getattr(state, "seal_keyring", None) is None:
        state.seal_keyring = keyring_from_settings(state.settings)
    return state.seal_keyring


async def _statement(request: Request, register: NamedDependency[Any], viewer: NamedDependency[Any]) -> statement_render.Statement:
    """The sealed statement of the viewer's own file — never any other NEPH."""
    file = await licence_file(register, viewer.neph, request.app.state.today())
    now = dt.datetime.now(dt.UTC)
    try:
        return statement_render.issue(file, now, keyring(request), request.app.state.settings.base_url)
    except SealError as exc:  # no signing key configured: say so rather than hand out an unsealed statement
        raise ServiceUnavailableException(f"Le relevé ne peut pas être établi pour le moment : {exc}.") from None


@get("/releve", include_in_schema=False)
async def statement_page(request: Request, register: NamedDependency[Any], viewer: NamedDependency[Any]) -> Response:
    statement = await _statement(request, register, viewer)
    return render(request, statement_render.TEMPLATE, {**statement_render.context(statement), "on_page": True},
                  headers=PRIVATE)


@get("/releve.pdf", include_in_schema=False)
async def statement_pdf(request: Request, register: NamedDependency[Any], viewer: NamedDependency[Any]) -> Response:
    statement = await _statement(request, register, viewer)
    html = statement_render.pdf_document(request.app.state.templates, statement, {"request": request})
    pdf = await anyio.to_thread.run_sync(render_pdf, html, limiter=_PDF_LIMITER)
    disposition = f'attachment; filename="{statement_render.pdf_filename(statement)}"'
    return Response(pdf, media_type="application/pdf", headers={**PRIVATE, "Content-Disposition": disposition})


@get("/verifier", include_in_schema=False)
async def verify_page(request: Request, code: FromQuery[str | None] = None) -> Response:
    """The form, and the verdict when a code was given (typed, or from a scanned QR code)."""
    result, error = None, None
    if code is not None:
        if len(code) > 1000:
            error = "Le code saisi est trop long : un code de vérification fait environ 160 caractères."
        else:
            result = verify(keyring(request), code)
            if result.outcome == "mistyped":
                error, result = result.message, None
    context = {"code": (code or "")[:1000], "result": result, "error": error, "has_errors": bool(error)}
    return render(request, "pages/verify.html", context, status_code=400 if error else 200)

ROUTES = [statement_page, statement_pdf, verify_page]
