"""The projected calendar as an iCalendar file (RFC 5545), built with the `icalendar` package.

One all-day event per date (several entries on one day are one event: a phone shows one
reminder). UIDs are derived from the NEPH and the date, so re-importing the file updates the
same events instead of duplicating them; DTSTAMP is the only moment of the run in the file.

The deadlines decided by records/actions.py (the 48N course, the licence's surrender, a new
licence, the end of a suspension) are events of their own, each with two reminders (VALARM 14
and 2 days before): they are the dates a driver must keep, the restorations only dates to know.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from itertools import groupby

import icalendar

from backend.records.labels import date_fr
from backend.records.actions import Deadline
from backend.records.views import CalendarView

PRODID = "-//pointspermis//calendrier previsionnel//FR"


REMINDERS_DAYS = (14, 2)


def _uid(neph: str, day: dt.date, what: str = "") -> str:
    # Not the NEPH itself: a calendar file may be shared or synced to third parties.
    token = hashlib.sha256(f"{neph}:{day.isoformat()}{':' + what if what else ''}".encode()).hexdigest()[:24]
    return f"{token}-{day.strftime('%Y%m%d')}@pointspermis"


def _deadline_event(view: CalendarView, deadline: Deadline, stamp: dt.datetime) -> icalendar.Event:
    day = deadline.date
    event = icalendar.Event()
    event.add("uid", _uid(view.identity.neph, day, "echeance"))
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("summary", f"Permis : {deadline.title.lower()}" + (" (date estimée)" if deadline.estimated else ""))
    event.add("description", f"{deadline.label} {date_fr(day)}" + (" (date estimée)" if deadline.estimated else "")
              + f". {deadline.basis}")
    for days in REMINDERS_DAYS:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Dans {days} jours : {deadline.title.lower()} ({date_fr(day)})")
        alarm.add("trigger", dt.timedelta(days=-days))
        event.add_component(alarm)
    return event


def calendar_ics(view: CalendarView, now: dt.datetime) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Permis : échéances et récupérations de points")
    stamp = now.astimezone(dt.timezone.utc).replace(microsecond=0)
    for deadline in view.deadlines:
        cal.add_component(_deadline_event(view, deadline, stamp))
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
        lines.append(f"Prévision calculée le {date_fr(view.as_of)}, si aucune nouvelle infraction n'est "
                     "commise et sans compter de stage d'ici là.")
        event.add("description", "\n".join(lines))
        cal.add_component(event)
    return cal.to_ical()
