"""`/historique`: the licence file as a timeline; `?type=` filters, `?tout=1` shows every year."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.params import FromQuery

from backend.records.history import history_view
from backend.rendering.context import ProvidedRegister, ProvidedViewer, driver_file
from backend.rendering.fragments import rendered_block
from backend.rendering.htmx import environment, render
from backend.web.pages._common import PRIVATE, page_context


TEMPLATE = "pages/history.html"


@get("/historique", include_in_schema=False)
async def history(request: Request, register: ProvidedRegister, viewer: ProvidedViewer,
                  type: FromQuery[str] = "tout", tout: FromQuery[str] = "") -> Response:
    file = await driver_file(request, register, viewer)
    view = history_view(file, kind=type, show_all=tout == "1")
    context = page_context(view, viewer, "historique", page_title=view.title)
    # The results show only the file and the filter: rendered once per computed file and filter.
    context["results_html"] = rendered_block(environment(request), TEMPLATE, "history_results", file, context,
                                             variant=(view.kind, view.show_all))
    return render(request, TEMPLATE, context, block="history_results", headers=PRIVATE)
