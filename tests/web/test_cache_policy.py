"""The cache rule (backend/caching.py): a cached block holds nothing of the request that made it.

Two people signed in to two accounts linked to the same licence file (a driver's own account and
a second one, as after a FranceConnect sign-in) view the same pages: the blocks rendered for the
first are served to the second, so they must hold neither's address, CSRF token, sign-out form or
menu — while each page around them does show its own viewer's.
"""

from __future__ import annotations

import re

import jinja2
import pytest
from litestar.testing import AsyncTestClient

from backend import caching
from backend.accounts.testing import create_linked_account, create_session
from backend.rendering.fragments import rendered_block
from backend.rendering.templating import StaticFiles, create_environment
from tests.fixtures.web import MARTIN

HX = {"HX-Request": "true"}
PAGES = ["/solde", "/historique", "/historique?type=retraits"]
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


async def _visit(client: AsyncTestClient, app, email: str) -> tuple[str, list[str]]:
    """Sign `email` in (a new session, fresh cookies) and fetch every page: (CSRF token, pages)."""
    client.cookies.clear()
    account = await create_linked_account(app.state.accounts_db, email, "un long mot de passe de test", MARTIN.neph)
    client.cookies.set(app.state.accounts.sessions.cookie_name, await create_session(app.state.accounts_db, account))
    pages = []
    for path in PAGES:
        response = await client.get(path)
        assert response.status_code == 200, path
        pages.append(response.text)
        assert (await client.get(path, headers=HX)).status_code == 200
    token = CSRF_META.search(pages[0])
    assert token, "the page carries the viewer's CSRF token"
    return token.group(1), pages


async def test_cached_blocks_hold_no_viewer_token_or_menu(web_app):
    caching.clear_all()
    async with AsyncTestClient(app=web_app) as client:
        first_token, first_pages = await _visit(client, web_app, "premiere@exemple.test")
        blocks = [html for _, html in caching.rendered_blocks.values()]
        second_token, second_pages = await _visit(client, web_app, "seconde@exemple.test")

    assert first_token != second_token
    # /solde caches two regions (the « Que faire maintenant ? » actions and the balance card).
    assert len(blocks) == len(PAGES) + 1, "each page's regions were cached once, by the first viewer"
    assert [html for _, html in caching.rendered_blocks.values()] == blocks, "the second viewer reused them"
    for page in first_pages:
        assert "premiere@exemple.test" in page and first_token in page and 'class="site-nav"' in page
    for block in blocks:
        for request_data in ("premiere@exemple.test", "seconde@exemple.test", first_token, second_token,
                             "_csrf_token", "/deconnexion", "site-nav", "Se déconnecter"):
            assert request_data not in block, f"{request_data!r} inside a cached block"
        assert any(block in page for page in second_pages), "the second viewer got the first's block"
    for page in second_pages:
        assert "seconde@exemple.test" in page and second_token in page
        assert "premiere@exemple.test" not in page and first_token not in page


def test_a_block_never_sees_the_request_names():
    """Even a block that names them renders without them: the context is stripped before rendering."""
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.html": "{% block b %}[{{ viewer }}|{{ csrf_token }}|"
                                                                 "{{ request }}|{{ view }}]{% endblock %}"}))
    source = object()
    html = rendered_block(env, "t.html", "b", source, {"viewer": "V", "csrf_token": "T", "request": "R",
                                                       "nav_current": "solde", "view": "file"})
    assert html == "[|||file]"


async def test_the_layout_cached_for_one_viewer_serves_another_and_the_signed_out(web_app):
    """The layout's fragments (menu, static links, footer) are cached by what they show, not by who asks:
    the second viewer and a signed-out visitor get the right menu and no one else's data."""
    caching.clear_all()
    async with AsyncTestClient(app=web_app) as client:
        first_token, first_pages = await _visit(client, web_app, "premiere@exemple.test")
        fragments = list(caching.layout_fragments.of(web_app.state.templates).values())
        second_token, second_pages = await _visit(client, web_app, "seconde@exemple.test")
        client.cookies.clear()
        help_page = (await client.get("/aide")).text

    assert fragments, "the layout was cached"
    for fragment in caching.layout_fragments.of(web_app.state.templates).values():
        for request_data in ("premiere@exemple.test", "seconde@exemple.test", first_token, second_token,
                             "_csrf_token", "Se déconnecter"):
            assert request_data not in fragment, f"{request_data!r} inside a layout fragment"
    for page in second_pages:  # the driver's menu, its current section marked, the viewer's own name
        assert 'href="/releve">Relevé</a>' in page and "seconde@exemple.test" in page
    assert 'href="/solde" aria-current="page">Solde</a>' in second_pages[0]
    assert 'href="/historique" aria-current="page">Historique</a>' in second_pages[1]
    menu = help_page[help_page.index('class="site-nav"'):help_page.index("</nav>")]
    assert 'href="/aide" aria-current="page">Aide</a>' in menu
    assert "/solde" not in menu and "/releve" not in menu, "a signed-out visitor sees no driver section"
    assert "Se connecter" in help_page and "Se déconnecter" not in help_page


@pytest.mark.parametrize(("source", "named"), [
    ('{% cache "f" %}{{ viewer.email }}{% endcache %}', "viewer"),
    ('{% set who = viewer %}{% cache "f", section %}{{ section }} {{ who }}{% endcache %}', "who"),
    ('{% cache "f", csrf_token %}{{ csrf_token }}{% endcache %}', "csrf_token"),
    ('{% cache "f", request.scope["path"] %}x{% endcache %}', "request"),
    # a component imported with the render's context may read anything: it binds nothing
    ('{% cache "f", n %}{% from "components/notice.html" import notice with context %}{{ notice(text=n) }}'
     '{% endcache %}', "notice"),
    ('{% cache "f", n %}{% from name import notice %}{{ notice(text=n) }}{% endcache %}', "notice"),
])
def test_a_layout_fragment_that_reads_beyond_its_key_does_not_compile(source, named):
    with pytest.raises(jinja2.TemplateSyntaxError, match=named):
        create_environment().from_string(source)


def test_a_fragment_may_import_a_component_without_context():
    caching.clear_all()
    template = create_environment().from_string(
        '{% cache "f", n %}{% from "components/notice.html" import notice %}{{ notice(text=n, id="x") }}'
        '{% endcache %}')
    assert '<p><span class="notice__kind">Information :</span> un</p>' in template.render(n="un")
    assert '<p><span class="notice__kind">Information :</span> deux</p>' in template.render(n="deux")


def test_a_layout_fragment_is_rendered_once_per_key_and_environment():
    caching.clear_all()
    source = '{% cache "f", n %}{% for i in range(n) %}{{ i }}{{ static_url("js/app.js")[:2] }}{% endfor %}{% endcache %}|{{ other }}'
    env = create_environment()
    template = env.from_string(source)
    assert template.render(n=2, other="a") == "0/s1/s|a"
    assert template.render(n=3, other="b") == "0/s1/s2/s|b"
    assert template.render(n=2, other="c") == "0/s1/s|c"
    assert len(caching.layout_fragments.of(env)) == 2
    # Another environment (here other static URLs) renders its own, never the first one's.
    other = create_environment(static=StaticFiles(prefix="/autres"))
    assert other.from_string(source).render(n=2, other="d") == "0/a1/a|d"
