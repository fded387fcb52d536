"""Small builders of record events for the engine's unit tests (the record format's shapes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.law import Policies, compute, decode_events, to_builtins


def licence(issued_on: str, id: str = "l-1", **extra: Any) -> dict:
    return {"id": id, "type": "licence_issued", "issued_on": issued_on, **extra}


def offence(id: str, committed_on: str, established_on: str, points: int, offence_class: str = "C3",
            **extra: Any) -> dict:
    return {"id": id, "type": "offence", "committed_on": committed_on, "established_on": established_on,
            "established_by": extra.pop("established_by", "fixed_fine_paid"), "points": points,
            "offence_class": offence_class, "label": extra.pop("label", "Infraction de test"), **extra}


def course(id: str, first_day: str, last_day: str, **extra: Any) -> dict:
    return {"id": id, "type": "course", "first_day": first_day, "last_day": last_day, **extra}


def run(events: list[dict], as_of: str, **policies: str) -> dict:
    """The engine's output as JSON-shaped dicts."""
    return to_builtins(compute(decode_events(events), dt.date.fromisoformat(as_of), Policies(**policies)))


def lines(entries: list[dict]) -> list[tuple[str, str, int]]:
    return [(e["date"], e["kind"], e["change"]) for e in entries]
