"""`/`: what the service does, how fresh the data is, how to sign in."""

from __future__ import annotations

from litestar import Request, Response, get

from backend.records.service import extract_time
from backend.rendering.context import ProvidedRegister
from backend.rendering.htmx import render


@get("/", include_in_schema=False)
async def home(request: Request, register: ProvidedRegister) -> Response:
    extracted_at = await extract_time(register)
    return render(request, "pages/home.html", {"extracted_at": extracted_at})
