"""The statement's content: a plain tree of values and French labels (built by content.py).

Field order matters: the canonical serialisation the seal signs follows it.
"""

from __future__ import annotations

import datetime as dt

import msgspec

_STRUCT = dict(frozen=True, kw_only=True)

class Identity(msgspec.Struct, **_STRUCT):
    family_name: str
    given_names: str
    birth_date: dt.date
    birth_place: str  # as printed: "Lyon (69)", "hors de France" (records/places.py)
    birth_country: str  # "France" or "étranger (pays non précisé ici)"


class Probation(msgspec.Struct, **_STRUCT):
    started_on: dt.date
    ends_on: dt.date
    training: str
    note: str | None


class Category(msgspec.Struct, **_STRUCT):
    category: str
    obtained_on: dt.date
    valid_until: dt.date | None
    validity: str


class Licence(msgspec.Struct, **_STRUCT):
    event_id: str
    issued_on: dt.date
    kind: str
    training: str
    categories: list[Category]


class Offence(msgspec.Struct, **_STRUCT):
    event_id: str
    label: str
    natinf: str | None
    offence_class: str
    committed_on: dt.date
    place: str | None
    established_on: dt.date
    established_by: str
    points: int  # what the offence withdraws before any cap
    withdrawn: int  # what was actually withdrawn (engine)
    cap: str | None  # why fewer points were withdrawn, if so
    cancelled: str | None  # "Annulée le … : motif" when the register cancelled it


class Restoration(msgspec.Struct, **_STRUCT):
    date: dt.date
    kind: str
    change: int
    balance: int
    maximum: int
    rule: str
    explanation: str


class Course(msgspec.Struct, **_STRUCT):
    event_id: str
    first_day: dt.date
    last_day: dt.date
    kind: str
    organiser: str | None
    place: str | None
    points: int  # credited by the engine
    cancelled: str | None


class MedicalVisit(msgspec.Struct, **_STRUCT):
    visited_on: dt.date
    outcome: str
    valid_until: dt.date | None
    categories: list[str]


class Suspension(msgspec.Struct, **_STRUCT):
    starts_on: dt.date
    ends_on: dt.date | None
    kind: str
    label: str | None


class Decision(msgspec.Struct, **_STRUCT):
    """Invalidation, surrender of the licence, annulment, complementary training."""

    date: dt.date
    label: str
    detail: str | None


class Cancellation(msgspec.Struct, **_STRUCT):
    event_id: str
    cancelled_on: dt.date
    what: str
    reason: str | None


class StatementContent(msgspec.Struct, **_STRUCT):
    neph: str
    as_of: dt.date
    extracted_at: dt.datetime | None
    identity: Identity
    status: str
    balance: int | None
    maximum: int | None
    problem: str | None
    probation: Probation | None
    mandatory_course_due_by: dt.date | None  # stage obligatoire (lettre 48N) to follow by this date
    new_licence_not_before: dt.date | None
    warnings: list[str]
    licences: list[Licence]
    restrictions: list[str]
    offences: list[Offence]
    restorations: list[Restoration]
    courses: list[Course]
    medical_visits: list[MedicalVisit]
    suspensions: list[Suspension]
    decisions: list[Decision]
    cancellations: list[Cancellation]


# --- the facts a verifier shows (statement, attestation, share code) ---------------------


class RightsCategory(msgspec.Struct, **_STRUCT):
    category: str
    obtained_on: dt.date
    valid_until: dt.date | None
    validity: str  # as on the licence page: "valide", "valide jusqu'au …", "suspendue", "expirée depuis le …"


class Facts(msgspec.Struct, **_STRUCT):
    """What a third party compares with the paper: kept server-side with each issued statement
    and attestation (its digest is in the seal), and shown live for a share code."""

    kind: str  # "statement" | "attestation" | "share"
    neph: str
    family_name: str
    given_names: str
    birth_date: dt.date
    status: str  # labels.STATUS, or "Non calculé"
    balance: int | None  # None: not part of this document (attestation, share code "rights only")
    maximum: int | None
    licence_issued_on: dt.date | None
    categories: list[RightsCategory]
    restrictions: list[str]
    current_suspension: str | None
    as_of: dt.date
    extracted_at: dt.datetime | None  # the register's data date ("données à jour au")
    issued_at: dt.datetime | None  # None for a share code (shown live)
    valid_until: dt.datetime | None  # the document's own end of validity
    content_digest: str | None  # statement only: the seal's digest of the whole statement (hex)
