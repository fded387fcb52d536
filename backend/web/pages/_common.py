"""What every driver page does first: load the signed-in driver's own file for today."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from litestar import Request

from backend.records.service import LicenceFile, RegisterReader, licence_file
from backend.rendering.context import Viewer, own_neph

# Personal data: never stored by a browser cache or a proxy (a shared computer, a back button).
PRIVATE = {"Cache-Control": "private, no-store"}  # what the guard sets on every signed-in response too


class PageView(Protocol):
    """What the layout reads of every driver page's view (records.views)."""

    @property
    def extracted_at(self) -> dt.datetime | None: ...


async def driver_file(request: Request, register: RegisterReader, viewer: Viewer) -> LicenceFile:
    """The file of `viewer.neph` only: a driver never chooses which file to see."""
    return await licence_file(register, own_neph(viewer), request.app.state.today())


def page_context(view: PageView, viewer: Viewer, nav_current: str, **extra: Any) -> dict[str, Any]:
    """What base.html needs besides the view: who is signed in (driver navigation), freshness, and the
    current section (given, so the layout does not parse the request URL on every page)."""
    return {"view": view, "viewer": viewer, "extracted_at": view.extracted_at, "nav_current": nav_current, **extra}
