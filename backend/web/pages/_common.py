"""What every driver page shares: its headers and the layout's context (the file itself comes from
`rendering.context.driver_file`, which the statement uses too)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from backend.rendering.context import Viewer

# Personal data: never stored by a browser cache or a proxy (a shared computer, a back button).
PRIVATE = {"Cache-Control": "private, no-store"}  # what the guard sets on every signed-in response too


class PageView(Protocol):
    """What the layout reads of every driver page's view (records.views)."""

    @property
    def extracted_at(self) -> dt.datetime | None: ...


def page_context(view: PageView, viewer: Viewer, nav_current: str, **extra: Any) -> dict[str, Any]:
    """What base.html needs besides the view: who is signed in (driver navigation), freshness, and the
    current section (given, so the layout does not parse the request URL on every page)."""
    return {"view": view, "viewer": viewer, "extracted_at": view.extracted_at, "nav_current": nav_current, **extra}
