"""`/calendrier`: projected restorations and why; `/calendrier.ics` for a phone's calendar."""

from __future__ import annotations

import datetime as dt

from litestar import Request, Response, get
from litestar.params import FromQuery

from backend.records.views import CALENDAR_PERIODS, calendar_for_period, calendar_view
from backend.rendering.context import ProvidedRegister, ProvidedViewer, driver_file
from backend.rendering.htmx import render
from backend.web.ics import calendar_ics as build_ics
from backend.web.pages._common import PRIVATE, page_context


TITLE = "Calendrier prévisionnel de récupération"  # also the template's page_title: fragments need it given


@get("/calendrier", include_in_schema=False)
async def calendar(request: Request, register: ProvidedRegister, viewer: ProvidedViewer,
                   periode: FromQuery[str] = "tout") -> Response:
    period = periode if periode in dict(CALENDAR_PERIODS) else "tout"
    view = calendar_for_period(calendar_view(await driver_file(request, register, viewer)), period)
    context = page_context(view, viewer, "calendrier", period=period, page_title=TITLE,
                           period_items=[{"value": v, "text": t} for v, t in CALENDAR_PERIODS])
    # htmx: the options form swaps the block `restorations` only.
    return render(request, "pages/calendar.html", context, block="restorations", headers=PRIVATE)


@get("/calendrier.ics", include_in_schema=False)
async def calendar_ics(request: Request, register: ProvidedRegister, viewer: ProvidedViewer) -> Response[bytes]:
    view = calendar_view(await driver_file(request, register, viewer))
    return Response(
        build_ics(view, dt.datetime.now(dt.timezone.utc)),
        # Litestar adds "; charset=utf-8" to text/* itself: naming it here wrote it twice.
        media_type="text/calendar",
        headers={**PRIVATE, "Content-Disposition": 'attachment; filename="calendrier-points.ics"'},
    )
