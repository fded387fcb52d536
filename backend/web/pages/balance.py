"""`/solde`: the balance card (points, ceiling, status, probation, freshness, what comes next)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency

from backend.records.views import balance_view
from backend.web.htmx import render
from backend.web.pages._common import PRIVATE, driver_file, page_context


@get("/solde", include_in_schema=False)
async def balance(request: Request, register: NamedDependency[Any], viewer: NamedDependency[Any]) -> Response:
    view = balance_view(await driver_file(request, register, viewer))
    return render(request, "pages/balance.html", page_context(view, viewer, "solde"), block="balance_card", headers=PRIVATE)
