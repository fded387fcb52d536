"""« Et si… ? » over HTTP, without a browser: the figures are those of `compute` on the driver's events plus
the hypothetical ones; bad input is named field by field and the form is kept; nothing is stored."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from backend.law import compute
from backend.law.events import Course, decode_events
from backend.law.offences import offence_event
from backend.records.labels import date_fr
from tests.fixtures.postgres import run_sql
from tests.fixtures.web import AS_OF, DURAND, DURAND_EVENTS, MARTIN, MARTIN_EVENTS
from tests.web.pagecheck import check_page


async def token(client) -> str:
    page = await client.get("/simulation")
    return re.search(r'name="_csrf_token" value="([^"]*)"', page.text).group(1)


def fine(i: int, key: str, committed: str, established: str, mode: str = "fixed_fine_paid") -> dict[str, str]:
    return {f"ev-{i}-type": "amende", f"ev-{i}-infraction": key, f"ev-{i}-commise": committed,
            f"ev-{i}-etablie": established, f"ev-{i}-mode": mode}


def course(i: int, first: str, last: str) -> dict[str, str]:
    return {f"ev-{i}-type": "stage", f"ev-{i}-debut": first, f"ev-{i}-fin": last}


def figure(text: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}"[^>]*>(.*?)</td>', text, re.S)
    assert match, f"no figure {name}"
    return " ".join(html.unescape(match.group(1)).split())


def calendar_dates(text: str) -> list[str]:
    section = re.search(r'id="simulation-calendrier".*?</ol>', text, re.S)
    return re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)"', section.group(0)) if section else []


async def post(client, data: dict[str, str], **headers) -> str:
    response = await client.post("/simulation", data={"_csrf_token": await token(client), "action": "calculer", **data},
                                 headers=headers)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["cache-control"] == "private, no-store"
    return response.text


async def test_a_four_point_fine_gives_the_engines_figures(web_client):
    async with web_client(MARTIN.neph) as client:
        text = await post(client, fine(0, "red_light", "2025-05-02", "2025-05-20"))
    check_page(text)
    events = decode_events(MARTIN_EVENTS) + [offence_event(
        "red_light", event_id="simulation-1", committed_on=dt.date(2025, 5, 2), established_on=dt.date(2025, 5, 20),
        established_by="fixed_fine_paid")]
    expected, today = compute(events, AS_OF), compute(decode_events(MARTIN_EVENTS), AS_OF)
    assert figure(text, "solde-avec") == f"{expected.balance} sur {expected.maximum}"
    assert figure(text, "solde-sans") == f"{today.balance} sur {today.maximum}"
    assert expected.balance == today.balance - 4
    assert f'data-status="{expected.status}"' in text
    later = [e for e in expected.history if e.date > AS_OF] + expected.calendar
    assert calendar_dates(text) == [e.date.isoformat() for e in later if e.change != 0 or e.kind == "probation_end"]
    assert "Simulation" in text and "contravention de 4e classe, 4 points" in html.unescape(text).lower()


async def test_a_course_credits_points_as_the_engine_says(web_client):
    async with web_client(MARTIN.neph) as client:
        text = await post(client, course(0, "2025-06-10", "2025-06-11"))
    events = decode_events(MARTIN_EVENTS) + [Course(id="simulation-1", first_day=dt.date(2025, 6, 10),
                                                    last_day=dt.date(2025, 6, 11))]
    expected = compute(events, dt.date(2025, 6, 12))
    assert figure(text, "solde-avec") == f"{expected.balance} sur {expected.maximum}"
    assert "12 juin 2025" in text


async def test_probation_fine_says_48n_course_and_invalidation(web_client):
    async with web_client(DURAND.neph) as client:
        text = html.unescape(await post(client, fine(0, "speed_40_50", "2025-05-01", "2025-05-15")))
    events = decode_events(DURAND_EVENTS) + [offence_event(
        "speed_40_50", event_id="simulation-1", committed_on=dt.date(2025, 5, 1), established_on=dt.date(2025, 5, 15),
        established_by="fixed_fine_paid")]
    expected = compute(events, AS_OF)
    assert expected.mandatory_course is not None
    assert figure(text, "stage-48n-avec") == f"avant le {date_fr(expected.mandatory_course.due_by)}"
    assert expected.status == "invalidation_pending" and f'data-status="{expected.status}"' in text
    assert "Statut : solde nul : invalidation en cours (lettre 48SI)" in text


async def test_htmx_edit_gets_only_the_result_region(web_client):
    async with web_client(MARTIN.neph) as client:
        text = await post(client, fine(0, "red_light", "2025-05-02", "2025-05-20"),
                          **{"HX-Request": "true", "HX-Target": "simulation-result"})
    assert text.strip().startswith('<section id="simulation-result"')
    assert "<form" not in text and "<h1" not in text


@pytest.mark.parametrize(("data", "field", "message"), [
    (fine(0, "red_light", "2025-02-30", "2025-03-10"), "ev-0-commise", "n'existe pas dans le calendrier"),
    (fine(0, "red_light", "3025-02-01", "2025-03-10"), "ev-0-commise", "doit être comprise entre 1992"),
    (fine(0, "red_light", "2009-02-01", "2009-03-10"), "ev-0-commise", "ne peut pas précéder l'obtention de votre permis"),
    (fine(0, "red_light", "2025-03-10", "2025-02-01"), "ev-0-etablie", "ne peut pas précéder l'infraction"),
    (fine(0, "", "2025-03-10", "2025-04-01"), "ev-0-infraction", "Choisissez l'infraction"),
    (course(0, "2025-06-10", "2025-06-01"), "ev-0-fin", "ne peut pas précéder le premier"),
    (fine(0, "earpiece", "2014-03-10", "2014-04-01"), "ev-0-commise", "28 juin 2015"),
])
async def test_bad_input_is_named_and_the_form_kept(web_client, data, field, message):
    async with web_client(MARTIN.neph) as client:
        text = html.unescape(await post(client, data))
    check_page(text.replace("<title>Erreur : ", "<title>"))  # the prefix is the error pages' own rule
    assert "<title>Erreur : " in text
    assert f'<a href="#{field}">' in text and message in text
    assert f'id="{field}"' in text and 'aria-invalid="true"' in text
    for name, value in data.items():
        if name.endswith(("commise", "etablie", "debut", "fin")) and value:
            assert f'value="{value}"' in text, f"{name} not kept"


async def test_more_than_ten_events_is_refused_and_all_rows_kept(web_client):
    data: dict[str, str] = {}
    for i in range(11):
        data.update(fine(i, "seatbelt", "2025-04-01", "2025-04-20"))
    async with web_client(MARTIN.neph) as client:
        text = html.unescape(await post(client, data))
    assert "au plus 10 événements" in text and "retirez-en 1" in text
    assert text.count('value="amende"') == 11
    assert 'data-figure="solde-avec"' not in text


async def test_the_buttons_add_and_remove_rows_without_javascript(web_client):
    async with web_client(MARTIN.neph) as client:
        t = await token(client)
        added = (await client.post("/simulation", data={"_csrf_token": t, "action": "ajouter-stage",
                                                          **fine(0, "red_light", "2025-05-02", "2025-05-20")})).text
        assert 'name="ev-1-type" value="stage"' in added and 'value="2025-05-02"' in added
        removed = (await client.post("/simulation", data={"_csrf_token": t, "action": "retirer-0",
                                                            **fine(0, "red_light", "2025-05-02", "2025-05-20"),
                                                            **course(1, "", "")})).text
        assert 'name="ev-0-type"' not in removed and 'name="ev-1-type" value="stage"' in removed


async def test_a_post_without_the_csrf_token_is_refused_and_nothing_is_stored(web_client, web_app):
    async with web_client(MARTIN.neph) as client:
        refused = await client.post("/simulation", data={"action": "calculer", **fine(0, "red_light", "2025-05-02",
                                                                                          "2025-05-20")})
        assert refused.status_code == 403
        before = (await client.get("/solde")).text
        await post(client, fine(0, "alcohol_delit", "2025-05-02", "2025-05-20"))
        after = (await client.get("/solde")).text
    assert re.sub(r'value="[^"]*"', "", before) == re.sub(r'value="[^"]*"', "", after), "the real file is unchanged"


async def test_the_simulator_is_a_driver_page(web_client):
    async with web_client(None) as client:
        response = await client.get("/simulation", follow_redirects=False)
    assert response.status_code in (302, 303) and "/connexion" in response.headers["location"]


async def test_the_measured_lag_is_shown_on_balance_help_and_simulator(web_client, web_db):
    run_sql(web_db, "INSERT INTO data_lag VALUES (1, '2025-05-29T00:00:00+00:00', '2024-05-28', '2025-05-28', 250, 42, 97)")
    async with web_client(MARTIN.neph) as client:
        pages = {path: html.unescape((await client.get(path)).text) for path in ("/solde", "/aide", "/simulation")}
        text = html.unescape(await post(client, fine(0, "red_light", "2025-05-02", "2025-05-20")))
    for path, page in pages.items():
        assert "250 retraits de points enregistrés du 28 mai 2024 au 28 mai 2025" in page, path
        assert "la moitié est apparue en 42 jours ou moins" in page and "9 sur 10 en 97 jours ou moins" in page, path
    # 2025-05-20 + 42 days = 1 July 2025 (median), + 97 days = 25 August 2025 (90th percentile)
    assert "votre retrait devrait apparaître vers le 1er juillet 2025" in text and "avant le 25 août 2025" in text


async def test_without_measure_the_usual_delay_is_said(web_client):
    async with web_client(MARTIN.neph) as client:
        page = html.unescape((await client.get("/solde")).text)
    assert "environ 2 mois après le paiement" in page
