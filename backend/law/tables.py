"""The points law as dated tables: every number with its article and its dates of effect.

Each `Parameter` lists its successive `Version`s. A version applies from `effective_from`
to `effective_until` (both included; None = open). `value_on(day)` picks the version in
force on `day` and refuses a day no version covers (`OutsideCoveredPeriod`) — the engine
never guesses outside the period the project formalised (points-rules.md §11). The date
that selects a version is named in `keyed_by` (e.g. a delay follows `established_on`).
Delays are in months, amounts in points; `None` as a value means "no such rule then".

The engine reads a table through the accessor of its kind of value, which gives the type the rule
computes with: `number_on` (every version a number), `optional_number_on` (a number, or None in
a period without the rule) and `text_on`. Which tables each serves is decided once, at import,
from the values themselves; asking one for a table of another kind is a KeyError.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, TypeVar, Union

import msgspec

from .articles import article_url
from .dates import fr
from .errors import EventError, InvalidRecord

D = dt.date


class OutsideCoveredPeriod(InvalidRecord):
    """A date that no version of a law table covers: the engine refuses to compute it."""


class Version(msgspec.Struct, frozen=True, kw_only=True):
    value: int | str | None
    effective_from: dt.date | None
    effective_until: dt.date | None
    article: str
    note: str = ""

    @property
    def url(self) -> str:
        return article_url(self.article.split()[0])

    def covers(self, day: dt.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_until is None or day <= self.effective_until)


class Parameter(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    label: str  # plain French, for `pointspermis law` and the pages
    unit: str   # "points", "mois", "classes", "date"
    keyed_by: str
    versions: tuple[Version, ...]

    def version_on(self, day: dt.date, ref: str = "", field: str = "") -> Version:
        for version in self.versions:
            if version.covers(day):
                return version
        raise self.outside(day, ref, field)

    def outside(self, day: dt.date, ref: str = "", field: str = "") -> OutsideCoveredPeriod:
        """The refusal of a `day` that no version covers, naming the event `ref` and its `field`."""
        first = self.versions[0].effective_from
        span = f"à partir du {fr(first)}" if first else "sur cette période"
        where = ref or "the record"
        what = field or self.keyed_by
        message = (f"{what} {day.isoformat()} is outside the period covered by the law table "
                   f"{self.name!r} — date hors de la période couverte par la loi modélisée "
                   f"({self.label} : {span})")
        return OutsideCoveredPeriod([EventError(where, field or None, message)])

    def value_on(self, day: dt.date, ref: str = "", field: str = "") -> int | str | None:
        """The value in force on `day`; OutsideCoveredPeriod when no version covers it."""
        return self.version_on(day, ref, field).value


# (value, effective_from, effective_until, article[, note]) as the tables below write a version.
_VersionRow = Union[tuple[int | str | None, dt.date | None, dt.date | None, str],
                    tuple[int | str | None, dt.date | None, dt.date | None, str, str]]


def _p(name: str, label: str, unit: str, keyed_by: str, *versions: _VersionRow) -> Parameter:
    built = tuple(Version(value=v[0], effective_from=v[1], effective_until=v[2], article=v[3],
                          note=v[4] if len(v) > 4 else "") for v in versions)
    return Parameter(name=name, label=label, unit=unit, keyed_by=keyed_by, versions=built)


# Dates of effect (law-research.md §1–§6).
POINTS_START = D(1992, 7, 1)           # décret 92-559: offences committed before withdraw nothing
TWELVE_POINTS = D(1992, 12, 1)         # décret 92-1228: the 12-point regime the engine models
LAW_2003 = D(2003, 6, 13)              # loi 2003-495 (L223-2 cap of 8, L223-5 one year)
PROBATION_START = D(2004, 3, 1)        # décret 2003-642: probationary licence
SINGLE_POINT_2007 = D(2007, 1, 1)      # loi 2007-297: 1-point re-credit after one year
INCREMENTS_START = D(2007, 12, 31)     # loi 2007-297 / décret 2007-753: yearly increments
LOPPSI_DELAYS = D(2011, 1, 1)          # loi 2011-267: delays by date the offence was established
LOPPSI_COURSES = D(2011, 3, 15)        # loi 2011-267: one course a year
TRAINING_START = D(2019, 1, 1)         # décret 2018-715: complementary training
DRUGS_ALCOHOL = D(2025, 7, 11)         # loi 2025-622: 9 points for drugs combined with alcohol

_NOT_MODELLED = "régime de 6 points (1er juillet – 30 novembre 1992) non modélisé"

PARAMETERS: tuple[Parameter, ...] = (
    _p("offence_withdraws_points", "infractions entraînant retrait de points", "date", "committed_on",
       ("oui", POINTS_START, None, "L223-1", "infractions commises depuis le 01/07/1992 (loi 89-469, décret 92-559)")),
    _p("maximum", "nombre maximal de points", "points", "date",
       (12, TWELVE_POINTS, None, "R223-1", _NOT_MODELLED)),
    _p("initial_capital", "capital de points à la délivrance du permis", "points", "issued_on",
       (12, None, PROBATION_START - dt.timedelta(days=1), "R223-1",
        "permis délivré avant le 01/03/2004 : 12 points, pas de période probatoire"),
       (6, PROBATION_START, None, "L223-1 et R223-1", "permis probatoire")),
    _p("probation_length_traditional", "durée de la période probatoire (formation traditionnelle)", "mois",
       "issued_on", (None, None, PROBATION_START - dt.timedelta(days=1), "R223-1", "pas de période probatoire"),
       (36, PROBATION_START, None, "L223-1 et R223-1")),
    _p("probation_length_aac", "durée de la période probatoire (apprentissage anticipé de la conduite)", "mois",
       "issued_on", (None, None, PROBATION_START - dt.timedelta(days=1), "R223-1", "pas de période probatoire"),
       (24, PROBATION_START, None, "L223-1 et R223-1")),
    _p("probation_length_traditional_training", "durée réduite par la formation complémentaire (traditionnelle)",
       "mois", "issued_on", (None, None, TRAINING_START - dt.timedelta(days=1), "L223-1", "pas de réduction"),
       (24, TRAINING_START, None, "L223-1 et R223-1")),
    _p("probation_length_aac_training", "durée réduite par la formation complémentaire (AAC)", "mois",
       "issued_on", (None, None, TRAINING_START - dt.timedelta(days=1), "L223-1", "pas de réduction"),
       (18, TRAINING_START, None, "L223-1 et R223-1")),
    _p("training_window_start", "formation complémentaire : au plus tôt, mois après la délivrance", "mois",
       "issued_on", (6, TRAINING_START, None, "R223-4-1")),
    _p("training_window_end", "formation complémentaire : au plus tard, mois après la délivrance", "mois",
       "issued_on", (12, TRAINING_START, None, "R223-4-1")),
    _p("probation_increment_traditional", "majoration annuelle (formation traditionnelle)", "points",
       "issued_on", (0, PROBATION_START, INCREMENTS_START - dt.timedelta(days=1), "R223-1",
                     "pas de majoration : 12 points à la fin de la période probatoire"),
       (2, INCREMENTS_START, None, "L223-1 et R223-1")),
    _p("probation_increment_aac", "majoration annuelle (apprentissage anticipé de la conduite)", "points",
       "issued_on", (0, PROBATION_START, INCREMENTS_START - dt.timedelta(days=1), "R223-1",
                     "pas de majoration : 12 points à la fin de la période probatoire"),
       (3, INCREMENTS_START, None, "L223-1 et R223-1")),
    _p("simultaneous_cap", "plafond de retrait pour des infractions simultanées", "points", "established_on",
       (8, TWELVE_POINTS, LAW_2003 - dt.timedelta(days=1), "L223-2",
        "valeur retenue par le projet (texte de 1992 non vérifié)"),
       (8, LAW_2003, None, "L223-2", "deux tiers du nombre maximal")),
    _p("points_drugs_and_alcohol", "retrait pour conduite après usage de stupéfiants et sous l'empire d'un état "
       "alcoolique", "points", "committed_on",
       (6, POINTS_START, DRUGS_ALCOHOL - dt.timedelta(days=1), "L235-1 et R223-2",
        "6 points comme les autres délits ; 9 points refusés pour une infraction commise avant le 11/07/2025 "
        "(une peine plus sévère ne rétroagit pas, art. 112-1 du Code pénal)"),
       (9, DRUGS_ALCOHOL, None, "L235-1", "loi 2025-622 du 9 juillet 2025")),
    _p("simultaneous_cap_drugs_and_alcohol", "plafond avec conduite après usage de stupéfiants et alcool",
       "points", "committed_on", (8, POINTS_START, DRUGS_ALCOHOL - dt.timedelta(days=1), "L223-2",
                                  "8 points comme tout groupe d'infractions simultanées"),
       (9, DRUGS_ALCOHOL, None, "L235-1", "trois quarts du nombre maximal (loi 2025-622)")),
    _p("single_point_delay", "réattribution d'un point : délai", "mois", "established_on",
       (None, TWELVE_POINTS, SINGLE_POINT_2007 - dt.timedelta(days=1), "L223-6", "pas de réattribution d'un point"),
       (12, SINGLE_POINT_2007, LOPPSI_DELAYS - dt.timedelta(days=1), "L223-6", "loi 2007-297"),
       (6, LOPPSI_DELAYS, None, "L223-6", "loi 2011-267 (LOPPSI 2)")),
    _p("full_restoration_delay", "reconstitution du capital : délai", "mois", "established_on",
       (36, TWELVE_POINTS, LOPPSI_DELAYS - dt.timedelta(days=1), "L223-6"),
       (24, LOPPSI_DELAYS, None, "L223-6", "loi 2011-267 (LOPPSI 2)")),
    _p("full_restoration_delay_serious", "reconstitution du capital : délai avec délit ou contravention de "
       "4e/5e classe", "mois", "established_on",
       (36, TWELVE_POINTS, LOPPSI_DELAYS - dt.timedelta(days=1), "L223-6"),
       (36, LOPPSI_DELAYS, None, "L223-6", "CE 21/11/2016 n° 392555 : tout le dossier depuis la dernière reconstitution")),
    _p("serious_classes", "classes qui portent le délai de reconstitution à 3 ans", "classes", "established_on",
       ("C4 C5 DELIT", LOPPSI_DELAYS, None, "L223-6")),
    _p("ten_year_delay", "réattribution au bout de 10 ans : délai", "mois", "established_on",
       (120, TWELVE_POINTS, None, "L223-6", "contraventions passibles d'une amende forfaitaire")),
    _p("course_credit", "points récupérés par un stage", "points", "last_day",
       (4, TWELVE_POINTS, None, "L223-6 et R223-8", "dans la limite du nombre maximal (le plafond de 11 points "
        "des années 1992–2003 n'est pas modélisé, points-rules.md §8)")),
    _p("course_interval", "délai minimal entre deux stages qui rapportent des points", "mois", "last_day",
       (24, TWELVE_POINTS, LOPPSI_COURSES - dt.timedelta(days=1), "R223-8"),
       (12, LOPPSI_COURSES, None, "L223-6", "loi 2011-267 : une fois par an")),
    _p("mandatory_course_threshold", "stage obligatoire : retrait d'au moins", "points", "committed_on",
       (3, PROBATION_START, None, "L223-6 et R223-4", "un quart du nombre maximal, en période probatoire")),
    _p("mandatory_course_delay", "stage obligatoire : délai après la lettre 48N", "mois", "recorded_on",
       (4, PROBATION_START, None, "R223-4")),
    _p("new_licence_wait", "délai avant un nouveau permis après la remise du permis invalidé", "mois",
       "surrendered_on", (6, TWELVE_POINTS, None, "L223-5")),
    _p("new_licence_wait_repeat", "délai si une autre invalidation date de moins de 5 ans", "mois",
       "surrendered_on", (6, TWELVE_POINTS, LAW_2003 - dt.timedelta(days=1), "L223-5", "pas d'allongement avant 2003"),
       (12, LAW_2003, None, "L223-5", "loi 2003-495")),
    _p("repeat_invalidation_window", "période de référence pour une invalidation antérieure", "mois",
       "notified_on", (60, TWELVE_POINTS, None, "L223-5")),
)

BY_NAME: dict[str, Parameter] = {p.name: p for p in PARAMETERS}

# The engine's hot path: name -> ((first day, last day, value), ...), an open end read as date.min / date.max.
_RANGES: dict[str, tuple[tuple[dt.date, dt.date, int | str | None], ...]] = {
    p.name: tuple((v.effective_from or dt.date.min, v.effective_until or dt.date.max, v.value) for v in p.versions)
    for p in PARAMETERS
}
# The same ranges by kind of value (module docstring); a table is in the first of these its values allow.
_NUMBERS: dict[str, tuple[tuple[dt.date, dt.date, int], ...]] = {}
_OPTIONAL_NUMBERS: dict[str, tuple[tuple[dt.date, dt.date, int | None], ...]] = {}
_TEXTS: dict[str, tuple[tuple[dt.date, dt.date, str], ...]] = {}
for _name, _ranges in _RANGES.items():
    _numbers = tuple((first, last, value) for first, last, value in _ranges if isinstance(value, int))
    _optional = tuple((first, last, value) for first, last, value in _ranges
                      if value is None or isinstance(value, int))
    _texts = tuple((first, last, value) for first, last, value in _ranges if isinstance(value, str))
    if len(_numbers) == len(_ranges):
        _NUMBERS[_name] = _numbers
    elif len(_optional) == len(_ranges):
        _OPTIONAL_NUMBERS[_name] = _optional
    elif len(_texts) == len(_ranges):
        _TEXTS[_name] = _texts
    else:  # numbers and texts in one table: no rule could compute with it
        raise TypeError(f"law table {_name!r} mixes kinds of values")
del _name, _ranges, _numbers, _optional, _texts


def parameter(name: str) -> Parameter:
    return BY_NAME[name]


_V = TypeVar("_V", covariant=True)


class _Lookup(Protocol[_V]):
    def __call__(self, name: str, day: dt.date, ref: str = "", field: str = "") -> _V: ...


def _lookup(tables: dict[str, tuple[tuple[dt.date, dt.date, _V], ...]]) -> _Lookup[_V]:
    """The lookup of the version in force on `day` among `tables`, e.g. `number_on("single_point_delay",
    established_on, 'event "o-1"', "established_on")`; OutsideCoveredPeriod names `ref` and `field`."""

    def on(name: str, day: dt.date, ref: str = "", field: str = "") -> _V:
        for first, last, value in tables[name]:
            if first <= day <= last:
                return value
        raise BY_NAME[name].outside(day, ref, field)

    return on


value_on = _lookup(_RANGES)
"""The value of any table."""
number_on = _lookup(_NUMBERS)
"""The number (points, months) in force in a table whose every version has one."""
optional_number_on = _lookup(_OPTIONAL_NUMBERS)
"""The number in force, or None when the rule did not exist then (e.g. no probation before 2004)."""
text_on = _lookup(_TEXTS)
"""The text in force in a table of texts (e.g. the classes of `serious_classes`)."""


def number_ranges(name: str) -> tuple[tuple[dt.date, dt.date, int], ...]:
    """Every version of a table of numbers as (first day, last day, value), an open end as date.min / date.max."""
    return _NUMBERS[name]


def covered_from(name: str) -> dt.date:
    """The first day the table `name` covers (date.min for a table open towards the past): a date before
    it is refused by every accessor, so a check can compare with it before looking anything up."""
    return _RANGES[name][0][0]
