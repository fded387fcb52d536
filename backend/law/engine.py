"""`compute(events, as_of, policies)`: the points law applied to a licence file on a date.

A pure function of its arguments (points-rules.md §1): no clock, no I/O. The ledger
replayed by `replay.Replay` is cut at `as_of` into the history and the projected calendar;
the other outputs are read from the state reached on `as_of`.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from .dates import fr
from .events import Event
from .policies import Policies
from .record import prepare
from .replay import Replay
from .result import Probation, Result, Status
from .rules import courses, invalidation

_PENDING_WARNING = (
    "Le solde de points est nul : le permis reste valable jusqu'à la présentation de la lettre 48SI, "
    "qui l'invalidera. Un stage de sensibilisation terminé avant cette lettre peut encore le sauver "
    "(Conseil d'État, 29/09/2023, n° 461479) ; aucun calendrier de récupération n'est donc affiché.")


def compute(events: Sequence[Event], as_of: dt.date, policies: Policies = Policies()) -> Result:
    """Balance, history, calendar and status of the licence file `events` on `as_of`.

    Raises InvalidRecord (points-rules.md §11) or OutsideCoveredPeriod (a date the law
    tables do not cover), each problem naming the event and the field.
    """
    record, known = prepare(events, as_of)
    replay = Replay(record, policies)
    balance, maximum, capital, closed, last_credit_day, cut = replay.run(as_of)
    warnings = known.warnings + replay.warnings if known.warnings else replay.warnings
    entries = replay.entries
    history, calendar = entries[:cut], entries[cut:]
    status: Status = "valid"
    probation = None
    mandatory = None
    not_before = None
    next_course = None
    if capital is None:
        warnings.append(f"Aucun permis de conduire n'est enregistré au {fr(as_of)}.")
        calendar = []
    elif closed == "annulled":
        status, calendar = "annulled", []
        if replay.annulment is not None:  # always, when the capital was closed by an annulment (Replay.annul)
            not_before = replay.annulment.new_licence_not_before
    elif closed == "invalidated":
        status, calendar = "invalidated", []
        not_before, early = invalidation.new_licence_not_before(
            [d for d in replay.invalidated_on if d <= as_of], record.surrenders, capital.licence.issued_on)
        for surrendered_on in early:
            warnings.append(f"La remise du permis le {fr(surrendered_on)}, antérieure à la lettre 48SI du "
                            f"{fr(capital.closed_on)}, ne fait pas courir le délai avant un nouveau permis : seule "
                            "compte une remise faite après cette lettre (art. L223-5).")
        if not_before is None:
            warnings.append("Le permis invalidé n'a pas encore été remis à la préfecture : le délai avant de "
                            "pouvoir obtenir un nouveau permis court à partir de cette remise (art. L223-5).")
    else:
        if balance == 0:
            status, calendar = "invalidation_pending", []
            warnings.append(_PENDING_WARNING)
        elif any(s.starts_on <= as_of and (s.ends_on is None or as_of <= s.ends_on) for s in record.suspensions):
            status = "suspended"
        plan = capital.plan
        if plan is not None:
            if plan.started_on <= as_of < plan.ends_on:
                blocked = plan.first_offence is not None and plan.first_offence.committed_on < plan.ends_on
                probation = Probation(plan.started_on, plan.ends_on, plan.training, blocked, plan.reduced)
            mandatory = courses.mandatory_course(plan, [o for o in record.offences
                                                        if o.established_on >= plan.started_on], record.courses)
        next_course = courses.next_credit_from(last_credit_day)
        if next_course is not None and next_course <= as_of:
            next_course = None
    return Result(as_of, status, balance, maximum, probation, history, calendar, next_course, mandatory,
                  not_before, record.cancelled, {"probation_full_restoration": policies.probation_full_restoration},
                  warnings)
