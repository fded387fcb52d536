"""The history page's view model: the licence file as a timeline, newest first, in French.

Lines come from two sources: the engine's history entries (every change of points, with the
article applied and why), and the record's events that change no points (offences without
withdrawal, judicial courses, medical visits, suspensions…), which a driver still expects to
see. Cancelled events are listed too, marked as annulled, so the driver sees the decision.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import NamedTuple

import msgspec

from backend.law import explain, known_file
from backend.law.events import (Annulment, CategoryObtained, ComplementaryTraining, Course, Event, InvalidationNotified,
                                LicenceIssued, LicenceSurrendered, MedicalVisit, Offence, Suspension, event_type)
from backend.law.result import Entry
from backend.records import labels
from backend.records.service import LicenceFile
from backend.records.views import Identity, Link, articles, identity

# Filter values (the `type` query parameter), in display order, with their French label.
KINDS: dict[str, str] = {
    "tout": "Tout",
    "retraits": "Infractions et retraits",
    "recuperations": "Récupérations de points",
    "stages": "Stages",
    "permis": "Permis et décisions",
}
_ENTRY_GROUP = {
    "licence_issued": "permis", "withdrawal": "retraits", "single_point_restoration": "recuperations",
    "full_restoration": "recuperations", "ten_year_restoration": "recuperations", "course_credit": "stages",
    "probation_increment": "permis", "probation_end": "permis", "invalidation": "permis",
}
# Event types whose own entry (same event_id, this kind) already tells the story.
_PRIMARY_KIND = {"offence": "withdrawal", "course": "course_credit", "licence_issued": "licence_issued",
                 "invalidation_notified": "invalidation"}
_CATEGORY = {"probation_increment": "Permis probatoire", "probation_end": "Permis probatoire",
             "invalidation": "Invalidation"}
DEFAULT_YEARS = 10


class Detail(NamedTuple):
    term: str
    value: str


class HistoryLine(msgspec.Struct, frozen=True, kw_only=True):
    """One line of the timeline (field names: components/timeline.html)."""

    date: dt.date
    group: str
    """The filter it belongs to (a key of KINDS)."""
    kind: str
    """Engine entry kind, or the event type for lines that change no points (CSS class only)."""
    kind_label: str
    title: str
    details: tuple[Detail, ...] = ()
    change: int | None = None
    balance: int | None = None
    maximum: int | None = None
    body: str = ""
    rule_links: tuple[Link, ...] = ()
    annulled: bool = False
    annulled_reason: str = ""
    """"Annulé le … : motif" when the event was cancelled."""


class HistoryView(msgspec.Struct, frozen=True, kw_only=True):
    identity: Identity
    as_of: dt.date
    extracted_at: dt.datetime | None
    problem: str | None
    kind: str
    show_all: bool
    since: dt.date | None
    lines: tuple[HistoryLine, ...]
    hidden_older: int
    kinds: tuple[tuple[str, str], ...] = tuple(KINDS.items())

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def empty_text(self) -> str:
        """What to say when no line is shown: a clean record is good news, not "nothing of this type"."""
        since = f" depuis le {_fr(self.since)}" if self.since else ""
        if self.kind == "tout":
            return (f"Aucun événement n'est inscrit sur votre dossier{since} : aucune infraction, aucun retrait "
                    "ni aucune récupération de points.")
        return f"Aucun événement de ce type sur votre dossier{since}."

    @property
    def kinds_items(self) -> list[dict[str, str]]:
        """The filter's choices, as components/radios.html takes them."""
        return [{"value": value, "text": text} for value, text in self.kinds]

    @property
    def title(self) -> str:
        """The page title: says which filter is shown, so that each state has its own title."""
        title = "Historique de votre dossier"
        if self.kind != "tout":
            title += f" : {self.kind_label.lower()}"
        return title + (" (tout)" if self.show_all else "")


def _fr(day: dt.date) -> str:
    return labels.date_fr(day)


def _offence_details(o: Offence) -> list[Detail]:
    details = [Detail("Date de l'infraction", _fr(o.committed_on))]
    if o.place:
        details.append(Detail("Lieu", o.place))
    details.append(Detail("Devenue définitive le",
                          f"{_fr(o.established_on)}, par {labels.ESTABLISHED_BY[o.established_by]}"))
    details.append(Detail("Nature", labels.offence_class(o.offence_class)))
    if o.recorded_on and o.recorded_on != o.established_on:
        details.append(Detail("Enregistrée au fichier national le", _fr(o.recorded_on)))
    return details


