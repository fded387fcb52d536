"""Components read their arguments once, the same from a dict or an object (backend.rendering.templating
`timeline_fields`; summary_list, radios and select read dicts by key): what they write does not depend on
which of the two a page passes, and an absent optional field writes nothing (never "None")."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from backend.rendering.templating import TIMELINE_FIELDS, create_environment, timeline_fields


class Line(msgspec.Struct, frozen=True, kw_only=True):
    date: dt.date
    title: str
    kind: str
    body: str = ""
    change: int | None = None
    balance: int | None = None


@pytest.fixture(scope="module")
def env():
    return create_environment()


def render(env, source: str, **context) -> str:
    return env.from_string(source).render(**context)


TIMELINE = '{% from "components/timeline.html" import timeline %}{{ timeline(entries=entries) }}'


def test_timeline_fields_reads_dicts_and_objects_alike() -> None:
    line = Line(date=dt.date(2025, 3, 20), title="Feu rouge", kind="withdrawal", change=-4, balance=8)
    as_dict = {"date": dt.date(2025, 3, 20), "title": "Feu rouge", "kind": "withdrawal", "body": "",
               "change": -4, "balance": 8}
    assert timeline_fields(line) == timeline_fields(as_dict)
    fields = dict(zip(TIMELINE_FIELDS, timeline_fields(line)))
    assert fields["change"] == -4 and fields["rule_links"] is None and fields["annulled"] is False


def test_timeline_writes_the_same_for_a_dict_and_an_object(env) -> None:
    line = Line(date=dt.date(2025, 3, 20), title="Feu rouge", kind="withdrawal", body="Amende payée.",
                change=-4, balance=8)
    as_dict = msgspec.structs.asdict(line)
    html = render(env, TIMELINE, entries=[line])
    assert html == render(env, TIMELINE, entries=[as_dict])
    assert "4 points retirés" in html and "Solde après : 8 points" in html and "Amende payée." in html


def test_timeline_writes_nothing_for_absent_fields(env) -> None:
    html = render(env, TIMELINE, entries=[{"date": "2025-09-20", "title": "1 point restitué"}])
    assert "1 point restitué" in html and '<time datetime="2025-09-20">20 septembre 2025</time>' in html
    assert "None" not in html
    for absent in ("timeline__kind", "timeline__body", "timeline__details", "timeline__annulled",
                   "timeline__balance", "timeline__more", "timeline__change", " id="):
        assert absent not in html, absent
    assert "timeline__item--event" in html  # no kind: the neutral class


def test_summary_list_link_only_with_href(env) -> None:
    source = '{% from "components/summary_list.html" import summary_list %}{{ summary_list(rows=rows) }}'
    plain = render(env, source, rows=[{"key": "NEPH", "value": "190575100123"}])
    assert '<dd class="summary-list__value">190575100123</dd>' in plain and "<a" not in plain and "None" not in plain
    linked = render(env, source, rows=[{"key": "Adresse", "value": "ada@example.test", "href": "/compte/email",
                                        "action_text": "Modifier", "action_hidden": "l'adresse"}])
    assert ('<a class="summary-list__action" href="/compte/email">Modifier<span class="visually-hidden"> '
            "l&#39;adresse</span></a>") in linked
    bare = render(env, source, rows=[{"key": "Adresse", "value": "x", "href": "/compte/email"}])
    assert '<a class="summary-list__action" href="/compte/email">Voir</a>' in bare


def test_radios_and_select_read_their_items(env) -> None:
    radios = render(env, '{% from "components/radios.html" import radios %}{{ radios("type", "Afficher", '
                         'items=items, value="retraits") }}',
                    items=[{"value": "tout", "text": "Tout"},
                           {"value": "retraits", "text": "Retraits", "hint": "Les infractions."}])
    assert 'value="retraits" checked aria-describedby="type-2-aide"' in radios
    assert '<p class="radios__hint" id="type-2-aide">Les infractions.</p>' in radios
    assert 'value="tout">' in radios and "None" not in radios
    select = render(env, '{% from "components/select.html" import select %}{{ select("annee", "Année", '
                         'options=options, value=2024) }}',
                    options=[{"value": "2025", "text": "2025"}, {"value": "2024", "text": "2024"}])
    assert '<option value="2024" selected>2024</option>' in select and '<option value="2025">2025</option>' in select
