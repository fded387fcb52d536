"""Dependencies between areas run one way: a reviewer can draw the architecture from the folders.

    base (settings, caching, process) ← law ← register ← records ← rendering ← web | accounts | statement ← app
                                          ↖ database ↙                                                 (and the CLI)

Every module under backend/ is parsed (ast, nothing imported) and each of its imports of a project
module is checked against the table below: an import that runs upward or sideways fails, as does
an import of `backend.app` (the composition root nothing imports), an import inside a function
(a lazy import hides a cycle instead of breaking it) and an import of another area's private
name (`_name`, or a `_module`). tests/law/test_purity.py keeps the engine free of everything else.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / "backend"

# Module prefix -> area (the longest prefix wins).
AREAS = {
    "backend": "base", "backend.settings": "base", "backend.caching": "base", "backend.process": "base",
    "backend.law": "law",
    "backend.database": "database",
    "backend.register": "register",
    "backend.records": "records",
    "backend.rendering": "rendering",
    "backend.web": "web", "backend.accounts": "accounts", "backend.statement": "statement",
    "backend.demo": "demo",
    "backend.app": "app",
    "backend.cli": "entry", "backend.__main__": "entry",
}
_BELOW_PAGES = {"base", "law", "database", "register", "records", "rendering"}
# Area -> the areas its modules may import (itself included).
MAY_IMPORT = {
    "base": {"base"},
    "law": {"law"},
    "database": {"base", "database"},
    "register": {"base", "law", "database", "register"},
    "records": {"base", "law", "database", "register", "records"},
    "rendering": {"base", "law", "database", "register", "records", "rendering"},
    # Beside each other: none of the three imports another (accounts reach pages through
    # backend.rendering.context's hook, wired by the composition root).
    "web": _BELOW_PAGES | {"web"},
    "accounts": _BELOW_PAGES | {"accounts"},
    "statement": _BELOW_PAGES | {"statement"},
    "demo": {"base", "law", "database", "register", "demo"},
    "app": _BELOW_PAGES | {"web", "accounts", "statement"},
    "entry": {"base", "entry"},  # the CLI loads each command by name (importlib), never statically
}

def area_of(module: str) -> str | None:
    parts = module.split(".")
    for end in range(len(parts), 1, -1):  # `backend` itself is base, not what lies under it
        area = AREAS.get(".".join(parts[:end]))
        if area is not None:
            return area
    return AREAS.get(module)


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[tuple[str, list[str]]]:
    """(absolute module, names taken from it) for one import statement."""
    if isinstance(node, ast.Import):
        return [(alias.name, []) for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([base] if base else []))
    names = [alias.name for alias in node.names]
    # `from backend.x import y` may name a submodule: check `backend.x.y` as the target too.
    return [(base, names)] + [(f"{base}.{name}", []) for name in names if (ROOT / Path(*base.split("."), name)).exists()
                              or (ROOT / Path(*base.split("."), f"{name}.py")).exists()]


def _private(module: str, names: list[str]) -> list[str]:
    parts = module.split(".")[1:] + names
    return [part for part in parts if part.startswith("_") and not part.startswith("__")]


def problems(module: str, source: str, *, is_package: bool = False) -> list[tuple[str, str]]:
    """(kind, message) for every import of `module` (its `source`) that breaks the rules."""
    own = area_of(module)
    if own is None:
        return [("unknown", f"{module} is in no area: add its folder to AREAS in tests/test_dependencies.py")]
    tree = ast.parse(source)
    found: list[tuple[str, str]] = []
    top_level = {id(node) for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))}
    for scope in ast.walk(tree):
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for node in ast.walk(scope):
                top_level.discard(id(node))
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        for target, names in _imported(node, module, is_package):
            if target != "backend" and not target.startswith("backend."):
                continue
            where = f"{module}:{node.lineno}"
            theirs = area_of(target)
            if id(node) not in top_level:
                found.append(("lazy", f"{where} imports {target} inside a function: import at the top of the module; "
                                      "if that makes a cycle, move the shared part down to a module both can import"))
            if theirs == "app":
                found.append(("upward", f"{where} imports {target}: nothing imports the composition root"))
            elif theirs is not None and theirs not in MAY_IMPORT[own]:
                found.append(("upward", f"{where} imports {target}: {own} may import only "
                                        f"{', '.join(sorted(MAY_IMPORT[own]))} (see the table in tests/test_dependencies.py)"))
            if theirs != own and (private := _private(target, names)):
                found.append(("private", f"{where} uses {', '.join(private)} of {target}: another area's private "
                                         "names; ask that area for a public name"))
    return found


def project_problems() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(BACKEND.rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        for kind, message in problems(module_name(path), path.read_text(encoding="utf-8"),
                                      is_package=path.name == "__init__.py"):
            found.setdefault((relative, kind), []).append(message)
    return found


def test_imports_run_one_way() -> None:
    found = project_problems()
    assert len(list(BACKEND.rglob("*.py"))) > 50
    bad = [message for messages in found.values() for message in messages]
    assert not bad, "imports against the direction of the architecture:\n" + "\n".join(bad)


@pytest.mark.parametrize(("module", "source", "kind"), [
    ("backend.records.views", "from backend.web.pages import balance", "upward"),
    ("backend.law.engine", "import backend.register.repository", "upward"),
    ("backend.web.errors", "from backend.accounts.session import template_context", "upward"),
    ("backend.accounts.pages", "from backend.statement import routes", "upward"),
    ("backend.rendering.htmx", "from backend.web import errors", "upward"),
    ("backend.web.pages.home", "from backend.app import create_app", "upward"),
    ("backend.web.pages.home", "from backend import app", "upward"),
    ("backend.records.service", "from ..web import pages", "upward"),
    ("backend.records.service", "def f():\n    from backend.law import compute\n", "lazy"),
    ("backend.web.app_helpers", "async def f():\n    import backend.records.views\n", "lazy"),
    ("backend.register.linecheck", "from backend.law.events import Event, _reword", "private"),
    ("backend.statement.routes", "from backend.web.pages._common import PRIVATE", "private"),
    ("backend.newarea.thing", "import os", "unknown"),
])
def test_the_checker_catches(module: str, source: str, kind: str) -> None:
    assert kind in {found for found, _ in problems(module, source)}


@pytest.mark.parametrize(("module", "source"), [
    ("backend.web.pages.home", "from backend.records.service import extract_time\nfrom backend.rendering.htmx import render"),
    ("backend.app", "from backend.accounts.plugin import AccountsPlugin\nfrom backend.web import pages"),
    ("backend.records.service", "def f():\n    import json\n"),
    ("backend.web.pages.balance", "from backend.web.pages._common import PRIVATE"),
    ("backend.web.pages", "from . import balance"),
])
def test_the_checker_allows(module: str, source: str) -> None:
    assert problems(module, source, is_package=module == "backend.web.pages") == []


def test_only_the_process_settings_touch_the_garbage_collector() -> None:
    """The collector is one per process: tuning or pausing it is a process setting (backend/process.py)."""
    users = []
    for path in sorted(BACKEND.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(alias.name == "gc" for alias in node.names) \
                    or isinstance(node, ast.ImportFrom) and node.module == "gc":
                users.append(str(path.relative_to(ROOT)))
    assert users == ["backend/process.py"], f"use backend.process (collector_paused, settle_after_start) in: {users}"


def test_caches_live_in_the_cache_module() -> None:
    """A cache is kept in backend/caching.py, where its size, lifetime and the no-request-data rule are
    stated; `functools.cache` stays allowed for data loaded once (settings, a word list)."""
    makers = {"lru_cache", "OrderedDict", "WeakKeyDictionary", "WeakValueDictionary"}
    users = []
    for path in sorted(BACKEND.rglob("*.py")):
        if path.name == "caching.py" and path.parent == BACKEND:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
            if name in makers:
                users.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert not users, "keep caches in backend/caching.py (LastUsed, PerOwner, memoised): " + ", ".join(users)
