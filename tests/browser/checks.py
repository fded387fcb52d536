"""Structural checks shared by the browser tests: what every page of the service must satisfy."""

from __future__ import annotations

from typing import Any

from tests.fixtures.browser import page_errors

STRUCTURE_JS = """() => {
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
  const h1 = [...document.querySelectorAll('h1')];
  const focusable = document.querySelector('a[href], button, input:not([type=hidden]), select, textarea');
  const live = document.getElementById('annonces');
  const unlabelled = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
    .map(e => e.outerHTML.slice(0, 120));
  const inlineStyle = [...document.querySelectorAll('[style]')].map(e => e.outerHTML.slice(0, 120));
  const inlineScript = [...document.querySelectorAll('script:not([src])')].filter(s => !s.type || s.type.includes('javascript')).length;
  return {
    lang: document.documentElement.lang,
    title: document.title,
    h1: h1.map(e => e.textContent.replace(/\\s+/g, ' ').trim()),
    duplicates,
    firstFocusable: focusable ? {text: focusable.textContent.trim(), href: focusable.getAttribute('href')} : null,
    main: !!document.querySelector('main#contenu[tabindex="-1"]'),
    live: live ? {role: live.getAttribute('role'), polite: live.getAttribute('aria-live')} : null,
    unlabelled, inlineStyle, inlineScript,
  };
}"""

OVERFLOW_JS = """() => {
  const root = document.documentElement;
  const wide = [...document.body.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
    .slice(0, 5).map(e => e.outerHTML.slice(0, 100));
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide};
}"""

# Links and buttons of the navigation and of forms: the targets a thumb must hit.
TARGETS_JS = """() => [...document.querySelectorAll(
    '.skip-link, .site-header a, .site-header button, .site-nav a, .site-footer__links a, '
    + 'main form button, main form input:not([type=hidden]):not([type=radio]):not([type=checkbox]), '
    + 'main form select, main .radios__label, main .button, .pagination__link')]
  .filter(e => e.getClientRects().length && !e.classList.contains('skip-link'))
  .map(e => { const r = e.getBoundingClientRect();
    return {what: e.outerHTML.slice(0, 100), width: Math.round(r.width), height: Math.round(r.height)}; })
  .filter(t => t.width < 44 || t.height < 44)"""


async def check_structure(page: Any, *, js: bool = True) -> None:
    """One h1, a title that names the page, lang="fr", unique ids, labelled fields, the skip link
    first, <main id="contenu">, the polite live region, no inline style or script, no CSP error."""
    facts = await page.evaluate(STRUCTURE_JS)
    where = page.url
    assert facts["lang"] == "fr", f"{where}: <html lang> is {facts['lang']!r}"
    assert len(facts["h1"]) == 1, f"{where}: {len(facts['h1'])} <h1> ({facts['h1']})"
    assert facts["h1"][0], f"{where}: empty <h1>"
    title = facts["title"].removeprefix("Erreur : ")
    assert title.startswith(facts["h1"][0]) and "pointspermis" in title, \
        f"{where}: the title {facts['title']!r} should start with the <h1> {facts['h1'][0]!r} and name the service"
    assert not facts["duplicates"], f"{where}: duplicate ids {facts['duplicates']}"
    assert facts["firstFocusable"] == {"text": "Aller au contenu", "href": "#contenu"}, \
        f"{where}: the first focusable element is {facts['firstFocusable']}, not the skip link"
    assert facts["main"], f"{where}: no <main id=\"contenu\" tabindex=\"-1\">"
    assert facts["live"] == {"role": "status", "polite": "polite"}, f"{where}: live region #annonces is {facts['live']}"
    assert not facts["unlabelled"], f"{where}: fields without a label: {facts['unlabelled']}"
    assert not facts["inlineStyle"], f"{where}: style attributes (blocked by the CSP): {facts['inlineStyle']}"
    assert facts["inlineScript"] == 0, f"{where}: inline <script> (blocked by the CSP)"
    errors = page_errors(page)
    assert not errors, f"{where}: console errors (CSP violations, JavaScript errors): {errors}"


async def check_no_horizontal_scroll(page: Any) -> None:
    facts = await page.evaluate(OVERFLOW_JS)
    assert facts["scrollWidth"] <= facts["clientWidth"], (
        f"{page.url}: horizontal scrolling at {facts['clientWidth']} px "
        f"(content {facts['scrollWidth']} px wide); widest elements: {facts['wide']}")


async def check_touch_targets(page: Any) -> None:
    small = await page.evaluate(TARGETS_JS)
    assert not small, f"{page.url}: touch targets smaller than 44 × 44 px: {small}"
