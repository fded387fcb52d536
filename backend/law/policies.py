"""Named choices where the law or its sources leave a question open (points-rules.md).

Each policy has a default (the project's reading) and documented alternatives; the engine
reports the values it used in `Result.policies`.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from .events import EventError, InvalidRecord


class Policies(msgspec.Struct, frozen=True, kw_only=True):
    # points-rules.md §6: a withdrawal established before the end of probation waits 3 years
    # (`three_years`, the administration's practice), or the 2/3-year class rule with the
    # restoration deferred to the end of probation (`literal` reading of L223-1).
    probation_full_restoration: Literal["three_years", "literal"] = "three_years"


POLICY_VALUES: dict[str, tuple[str, ...]] = {"probation_full_restoration": ("three_years", "literal")}


def parse_policies(pairs: list[str]) -> Policies:
    """`["probation_full_restoration=literal"]` -> Policies; InvalidRecord naming the bad pair."""
    values: dict[str, str] = {}
    problems: list[EventError] = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            problems.append(EventError("--policy", None, f"--policy {pair!r} must be NAME=VALUE"))
        elif name not in POLICY_VALUES:
            problems.append(EventError("--policy", None, f"unknown policy {name!r} "
                                       f"(known: {', '.join(POLICY_VALUES)})"))
        elif value not in POLICY_VALUES[name]:
            problems.append(EventError("--policy", None, f"policy {name} has no value {value!r} "
                                       f"(expected one of: {', '.join(POLICY_VALUES[name])})"))
        else:
            values[name] = value
    if problems:
        raise InvalidRecord(problems)
    return msgspec.convert(values, Policies)  # each value already checked against POLICY_VALUES