def _course_details(c: Course) -> list[Detail]:
    details = [Detail("Dates du stage", f"du {_fr(c.first_day)} au {_fr(c.last_day)}")]
    if c.organiser:
        details.append(Detail("Organisateur", c.organiser))
    if c.place:
        details.append(Detail("Lieu", c.place))
    return details


def _entry_line(entry: Entry, events: dict[str, Event]) -> HistoryLine:
    event = events.get(entry.event_id) if entry.event_id else None
    kind_label = labels.ENTRY_KIND.get(entry.kind, entry.kind)
    details: list[Detail] = []
    title = kind_label
    if isinstance(event, Offence):
        if entry.kind == "withdrawal":
            title, details = event.label, _offence_details(event)
        else:  # a restoration names the offence whose points come back
            title = f"Infraction du {_fr(event.committed_on)} : {event.label}"
    elif isinstance(event, Course):
        title, details = labels.COURSE_KIND[event.kind], _course_details(event)
    elif isinstance(event, LicenceIssued):
        title = (labels.LICENCE_KIND[event.kind] + ", " + labels.TRAINING[event.training]).capitalize()
        if event.categories:
            details.append(Detail("Catégories", ", ".join(event.categories)))
    if title == kind_label:  # probation steps, invalidation: a category above, the precise step as title
        kind_label = _CATEGORY.get(entry.kind, "")
    return HistoryLine(date=entry.date, group=_ENTRY_GROUP.get(entry.kind, "permis"), kind=entry.kind,
                       kind_label=kind_label, title=title, details=tuple(details), change=entry.change,
                       balance=entry.balance, maximum=entry.maximum, body=entry.explanation,
                       rule_links=articles(entry.rule))


def _event_line(event: Event, annulled_reason: str) -> HistoryLine | None:
    """A line for an event that changed no points (or was cancelled)."""
    tag = event_type(event)
    line = functools.partial(HistoryLine, date=event.effective_on, kind=tag, annulled=bool(annulled_reason),
                             annulled_reason=annulled_reason)
    if isinstance(event, Offence):
        kind_label = "Infraction" if annulled_reason else "Infraction sans retrait de points"
        body = ("Cette infraction a été annulée : elle ne retire aucun point." if annulled_reason else
                "Cette infraction est inscrite au fichier national mais n'entraîne pas de retrait de points.")
        return line(group="retraits", kind_label=kind_label, title=event.label,
                    details=tuple(_offence_details(event)), body=body)
    if isinstance(event, Course):
        body = "" if annulled_reason else ("Ce stage n'a rendu aucun point" + (
            " : un stage ordonné par la justice ne donne pas de points." if event.kind == "judicial" else "."))
        return line(group="stages", kind_label="Stage", title=labels.COURSE_KIND[event.kind],
                    details=tuple(_course_details(event)), body=body)
    if isinstance(event, LicenceIssued):
        title = (labels.LICENCE_KIND[event.kind] + ", " + labels.TRAINING[event.training]).capitalize()
        return line(group="permis", kind_label="Obtention du permis de conduire", title=title,
                    body=f"Permis de conduire délivré le {_fr(event.issued_on)}.")
    if isinstance(event, ComplementaryTraining):
        return line(group="permis", kind_label="Permis probatoire",
                    title="Formation complémentaire suivie",
                    body="" if annulled_reason else explain.complementary_training(event.completed_on),
                    rule_links=articles("R223-1"))
    if isinstance(event, InvalidationNotified):
        # Listed as an event only when the engine made no invalidation entry from it: it had no effect.
        body = "" if annulled_reason else ("Cette lettre est restée sans effet sur les points : le solde n'était pas nul "
                                           "à cette date, ou le permis était déjà invalidé ou annulé.")
        return line(group="permis", kind_label="Invalidation", title="Lettre 48SI remise", body=body,
                    rule_links=articles("L223-5 R223-3"))
    if isinstance(event, LicenceSurrendered):
        body = "" if annulled_reason else (f"Permis restitué le {_fr(event.surrendered_on)}. Le délai avant de pouvoir "
                                           "obtenir un nouveau permis court à partir de la première remise faite après "
                                           "la lettre 48SI.")
        return line(group="permis", kind_label="Invalidation", title="Permis remis à la préfecture",
                    body=body, rule_links=articles("L223-5"))
    if isinstance(event, Annulment):
        details = ((Detail("Nouveau permis possible à partir du", _fr(event.new_licence_not_before)),)
                   if event.new_licence_not_before else ())
        body = "" if annulled_reason else (f"Un tribunal a annulé le permis le {_fr(event.decided_on)} : il n'a plus "
                                           "de capital de points, aucun point n'y est plus retiré ni restitué. Un "
                                           "nouveau permis devra être passé.")
        return line(group="permis", kind_label="Décision de justice",
                    title="Annulation du permis de conduire", details=details, body=body)
    if isinstance(event, Suspension):
        until = f" jusqu'au {_fr(event.ends_on)}" if event.ends_on else ""
        return line(group="permis", kind_label=labels.SUSPENSION_KIND[event.suspension_kind].capitalize(),
                    title=event.label or "Suspension du droit de conduire",
                    details=(Detail("Période", f"à partir du {_fr(event.starts_on)}{until}"),),
                    body=("Pendant une suspension, il est interdit de conduire. Une suspension ne retire pas "
                          "de points."))
    if isinstance(event, MedicalVisit):
        visit = [Detail("Résultat", labels.MEDICAL_OUTCOME[event.outcome])]
        if event.valid_until:
            visit.append(Detail("Valable jusqu'au", _fr(event.valid_until)))
        if event.categories:
            visit.append(Detail("Catégories", ", ".join(event.categories)))
        return line(group="permis", kind_label="Contrôle médical", title="Visite médicale",
                    details=tuple(visit),
                    body=f"Visite médicale du {_fr(event.visited_on)} : {labels.MEDICAL_OUTCOME[event.outcome]}.")
    if isinstance(event, CategoryObtained):
        details = (Detail("Valable jusqu'au", _fr(event.valid_until)),) if event.valid_until else ()
        return line(group="permis", kind_label="Catégorie", title=f"Catégorie {event.category} obtenue",
                    details=details, body=f"Catégorie {event.category} ajoutée au permis le "
                                          f"{_fr(event.obtained_on)}.")
    return None  # cancellations themselves are shown on the line of what they cancel


