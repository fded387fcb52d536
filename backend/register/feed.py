"""Feed records other than events (spec/record-format.md "Holder record" and "Feed file").

`Holder` is what other areas read (identity of a licence file's holder); `HolderRecord` and
`ExtractHeader` are the strict shapes of the feed lines; `Extract` is an imported extract.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Annotated, Literal

import msgspec

# Patterns end with `\Z`, not `$` (re.search's `$` also accepts a trailing "\n"): see law/events.py.
Neph = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z]{12}\Z")]
"""12 characters, opaque (law-research §7.4): digits in practice, letters tolerated."""

Gender = Literal["female", "male"]


class Holder(msgspec.Struct, kw_only=True, frozen=True):
    """The holder of a licence file; the identity fields are FranceConnect's identité pivot."""

    neph: str
    family_name: str
    given_names: str
    birth_date: dt.date
    birth_place: str
    """INSEE commune code (5 characters); empty when born abroad."""
    birth_country: str
    """INSEE country code (5 digits); 99100 = France."""
    gender: Gender


class HolderRecord(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True,
                   tag_field="type", tag="holder"):
    """A `holder` line of the feed, validated strictly."""

    neph: Neph
    family_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    given_names: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    birth_date: dt.date
    birth_place: Annotated[str, msgspec.Meta(pattern=r"^([0-9][0-9AB][0-9]{3})?\Z")]
    birth_country: Annotated[str, msgspec.Meta(pattern=r"^99[0-9]{3}\Z")]
    gender: Gender

    def to_holder(self) -> Holder:
        return Holder(neph=self.neph, family_name=self.family_name, given_names=self.given_names,
                      birth_date=self.birth_date, birth_place=self.birth_place,
                      birth_country=self.birth_country, gender=self.gender)


class ExtractHeader(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True,
                    tag_field="type", tag="extract"):
    """The first line of a feed file."""

    extract_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+\Z")]
    extracted_at: Annotated[dt.datetime, msgspec.Meta(tz=True)]
    """With its UTC offset, e.g. 2026-11-25T22:00:00+00:00."""


class Extract(msgspec.Struct, kw_only=True, frozen=True):
    """An imported extract: `extracted_at` is what drivers see as « données à jour au … »."""

    extract_id: str
    extracted_at: dt.datetime
    imported_at: dt.datetime
    file_name: str
    file_sha256: str
    lines: int
    holders: int
    events_new: int
    events_unchanged: int
    rejected: int


class RegisterState(msgspec.Struct, kw_only=True, frozen=True):
    """The register now, in brief: what a page's caches depend on."""

    version: str
    """Changed by every import, whatever its extract's date: files computed under another version are stale
    ('' until the first import after migration 0009)."""
    latest: Extract | None
    """The latest extract by `extracted_at` (« données à jour au … »); None before any import."""


def normalise_name(name: str) -> str:
    """Compare names as a person would: no accents, case, hyphens or repeated spaces.

    FranceConnect may give "Hélène-Marie" where the register has "HELENE MARIE".
    """
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    for sep in "-'’":
        letters = letters.replace(sep, " ")
    return " ".join(letters.casefold().split())
