"""« Et si… ? » in the browser at 360 px, with and without JavaScript, on demo files: a 4-point fine and a
course; every figure shown is `compute`'s on the driver's events plus the same hypothetical ones (with the
recording day the register's measured lag gives). With JavaScript the result region follows the edits and
the focus stays in the form; bad input gets the error summary and keeps the form."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from backend.law import compute
from backend.law.events import Course
from backend.law.offences import offence_event
from backend.records.labels import date_fr
from backend.demo import generator as demo
from backend.register import lag
from backend.database.db import Database
from backend.register.repository import SqlRegister
from tests.browser.checks import check_no_horizontal_scroll, check_structure, check_touch_targets
from tests.browser.test_history_filter import wait_until
from tests.fixtures.browser import MOBILE

pytestmark = pytest.mark.asyncio(loop_scope="session")

TODAY = demo.TODAY
COMMITTED = TODAY - dt.timedelta(days=30)
PAID = TODAY - dt.timedelta(days=10)
COURSE = (TODAY + dt.timedelta(days=14), TODAY + dt.timedelta(days=15))


async def expected(live_server, neph: str, hypothetical: list):
    """compute() on the driver's file plus `hypothetical`, read on the day the page reads it."""
    db = await Database.open(live_server.db_path)
    try:
        _, events = await SqlRegister(db).get_file(neph)
        figures = await lag.read(db)
    finally:
        await db.close()
    if figures is not None and figures.usable:
        hypothetical = [msgspec.structs.replace(e, recorded_on=e.established_on + dt.timedelta(days=figures.median_days))
                        if e.__struct_config__.tag == "offence" else e for e in hypothetical]
    as_of = max([TODAY] + [e.known_on for e in hypothetical])
    return compute(events, as_of), compute([*events, *hypothetical], as_of), as_of


