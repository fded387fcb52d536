"""`/attestation` (+ PDF), `/partage` (the driver's codes and documents) and the public `/consulter`.

Thin handlers, like routes.py: parse, one service call, render. The driver's routes act on the
signed-in driver's own file only (`viewer.neph`; a revocation names the NEPH in its WHERE
clause, so another driver's code or document is simply not found). `/consulter` is public
(guards.PUBLIC_ROUTES): rate-limited on failures, and each successful use is recorded for the
driver and, through `app.state.access_log.record_third_party` (accounts' access log, reached
without importing accounts), in the file's access log.
"""

from __future__ import annotations

import logging

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath, FromQuery
from litestar.exceptions import NotFoundException, ServiceUnavailableException
from litestar.response import Redirect

from backend.records.service import RegisterReader, licence_file
from backend.statement import attestation as attestation_render
from backend.statement.facts import rights_facts
from backend.statement.model import Facts
from backend.statement.state import (
    PRIVATE, client_address, documents, keyring, now, pdf_attachment, shares, throttle,
)
from backend.statement.seal import SealError
from backend.statement.sharing import (
    MAX_DAYS, PURPOSES, SHOWS, STATE_LABEL, Share, ShareFormError, coarse_origin, parse_form, printed,
)
from backend.statement.throttle import SHARE_FAILURES, too_many
from backend.rendering.context import ProvidedRegister, ProvidedViewer, Viewer, driver_file, own_neph
from backend.rendering.htmx import render

log = logging.getLogger(__name__)
SHARE_VIEW_PAGE = "/consulter"


def _form(form: FormMultiDict) -> dict[str, str]:
    """A submitted form as plain strings (the last value of a repeated field; nothing else kept)."""
    return {key: value if isinstance(value, str) else "" for key, value in form.items()}


# --- attestation -------------------------------------------------------------------------


async def _attestation(request: Request, register: RegisterReader, viewer: Viewer) -> attestation_render.Attestation:
    file = await driver_file(request, register, viewer)
    moment = now(request)
    try:
        document = await documents(request).issue(keyring(request), attestation_render.attestation_facts(file), moment,
                                                  attestation_render.validity_end(moment))
    except SealError as exc:
        raise ServiceUnavailableException(f"L'attestation ne peut pas être établie pour le moment : {exc}.") from None
    return attestation_render.present(document, request.app.state.settings.base_url)


@get("/attestation", include_in_schema=False)
async def attestation_page(request: Request, register: ProvidedRegister, viewer: ProvidedViewer) -> Response:
    attestation = await _attestation(request, register, viewer)
    return render(request, attestation_render.TEMPLATE, {**attestation_render.context(attestation), "nav_current": "partage"},
                  headers=PRIVATE)


@get("/attestation.pdf", include_in_schema=False)
async def attestation_pdf(request: Request, register: ProvidedRegister, viewer: ProvidedViewer) -> Response:
    attestation = await _attestation(request, register, viewer)
    html = attestation_render.pdf_document(request.app.state.templates, attestation, {"request": request})
    return await pdf_attachment(html, attestation_render.pdf_filename(attestation))


# --- the driver's codes and documents ----------------------------------------------------

PURPOSE_ITEMS = [{"value": key, "text": label or "Autre (à préciser)"} for key, label in PURPOSES.items()]
SHOWS_ITEMS = [{"value": key, "text": label} for key, label in SHOWS.items()]
USE_ITEMS = [{"value": "single", "text": "Une seule fois", "hint": "Le code ne fonctionne plus après sa première utilisation."},
             {"value": "multiple", "text": "Plusieurs fois", "hint": "Jusqu'à sa date de fin, ou jusqu'à ce que vous le révoquiez."}]
DEFAULT_FORM = {"purpose": "", "purpose_other": "", "shows": "rights", "days": "7", "use": "single"}


async def _sharing_page(request: Request, viewer: Viewer, *, form: dict[str, str] | None = None,
                        errors: dict[str, str] | None = None, created: dict[str, str | Share] | None = None,
                        info: str | None = None, status: int = 200) -> Response:
    moment, neph = now(request), own_neph(viewer)
    context = {
        "form": {**DEFAULT_FORM, **(form or {})}, "errors": list((errors or {}).items()), "field_errors": errors or {},
        "has_errors": bool(errors), "created": created, "info": info, "now": moment,
        "shares": await shares(request).of_holder(neph),
        "documents": await documents(request).of_holder(neph),
        "state_label": STATE_LABEL, "max_days": MAX_DAYS, "purpose_items": PURPOSE_ITEMS, "shows_items": SHOWS_ITEMS,
        "use_items": USE_ITEMS, "nav_current": "partage",
        "consult_url": request.app.state.settings.base_url.rstrip("/") + SHARE_VIEW_PAGE, "page_title": "Partager mes droits à conduire",
    }
    return render(request, "pages/proof/sharing.html", context, status_code=status, headers=PRIVATE)


