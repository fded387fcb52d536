"""No explanation contradicts its own dates (issue #14 item 4), over every demo file.

The demo feed (the 8 showcase files and a few hundred generated lives) is computed on the
extract's date; every entry of the history and of the calendar is read as a driver reads it:
- it has text, in the right tense: the history in the past, the calendar (projections) in the
  future, conditional on no new offence;
- each date it names is the date of what it names: "N mois/ans après le paiement … du X" is
  X + N = the entry's date (or the probation end it says it waits for); "commise le", "devenue
  définitive le", "délivré le", "suivi du … au …" are the cited event's own dates;
- a delay's starting point is named for what it is ("depuis la délivrance du permis (le X)",
  "depuis la dernière reconstitution du capital (le X)"), never a bare "depuis le X", and X
  comes before the offence it cites and before the entry;
- no date lies after the entry's own date, except the end of probation announced at issue and the training that shortened it (and the
  dates of the law itself, "avant le 01/01/2011").
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import pytest

from backend.law import Entry, compute, decode_events, explain, tables
from backend.law.dates import add_months, fr
from backend.law.events import Course, LicenceIssued, Offence
from backend.demo.generator import TODAY, feed_lines

DATE = r"(\d{2}/\d{2}/\d{4})"
FUTURE = ("récupérerez", "d'ici là", "sera reconstitué", "gagnera", "se terminera", "passera", "ne pourra")
PAST = ("Point restitué", "réattribué", "Capital reconstitué", "Majoration de", "Fin de la période", "passe à")
# The dates of the law itself ("avant le 01/01/2011") are not dates of the file.
LAW_DATES = {v.effective_from for p in tables.PARAMETERS for v in p.versions if v.effective_from}
BECAME = {"fixed_fine_paid": "le paiement de l'amende", "final_conviction": "la condamnation définitive",
          "increased_fine_order": "l'émission du titre exécutoire de l'amende forfaitaire majorée",
          "composition_penale": "l'exécution de la composition pénale"}


def day(text: str) -> dt.date:
    d, m, y = text.split("/")
    return dt.date(int(y), int(m), int(d))


def months_of(text: str) -> int:
    number, unit = text.split()
    return int(number) * (12 if unit.startswith("an") else 1)


def demo_files(holders: int = 400) -> dict[str, list[dict]]:
    files: dict[str, list[dict]] = defaultdict(list)
    for line in feed_lines(holders=holders, seed=1):
        if line["type"] not in ("extract", "holder"):
            files[line["neph"]].append({k: v for k, v in line.items() if k != "neph"})
    return files


def contradictions(entry: Entry, as_of: dt.date, events: dict[str, object]) -> list[str]:
    """What is wrong with one entry's explanation (empty when it is consistent)."""
    text, found = entry.explanation, []
    event = events.get(entry.event_id) if entry.event_id else None
    future = entry.date > as_of
    if not text.strip() or not text.endswith("."):
        return ["no text, or not a sentence"]
    if future and not any(w in text for w in FUTURE):
        found.append("a projection not written in the future")
    if future and any(w in text for w in PAST):
        found.append("a projection written in the past")
    if not future and any(w in text for w in FUTURE):
        found.append("a past entry written in the future")
    # Every date named, except the probation end announced when the licence is issued.
    named = [day(d) for d in re.findall(DATE, re.sub(r"(jusqu'au|suivie ensuite, le) " + DATE, "", text))]
    named = [d for d in named if d not in LAW_DATES]
    later = [d for d in named if d > entry.date]
    if later:
        found.append(f"names {', '.join(fr(d) for d in later)}, after its own date")
    if re.search(r"depuis le " + DATE, text):
        found.append("a bare « depuis le <date> »: the starting date is not named for what it is")
    # "N mois/ans après <what made the offence definitive> du X": X is that offence's established_on,
    # and X + N is the entry's date, or the probation end it was deferred to.
    for delay, what, cited in re.findall(r"(\d+ (?:mois|ans?)) après (.+?) du " + DATE, text):
        if isinstance(event, Offence):
            if day(cited) != event.established_on or what != BECAME[event.established_by]:
                found.append(f"cites « {what} du {cited} », not the offence's {fr(event.established_on)}")
        deferred = re.search(r"fin de la période probatoire, le " + DATE, text)
        expected = day(deferred.group(1)) if deferred else add_months(day(cited), months_of(delay))
        if expected != entry.date:
            found.append(f"« {delay} après … du {cited} » is not the entry's date {fr(entry.date)}")
    for said in re.findall(r"(?:récupérerez [^,]*? le|reconstitué à \d+ points? le) " + DATE, text):
        if day(said) != entry.date:
            found.append(f"announces {said}, not the entry's date")
    if isinstance(event, Offence):
        for committed in re.findall(r"commise le " + DATE, text):
            if day(committed) != event.committed_on:
                found.append(f"« commise le {committed} » is not the offence's date")
        if entry.kind == "withdrawal":
            definitive = re.search(r"devenue définitive le " + DATE, text)
            if definitive and day(definitive.group(1)) != event.established_on:
                found.append("« devenue définitive le » is not the offence's established_on")
            if ("Le solde atteint 0" in text) != (entry.balance == 0 and entry.change < 0):
                found.append("says the balance reaches 0 when it does not, or the reverse")
    # The class test's starting point comes before the offence it cites, and both before the restoration.
    start = re.search(r"depuis (la délivrance du permis|la dernière reconstitution du capital) \(le " + DATE + r"\)", text)
    if start:
        since = day(start.group(2))
        cited = re.search(r"devenue? définitif?v?e? le " + DATE + r"\)\.$", text)
        if cited and not since <= day(cited.group(1)):
            found.append(f"the file is read since {fr(since)}, after the offence it cites")
        if isinstance(event, Offence) and since > event.established_on:
            found.append(f"the file is read since {fr(since)}, after this withdrawal")
        if start.group(1).startswith("la délivrance") and not any(
                isinstance(e, LicenceIssued) and e.issued_on == since for e in events.values()):
            found.append(f"no licence was issued on {fr(since)}")
    if isinstance(event, Course) and entry.kind == "course_credit":
        if f"du {fr(event.first_day)} au {fr(event.last_day)}" not in text or \
                event.last_day + dt.timedelta(days=1) != entry.date:
            found.append("the course's dates are not its own")
    if isinstance(event, LicenceIssued) and f"délivré le {fr(event.issued_on)}" not in text:
        found.append("the licence's date is not its own")
    if entry.kind == "probation_increment":
        issued = re.search(r"(?:permis du|délivré le) " + DATE, text)
        year = re.search(r"(\d+)(?:re|e) année", text)
        if not issued or not year or add_months(day(issued.group(1)), 12 * int(year.group(1))) != entry.date:
            found.append("the anniversary does not match the entry's date")
    if entry.kind == "invalidation" and f"présentée le {fr(entry.date)}" not in text:
        found.append("the 48SI date is not the entry's")
    return found


