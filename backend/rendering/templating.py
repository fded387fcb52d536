"""The Jinja environment: French dates, points, versioned static URLs, autoescape.

Every template (pages, components, errors, info pages) is rendered by this one environment,
so a filter defined here is available everywhere and behaves the same everywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from backend.caching import memoised, static_urls
from backend.law.dates import PARIS
from backend.records.labels import as_date, date_fr
from backend.rendering.layout_cache import LayoutCache

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
TEMPLATES_DIR = FRONTEND / "templates"
STATIC_DIR = FRONTEND / "static"
STATIC_PREFIX = "/static"

MINUS = "\u2212"  # typographic minus: screen readers say "moins", and it does not wrap like "-"


@memoised(maxsize=256)  # extract times: a handful of values, written twice on every page
def datetime_fr(value: dt.datetime | str | None) -> str:
    """An extract time in Paris local time: "25 novembre 2026 à 23 h 00"."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(PARIS)
    return f"{date_fr(moment.date())} à {moment.hour} h {moment.minute:02d}"


def points(value: int) -> str:
    """3 -> "3 points"; French puts 0 and 1 in the singular."""
    return f"{value} point" if abs(value) <= 1 else f"{value} points"


def signed_points(value: int) -> str:
    """-2 -> "−2 points", 1 -> "+1 point", 0 -> "0 point"."""
    if value > 0:
        return "+" + points(value)
    if value < 0:
        return MINUS + points(-value)
    return points(0)


def iso(value: dt.date | str | None) -> str:
    """For `<time datetime="…">`."""
    day = as_date(value)
    return day.isoformat() if day else ""


# The site menu: (key, href, text). Driver sections need a session, so they show only when signed in.
DRIVER_SECTIONS = (("solde", "/solde", "Solde"), ("historique", "/historique", "Historique"),
                   ("calendrier", "/calendrier", "Calendrier"), ("permis", "/permis", "Permis"),
                   ("releve", "/releve", "Relevé"), ("partage", "/partage", "Partager"))
ALWAYS_SECTIONS = (("aide", "/aide", "Aide"),)


def nav_section(signed_in: bool, current: str | None, path: str) -> str | None:
    """The menu's current section: `current` when a page names itself, else the section whose URL
    starts the path (/solde, /calendrier.ics, /releve/2026 …), else none."""
    if current:
        return current
    for key, href, _ in DRIVER_SECTIONS + ALWAYS_SECTIONS if signed_in else ALWAYS_SECTIONS:
        if path == href or path.startswith((href + "/", href + ".")):
            return key
    return None


def site_nav(signed_in: bool, section: str | None) -> list[tuple[str, str, bool]]:
    """The menu as (href, text, is current page): driver sections only when signed in."""
    sections = DRIVER_SECTIONS + ALWAYS_SECTIONS if signed_in else ALWAYS_SECTIONS
    return [(href, text, key == section) for key, href, text in sections]


# What components/timeline.html reads of an entry, in this order; absent fields read None (`annulled`: False).
TIMELINE_FIELDS = ("date", "title", "kind", "kind_label", "date_label", "body", "change", "balance", "rule",
                   "rule_links", "annulled", "annulled_reason", "id", "details")
_ANNULLED = TIMELINE_FIELDS.index("annulled")


def timeline_fields(entry: object) -> tuple[object, ...]:
    """An entry's TIMELINE_FIELDS, from a dict or an object alike, in one call. Jinja's `entry.x|default(none)`
    costs an exception per probe on a dict (attribute first) or for an absent attribute (then an item), and
    Undefined objects: a dozen per entry, dozens of entries per page (docs/performance.md, "Components")."""
    if isinstance(entry, Mapping):
        fields = [entry.get(name) for name in TIMELINE_FIELDS]
    else:
        fields = [getattr(entry, name, None) for name in TIMELINE_FIELDS]
    if fields[_ANNULLED] is None:
        fields[_ANNULLED] = False
    return tuple(fields)


# Links inside an element with these attributes navigate like an app (htmx): GET the page, take its
# <main id="contenu"> (the server sends only that and the title: htmx.wants_navigation), push the URL.
# Without JavaScript they are plain links. Put it on link containers only, never around a form.
BOOST = Markup('hx-boost="true" hx-target="#contenu" hx-select="#contenu" hx-swap="outerHTML show:window:top"')


class StaticFiles:
    """Versioned URLs for static files: the query string is a hash of the file's content,
    so a file can be cached for a year and a new version is fetched as soon as it changes."""

    def __init__(self, directory: Path = STATIC_DIR, prefix: str = STATIC_PREFIX) -> None:
        self.directory, self.prefix = directory, prefix

    def url(self, name: str) -> str:
        key = (str(self.directory), f"{self.prefix}/{name}")
        url = static_urls.get(key)
        if url is None:
            path = (self.directory / name).resolve()
            if self.directory.resolve() not in path.parents or not path.is_file():
                raise FileNotFoundError(f"fichier statique introuvable : {name} (dans {self.directory})")
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            url = static_urls[key] = f"{self.prefix}/{name}?v={digest}"
        return url


class Environment(jinja2.Environment):
    """Jinja's environment, with flat template globals.

    Jinja gives each template `ChainMap(template globals, environment globals)`; every
    `{% from "components/…" import … %}` then subtracts those keys from the caller's in pure
    Python (ChainMap has no C set operations): a noticeable share of a render (docs/performance.md).
    A plain dict copy does the same lookups in C. The environment's globals are all set before
    the first template is loaded (here and by Litestar when the app is built), so the copy
    misses nothing.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **d} if d else dict(self.globals)


def create_environment(templates_dir: Path = TEMPLATES_DIR, static: StaticFiles | None = None) -> jinja2.Environment:
    """The environment shared by Litestar's template engine and `backend.rendering.htmx.render`."""
    env = Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=True,  # every template is HTML, whatever its extension
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates do not change under a running server; saves a stat per render
        enable_async=False,
        extensions=[LayoutCache],
    )
    env.filters.update(date_fr=date_fr, datetime_fr=datetime_fr, points=points,
                       signed_points=signed_points, iso=iso)
    env.globals["static_url"] = (static or StaticFiles()).url
    env.globals.update(site_nav=site_nav, nav_section=nav_section, BOOST=BOOST, timeline_fields=timeline_fields)
    # What a {% cache %} fragment of the layout may read besides its key: constants for a running server.
    env.cache_safe_globals = frozenset({"static_url", "site_nav", "BOOST"})  # type: ignore[attr-defined]
    return env
