"""The projected calendar as an iCalendar file (RFC 5545), built with the `icalendar` package.

One all-day event per date (several entries on one day are one event: a phone shows one
reminder). UIDs are derived from the NEPH and the date, so re-importing the file updates the
same events instead of duplicating them; DTSTAMP is the only moment of the run in the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from itertools import groupby

import icalendar

from backend.records.labels import date_fr
from backend.records.views import CalendarView

PRODID = "-//pointspermis//calendrier previsionnel//FR"


def _uid(neph: str, day: dt.date) -> str:
    # Not the NEPH itself: a calendar file may be shared or synced to third parties.
    token = hashlib.sha256(f"{neph}:{day.isoformat()}".encode()).hexdigest()[:24]
    return f"{token}-{day.strftime('%Y%m%d')}@pointspermis"


def calendar_ics(view: CalendarView, now: dt.datetime) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Récupération de points (prévisions)")
    stamp = now.astimezone(dt.timezone.utc).replace(microsecond=0)
    for day, group in groupby(view.entries, key=lambda entry: entry.date):
        entries = list(group)
        gained = sum(entry.change for entry in entries)
        last = entries[-1]
        event = icalendar.Event()
        event.add("uid", _uid(view.identity.neph, day))
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        event.add("transp", "TRANSPARENT")
        if gained > 0:
            summary = f"Permis : +{gained} point{'s' if gained > 1 else ''} (solde prévu {last.balance}/{last.maximum})"
        else:
            summary = f"Permis : {last.title.lower()}"
        event.add("summary", summary)
        lines = [f"{date_fr(day)} : {entry.title}, solde prévu {entry.balance} sur {entry.maximum}. "
                 f"{entry.body}" for entry in entries]
        lines.append(f"Prévision calculée le {date_fr(view.as_of)}, en supposant aucune nouvelle infraction "
                     "et aucun stage d'ici là.")
        event.add("description", "\n".join(lines))
        cal.add_component(event)
    return cal.to_ical()
