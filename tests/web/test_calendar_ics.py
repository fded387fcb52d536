"""/calendrier.ics is valid iCalendar and says exactly what /calendrier says."""

from __future__ import annotations

import datetime as dt

import icalendar

from tests.fixtures.web import DURAND, MARTIN
from tests.web.pagecheck import check_page


async def test_ics_parses_and_matches_the_calendar_page(web_client):
    async with web_client(MARTIN.neph) as client:
        response = await client.get("/calendrier.ics")
        page = check_page((await client.get("/calendrier")).text)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert 'filename="calendrier-points.ics"' in response.headers["content-disposition"]
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["version"] == "2.0" and calendar["prodid"]
    events = list(calendar.walk("VEVENT"))
    days = [event.decoded("dtstart") for event in events]
    assert days == [dt.date(2025, 9, 20), dt.date(2028, 3, 20)]
    for event, day in zip(events, days):
        assert not isinstance(day, dt.datetime), "all-day events"
        assert event.decoded("dtend") == day + dt.timedelta(days=1)
        assert event["uid"] and MARTIN.neph not in str(event["uid"])
        assert isinstance(event.decoded("dtstamp"), dt.datetime)
    assert "+1 point (solde prévu 9/12)" in str(events[0]["summary"])
    assert "+3 points (solde prévu 12/12)" in str(events[1]["summary"])
    for day in days:  # the page shows the same dates
        assert f"Prévu le {day.day if day.day > 1 else '1er'}" in page.text


async def test_ics_uids_are_stable_and_specific_to_the_holder(web_client):
    async with web_client(MARTIN.neph) as client:
        first = icalendar.Calendar.from_ical((await client.get("/calendrier.ics")).content)
        second = icalendar.Calendar.from_ical((await client.get("/calendrier.ics")).content)
    async with web_client(DURAND.neph) as client:
        other = icalendar.Calendar.from_ical((await client.get("/calendrier.ics")).content)
    uids = [str(e["uid"]) for e in first.walk("VEVENT")]
    assert uids == [str(e["uid"]) for e in second.walk("VEVENT")]
    assert len(set(uids)) == len(uids)
    assert not set(uids) & {str(e["uid"]) for e in other.walk("VEVENT")}


async def test_ics_content_type_names_one_charset(web_client):
    async with web_client(MARTIN.neph) as client:
        response = await client.get("/calendrier.ics")
    assert response.headers["content-type"].replace(" ", "") == "text/calendar;charset=utf-8"


async def test_the_deadline_is_in_the_ics_with_two_reminders_and_on_the_page(web_client):
    from backend.records.labels import date_fr

    async with web_client(DURAND.neph) as client:  # probation, 3-point offence: 48N course due
        response = await client.get("/calendrier.ics")
        page = check_page((await client.get("/calendrier")).text)
        balance = check_page((await client.get("/solde")).text)
    calendar = icalendar.Calendar.from_ical(response.content)
    deadlines = [e for e in calendar.walk("VEVENT") if "stage obligatoire" in str(e["summary"])]
    assert len(deadlines) == 1
    (event,) = deadlines
    day = event.decoded("dtstart")
    triggers = sorted(alarm.decoded("trigger") for alarm in event.walk("VALARM"))
    assert triggers == [dt.timedelta(days=-14), dt.timedelta(days=-2)]
    assert all(str(alarm["action"]) == "DISPLAY" for alarm in event.walk("VALARM"))
    # the same date, in the same words, on the calendar page's « Échéances » and in « Que faire maintenant ? »
    assert "Échéances" in page.text and f"À faire au plus tard le {date_fr(day)} (date estimée)" in page.text
    assert f"À faire au plus tard le {date_fr(day)} (date estimée)" in balance.text
    assert f"À faire au plus tard le {date_fr(day)} (date estimée)" in str(event["description"])
    assert "1 récupération prévue" in page.text or "récupérations prévues" in page.text
