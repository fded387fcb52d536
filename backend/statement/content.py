"""What a statement says: every line of the licence file, in the words the driver reads.

`build_content(file)` turns the records service's `LicenceFile` (holder, events, engine result,
extract) into `StatementContent`, a plain tree of values and French labels. The page and the
PDF render exactly this tree, and the seal signs a digest of its canonical serialisation
(`canonical(content)`), so what is signed is what is shown — no more, no less.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.law import events as ev
from backend.law import Result, known_file
from backend.records import labels, places
from backend.records.service import LicenceFile
from backend.records.views import licence_view
from backend.register.feed import Holder
from backend.statement.model import (
    Cancellation, Category, Course, Decision, Identity, Licence, MedicalVisit, Offence, Probation, Restoration,
    StatementContent, Suspension,
)

RESTORATION_KINDS = ("single_point_restoration", "full_restoration", "ten_year_restoration",
                     "course_credit", "probation_increment")

_ENCODER = msgspec.json.Encoder(order="deterministic")


def canonical(content: StatementContent) -> bytes:
    """The canonical serialisation the seal's digest is computed over (compact JSON, fixed key order)."""
    return _ENCODER.encode(content)


def _d(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _identity(holder: Holder) -> Identity:
    # Names from the Code officiel géographique, never the register's bare codes (records/places.py).
    place = places.birthplace_text(holder.birth_place, holder.birth_country)
    country = places.birth_country_text(holder.birth_country)
    return Identity(family_name=holder.family_name, given_names=holder.given_names, birth_date=holder.birth_date,
                    birth_place=place, birth_country=country)


def _describe(event: ev.Event) -> str:
    """One line naming an event, for the list of cancellations."""
    if isinstance(event, ev.Offence):
        return f"Infraction du {_d(event.committed_on)} : {event.label}"
    if isinstance(event, ev.Course):
        return f"{labels.COURSE_KIND[event.kind]} du {_d(event.first_day)} au {_d(event.last_day)}"
    tag = ev.event_type(event)
    return f"{_EVENT_NAMES.get(tag, tag)} du {_d(event.effective_on)}"


_EVENT_NAMES = {
    "licence_issued": "Délivrance du permis", "complementary_training": "Formation complémentaire",
    "invalidation_notified": "Notification d'invalidation (lettre 48SI)",
    "licence_surrendered": "Restitution du permis", "annulment": "Annulation judiciaire du permis",
    "suspension": "Suspension du permis", "medical_visit": "Visite médicale",
    "category_obtained": "Obtention d'une catégorie", "cancellation": "Annulation d'une décision",
}


def _withdrawals(result: Result | None) -> dict[str, int]:
    totals: dict[str, int] = {}
    for entry in result.history if result is not None else ():
        if entry.kind == "withdrawal" and entry.event_id:
            totals[entry.event_id] = totals.get(entry.event_id, 0) - entry.change
    return totals


def _credits(result: Result | None) -> dict[str, int]:
    totals: dict[str, int] = {}
    for entry in result.history if result is not None else ():
        if entry.kind == "course_credit" and entry.event_id:
            totals[entry.event_id] = totals.get(entry.event_id, 0) + entry.change
    return totals


def _cap(offence: ev.Offence, withdrawn: int, computed: bool, cancelled: bool) -> str | None:
    if cancelled or not computed or withdrawn >= offence.points:
        return None
    if offence.simultaneous_group:
        return (f"Retrait limité à {withdrawn} point(s) au lieu de {offence.points} : infractions commises "
                "simultanément, dont le retrait total est plafonné (Code de la route, art. L223-2).")
    return (f"Retrait limité à {withdrawn} point(s) au lieu de {offence.points} : le solde ne peut pas "
            "devenir négatif ou le permis n'avait plus de points (Code de la route, art. L223-1).")


def _licences(file: LicenceFile, events: list[ev.Event]) -> tuple[list[Licence], list[str]]:
    """Every licence of the file with its categories; the current one's validity and restrictions
    are the licence page's (records.views.licence_view), so both pages say the same thing."""
    view = licence_view(file)
    issued = sorted((e for e in events if isinstance(e, ev.LicenceIssued)), key=lambda e: e.issued_on)
    added = sorted((e for e in events if isinstance(e, ev.CategoryObtained)), key=lambda e: e.obtained_on)
    licences = []
    for index, licence in enumerate(issued):
        if index + 1 == len(issued):
            categories = [Category(category=c.name, obtained_on=c.obtained_on, valid_until=c.valid_until,
                                   validity=c.validity) for c in view.categories]
        else:
            ends = issued[index + 1].issued_on
            replaced = f"non valide (permis remplacé le {_d(ends)})"
            categories = [Category(category=c, obtained_on=licence.issued_on, valid_until=None, validity=replaced)
                          for c in licence.categories]
            categories += [Category(category=c.category, obtained_on=c.obtained_on, valid_until=c.valid_until,
                                    validity=replaced)
                           for c in added if licence.issued_on <= c.obtained_on < ends]
        licences.append(Licence(event_id=licence.id, issued_on=licence.issued_on, kind=labels.LICENCE_KIND[licence.kind],
                                training=labels.TRAINING[licence.training], categories=categories))
    return licences, list(view.restrictions)


def _probation(result: Result | None) -> Probation | None:
    probation = getattr(result, "probation", None)
    if probation is None:
        return None
    notes = []
    if probation.reduced_by_training:
        notes.append("durée réduite par la formation suivie")
    if probation.increments_blocked:
        notes.append("majorations annuelles suspendues à la suite d'une infraction ayant entraîné un retrait")
    return Probation(started_on=probation.started_on, ends_on=probation.ends_on,
                     training=labels.TRAINING.get(probation.training, probation.training),
                     note="; ".join(notes).capitalize() or None)


def build_content(file: LicenceFile) -> StatementContent:
    """The statement of a `backend.records.service.LicenceFile`."""
    # What the register knew on `as_of`, cancellations resolved: the engine's own definition (law.known_file),
    # so that each event is in the one state the balance counts it in.
    known = known_file(file.events, file.as_of)
    events: list[ev.Event] = known.events
    result = file.result
    computed = result is not None
    by_id = {e.id: e for e in events}
    cancelled = {c.event_id for c in known.cancelled}

    def cancel_note(event_id: str) -> str | None:
        c = known.cancellation(event_id)
        if c is None:
            return None
        return f"Annulation du {_d(c.cancelled_on)}" + (f" : {c.reason}" if c.reason else "")

    withdrawn, credited = _withdrawals(result), _credits(result)
    offences = [
        Offence(event_id=o.id, label=o.label, natinf=o.natinf, offence_class=labels.offence_class(o.offence_class),
                committed_on=o.committed_on, place=o.place, established_on=o.established_on,
                established_by=labels.ESTABLISHED_BY[o.established_by], points=o.points,
                withdrawn=withdrawn.get(o.id, 0), cap=_cap(o, withdrawn.get(o.id, 0), computed, o.id in cancelled),
                cancelled=cancel_note(o.id))
        for o in sorted((e for e in events if isinstance(e, ev.Offence)), key=lambda o: (o.committed_on, o.id))
    ]
    restorations = [
        Restoration(date=entry.date, kind=labels.ENTRY_KIND[entry.kind], change=entry.change, balance=entry.balance,
                    maximum=entry.maximum, rule=entry.rule, explanation=entry.explanation)
        for entry in (result.history if result is not None else ()) if entry.kind in RESTORATION_KINDS and entry.change
    ]
    courses = [
        Course(event_id=c.id, first_day=c.first_day, last_day=c.last_day, kind=labels.COURSE_KIND[c.kind],
               organiser=c.organiser, place=c.place, points=credited.get(c.id, 0), cancelled=cancel_note(c.id))
        for c in sorted((e for e in events if isinstance(e, ev.Course)), key=lambda c: c.first_day)
    ]
    licences, restrictions = _licences(file, known.in_force)
    visits = sorted((e for e in events if isinstance(e, ev.MedicalVisit) and e.id not in cancelled),
                    key=lambda v: v.visited_on)
    decisions = []
    for e in sorted(events, key=lambda e: e.effective_on):
        note = cancel_note(e.id)
        if isinstance(e, ev.InvalidationNotified):
            decisions.append(Decision(date=e.notified_on, label="Invalidation du permis notifiée (lettre 48SI)",
                                      detail=note))
        elif isinstance(e, ev.LicenceSurrendered):
            decisions.append(Decision(date=e.surrendered_on, label="Permis restitué à la préfecture", detail=note))
        elif isinstance(e, ev.Annulment):
            until = (f"Nouveau permis interdit avant le {_d(e.new_licence_not_before)}"
                     if e.new_licence_not_before else None)
            decisions.append(Decision(date=e.decided_on, label="Annulation judiciaire du permis",
                                      detail="; ".join(filter(None, (until, note))) or None))
        elif isinstance(e, ev.ComplementaryTraining):
            decisions.append(Decision(date=e.completed_on, label="Formation complémentaire suivie", detail=note))
    status = labels.STATUS[result.status] if result is not None else "Non calculé"
    return StatementContent(
        neph=file.neph,
        as_of=file.as_of,
        extracted_at=file.extracted_at,
        identity=_identity(file.holder),
        status=status,
        balance=result.balance if result is not None else None,
        maximum=result.maximum if result is not None else None,
        problem=file.problem,
        probation=_probation(result),
        # While the invalidation is pending, the course to follow is one finished before the 48SI letter, not
        # by the later 48N date (records/actions.py): the statement does not print a date that contradicts it.
        mandatory_course_due_by=(result.mandatory_course.due_by if result is not None and result.mandatory_course
                                 and result.status != "invalidation_pending" else None),
        new_licence_not_before=result.new_licence_not_before if result is not None else None,
        warnings=list(result.warnings) if result is not None else [],
        licences=licences,
        restrictions=restrictions,
        offences=offences,
        restorations=restorations,
        courses=courses,
        medical_visits=[MedicalVisit(visited_on=v.visited_on, outcome=labels.MEDICAL_OUTCOME[v.outcome],
                                     valid_until=v.valid_until, categories=list(v.categories)) for v in visits],
        suspensions=[Suspension(starts_on=s.starts_on, ends_on=s.ends_on, kind=labels.SUSPENSION_KIND[s.suspension_kind],
                                label=s.label)
                     for s in sorted((e for e in events if isinstance(e, ev.Suspension) and e.id not in cancelled),
                                     key=lambda s: s.starts_on)],
        decisions=decisions,
        cancellations=[Cancellation(event_id=c.event_id, cancelled_on=c.cancelled_on, reason=c.reason,
                                    what=_describe(by_id[c.event_id]) if c.event_id in by_id else f"Événement {c.event_id}")
                       for c in known.cancelled],
    )