async def shown(page) -> dict[str, str]:
    return await page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#simulation-result [data-figure]')]
        .map(e => [e.dataset.figure, e.textContent.replace(/\\s+/g, ' ').trim()]))""")


async def calendar_shown(page) -> list[str]:
    return await page.evaluate("""() => [...document.querySelectorAll('#simulation-calendrier time')]
        .map(t => t.getAttribute('datetime'))""")


def check_figures(figures: dict[str, str], without, with_events, as_of) -> None:
    assert figures["solde-sans"] == f"{without.balance} sur {without.maximum}"
    assert figures["solde-avec"] == f"{with_events.balance} sur {with_events.maximum}"
    due = with_events.mandatory_course.due_by if with_events.mandatory_course else None
    assert figures["stage-48n-avec"] == (f"avant le {date_fr(due)}" if due else "aucun")
    course_from = with_events.next_course_credit_from
    assert figures["stage-avec"] == (f"se terminant le {date_fr(course_from)} ou après" if course_from
                                     else "dès maintenant")
    upcoming = next((e for e in with_events.calendar if e.change > 0), None)
    if upcoming is None:
        assert figures["prochaine-avec"] == "aucune"
    else:
        assert figures["prochaine-avec"].endswith(f"le {date_fr(upcoming.date)}")


def later_dates(result) -> list[str]:
    lines = [e for e in result.history if e.date > TODAY] + list(result.calendar)
    return [e.date.isoformat() for e in lines if e.change != 0 or e.kind == "probation_end"]


async def fill_fine(page, key: str) -> None:
    await page.locator("#ev-0-infraction").select_option(key)
    await page.locator("#ev-0-commise").fill(COMMITTED.isoformat())
    await page.locator("#ev-0-etablie").fill(PAID.isoformat())


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
@pytest.mark.parametrize("driver", ["martin", "bernard"])
async def test_a_four_point_fine(browser_page, live_server, axe_check, driver, js):
    neph = live_server.nephs[driver]
    page = await browser_page(js=js, neph=neph, viewport=MOBILE)
    await page.goto(live_server("/simulation"))
    await fill_fine(page, "red_light")
    if js:
        await page.evaluate("window.__same_document = true")
        await page.locator("#ev-0-etablie").press("Tab")  # a change: the result region follows
        await wait_until(page, "() => !!document.querySelector('#simulation-result [data-figure=\"solde-avec\"]')",
                         "the result after an edit")
        assert await page.evaluate("document.activeElement.id") != "resultat-titre", "the focus stays in the form"
        await wait_until(page, "() => document.getElementById('annonces').textContent.includes('Simulation mise à jour')",
                         "the live region says the result changed")
        assert await page.evaluate("window.__same_document === true")
    else:
        async with page.expect_navigation():
            await page.get_by_role("button", name="Calculer").click()
    event = offence_event("red_light", event_id="simulation-1", committed_on=COMMITTED, established_on=PAID,
                          established_by="fixed_fine_paid")
    without, with_events, as_of = await expected(live_server, neph, [event])
    check_figures(await shown(page), without, with_events, as_of)
    assert await calendar_shown(page) == later_dates(with_events)
    text = await page.locator("#simulation-result").text_content()
    assert "Simulation" in text and "devrait apparaître vers le" in text
    await check_structure(page, js=js)
    await check_no_horizontal_scroll(page)
    await check_touch_targets(page)
    if js:
        await axe_check(page, f"/simulation of {driver} with a fine")


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
async def test_a_course(browser_page, live_server, axe_check, js):
    neph = live_server.nephs["bernard"]
    page = await browser_page(js=js, neph=neph, viewport=MOBILE)
    await page.goto(live_server("/simulation"))
    for button, done in (("Retirer l'événement 1", "document.getElementById('ev-0-infraction') === null"),
                         ("Ajouter un stage", "document.getElementById('ev-0-debut') !== null")):
        if js:
            await page.get_by_role("button", name=button).click()
            await wait_until(page, f"() => {done}", f"the form after « {button} »")
        else:
            async with page.expect_navigation():
                await page.get_by_role("button", name=button).click()
    if js:
        await wait_until(page, "() => document.activeElement.tagName === 'LEGEND'", "the focus on the new row")
    await page.locator("#ev-0-debut").fill(COURSE[0].isoformat())
    await page.locator("#ev-0-fin").fill(COURSE[1].isoformat())
    if js:
        await page.get_by_role("button", name="Calculer").click()
    else:
        async with page.expect_navigation():
            await page.get_by_role("button", name="Calculer").click()
    if js:
        await wait_until(page, "() => document.activeElement && document.activeElement.id === 'resultat-titre'",
                         "the focus on the result")
    else:
        await page.wait_for_load_state()
    course = Course(id="simulation-1", first_day=COURSE[0], last_day=COURSE[1])
    without, with_events, as_of = await expected(live_server, neph, [course])
    check_figures(await shown(page), without, with_events, as_of)
    assert await calendar_shown(page) == later_dates(with_events)
    await check_structure(page, js=js)
    if js:
        await axe_check(page, "/simulation with a course")


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
async def test_bad_dates_get_the_error_summary_and_keep_the_form(browser_page, live_server, axe_check, js):
    page = await browser_page(js=js, neph=live_server.nephs["martin"], viewport=MOBILE)
    await page.goto(live_server("/simulation"))
    await page.locator("#ev-0-infraction").select_option("phone_handheld")
    await page.locator("#ev-0-commise").fill("1969-05-04")  # before the licence, and before the points licence
    await page.locator("#ev-0-etablie").fill(PAID.isoformat())
    await page.get_by_role("button", name="Calculer").click()
    await wait_until(page, "() => document.activeElement && document.activeElement.id === 'erreurs'",
                     "the focus on the error summary")
    # htmx focuses the summary (autofocus) while swapping; the title follows when the swap settles.
    await wait_until(page, "() => document.title.startsWith('Erreur : ')", "the title saying « Erreur : »")
    summary = await page.locator("#erreurs").text_content()
    assert "Événement 1" in summary and "1992" in summary
    assert await page.locator("#ev-0-infraction").input_value() == "phone_handheld"
    assert await page.locator("#ev-0-etablie").input_value() == PAID.isoformat()
    await check_structure(page, js=js)
    if js:
        await axe_check(page, "/simulation with errors")
