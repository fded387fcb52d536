""""Et si… ?": the driver's own file plus up to ten hypothetical events, computed by the same engine.

Nothing is stored and the register is never edited: the hypothetical events are added, in memory, to a
copy of the file's event list, and `compute` runs on it. The form's text fields are read and checked
here (plain functions, no framework), so a bad date or an impossible course is named field by field
and the rest of the form is kept as typed.

Dates: a hypothetical offence takes effect on `established_on` (payment of the fine, the court's final
decision…); when the register's own data lag is known, its `recorded_on` is set to the typical day it
would reach the register (median delay), because the 48N letter, and so its 4-month deadline, follows
the recording. The simulated file is computed on the day every hypothetical event is known (or today,
if later), and so is the file without them, for a like-for-like comparison.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Mapping, Sequence

import msgspec

from backend.law import Result, compute
from backend.law.dates import add_months
from backend.law.events import Course, Event, InvalidRecord, LicenceIssued, Offence
from backend.law.result import Entry
from backend.law.offences import BY_KEY, CATALOGUE, GROUPS, offence_event
from backend.records import labels
from backend.records.service import LicenceFile
from backend.records.views import Projection, projection
from backend.register.lag import DataLag

MAX_EVENTS = 10
LATEST_YEARS_AHEAD = 3  # a fine paid or a course followed more than 3 years from now is not a "what if"
EARLIEST_YEAR = 1992    # the points licence (1992-07-01); older dates are typing mistakes here

ESTABLISHED_BY = (
    ("fixed_fine_paid", "Paiement de l'amende (forfaitaire ou minorée)"),
    ("increased_fine_order", "Amende forfaitaire majorée (titre exécutoire)"),
    ("composition_penale", "Composition pénale exécutée"),
    ("final_conviction", "Décision de justice devenue définitive"),
)
ESTABLISHED_BY_KEYS = {key for key, _ in ESTABLISHED_BY}

STATUS_SENTENCE = {
    "valid": "permis valide",
    "suspended": "permis suspendu",
    "invalidation_pending": "solde nul : invalidation en cours (lettre 48SI)",
    "invalidated": "permis invalidé",
    "annulled": "permis annulé",
}


class Row(msgspec.Struct, kw_only=True):
    """One hypothetical event as typed in the form, with its errors by field name."""
    index: int
    kind: str  # "amende" | "stage"
    values: dict[str, str]
    errors: dict[str, str] = msgspec.field(default_factory=dict)

    def field_id(self, field: str) -> str:
        return f"ev-{self.index}-{field}"


class Line(msgspec.Struct, frozen=True, kw_only=True):
    """One consequence of the simulation, in plain French."""
    title: str
    body: str


class Figures(msgspec.Struct, frozen=True, kw_only=True):
    """One side of the comparison (without / with the hypothetical events) on `as_of`."""
    balance: int
    maximum: int
    status: str
    status_label: str
    next_restoration: Projection | None
    course_credit_from: dt.date | None
    mandatory_due_by: dt.date | None


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    as_of: dt.date
    without: Figures
    with_events: Figures
    consequences: tuple[Line, ...]
    calendar: tuple[Projection, ...]
    """Every simulated line after today (history still to come and projected calendar)."""
    added: tuple[Line, ...]
    """Each hypothetical event as the simulation understood it (points, dates, when it would show)."""


class Simulation(msgspec.Struct, kw_only=True):
    rows: list[Row]
    errors: list[tuple[str, str]]
    """(field id, message) for the error summary, in form order; field id "" = the whole form."""
    outcome: Outcome | None = None
    problem: str | None = None

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)


@functools.cache  # the catalogue is fixed: built once per process
def catalogue_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """(group label, [(key, label)]) for the offence drop-down, in catalogue order."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for offence in CATALOGUE:
        groups.setdefault(offence.group, []).append((offence.key, offence.label))
    return [(GROUPS[g], items) for g, items in groups.items()]


_FIELDS = {"amende": ("infraction", "commise", "etablie", "mode"), "stage": ("debut", "fin")}
_ROW_TYPE = re.compile(r"^ev-(\d{1,3})-type\Z")


