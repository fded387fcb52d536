"""Rendered regions of a driver's page, remembered with the computed file they show.

A page region that depends only on the driver's computed file (e.g. the balance card: the file is
the same object for a given driver, day and extract, see records.service.licence_file) renders to
the same HTML every time; rendering it is most of a page's cost (Jinja macros, escaping). Here it is
rendered once per file and block and reused by the full page and by the htmx fragment alike, for
as long as the file itself stays in the records cache. Nothing of the request goes into such a
block: who is signed in, the CSRF token and the menu are in the layout, rendered on every page.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Mapping

from jinja2_fragments import render_block
from markupsafe import Markup

from backend.records.service import FILE_CACHE_SIZE

# (id of the file, template, block, variant) -> (the file, its HTML). The entry holds the file, so its id
# cannot be reused by another object while the entry exists.
_rendered: OrderedDict[tuple, tuple[object, Markup]] = OrderedDict()


def rendered_block(env: Any, template_name: str, block: str, source: object, context: Mapping[str, Any],
                   variant: tuple = ()) -> Markup:
    """The HTML of `block` of `template_name` for `source` (the computed file the block shows) and
    `variant` (whatever else the block depends on, e.g. a filter), rendered with `context` the first time."""
    key = (id(source), template_name, block, variant)
    entry = _rendered.get(key)
    if entry is not None:  # the same object: the entry holds it, so no other object has its id
        _rendered.move_to_end(key)
        return entry[1]
    html = Markup(render_block(env, template_name, block, context))
    _rendered[key] = (source, html)
    if len(_rendered) > FILE_CACHE_SIZE:
        _rendered.popitem(last=False)
    return html
