"""Probationary licence — Code de la route, art. L223-1 al. 2 and R223-1 (points-rules.md §2–§3).

R223-1 II: at the end of each year of probation the licence gains 2 points (3 with AAC)
« si aucune infraction ayant donné lieu à retrait de points n'a été commise depuis le
début de la période probatoire »; R223-1 III: the ceiling is 6 plus the increments
earned, so it freezes after an offence; R223-1 IV: 12 at the end. L223-1 (ordonnance
2018-207): the complementary training shortens probation for a first licence if no
point-withdrawing offence is committed during the reduced period.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left

from .. import tables
from ..dates import add_months, add_years
from ..events import ComplementaryTraining, LicenceIssued, Offence, Training

RULE = "Code de la route, art. L223-1 et R223-1"


class ProbationPlan:
    """What probation looks like for one licence, given every known event."""

    __slots__ = ("started_on", "ends_on", "months", "training", "reduced", "increments",
                 "first_offence", "maximum_after", "trained_on")

    def __init__(self, started_on: dt.date, ends_on: dt.date, months: int, training: Training, reduced: bool,
                 increments: list[tuple[dt.date, int, int]], first_offence: Offence | None,
                 maximum_after: int) -> None:
        self.started_on, self.ends_on, self.months = started_on, ends_on, months
        self.training, self.reduced, self.increments = training, reduced, increments
        self.first_offence, self.maximum_after = first_offence, maximum_after
        self.trained_on: dt.date | None = None  # the complementary training that reduced probation

    @property
    def clean(self) -> bool:
        """No point-withdrawing offence committed during probation (R223-1 IV)."""
        return self.first_offence is None or self.first_offence.committed_on >= self.ends_on


def first_offence_from(offences_by_committed: list[Offence], committed_keys: list[dt.date],
                       day: dt.date) -> Offence | None:
    """The first point-withdrawing offence committed on or after `day`, if any."""
    index = bisect_left(committed_keys, day)
    return offences_by_committed[index] if index < len(offences_by_committed) else None


def plan(licence: LicenceIssued, trainings: list[ComplementaryTraining], offences_by_committed: list[Offence],
         committed_keys: list[dt.date]) -> ProbationPlan | None:
    """None for a licence issued before probation existed (2004-03-01)."""
    issued = licence.issued_on
    ref = f'event "{licence.id}"'
    aac = licence.training == "aac"
    months = tables.optional_number_on("probation_length_aac" if aac else "probation_length_traditional", issued,
                                      ref, "issued_on")
    if months is None:
        return None
    first = first_offence_from(offences_by_committed, committed_keys, issued)
    reduced = False
    reduced_months = tables.optional_number_on("probation_length_aac_training" if aac else
                                              "probation_length_traditional_training", issued, ref, "issued_on")
    if reduced_months is not None and licence.kind == "first":
        window_start = add_months(issued, tables.number_on("training_window_start", issued))
        window_end = add_months(issued, tables.number_on("training_window_end", issued))
        trained = [t.completed_on for t in trainings if window_start <= t.completed_on <= window_end]
        reduced_end = add_months(issued, reduced_months)
        # The reduction is lost by an offence committed before the reduced end (L223-1).
        if trained and (first is None or first.committed_on >= reduced_end):
            reduced, months = True, reduced_months
    ends_on = add_months(issued, months)
    amount = tables.number_on("probation_increment_aac" if aac else "probation_increment_traditional", issued,
                              ref, "issued_on")
    increments: list[tuple[dt.date, int, int]] = []
    if amount:
        year = 1
        while True:
            anniversary = add_years(issued, year)
            if anniversary >= ends_on or (first is not None and first.committed_on < anniversary):
                break
            increments.append((anniversary, year, amount))
            if reduced:  # with the training: the first anniversary only (R223-1 II)
                break
            year += 1
    maximum_after = tables.number_on("maximum", ends_on)
    result = ProbationPlan(issued, ends_on, months, licence.training, reduced, increments, first, maximum_after)
    if reduced:
        result.trained_on = min(trained)
    return result
