"""View models for the balance, calendar and licence pages (the history is in history.py).

Each function takes a `LicenceFile` and returns a Struct holding exactly what the page shows,
already in French; templates only lay it out.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import NamedTuple

import msgspec

from backend import caching
from backend.caching import memoised
from backend.law import known_file
from backend.law.articles import legifrance_links
from backend.law.dates import add_months
from backend.law.events import CategoryObtained, LicenceIssued, MedicalVisit, Suspension
from backend.records import labels
from backend.records.actions import Actions, CourseAdvice, Deadline, actions, advice
from backend.law.result import Entry
from backend.records.service import LicenceFile
from backend.register.lag import DataLag

_S = dict(frozen=True, kw_only=True)


class Link(NamedTuple):
    """An article and its Légifrance URL (a pair, as the timeline component takes it)."""

    text: str
    url: str


class Notice(msgspec.Struct, **_S):
    """A message for the driver: `tone` is info, warning or danger."""

    tone: str
    title: str
    body: str


class Identity(msgspec.Struct, **_S):
    neph: str
    full_name: str
    birth_date: dt.date


class Projection(msgspec.Struct, **_S):
    """One entry of the calendar: a date when points come back (field names: components/timeline.html)."""

    date: dt.date
    kind: str
    title: str
    change: int
    balance: int
    maximum: int
    body: str
    rule_links: tuple[Link, ...]


class BalanceView(msgspec.Struct, **_S):
    identity: Identity
    as_of: dt.date
    extracted_at: dt.datetime | None
    computed: bool
    problem: str | None
    balance: int = 0
    maximum: int = 12
    status: str = "valid"
    status_label: str = ""
    probation_ends_on: dt.date | None = None
    next_restoration: Projection | None = None
    course: CourseAdvice | None = None
    """What a course would give, from the engine (records/actions.py)."""
    actions: Actions = Actions()
    """« Que faire maintenant ? »: the main instruction and its one deadline (records/actions.py)."""
    balance_counts: bool = True
    """False when the licence is invalidated or annulled: its points no longer mean anything."""
    warnings: tuple[str, ...] = ()


class CalendarView(msgspec.Struct, **_S):
    identity: Identity
    as_of: dt.date
    extracted_at: dt.datetime | None
    computed: bool
    problem: str | None
    balance: int = 0
    maximum: int = 12
    status: str = "valid"
    entries: tuple[Projection, ...] = ()
    """Every projected line (restorations, end of probation), in date order."""
    restorations: int = 0
    """How many of `entries` give points back (the count shown as « N récupérations »)."""
    deadlines: tuple[Deadline, ...] = ()
    """The dates to keep, decided by records/actions.py (the same as on /solde)."""
    course: CourseAdvice | None = None
    empty_reason: str = ""


class Category(msgspec.Struct, **_S):
    name: str
    obtained_on: dt.date
    valid_until: dt.date | None
    validity: str


class Visit(msgspec.Struct, **_S):
    visited_on: dt.date
    outcome: str
    valid_until: dt.date | None
    categories: str


class SuspensionLine(msgspec.Struct, **_S):
    kind: str
    starts_on: dt.date
    ends_on: dt.date | None
    label: str
    current: bool


class LicenceView(msgspec.Struct, **_S):
    identity: Identity
    as_of: dt.date
    extracted_at: dt.datetime | None
    status_label: str
    issued_on: dt.date | None
    licence_kind: str
    training: str
    categories: tuple[Category, ...]
    restrictions: tuple[str, ...]
    visits: tuple[Visit, ...]
    suspensions: tuple[SuspensionLine, ...]


@memoised(maxsize=512)
def articles(rule: str | None) -> tuple[Link, ...]:
    """Légifrance links for an entry's `rule` text (few distinct texts: cached)."""
    if not rule:
        return ()
    return tuple(Link(text=article, url=url) for article, url in legifrance_links(rule))


def identity(file: LicenceFile) -> Identity:
    holder = file.holder
    return Identity(neph=file.neph, full_name=f"{holder.given_names} {holder.family_name}",
                    birth_date=holder.birth_date)


def projection(entry: Entry) -> Projection:
    return Projection(date=entry.date, kind=entry.kind, title=labels.ENTRY_KIND.get(entry.kind, entry.kind),
                      change=entry.change, balance=entry.balance, maximum=entry.maximum, body=entry.explanation,
                      rule_links=articles(entry.rule))


def _fr(day: dt.date) -> str:
    return labels.date_fr(day)


def balance_view(file: LicenceFile) -> BalanceView:
    """The balance page's view of `file`: made once per computed file (it shows nothing else)."""
    return caching.derived_from(file, "balance_view", lambda: _balance_view(file))


def _balance_view(file: LicenceFile) -> BalanceView:
    view = functools.partial(BalanceView, identity=identity(file), as_of=file.as_of, extracted_at=file.extracted_at)
    result = file.result
    if result is None:
        return view(computed=False, problem=file.problem)
    upcoming = next((entry for entry in result.calendar if entry.change > 0), None)
    return view(
        computed=True,
        problem=None,
        balance=result.balance,
        maximum=result.maximum,
        status=result.status,
        status_label=labels.STATUS.get(result.status, result.status),
        probation_ends_on=result.probation.ends_on if result.probation else None,
        next_restoration=projection(upcoming) if upcoming else None,
        course=advice(file),
        actions=actions(file),
        balance_counts=result.status not in ("invalidated", "annulled"),
        warnings=tuple(result.warnings),
    )


