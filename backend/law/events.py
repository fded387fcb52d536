"""Licence record events, exactly as in spec/record-format.md.

Decoding is strict: unknown fields, wrong types, missing required fields, unknown types and
impossible dates are errors naming the event id (or its index) and the field. Semantic
checks that need only one event (dates in order, points range) are done here too, so that
every consumer (engine, import, demo) gets the same answers.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, Union

import msgspec

from . import tables
from .dates import fr
from .errors import EventError, InvalidRecord
# The types of the fields, kept with the events' names (other modules import them from here).
from .fields import EstablishedBy, EventId, Natinf, OffenceClass, Omittable, Training, field_date

# gc=False: events hold only strings, dates and tuples of strings (no cycles), and a service keeps
# many of them in memory; untracked they cost the cyclic garbage collector nothing.
# The options are written out, not passed as **options, so that mypy reads them (dataclass_transform):
# kw_only on the base alone, as msgspec applies it, makes `id` and `recorded_on` keyword-only and last in
# every type (runtime and mypy alike), while each type's own fields stay positional, in order. msgspec
# passes `frozen` on to subclasses, mypy does not: each event type repeats it.
class _Event(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True, tag_field="type",
             omit_defaults=True, gc=False):
    id: EventId
    recorded_on: Omittable[dt.date] = None

    @property
    def effective_on(self) -> dt.date:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @property
    def known_on(self) -> dt.date:
        """The day the register knew the event: `recorded_on`, by default its effective date."""
        return self.recorded_on or self.effective_on


class LicenceIssued(_Event, tag="licence_issued", frozen=True):
    issued_on: dt.date
    kind: Literal["first", "after_invalidation", "after_annulment"] = "first"
    training: Training = "traditional"
    categories: tuple[str, ...] = ()

    effective_on = field_date("issued_on")


class Offence(_Event, tag="offence", frozen=True):
    committed_on: dt.date
    established_on: dt.date
    established_by: EstablishedBy
    points: int
    offence_class: OffenceClass
    label: Annotated[str, msgspec.Meta(min_length=1)]
    natinf: Omittable[Natinf] = None
    place: Omittable[str] = None
    fixed_fine_eligible: Omittable[bool] = None
    simultaneous_group: Omittable[str] = None
    drugs_and_alcohol: bool = False

    effective_on = field_date("established_on")

    @property
    def is_fixed_fine_eligible(self) -> bool:
        """Default: classes C1–C4 are eligible for the ten-year re-credit, C5 and délits are not."""
        if self.fixed_fine_eligible is not None:
            return self.fixed_fine_eligible
        return self.offence_class in ("C1", "C2", "C3", "C4")


class Course(_Event, tag="course", frozen=True):
    first_day: dt.date
    last_day: dt.date
    kind: Literal["voluntary", "mandatory", "judicial"] = "voluntary"
    organiser: Omittable[str] = None
    place: Omittable[str] = None

    @property
    def effective_on(self) -> dt.date:
        return self.last_day + dt.timedelta(days=1)


class ComplementaryTraining(_Event, tag="complementary_training", frozen=True):
    completed_on: dt.date

    effective_on = field_date("completed_on")


class InvalidationNotified(_Event, tag="invalidation_notified", frozen=True):
    notified_on: dt.date

    effective_on = field_date("notified_on")


class LicenceSurrendered(_Event, tag="licence_surrendered", frozen=True):
    surrendered_on: dt.date

    effective_on = field_date("surrendered_on")


class Annulment(_Event, tag="annulment", frozen=True):
    decided_on: dt.date
    new_licence_not_before: Omittable[dt.date] = None

    effective_on = field_date("decided_on")


class Suspension(_Event, tag="suspension", frozen=True):
    starts_on: dt.date
    suspension_kind: Literal["administrative", "judicial"]
    ends_on: Omittable[dt.date] = None
    label: Omittable[str] = None

    effective_on = field_date("starts_on")


class MedicalVisit(_Event, tag="medical_visit", frozen=True):
    visited_on: dt.date
    outcome: Literal["fit", "fit_with_restrictions", "fit_temporarily", "unfit"]
    valid_until: Omittable[dt.date] = None
    categories: tuple[str, ...] = ()

    effective_on = field_date("visited_on")


class CategoryObtained(_Event, tag="category_obtained", frozen=True):
    obtained_on: dt.date
    category: Annotated[str, msgspec.Meta(min_length=1)]
    valid_until: Omittable[dt.date] = None

    effective_on = field_date("obtained_on")


class Cancellation(_Event, tag="cancellation", frozen=True):
    cancels: EventId
    cancelled_on: dt.date
    reason: Omittable[str] = None

    effective_on = field_date("cancelled_on")


Event = Union[
    LicenceIssued,
    Offence,
    Course,
    ComplementaryTraining,
    InvalidationNotified,
    LicenceSurrendered,
    Annulment,
    Suspension,
    MedicalVisit,
    CategoryObtained,
    Cancellation,
]


def _by_tag(*types: type[Event]) -> dict[str, type[Event]]:
    """Each event type by its tag, the `type` of its JSON object."""
    found: dict[str, type[Event]] = {}
    for cls in types:
        tag = cls.__struct_config__.tag
        if not isinstance(tag, str):  # msgspec also allows int tags: the record format names types with strings
            raise TypeError(f"{cls.__name__}: the tag of an event type is a string")
        found[tag] = cls
    return found


EVENT_TYPES: dict[str, type[Event]] = _by_tag(
    LicenceIssued, Offence, Course, ComplementaryTraining, InvalidationNotified, LicenceSurrendered,
    Annulment, Suspension, MedicalVisit, CategoryObtained, Cancellation,
)
_TYPE_OF: dict[type, str] = {cls: tag for tag, cls in EVENT_TYPES.items()}


def event_type(event: Event) -> str:
    """The event's `type` in the record format ("offence", "course", …)."""
    return _TYPE_OF[type(event)]