def _all_lines(file: LicenceFile) -> list[HistoryLine]:
    as_of, result = file.as_of, file.result
    events = file.events_by_id
    lines: list[tuple[dt.date, int, HistoryLine]] = []
    entries = result.history if result is not None else []
    primary = {(entry.event_id, entry.kind) for entry in entries if entry.event_id}
    for order, entry in enumerate(entries):
        lines.append((entry.date, order, _entry_line(entry, events)))
    # The events known on as_of with their cancellations resolved: the engine's definition (law.known_file),
    # also when the engine refused the file.
    known = known_file(file.events, as_of)
    cancelled: dict[str, str] = {}
    for c in known.cancelled:
        reason = f", motif : {c.reason}" if c.reason else ""
        cancelled[c.event_id] = f"le {_fr(c.cancelled_on)}{reason}"
    for event in known.events:
        tag = event_type(event)
        if result is not None and event.id not in cancelled and (event.id, _PRIMARY_KIND.get(tag)) in primary:
            continue
        line = _event_line(event, cancelled.get(event.id, ""))
        if line is not None:
            lines.append((line.date, -1, line))
    lines.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [line for _, _, line in lines]


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def history_view(file: LicenceFile, *, kind: str = "tout", show_all: bool = False) -> HistoryView:
    """`kind` is a key of KINDS (unknown values mean "tout"); the last 10 years unless `show_all`."""
    kind = kind if kind in KINDS else "tout"
    lines = _all_lines(file)
    if kind != "tout":
        lines = [line for line in lines if line.group == kind]
    since = None if show_all else _years_before(file.as_of, DEFAULT_YEARS)
    shown = lines if since is None else [line for line in lines if line.date >= since]
    return HistoryView(identity=identity(file), as_of=file.as_of, extracted_at=file.extracted_at,
                       problem=file.problem, kind=kind, show_all=show_all, since=since, lines=tuple(shown),
                       hidden_older=len(lines) - len(shown))
