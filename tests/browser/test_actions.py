"""« Que faire maintenant ? » in Chromium at 360 px, with and without JavaScript, for every showcase
status of the demo register: the region comes first after the h1 and states ONE deadline, the engine's;
axe finds nothing; the .ics carries the same date with its reminders; no page or PDF shows an INSEE code."""

from __future__ import annotations

import datetime as dt
import io
import re

import icalendar
import pypdf
import pytest

from backend.law import compute
from backend.law.events import decode_events
from backend.records.labels import date_fr
from backend.demo import generator as demo
from tests.browser.checks import check_no_horizontal_scroll, check_structure
from tests.fixtures.browser import MOBILE

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHOWCASE = {holder["neph"]: (holder, events) for holder, events in demo.showcase()}


def engine_deadline(neph: str) -> dt.date | None:
    """The date the engine gives for the situation, read straight from its result (or the record)."""
    _, raw = SHOWCASE[neph]
    result = compute(decode_events(raw), demo.TODAY)
    if result.status == "invalidation_pending":
        return None  # "before the 48SI letter": no date; never the later 48N date
    if result.status in ("invalidated", "annulled"):
        return result.new_licence_not_before
    if result.status == "suspended":
        return max(dt.date.fromisoformat(e["ends_on"]) for e in raw if e["type"] == "suspension"
                   and dt.date.fromisoformat(e["starts_on"]) <= demo.TODAY <= dt.date.fromisoformat(e["ends_on"]))
    return result.mandatory_course.due_by


STATUSES = {"100000000002": "mandatory_course", "100000000003": "invalidated", "100000000004": "invalidation_pending",
            "100000000005": "annulled", "100000000006": "suspended"}

REGION_JS = """() => {
  const main = document.querySelector('main');
  const h1 = main.querySelector('h1');
  let next = h1.nextElementSibling;
  while (next && !next.matches('section, [role=region], div, p, ul, ol, form, nav')) next = next.nextElementSibling;
  const region = document.getElementById('que-faire');
  const deadlines = region ? [...region.querySelectorAll('.action__deadline')] : [];
  return {
    firstAfterH1: next ? next.id : null,
    heading: region ? region.querySelector('h2').textContent.trim() : null,
    situation: region ? region.dataset.situation : null,
    deadlines: deadlines.map(d => ({date: d.dataset.echeance, text: d.textContent.replace(/\\s+/g, ' ').trim()})),
    times: region ? [...region.querySelectorAll('time')].map(t => t.getAttribute('datetime')) : [],
    top: region ? Math.round(region.getBoundingClientRect().top + window.scrollY) : null,
    mainText: main.innerText,
  };
}"""


def insee_codes(neph: str) -> list[str]:
    holder, _ = SHOWCASE[neph]
    return [code for code in (holder["birth_place"], holder["birth_country"]) if code]


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
@pytest.mark.parametrize("neph", list(STATUSES))
async def test_que_faire_first_with_the_engines_deadline(browser_page, live_server, axe_check, neph, js):
    page = await browser_page(js=js, neph=neph, viewport=MOBILE)
    response = await page.goto(live_server("/solde"))
    assert response is not None and response.status == 200
    facts = await page.evaluate(REGION_JS)
    where = f"/solde of {neph} ({'JS' if js else 'sans JS'})"
    assert facts["firstAfterH1"] == "que-faire", f"{where}: the first region after the h1 is {facts['firstAfterH1']}"
    assert facts["heading"] == "Que faire maintenant ?"
    assert facts["situation"] == STATUSES[neph]
    assert len(facts["deadlines"]) == 1, f"{where}: {facts['deadlines']}"
    expected = engine_deadline(neph)
    (deadline,) = facts["deadlines"]
    if expected is None:
        assert deadline["date"] == "" and "48SI" in deadline["text"]
        assert facts["times"] == []
        # the later 48N date of this probationary file appears nowhere on the page
        due = compute(decode_events(SHOWCASE[neph][1]), demo.TODAY).mandatory_course.due_by
        assert date_fr(due) not in facts["mainText"]
    else:
        assert deadline["date"] == expected.isoformat() and date_fr(expected) in deadline["text"]
        assert facts["times"] == [expected.isoformat()], f"{where}: other dates in the region {facts['times']}"
    # on a phone, the instruction starts on the first screen
    assert facts["top"] < MOBILE["height"], f"{where}: « Que faire maintenant ? » starts at {facts['top']} px"
    for code in insee_codes(neph):
        assert code not in facts["mainText"], f"{where}: INSEE code {code} shown"
    await check_structure(page, js=js)
    await check_no_horizontal_scroll(page)
    if js:
        await axe_check(page, where)
        # the legal detail is folded and opens (a native <details>)
        details = page.locator("#que-faire details").first
        await details.locator("summary").click()
        assert await details.get_attribute("open") is not None


@pytest.mark.parametrize("neph", list(STATUSES))
async def test_ics_statement_and_pdf_agree_and_show_no_insee_code(browser_page, live_server, neph):
    page = await browser_page(js=True, neph=neph, viewport=MOBILE)
    expected = engine_deadline(neph)
    ics = await page.request.get(live_server("/calendrier.ics"))
    assert ics.ok and ics.headers["content-type"].replace(" ", "") == "text/calendar;charset=utf-8"
    calendar = icalendar.Calendar.from_ical(await ics.body())
    deadlines = [e for e in calendar.walk("VEVENT") if e.walk("VALARM")]
    if expected is None:
        assert deadlines == []
    else:
        assert [e.decoded("dtstart") for e in deadlines] == [expected]
        assert sorted(a.decoded("trigger") for a in deadlines[0].walk("VALARM")) == [
            dt.timedelta(days=-14), dt.timedelta(days=-2)]
        assert date_fr(expected) in str(deadlines[0]["description"])
        await page.goto(live_server("/calendrier"))
        section = await page.locator("#echeances").inner_text()
        assert date_fr(expected) in section
    await page.goto(live_server("/releve"))
    text = await page.locator("main").inner_text()
    # on a phone, the gist and the PDF download come first
    download = page.locator('main a[href="/releve.pdf"]').first
    box = await download.bounding_box()
    assert box is not None and box["y"] + box["height"] < MOBILE["height"], f"PDF download at {box}"
    summary = await page.locator("#releve-resume").locator("xpath=..").inner_text()
    if SHOWCASE[neph][0]["neph"] in ("100000000003", "100000000005"):
        assert "solde de" not in summary  # no balance for a licence that is no longer valid
    if expected is not None and STATUSES[neph] == "mandatory_course":
        assert date_fr(expected) in text
    pdf = await page.request.get(live_server("/releve.pdf"))
    assert pdf.ok
    reader = pypdf.PdfReader(io.BytesIO(await pdf.body()))
    pdf_text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    for code in insee_codes(neph):
        assert code not in text and code not in pdf_text, f"INSEE code {code} shown on /releve or its PDF"
    assert "INSEE" not in text and "INSEE" not in pdf_text
