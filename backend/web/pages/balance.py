"""`/solde`: the balance card (points, ceiling, status, probation, freshness, what comes next)."""

from __future__ import annotations

from litestar import Request, Response, get

from backend.records.service import data_lag
from backend.records.views import balance_view, lag_text
from backend.rendering.context import ProvidedRegister, ProvidedViewer, driver_file
from backend.rendering.fragments import rendered_block
from backend.rendering.htmx import environment, render
from backend.web.pages._common import PRIVATE, page_context


TEMPLATE = "pages/balance.html"


@get("/solde", include_in_schema=False)
async def balance(request: Request, register: ProvidedRegister, viewer: ProvidedViewer) -> Response:
    file = await driver_file(request, register, viewer)
    context = page_context(balance_view(file), viewer, "solde", lag_sentence=lag_text(await data_lag(register)))
    # The card and the actions show only the file: rendered once per computed file (backend/rendering/fragments.py).
    env = environment(request)
    context["actions_html"] = rendered_block(env, TEMPLATE, "que_faire", file, context)
    context["card_html"] = rendered_block(env, TEMPLATE, "balance_card", file, context)
    return render(request, TEMPLATE, context, block="balance_card", headers=PRIVATE)
