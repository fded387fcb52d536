"""The two errors every part of the engine raises: one problem with one event, and a refused file.

Apart from `events` so that the dated tables (which name the event and field of a date they do
not cover) and the event checks (which read the tables) can both use them.
"""

from __future__ import annotations


class EventError(ValueError):
    """One problem with one event: names the event (id, else index) and the field.

    An empty `ref` is for a problem of the request rather than of an event (`as_of`): the
    message then stands alone, as the engine contract prints it."""

    def __init__(self, ref: str, field: str | None, message: str) -> None:
        self.ref, self.field, self.message = ref, field, message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.ref}: {self.message}" if self.ref else self.message


class InvalidRecord(ValueError):
    """A licence file that cannot be computed; `problems` lists every error found."""

    def __init__(self, problems: list[EventError]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
