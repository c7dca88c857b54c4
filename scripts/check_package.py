"""The Python half of scripts/check-package.sh: what the built package must hold.

``contents WHEEL SDIST``: the wheel holds ``py.typed``, the license, the three entry points
(provider info, the ``airflow.plugins`` plugin, the ``sms-gateway-emulator`` script) and no test
code; the sdist holds the license and the changelog.

``installed SOURCE_TREE`` (run by the fresh venv's Python, outside the checkout): the provider is
imported from site-packages, not from the checkout; Airflow's entry points find its provider info
and its plugin; every module and class the provider info names imports; its version is the
package's own.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
import tarfile
import zipfile
from pathlib import Path

ENTRY_POINTS = {
    "apache_airflow_provider": ("provider_info", "airflow_provider_sms.get_provider_info:get_provider_info"),
    "airflow.plugins": ("sms", "airflow_provider_sms.plugins.plugin:SmsPlugin"),
    "console_scripts": ("sms-gateway-emulator", "airflow_provider_sms.emulator.__main__:main"),
}
CONNECTION_TYPES = {"primotexto", "smspartner"}


def check_contents(wheel: Path, sdist: Path) -> list[str]:
    problems: list[str] = []
    names = zipfile.ZipFile(wheel).namelist()
    if "airflow_provider_sms/py.typed" not in names:
        problems.append("py.typed missing from the wheel")
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        problems.append("LICENSE missing from the wheel's dist-info")
    if strays := [
        n for n in names if n.split("/")[0] not in ("airflow_provider_sms",) and ".dist-info/" not in n
    ]:
        problems.append(f"files outside the package in the wheel: {strays[:5]}")
    if tests := [n for n in names if "/tests/" in f"/{n}" or n.split("/")[-1].startswith("test_")]:
        problems.append(f"test code in the wheel: {tests[:5]}")
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    for group, (name, target) in ENTRY_POINTS.items():
        section = text.partition(f"[{group}]")[2].partition("\n[")[0]
        if f"{name} = {target}" not in section:
            problems.append(f"entry point [{group}] {name} = {target} missing")
    sdist_names = {n.split("/", 1)[-1] for n in tarfile.open(sdist).getnames()}
    problems += [f"{f} missing from the sdist" for f in ("LICENSE", "CHANGELOG.md") if f not in sdist_names]
    return problems


def _provider_info_names(info: dict) -> list[str]:
    """Every module or dotted class path the provider info names."""
    names = [
        m for s in ("hooks", "operators", "sensors", "triggers") for e in info[s] for m in e["python-modules"]
    ]
    names += [e["python-module"] for e in info["transfers"]]
    names += info["notifications"]
    names += [p["plugin-class"] for p in info["plugins"]]
    names += [c["hook-class-name"] for c in info["connection-types"]]
    return sorted(set(names))


def _import(name: str) -> object:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        module, _, attr = name.rpartition(".")
        return getattr(importlib.import_module(module), attr)


def check_installed(source_tree: Path) -> list[str]:
    problems: list[str] = []
    import airflow_provider_sms

    location = Path(airflow_provider_sms.__file__).resolve()
    if source_tree.resolve() in location.parents:
        return [f"airflow_provider_sms imported from the checkout ({location}), not the wheel"]
    (provider,) = [
        e
        for e in importlib.metadata.entry_points(group="apache_airflow_provider")
        if e.value.startswith("airflow_provider_sms.")
    ]
    info = provider.load()()
    version = importlib.metadata.version("airflow-provider-sms")
    if info["versions"][0] != version or airflow_provider_sms.__version__ != version:
        problems.append(f"versions disagree: package {version}, provider info {info['versions']}")
    if {c["connection-type"] for c in info["connection-types"]} != CONNECTION_TYPES:
        problems.append("provider info does not list exactly the connection types primotexto and smspartner")
    for name in _provider_info_names(info):
        try:
            _import(name)
        except Exception as exc:  # any failure to import is what this check reports
            problems.append(f"{name} does not import: {type(exc).__name__}: {exc}")
    plugins = [e for e in importlib.metadata.entry_points(group="airflow.plugins") if e.name == "sms"]
    if not plugins or plugins[0].load().__name__ != "SmsPlugin":
        problems.append("the airflow.plugins entry point 'sms' does not load SmsPlugin")
    print(
        f"   {len(_provider_info_names(info))} modules and classes of provider info import; version {version}"
    )
    return problems


def main(argv: list[str]) -> int:
    mode, *args = argv
    problems = (
        check_contents(Path(args[0]), Path(args[1])) if mode == "contents" else check_installed(Path(args[0]))
    )
    for problem in problems:
        print(f"   FAIL: {problem}")
    if not problems and mode == "contents":
        print(
            "   py.typed, LICENSE, entry points (provider info, airflow.plugins, sms-gateway-emulator); no tests"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
