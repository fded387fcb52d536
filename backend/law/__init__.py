"""The points engine: the dated French points law applied to a licence file's dated events.

Pure and synchronous: no I/O, no framework or database imports (tests/law enforce it).

    from backend.law import compute, Policies
    result = compute(decode_events(raw_events), as_of=date(2025, 6, 1))
"""

from .engine import compute
from .events import EventError, InvalidRecord, decode_event, decode_events, encode_event
from .known import KnownFile, known_file, known_on
from .policies import Policies, parse_policies
from .result import Cancelled, Entry, MandatoryCourse, Probation, Result, to_builtins, to_json
from .tables import OutsideCoveredPeriod

__all__ = [
    "compute", "Policies", "parse_policies", "Result", "Entry", "Probation", "MandatoryCourse", "Cancelled",
    "to_json", "to_builtins", "InvalidRecord", "EventError", "OutsideCoveredPeriod", "decode_event",
    "decode_events", "encode_event", "KnownFile", "known_file", "known_on",
]
