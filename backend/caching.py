"""Every cache the service keeps in a process, and the rule they all keep.

The rule: a cache holds only what is the same for every request that may reuse it — a computed
licence file (for one register, driver, day and extract), a region of a page rendered from such a
file alone, a formatted value — and never anything of the request: who is signed in, the CSRF token,
the menu. Those are rendered on every page, in the layout, around the cached regions.
`REQUEST_NAMES` are taken out of the context a cached block is rendered with, and
tests/web/test_cache_policy.py renders for two viewers and checks what the cache holds.

What is kept, how much and for how long:
- `licence_files`: per register, the computed `LicenceFile` for (neph, as_of, the register's version),
  `FILE_CACHE_SIZE` of them, least recently used first out; every import changes the version.
- `latest_extracts`: per register, the latest extract and the register's version, re-read at most every
  `EXTRACT_TTL_SECONDS`
  (so an import is seen by every page at most that much later).
- `data_lags`: per register, the data lag measured at the last import, re-read when the version changes.
- `rendered_blocks`: HTML of page regions for one computed file (held with it, so that its id is
  not reused), `REGIONS_PER_FILE` for each file `licence_files` holds.
- `file_derived`: values derived from one computed file (its actions, its course advice, its balance
  view), as many as three per file `licence_files` holds.
- `layout_fragments`: pieces of the layout around every page (the menu, the links to the static
  files), per Jinja environment, one per key they declare (e.g. signed in or not, current section):
  `LAYOUT_FRAGMENTS_SIZE`.
  Their own rule, checked when a template is compiled (backend/rendering/layout_cache.py): a fragment
  reads nothing but its key and constant globals, and never a request name.
- `memoised` functions (formatters, parsed stylesheets) and `static_urls`: small and bounded.
Why these and what they save: docs/performance.md. `clear_all()` empties everything (benchmarks of
a first visit, tests).

This module imports nothing of the project: every area may use it.
"""

from __future__ import annotations

import functools
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from markupsafe import Markup

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
F = TypeVar("F", bound=Callable[..., Any])

FILE_CACHE_SIZE = 4096
"""Computed files kept per process and register (a few KB each), with up to `REGIONS_PER_FILE` rendered regions each."""
EXTRACT_TTL_SECONDS = 2.0
"""How long the latest extract is trusted without reading the register again: the cheap check (one
indexed row, at most every 2 s per worker) by which an import made anywhere — another process, another
instance on the same PostgreSQL — reaches every worker's pages within 2 s."""
LAYOUT_FRAGMENTS_SIZE = 256
"""Layout pieces kept per process: a few dozen keys in practice (2 sign-in states × 8 sections …)."""
REQUEST_NAMES = frozenset({"request", "viewer", "csrf_token", "nav_current"})
"""Template names that belong to one request: never in the context of a cached block."""


class LastUsed(Generic[K, V]):
    """A mapping of at most `size` entries; the least recently used goes first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> V:
        self._entries[key] = value
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value

    def __contains__(self, key: object) -> bool:
        """Whether `key` is held, without counting as a use (the order stays as it was)."""
        return key in self._entries

    def values(self) -> list[V]:
        return list(self._entries.values())

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class PerOwner(Generic[V]):
    """One value per owner (e.g. per register), forgotten with the owner (weak keys)."""

    def __init__(self, make: Callable[[], V] | None = None) -> None:
        self._make = make
        self._values: weakref.WeakKeyDictionary[object, V] = weakref.WeakKeyDictionary()

    def get(self, owner: object) -> V | None:
        return self._values.get(owner)

    def put(self, owner: object, value: V) -> None:
        self._values[owner] = value

    def of(self, owner: object) -> V:
        """The owner's value, made the first time (needs `make`)."""
        value = self._values.get(owner)
        if value is None:
            assert self._make is not None, "a PerOwner without `make` is filled with put()"
            value = self._values[owner] = self._make()
        return value

    def clear(self) -> None:
        self._values.clear()


def derived_from(file: object, what: str, make: Callable[[], V]) -> V:
    """The value `make()` derives from the computed `file` alone, made once per file object."""
    key = (id(file), what)
    cached = file_derived.get(key)
    if cached is not None and cached[0] is file:
        return cached[1]
    value = make()
    file_derived.put(key, (file, value))
    return value


_MEMOISED: list[Any] = []


def memoised(maxsize: int | None) -> Callable[[F], F]:
    """`functools.lru_cache`, registered here so that `clear_all()` empties it too."""

    def decorate(function: F) -> F:
        cached = functools.lru_cache(maxsize=maxsize)(function)
        _MEMOISED.append(cached)
        return cached  # type: ignore[return-value]

    return decorate


# The caches themselves. A value's type belongs to the area that fills the cache, which this module (below
# every area) cannot name: those values are `Any` here and typed where they are read.
licence_files: PerOwner[LastUsed[tuple, Any]] = PerOwner(lambda: LastUsed(FILE_CACHE_SIZE))
"""register -> (neph, as_of, extract version) -> `backend.records.service.LicenceFile`."""
latest_extracts: PerOwner[tuple[float, Any, Any]] = PerOwner()
"""register -> (valid until, on the monotonic clock; extracted_at; extract version)."""
data_lags: PerOwner[tuple[Any, Any]] = PerOwner()
"""register -> (extract version, `backend.register.lag.DataLag` or None): re-read when the extract changes."""
REGIONS_PER_FILE = 3
"""Cached regions per computed file: /solde has two (« Que faire maintenant ? », the card), /historique one
per filter. With one per file, a driver's /historique pushed out another driver's /solde regions while both
files were still cached: every page-to-page /solde then rendered its card again."""
rendered_blocks: LastUsed[tuple, tuple[object, Markup]] = LastUsed(REGIONS_PER_FILE * FILE_CACHE_SIZE)
"""(id of the file, template, block, variant) -> (the file, its HTML)."""
file_derived: LastUsed[tuple, tuple[object, Any]] = LastUsed(3 * FILE_CACHE_SIZE)
"""(id of the file, what) -> (the file, a value derived from that computed file alone: its
« Que faire maintenant ? » actions, its course advice, its balance view). Held with the file, so that its id is not reused."""
layout_fragments: PerOwner[LastUsed[tuple, Any]] = PerOwner(lambda: LastUsed(LAYOUT_FRAGMENTS_SIZE))
"""Jinja environment -> (template, fragment name, key…) -> its HTML (backend/rendering/layout_cache.py).
Per environment: another one (a test's, other templates or static files) never gets these fragments."""
static_urls: dict[tuple[str, str], str] = {}
"""(static directory, file name) -> versioned URL (the content's hash does not change under a running server)."""


def clear_all() -> None:
    """Forget everything kept: the next request of every driver is a first visit."""
    licence_files.clear()
    latest_extracts.clear()
    data_lags.clear()
    rendered_blocks.clear()
    file_derived.clear()
    layout_fragments.clear()
    static_urls.clear()
    for cached in _MEMOISED:
        cached.cache_clear()
