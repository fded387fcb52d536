"""A page leaves nothing behind for Python's cyclic collector.

An object caught in a reference cycle outlives its request until the cyclic collector finds it, and
it holds on to everything it references (the request, its scope, the template context with the
driver's file). Each collection then walks it: with a few dozen such objects per page, a worker
under load spent a tenth of its CPU in the collector, and its pauses showed in the slowest
percentile of page times (docs/performance.md, "Memory under load" and "Reference cycles"). Two
regressions of this kind have happened: htmx's request class (HTMXRequest <-> HTMXDetails) and the
layout's `{% cache %}` tag, whose private macros were stored in the template context they closed
over. So every page is requested here as a server would call the app (raw ASGI: no HTTP client of
its own to leave garbage), with the collector told to keep what it finds.
"""

from __future__ import annotations

import collections
import gc

import pytest
from litestar.testing import AsyncTestClient

from backend.accounts.csrf import token_for_session
from backend.accounts.testing import create_linked_account, create_session
from tests.fixtures.web import MARTIN, asgi_get

SIGNED_IN_PAGES = ["/solde", "/historique", "/historique?type=retraits", "/calendrier", "/releve", "/permis",
                   "/attestation", "/compte/email", "/compte/mot-de-passe", "/compte/supprimer",
                   "/simulation", "/compte", "/partage", "/aide", "/"]
SIGNED_OUT_PAGES = ["/", "/connexion", "/inscription", "/mot-de-passe-oublie", "/aide", "/accessibilite",
                    "/mentions-legales", "/donnees-personnelles", "/verifier", "/sante"]


async def _get(app, path: str, cookies: str, hx: bool) -> int:
    """GET `path` as a server would (one ASGI call); returns the status."""
    headers = [(b"host", b"testserver.local"), (b"accept", b"text/html"), (b"accept-encoding", b"br, gzip")]
    if hx:
        headers.append((b"hx-request", b"true"))
    if cookies:
        headers.append((b"cookie", cookies.encode()))
    return (await asgi_get(app, path, headers)).status_code


async def _garbage_of(app, path: str, cookies: str, hx: bool) -> collections.Counter:
    """The objects one request of `path` leaves in reference cycles, by type (the page is requested
    once before, so that caches filled by a first visit are not counted)."""
    assert await _get(app, path, cookies, hx) == 200, path
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert await _get(app, path, cookies, hx) == 200, path
        gc.collect()
        return collections.Counter(type(found).__qualname__ for found in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


@pytest.mark.parametrize("hx", [False, True], ids=["page", "htmx"])
async def test_no_page_leaves_objects_in_reference_cycles(web_app, hx):
    async with AsyncTestClient(app=web_app):  # runs the lifespan: the stores are open
        db = web_app.state.accounts_db
        account = await create_linked_account(db, "cycles@exemple.test", "un long mot de passe de test", MARTIN.neph)
        session = await create_session(db, account)
        secret = web_app.state.accounts.csrf_config.secret
        signed_in = (f"{web_app.state.accounts.sessions.cookie_name}={session}; "
                     f"pp_csrf={token_for_session(secret, session)}")
        signed_out = f"pp_csrf={token_for_session(secret, None)}"
        left = {}
        for cookies, pages in ((signed_in, SIGNED_IN_PAGES), (signed_out, SIGNED_OUT_PAGES)):
            for path in pages:
                garbage = await _garbage_of(web_app, path, cookies, hx)
                if garbage:
                    left[path] = dict(garbage.most_common(8))
    assert left == {}, f"objects left in reference cycles per request: {left}"