INFO = {
    "code-revoque": "Le code de partage a été révoqué : il ne donne plus accès à rien.",
    "document-revoque": "Le document a été révoqué : son code de vérification indique désormais qu'il ne vaut plus.",
}


@get("/partage", include_in_schema=False)
async def sharing_page(request: Request, viewer: ProvidedViewer, info: FromQuery[str | None] = None) -> Response:
    return await _sharing_page(request, viewer, info=INFO.get(info or ""))


@post("/partage", include_in_schema=False)
async def create_share(request: Request, viewer: ProvidedViewer) -> Response:
    form = _form(await request.form())
    try:
        choice = parse_form(form)
    except ShareFormError as exc:
        return await _sharing_page(request, viewer, form=form, errors=exc.errors, status=400)
    code, share = await shares(request).create(own_neph(viewer), choice, now(request))
    return await _sharing_page(request, viewer, created={"code": printed(code), "share": share}, status=201)


@post("/partage/{share_id:int}/revoquer", include_in_schema=False)
async def revoke_share(request: Request, viewer: ProvidedViewer, share_id: FromPath[int]) -> Response:
    if not await shares(request).revoke(own_neph(viewer), share_id, now(request)):
        raise NotFoundException()
    return Redirect("/partage?info=code-revoque", status_code=303)


@post("/partage/documents/{short_code:str}/revoquer", include_in_schema=False)
async def revoke_document(request: Request, viewer: ProvidedViewer, short_code: FromPath[str]) -> Response:
    if len(short_code) > 32 or not await documents(request).revoke(own_neph(viewer), short_code, now(request)):
        raise NotFoundException()
    return Redirect("/partage?info=document-revoque", status_code=303)


# --- the third party ---------------------------------------------------------------------


def _share_view(request: Request, *, code: str = "", error: str | None = None, refusal: str | None = None,
                facts: Facts | None = None, share: Share | None = None, status: int = 200) -> Response:
    context = {"code": code[:100], "error": error, "has_errors": bool(error), "refusal": refusal, "facts": facts,
               "share": share, "page_title": "Consulter des droits à conduire avec un code de partage"}
    return render(request, "pages/proof/share_view.html", context, status_code=status, headers=PRIVATE)


@get(SHARE_VIEW_PAGE, include_in_schema=False)
async def share_view_page(request: Request) -> Response:
    return _share_view(request)


@post(SHARE_VIEW_PAGE, include_in_schema=False)
async def share_view(request: Request, register: ProvidedRegister) -> Response:
    form = _form(await request.form())
    code = form.get("code", "")
    moment, client = now(request), client_address(request)
    limiter = throttle(request)
    if await limiter.blocked("share", client, SHARE_FAILURES, moment):
        return _share_view(request, code=code, error=too_many(SHARE_FAILURES), status=429)
    origin = coarse_origin(request.headers.get("user-agent"), client)
    outcome, share, message = await shares(request).open(code, moment, origin)
    if outcome in ("mistyped", "unknown"):
        await limiter.failed("share", client, moment)
        return _share_view(request, code=code, error=message, status=400 if outcome == "mistyped" else 404)
    if outcome != "ok":
        return _share_view(request, code=code, refusal=message, share=share, status=410)
    assert share is not None  # an open code ("ok") comes with its share
    file = await licence_file(register, share.neph, request.app.state.today())
    facts = rights_facts(file, kind="share", with_balance=share.with_balance, issued_at=None, valid_until=None)
    # The file's access log is accounts' ("qui a consulté mon dossier" on /compte); accounts puts it in
    # app.state.access_log, so statement records the view without importing accounts.
    access_log = getattr(request.app.state, "access_log", None)
    if access_log is not None:
        await access_log.record_third_party(share.neph, page=SHARE_VIEW_PAGE,
                                            who=f"Code de partage « {share.purpose} »", where=origin)
    return _share_view(request, facts=facts, share=share)


ROUTES = [attestation_page, attestation_pdf, sharing_page, create_share, revoke_share, revoke_document,
          share_view_page, share_view]