def calendar_view(file: LicenceFile) -> CalendarView:
    view = functools.partial(CalendarView, identity=identity(file), as_of=file.as_of, extracted_at=file.extracted_at)
    result = file.result
    if result is None:
        return view(computed=False, problem=file.problem)
    entries = tuple(projection(entry) for entry in result.calendar if entry.change != 0 or
                    entry.kind == "probation_end")
    empty_reason = ""
    if not entries:
        empty_reason = {
            "invalidation_pending": "Aucune récupération automatique n'est prévue tant que l'invalidation est en "
                                    "cours : seul un stage terminé avant la remise de la lettre 48SI peut vous "
                                    "rendre des points.",
            "invalidated": "Votre permis est invalidé : aucun point ne sera plus restitué sur ce permis.",
            "annulled": "Votre permis est annulé : aucun point ne sera plus restitué sur ce permis.",
        }.get(result.status, "Aucune récupération de points n'est prévue : votre solde est à son maximum "
                             "ou aucun point n'est à récupérer automatiquement.")
    return view(computed=True, problem=None, balance=result.balance, maximum=result.maximum, status=result.status,
                entries=entries, restorations=sum(1 for entry in entries if entry.change > 0),
                deadlines=actions(file).deadlines, course=advice(file), empty_reason=empty_reason)


def licence_view(file: LicenceFile) -> LicenceView:
    as_of = file.as_of
    known = known_file(file.events, as_of).in_force  # known on as_of, cancellations resolved as the engine does
    issued = [e for e in known if isinstance(e, LicenceIssued)]
    current = max(issued, key=lambda e: e.issued_on) if issued else None
    status = file.result.status if file.result is not None else None
    unusable = status in ("invalidated", "annulled")

    def validity(valid_until: dt.date | None) -> str:
        if unusable:
            return "non valide (permis " + ("invalidé" if status == "invalidated" else "annulé") + ")"
        if valid_until is not None and valid_until < as_of:
            return f"expirée depuis le {_fr(valid_until)}"
        if status == "suspended":
            return "suspendue"
        return f"valide jusqu'au {_fr(valid_until)}" if valid_until else "valide"

    categories: list[Category] = []
    if current is not None:
        categories += [Category(name=c, obtained_on=current.issued_on, valid_until=None, validity=validity(None))
                       for c in current.categories]
        categories += [Category(name=e.category, obtained_on=e.obtained_on, valid_until=e.valid_until,
                                validity=validity(e.valid_until))
                       for e in known if isinstance(e, CategoryObtained) and e.obtained_on >= current.issued_on]
    visits = sorted((e for e in known if isinstance(e, MedicalVisit)), key=lambda e: e.visited_on, reverse=True)
    suspensions = sorted((e for e in known if isinstance(e, Suspension)), key=lambda e: e.starts_on, reverse=True)
    return LicenceView(
        identity=identity(file),
        as_of=as_of,
        extracted_at=file.extracted_at,
        status_label=labels.STATUS.get(status, "Non calculé") if status else "Non calculé",
        issued_on=current.issued_on if current else None,
        licence_kind=labels.LICENCE_KIND[current.kind] if current else "",
        training=labels.TRAINING[current.training] if current else "",
        categories=tuple(categories),
        restrictions=tuple(
            f"Aptitude avec restrictions constatée lors de la visite médicale du {_fr(v.visited_on)}"
            + (f" (catégories {', '.join(v.categories)})" if v.categories else "")
            for v in visits if v.outcome == "fit_with_restrictions"
            and (v.valid_until is None or v.valid_until >= as_of)),
        visits=tuple(Visit(visited_on=v.visited_on, outcome=labels.MEDICAL_OUTCOME[v.outcome],
                           valid_until=v.valid_until, categories=", ".join(v.categories)) for v in visits),
        suspensions=tuple(SuspensionLine(kind=labels.SUSPENSION_KIND[s.suspension_kind], starts_on=s.starts_on,
                                         ends_on=s.ends_on, label=s.label or "",
                                         current=s.starts_on <= as_of and (s.ends_on is None or s.ends_on >= as_of))
                          for s in suspensions),
    )


def lag_text(lag: DataLag | None) -> str:
    """The register's data lag in one French sentence (/solde, /aide, /simulation): measured figures when
    the last import had enough withdrawals to measure (`backend.register.lag`), else the general rule."""
    if lag is None or not lag.usable:
        return ("En général, un retrait de points apparaît au fichier national environ 2 mois après le paiement "
                "de l'amende ou la décision.")
    return (f"Délai constaté au fichier national : sur les {lag.samples} retraits de points enregistrés du "
            f"{_fr(lag.window_from)} au {_fr(lag.window_until)}, la moitié est apparue en {lag.median_days} jours "
            f"ou moins après le paiement de l'amende ou la décision, et 9 sur 10 en {lag.p90_days} jours ou moins.")


CALENDAR_PERIODS = (("tout", "Toutes les dates prévues"), ("12-mois", "Les 12 prochains mois"))


def calendar_for_period(view: CalendarView, period: str) -> CalendarView:
    """The calendar's option "Afficher" (/calendrier?periode=…): every projected date, or the next 12 months."""
    if period != "12-mois" or not view.computed:
        return view
    limit = add_months(view.as_of, 12)
    entries = tuple(e for e in view.entries if e.date <= limit)
    reason = view.empty_reason if not view.entries else (
        f"Aucune date prévue d'ici le {_fr(limit)} : affichez toutes les dates prévues pour voir les suivantes.")
    return msgspec.structs.replace(view, entries=entries, empty_reason=reason if not entries else "",
                                   restorations=sum(1 for e in entries if e.change > 0))
