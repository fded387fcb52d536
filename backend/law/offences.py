"""The common offences as a dated table (barème des retraits de points), for "Et si… ?".

Each offence has successive versions keyed by `committed_on` (a harsher barème is never retroactive):
the class, the points withdrawn and whether the amende forfaitaire applies (`fixed_fine_eligible`),
with the article that sets them. One change is lenient and follows `established_on` instead: a
speeding excess below 5 km/h withdraws nothing when established from 2024-01-01 (décret 2023-1150).
The table starts on 2001-06-01 (recodification of the Code de la route, first version read in the
LEGI base); an offence committed before, or before the offence existed, is refused — the simulator
never guesses a barème. Source: shared/reference/offence-catalogue.md (rows, sources, confidence).
The register itself is never read from here: a real offence keeps the points the register sent.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import msgspec

from .events import EstablishedBy, EventError, Offence, OffenceClass
from .tables import OutsideCoveredPeriod

D = dt.date
CATALOGUE_START = D(2001, 6, 1)
LENIENT_BELOW_5 = D(2024, 1, 1)  # décret 2023-1150: < 5 km/h no longer withdraws a point (key: established_on)


class OffenceVersion(msgspec.Struct, frozen=True, kw_only=True):
    effective_from: dt.date
    effective_until: dt.date | None
    points: int
    offence_class: OffenceClass
    fixed_fine_eligible: bool
    article: str
    drugs_and_alcohol: bool = False


class CatalogueOffence(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    group: str
    label: str
    natinf: str | None
    versions: tuple[OffenceVersion, ...]
    zero_if_established_from: dt.date | None = None

    def version_on(self, committed_on: dt.date) -> OffenceVersion:
        for version in self.versions:
            if version.effective_from <= committed_on and (version.effective_until is None
                                                           or committed_on <= version.effective_until):
                return version
        first = self.versions[0].effective_from
        raise OutsideCoveredPeriod([EventError(self.key, "committed_on", (
            f"committed_on {committed_on.isoformat()} is before {first.isoformat()} — le barème de cette "
            f"infraction n'est connu qu'à partir du {first.day} {_MONTHS[first.month - 1]} {first.year}"))])

    def terms(self, committed_on: dt.date, established_on: dt.date) -> OffenceVersion:
        """Class, points and article of this offence committed and established on these dates."""
        version = self.version_on(committed_on)
        if self.zero_if_established_from is not None and established_on >= self.zero_if_established_from:
            return msgspec.structs.replace(version, points=0, article=version.article + " (décret 2023-1150)")
        return version


_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre")

GROUPS = {
    "speed": "Vitesse",
    "distraction": "Téléphone, équipements",
    "alcohol": "Alcool et stupéfiants",
    "priority": "Feux, stop, priorités, sens interdit",
    "lanes": "Lignes, dépassements, distances",
    "other": "Autres infractions",
}


def _o(key: str, group: str, label: str, natinf: str | None, article: str, *versions: tuple,
       zero_from: dt.date | None = None) -> CatalogueOffence:
    """`versions`: (from, points, class[, fixed_fine_eligible[, article]]); each lasts until the next one's eve.
    Eligibility defaults to the class: C1–C4 by amende forfaitaire, C5 and délits never (art. 529 CPP)."""
    built = []
    for i, v in enumerate(versions):
        start, points, klass = v[0], v[1], v[2]
        eligible = v[3] if len(v) > 3 and v[3] is not None else klass in ("C1", "C2", "C3", "C4")
        until = versions[i + 1][0] - dt.timedelta(days=1) if i + 1 < len(versions) else None
        built.append(OffenceVersion(effective_from=start, effective_until=until, points=points, offence_class=klass,
                                    fixed_fine_eligible=eligible, article=v[4] if len(v) > 4 else article,
                                    drugs_and_alcohol=key == "drugs_alcohol"))
    return CatalogueOffence(key=key, group=group, label=label, natinf=natinf, versions=tuple(built),
                            zero_if_established_from=zero_from)


S = CATALOGUE_START
CATALOGUE: tuple[CatalogueOffence, ...] = (
    # A. Speeding (band computed on the retained speed)
    _o("speed_lt5_over50", "speed", "Excès de vitesse de moins de 5 km/h (limite supérieure à 50 km/h)", None,
       "R413-14", (S, 1, "C4"), (D(2004, 12, 7), 1, "C3"), zero_from=LENIENT_BELOW_5),
    _o("speed_lt5_upto50", "speed", "Excès de vitesse de moins de 5 km/h (limite de 50 km/h ou moins)", None,
       "R413-14", (S, 1, "C4"), zero_from=LENIENT_BELOW_5),
    _o("speed_5_20_over50", "speed", "Excès de vitesse de 5 à moins de 20 km/h (limite supérieure à 50 km/h)",
       None, "R413-14", (S, 1, "C4"), (D(2004, 12, 7), 1, "C3")),
    _o("speed_5_20_upto50", "speed", "Excès de vitesse de 5 à moins de 20 km/h (limite de 50 km/h ou moins)",
       None, "R413-14", (S, 1, "C4")),
    _o("speed_20_30", "speed", "Excès de vitesse de 20 à moins de 30 km/h", "11302", "R413-14", (S, 2, "C4")),
    _o("speed_30_40", "speed", "Excès de vitesse de 30 à moins de 40 km/h", "11301", "R413-14", (S, 3, "C4")),
    _o("speed_40_50", "speed", "Excès de vitesse de 40 à moins de 50 km/h", "21527", "R413-14", (S, 4, "C4")),
    _o("speed_50plus", "speed", "Excès de vitesse de 50 km/h ou plus", None, "R413-14",
       (S, 4, "C5"), (D(2004, 12, 7), 6, "C5", None, "R413-14-1"), (D(2025, 12, 29), 6, "DELIT", None, "L413-1")),
    # B. Distraction and equipment
    _o("phone_handheld", "distraction", "Téléphone tenu en main en conduisant", "23800", "R412-6-1",
       (D(2003, 4, 1), 2, "C2"), (D(2012, 1, 5), 3, "C4")),
    _o("earpiece", "distraction", "Écouteurs, oreillette ou casque audio en conduisant", "31063", "R412-6-1",
       (D(2015, 6, 28), 3, "C4")),
    _o("screen", "distraction", "Écran en fonctionnement dans le champ de vision du conducteur", None, "R412-6-2",
       (D(2008, 8, 2), 2, "C4"), (D(2012, 1, 5), 3, "C5")),
    _o("seatbelt", "distraction", "Ceinture de sécurité non attachée (conducteur)", "12929", "R412-1",
       (S, 1, "C2"), (D(2003, 4, 1), 3, "C4")),
    _o("helmet", "distraction", "Deux-roues motorisé sans casque homologué attaché", "12931", "R431-1",
       (S, 1, "C4"), (D(2003, 4, 1), 3, "C4")),
    _o("gloves", "distraction", "Deux-roues motorisé sans gants homologués", None, "R431-1-2",
       (D(2016, 11, 20), 1, "C3")),
    _o("stunt", "distraction", "Manœuvre acrobatique (roue arrière…)", None, "R412-6-4", (D(2024, 6, 12), 2, "C3")),
    # C. Alcohol and drugs
    _o("alcohol_c4", "alcohol", "Alcoolémie de 0,5 à moins de 0,8 g/L de sang", "13322", "R234-1",
       (S, 3, "C4"), (D(2003, 7, 12), 6, "C4")),
    _o("alcohol_novice", "alcohol", "Alcoolémie de 0,2 à moins de 0,8 g/L de sang en permis probatoire", None,
       "R234-1", (D(2015, 6, 28), 6, "C4")),
    _o("alcohol_delit", "alcohol", "Alcoolémie de 0,8 g/L de sang ou plus, ou ivresse manifeste", None, "L234-1",
       (S, 6, "DELIT")),
    _o("alcohol_refusal", "alcohol", "Refus de se soumettre au dépistage de l'alcool", "51", "L234-8",
       (S, 6, "DELIT")),
    _o("drugs", "alcohol", "Conduite après usage de stupéfiants", "23761", "L235-1", (D(2003, 2, 4), 6, "DELIT")),
    _o("drugs_alcohol", "alcohol", "Conduite après usage de stupéfiants et sous l'empire de l'alcool", None,
       "L235-1", (D(2003, 2, 4), 6, "DELIT"), (D(2025, 7, 11), 9, "DELIT")),
    _o("drugs_refusal", "alcohol", "Refus de se soumettre au dépistage des stupéfiants", None, "L235-3",
       (D(2003, 2, 4), 6, "DELIT")),
    # D. Intersections, priority, direction
    _o("red_light", "priority", "Feu rouge non respecté", "210", "R412-30", (S, 4, "C4")),
    _o("stop", "priority", "Arrêt au panneau « STOP » non respecté", "203", "R415-6", (S, 4, "C4")),
    _o("priority", "priority", "Refus de priorité", "207", "R415-5", (S, 4, "C4")),
    _o("pedestrian", "priority", "Refus de priorité à un piéton", "202", "R415-11",
       (S, 4, "C4"), (D(2018, 9, 19), 6, "C4")),
    _o("wrong_way", "priority", "Circulation en sens interdit", "256", "R412-28", (S, 4, "C4")),
    _o("motorway_uturn", "priority", "Demi-tour ou marche arrière sur autoroute", "6212", "R421-6", (S, 4, "C4")),
    # E. Lanes and overtaking
    _o("solid_line_cross", "lanes", "Franchissement d'une ligne continue", "11325", "R412-19", (S, 3, "C4")),
    _o("solid_line_straddle", "lanes", "Chevauchement d'une ligne continue", "11326", "R412-19", (S, 1, "C4")),
    _o("keep_right", "lanes", "Circulation à gauche sur une chaussée à double sens", "6093", "R412-9", (S, 3, "C4")),
    _o("overtaking", "lanes", "Dépassement dangereux", "11057", "R414-4", (S, 3, "C4")),
    _o("overtake_right", "lanes", "Dépassement par la droite", "6102", "R414-6", (S, 3, "C4")),
    _o("indicator", "lanes", "Changement de direction sans clignotant", "217", "R412-10", (S, 3, "C2")),
    _o("safety_distance", "lanes", "Distance de sécurité non respectée", "6096", "R412-12",
       (S, 0, "C2"), (D(2001, 11, 30), 3, "C4")),
    _o("emergency_lane", "lanes", "Circulation sur la bande d'arrêt d'urgence", "6292", "R412-8",
       (S, 3, "C2"), (D(2012, 1, 5), 3, "C4")),
    # F. Other contraventions
    _o("dangerous_parking", "other", "Arrêt ou stationnement dangereux", "201", "R417-9", (S, 3, "C4")),
    _o("no_lights", "other", "Circulation de nuit sans éclairage", "11052", "R416-11", (S, 4, "C4")),
    _o("radar_detector", "other", "Détecteur de radar", None, "R413-15",
       (S, 0, "C5"), (D(2003, 7, 12), 2, "C5"), (D(2012, 1, 5), 6, "C5")),
    # G. Délits
    _o("hit_and_run", "other", "Délit de fuite", None, "L231-1", (S, 6, "DELIT")),
    _o("refusal_to_stop", "other", "Refus d'obtempérer", "50", "L233-1", (S, 6, "DELIT")),
    _o("driving_suspended", "other", "Conduite malgré une suspension du permis", None, "L224-16", (S, 6, "DELIT")),
)

BY_KEY: dict[str, CatalogueOffence] = {o.key: o for o in CATALOGUE}


def offence_event(key: str, *, event_id: str, committed_on: dt.date, established_on: dt.date,
                  established_by: str, recorded_on: dt.date | None = None) -> Offence:
    """The `offence` event (spec/record-format.md) this catalogue offence would be in the register.
    Raises KeyError for an unknown key, OutsideCoveredPeriod for a date before its barème.
    `established_by` is one of the record format's values (EstablishedBy): the caller checks it, as
    the simulator's form does; it is taken as given, unchecked here (a plain string from a form)."""
    entry = BY_KEY[key]
    terms = entry.terms(committed_on, established_on)
    return Offence(id=event_id, committed_on=committed_on, established_on=established_on,
                   established_by=cast(EstablishedBy, established_by), points=terms.points,
                   offence_class=terms.offence_class, label=entry.label, natinf=entry.natinf,
                   fixed_fine_eligible=terms.fixed_fine_eligible, drugs_and_alcohol=terms.drugs_and_alcohol,
                   recorded_on=recorded_on)