def test_no_explanation_of_a_demo_file_contradicts_its_own_dates() -> None:
    files = demo_files()
    assert len(files) >= 400
    problems, kinds = [], set()
    for neph, raw in files.items():
        events = decode_events(raw)
        result = compute(events, TODAY)
        by_id = {e.id: e for e in events}
        for entry in result.history + result.calendar:
            kinds.add((entry.kind, entry.date > TODAY))
            problems += [f"{neph} {entry.date} {entry.kind}: {p}\n    {entry.explanation}"
                         for p in contradictions(entry, TODAY, by_id)]
    assert not problems, f"{len(problems)} contradictions:\n" + "\n".join(problems[:20])
    # The demo exercises every kind of the history and every projected kind, so the check means something.
    assert {k for k, future in kinds if not future} >= {"licence_issued", "withdrawal", "single_point_restoration",
                                                          "full_restoration", "ten_year_restoration", "course_credit",
                                                          "probation_increment", "probation_end", "invalidation"}
    assert {k for k, future in kinds if future} >= {"single_point_restoration", "full_restoration",
                                                     "probation_increment", "probation_end"}


@pytest.mark.parametrize(("text", "problem"), [
    ("Point restitué 6 mois après le paiement de l'amende du 20/03/2025, aucune infraction n'ayant été commise depuis.",
     "is not the entry's date"),
    ("Délai de 3 ans : le dossier comporte depuis le 17/05/2013 une contravention de 4e classe (« X », devenue "
     "définitive le 10/08/2021).", "bare « depuis le"),
    ("Si aucune infraction n'est commise d'ici là, vous récupérerez 1 point le 20/09/2025.", "written in the future"),
    ("", "no text"),
])
def test_the_check_catches_a_contradiction(text: str, problem: str) -> None:
    """The check is not vacuous: wrong dates, an unnamed starting point, the wrong tense, no text."""
    offence = decode_events([{"id": "o-1", "type": "offence", "committed_on": "2025-03-01",
                              "established_on": "2025-03-20", "established_by": "fixed_fine_paid", "points": 1,
                              "offence_class": "C3", "label": "X"}])[0]
    entry = Entry(dt.date(2025, 9, 21), "single_point_restoration", 1, 12, 12, "o-1", "r", text)
    assert any(problem in p for p in contradictions(entry, dt.date(2026, 1, 1), {"o-1": offence}))


def test_the_complementary_training_line_has_text() -> None:
    text = explain.complementary_training(dt.date(2020, 3, 1))
    assert "01/03/2020" in text and "01/01/2019" in text and "2 ans" in text and "18 mois" in text
