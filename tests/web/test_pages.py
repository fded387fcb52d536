"""Every driver page, seen by a signed-in driver: complete, structurally sound, in French,
showing that driver's facts (and only theirs)."""

from __future__ import annotations

import pytest

from tests.fixtures.web import BERNARD, DURAND, MARTIN
from tests.web.pagecheck import check_page

DRIVER_PAGES = ["/solde", "/historique", "/historique?tout=1", "/historique?type=retraits", "/calendrier", "/permis"]


@pytest.mark.parametrize("path", DRIVER_PAGES)
async def test_driver_page_is_a_complete_accessible_page(web_client, path):
    async with web_client(MARTIN.neph) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "private, no-store"
    page = check_page(response.text)
    assert "Camille Louise MARTIN" in page.text or path.startswith(("/historique", "/calendrier"))


async def test_each_page_has_its_own_title(web_client):
    async with web_client(MARTIN.neph) as client:
        titles = {path: check_page((await client.get(path)).text).title
                  for path in ["/", "/solde", "/historique", "/historique?type=stages", "/calendrier", "/permis"]}
    assert len(set(titles.values())) == len(titles), titles


async def test_home_is_public_and_says_how_fresh_the_data_is(web_client):
    async with web_client(None) as client:
        response = await client.get("/")
    page = check_page(response.text)
    assert response.status_code == 200
    assert "extrait le 29 mai 2025 à 0 h 00" in page.text  # 22:00 UTC is midnight in Paris (summer time)
    assert ("a", {"class": "button button--primary", "href": "/connexion"}) in page.elements or \
        any(tag == "a" and attrs.get("href") == "/connexion" for tag, attrs in page.elements)


async def test_driver_pages_need_a_signed_in_driver(web_client):
    async with web_client(None) as client:
        for path in ["/solde", "/historique", "/calendrier", "/calendrier.ics", "/permis"]:
            response = await client.get(path, follow_redirects=False)
            assert response.status_code in (302, 303), path
            assert response.headers["location"].startswith("/connexion"), path


async def test_balance_shows_points_status_freshness_and_next_restoration(web_client):
    async with web_client(MARTIN.neph) as client:
        page = check_page((await client.get("/solde")).text)
    text = page.text
    assert "8 points sur 12" in text
    assert ("meter", ) and any(tag == "meter" and attrs.get("value") == "8" and attrs.get("max") == "12"
                               for tag, attrs in page.elements)
    assert "Statut du permis Valide" in text
    assert "D'après le fichier national des permis de conduire à jour au 29 mai 2025" in text
    assert "une infraction récente peut ne pas encore y figurer" in text
    # the balance card names its extract before the caveat, which comes after
    assert text.index("D'après le fichier national") < text.index("Des infractions récentes peuvent manquer")
    assert "+1 point le 20 septembre 2025" in text
    assert "190575100123" in text


async def test_balance_of_a_probationary_driver_shows_probation_and_mandatory_course(web_client):
    async with web_client(DURAND.neph) as client:
        text = check_page((await client.get("/solde")).text).text
    assert "Période probatoire jusqu'au" in text
    assert "Suivez le stage obligatoire du permis probatoire (lettre 48N)" in text
    assert text.index("Que faire maintenant ?") < text.index("Solde de points")


async def test_history_lines_explain_each_offence_in_french_with_legifrance_links(web_client):
    async with web_client(MARTIN.neph) as client:
        page = check_page((await client.get("/historique")).text)
    text = page.text
    assert "Usage d'un téléphone tenu en main en conduisant" in text
    assert "Date de l'infraction 2 novembre 2024" in text
    assert "Lieu Villeurbanne (69)" in text
    assert "Devenue définitive le 1er décembre 2024, par paiement de l'amende forfaitaire" in text
    assert "Solde après : 9 points" in text
    links = [attrs["href"] for tag, attrs in page.elements if tag == "a" and "legifrance.gouv.fr" in (attrs.get("href") or "")]
    assert links, "each line links its article on Légifrance"
    # newest first
    assert text.index("20 mars 2025") < text.index("1er décembre 2024") < text.index("20 avril 2018")


async def test_history_shows_a_cancelled_withdrawal_as_annulled(web_client):
    async with web_client(MARTIN.neph) as client:
        page = check_page((await client.get("/historique")).text)
    assert "Franchissement d'une ligne continue contesté" in page.text
    assert "Cette décision a été annulée : le 30 septembre 2024, motif : décision annulée par le tribunal de police" \
        in page.text


