"""Plain-French explanations of ledger entries, each naming the dates it was computed from."""

from __future__ import annotations

import datetime as dt

from . import tables
from .dates import duration_fr, fr
from .events import Course, LicenceIssued, Offence

_ESTABLISHED = {
    "fixed_fine_paid": "le paiement de l'amende",
    "increased_fine_order": "l'émission du titre exécutoire de l'amende forfaitaire majorée",
    "composition_penale": "l'exécution de la composition pénale",
    "final_conviction": "la condamnation définitive",
}
_HOW = {
    "fixed_fine_paid": "paiement de l'amende forfaitaire",
    "increased_fine_order": "émission du titre exécutoire de l'amende forfaitaire majorée",
    "composition_penale": "exécution de la composition pénale",
    "final_conviction": "condamnation définitive",
}
_TRAINING = {"traditional": "formation traditionnelle", "aac": "apprentissage anticipé de la conduite",
             "supervised": "conduite supervisée"}


def points(n: int) -> str:
    return f"{n} point" if abs(n) <= 1 else f"{n} points"


def established(offence: Offence) -> str:
    """« le paiement de l'amende du 20/03/2025 » — what made the offence definitive, and when."""
    return f"{_ESTABLISHED[offence.established_by]} du {fr(offence.established_on)}"


def licence_issued(licence: LicenceIssued, capital: int, probation_end: dt.date | None,
                   months: int | None, trained_on: dt.date | None = None) -> str:
    again = "Nouveau permis délivré" if licence.kind != "first" else "Permis délivré"
    if probation_end is None:
        return (f"{again} le {fr(licence.issued_on)}, avant le 01/03/2004 : capital de "
                f"{points(capital)}, sans période probatoire.")
    return (f"{again} le {fr(licence.issued_on)} ({_TRAINING[licence.training]}) : capital de départ de "
            f"{points(capital)} pendant une période probatoire de {duration_fr(months or 0)}, "
            f"jusqu'au {fr(probation_end)}"
            + (f" (durée réduite par la formation complémentaire suivie ensuite, le {fr(trained_on)})." if trained_on
               else "."))


def withdrawal(offence: Offence, withdrawn: int, capped_by_group: int | None, balance: int) -> str:
    text = (f"Retrait de {points(withdrawn)} pour « {offence.label} », infraction commise le "
            f"{fr(offence.committed_on)} et devenue définitive le {fr(offence.established_on)} "
            f"({_HOW[offence.established_by]}).")
    if capped_by_group is not None:
        text += f" Infractions commises simultanément : retrait limité à {capped_by_group} points au total."
    elif withdrawn < offence.points:
        text += f" Le barème prévoit {points(offence.points)}, mais le solde ne peut pas descendre sous 0."
    if balance == 0:
        text += " Le solde atteint 0 : le permis sera invalidé à la présentation de la lettre 48SI."
    return text


def single_point(offence: Offence, months: int, day: dt.date, future: bool = False) -> str:
    if future:
        return (f"Si aucune infraction entraînant retrait de points n'est commise d'ici là, vous récupérerez "
                f"1 point le {fr(day)}, {duration_fr(months)} après {established(offence)}.")
    return (f"Point restitué {duration_fr(months)} après {established(offence)}, aucune infraction "
            f"entraînant retrait de points n'ayant été commise depuis.")


def full_restoration(offence: Offence, months: int, maximum: int, reason: str, day: dt.date,
                     future: bool = False) -> str:
    if future:
        return (f"Si aucune infraction entraînant retrait de points n'est commise ni ne devient définitive d'ici "
                f"là, votre capital sera reconstitué à {points(maximum)} le {fr(day)}, {duration_fr(months)} après "
                f"{established(offence)} (« {offence.label} »). {reason}")
    return (f"Capital reconstitué à {points(maximum)} {duration_fr(months)} après {established(offence)} "
            f"(« {offence.label} »), aucune nouvelle infraction entraînant retrait de points n'ayant été "
            f"commise ni n'étant devenue définitive depuis. {reason}")


# The arguments of `delay_reason`, as the replay keeps them until a full restoration makes an entry.
DelayReason = tuple[int, bool, dt.date | None, Offence | None, dt.date, bool]


def delay_reason(months: int, before_2011: bool, probation_end: dt.date | None,
                 serious: Offence | None, since: dt.date, since_full_restoration: bool = False) -> str:
    """Why the delay is 2 or 3 years. The class test reads the file since the licence was issued or
    since the last full restoration (CE 21/11/2016 n° 392555): the text names which of the two."""
    if before_2011:
        return f"Délai de {duration_fr(months)} : infraction devenue définitive avant le 01/01/2011."
    if probation_end is not None:
        return (f"Délai de {duration_fr(months)} : retrait intervenu pendant la période probatoire, avant sa fin "
                f"le {fr(probation_end)}.")
    start = (f"depuis la dernière reconstitution du capital (le {fr(since)})" if since_full_restoration
             else f"depuis la délivrance du permis (le {fr(since)})")
    if serious is not None:
        if serious.offence_class == "DELIT":
            kind, became = "un délit", "devenu définitif"
        else:
            kind, became = f"une contravention de {serious.offence_class[1]}e classe", "devenue définitive"
        return (f"Délai de {duration_fr(months)} : le dossier comporte, {start}, {kind} (« {serious.label} », "
                f"{became} le {fr(serious.established_on)}).")
    return (f"Délai de {duration_fr(months)} : aucun délit ni contravention de 4e ou 5e classe au dossier "
            f"{start}.")


