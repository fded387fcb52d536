"""A driver's pages show their own file and nothing of anyone else's."""

from __future__ import annotations

import pytest
from litestar.exceptions import NotAuthorizedException

from backend.accounts.session import Viewer
from backend.rendering.context import own_neph
from tests.fixtures.web import DURAND, DURAND_EVENTS, MARTIN, MARTIN_EVENTS

PATHS = ["/solde", "/historique?tout=1", "/calendrier", "/calendrier.ics", "/permis"]


def markers(holder, events) -> list[str]:
    texts = [holder.neph, holder.family_name, holder.given_names]
    texts += [e["label"] for e in events if e["type"] == "offence"]
    texts += [e["place"] for e in events if e.get("place")]
    return texts


@pytest.mark.parametrize(("viewer", "other"), [((MARTIN, MARTIN_EVENTS), (DURAND, DURAND_EVENTS)),
                                               ((DURAND, DURAND_EVENTS), (MARTIN, MARTIN_EVENTS))])
async def test_pages_never_show_another_holders_data(web_client, viewer, other):
    own, foreign = markers(*viewer), markers(*other)
    async with web_client(viewer[0].neph) as client:
        bodies = {path: (await client.get(path)).text for path in PATHS}
    seen_own = set()
    for path, body in bodies.items():
        for text in foreign:
            assert text not in body, f"{path} of {viewer[0].neph} shows {text!r} from another file"
        seen_own |= {text for text in own if text in body}
    assert viewer[0].neph in seen_own and viewer[0].family_name in seen_own


async def test_the_file_shown_is_the_signed_in_drivers_whatever_the_query(web_client):
    async with web_client(MARTIN.neph) as client:
        body = (await client.get(f"/solde?neph={DURAND.neph}&dossier={DURAND.neph}")).text
    assert MARTIN.neph in body and DURAND.neph not in body


def test_no_file_is_read_for_an_account_without_a_linked_file():
    """Second line of defence behind the guard (which sends such an account to the linking page): the
    one place every driver page and the statement take the NEPH from refuses, it never reads a file."""
    assert own_neph(Viewer(account_id=1, neph=MARTIN.neph)) == MARTIN.neph
    with pytest.raises(NotAuthorizedException):
        own_neph(Viewer(account_id=2, neph=None))
