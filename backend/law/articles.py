"""The articles of the Code de la route the engine applies, and where to read them.

Articles whose Légifrance identifier (LEGIARTI) was checked in reference/law-research.md link
to the article itself (Légifrance shows the version in force and lists the earlier ones);
the others link to a Légifrance search for the article number in the Code de la route.
"""

from __future__ import annotations

import re
from urllib.parse import quote

_ARTICLE_URL = "https://www.legifrance.gouv.fr/codes/article_lc/{}"
_SEARCH_URL = "https://www.legifrance.gouv.fr/search/code?tab_selection=code&searchField=NUM_ARTICLE&query={}"

# article number -> LEGIARTI identifier of the article (law-research.md §12).
_LEGIARTI: dict[str, str] = {
    "L223-1": "LEGIARTI000006840953",
    "L223-2": "LEGIARTI000006840956",
    "L223-6": "LEGIARTI000006840966",
    "R223-1": "LEGIARTI000006841409",
}

_ARTICLE = re.compile(r"\b([LRD]\d{3}-\d+(?:-\d+)?)\b")


def article_url(article: str) -> str:
    """Légifrance URL of one article number of the Code de la route ("L223-6")."""
    legiarti = _LEGIARTI.get(article)
    if legiarti:
        return _ARTICLE_URL.format(legiarti)
    return _SEARCH_URL.format(quote(article))


def legifrance_links(rule: str) -> list[tuple[str, str]]:
    """(article, URL) for every article named in an entry's `rule` text, in order, once each.

    >>> legifrance_links("Code de la route, art. L223-1 et L223-2")[1][0]
    'L223-2'
    """
    seen: list[str] = []
    for article in _ARTICLE.findall(rule):
        if article not in seen:
            seen.append(article)
    return [(article, article_url(article)) for article in seen]
