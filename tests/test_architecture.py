"""The house rules, checked on the source: small modules, no import cycle, vendor knowledge only in
the hooks (and the emulator), nothing pointing outside the repository."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "airflow_provider_sms"
MAX_LINES = 350
#: Where a gateway's name may decide something: its hook, its emulator part, and the registries
#: that list the gateways (connection type -> hook class, provider metadata).
VENDOR_AWARE = ("hooks/", "emulator/", "get_provider_info.py")
VENDOR_NAMES = ("primotexto", "smspartner", "sms partner")


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """Package modules imported when ``path`` is imported (not under ``TYPE_CHECKING``, not in
    function bodies, which run later)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for child in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) else ():
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.add(child.module)
                found.update(f"{child.module}.{alias.name}" for alias in child.names)
            elif isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
    return {name for name in found if name.startswith("airflow_provider_sms")}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_the_size_limit(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_no_import_cycle():
    modules = {_name(p): p for p in _modules()}
    graph = {
        name: {m for m in _runtime_imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }
    # A package's __init__ importing its own submodules is how Python packages work, not a cycle.
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if node.startswith(nxt + "."):
                continue  # importing a module imports its parent package first
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def _vendor_decisions(path: Path) -> list[str]:
    """Comparisons, membership tests and dict lookups keyed by a vendor's name."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.Compare, ast.Subscript, ast.Match)):
            text = ast.unparse(node).lower()
            if any(f"'{name}'" in text or f'"{name}"' in text for name in VENDOR_NAMES):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_nothing_outside_the_hooks_branches_on_a_vendor():
    offenders = []
    for path in _modules():
        relative = str(path.relative_to(PACKAGE))
        if relative.startswith(VENDOR_AWARE):
            continue
        offenders += _vendor_decisions(path)
        source = path.read_text()
        offenders += [
            f"{relative}: {pattern}"
            for pattern in ("inspect.signature(", "getattr(hook", "conn_type ==", "conn_type in")
            if pattern in source
        ]
    assert offenders == []


def test_nothing_in_the_repository_points_outside_it():
    pattern = re.compile(r"sms-api-reference|\.\./shared/|(?<!= )\[(?:I|U|C)\](?![\]),(])")
    offenders = []
    for path in [
        *ROOT.glob("*.md"),
        *ROOT.glob("docs/*.md"),
        *PACKAGE.rglob("*.py"),
        *ROOT.glob("tests/**/*.py"),
    ]:
        if path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert offenders == []


def test_package_ships_type_information():
    assert (PACKAGE / "py.typed").exists()
