"""Rendered regions of a driver's page, remembered with the computed file they show.

A page region that depends only on the driver's computed file (e.g. the balance card: the file is
the same object for a given driver, day and extract, see records.service.licence_file) renders to
the same HTML every time; rendering it is most of a page's cost (Jinja macros, escaping). Here it is
rendered once per file and block and reused by the full page and by the htmx fragment alike, for
as long as it stays in `backend.caching.rendered_blocks`. Nothing of the request goes into such a
block: the names in `caching.REQUEST_NAMES` (who is signed in, the CSRF token, the current menu
entry, the request itself) are taken out of its context; the layout renders them on every page.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import jinja2
from jinja2_fragments import render_block
from markupsafe import Markup

from backend.caching import REQUEST_NAMES, rendered_blocks


def rendered_block(env: jinja2.Environment, template_name: str, block: str, source: object,
                   context: Mapping[str, Any], variant: tuple[Hashable, ...] = ()) -> Markup:
    """The HTML of `block` of `template_name` for `source` (the computed file the block shows) and
    `variant` (whatever else the block depends on, e.g. a filter), rendered the first time with
    `context` less the request's names."""
    # The entry holds `source`, so its id cannot be reused by another object while the entry exists.
    key = (id(source), template_name, block, variant)
    entry = rendered_blocks.get(key)
    if entry is not None:
        return entry[1]  # a Markup, as stored below
    shared = {name: value for name, value in context.items() if name not in REQUEST_NAMES}
    html = Markup(render_block(env, template_name, block, shared))
    rendered_blocks.put(key, (source, html))
    return html
