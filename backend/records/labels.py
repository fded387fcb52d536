"""French words for the record's codes (spec/glossary.md is the reference for each term)."""

from __future__ import annotations

import datetime as dt

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def as_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def date_fr(value: dt.date | str | None, weekday: bool = False) -> str:
    """`2025-03-12` -> "12 mars 2025"; the first of a month is "1er", as French writes it."""
    day = as_date(value)
    if day is None:
        return ""
    number = "1er" if day.day == 1 else str(day.day)
    text = f"{number} {MONTHS[day.month - 1]} {day.year}"
    return f"{WEEKDAYS[day.weekday()]} {text}" if weekday else text

ENTRY_KIND = {
    "licence_issued": "Obtention du permis de conduire",
    "withdrawal": "Retrait de points",
    "single_point_restoration": "Réattribution d'un point",
    "full_restoration": "Reconstitution du capital de points",
    "ten_year_restoration": "Réattribution au bout de 10 ans",
    "course_credit": "Points récupérés par un stage",
    "probation_increment": "Majoration annuelle du permis probatoire",
    "probation_end": "Fin de la période probatoire",
    "invalidation": "Invalidation du permis (lettre 48SI)",
}

ESTABLISHED_BY = {
    "fixed_fine_paid": "paiement de l'amende forfaitaire",
    "increased_fine_order": "émission du titre exécutoire de l'amende forfaitaire majorée",
    "composition_penale": "exécution de la composition pénale",
    "final_conviction": "condamnation devenue définitive",
}

LICENCE_KIND = {
    "first": "premier permis",
    "after_invalidation": "nouveau permis après une invalidation",
    "after_annulment": "nouveau permis après une annulation",
}

TRAINING = {
    "traditional": "formation traditionnelle",
    "aac": "apprentissage anticipé de la conduite (conduite accompagnée)",
    "supervised": "conduite supervisée",
}

COURSE_KIND = {
    "voluntary": "Stage de sensibilisation à la sécurité routière (volontaire)",
    "mandatory": "Stage obligatoire (lettre 48N)",
    "judicial": "Stage ordonné par la justice",
}

MEDICAL_OUTCOME = {
    "fit": "apte",
    "fit_with_restrictions": "apte avec restrictions",
    "fit_temporarily": "apte temporairement",
    "unfit": "inapte",
}

SUSPENSION_KIND = {"administrative": "suspension administrative", "judicial": "suspension judiciaire"}

STATUS = {
    "valid": "Valide",
    "invalidation_pending": "Invalidation en cours",
    "invalidated": "Invalidé",
    "annulled": "Annulé",
    "suspended": "Suspendu",
}


def offence_class(code: str) -> str:
    if code == "DELIT":
        return "délit"
    number = code[1:]
    return f"contravention de {number}{'re' if number == '1' else 'e'} classe"