def read_rows(form: Mapping[str, str]) -> list[Row]:
    """The rows of the form, in order of their index (the form numbers them 0, 1, …)."""
    rows = []
    for name, kind in form.items():
        match = _ROW_TYPE.match(name)
        if match and kind in _FIELDS:
            index = int(match.group(1))
            rows.append(Row(index=index, kind=kind,
                            values={f: str(form.get(f"ev-{index}-{f}", "")).strip() for f in _FIELDS[kind]}))
    rows.sort(key=lambda r: r.index)
    return rows


def apply_action(rows: list[Row], action: str) -> list[Row]:
    """"ajouter-amende", "ajouter-stage", "retirer-N": the form's own buttons (they work without JS)."""
    if action in ("ajouter-amende", "ajouter-stage"):
        kind = action.removeprefix("ajouter-")
        next_index = max((r.index for r in rows), default=-1) + 1
        rows = rows + [Row(index=next_index, kind=kind,
                           values={f: ("fixed_fine_paid" if f == "mode" else "") for f in _FIELDS[kind]})]
    elif action.startswith("retirer-"):
        rows = [r for r in rows if str(r.index) != action.removeprefix("retirer-")]
    return rows


def parse_date(text: str, today: dt.date) -> dt.date | str:
    """ISO (what a date input sends) or jj/mm/aaaa (typed where the browser has no date picker): the date,
    or why there is none (a key of `_date_error`)."""
    if not text:
        return "empty"
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text) or None
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text)
        if not match:
            return "format"
        day, month, year = (int(g) for g in match.groups())
    if not EARLIEST_YEAR <= year <= today.year + LATEST_YEARS_AHEAD:
        return "year"
    try:
        return dt.date(year, month, day)
    except ValueError:
        return "impossible"


def _date_error(reason: str, what: str, today: dt.date) -> str:
    return {
        "empty": f"Indiquez {what}",
        "format": f"Écrivez {what} sous la forme jj/mm/aaaa, par exemple 14/03/{today.year}",
        "year": f"{what[0].upper()}{what[1:]} doit être comprise entre {EARLIEST_YEAR} et "
                f"{today.year + LATEST_YEARS_AHEAD}",
        "impossible": f"{what[0].upper()}{what[1:]} n'existe pas dans le calendrier : vérifiez le jour et le mois",
    }[reason]


def licence_start(events: Sequence[Event]) -> dt.date | None:
    """The first licence the file knows of: no hypothetical event may come before it."""
    issued = [e.issued_on for e in events if isinstance(e, LicenceIssued)]
    return min(issued) if issued else None


