"""View models for the balance, calendar and licence pages (the history is in history.py).

Each function takes a `LicenceFile` and returns a Struct holding exactly what the page shows,
already in French; templates only lay it out.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, NamedTuple

import msgspec

from backend.law.dates import add_months
from backend.law.events import CategoryObtained, LicenceIssued, MedicalVisit, Suspension
from backend.records import labels
from backend.records.service import LicenceFile

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
    birth_date: Any


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
    status_notices: tuple[Notice, ...] = ()
    probation_ends_on: dt.date | None = None
    next_restoration: Projection | None = None
    course_text: str = ""
    mandatory_due_by: dt.date | None = None
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


@functools.lru_cache(maxsize=512)
def articles(rule: str | None) -> tuple[Link, ...]:
    """Légifrance links for an entry's `rule` text (few distinct texts: cached)."""
    if not rule:
        return ()
    from backend.law.articles import legifrance_links

    return tuple(Link(text=article, url=url) for article, url in legifrance_links(rule))


def identity(file: LicenceFile) -> Identity:
    holder = file.holder
    return Identity(neph=file.neph, full_name=f"{holder.given_names} {holder.family_name}",
                    birth_date=holder.birth_date)


def projection(entry: Any) -> Projection:
    return Projection(date=entry.date, kind=entry.kind, title=labels.ENTRY_KIND.get(entry.kind, entry.kind),
                      change=entry.change, balance=entry.balance, maximum=entry.maximum, body=entry.explanation,
                      rule_links=articles(entry.rule))


def _status_notices(file: LicenceFile) -> tuple[Notice, ...]:
    result = file.result
    if result.status == "invalidation_pending":
        return (Notice(tone="danger", title="Votre solde est à zéro : l'invalidation de votre permis est en cours",
                       body="Votre permis reste valide jusqu'à ce que la lettre 48SI vous soit remise. "
                            "Un stage de sensibilisation terminé avant cette remise peut vous rendre des points "
                            "et éviter l'invalidation. Après la remise, vous devrez restituer votre permis à la "
                            "préfecture dans les 10 jours."),)
    when = result.new_licence_not_before
    if when is not None:
        new_licence = (f"Vous pouvez repasser le permis depuis le {_fr(when)}." if when <= file.as_of else
                       f"Vous pourrez repasser le permis à partir du {_fr(when)}.")
    if result.status == "invalidated":
        body = new_licence if when else ("La date à partir de laquelle vous pourrez repasser le permis sera connue "
                                         "une fois votre permis remis à la préfecture.")
        return (Notice(tone="danger", title="Votre permis est invalidé (solde nul)", body=body),)
    if result.status == "annulled":
        body = new_licence if when else ("La décision de justice fixe la date à partir de laquelle vous pourrez "
                                         "repasser le permis.")
        return (Notice(tone="danger", title="Votre permis a été annulé par décision de justice", body=body),)
    if result.status == "suspended":
        return (Notice(tone="warning", title="Votre permis est actuellement suspendu",
                       body="Vous ne pouvez pas conduire pendant la suspension. Vos points continuent d'être "
                            "calculés normalement."),)
    return ()


def _fr(day: Any) -> str:
    return labels.date_fr(day)


def _course_text(result: Any) -> str:
    if result.status in ("invalidated", "annulled"):
        return "Un stage ne peut plus vous rendre de points sur ce permis."
    if result.next_course_credit_from is not None:
        return ("Un stage de sensibilisation ne vous rendrait des points que s'il se termine le "
                f"{_fr(result.next_course_credit_from)} ou après : un seul stage par an peut rendre des points.")
    if result.balance >= result.maximum:
        return "Votre solde est au maximum : un stage ne vous rendrait aucun point aujourd'hui."
    return ("Un stage de sensibilisation suivi dès maintenant vous rendrait des points, le lendemain de son "
            "dernier jour, dans la limite de votre plafond.")


def balance_view(file: LicenceFile) -> BalanceView:
    base = dict(identity=identity(file), as_of=file.as_of, extracted_at=file.extracted_at)
    result = file.result
    if result is None:
        return BalanceView(**base, computed=False, problem=file.problem)
    upcoming = next((entry for entry in result.calendar if entry.change > 0), None)
    mandatory = result.mandatory_course
    return BalanceView(
        **base,
        computed=True,
        problem=None,
        balance=result.balance,
        maximum=result.maximum,
        status=result.status,
        status_label=labels.STATUS.get(result.status, result.status),
        status_notices=_status_notices(file),
        probation_ends_on=result.probation.ends_on if result.probation else None,
        next_restoration=projection(upcoming) if upcoming else None,
        course_text=_course_text(result),
        mandatory_due_by=mandatory.due_by if mandatory else None,
        warnings=tuple(result.warnings),
    )


def calendar_view(file: LicenceFile) -> CalendarView:
    base = dict(identity=identity(file), as_of=file.as_of, extracted_at=file.extracted_at)
    result = file.result
    if result is None:
        return CalendarView(**base, computed=False, problem=file.problem)
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
    return CalendarView(**base, computed=True, problem=None, balance=result.balance, maximum=result.maximum,
                        status=result.status, entries=entries, empty_reason=empty_reason)


def licence_view(file: LicenceFile) -> LicenceView:
    as_of = file.as_of
    known = [e for e in file.events if e.known_on <= as_of and e.effective_on <= as_of]
    cancelled = {e.cancels for e in known if e.__struct_config__.tag == "cancellation"}
    known = [e for e in known if e.id not in cancelled]
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


def lag_text(lag: Any) -> str:
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
    return msgspec.structs.replace(view, entries=entries, empty_reason=reason if not entries else "")
