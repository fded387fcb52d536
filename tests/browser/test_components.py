"""Every component in the states real pages rarely show at once (errors, cancelled entries, low
and probation balances, many pages), rendered in the real layout and checked in Chromium: axe
(WCAG 2.1 A/AA, light and dark), the ARIA wiring a screen reader relies on, and reflow at 320 px."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.browser.checks import check_no_horizontal_scroll, check_touch_targets
from tests.fixtures.browser import DESKTOP, NARROW

pytestmark = pytest.mark.asyncio(loop_scope="session")

GALLERY = """{% extends "base.html" %}
{% from "components/error_summary.html" import error_summary %}
{% from "components/field.html" import field %}
{% from "components/radios.html" import radios %}
{% from "components/select.html" import select %}
{% from "components/button.html" import button %}
{% from "components/notice.html" import notice %}
{% from "components/balance_meter.html" import balance_meter %}
{% from "components/summary_list.html" import summary_list %}
{% from "components/timeline.html" import timeline %}
{% from "components/pagination.html" import pagination %}
{% block main %}
{{ error_summary(errors=[("email", "Saisissez une adresse électronique valide, par exemple nom@exemple.fr"),
                         ("type", "Choisissez ce que vous voulez afficher"), ("", "Le formulaire a expiré.")]) }}
<h1>Composants</h1>
<form method="post" action="/composants" novalidate>
  {{ field("email", "Adresse électronique", type="email", hint="Celle de votre compte.", error="Saisissez une adresse électronique valide, par exemple nom@exemple.fr", autocomplete="email", spellcheck=false, value="ada@") }}
  {{ field("neph", "Numéro de dossier (NEPH)", hint="12 caractères, au dos de votre permis.", inputmode="numeric", width="medium") }}
  {{ radios("type", "Afficher", items=[{"value": "tout", "text": "Tout"}, {"value": "retraits", "text": "Retraits de points", "hint": "Infractions ayant retiré des points."}], error="Choisissez ce que vous voulez afficher", inline=true) }}
  {{ select("annee", "Année", options=[{"value": "2025", "text": "2025"}, {"value": "2024", "text": "2024"}], value="2024", hint="Année de l'événement.") }}
  {{ button("Envoyer") }} {{ button("Annuler", kind="secondary", type="button") }} {{ button("Se déconnecter", kind="link") }}
  {{ button("Supprimer mon compte", kind="warning") }} {{ button("Télécharger le relevé (PDF)", href="/releve.pdf", kind="secondary") }}
