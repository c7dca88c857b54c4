"""The house rules, checked on the source: the layers (no module imports a higher one), no import
cycle, no function above the complexity cap, vendor knowledge only in the hooks (and the emulator),
a package root that holds only what Airflow and users import, nothing pointing outside the
repository. ``docs/architecture.md`` describes the layers."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "airflow_provider_sms"
#: Cyclomatic complexity (mccabe, as ruff's C901 counts it) no function may exceed, emulator aside.
MAX_COMPLEXITY = 15
#: The layers, from pure to Airflow-facing: a module may import its own layer and the ones below.
LAYERS: dict[str, int] = {
    "exceptions": 0,
    "version_compat": 0,
    "get_provider_info": 0,
    "model": 1,
    "results": 1,
    "rules": 2,
    "toolkit": 2,
    "hooks": 3,
    "sending": 4,
    "tracking": 4,
    "outputs": 4,
    "operators": 5,
    "sensors": 5,
    "triggers": 5,
    "notifications": 5,
    "transfers": 5,
    "plugins": 5,
    "emulator": 6,
}
#: What the package root may hold: the modules Airflow and DAG authors import directly.
ROOT_MODULES = {"__init__.py", "get_provider_info.py", "exceptions.py", "version_compat.py", "results.py"}
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


def _all_imports(path: Path) -> set[str]:
    """Every package module ``path`` names in an import, wherever the import stands (type-only
    and function-local imports are dependencies too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("airflow_provider_sms.")}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else 0


def test_every_module_has_a_layer():
    assert [m for m in map(_name, _modules()) if _layer(m) is None] == []


def test_no_module_imports_a_higher_layer():
    offenders = []
    for path in _modules():
        name = _name(path)
        own = _layer(name)
        for imported in sorted(_all_imports(path)):
            theirs = _layer(imported)
            if own is not None and theirs is not None and theirs > own:
                offenders.append(f"{name} (layer {own}) imports {imported} (layer {theirs})")
    assert offenders == []


def test_the_package_root_holds_only_what_users_import():
    assert {p.name for p in PACKAGE.glob("*.py")} <= ROOT_MODULES


def test_no_function_above_the_complexity_cap():
    found = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--select",
            "C901",
            "--output-format",
            "concise",
            "--config",
            f"lint.mccabe.max-complexity={MAX_COMPLEXITY}",
            "--exclude",
            "emulator",
            "--no-cache",
            str(PACKAGE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0, found.stdout


#: File names more than one module carries, each one concern seen from several layers.
SHARED_NAMES = {
    "base.py": "each Airflow face's base class (hooks, operators, sensors)",
    "delivery.py": "delivery tracking: the engine, its sensor and its trigger",
    "reply.py": "waiting for a reply: the sensor and its trigger",
    "inbound.py": "inbound SMS: the trigger, and the emulator's side of it",
    "numbers.py": "phone numbers: the rules, and the emulator's check of them",
    "primotexto.py": "one gateway: its hook and its emulator",
    "smspartner.py": "one gateway: its hook and its emulator",
    "results.py": "the data model, and its alias at the package root",
}


def test_no_two_modules_share_a_name_across_concerns():
    """Two modules may share a file name only as one concern at two layers (listed above)."""
    by_name: dict[str, list[str]] = {}
    for path in _modules():
        if path.name != "__init__.py":
            by_name.setdefault(path.name, []).append(_name(path))
    shared = {name for name, modules in by_name.items() if len(modules) > 1}
    assert shared <= set(SHARED_NAMES), {n: by_name[n] for n in shared - set(SHARED_NAMES)}


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