def check_rows(rows: list[Row], today: dt.date, licence_from: dt.date | None,
               ) -> tuple[list[Offence | Course], list[tuple[str, str]]]:
    """The events the rows describe (ids "simulation-N"), and the errors (each row's own too)."""
    errors: list[tuple[str, str]] = []
    events: list[Offence | Course] = []
    if len(rows) > MAX_EVENTS:
        errors.append(("", f"Vous pouvez simuler au plus {MAX_EVENTS} événements à la fois : retirez-en "
                           f"{len(rows) - MAX_EVENTS}."))
    for number, row in enumerate(rows, start=1):
        v, e = row.values, row.errors
        if not any(value for field, value in v.items() if field != "mode"):
            continue  # a row just added and not filled in yet: nothing to check, nothing to add
        where = f"Événement {number}"
        dates: dict[str, dt.date] = {}
        what = ({"commise": "la date de l'infraction", "etablie": "la date du paiement ou de la décision"}
                if row.kind == "amende" else {"debut": "le premier jour du stage", "fin": "le dernier jour du stage"})
        for field, label in what.items():
            day = parse_date(v.get(field, ""), today)
            if isinstance(day, str):
                e[field] = _date_error(day, label, today)
            else:
                dates[field] = day
        if row.kind == "amende":
            entry = BY_KEY.get(v.get("infraction", ""))
            if entry is None:
                e["infraction"] = "Choisissez l'infraction dans la liste"
            if v.get("mode") not in ESTABLISHED_BY_KEYS:
                e["mode"] = "Choisissez comment l'amende a été réglée ou jugée"
            committed, established = dates.get("commise"), dates.get("etablie")
            if committed and established and established < committed:
                e["etablie"] = "Le paiement ou la décision ne peut pas précéder l'infraction"
            if committed and licence_from and committed < licence_from:
                e["commise"] = (f"L'infraction ne peut pas précéder l'obtention de votre permis, le "
                                f"{labels.date_fr(licence_from)}")
            if committed and committed > today:
                e["commise"] = "L'infraction ne peut pas être dans le futur : indiquez une infraction déjà commise"
            if not e and entry is not None and committed and established:  # no error: both dates read
                try:
                    events.append(offence_event(entry.key, event_id=f"simulation-{number}", committed_on=committed,
                                                established_on=established, established_by=v["mode"]))
                except InvalidRecord as exc:  # OutsideCoveredPeriod: before the offence or its barème existed
                    e["commise"] = exc.problems[0].message.partition(" — ")[2].capitalize()
        else:
            first, last = dates.get("debut"), dates.get("fin")
            if first and last and last < first:
                e["fin"] = "Le dernier jour du stage ne peut pas précéder le premier"
            elif first and last and (last - first).days > 6:
                e["fin"] = "Un stage de sensibilisation dure deux jours : vérifiez les dates"
            if first and licence_from and first < licence_from:
                e["debut"] = f"Le stage ne peut pas précéder l'obtention de votre permis, le {labels.date_fr(licence_from)}"
            if not e and first and last:  # no error: both dates read
                events.append(Course(id=f"simulation-{number}", first_day=first, last_day=last, kind="voluntary"))
        for field in _FIELDS[row.kind]:
            if field in e:
                errors.append((row.field_id(field), f"{where} : {e[field]}"))
    return events, errors


def _figures(result: Result, as_of: dt.date) -> Figures:
    upcoming = next((x for x in result.calendar if x.change > 0), None)
    return Figures(balance=result.balance, maximum=result.maximum, status=result.status,
                   status_label=STATUS_SENTENCE.get(result.status, result.status),
                   next_restoration=projection(upcoming) if upcoming else None,
                   course_credit_from=result.next_course_credit_from,
                   mandatory_due_by=result.mandatory_course.due_by if result.mandatory_course else None)


def _after(result: Result, today: dt.date) -> list[Entry]:
    return [x for x in result.history if x.date > today] + list(result.calendar)


def simulate(file: LicenceFile, form: Mapping[str, str], action: str, today: dt.date,
             lag: DataLag | None = None) -> Simulation:
    """Read the form, apply its button (`action`), check it, and compute when there is something to compute."""
    rows = apply_action(read_rows(form), action)
    simulation = Simulation(rows=rows, errors=[])
    if file.result is None:
        simulation.problem = file.problem
        return simulation
    hypothetical, errors = check_rows(rows, today, licence_start(file.events))
    simulation.errors = errors
    if errors or not hypothetical:
        return simulation
    typical = lag.median_days if lag is not None and lag.usable else None
    if typical is not None:
        hypothetical = [msgspec.structs.replace(e, recorded_on=e.established_on + dt.timedelta(days=typical))
                        if isinstance(e, Offence) else e for e in hypothetical]
    as_of = max([today] + [e.known_on for e in hypothetical])
    try:
        without = file.result if as_of == file.as_of else compute(file.events, as_of)
        with_events = compute([*file.events, *hypothetical], as_of)
    except InvalidRecord as exc:
        simulation.errors = [("", "La simulation est impossible : " + "; ".join(
            p.message.partition(" — ")[2] or p.message for p in exc.problems))]
        return simulation
    simulation.outcome = Outcome(
        as_of=as_of, without=_figures(without, as_of), with_events=_figures(with_events, as_of),
        consequences=tuple(consequences(without, with_events, today)),
        calendar=tuple(projection(x) for x in _after(with_events, today) if x.change != 0 or x.kind == "probation_end"),
        added=tuple(describe(e, lag) for e in hypothetical))
    return simulation


