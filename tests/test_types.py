"""The boundaries between areas carry real types, and a type checker holds every call to them.

Two checks:
- `mypy` (settings in pyproject.toml) over backend/ finds no error: a licence file, a result, an event,
  a store or a connection handed across areas is what its annotation says;
- no signature under backend/ declares a parameter or a return as `Any` (alone, or as the items of a
  list, tuple, set or dependency), unless listed below with the reason: `Any` would let a wrong type
  cross a boundary unchecked. `Any` as the values of a mapping (a JSON document, a template's context)
  and `**kwargs: Any` are not boundaries of that kind and are allowed.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / "backend"

# (module path under backend/, function, parameter or "return") -> why `Any` is the honest type there.
ALLOWED: dict[tuple[str, str, str], str] = {
    # A database row, a value bound to a placeholder or read from a column: whatever SQL holds.
    ("accounts/access_log.py", "_access_row", "row"): "a database row",
    ("statement/documents.py", "_row", "row"): "a database row",
    ("statement/sharing.py", "_share", "row"): "a database row",
    ("database/__init__.py", "fetchone", "return"): "a database row",
    ("database/__init__.py", "execute", "params"): "values bound to SQL placeholders",
    ("database/__init__.py", "executemany", "rows"): "values bound to SQL placeholders",
    ("database/postgres.py", "_adapt", "value"): "a value bound to a SQL placeholder",
    ("database/postgres.py", "_adapt", "return"): "a value bound to a SQL placeholder",
    ("database/postgres.py", "adapt", "params"): "values bound to SQL placeholders",
    ("database/postgres.py", "adapt", "return"): "values bound to SQL placeholders",
    ("database/postgres.py", "execute", "params"): "values bound to SQL placeholders",
    ("database/postgres.py", "execute_fetchall", "params"): "values bound to SQL placeholders",
    ("database/postgres.py", "executemany", "rows"): "values bound to SQL placeholders",
    ("database/postgres.py", "fetch_all", "params"): "values bound to SQL placeholders",
    ("database/postgres.py", "fetch_small", "params"): "values bound to SQL placeholders",
    ("database/pg_batch.py", "fetch", "params"): "values bound to SQL placeholders (adapted)",
    ("database/replica.py", "fetch_all", "params"): "values bound to SQL placeholders",
    ("database/replica.py", "fetch_small", "params"): "values bound to SQL placeholders",
    ("database/replica.py", "_either", "params"): "values bound to SQL placeholders",
    ("database/postgres.py", "__getitem__", "return"): "a column's value",
    ("register/repository.py", "__getitem__", "return"): "a column's value (`NamedRow`, any store's row)",
    # Untrusted input: any JSON value, which the function itself checks (record-format.md).
    ("law/events.py", "event_ref", "raw"): "any JSON value of a feed line",
    ("law/events.py", "decode_event", "raw"): "any JSON value of a feed line",
    ("law/events.py", "decode_events", "raws"): "any JSON value of a feed line",
    ("accounts/franceconnect.py", "_get_json", "return"): "a JSON document from the provider",
    # Signatures fixed by someone else.
    ("law/fields.py", "__get__", "instance"): "Python's descriptor protocol",
    ("law/fields.py", "__get__", "owner"): "Python's descriptor protocol",
    ("accounts/devmail.py", "handle_DATA", "server"): "aiosmtpd's handler API",
    ("accounts/devmail.py", "handle_DATA", "session"): "aiosmtpd's handler API",
    ("accounts/devmail.py", "handle_DATA", "envelope"): "aiosmtpd's handler API",
}

_CONTAINERS = {"list", "tuple", "set", "frozenset", "Sequence", "Iterable", "NamedDependency", "Optional"}


def _is_any(node: ast.expr | None) -> bool:
    """`Any`, `Any | None`, or `Any` as the items of a container (not as a mapping's values)."""
    if node is None:
        return False
    if isinstance(node, ast.Name):
        return node.id == "Any"
    if isinstance(node, ast.Attribute):
        return node.attr == "Any"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _is_any(node.left) or _is_any(node.right)
    if isinstance(node, ast.Subscript):
        base = node.value.id if isinstance(node.value, ast.Name) else getattr(node.value, "attr", "")
        if base in _CONTAINERS:
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return any(_is_any(item) for item in items if not isinstance(item, ast.Constant))
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a quoted annotation
        try:
            return _is_any(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return False
    return False


def any_in_signatures() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(BACKEND.rglob("*.py")):
        module = str(path.relative_to(BACKEND))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                if _is_any(arg.annotation):
                    found.append((module, node.name, arg.arg))
            if args.vararg is not None and _is_any(args.vararg.annotation):
                found.append((module, node.name, "*" + args.vararg.arg))
            if _is_any(node.returns):
                found.append((module, node.name, "return"))
    return found


def test_no_signature_takes_or_returns_any_unless_said_why():
    found = any_in_signatures()
    unexplained = [entry for entry in found if entry not in ALLOWED]
    assert not unexplained, (
        "annotated Any (give the real type, or add the entry to ALLOWED with the reason):\n"
        + "\n".join(f"  backend/{module}: {function}({name})" for module, function, name in unexplained))
    stale = sorted(set(ALLOWED) - set(found))
    assert not stale, f"ALLOWED lists signatures that no longer declare Any: {stale}"


def test_the_detector_sees_any_where_it_hides():
    def annotation(text: str) -> ast.expr:
        return ast.parse(text, mode="eval").body

    for text in ("Any", "typing.Any", "Any | None", "list[Any]", "NamedDependency[Any]", "tuple[int, Any]",
                 "'Any'"):
        assert _is_any(annotation(text)), text
    for text in ("dict[str, Any]", "Mapping[str, Any]", "int", "list[int]", "Callable[..., Any]"):
        assert not _is_any(annotation(text)), text


def test_mypy_finds_no_error_in_backend():
    run = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary", "--cache-dir",
                          str(ROOT / ".mypy_cache")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"mypy (pyproject.toml [tool.mypy]) found errors:\n{run.stdout}{run.stderr}"
