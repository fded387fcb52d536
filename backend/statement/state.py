"""What the statement area's handlers share: the app's seal keys, stores and clock, built once
per app from `app.state` (their database, `app.state.accounts_db`, is opened by the app's lifespan)."""

from __future__ import annotations

import datetime as dt
import secrets

import anyio
import anyio.to_thread
from litestar import Request, Response

from backend.statement.documents import Documents
from backend.statement.keys import keyring_from_settings
from backend.statement.pdf import render_pdf
from backend.statement.seal import Keyring
from backend.statement.sharing import Shares
from backend.statement.throttle import Throttle

# Personal data: never kept by a browser cache or a proxy.
PRIVATE = {"Cache-Control": "private, no-store"}  # what the guard sets on every signed-in response too
# A PDF render holds a worker thread for tens to hundreds of milliseconds: cap them so that a
# burst of downloads queues instead of starving the threads other blocking work needs.
PDF_LIMITER = anyio.CapacityLimiter(2)


def keyring(request: Request) -> Keyring:
    """The app's seal keys (built once from the settings; tests may set `app.state.seal_keyring`)."""
    state = request.app.state
    if getattr(state, "seal_keyring", None) is None:
        state.seal_keyring = keyring_from_settings(state.settings)
    return state.seal_keyring


def now(request: Request) -> dt.datetime:
    """The time documents and codes are issued and checked at (tests may set `app.state.proof_clock`)."""
    clock = getattr(request.app.state, "proof_clock", None)
    return clock() if clock is not None else dt.datetime.now(dt.UTC)


def shares(request: Request) -> Shares:
    state = request.app.state
    if getattr(state, "proof_shares", None) is None:
        state.proof_shares = Shares(state.accounts_db)
    return state.proof_shares


def documents(request: Request) -> Documents:
    state = request.app.state
    if getattr(state, "proof_documents", None) is None:
        state.proof_documents = Documents(state.accounts_db)
    return state.proof_documents


def throttle(request: Request) -> Throttle:
    state = request.app.state
    if getattr(state, "proof_throttle", None) is None:
        # The service secret keys the HMAC of client addresses (a per-process one in development).
        state.proof_throttle = Throttle(state.accounts_db, state.settings.secret_key or _PROCESS_SECRET)
    return state.proof_throttle


_PROCESS_SECRET = secrets.token_urlsafe(32)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "inconnu"


async def pdf_attachment(html: str, filename: str) -> Response:
    """A sealed document's HTML rendered to PDF (WeasyPrint, on a worker thread, at most PDF_LIMITER at
    once) and sent as a private download named `filename`."""
    pdf = await anyio.to_thread.run_sync(render_pdf, html, limiter=PDF_LIMITER)
    return Response(pdf, media_type="application/pdf",
                    headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{filename}"'})
