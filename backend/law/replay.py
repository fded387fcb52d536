"""Replay of a licence file in effective order: the ledger every output is a view of.

Same-day order (points-rules.md §1): licence issued, automatic restorations (single point,
full, ten-year), probation steps then a full restoration due on the probation end, withdrawals
in event order, course credits, invalidation.
Restorations are scheduled when their withdrawal is replayed; whether a window is clean
depends only on known offences (indexed by date), whether it still applies (capital not
invalidated, point not already restored) on the state reached that day.
"""

from __future__ import annotations

import datetime as dt
from heapq import heapify, heappop, heappush
from typing import Any, Callable, Literal, TypeVar

from . import explain, tables
from .dates import add_months, fr
from .events import Annulment, Course, InvalidationNotified, LicenceIssued, Offence
from .policies import Policies
from .record import Record
from .result import Entry, Kind
from .rules import probation, restoration

_LICENCE, _SINGLE, _FULL, _TEN, _PROBATION, _FULL_AT_END, _WITHDRAWAL, _COURSE, _CLOSE = \
    0, 10, 11, 12, 20, 25, 30, 40, 50
RULE_LICENCE = "Code de la route, art. L223-1 et R223-1"
RULE_WITHDRAWAL = "Code de la route, art. L223-1 et L223-2"
RULE_COURSE = "Code de la route, art. L223-6 et R223-8"
RULE_INVALIDATION = "Code de la route, art. L223-5 et R223-3"
_DYNAMIC = 1_000_000  # sequence numbers of scheduled steps come after every event index

Closed = Literal["invalidated", "annulled", "replaced"]
# A step: (day, same-day order, sequence, handler, payload), run as handler(day, payload). `push` checks that
# a handler gets a payload it accepts; the heap holds steps of every kind, so its handlers take Any.
_Step = tuple[dt.date, int, int, Callable[[dt.date, Any], None], object]
_Payload = TypeVar("_Payload")
# The state on `as_of` that `run` returns: balance, maximum, capital, closed, last credit day, entries so far.
State = tuple[int, int, "Capital | None", Closed | None, dt.date | None, int]


class Capital:
    """The points capital of one licence."""

    __slots__ = ("licence", "balance", "maximum", "closed", "closed_on", "plan", "last_full", "full_dates")

    def __init__(self, licence: LicenceIssued, balance: int, plan: probation.ProbationPlan | None) -> None:
        self.licence, self.balance, self.maximum, self.plan = licence, balance, balance, plan
        self.closed: Closed | None = None
        self.closed_on = dt.date.max  # the day `closed` was set, read only once it is
        self.last_full: dt.date | None = None
        self.full_dates: set[dt.date] = set()


class Withdrawn:
    __slots__ = ("offence", "capital", "actual", "single_restored")

    def __init__(self, offence: Offence, capital: Capital, actual: int) -> None:
        self.offence, self.capital, self.actual, self.single_restored = offence, capital, actual, False


