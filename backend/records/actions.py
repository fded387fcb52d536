"""« Que faire maintenant ? »: what a driver has to do, and by when, decided in one place.

`actions(file)` reads the engine's result (status, balance, `mandatory_course.due_by`,
`new_licence_not_before`, `next_course_credit_from`) and the known record (the engine's own
`known_file`: the 48SI letter, the surrender, the suspension in force) and returns ONE main
instruction with at most one deadline, plus notes that carry no date of their own. Pages, the
calendar and its .ics lay out what is decided here and never compute a deadline themselves,
so no page can show a later date that contradicts the instruction (a course before the 48SI
letter comes before any 48N deadline).

`course_advice(file)` asks the engine itself what a course would give: it computes the file
again with a hypothetical course added in memory (never written to the register), on the day
after the course, and reads the credit the engine gives it (ceiling, once-a-year rule) — except
for a file at a ceiling nothing can move before then, where the answer is known (`ceiling_fixed`).

Pure functions over the computed file: no web, no database (records layer).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, NamedTuple

import msgspec

from backend import caching
from backend.law import Result, compute, known_file, known_on, tables
from backend.law.result import MandatoryCourse, Probation
from backend.law.articles import article_url
from backend.law.events import (Annulment, Course, Event, InvalidationNotified, InvalidRecord, LicenceSurrendered,
                                 Suspension)
from backend.records.labels import date_fr
from backend.records.service import LicenceFile

_S = dict(frozen=True, kw_only=True)

# Official pages (the State's own services). Légifrance links come from backend.law.articles.
SP_COURSE = ("Stage de sensibilisation à la sécurité routière : trouver un stage agréé (service-public.fr)",
             "https://www.service-public.fr/particuliers/vosdroits/F14208")
SP_INVALIDATION = ("Invalidation du permis : les démarches (service-public.fr)",
                   "https://www.service-public.fr/particuliers/vosdroits/F1704")
SP_PROBATION = ("Le permis probatoire (service-public.fr)",
                "https://www.service-public.fr/particuliers/vosdroits/F2390")
SP_SEARCH_ANNULMENT = ("Annulation du permis de conduire (service-public.fr)",
                       "https://www.service-public.fr/particuliers/recherche?keyword=annulation%20permis%20de%20conduire")
SP_SEARCH_SUSPENSION = ("Suspension du permis de conduire (service-public.fr)",
                        "https://www.service-public.fr/particuliers/recherche?keyword=suspension%20permis%20de%20conduire")
ANTS = ("Demander un nouveau permis (ANTS, permis de conduire)", "https://permisdeconduire.ants.gouv.fr/")

URGENCY_LABEL = {"urgent": "Urgent", "todo": "À faire", "info": "Information"}


class Link(NamedTuple):
    text: str
    url: str


class Deadline(msgspec.Struct, **_S):
    """The one date of an instruction. `relation`: "before" (do it by), "from" (possible from),
    "until" (in force until, inclusive). `estimated`: it depends on the receipt of a letter."""

    date: dt.date
    relation: str
    label: str
    """The sentence that introduces the date, e.g. "À faire au plus tard le"."""
    basis: str
    """How the date is computed, in French."""
    estimated: bool = False
    title: str = ""
    """A short name for a calendar ("Date limite du stage obligatoire (lettre 48N)")."""


class Action(msgspec.Struct, **_S):
    situation: str
    """invalidation_pending, mandatory_course, invalidated, annulled, suspended, low_balance, probation."""
    urgency: str
    """urgent | todo | info (the style and the word written before the title)."""
    title: str
    instruction: str
    deadline: Deadline | None = None
    deadline_text: str = ""
    """When there is no date to give (e.g. "avant la remise de la lettre 48SI"): the deadline in words."""
    steps: tuple[str, ...] = ()
    legal: tuple[Link, ...] = ()
    official: tuple[Link, ...] = ()

    @property
    def urgency_label(self) -> str:
        return URGENCY_LABEL[self.urgency]


class Note(msgspec.Struct, **_S):
    """Something else to know, consistent with the main action and without a date of its own."""

    title: str
    text: str
    legal: tuple[Link, ...] = ()


class Actions(msgspec.Struct, **_S):
    main: Action | None = None
    notes: tuple[Note, ...] = ()

    @property
    def deadlines(self) -> tuple[Deadline, ...]:
        return (self.main.deadline,) if self.main is not None and self.main.deadline is not None else ()


class CourseAdvice(msgspec.Struct, **_S):
    """What the engine says a course would give. `points` 0 with `reason` when none."""

    possible: bool
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    points: int = 0
    text: str = ""


def _law(*articles: str) -> tuple[Link, ...]:
    return tuple(Link(f"Code de la route, art. {a} (Légifrance)", article_url(a)) for a in articles)


def _links(*pairs: tuple[str, str]) -> tuple[Link, ...]:
    return tuple(Link(*pair) for pair in pairs)


def _points(n: int) -> str:
    return f"{n} point" + ("s" if n > 1 else "")


# --- course advice -----------------------------------------------------------------------------

HYPOTHETICAL_ID = "stage-hypothetique"


def course_advice(file: LicenceFile, kind: Literal["voluntary", "mandatory"] = "voluntary") -> CourseAdvice:
    """What a two-day course starting as early as the law lets it credit would give, by the engine.

    Most drivers are at the licence's ceiling, which nothing can move before the course would be
    credited (`ceiling_fixed`): for them the answer, no point, is known without the engine's second
    run (`course_advice_by_engine`, the reference: tests/records/test_course_advice.py holds both to
    the same answer on every scenario, generated files and the edges of this short path)."""
    result = file.result
    if result is not None:
        first_day, last_day = _course_days(file.as_of, result)
        if ceiling_fixed(file, result, last_day + dt.timedelta(days=1)):
            return CourseAdvice(possible=False, first_day=first_day, last_day=last_day, points=0,
                                text=_nothing_to_gain(last_day, result.maximum, result))
    return course_advice_by_engine(file, kind)


def ceiling_fixed(file: LicenceFile, result: Result, credited_on: dt.date) -> bool:
    """Whether a course credited on `credited_on` can give no point, as the engine's run would find:
    the balance is at the law's `maximum`, the same on both days (a probationary licence, whose ceiling
    rises, is below it), and nothing the engine does not already know on `as_of` comes before that day
    (every event was known by then; none has the hypothetical course's id). Between `as_of` and
    `credited_on` only automatic restorations could then happen, and they stop at the ceiling."""
    return (result.status in ("valid", "suspended")
            and result.balance == result.maximum == tables.number_on("maximum", file.as_of)
            == tables.number_on("maximum", credited_on)
            and all(known_on(event) <= file.as_of and event.id != HYPOTHETICAL_ID for event in file.events))


def course_advice_by_engine(file: LicenceFile, kind: Literal["voluntary", "mandatory"] = "voluntary") -> CourseAdvice:
    """`course_advice` by the engine itself: the file computed again with the hypothetical course added in
    memory, on the day after its last day, and the credit the engine gives it (ceiling, once-a-year rule)."""
    result = file.result
    if result is None:
        return CourseAdvice(possible=False, text="")
    if result.status in ("invalidated", "annulled"):
        return CourseAdvice(possible=False, text="Un stage ne peut plus rendre de points sur ce permis : il n'est "
                                                  "plus valide.")
    first_day, last_day = _course_days(file.as_of, result)
    course = Course(id=HYPOTHETICAL_ID, first_day=first_day, last_day=last_day, kind=kind)
    try:
        later = compute([*file.events, course], last_day + dt.timedelta(days=1))
    except InvalidRecord:
        return CourseAdvice(possible=False, text="Nous ne pouvons pas calculer ce qu'un stage vous rendrait.")
    credit = next((e for e in later.history if e.kind == "course_credit" and e.event_id == HYPOTHETICAL_ID), None)
    points = credit.change if credit is not None else 0
    if points > 0:
        text = (f"Un stage suivi à partir du {date_fr(first_day)} (deux jours consécutifs) vous rendrait "
                f"{_points(points)}, ajouté{'s' if points > 1 else ''} à votre solde le lendemain de son dernier "
                f"jour, dans la limite de votre plafond de {later.maximum} points.{_once_a_year(result)}")
    elif credit is not None or later.balance >= later.maximum:
        text = _nothing_to_gain(last_day, later.maximum, result)
    else:
        text = f"Un stage terminé le {date_fr(last_day)} ne vous rendrait aucun point.{_once_a_year(result)}"
    return CourseAdvice(possible=points > 0, first_day=first_day, last_day=last_day, points=points, text=text)


def _course_days(as_of: dt.date, result: Result) -> tuple[dt.date, dt.date]:
    """The first and last days of the earliest course to book: two consecutive days from tomorrow, or
    later when the once-a-year rule wants its last day on or after `next_course_credit_from`."""
    first_day = as_of + dt.timedelta(days=1)
    if result.next_course_credit_from is not None:
        first_day = max(first_day, result.next_course_credit_from - dt.timedelta(days=1))
    return first_day, first_day + dt.timedelta(days=1)


def _nothing_to_gain(last_day: dt.date, maximum: int, result: Result) -> str:
    return (f"Un stage terminé le {date_fr(last_day)} ne vous rendrait aucun point : votre solde serait déjà "
            f"à son plafond de {maximum} points.{_once_a_year(result)}")


def _once_a_year(result: Result) -> str:
    if result.next_course_credit_from is None:
        return ""
    return (f" Un seul stage par an peut rendre des points : votre dernier stage ne permet d'en récupérer à "
            f"nouveau que pour un stage terminé le {date_fr(result.next_course_credit_from)} ou après.")


# --- the main action ---------------------------------------------------------------------------


def _one_more_offence(balance: int) -> str:
    """What one more offence would do, concretely, for a balance of `balance`."""
    examples = [(2, "un excès de vitesse de 20 à moins de 30 km/h"), (3, "l'usage d'un téléphone tenu en main"),
                (4, "le franchissement d'un feu rouge"), (6, "la conduite avec un taux d'alcool de 0,5 g/l ou plus")]
    example = next((text for pts, text in examples if pts >= balance), None)
    consequence = ("votre permis serait invalidé et vous devriez le restituer, puis attendre au moins 6 mois avant "
                   "d'en obtenir un nouveau.")
    if example is None:
        return f"Des infractions retirant {_points(balance)} au total rendraient votre solde nul : {consequence}"
    return (f"Une infraction retirant {_points(balance)} ou plus (par exemple {example}) rendrait votre solde nul : "
            f"{consequence}")


def actions(file: LicenceFile) -> Actions:
    """The main instruction for this file on its `as_of`, and the notes consistent with it."""
    result = file.result
    if result is None:
        return Actions()
    return caching.derived_from(file, "actions", lambda: _decide(file, result))


def advice(file: LicenceFile) -> CourseAdvice:
    """`course_advice` for the file, remembered with it (the hypothetical run is a second compute)."""
    mandatory = file.result is not None and file.result.mandatory_course is not None
    return caching.derived_from(file, "advice",
                                lambda: course_advice(file, "mandatory" if mandatory else "voluntary"))


def _decide(file: LicenceFile, result: Result) -> Actions:
    as_of = file.as_of
    record = _KnownEvents(known_file(file.events, as_of).in_force)
    status = result.status
    if status == "annulled":
        return Actions(main=_annulled(file, result, record))
    if status == "invalidated":
        return Actions(main=_invalidated(file, result, record))
    if status == "invalidation_pending":
        return Actions(main=_invalidation_pending(file, result))
    notes: list[Note] = []
    main: Action | None = None
    suspension = _current_suspension(record, as_of)
    if status == "suspended" and suspension is not None:
        main = _suspended(suspension, as_of)
    if result.mandatory_course is not None:
        course, deadline = _mandatory_course(file, result, result.mandatory_course)
        if main is None:
            main = course
        else:  # the suspension is the main instruction; the course keeps its own deadline in words
            notes.append(Note(title="Vous devez aussi suivre un stage obligatoire (lettre 48N)",
                              text=f"{course.instruction} Date limite estimée : "
                                   f"{date_fr(deadline.date)}. Vous pouvez suivre ce stage pendant la "
                                   "suspension.", legal=course.legal))
    low = result.balance <= result.maximum // 2 and result.balance > 0
    if result.probation is not None:
        probation = _probation(file, result, result.probation)
        if main is None:
            main = probation
        else:
            notes.append(_as_note(probation))
    elif low:
        low_action = _low_balance(file, result)
        if main is None:
            main = low_action
        else:
            notes.append(_as_note(low_action))
    return Actions(main=main, notes=tuple(notes))


def _as_note(action: Action) -> Note:
    """An action that is not the main one: its instruction and what one more offence would do, no date."""
    text = action.instruction + (f" {action.steps[0]}" if action.steps else "")
    return Note(title=action.title, text=text, legal=action.legal)


class _KnownEvents:
    """The events in force on `as_of` (the law's one definition), by the kinds the actions read."""

    def __init__(self, in_force: list[Event]) -> None:
        self.suspensions = [e for e in in_force if isinstance(e, Suspension)]
        self.notifications = [e for e in in_force if isinstance(e, InvalidationNotified)]
        self.surrenders = [e for e in in_force if isinstance(e, LicenceSurrendered)]
        self.annulments = [e for e in in_force if isinstance(e, Annulment)]


def _current_suspension(record: _KnownEvents, as_of: dt.date) -> Suspension | None:
    current = [s for s in record.suspensions if s.starts_on <= as_of and (s.ends_on is None or as_of <= s.ends_on)]
    # The one that lasts longest decides until when the driver may not drive.
    return max(current, key=lambda s: s.ends_on or dt.date.max) if current else None


def _invalidation_pending(file: LicenceFile, result: Result) -> Action:
    course = advice(file)
    if course.possible and course.first_day is not None and course.first_day <= file.as_of + dt.timedelta(days=2):
        instruction = ("Inscrivez-vous dès maintenant à un stage de sensibilisation à la sécurité routière : "
                       "s'il est terminé avant que la lettre recommandée 48SI vous soit présentée, il vous rend "
                       f"des points ({_points(course.points)} d'après votre dossier) et votre permis n'est pas "
                       "invalidé.")
        steps = [
            "Choisissez un stage agréé par la préfecture et commençant le plus tôt possible (2 jours consécutifs).",
            "Tant que la lettre 48SI ne vous a pas été présentée, votre permis reste valide.",
            "Si la lettre 48SI vous est présentée avant la fin du stage, le stage ne rend plus de points : le permis "
            "est invalidé.",
        ]
        if result.mandatory_course is not None:
            steps.append("Ce stage compte aussi comme le stage obligatoire du permis probatoire (lettre 48N) : "
                         "c'est la seule échéance à retenir, bien avant la date limite de 4 mois de la lettre 48N.")
        urgency, deadline_text = "urgent", ("Avant que la lettre recommandée 48SI vous soit présentée : sa date "
                                            "n'est pas connue, elle peut arriver à tout moment.")
    else:
        instruction = ("Votre solde est nul et un stage ne peut pas vous rendre de points avant que la lettre 48SI "
                       "arrive selon toute vraisemblance : préparez-vous à l'invalidation de votre permis.")
        steps = [course.text] if course.text else []
        steps += ["Quand la lettre 48SI vous sera présentée, vous devrez cesser de conduire et restituer votre "
                  "permis à la préfecture dans les 10 jours."]
        urgency, deadline_text = "urgent", "Dès la présentation de la lettre 48SI : restitution dans les 10 jours."
    return Action(situation="invalidation_pending", urgency=urgency,
                  title="Suivez un stage avant la lettre 48SI pour sauver votre permis",
                  instruction=instruction, deadline_text=deadline_text, steps=tuple(steps),
                  legal=_law("L223-6", "L223-5", "R223-3") + (
                      Link("Conseil d'État, 29 septembre 2023, n° 461479 (conseil-etat.fr)",
                           "https://www.conseil-etat.fr/fr/arianeweb/CE/decision/2023-09-29/461479"),),
                  official=_links(SP_COURSE, SP_INVALIDATION))


def _mandatory_course(file: LicenceFile, result: Result, mandatory: MandatoryCourse) -> tuple[Action, Deadline]:
    """The 48N course to follow, and its deadline (also the action's)."""
    due = mandatory.due_by
    offence = file.events_by_id.get(mandatory.offence_id)
    recorded = getattr(offence, "recorded_on", None) or getattr(offence, "established_on", None)
    course = advice(file)
    days = (due - file.as_of).days
    urgency = "urgent" if days <= 30 else "todo"
    gives = (f"Il vous rendra {_points(course.points)} (d'après votre dossier)" if course.possible
             else "Il ne vous rendra pas de points (un stage par an au plus en rend)")
    basis = ("4 mois après la réception de la lettre recommandée 48N. Cette date n'est pas dans le fichier "
             "national : nous la comptons à partir de l'enregistrement du retrait de points"
             + (f", le {date_fr(recorded)}" if recorded else "")
             + ". Si vous avez reçu la lettre plus tard, votre date limite est plus tardive ; fiez-vous à la lettre.")
    overdue = due < file.as_of
    deadline = Deadline(date=due, relation="before", estimated=True, basis=basis, label="À faire au plus tard le",
                        title="Date limite du stage obligatoire (lettre 48N)")
    return Action(
        situation="mandatory_course", urgency="urgent" if overdue else urgency,
        title="Suivez le stage obligatoire du permis probatoire (lettre 48N)",
        instruction=("Une infraction commise pendant votre période probatoire vous oblige à suivre un stage de "
                     f"sensibilisation à la sécurité routière. {gives} et l'amende payée pour cette infraction vous "
                     "sera remboursée sur demande."
                     + (" Cette date estimée est passée : suivez le stage sans attendre (si la lettre 48N vous est "
                        "parvenue plus tard, votre délai court encore)." if overdue else "")),
        deadline=deadline,
        steps=(
            "Inscrivez-vous à un stage agréé par la préfecture (2 jours consécutifs).",
            "Après le stage, demandez le remboursement de l'amende au Trésor public du lieu de l'infraction, avec "
            "l'attestation de stage.",
            "Si vous ne suivez pas le stage à temps : amende de 4e classe (jusqu'à 750 €) et suspension possible du "
            "permis jusqu'à 3 ans.",
        ),
        legal=_law("L223-6", "R223-4", "R223-8"),
        official=_links(SP_COURSE, SP_PROBATION),
    ), deadline


def _invalidated(file: LicenceFile, result: Result, record: _KnownEvents) -> Action:
    as_of = file.as_of
    notified = max((n.notified_on for n in record.notifications), default=None)
    surrendered = max((s.surrendered_on for s in record.surrenders), default=None)
    not_before = result.new_licence_not_before
    after_steps = (
        "Passez à vos frais le contrôle médical auprès d'un médecin agréé par la préfecture et l'examen "
        "psychotechnique dans un centre agréé : il faut être reconnu apte.",
        "Déposez votre demande de nouveau permis en ligne sur le site de l'ANTS (avec l'avis médical), puis "
        "repassez l'examen : le code seul si vous aviez le permis depuis au moins 3 ans et que vous le demandez dans "
        "les 9 mois suivant la restitution, sinon le code et la conduite.",
        "Le nouveau permis est probatoire : 6 points au départ et une nouvelle période probatoire.",
    )
    legal = _law("L223-5", "R223-3", "L223-1", "L224-16")
    if surrendered is None:
        due = notified + dt.timedelta(days=10) if notified is not None else None
        return Action(
            situation="invalidated", urgency="urgent",
            title="Restituez votre permis à la préfecture",
            instruction=("Votre permis est invalidé : vous ne pouvez plus conduire. Remettez-le à la préfecture dans "
                         "les 10 jours suivant la présentation de la lettre 48SI ; le délai avant de pouvoir obtenir "
                         "un nouveau permis ne court qu'à partir de cette remise."),
            deadline=Deadline(date=due, relation="before", label="À faire au plus tard le",
                              basis=f"10 jours après la présentation de la lettre 48SI le {date_fr(notified)}.",
                              title="Restitution du permis invalidé") if due else None,
            deadline_text="" if due else "Dans les 10 jours suivant la présentation de la lettre 48SI.",
            steps=("Conduire malgré l'invalidation est un délit (jusqu'à 2 ans d'emprisonnement et 4 500 € "
                   "d'amende) ; refuser de restituer le permis aussi.",) + after_steps,
            legal=legal, official=_links(SP_INVALIDATION, ANTS))
    wait = "6 mois" if not_before is None or (not_before - surrendered).days < 300 else "1 an"
    possible = not_before is not None and not_before <= as_of
    return Action(
        situation="invalidated", urgency="todo",
        title=("Vous pouvez demander un nouveau permis" if possible else
               "Préparez votre nouveau permis : vous ne pouvez pas conduire d'ici là"),
        instruction=(f"Votre permis est invalidé et vous l'avez restitué le {date_fr(surrendered)}. Vous ne pouvez "
                     "pas conduire avant d'avoir obtenu un nouveau permis, qui ne peut être délivré qu'après un "
                     f"délai de {wait} à compter "
                     "de cette remise" + (" (1 an parce qu'un autre permis a été invalidé moins de 5 ans plus tôt)"
                                          if wait == "1 an" else "") + "."),
        deadline=Deadline(date=not_before, relation="from",
                          label="Nouveau permis possible depuis le" if possible else
                          "Nouveau permis possible à partir du",
                          basis=f"{wait} après la restitution du permis le {date_fr(surrendered)}.",
                          title="Nouveau permis possible") if not_before else None,
        steps=(("Ce délai est écoulé : vous pouvez faire les démarches dès maintenant." if possible else
                "Vous pouvez préparer le code et passer les contrôles pendant ce délai."),) + after_steps,
        legal=legal, official=_links(SP_INVALIDATION, ANTS))


def _annulled(file: LicenceFile, result: Result, record: _KnownEvents) -> Action:
    as_of = file.as_of
    decision = max(record.annulments, key=lambda a: a.decided_on) if record.annulments else None
    not_before = result.new_licence_not_before
    possible = not_before is not None and not_before <= as_of
    decided = f" le {date_fr(decision.decided_on)}" if decision is not None else ""
    return Action(
        situation="annulled", urgency="todo" if not_before else "urgent",
        title=("Vous pouvez demander un nouveau permis" if possible else
               "Votre permis est annulé : vous ne pouvez plus conduire"),
        instruction=(f"Un tribunal a annulé votre permis{decided}. Il n'a plus de valeur, ni ses points. "
                     + (f"La décision vous interdit d'en obtenir un nouveau avant le {date_fr(not_before)}."
                        if not_before else "La décision de justice fixe le délai avant de pouvoir obtenir un "
                                           "nouveau permis.")),
        deadline=Deadline(date=not_before, relation="from",
                          label="Nouveau permis possible depuis le" if possible else "Nouveau permis possible à partir du",
                          basis=f"Fixée par la décision de justice{decided}.",
                          title="Nouveau permis possible") if not_before else None,
        deadline_text="" if not_before else "La date figure dans la décision de justice.",
        steps=(
            "Ne conduisez pas : conduire malgré l'annulation est un délit (jusqu'à 2 ans d'emprisonnement et 4 500 € "
            "d'amende).",
            "Si ce n'est pas déjà fait, remettez votre permis comme la décision vous l'indique.",
            "Passez à vos frais le contrôle médical auprès d'un médecin agréé par la préfecture et l'examen "
            "psychotechnique : il faut être reconnu apte.",
            "Déposez votre demande de nouveau permis en ligne sur le site de l'ANTS, puis repassez les épreuves "
            "que la préfecture vous indiquera (le code, et la conduite selon l'ancienneté de votre permis).",
            "Le nouveau permis est probatoire : 6 points au départ et une nouvelle période probatoire.",
        ),
        legal=_law("L224-14", "L224-16", "L223-1"),
        official=_links(SP_SEARCH_ANNULMENT, ANTS))


def _suspended(suspension: Suspension, as_of: dt.date) -> Action:
    kind = "judiciaire" if suspension.suspension_kind == "judicial" else "administrative (décidée par le préfet)"
    ends = suspension.ends_on
    return Action(
        situation="suspended", urgency="urgent",
        title="Ne conduisez pas : votre permis est suspendu",
        instruction=(f"Votre permis fait l'objet d'une suspension {kind} depuis le {date_fr(suspension.starts_on)}. "
                     "Pendant la suspension, vous ne pouvez conduire aucun véhicule qui exige le permis."),
        deadline=Deadline(date=ends, relation="until", label="Suspendu jusqu'au",
                          basis="Fin de la suspension inscrite au fichier national (ce jour compris).",
                          title="Fin de la suspension du permis") if ends else None,
        deadline_text="" if ends else "Jusqu'à nouvelle décision : aucune date de fin n'est inscrite.",
        steps=(
            "Conduire pendant la suspension est un délit (jusqu'à 2 ans d'emprisonnement et 4 500 € d'amende).",
            "Vos points continuent d'être calculés normalement ; la suspension ne retire pas de points.",
            "À la fin de la suspension, récupérez votre permis auprès de la préfecture ; après certaines "
            "suspensions (alcool, stupéfiants, plus d'un mois), un avis médical favorable est exigé.",
        ),
        legal=_law("L224-16", "R224-22"),
        official=_links(SP_SEARCH_SUSPENSION))


def _probation(file: LicenceFile, result: Result, probation: Probation) -> Action:
    course = advice(file)
    steps = [_one_more_offence(result.balance)]
    steps.append("Une infraction retirant 3 points ou plus pendant la période probatoire vous obligerait en plus à "
                 "suivre un stage (lettre 48N) dans les 4 mois.")
    if course.text:
        steps.append(course.text)
    return Action(
        situation="probation", urgency="info",
        title=f"Permis probatoire : {_points(result.balance)} sur {result.maximum}",
        instruction=(f"Votre permis est probatoire jusqu'au {date_fr(probation.ends_on)}. "
                     + ("Sans nouvelle infraction, votre plafond augmentera jusqu'à 12 points."
                        if not probation.increments_blocked else
                        "Une infraction ayant été commise pendant cette période, votre plafond n'augmente plus chaque "
                        "année : il passera à 12 points à la fin de la période probatoire.")),
        steps=tuple(steps),
        legal=_law("L223-1", "R223-1", "L223-6"),
        official=_links(SP_PROBATION, SP_COURSE))


def _low_balance(file: LicenceFile, result: Result) -> Action:
    course = advice(file)
    steps = [_one_more_offence(result.balance)]
    if course.text:
        steps.append(course.text)
    return Action(
        situation="low_balance", urgency="todo" if result.balance <= 3 else "info",
        title=f"Votre solde est faible : {_points(result.balance)} sur {result.maximum}",
        instruction=("Avec la moitié de vos points ou moins, vous avez reçu ou allez recevoir la lettre 48M, "
                     "qui vous informe de votre solde et vous invite à suivre un stage de sensibilisation."),
        steps=tuple(steps),
        legal=_law("L223-6", "R223-8"),
        official=_links(SP_COURSE))
