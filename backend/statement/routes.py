"""`/releve` (page), `/releve.pdf` (download) and `/verifier` (public check of a document's code).

Thin handlers: load the signed-in driver's own file through the records service, seal it,
render. The PDF is rendered in a worker thread (WeasyPrint is CPU-bound and synchronous) so
the event loop keeps serving other requests meanwhile.
"""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.params import FromQuery
from litestar.exceptions import ServiceUnavailableException

from backend.records.service import RegisterReader
from backend.statement import render as statement_render
from backend.statement.content import build_content, canonical
from backend.statement import routes_proof
from backend.statement.documents import check_code
from backend.statement.facts import STATEMENT_CODE_MONTHS, months_later, rights_facts
from backend.statement.seal import SealError, content_digest
from backend.statement.state import (
    PRIVATE, client_address, documents, keyring, now, pdf_attachment, throttle,
)
from backend.statement.throttle import VERIFY_FAILURES, too_many
from backend.rendering.context import ProvidedRegister, ProvidedViewer, Viewer, driver_file
from backend.rendering.htmx import render

async def _statement(request: Request, register: RegisterReader, viewer: Viewer) -> statement_render.Statement:
    """The sealed statement of the viewer's own file — never any other NEPH — kept under its short code."""
    file = await driver_file(request, register, viewer)
    moment = now(request)
    content = build_content(file)
    facts = rights_facts(file, kind="statement", with_balance=True, issued_at=None, valid_until=None,
                         content_digest=content_digest(canonical(content)).hex())
    try:
        document = await documents(request).issue(keyring(request), facts, moment,
                                                  months_later(moment, STATEMENT_CODE_MONTHS))
    except SealError as exc:  # no signing key configured: say so rather than hand out an unsealed statement
        raise ServiceUnavailableException(f"Le relevé ne peut pas être établi pour le moment : {exc}.") from None
    return statement_render.present(content, document.seal, request.app.state.settings.base_url,
                                    short_code=document.short_code, valid_until=document.valid_until)


@get("/releve", include_in_schema=False)
async def statement_page(request: Request, register: ProvidedRegister, viewer: ProvidedViewer) -> Response:
    statement = await _statement(request, register, viewer)
    return render(request, statement_render.TEMPLATE, {**statement_render.context(statement), "on_page": True},
                  headers=PRIVATE)


@get("/releve.pdf", include_in_schema=False)
async def statement_pdf(request: Request, register: ProvidedRegister, viewer: ProvidedViewer) -> Response:
    statement = await _statement(request, register, viewer)
    html = statement_render.pdf_document(request.app.state.templates, statement, {"request": request})
    return await pdf_attachment(html, statement_render.pdf_filename(statement))


@get("/verifier", include_in_schema=False)
async def verify_page(request: Request, code: FromQuery[str | None] = None) -> Response:
    """The form, and the verdict when a code was given (typed, or from a scanned QR code)."""
    result, error, status = None, None, 200
    if code is not None:
        moment, client = now(request), client_address(request)
        limiter = throttle(request)
        if len(code) > 1000:
            error = "Le code saisi est trop long : un code de vérification fait 16 caractères."
        elif await limiter.blocked("verify", client, VERIFY_FAILURES, moment):
            error, status = too_many(VERIFY_FAILURES), 429
        else:
            result = await check_code(documents(request), keyring(request), code, moment)
            if result.outcome in ("mistyped", "unknown"):
                await limiter.failed("verify", client, moment)
            if result.outcome == "mistyped":
                error, result = result.message, None
    context = {"code": (code or "")[:1000], "result": result, "error": error, "has_errors": bool(error)}
    return render(request, "pages/verify.html", context, status_code=status if not error or status != 200 else 400,
                  headers={"Cache-Control": "no-store"})


ROUTES = [statement_page, statement_pdf, verify_page, *routes_proof.ROUTES]
