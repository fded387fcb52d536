"""`{% cache "name", key… %}…{% endcache %}`: a piece of the layout rendered once per key.

The layout around every page (the links to the stylesheets, the menu, the footer's links) is the same
for every request with the same key — e.g. the menu for (signed in or not, current section) — yet it
was rendered again for each request: a fifth of a page's render when the page's own regions come from
`backend.rendering.fragments`. Here it is rendered once per key and kept in `caching.layout_fragments`.

The rule that keeps this safe is checked when the template is compiled, not hoped for: the body of a
`{% cache %}` tag may read only the names of its key, names it binds itself (a `for` target, a component
it imports without the render's context) and the environment's constant globals (`cache_safe_globals`,
e.g. `static_url`). A body that reads anything else — the viewer, the CSRF token, the request, a
variable set from them — is a TemplateSyntaxError that names it, so a fragment cannot come to depend on
something its key does not say.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable

from jinja2 import nodes
from jinja2.defaults import DEFAULT_NAMESPACE
from jinja2.environment import Environment
from jinja2.exceptions import TemplateSyntaxError
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup

from backend.caching import REQUEST_NAMES, layout_fragments

# Names a fragment may always read: Jinja's own constants and constant functions (range, dict …).
_BOUND_BY_JINJA = frozenset({"loop", "true", "false", "none", "True", "False", "None", *DEFAULT_NAMESPACE})
_macro_numbers = itertools.count()


def _names(node: nodes.Node, ctx: str) -> set[str]:
    found = [node, *node.find_all(nodes.Name)] if isinstance(node, nodes.Name) else node.find_all(nodes.Name)
    return {name.name for name in found if name.ctx == ctx}


def _imported(node: nodes.Node) -> set[str]:
    """The names a fragment binds by importing a component (`{% from … import x %}`, `{% import … as y %}`)
    from a template named by a constant, without the render's context: the same macros on every render.
    An import `with context` binds nothing here: its macros may read anything the key does not name."""
    found: set[str] = set()
    for statement in [node, *node.find_all((nodes.FromImport, nodes.Import))]:
        if not isinstance(statement, (nodes.FromImport, nodes.Import)) or statement.with_context:
            continue
        if not isinstance(statement.template, nodes.Const):
            continue
        if isinstance(statement, nodes.FromImport):
            found.update(name if isinstance(name, str) else name[1] for name in statement.names)
        else:
            found.add(statement.target)
    return found


class LayoutCache(Extension):
    tags = {"cache"}

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.extend(cache_safe_globals=frozenset())

    def parse(self, parser: Parser) -> list[nodes.Node]:
        lineno = next(parser.stream).lineno
        key = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            key.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        self._check(key, body, lineno, parser)
        # The body becomes a private macro and the tag an output of its cached result — not a CallBlock,
        # which Jinja writes out even where output is off (outside the blocks of a page that extends
        # another, as base.html does for an htmx navigation). The template's name is part of the key:
        # two templates may name their fragments alike. Both go inside a Scope: a macro at a template's top
        # level is stored in the render's context, which its function closes over — a reference cycle that
        # kept every request alive until the cyclic collector ran (tests/web/test_request_garbage.py).
        macro = f"_cached_fragment_{next(_macro_numbers)}"
        call = self.call_method("_render", [nodes.Tuple([nodes.Const(parser.name), *key], "load"),
                                            nodes.Name(macro, "load")])
        return [nodes.Scope([nodes.Macro(macro, [], [], body).set_lineno(lineno),
                             nodes.Output([call]).set_lineno(lineno)]).set_lineno(lineno)]

    def _check(self, key: list[nodes.Expr], body: list[nodes.Node], lineno: int, parser: Parser) -> None:
        if not isinstance(key[0], nodes.Const) or not isinstance(key[0].value, str):
            parser.fail("{% cache %} commence par le nom du fragment, entre guillemets", lineno)
        keyed = set().union(*(_names(expr, "load") for expr in key))
        read: set[str] = set()
        bound: set[str] = set()
        for node in body:
            read |= _names(node, "load")
            bound |= _names(node, "store") | _names(node, "param") | _imported(node)
        allowed = keyed | bound | _BOUND_BY_JINJA | self.environment.cache_safe_globals  # type: ignore[attr-defined]
        outside = sorted((read - allowed) | ((read | keyed) & REQUEST_NAMES))
        if outside:
            raise TemplateSyntaxError(
                f"le fragment {key[0].value!r} lit {', '.join(outside)} sans que sa clé en dépende : "
                "ajoutez ces valeurs à la clé de {% cache %} ou sortez-les du fragment", lineno,
                parser.name, parser.filename)

    def _render(self, key: tuple[Hashable, ...], body: Callable[[], str]) -> Markup:
        fragments = layout_fragments.of(self.environment)
        html = fragments.get(key)
        if html is None:
            html = fragments.put(key, Markup(body()))
        return html