</form>
{{ notice(heading="Données à jour au 28 mai 2025", text="Les décisions les plus récentes peuvent ne pas encore figurer au fichier.", id="n1") }}
{{ notice(heading="Stage obligatoire", kind="warning", text="À suivre avant le 1er octobre 2025.", id="n2") }}
{{ notice(text="Votre mot de passe a été changé.", kind="success", id="n3") }}
{{ notice(text="Le relevé n'a pas pu être produit.", kind="error", id="n4") }}
{{ balance_meter(balance=3, maximum=8, as_of=as_of, id="solde-probatoire") }}
{{ balance_meter(balance=0, maximum=12, id="solde-nul", label="Solde nul") }}
{{ summary_list(rows=[{"key": "Numéro de dossier (NEPH)", "value": "190575100123"}, {"key": "Adresse électronique", "value": "ada@example.test", "href": "/compte/email", "action_text": "Modifier", "action_hidden": "l'adresse électronique"}]) }}
<h2>Historique</h2>
{{ timeline(entries=entries, label="Historique du dossier") }}
{{ timeline(entries=[], empty_text="Aucun événement de ce type.") }}
{{ pagination(current=4, total=9, url_pattern="/historique?page={page}", hx_target="#resultats") }}
<p id="resultats"><a id="lien-casse" href="/cette-page-n-existe-pas" hx-get="/cette-page-n-existe-pas" hx-target="#resultats">Lien vers une page disparue</a></p>
{% endblock %}"""

ENTRIES = [
    {"date": dt.date(2025, 3, 20), "date_label": "Prend effet le", "kind": "withdrawal",
     "kind_label": "Retrait de points", "title": "Excès de vitesse inférieur à 20 km/h (limite supérieure à 50 km/h)",
     "body": "Amende payée le 20 mars 2025 : les points sont retirés à cette date.", "change": -1, "balance": 8,
     "rule_links": [("art. L223-1", "https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000037035227"),
                    ("art. L223-2", "https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000006841205")],
     "details": [("Date de l'infraction", "10 mars 2025"), ("Lieu", "Lyon (69)")]},
    {"date": "2025-09-20", "date_label": "Prévu le", "kind": "single_point_restoration",
     "kind_label": "Réattribution d'un point", "title": "1 point restitué", "change": 1, "balance": 9,
     "rule": "Code de la route, art. L223-6, al. 3"},
    {"date": "2024-04-02", "kind": "withdrawal", "kind_label": "Retrait de points",
     "title": "Franchissement d'une ligne continue", "change": -4, "annulled": True,
     "annulled_reason": "décision annulée par le tribunal de police le 30 septembre 2024"},
]


async def show_gallery(page, live_server) -> None:
    env = live_server.app.state.templates
    html = env.from_string(GALLERY).render(page_title="Composants", entries=ENTRIES, as_of=dt.date(2025, 6, 1))
    await page.goto(live_server("/aide"))  # same origin: the layout's CSS and JS load from the live server
    await page.set_content(html, wait_until="load")


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_components_pass_axe(browser_page, live_server, axe_check, scheme):
    page = await browser_page(color_scheme=scheme, viewport=DESKTOP)
    await show_gallery(page, live_server)
    await axe_check(page, f"component gallery ({scheme})")
    await check_touch_targets(page)


async def test_components_reflow_at_320px(browser_page, live_server):
    page = await browser_page(viewport=NARROW)
    await show_gallery(page, live_server)
    await check_no_horizontal_scroll(page)


async def test_error_wiring(browser_page, live_server):
    page = await browser_page(viewport=DESKTOP)
    await show_gallery(page, live_server)
    summary = page.locator("[data-error-summary]")
    assert await summary.evaluate("e => e === document.activeElement"), "the error summary is not focused on load"
    assert await summary.locator("[role=alert] h2").text_content() == "Il y a un problème"
    email = page.locator("#email")
    assert await email.get_attribute("aria-invalid") == "true"
    assert await email.get_attribute("aria-describedby") == "email-aide email-erreur"
    assert "Erreur : Saisissez" in " ".join((await page.locator("#email-erreur").text_content()).split())
    assert await page.locator("fieldset").first.get_attribute("aria-describedby") == "type-erreur"
    # The summary's links lead to the fields: the first radio carries the group's id.
    await page.locator('[data-error-summary] a[href="#type"]').click()
    assert await page.evaluate("location.hash") == "#type"
    assert await page.evaluate("document.getElementById('type').type") == "radio"


async def test_meaning_never_by_colour_alone(browser_page, live_server):
    page = await browser_page(viewport=DESKTOP)
    await show_gallery(page, live_server)
    probation = " ".join((await page.locator("#solde-probatoire").inner_text()).split())
    assert "3 points sur 8" in probation and "Plafond actuel : 8 points" in probation and "Solde faible" in probation
    assert await page.locator("#solde-probatoire meter").get_attribute("value") == "3"
    assert "Solde nul" in await page.locator("#solde-nul").inner_text()
    items = page.locator(".timeline__item")
    change = items.nth(0).locator(".timeline__change")
    assert await change.locator('[aria-hidden="true"]').text_content() == "−1"  # seen
    assert await change.locator(".visually-hidden").text_content() == "1 point retiré"  # heard
    assert await items.nth(1).locator(".visually-hidden").first.text_content() == "1 point récupéré"
    annulled = " ".join((await items.nth(2).inner_text()).split())
    assert "annulé" in annulled.lower() and "n'est pas prise en compte dans le solde" in annulled
    assert await items.nth(0).locator("time").get_attribute("datetime") == "2025-03-20"
    assert "20 mars 2025" in await items.nth(0).locator("time").text_content()
    assert await page.locator('.pagination [aria-current="page"]').text_content() == "Page 4"


async def test_failed_htmx_get_falls_back_to_a_full_page(browser_page, live_server):
    """htmx 2 does not swap a 404: app.js navigates instead, so the person sees the error page."""
    page = await browser_page(viewport=DESKTOP)
    await show_gallery(page, live_server)
    async with page.expect_navigation():
        await page.locator("#lien-casse").click()
    assert page.url == live_server("/cette-page-n-existe-pas")
    assert await page.locator("h1").count() == 1
