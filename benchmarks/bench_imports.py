"""Import cost of each public module over ``import airflow.sdk`` (what a DAG file pays to use it).

For each module, ``RUNS`` fresh processes each time ``import airflow.sdk`` and then the import of the
module alone (``time.perf_counter`` around each ``import``, in the same process). A row gives the
median of the module's own time, the median of ``airflow.sdk``'s in those processes, and the one
over the other in percent: the target is under 5 % for every module a DAG imports. The last rows
import every public module at once, and the emulator (a test tool no DAG imports, given for scale).

Every module, Airflow's and this provider's, loads from bytecode, as in an installed deployment: the
processes share a private ``PYTHONPYCACHEPREFIX``, filled by one unmeasured process first. (Without
it, an editable install under ``PYTHONDONTWRITEBYTECODE`` compiles this provider's source at every
import while Airflow's comes compiled from site-packages: several times the cost, and not what a
deployment pays.)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from typing import Any

RUNS = 7
QUICK_RUNS = 3
#: Target: each of these adds less than this share of ``import airflow.sdk``.
TARGET_PERCENT = 5.0


def _public_modules() -> tuple[str, ...]:
    """Every module the provider's metadata lists (hooks, operators, sensors, triggers, notifier),
    then ``get_provider_info`` itself."""
    from airflow_provider_sms.get_provider_info import get_provider_info

    info = get_provider_info()
    listed = [
        m for s in ("hooks", "operators", "sensors", "triggers") for e in info[s] for m in e["python-modules"]
    ]
    listed += [path.rpartition(".")[0] for path in info["notifications"]]
    return (*dict.fromkeys(listed), "airflow_provider_sms.get_provider_info")


PUBLIC = _public_modules()
#: Rows: one module, every public module at once, then the emulator (not a DAG-time import).
MODULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    *((name, (name,)) for name in PUBLIC),
    ("every public module above", PUBLIC),
    ("airflow_provider_sms.emulator (test tool)", ("airflow_provider_sms.emulator",)),
)
PROBE = (
    "import importlib, time; t0 = time.perf_counter(); import airflow.sdk; t1 = time.perf_counter()\n"
    "for name in {names!r}: importlib.import_module(name)\n"
    "print(t1 - t0, time.perf_counter() - t1)"
)


def _once(names: tuple[str, ...], env: dict[str, str]) -> tuple[float, float]:
    """``(seconds importing airflow.sdk, seconds importing names after it)`` in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(names=names)],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
        env=env,
    )
    sdk, extra = done.stdout.strip().splitlines()[-1].split()
    return float(sdk), float(extra)


def run(quick: bool = False) -> list[dict[str, Any]]:
    """One row per public module, one for all of them, one for the emulator."""
    runs = QUICK_RUNS if quick else RUNS
    rows = []
    with tempfile.TemporaryDirectory(prefix="sms-bench-pycache-") as prefix:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = prefix
        _once(tuple(name for _, names in MODULES for name in names), env)  # writes the bytecode
        for label, names in MODULES:
            samples = [_once(names, env) for _ in range(runs)]
            sdk = statistics.median(s for s, _ in samples)
            extras = sorted(e for _, e in samples)
            extra = statistics.median(extras)
            percent = 100 * extra / sdk
            verdict = "under" if percent < TARGET_PERCENT else "OVER"
            rows.append(
                {
                    "benchmark": "import",
                    "variant": f"import {label} (after airflow.sdk)",
                    "items": runs,
                    "requests": 0,
                    "seconds": round(extra, 3),
                    "per_second": None,
                    "notes": f"{percent:.1f} % over airflow.sdk ({verdict} the {TARGET_PERCENT:g} % target): "
                    f"median {extra * 1000:.0f} ms (range {extras[0] * 1000:.0f}-{extras[-1] * 1000:.0f} ms) "
                    f"against airflow.sdk's median {sdk * 1000:.0f} ms, {runs} fresh processes, bytecode cached",
                }
            )
    return rows


if __name__ == "__main__":
    for item in run(quick="--quick" in sys.argv):
        print(item)