class Replay:
    def __init__(self, record: Record, policies: Policies) -> None:
        self.record, self.policies = record, policies
        self.heap: list[_Step] = []
        self.seq = _DYNAMIC
        self.entries: list[Entry] = []
        self.capital: Capital | None = None
        self.groups: dict[str, list[int]] = {}
        self.last_credit_day: dt.date | None = None
        self.invalidated_on: list[dt.date] = []
        self.annulment: Annulment | None = None
        self.warnings: list[str] = []
        self.as_of = dt.date.max  # entries after it are projections, explained in the future tense

    # -- scheduling -------------------------------------------------------------------------
    def push(self, day: dt.date, order: int, handler: Callable[[dt.date, _Payload], None], payload: _Payload) -> None:
        self.seq += 1
        heappush(self.heap, (day, order, self.seq, handler, payload))

    def run(self, as_of: dt.date) -> State:
        """Replay everything; return the state on `as_of` (balance, maximum, capital, closed, credit day)."""
        self.as_of = as_of
        heap = self.heap
        for index, event in self.record.events:  # `type(event) is`, not a variable: mypy narrows `event` on it
            if type(event) is Offence:
                heap.append((event.established_on, _WITHDRAWAL, index, self.withdraw, event))
            elif type(event) is LicenceIssued:
                heap.append((event.issued_on, _LICENCE, index, self.issue, event))
            elif type(event) is Course and event.kind != "judicial":
                heap.append((event.effective_on, _COURSE, index, self.course, event))
        heapify(heap)
        for event in self.record.notifications:
            self.push(event.notified_on, _CLOSE, self.notify, event)
        for event in self.record.annulments:
            self.push(event.decided_on, _CLOSE, self.annul, event)
        snapshot = None
        while heap:
            day, _, _, handler, payload = heappop(heap)
            if snapshot is None and day > as_of:
                snapshot = self.state()
            handler(day, payload)
        return snapshot or self.state()

    def state(self) -> State:
        capital = self.capital
        if capital is None:
            return (0, 0, None, None, self.last_credit_day, len(self.entries))
        return (capital.balance, capital.maximum, capital, capital.closed, self.last_credit_day, len(self.entries))

    def add(self, day: dt.date, kind: Kind, change: int, capital: Capital, event_id: str | None, rule: str,
            explanation: str) -> None:
        self.entries.append(Entry(day, kind, change, capital.balance, capital.maximum, event_id, rule, explanation))

    # -- licence and probation (L223-1, R223-1) -------------------------------------------
    def issue(self, day: dt.date, licence: LicenceIssued) -> None:
        previous = self.capital
        if previous is not None and previous.closed is None:
            # The register issued it after a notification that had no effect (a course before the 48SI
            # letter saved the licence, or the letter is not known yet): recorded, not refused (§9).
            self.warnings.append(
                f"Un nouveau permis a été délivré le {fr(day)} alors que le permis du "
                f"{fr(previous.licence.issued_on)} n'était ni invalidé ni annulé à cette date : un nouveau capital "
                "de points commence, celui de l'ancien permis ne compte plus (art. L223-1 et L223-5).")
            # Its pending restorations stop with it: only the new capital counts from now on.
            previous.closed, previous.closed_on = "replaced", day
        record = self.record
        plan = probation.plan(licence, record.trainings, record.by_committed, record.committed_keys)
        initial = tables.number_on("initial_capital", day, f'event "{licence.id}"', "issued_on")
        capital = self.capital = Capital(licence, initial, plan)
        self.add(day, "licence_issued", initial, capital, licence.id, RULE_LICENCE, explain.licence_issued(
            licence, initial, plan.ends_on if plan else None, plan.months if plan else None,
            plan.trained_on if plan else None))
        if plan is not None:
            for anniversary, year, amount in plan.increments:
                self.push(anniversary, _PROBATION, self.increment, (capital, year, amount))
            self.push(plan.ends_on, _PROBATION, self.end_probation, capital)

    def increment(self, day: dt.date, payload: tuple[Capital, int, int]) -> None:
        capital, year, amount = payload
        if capital.closed is None:
            capital.maximum += amount
            capital.balance = min(capital.balance + amount, capital.maximum)
            self.add(day, "probation_increment", amount, capital, None, probation.RULE,
                     explain.probation_increment(capital.licence.issued_on, year, amount, day > self.as_of))

    def end_probation(self, day: dt.date, capital: Capital) -> None:
        plan = capital.plan
        if capital.closed is not None or plan is None:  # only a capital with a plan has this step
            return
        capital.maximum = plan.maximum_after
        before = capital.balance
        if plan.clean:
            capital.balance = plan.maximum_after
        self.add(day, "probation_end", capital.balance - before, capital, None, probation.RULE,
                 explain.probation_end(plan.started_on, None if plan.clean else plan.first_offence,
                                       capital.balance, capital.maximum, day > self.as_of))

    # -- withdrawal (L223-1, L223-2) -------------------------------------------------------
    def group_cap(self, group: str) -> list[int]:
        members = [o for o in self.record.offences if o.simultaneous_group == group]
        mixed = [o for o in members if o.drugs_and_alcohol]
        if mixed:
            # 9 when a drugs-and-alcohol member was committed on or after 2025-07-11, else 8 (§4):
            # the table is keyed by committed_on, and the highest cap any member brings applies.
            cap = max(tables.number_on("simultaneous_cap_drugs_and_alcohol", o.committed_on,
                                       f'event "{o.id}"', "committed_on") for o in mixed)
        else:
            cap = tables.number_on("simultaneous_cap", members[0].established_on,
                                   f'event "{members[0].id}"', "established_on")
        state = self.groups[group] = [cap, 0]
        return state

    def withdraw(self, day: dt.date, offence: Offence) -> None:
        capital = self.capital
        if capital is None:
            return
        if capital.closed is not None:
            if capital.closed == "annulled":  # no capital left to reduce, shown with change 0 (§10)
                self.add(day, "withdrawal", 0, capital, offence.id, RULE_WITHDRAWAL,
                         explain.withdrawal_after_annulment(offence, capital.closed_on))
            return
        amount, capped = offence.points, None
        if offence.simultaneous_group is not None:
            group = self.groups.get(offence.simultaneous_group) or self.group_cap(offence.simultaneous_group)
            allowed = min(amount, group[0] - group[1])
            group[1] += allowed
            if allowed < amount:
                capped = group[0]
            amount = allowed
        actual = min(amount, capital.balance)
        capital.balance -= actual
        if actual:
            self.add(day, "withdrawal", -actual, capital, offence.id, RULE_WITHDRAWAL,
                     explain.withdrawal(offence, actual, capped, capital.balance))
        self.schedule_restorations(Withdrawn(offence, capital, actual))

    # -- restorations (L223-6) ----------------------------------------------------------------
    def schedule_restorations(self, withdrawn: Withdrawn) -> None:
        offence, capital, record = withdrawn.offence, withdrawn.capital, self.record
        day = offence.established_on
        if offence.points == 1:
            single = restoration.single_point(offence, record.committed_keys)
            if single is not None:
                self.push(single[0], _SINGLE, self.restore_single, (withdrawn, single[1]))
        since = capital.licence.issued_on
        if capital.last_full is not None and capital.last_full > since:
            since = capital.last_full
        months, before_2011, serious = restoration.full_delay(offence, since, record.serious_keys, record.serious)
        plan = capital.plan
        probation_end = plan.ends_on if plan is not None and day < plan.ends_on else None
        if probation_end is not None and self.policies.probation_full_restoration == "three_years":
            months = tables.number_on("full_restoration_delay_serious", day)
        restored_on = add_months(day, months)
        deferred = False
        if probation_end is not None and restored_on < probation_end:
            restored_on, deferred = probation_end, True
        if not restoration.full_blocked(day, restored_on, record.established_keys, record.committed_keys):
            order = _FULL_AT_END if restored_on == probation_end else _FULL
            capital.full_dates.add(restored_on)
            # The explanation's reason is formatted only if the restoration makes an entry.
            reason = (months, before_2011, probation_end if self.policies.probation_full_restoration
                      == "three_years" else None, serious, since, since != capital.licence.issued_on)
            self.push(restored_on, order, self.restore_full, (withdrawn, months, reason, deferred))
        ten = restoration.ten_year(offence)
        if ten is not None:
            self.push(ten, _TEN, self.restore_ten_year, withdrawn)

    def restore_single(self, day: dt.date, payload: tuple[Withdrawn, int]) -> None:
        withdrawn, months = payload
        capital, offence = withdrawn.capital, withdrawn.offence
        if capital.closed is not None or (capital.last_full is not None and capital.last_full > offence.established_on):
            return
        change = min(withdrawn.actual, capital.maximum - capital.balance)
        if change > 0:
            # A re-credit of 0 points restores nothing: the ten-year re-credit still applies (§5, §7).
            withdrawn.single_restored = True
            capital.balance += change
            self.add(day, "single_point_restoration", change, capital, offence.id, restoration.RULE_SINGLE,
                     explain.single_point(offence, months, day, day > self.as_of))

    def restore_ten_year(self, day: dt.date, withdrawn: Withdrawn) -> None:
        capital, offence = withdrawn.capital, withdrawn.offence
        if capital.closed is not None or withdrawn.single_restored or day in capital.full_dates or (
                capital.last_full is not None and capital.last_full > offence.established_on):
            return
        change = min(withdrawn.actual, capital.maximum - capital.balance)
        if change > 0:
            capital.balance += change
            self.add(day, "ten_year_restoration", change, capital, offence.id, restoration.RULE_TEN,
                     explain.ten_year(offence, change, day, day > self.as_of))

    def restore_full(self, day: dt.date, payload: tuple[Withdrawn, int, explain.DelayReason, bool]) -> None:
        withdrawn, months, reason, deferred = payload
        capital, offence = withdrawn.capital, withdrawn.offence
        if capital.closed is not None:
            return
        change = capital.maximum - capital.balance
        capital.balance = capital.maximum
        capital.last_full = day
        if change > 0:
            future = day > self.as_of
            text = explain.full_restoration(offence, months, capital.maximum, explain.delay_reason(*reason),
                                            day, future)
            if deferred:
                text = explain.deferred_to_probation_end(text, day, future)
            rule = restoration.RULE_FULL if capital.plan is None or offence.established_on >= capital.plan.ends_on \
                else restoration.RULE_FULL_PROBATION
            self.add(day, "full_restoration", change, capital, offence.id, rule, text)

    # -- courses (L223-6 al. 4–5, R223-8) ------------------------------------------------------
    def course(self, day: dt.date, course: Course) -> None:
        capital = self.capital
        period = f"Le stage du {fr(course.first_day)} au {fr(course.last_day)} n'a rapporté aucun point"
        if capital is None:
            return
        if capital.closed is not None:
            if capital.closed == "invalidated":
                self.warnings.append(f"{period} : la lettre 48SI avait été présentée le {fr(capital.closed_on)} "
                                     "(Conseil d'État, 17/04/2025, n° 492072).")
            return
        if self.last_credit_day is not None:
            months = tables.number_on("course_interval", course.last_day)
            allowed = add_months(self.last_credit_day, months)
            if course.last_day < allowed:
                self.warnings.append(f"{period} : un seul stage peut rapporter des points par période de "
                                     f"{explain.duration_fr(months)} (stage précédent terminé le "
                                     f"{fr(self.last_credit_day)}).")
                return
        full_credit = tables.number_on("course_credit", course.last_day)
        credit = min(full_credit, capital.maximum - capital.balance)
        if credit <= 0:
            self.warnings.append(f"{period} : le solde était déjà au nombre maximal de points.")
            return
        capital.balance += credit
        self.last_credit_day = course.last_day
        self.add(day, "course_credit", credit, capital, course.id, RULE_COURSE,
                 explain.course_credit(course, credit, full_credit, capital.maximum))

    # -- invalidation and annulment (L223-5, R223-3) ------------------------------------------
    def notify(self, day: dt.date, event: InvalidationNotified) -> None:
        capital = self.capital
        if capital is None or capital.closed is not None:
            return
        if capital.balance > 0:
            self.warnings.append(f"La lettre 48SI présentée le {fr(day)} est sans effet : le solde était de "
                                 f"{explain.points(capital.balance)} à cette date.")
            return
        capital.closed, capital.closed_on = "invalidated", day
        self.invalidated_on.append(day)
        self.add(day, "invalidation", 0, capital, event.id, RULE_INVALIDATION, explain.invalidation(day))

    def annul(self, day: dt.date, event: Annulment) -> None:
        capital = self.capital
        # An annulment after an invalidation still applies: the court's prohibition replaces the
        # administrative wait (§10). A second annulment of the same licence changes nothing.
        if capital is None or capital.closed == "annulled":
            return
        capital.closed, capital.closed_on = "annulled", day
        self.annulment = event