def deferred_to_probation_end(text: str, probation_end: dt.date, future: bool = False) -> str:
    verb = "ne pourra intervenir" if future else "ne peut intervenir"
    return text + f" La reconstitution {verb} qu'à la fin de la période probatoire, le {fr(probation_end)}."


def ten_year(offence: Offence, restored: int, day: dt.date, future: bool = False) -> str:
    if future:
        return (f"Vous récupérerez {points(restored)} le {fr(day)}, 10 ans après {established(offence)} "
                f"(« {offence.label} »), même si d'autres infractions sont commises d'ici là.")
    return (f"{points(restored).capitalize()} réattribué{'s' if restored > 1 else ''} 10 ans après "
            f"{established(offence)} (« {offence.label} »), même si d'autres infractions ont été commises depuis.")


def withdrawal_after_annulment(offence: Offence, annulled_on: dt.date) -> str:
    return (f"Aucun point retiré pour « {offence.label} », infraction commise le {fr(offence.committed_on)} "
            f"et devenue définitive le {fr(offence.established_on)} : le permis avait été annulé le "
            f"{fr(annulled_on)}, il n'a plus de capital de points.")


def course_credit(course: Course, credited: int, full_credit: int, maximum: int) -> str:
    what = "Stage obligatoire (lettre 48N)" if course.kind == "mandatory" else \
        "Stage de sensibilisation à la sécurité routière"
    text = (f"{what} suivi du {fr(course.first_day)} au "
            f"{fr(course.last_day)} : {points(credited)} crédité{'s' if credited > 1 else ''} le lendemain du stage")
    if credited < full_credit:
        text += f", dans la limite du nombre maximal de {points(maximum)}"
    return text + "."


def probation_increment(issued_on: dt.date, year: int, amount: int, future: bool = False) -> str:
    ordinal = "1re" if year == 1 else f"{year}e"
    if future:
        return (f"Si aucune infraction entraînant retrait de points n'est commise d'ici là, votre permis (délivré "
                f"le {fr(issued_on)}) gagnera {points(amount)} à la fin de sa {ordinal} année de période probatoire.")
    return (f"Majoration de {points(amount)} : {ordinal} année de période probatoire (permis du "
            f"{fr(issued_on)}) sans infraction entraînant retrait de points.")


def probation_end(issued_on: dt.date, first_offence: Offence | None, balance: int, maximum: int,
                  future: bool = False) -> str:
    if future:
        start = f"La période probatoire du permis délivré le {fr(issued_on)} se terminera ce jour-là"
        if first_offence is None:
            return (f"{start} : si aucune infraction entraînant retrait de points n'est commise d'ici là, votre "
                    f"solde passera à {points(maximum)}.")
        return (f"{start} : le nombre maximal passera à {points(maximum)} ; une infraction ayant été commise "
                f"pendant cette période (le {fr(first_offence.committed_on)}), le solde restera à "
                f"{points(balance)}.")
    start = f"Fin de la période probatoire du permis délivré le {fr(issued_on)}"
    if first_offence is None:
        return f"{start} : aucune infraction entraînant retrait de points, le solde passe à {points(maximum)}."
    return (f"{start} : le nombre maximal passe à {points(maximum)} ; une infraction ayant été commise "
            f"pendant cette période (le {fr(first_offence.committed_on)}), le solde reste à {points(balance)}.")


def invalidation(notified_on: dt.date) -> str:
    return (f"Lettre 48SI présentée le {fr(notified_on)} alors que le solde était nul : le permis est "
            f"invalidé et doit être remis à la préfecture.")


def complementary_training(completed_on: dt.date) -> str:
    """The complementary training changes no points by itself: what it can do (L223-1, R223-4-1), from the tables."""
    since = tables.TRAINING_START
    first, last = (tables.number_on(name, since) for name in ("training_window_start", "training_window_end"))
    traditional = tables.optional_number_on("probation_length_traditional_training", since)
    aac = tables.optional_number_on("probation_length_aac_training", since)
    if traditional is None or aac is None:  # None only before the training existed, never on TRAINING_START
        raise ValueError(f"the law tables reduce no probation on {since}")
    return (f"Formation complémentaire suivie le {fr(completed_on)}. Pour un premier permis délivré depuis le "
            f"{fr(since)}, suivie entre {first} et {last} mois après son obtention, elle réduit la période probatoire "
            f"à {duration_fr(traditional)} ({duration_fr(aac)} après un apprentissage anticipé de la conduite), si "
            "aucune infraction entraînant retrait de points n'est commise pendant cette durée réduite. Elle ne "
            "donne pas de points par elle-même.")
