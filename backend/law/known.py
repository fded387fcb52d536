"""The licence file as known on a date — the one definition the engine and every page use.

points-rules.md §1 and record-format.md: an event counts on `as_of` when the register knew it
by then (its `recorded_on`, by default its effective date); an event repeated with the same id
and identical content counts once; a cancelled event is removed from every computation, as if
it never existed. Cancellations resolve recursively: an event is in force iff no in-force
cancellation targets it, so cancelling a cancellation reinstates what it had cancelled, at any
depth. An event targeted by several in-force cancellations is cancelled once, on the earliest
`cancelled_on` (then the first in the file); the later ones are no-ops, with a warning.

`known_file` does not validate: the engine refuses a file with a cycle of cancellations
(points-rules.md §11) before computing, while a page may still show such a file as the register
holds it — there, a cancellation caught in a cycle cancels nothing.

    known = known_file(events, as_of)
    known.in_force          # what the engine replays
    known.cancellation("o-3")  # Cancelled(event_id, cancelled_on, reason) or None
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from .dates import fr
from .events import Cancellation, Event
from .result import Cancelled


class KnownFile:
    """The events known on `as_of`, with their cancellations resolved."""

    __slots__ = ("as_of", "events", "in_force", "cancelled", "warnings", "_cancelled_by_id")

    def __init__(self, as_of: dt.date, events: list[Event], in_force: list[Event], cancelled: list[Cancelled],
                 warnings: list[str]) -> None:
        self.as_of = as_of
        self.events = events
        """Every event known on `as_of`, cancellations included, in file order (a repeated id once)."""
        self.in_force = in_force
        """The known events in force: neither cancelled nor themselves cancellations, in file order."""
        self.cancelled = cancelled
        """Each known event that an in-force cancellation removes, once, by `cancelled_on` then id
        (the engine's `cancelled` output)."""
        self.warnings = warnings
        """Plain-French warnings: a cancellation without effect because its event was already cancelled."""
        self._cancelled_by_id: dict[str, Cancelled] | None = None

    def cancellation(self, event_id: str) -> Cancelled | None:
        """How the event `event_id` was cancelled, or None when it is in force (or unknown)."""
        by_id = self._cancelled_by_id
        if by_id is None:
            by_id = self._cancelled_by_id = {c.event_id: c for c in self.cancelled}
        return by_id.get(event_id)

    def is_in_force(self, event_id: str) -> bool:
        return self.cancellation(event_id) is None


def known_on(event: Event) -> dt.date:
    """The day the register knew `event`: its `recorded_on`, by default its effective date."""
    return event.recorded_on or event.effective_on


def known_file(events: Sequence[Event], as_of: dt.date) -> KnownFile:
    """The file `events` as the register knew it on `as_of` (points-rules.md §1)."""
    known: list[Event] = []
    ids: set[str] = set()
    cancellations: list[Cancellation] = []
    for event in events:
        if known_on(event) > as_of or event.id in ids:
            continue
        ids.add(event.id)
        known.append(event)
        if type(event) is Cancellation:
            cancellations.append(event)
    if not cancellations:  # the usual file: nothing to resolve
        return KnownFile(as_of, known, known, [], [])
    in_force_cancellation = _resolve(cancellations)
    by_target: dict[str, list[Cancellation]] = {}
    for c in cancellations:
        if in_force_cancellation[c.id]:
            by_target.setdefault(c.cancels, []).append(c)
    cancelled: list[Cancelled] = []
    warnings: list[str] = []
    for target, effective in by_target.items():
        # min() keeps the first in the file among equal dates.
        first = min(effective, key=lambda c: c.cancelled_on)
        cancelled.append(Cancelled(target, first.cancelled_on, first.reason))
        for later in effective:
            if later is not first:
                warnings.append(f"L'annulation du {fr(later.cancelled_on)} ({later.id}) est sans effet : "
                                f"l'événement {target} avait déjà été annulé le {fr(first.cancelled_on)}.")
    cancelled.sort(key=lambda c: (c.cancelled_on, c.event_id))
    in_force = [e for e in known if type(e) is not Cancellation and e.id not in by_target]
    return KnownFile(as_of, known, in_force, cancelled, warnings)


def _resolve(cancellations: list[Cancellation]) -> dict[str, bool]:
    """Whether each cancellation is in force: none of the in-force cancellations targets it.

    Depth-first without recursion (a chain may be long); a cancellation met again while its own
    status is being decided closes a cycle and counts as not in force."""
    targeting: dict[str, list[str]] = {}
    for c in cancellations:
        targeting.setdefault(c.cancels, []).append(c.id)
    in_force: dict[str, bool] = {}
    for c in cancellations:
        if c.id in in_force:
            continue
        stack, active = [c.id], {c.id}
        while stack:
            current = stack[-1]
            undecided = next((t for t in targeting.get(current, ()) if t not in in_force and t not in active), None)
            if undecided is not None:
                stack.append(undecided)
                active.add(undecided)
                continue
            in_force[current] = not any(in_force.get(t, False) for t in targeting.get(current, ()))
            stack.pop()
            active.discard(current)
    return in_force
