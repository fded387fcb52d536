"""The types of the event fields (events.py), and how mypy reads the two that msgspec reads otherwise.

`Omittable` and `field_date` look one way to mypy and another at run time: each says why.
"""

from __future__ import annotations

import datetime as dt
import operator
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, TypeVar, Union

import msgspec

# msgspec applies a pattern with re.search: `\Z`, not `$`, which would also accept a trailing "\n"
# (an id "l-3\n" written escaped in the JSON).
EventId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+\Z")]
Natinf = Annotated[str, msgspec.Meta(pattern=r"^[0-9]+\Z")]
OffenceClass = Literal["C1", "C2", "C3", "C4", "C5", "DELIT"]
EstablishedBy = Literal["fixed_fine_paid", "increased_fine_order", "composition_penale", "final_conviction"]
Training = Literal["traditional", "aac", "supervised"]

# An optional field: omitted, it reads None, but present with the JSON value null it is refused by the
# decoder itself (record-format.md: "an optional field is omitted, never null"), on every path that
# decodes events (engine, feed import). So mypy reads `Omittable[X]` as `X | None`, what the code gets,
# while msgspec, which resolves annotations at run time, reads X alone and refuses null.
if TYPE_CHECKING:
    _T = TypeVar("_T")
    Omittable = Union[_T, None]
else:
    class Omittable:
        """At run time `Omittable[X]` is X itself."""

        def __class_getitem__(cls, item):
            return item


class DateField(Protocol):
    """What `field_date` gives, as mypy reads it: an attribute whose value is a date."""

    def __get__(self, instance: Any, owner: Any = None, /) -> dt.date: ...


def field_date(field: str) -> DateField:
    """`effective_on` for a type whose effective date is one of its fields: a property that reads it in
    C (operator.attrgetter). The engine, the import and the pages read it for every event: a Python
    method would cost a call frame each time."""
    return property(operator.attrgetter(field), doc=f"The day this event takes effect: its `{field}`.")
