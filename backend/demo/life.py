"""One generated demo holder: an identity and a plausible licence history up to the extract date.

The history is built forward in time with a rough points count (`_Capital`: capital, probation,
full restoration after three quiet years, course credits) to decide when the balance reaches 0
and a 48SI letter follows. The engine confirms the zero balance first, so that an invalidation is
only notified when the engine agrees. Every event is valid for
`decode_event`; events the register would record after the extract date are left out (they are
"not yet known"), together with everything that depends on them.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from backend.demo import catalogue as cat
from backend.law import compute
from backend.law.events import decode_events

EXTRACT_DAY = dt.date(2026, 11, 25)
FIRST_OFFENCE_DAY = dt.date(1993, 1, 1)  # engine refuses withdrawals of the 1992 six-point regime
Line = dict[str, Any]


def _days(rng: random.Random, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(low, high))


def _years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class _Capital:
    """A deliberately simple points count, only used to decide when to generate a 48SI letter."""

    def __init__(self, issued_on: dt.date, training: str) -> None:
        self.probation_end = None if issued_on < dt.date(2004, 3, 1) else _years(issued_on, 2 if training == "aac" else 3)
        self.balance = self.maximum = 12 if self.probation_end is None else 6
        # yearly probation increments (+2, +3 with AAC) for licences issued since 2007-12-31
        self.increment = (3 if training == "aac" else 2) if issued_on >= dt.date(2007, 12, 31) else 0
        self.next_anniversary = _years(issued_on, 1)
        self.last_withdrawal: dt.date | None = None
        self.serious = False  # a C4, C5 or délit since the last full restoration: 3 years instead of 2
        self.clean_probation = True

    def advance(self, day: dt.date) -> None:
        while self.probation_end and self.next_anniversary < self.probation_end and self.next_anniversary <= day:
            if self.clean_probation and self.increment:
                self.balance += self.increment
                self.maximum += self.increment
            self.next_anniversary = _years(self.next_anniversary, 1)
        if self.probation_end and day >= self.probation_end:
            self.maximum = 12
            if self.clean_probation:
                self.balance = 12
            self.probation_end = None
        if self.last_withdrawal:
            years = 3 if self.serious or self.last_withdrawal < dt.date(2011, 1, 1) else 2
            if day >= _years(self.last_withdrawal, years):
                self.balance = self.maximum
                self.last_withdrawal = None
                self.serious = False

    def withdraw(self, points: int, established_on: dt.date, offence_class: str) -> None:
        if points:
            self.balance = max(0, self.balance - points)
            self.last_withdrawal = established_on
            self.serious = self.serious or offence_class in ("C4", "C5", "DELIT") or self.probation_end is not None
            if self.probation_end:
                self.clean_probation = False

    def credit(self, points: int) -> None:
        self.balance = min(self.maximum, self.balance + points)


class _Life:
    def __init__(self, rng: random.Random, neph: str, commune: tuple[str, str, str], birth: dt.date) -> None:
        self.rng, self.neph, self.commune, self.birth = rng, neph, commune, birth
        self.events: list[Line] = []
        self.last_course: dt.date | None = None

    def add(self, type_: str, lag: tuple[int, int] = (0, 45), effective: dt.date | None = None, **fields: Any) -> Line:
        event: Line = {"type": type_, "id": f"{self.neph}-{len(self.events) + 1:02d}", **fields}
        # A licence is never recorded late: an offence must not be known before its licence.
        if effective is not None and type_ != "licence_issued" and self.rng.random() < 0.8:
            event["recorded_on"] = (effective + _days(self.rng, *lag)).isoformat()
        self.events.append(event)
        return event

    def place(self) -> str:
        code, name, dept = self.commune if self.rng.random() < 0.7 else self.rng.choice(cat.COMMUNES)
        return f"{name} ({dept})"

    def licence(self, issued_on: dt.date, kind: str) -> _Capital:
        rng = self.rng
        training = rng.choices(("traditional", "aac", "supervised"), (70, 25, 5))[0]
        categories = ["B"] if rng.random() < 0.85 else ["A", "B"] if issued_on.year < 2013 else ["A2", "B"]
        self.add("licence_issued", effective=issued_on, issued_on=issued_on.isoformat(), kind=kind,
                 training=training, categories=categories)
        if issued_on >= dt.date(2019, 1, 1) and kind == "first" and rng.random() < 0.3:
            done = issued_on + _days(rng, 183, 360)
            if done <= EXTRACT_DAY:
                self.add("complementary_training", effective=done, completed_on=done.isoformat())
        if rng.random() < 0.15:
            obtained = issued_on + _days(rng, 200, 4000)
            if obtained <= EXTRACT_DAY:
                category = rng.choice(cat.EXTRA_CATEGORIES)
                extra: Line = {"valid_until": _years(obtained, 5).isoformat()} if category in ("C1", "C", "D") else {}
                if extra:
                    visit = obtained - _days(rng, 10, 60)
                    self.add("medical_visit", effective=visit, visited_on=visit.isoformat(), outcome="fit",
                             valid_until=_years(visit, 5).isoformat(), categories=[category])
                self.add("category_obtained", effective=obtained, obtained_on=obtained.isoformat(), category=category,
                         **extra)
        return _Capital(issued_on, training)

    def offence(self, committed: dt.date, capital: _Capital, group: str | None = None) -> tuple[Line, cat.OffenceKind]:
        rng = self.rng
        kinds, weights = cat.offences_on(committed)
        kind = rng.choices(kinds, weights)[0]
        if kind.offence_class == "DELIT":
            by, delay = rng.choice((("final_conviction", (60, 300)), ("composition_penale", (30, 120))))
        else:
            by, delay = rng.choices((("fixed_fine_paid", (2, 45)), ("increased_fine_order", (60, 150))), (85, 15))[0]
        established = committed + _days(rng, *delay)
        fields: Line = {"committed_on": committed.isoformat(), "established_on": established.isoformat(),
                        "established_by": by, "points": kind.points, "offence_class": kind.offence_class,
                        "label": kind.label, "place": self.place()}
        if kind.natinf:
            fields["natinf"] = kind.natinf
        if kind.drugs_and_alcohol:
            fields["drugs_and_alcohol"] = True
        if group:
            fields["simultaneous_group"] = group
        event = self.add("offence", lag=(7, 100), effective=established, **fields)
        capital.advance(established)
        capital.withdraw(kind.points, established, kind.offence_class)
        return event, kind

    def course(self, first_day: dt.date, kind: str, capital: _Capital | None) -> None:
        last_day = first_day + dt.timedelta(days=1)
        if last_day >= EXTRACT_DAY:
            return
        self.add("course", lag=(3, 30), effective=last_day + dt.timedelta(days=1), first_day=first_day.isoformat(),
                 last_day=last_day.isoformat(), kind=kind, organiser=self.rng.choice(cat.COURSE_ORGANISERS),
                 place=self.place())
        if capital is not None and kind != "judicial" and (self.last_course is None
                                                           or last_day >= _years(self.last_course, 2)):
            capital.advance(last_day)
            capital.credit(4)
            self.last_course = last_day


def generate_holder(rng: random.Random, index: int) -> tuple[Line, list[Line]]:
    """Holder number `index` (>= the number of showcase holders): identity, then events in effective order."""
    gender = rng.choice(("female", "male"))
    given = rng.choice(cat.GIVEN_NAMES[gender])
    if rng.random() < 0.3:
        given += " " + rng.choice(cat.GIVEN_NAMES[gender])
    birth = dt.date(1940, 1, 1) + _days(rng, 0, 365 * 67)
    commune = rng.choice(cat.COMMUNES)
    abroad = rng.random() < 0.08
    first_issue = max(_years(birth, 18), dt.date(1980, 1, 1)) + _days(rng, 0, 365 * 6)
    first_issue = min(first_issue, EXTRACT_DAY - dt.timedelta(days=30))
    registered = first_issue - _days(rng, 60, 300)
    neph = f"{registered.year % 100:02d}{registered.month:02d}{commune[2][:2].replace('A', '0').replace('B', '0')}" \
           f"{index:06d}"
    holder = {"type": "holder", "neph": neph, "family_name": rng.choice(cat.FAMILY_NAMES), "given_names": given,
              "birth_date": birth.isoformat(), "birth_place": "" if abroad else commune[0],
              "birth_country": rng.choice(cat.COUNTRIES_ABROAD) if abroad else cat.FRANCE, "gender": gender}
    life = _Life(rng, neph, commune, birth)
    _history(life, first_issue)
    return holder, _known(life.events)


def _history(life: _Life, issued_on: dt.date) -> None:
    rng = life.rng
    kind = "first"
    while True:
        capital = life.licence(issued_on, kind)
        rate = rng.choice((0.0, 0.05, 0.15, 0.3, 0.6, 1.2))  # offences per year: most drivers are careful
        day = max(issued_on, FIRST_OFFENCE_DAY)
        ended = None
        while rate:
            day += dt.timedelta(days=int(rng.expovariate(rate) * 365) + 1)
            if day >= EXTRACT_DAY:
                break
            ended = _episode(life, day, capital, issued_on)
            if ended:
                break
        if not ended:
            return
        issued_on, kind = ended
        if issued_on >= EXTRACT_DAY or not _engine_accepts(life.events, issued_on):
            return


def _episode(life: _Life, day: dt.date, capital: _Capital, issued_on: dt.date) -> tuple[dt.date, str] | None:
    """One offence (sometimes with a simultaneous one) and what follows it; returns a new licence if any."""
    rng = life.rng
    group = f"g-{day.isoformat()}" if rng.random() < 0.06 else None
    event, kind = life.offence(day, capital, group)
    if group:
        life.offence(day, capital, group)
    established = dt.date.fromisoformat(event["established_on"])
    if kind.suspension and rng.random() < 0.7:
        starts = day + _days(rng, 0, 3)
        life.add("suspension", effective=starts, starts_on=starts.isoformat(),
                 ends_on=(starts + _days(rng, 60, 180)).isoformat(), suspension_kind="administrative",
                 label="Suspension préfectorale")
    if rng.random() < 0.02 and capital.balance > 0:
        # Not when the offence emptied the licence: a cancellation is retroactive, it would undo the
        # invalidation that follows. Dated after the offence is recorded (at most 100 days after it
        # is established): a cancellation is never known before the event it cancels.
        cancelled = established + _days(rng, 110, 300)
        life.add("cancellation", effective=cancelled, cancels=event["id"], cancelled_on=cancelled.isoformat(),
                 reason="Décision de justice : relaxe")
        capital.credit(event["points"])
    if kind.offence_class == "DELIT" and kind.points and rng.random() < 0.08:
        life.course(established + _days(rng, 30, 120), "judicial", None)
    if kind.offence_class == "DELIT" and kind.points and rng.random() < 0.05:
        decided = established
        not_before = decided + _days(rng, 180, 1095)
        life.add("annulment", effective=decided, decided_on=decided.isoformat(),
                 new_licence_not_before=not_before.isoformat())
        return _relicence(life, not_before, "after_annulment")
    in_probation = capital.probation_end is not None and day < capital.probation_end
    if in_probation and kind.points >= 3 and rng.random() < 0.8:
        life.course(established + _days(rng, 40, 110), "mandatory", capital)
    elif 0 < capital.balance <= 6 and rng.random() < 0.35:
        life.course(established + _days(rng, 20, 200), "voluntary", capital)
    if capital.balance > 0:
        return None
    if rng.random() < 0.25:  # saved by a course before the 48SI letter
        life.course(established + _days(rng, 10, 40), "voluntary", capital)
        if capital.balance > 0:
            return None
    # The 48SI letter follows the recording of the offence that emptied the licence.
    established_on: str = event["established_on"]  # (typed: the default of `get` below, never None)
    notified = dt.date.fromisoformat(event.get("recorded_on", established_on)) + _days(rng, 15, 60)
    notice = life.add("invalidation_notified", effective=notified, notified_on=notified.isoformat())
    notified_on: str = notice["notified_on"]
    if not _engine_says_invalidated(life.events, dt.date.fromisoformat(notice.get("recorded_on", notified_on))):
        life.events.remove(notice)
        capital.balance = 1
        return None
    if rng.random() < 0.85:
        surrendered = notified + _days(rng, 3, 10)
        life.add("licence_surrendered", effective=surrendered, surrendered_on=surrendered.isoformat())
        return _relicence(life, surrendered + _days(rng, 200, 700), "after_invalidation")
    return EXTRACT_DAY, "first"  # licence never surrendered: the story stops here


def _relicence(life: _Life, not_before: dt.date, kind: str) -> tuple[dt.date, str]:
    """A medical visit, then (often) a new licence after the waiting period (a date after the extract: none)."""
    visit = not_before - _days(life.rng, 10, 60)
    if life.rng.random() < 0.3 or visit >= EXTRACT_DAY:
        return EXTRACT_DAY, kind
    life.add("medical_visit", effective=visit, visited_on=visit.isoformat(), outcome="fit",
             valid_until=_years(visit, 5).isoformat())
    return not_before + _days(life.rng, 30, 200), kind


def _engine_says_invalidated(events: list[Line], day: dt.date) -> bool:
    """The engine's verdict."""
    return compute(decode_events(events), day).status == "invalidated"


def _engine_accepts(events: list[Line], day: dt.date) -> bool:
    """Whether the engine still sees an invalidated or annulled licence on `day`."""
    return compute(decode_events(events), day).status in ("invalidated", "annulled")


def _effective(event: Line) -> str:
    for key in ("issued_on", "established_on", "completed_on", "notified_on", "surrendered_on", "decided_on",
                "starts_on", "visited_on", "obtained_on", "cancelled_on"):
        if key in event:
            return event[key]
    return (dt.date.fromisoformat(event["last_day"]) + dt.timedelta(days=1)).isoformat()


def _known(events: list[Line]) -> list[Line]:
    """Events known by the extract date, in effective order; dependants of unknown events go too."""
    limit = EXTRACT_DAY.isoformat()
    kept = [e for e in events if e.get("recorded_on", _effective(e)) <= limit and _effective(e) <= limit]
    ids = {e["id"] for e in kept}
    kept = [e for e in kept if e["type"] != "cancellation" or e["cancels"] in ids]
    return sorted(kept, key=_effective)
