"""What a DAG file pays to import the provider: no HTTP client, no sending engine, no hook at import.

Import *time* is measured by ``benchmarks/bench_imports.py`` (never a timed assertion here); this
guards what keeps it low: heavy libraries and modules are imported where first used.
"""

from __future__ import annotations

import json
import subprocess
import sys

from airflow_provider_sms.get_provider_info import get_provider_info

INFO = get_provider_info()
#: The modules DAG files import: the operators, sensors, triggers and notifier the provider lists.
DAG_FACING = tuple(
    dict.fromkeys(
        [
            m
            for section in ("operators", "sensors", "triggers")
            for e in INFO[section]
            for m in e["python-modules"]
        ]
        + [e["python-module"] for e in INFO["transfers"]]
        + [path.rpartition(".")[0] for path in INFO["notifications"]]
    )
)
HOOKS = tuple(m for e in INFO["hooks"] for m in e["python-modules"])
WATCHED = (
    "requests",
    "urllib3",
    "aiohttp",
    "holidays",
    "airflow_provider_sms.hooks.base",
    "airflow_provider_sms.sending.batch",
)


def loaded_after(modules: tuple[str, ...]) -> list[str]:
    """Which of :data:`WATCHED` a fresh interpreter holds after importing ``modules``."""
    code = (
        f"import importlib, json, sys\nfor name in {modules!r}: importlib.import_module(name)\n"
        f"print(json.dumps([m for m in {WATCHED!r} if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_dag_facing_modules_import_no_http_client_nor_hook_nor_engine():
    assert loaded_after(DAG_FACING) == []


def test_the_hooks_import_their_http_clients_when_first_used():
    assert loaded_after(HOOKS) == ["airflow_provider_sms.hooks.base"]