def describe(event: Offence | Course, lag: DataLag | None) -> Line:
    """What the simulation added, and when the register would show it."""
    fr = labels.date_fr
    if isinstance(event, Course):
        return Line(title=f"Stage du {fr(event.first_day)} au {fr(event.last_day)}",
                    body=f"Un stage volontaire rend jusqu'à 4 points le lendemain de son dernier jour, le "
                         f"{fr(event.effective_on)}, dans la limite du plafond (art. L223-6 et R223-8).")
    klass = "délit" if event.offence_class == "DELIT" else f"contravention de {event.offence_class[1]}e classe"
    points = f"{event.points} point" + ("s" if event.points > 1 else "")
    body = (f"{klass.capitalize()}, {points} selon le barème en vigueur le {fr(event.committed_on)}, date de "
            f"l'infraction. Le retrait prend effet le {fr(event.established_on)} "
            f"({labels.ESTABLISHED_BY[event.established_by]}).")
    if event.points == 0:
        body += " Cette infraction ne retire aucun point."
    elif lag is not None and lag.usable and lag.median_days is not None and lag.p90_days is not None:
        body += (f" D'après les délais constatés dans le fichier national ces 12 derniers mois, votre retrait devrait "
                 f"apparaître vers le {fr(event.established_on + dt.timedelta(days=lag.median_days))}, et dans 9 cas "
                 f"sur 10 avant le {fr(event.established_on + dt.timedelta(days=lag.p90_days))}.")
    else:  # too few recent withdrawals in the register to measure: the usual delay, said as such
        body += (f" Votre retrait devrait apparaître vers le {fr(add_months(event.established_on, 2))} au fichier "
                 f"national (délai habituel d'environ 2 mois ; le fichier ne compte "
                 f"pas assez de retraits récents pour mesurer ce délai).")
    return Line(title=f"{event.label} : {points}", body=body)


def consequences(without: Result, with_events: Result, today: dt.date) -> list[Line]:
    """What changes, each line explained; lines that change nothing are left out."""
    fr = labels.date_fr
    lines = [Line(title=f"Solde au {fr(with_events.as_of)} : {with_events.balance} sur {with_events.maximum}",
                  body=f"Sans ces événements : {without.balance} sur {without.maximum}.")]
    if with_events.status != without.status:
        body = {
            "invalidation_pending": "Le solde atteindrait zéro : le permis resterait valable jusqu'à la présentation "
                                    "de la lettre 48SI, qui l'invaliderait. Un stage terminé avant cette lettre peut "
                                    "encore le sauver (art. L223-5).",
            "invalidated": "Le permis serait invalidé : il faudrait le remettre à la préfecture et attendre au moins "
                           "6 mois avant de repasser le permis (art. L223-5).",
        }.get(with_events.status, "")
        lines.append(Line(title=f"Statut : {STATUS_SENTENCE.get(with_events.status, with_events.status)}", body=body))
    mandatory = with_events.mandatory_course
    if mandatory is not None and (without.mandatory_course is None
                                  or without.mandatory_course.offence_id != mandatory.offence_id):
        lines.append(Line(title=f"Stage obligatoire (lettre 48N) avant le {fr(mandatory.due_by)}",
                          body="En permis probatoire, une infraction qui retire 3 points ou plus oblige à suivre un "
                               "stage de sensibilisation dans les 4 mois suivant la lettre 48N (art. R223-4). Date "
                               "estimée à partir de l'inscription du retrait au fichier."))
    lost = sorted({(x.date, x.change) for x in _after(without, today) if x.kind == "probation_increment"}
                  - {(x.date, x.change) for x in _after(with_events, today) if x.kind == "probation_increment"})
    for day, change in lost:
        lines.append(Line(title=f"Majoration du permis probatoire perdue : +{change} points le {fr(day)}",
                          body="La majoration annuelle n'est accordée qu'après une année sans infraction ayant "
                               "entraîné un retrait de points (art. L223-1 et R223-1)."))
    if with_events.next_course_credit_from != without.next_course_credit_from and with_events.next_course_credit_from:
        lines.append(Line(title=f"Prochain stage utile : se terminant le {fr(with_events.next_course_credit_from)} "
                                f"ou après",
                          body="Un seul stage par période de 12 mois peut rendre des points (art. L223-6)."))
    return lines
