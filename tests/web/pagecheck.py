"""Structural checks every HTML page must pass, and a small parsed view of a page for tests."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.ids: list[str] = []
        self.h1: list[str] = []
        self.title = ""
        self.lang: str | None = None
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.forms: list[dict[str, str | None]] = []
        self._in: list[str] = []
        self._text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if "id" in attributes:
            self.ids.append(attributes["id"] or "")
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag == "form":
            self.forms.append(attributes)
        if tag in ("h1", "title"):
            self._in.append(tag)
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if self._in and tag == self._in[-1]:
            text = " ".join("".join(self._text).split())
            if tag == "h1":
                self.h1.append(text)
            else:
                self.title = text
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text.append(data)

    @property
    def text(self) -> str:
        """Visible text, whitespace collapsed (scripts and tags removed)."""
        body = re.sub(r"<(script|style)\b.*?</\1>", " ", self.html, flags=re.S)
        from html import unescape

        return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())

    def with_attribute(self, name: str) -> list[tuple[str, dict[str, str | None]]]:
        return [(tag, attrs) for tag, attrs in self.elements if name in attrs]


def check_page(html: str) -> Page:
    """A full page: lang="fr", one non-empty h1, a title starting with it, unique ids, forms with an action,
    every hx-get usable without JavaScript (a link with the same href, or a form with an action)."""
    page = Page(html)
    assert html.lstrip().lower().startswith("<!doctype html>"), "a full page starts with <!DOCTYPE html>"
    assert page.lang == "fr", f"<html lang> is {page.lang!r}, expected 'fr'"
    assert len(page.h1) == 1 and page.h1[0], f"expected exactly one non-empty <h1>, found {page.h1}"
    assert page.title.startswith(page.h1[0]), f"<title> {page.title!r} should start with the <h1> {page.h1[0]!r}"
    duplicates = [i for i, n in Counter(page.ids).items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    for form in page.forms:
        assert form.get("action"), f"a form has no action: {form}"
    for tag, attrs in page.with_attribute("hx-get"):
        if tag == "a":
            assert attrs.get("href") == attrs["hx-get"], f"<a hx-get> needs the same href: {attrs}"
        else:
            assert tag == "form" and (attrs.get("action") or "").split("#")[0] == attrs["hx-get"], f"hx-get on <{tag}> without fallback"
    return page
