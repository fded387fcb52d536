"""Pages of personal accounts: parse the form -> one service call -> render or redirect.

Forms are plain POSTs (no JavaScript needed). Errors re-render the page with an error
summary (400, or 429 when a rate limit is reached); mails go out after the response.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from backend.accounts.csrf import cleared_cookie
from backend.accounts.guards import LINK_PATH, safe_return_path
from backend.accounts.linking import LinkForm
from backend.accounts.pages import HOME_AFTER_SIGN_IN, accounts, client_address, mail_task, page
from backend.accounts.service import AccountError, Mail
from backend.accounts.routes_franceconnect import logout_response
from backend.accounts.session import current_viewer, signed_in_viewer
from backend.accounts.transparency import AccessEntry, LinkedAccount


def error_page(request: Request, template: str, error: AccountError, **context: Any) -> Response:
    field = error.field or ""
    return page(request, template, error.status, errors=[(field, error.message)],
                field_errors={field: error.message} if field else {}, **context)


def sent_page(request: Request, mails: list[Mail], heading: str, *paragraphs: str) -> Response:
    response = page(request, "message.html", heading=heading, paragraphs=list(paragraphs))
    response.background = mail_task(request, mails)
    return response


def signed_in_redirect(request: Request, session_id: str, return_to: str | None) -> Redirect:
    response = Redirect(safe_return_path(return_to) or HOME_AFTER_SIGN_IN, status_code=303)
    response.set_cookie(accounts(request).sessions.cookie(session_id))
    response.set_cookie(cleared_cookie(accounts(request).csrf_config))  # a new session, a new CSRF token
    return response


# --- sign-in / sign-out -----------------------------------------------------------------
SIGN_IN_INFO = {
    "confirme": "Votre adresse est confirmée et votre mot de passe enregistré. Vous pouvez vous connecter.",
    "mot-de-passe": "Votre nouveau mot de passe est enregistré. Vous pouvez vous connecter.",
    "deconnecte": "Vous êtes déconnecté.",
    "supprime": "Votre compte a été supprimé.",
    "expire": "Votre session a expiré. Connectez-vous à nouveau.",
}


@get("/connexion", include_in_schema=False)
async def sign_in_page(request: Request, retour: FromQuery[str | None] = None, info: FromQuery[str | None] = None) -> Response:
    return page(request, "sign_in.html", retour=safe_return_path(retour), email="",
                info=SIGN_IN_INFO.get(info or ""), fc_enabled=accounts(request).fc is not None)


@post("/connexion", include_in_schema=False)
async def sign_in(request: Request) -> Response:
    form = await request.form()
    email, return_to = form.get("email", ""), safe_return_path(form.get("retour"))
    state = request.scope["state"]
    try:
        session_id = await accounts(request).service.sign_in(email, form.get("password", ""),
                                                             client_address(request), state.get("session_id"))
    except AccountError as error:
        return error_page(request, "sign_in.html", error, retour=return_to, email=email,
                          fc_enabled=accounts(request).fc is not None)
    return signed_in_redirect(request, session_id, return_to)


@post("/deconnexion", include_in_schema=False)
async def sign_out(request: Request) -> Response:
    state = request.scope["state"]
    await accounts(request).service.sign_out(state.get("session_id"))
    fc, id_token = accounts(request).fc, state.get("fc_id_token")
    if fc is not None and id_token:
        response: Response = await logout_response(request, id_token)
    else:
        response = Redirect("/connexion?info=deconnecte", status_code=303)
    response.set_cookie(accounts(request).sessions.cookie("", clear=True))
    return response


# --- sign-up and address confirmation -----------------------------------------------------
@get("/inscription", include_in_schema=False)
async def sign_up_page(request: Request) -> Response:
    return page(request, "sign_up.html", email="", fc_enabled=accounts(request).fc is not None)


@post("/inscription", include_in_schema=False)
async def sign_up(request: Request) -> Response:
    form = await request.form()
    email = form.get("email", "")
    try:
        mails = await accounts(request).service.sign_up(email, client_address(request))
    except AccountError as error:
        return error_page(request, "sign_up.html", error, email=email, fc_enabled=accounts(request).fc is not None)
    return sent_page(request, mails, "Consultez votre messagerie",
                     f"Si l'adresse {email.strip()} peut être utilisée, un courriel vient d'y être envoyé. "
                     "Ouvrez le lien qu'il contient pour confirmer votre adresse et choisir votre mot de passe.",
                     "Le lien est valable 12 heures. Pensez à regarder dans les courriels indésirables.")


def _viewer_id(request: Request) -> int | None:
    viewer = current_viewer(request)
    return viewer.account_id if viewer is not None else None


def _bad_confirmation(request: Request, error: AccountError) -> Response:
    if error.status == 403:
        return page(request, "message.html", 403, heading="Connectez-vous pour confirmer", paragraphs=[error.message],
                    link=("/connexion", "Se connecter"))
    return page(request, "message.html", 400, heading="Lien non valable", paragraphs=[error.message],
                link=("/inscription", "Recevoir un nouveau lien"))


@get("/compte/confirmer-email", include_in_schema=False)
async def confirm_email_page(request: Request, jeton: FromQuery[str] = "") -> Response:
    try:
        email, new = await accounts(request).service.pending_confirmation(jeton, _viewer_id(request))
    except AccountError as error:
        return _bad_confirmation(request, error)
    return page(request, "confirm_email.html", email=email, token=jeton, new=new)


@post("/compte/confirmer-email", include_in_schema=False)
async def confirm_email(request: Request) -> Response:
    form = await request.form()
    token = form.get("jeton", "")
    service = accounts(request).service
    try:
        new = await service.confirm_email(token, form.get("password", ""), _viewer_id(request))
    except AccountError as error:
        if error.field == "password":
            email, new = await service.pending_confirmation(token, _viewer_id(request))
            return error_page(request, "confirm_email.html", error, email=email, token=token, new=new)
        return _bad_confirmation(request, error)
    # A new account signs in with the password just chosen (whoever else this browser had signed in);
    # an address change goes back to the account it changed.
    return Redirect("/connexion?info=confirme" if new else "/compte?info=email", status_code=303)


# --- password reset -----------------------------------------------------------------------
@get("/mot-de-passe-oublie", include_in_schema=False)
async def forgot_password_page(request: Request) -> Response:
    return page(request, "forgot_password.html", email="")


@post("/mot-de-passe-oublie", include_in_schema=False)
async def forgot_password(request: Request) -> Response:
    form = await request.form()
    email = form.get("email", "")
    try:
        mails = await accounts(request).service.request_reset(email, client_address(request))
    except AccountError as error:
        return error_page(request, "forgot_password.html", error, email=email)
    return sent_page(request, mails, "Consultez votre messagerie",
                     "Si cette adresse correspond à un compte, un courriel vient d'y être envoyé avec un lien "
                     "pour choisir un nouveau mot de passe. Le lien est valable 1 heure.")


@get("/mot-de-passe/nouveau", include_in_schema=False)
async def reset_password_page(request: Request, jeton: FromQuery[str] = "") -> Response:
    try:
        await accounts(request).service.check_link("reset", jeton)
    except AccountError as error:
        return page(request, "message.html", 400, heading="Lien non valable", paragraphs=[error.message],
                    link=("/mot-de-passe-oublie", "Recevoir un nouveau lien"))
    return page(request, "reset_password.html", token=jeton)


@post("/mot-de-passe/nouveau", include_in_schema=False)
async def reset_password(request: Request) -> Response:
    form = await request.form()
    token = form.get("jeton", "")
    try:
        await accounts(request).service.reset_password(token, form.get("password", ""))
    except AccountError as error:
        if error.field is None:
            return page(request, "message.html", 400, heading="Lien non valable", paragraphs=[error.message],
                        link=("/mot-de-passe-oublie", "Recevoir un nouveau lien"))
        return error_page(request, "reset_password.html", error, token=token)
    return Redirect("/connexion?info=mot-de-passe", status_code=303)


# --- the signed-in account ----------------------------------------------------------------
INFO = {
    "email": "Votre nouvelle adresse est confirmée.",
    "mot-de-passe": "Votre mot de passe a été changé. Vos autres sessions ont été fermées.",
    "lien": "Un lien de confirmation a été envoyé à la nouvelle adresse.",
    "relie": "Votre dossier est relié à votre compte.",
    "retire": "Le lien a été retiré. Le compte concerné a été prévenu par courriel s'il a une adresse confirmée.",
}


@get("/compte", include_in_schema=False)
async def account_page(request: Request, info: FromQuery[str | None] = None) -> Response:
    viewer = signed_in_viewer(request)
    state = accounts(request)
    account = await state.service.account(viewer.account_id)
    linked: list[LinkedAccount] = []
    access: list[AccessEntry] = []
    access_total = 0
    if viewer.neph is not None:
        linked = await state.transparency.linked_accounts(viewer.neph, viewer)
        access, access_total = await state.transparency.access(viewer.neph, viewer)
    return page(request, "account.html", account=account, info=INFO.get(info or ""), linked=linked,
                access=access, access_total=access_total, holder_proven=viewer.holder_proven,
                fc_enabled=state.fc is not None, retention_days=state.settings.access_log_retention_days)


REMOVE_PATH = "/compte/liens/{account_id:int}/retirer"


@get(REMOVE_PATH, include_in_schema=False)
async def remove_link_page(request: Request, account_id: FromPath[int]) -> Response:
    try:
        target = await accounts(request).transparency.removable(signed_in_viewer(request), account_id)
    except AccountError as error:
        return page(request, "message.html", error.status, heading="Retrait impossible", paragraphs=[error.message],
                    link=("/compte", "Retour à mon compte"))
    return page(request, "remove_link.html", target=target)


@post(REMOVE_PATH, include_in_schema=False)
async def remove_link(request: Request, account_id: FromPath[int]) -> Response:
    form = await request.form()
    if form.get("confirmation") != "oui":
        return Redirect("/compte", status_code=303)
    try:
        mails = await accounts(request).transparency.remove(signed_in_viewer(request), account_id)
    except AccountError as error:
        return page(request, "message.html", error.status, heading="Retrait impossible", paragraphs=[error.message],
                    link=("/compte", "Retour à mon compte"))
    response = Redirect("/compte?info=retire", status_code=303)
    response.background = mail_task(request, mails)
    return response


LINK_FIELDS = ("neph", "birth_day", "birth_month", "birth_year", "family_name", "licence_day", "licence_month",
               "licence_year")


@get(LINK_PATH, include_in_schema=False)
async def link_page(request: Request, raison: FromQuery[str | None] = None) -> Response:
    return page(request, "link.html", form={}, reason=raison, fc_enabled=accounts(request).fc is not None)


@post(LINK_PATH, include_in_schema=False)
async def link(request: Request) -> Response:
    submitted = await request.form()
    form = {name: str(submitted.get(name) or "") for name in LINK_FIELDS}
    viewer = signed_in_viewer(request)
    linker = accounts(request).linker
    checked = LinkForm(form, linker.today())
    linker_fc = accounts(request).fc is not None
    try:
        _, mails = await linker.link(viewer.account_id, checked, client_address(request))
    except AccountError as error:
        if error.field is None:  # no match or too many attempts: one message, about the whole form
            error = AccountError(error.message, "neph", error.status)
            return error_page(request, "link.html", error, form=form, reason=None, fc_enabled=linker_fc)
        errors = [(field, message) for field, message in checked.problems.items()]
        return page(request, "link.html", 400, errors=errors, field_errors=dict(checked.problems), form=form,
                    reason=None, fc_enabled=linker_fc)
    response = Redirect(HOME_AFTER_SIGN_IN, status_code=303)
    response.background = mail_task(request, mails)
    return response


@get("/compte/mot-de-passe", include_in_schema=False)
async def change_password_page(request: Request) -> Response:
    return page(request, "change_password.html")


@post("/compte/mot-de-passe", include_in_schema=False)
async def change_password(request: Request) -> Response:
    form = await request.form()
    viewer, state = signed_in_viewer(request), request.scope["state"]
    try:
        mails = await accounts(request).service.change_password(
            viewer.account_id, form.get("current_password", ""), form.get("password", ""), state.get("session_id"))
    except AccountError as error:
        return error_page(request, "change_password.html", error)
    response = Redirect("/compte?info=mot-de-passe", status_code=303)
    response.background = mail_task(request, mails)
    return response


@get("/compte/email", include_in_schema=False)
async def change_email_page(request: Request) -> Response:
    return page(request, "change_email.html", email="")


@post("/compte/email", include_in_schema=False)
async def change_email(request: Request) -> Response:
    form = await request.form()
    viewer = signed_in_viewer(request)
    try:
        mails = await accounts(request).service.change_email(viewer.account_id, form.get("current_password", ""),
                                                             form.get("email", ""))
    except AccountError as error:
        return error_page(request, "change_email.html", error, email=form.get("email", ""))
    response = Redirect("/compte?info=lien", status_code=303)
    response.background = mail_task(request, mails)
    return response


@get("/compte/supprimer", include_in_schema=False)
async def delete_account_page(request: Request) -> Response:
    account = await accounts(request).service.account(signed_in_viewer(request).account_id)
    return page(request, "delete_account.html", has_password=bool(account and account["has_password"]))


@post("/compte/supprimer", include_in_schema=False)
async def delete_account(request: Request) -> Response:
    form = await request.form()
    viewer = signed_in_viewer(request)
    try:
        await accounts(request).service.delete_account(viewer.account_id, form.get("current_password"))
    except AccountError as error:
        return error_page(request, "delete_account.html", error, has_password=True)
    response = Redirect("/connexion?info=supprime", status_code=303)
    response.set_cookie(accounts(request).sessions.cookie("", clear=True))
    return response


ROUTES = [
    sign_in_page, sign_in, sign_out, sign_up_page, sign_up, confirm_email_page, confirm_email,
    forgot_password_page, forgot_password, reset_password_page, reset_password,
    account_page, remove_link_page, remove_link, link_page, link, change_password_page, change_password,
    change_email_page, change_email, delete_account_page, delete_account,
]