MAX_POINTS = 6
MAX_POINTS_DRUGS_AND_ALCOHOL = 9
# The first day the 9-point withdrawal exists, read from the dated table (not written here twice).
_NINE_POINTS_FROM = next(first for first, _, points in tables.number_ranges("points_drugs_and_alcohol")
                         if points == MAX_POINTS_DRUGS_AND_ALCOHOL)


def event_ref(raw: Any, index: int | None) -> str:
    """`event "o-3"` when the id is a usable string, else `event #4` (1-based index). The id is quoted
    as JSON: one that the id pattern refuses (a control character, a quote) still prints on one line."""
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"]:
        return f'event {msgspec.json.encode(raw["id"]).decode()}'
    return f"event #{index + 1}" if index is not None else "event"


_PATH_FIELD = re.compile(r"`\$\.([A-Za-z_][A-Za-z0-9_]*)")


def _reword(exc: msgspec.ValidationError, raw: dict[str, Any]) -> tuple[str | None, str]:
    """Turn msgspec's message into `field: reason` with the field first, as users read it."""
    text = str(exc)
    match = _PATH_FIELD.search(text)
    field = match.group(1) if match else None
    # msgspec quotes a pattern with repr(): `\\Z` back to `\Z`, the regex as written.
    reason = re.sub(r"\s*-\s*at `\$[^`]*`", "", text).replace("\\\\", "\\")
    if text.startswith("Object missing required field"):
        field = text.split("`")[1]
        return field, f"{field} is required"
    if text.startswith("Object contains unknown field"):
        field = text.split("`")[1]
        return field, f"unknown field {field}"
    if "Invalid value" in text and "type" == field:
        return field, "unknown type " + text.split("Invalid value ")[-1].split(" -")[0]
    if field and "got `null`" in text:
        return field, f"{field} is null: an optional field is omitted, never null (remove {field} or give a value)"
    if field and "date" in text and "Invalid" in text:
        return field, f"{field} {raw.get(field)!r} is not an existing date in the form YYYY-MM-DD"
    if field:
        return field, f"{field}: {reason}"
    return None, reason


def validation_message(exc: msgspec.ValidationError, raw: dict[str, Any]) -> str:
    """msgspec's message about the record `raw` as users read it (`field: reason`, the field first):
    for other record lines validated with msgspec, such as the feed's holder lines."""
    return _reword(exc, raw)[1]


