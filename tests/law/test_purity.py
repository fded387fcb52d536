"""The engine stays pure: backend/law imports only the standard library, msgspec and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

LAW = Path(__file__).resolve().parents[2] / "backend" / "law"
ALLOWED_THIRD_PARTY = {"msgspec"}
# I/O and clocks have no place in a pure engine; the commands (CLI entry points) may read files.
FORBIDDEN_IN_ENGINE = {"os", "io", "socket", "sqlite3", "subprocess", "time", "asyncio", "urllib.request"}
COMMANDS = {"commands_compute.py", "commands_law.py"}


def _imports(path: Path) -> list[tuple[int, str, int]]:
    """(line, module, relative level) of every import in a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, node.module or "", node.level))
    return found


def test_every_law_module_imports_only_stdlib_msgspec_and_itself() -> None:
    modules = sorted(LAW.rglob("*.py"))
    assert len(modules) >= 10
    bad = []
    for path in modules:
        for line, module, level in _imports(path):
            top = module.split(".")[0]
            if level > 0 or module == "backend.law" or module.startswith("backend.law."):
                continue
            if top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY or top == "__future__":
                if path.name not in COMMANDS and (module in FORBIDDEN_IN_ENGINE or top in FORBIDDEN_IN_ENGINE):
                    bad.append(f"{path.relative_to(LAW)}:{line} imports {module} (I/O or clock in the pure engine)")
                continue
            bad.append(f"{path.relative_to(LAW)}:{line} imports {module} (only stdlib, msgspec, backend.law)")
    assert not bad, "backend/law must stay pure:\n" + "\n".join(bad)


def test_engine_never_reads_the_clock() -> None:
    """"Today" is an argument (`as_of`), never read inside the engine (only the CLI defaults to it)."""
    offenders = [p.name for p in LAW.rglob("*.py")
                 if p.name not in COMMANDS and ("date.today(" in p.read_text() or "datetime.now(" in p.read_text())]
    assert not offenders, offenders


def test_modules_stay_small() -> None:
    long = [f"{p.relative_to(LAW)}: {n} lines" for p in LAW.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 320]
    assert not long, "split these modules (< ~300 lines each): " + ", ".join(long)
