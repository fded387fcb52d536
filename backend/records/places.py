"""Birthplaces in words: the register gives INSEE codes (Code officiel géographique), a person reads names.

The communes come from the npm package `@etalab/decoupage-administratif` (pinned in
tools/node/package.json, installed by `make install`): the data.gouv.fr team publishes it every
year from INSEE's COG, under the Licence Ouverte. It lists current communes, delegated and
associated communes and Paris/Lyon/Marseille arrondissements under their own codes, and the
former codes of merged communes (`anciensCodes`), so a birthplace recorded under a commune that
has since merged still gets a name. No PyPI package carries this data offline and maintained.

A code the data does not know is never shown to the driver as such: the sentence says the
commune is not identified (`commune_name` returns None and callers write words).
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from backend import caching

COMMUNES_JSON = (Path(__file__).resolve().parents[2] / "tools" / "node" / "node_modules" / "@etalab"
                 / "decoupage-administratif" / "data" / "communes.json")

# A delegated commune can share its code with the new commune it belongs to: the current one wins.
_RANK = {"commune-actuelle": 0, "arrondissement-municipal": 1, "commune-deleguee": 2, "commune-associee": 3}


class _Commune(msgspec.Struct):
    code: str
    nom: str
    type: str
    departement: str | None = None
    anciensCodes: list[str] = []
    chefLieu: str | None = None


class Place(msgspec.Struct, frozen=True):
    name: str
    department: str | None
    former: str | None = None
    """For a former code: the current commune it belongs to now."""

    def __str__(self) -> str:
        where = f"{self.name} ({self.department})" if self.department else self.name
        return f"{where}, aujourd'hui {self.former}" if self.former else where


class CommunesUnavailable(RuntimeError):
    """The COG data is not installed (run `make install-node`)."""


@caching.memoised(maxsize=1)
def _table() -> dict[str, Place]:
    try:
        raw = COMMUNES_JSON.read_bytes()
    except OSError as exc:
        raise CommunesUnavailable(f"{COMMUNES_JSON} is missing: run `make install-node`") from exc
    communes = msgspec.json.decode(raw, type=list[_Commune])
    by_code: dict[str, tuple[int, Place]] = {}
    current: dict[str, _Commune] = {}
    for c in communes:
        rank = _RANK.get(c.type, 9)
        if c.type == "commune-actuelle":
            current[c.code] = c
        held = by_code.get(c.code)
        if held is None or rank < held[0]:
            by_code[c.code] = (rank, Place(name=c.nom, department=c.departement))
    for c in current.values():
        for old in c.anciensCodes:
            if old not in by_code:
                by_code[old] = (8, Place(name="ancienne commune", department=c.departement, former=c.nom))
    return {code: place for code, (_, place) in by_code.items()}


def commune(code: str | None) -> Place | None:
    """The commune of an INSEE code, or None when the code is empty or unknown."""
    if not code:
        return None
    return _table().get(code.strip())


def birthplace_text(code: str | None, country_code: str | None) -> str:
    """The birthplace as a sentence fragment a person reads, never a bare code."""
    if country_code and country_code != "99100":
        return "hors de France"
    place = commune(code)
    if place is None:
        return "commune non identifiée" if code else "non renseigné"
    return str(place)


def birth_country_text(country_code: str | None) -> str:
    """The country of birth in words. INSEE country codes (99xxx) have no maintained offline list:
    a foreign country is said as such rather than shown as a number."""
    if not country_code or country_code == "99100":
        return "France"
    return "étranger (pays non précisé ici)"