def check_event(event: _Event, ref: str) -> list[EventError]:
    """Checks within one event that the schema cannot express (spec/record-format.md)."""
    problems: list[EventError] = []
    if event.recorded_on is not None and event.recorded_on < event.effective_on:
        problems.append(EventError(ref, "recorded_on",
                                   f"recorded_on {event.recorded_on} is before the effective date {event.effective_on}"))
    if isinstance(event, Offence):
        if event.established_on < event.committed_on:
            problems.append(EventError(ref, "established_on",
                                       f"established_on {event.established_on} is before committed_on {event.committed_on}"))
        ceiling = MAX_POINTS_DRUGS_AND_ALCOHOL if event.drugs_and_alcohol else MAX_POINTS
        if not (0 <= event.points <= ceiling) or (MAX_POINTS < event.points < MAX_POINTS_DRUGS_AND_ALCOHOL):
            allowed = "0–6, or 9 with drugs_and_alcohol" if not event.drugs_and_alcohol else "0–6 or 9"
            problems.append(EventError(ref, "points", f"points {event.points} is outside {allowed}"))
        elif event.points == MAX_POINTS_DRUGS_AND_ALCOHOL and event.committed_on < _NINE_POINTS_FROM:
            # Loi 2025-622: 9 points only for offences committed from its entry into force (a harsher
            # penalty is not retroactive, art. 112-1 Code pénal) — points-rules.md §11.
            problems.append(EventError(ref, "points", (
                f"points 9 for an offence committed on {event.committed_on}: 9 points apply only to offences "
                f"committed on or after {_NINE_POINTS_FROM} (loi n° 2025-622) — 9 points ne s'appliquent qu'aux "
                f"infractions commises à partir du {fr(_NINE_POINTS_FROM)}")))
    elif isinstance(event, Course) and event.last_day < event.first_day:
        problems.append(EventError(ref, "last_day", f"last_day {event.last_day} is before first_day {event.first_day}"))
    elif isinstance(event, Suspension) and event.ends_on is not None and event.ends_on < event.starts_on:
        problems.append(EventError(ref, "ends_on", f"ends_on {event.ends_on} is before starts_on {event.starts_on}"))
    elif isinstance(event, Cancellation) and event.cancels == event.id:
        problems.append(EventError(ref, "cancels", "an event cannot cancel itself"))
    return problems


def duplicate_error(event: _Event) -> EventError:
    """The same id with different content (record-format.md: identical content is a no-op)."""
    return EventError(event_ref({"id": event.id}, None), "id", (
        f"id {event.id!r} appears more than once with different content; the register gives each event one id "
        "(an event repeated with identical content counts once) — le même identifiant désigne deux événements "
        "différents"))


def decode_event(raw: Any, index: int | None = None) -> Event:
    """Validate one already-parsed JSON value as an event; raise InvalidRecord on any problem."""
    ref = event_ref(raw, index)
    if not isinstance(raw, dict):
        raise InvalidRecord([EventError(ref, None, f"expected a JSON object, got {type(raw).__name__}")])
    kind = raw.get("type")
    if kind is None:
        raise InvalidRecord([EventError(ref, "type", "type is required")])
    if kind not in EVENT_TYPES:
        raise InvalidRecord([EventError(ref, "type", f"unknown type {kind!r} (expected one of: {', '.join(EVENT_TYPES)})")])
    try:
        event = msgspec.convert(raw, EVENT_TYPES[kind], strict=True)
    except msgspec.ValidationError as exc:
        field, message = _reword(exc, raw)
        raise InvalidRecord([EventError(ref, field, message)]) from None
    problems = check_event(event, ref)
    if problems:
        raise InvalidRecord(problems)
    return event


def decode_events(raws: Any) -> list[Event]:
    """Validate a whole list of events, collecting every problem (also duplicate ids)."""
    if not isinstance(raws, list):
        raise InvalidRecord([EventError("events", None, "events must be a JSON array")])
    events: list[Event] = []
    problems: list[EventError] = []
    seen: dict[str, Event] = {}
    for index, raw in enumerate(raws):
        try:
            event = decode_event(raw, index)
        except InvalidRecord as exc:
            problems.extend(exc.problems)
            continue
        first = seen.get(event.id)
        if first is not None:
            if first != event:
                problems.append(duplicate_error(event))
            continue  # the same event given twice counts once (record-format.md, `id`)
        seen[event.id] = event
        events.append(event)
    if problems:
        raise InvalidRecord(problems)
    return events


def encode_event(event: Event) -> dict[str, Any]:
    """The event as a JSON-ready dict, in the record format (dates as ISO strings)."""
    return msgspec.to_builtins(event)
