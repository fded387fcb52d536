"""What the account pages share (routes.py and routes_franceconnect.py): the page renderer and the
run-time accounts object. Its own module so that the two route modules import it, not each other."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.background_tasks import BackgroundTask

from backend.accounts.runtime import Accounts
from backend.accounts.service import Mail
from backend.accounts.session import template_context
from backend.rendering.htmx import render

HOME_AFTER_SIGN_IN = "/solde"


def accounts(request: Request) -> Accounts:
    return request.app.state.accounts


def client_address(request: Request) -> str:
    return request.client.host if request.client else "inconnu"


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    context.setdefault("errors", [])
    context.setdefault("field_errors", {})
    if context["errors"]:
        context["has_errors"] = True
    response = render(request, f"pages/accounts/{template}", {**template_context(request), **context},
                      status_code=status)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def mail_task(request: Request, mails: list[Mail]) -> BackgroundTask | None:
    if not mails:
        return None
    mailer = accounts(request).mailer

    async def send_all() -> None:
        for item in mails:
            await mailer.send(item.to, item.subject, item.body)

    return BackgroundTask(send_all)
