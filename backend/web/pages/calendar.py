"""`/calendrier`: projected restorations and why; `/calendrier.ics` for a phone's calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency

from backend.records.views import calendar_view
from backend.rendering.htmx import render
from backend.web.ics import calendar_ics as build_ics
from backend.web.pages._common import PRIVATE, driver_file, page_context


@get("/calendrier", include_in_schema=False)
async def calendar(request: Request, register: NamedDependency[Any], viewer: NamedDependency[Any]) -> Response:
    view = calendar_view(await driver_file(request, register, viewer))
    return render(request, "pages/calendar.html", page_context(view, viewer, "calendrier"), headers=PRIVATE)


@get("/calendrier.ics", include_in_schema=False)
async def calendar_ics(request: Request, register: NamedDependency[Any], viewer: NamedDependency[Any]) -> Response[bytes]:
    view = calendar_view(await driver_file(request, register, viewer))
    return Response(
        build_ics(view, dt.datetime.now(dt.timezone.utc)),
        # Litestar adds "; charset=utf-8" to text/* itself: naming it here wrote it twice.
        media_type="text/calendar",
        headers={**PRIVATE, "Content-Disposition": 'attachment; filename="calendrier-points.ics"'},
    )