async def test_history_defaults_to_ten_years_and_can_show_everything(web_client):
    async with web_client(MARTIN.neph) as client:
        recent = check_page((await client.get("/historique")).text)
        everything = check_page((await client.get("/historique?tout=1")).text)
    assert "Stationnement très gênant" in recent.text  # its 2016 restoration is within 10 years
    assert "Obtention du permis de conduire" not in recent.text  # 2010: older than 10 years
    assert "Voir tout l'historique (5 événements plus anciens)" in recent.text
    assert any(tag == "a" and attrs.get("href") == "/historique?type=tout&tout=1" for tag, attrs in recent.elements)
    assert "Obtention du permis de conduire" in everything.text
    assert "Revenir aux 10 dernières années" in everything.text


async def test_history_filter_works_without_javascript(web_client):
    async with web_client(MARTIN.neph) as client:
        page = check_page((await client.get("/historique?type=recuperations")).text)
    [form] = [f for f in page.forms if f.get("action", "").startswith("/historique")]
    # without JavaScript the reloaded page scrolls back to the results it asked for
    assert form["method"] == "get" and form["action"] == "/historique#history-results"
    assert form["hx-target"] == "#history-results" and form["hx-push-url"] == "true"
    checked = [attrs["value"] for tag, attrs in page.elements
               if tag == "input" and attrs.get("name") == "type" and "checked" in attrs]
    assert checked == ["recuperations"]
    assert "Reconstitution du capital de points" in page.text
    assert "Usage d'un téléphone" not in page.text
    assert "récupérations de points" in page.title


async def test_unknown_filter_value_shows_everything(web_client):
    async with web_client(MARTIN.neph) as client:
        response = await client.get("/historique?type=<script>")
    assert response.status_code == 200
    assert "<script>" not in response.text.split("</head>")[1]


async def test_calendar_lists_projected_restorations_and_assumptions(web_client):
    async with web_client(MARTIN.neph) as client:
        page = check_page((await client.get("/calendrier")).text)
    text = page.text
    assert "2 récupérations prévues" in text
    assert "Prévu le 20 septembre 2025" in text and "Prévu le 20 mars 2028" in text
    assert "Aucune nouvelle infraction entraînant un retrait de points" in text
    assert any(tag == "a" and attrs.get("href") == "/calendrier.ics" for tag, attrs in page.elements)


async def test_licence_page_lists_categories_restrictions_visits_suspensions(web_client):
    async with web_client(MARTIN.neph) as client:
        martin = check_page((await client.get("/permis")).text).text
    async with web_client(DURAND.neph) as client:
        durand = check_page((await client.get("/permis")).text).text
    assert "A2 20 avril 2018 valide" in martin
    assert "Aptitude avec restrictions constatée lors de la visite médicale du 15 janvier 2023" in martin
    assert "Aucune suspension n'est enregistrée." in martin
    assert "Suspension administrative : à partir du 1er mai 2024 jusqu'au 1er août 2024" in durand
    assert "Formation Apprentissage anticipé de la conduite (conduite accompagnée)" in durand
    assert "15 janvier 2023 : apte avec restrictions, valable jusqu'au 15 janvier 2028 (catégories B)." in martin


async def test_health_route_is_public_plain_text(web_client):
    async with web_client(None) as client:
        response = await client.get("/sante")
    assert response.status_code == 200 and response.text == "ok"


async def test_a_file_the_engine_refuses_gets_an_honest_page_not_an_error(web_client):
    async with web_client(BERNARD.neph) as client:
        balance = await client.get("/solde")
        history = await client.get("/historique?tout=1")
        calendar = await client.get("/calendrier")
    assert balance.status_code == history.status_code == calendar.status_code == 200
    text = check_page(balance.text).text
    assert "Solde non calculé" in text
    assert "date hors de la période couverte par la loi modélisée" in text
    assert "Délit ancien" in check_page(history.text).text
    assert "Calendrier non calculé" in check_page(calendar.text).text


async def test_home_for_a_signed_in_driver_leads_to_their_pages(web_client):
    async with web_client(MARTIN.neph) as client:
        page = check_page((await client.get("/")).text)
    hrefs = {attrs.get("href") for tag, attrs in page.elements if tag == "a"}
    assert {"/solde", "/historique"} <= hrefs
    assert "Créer un compte" not in page.text


@pytest.mark.parametrize(("path", "nav"), [("/solde", "/solde"), ("/historique?type=stages", "/historique"),
                                           ("/calendrier", "/calendrier"), ("/permis", "/permis")])
async def test_navigation_marks_the_current_section(web_client, path, nav):
    async with web_client(MARTIN.neph) as client:
        page = check_page((await client.get(path)).text)
    current = [attrs["href"] for tag, attrs in page.elements if tag == "a" and attrs.get("aria-current") == "page"]
    assert current == [nav]
