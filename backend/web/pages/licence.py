"""`/permis`: NEPH, categories with dates and validity, restrictions, medical visits, suspensions."""

from __future__ import annotations

from litestar import Request, Response, get

from backend.records.views import licence_view
from backend.rendering.context import ProvidedRegister, ProvidedViewer, driver_file
from backend.rendering.htmx import render
from backend.web.pages._common import PRIVATE, page_context


@get("/permis", include_in_schema=False)
async def licence(request: Request, register: ProvidedRegister, viewer: ProvidedViewer) -> Response:
    view = licence_view(await driver_file(request, register, viewer))
    return render(request, "pages/licence.html", page_context(view, viewer, "permis"), headers=PRIVATE)
