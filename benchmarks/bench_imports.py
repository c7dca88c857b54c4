"""Import cost of each public module over ``import airflow.sdk``.

For each module, ``RUNS`` fresh processes each import ``airflow.sdk`` first, then time the import
of the module alone; the row reports the median (and the range) in milliseconds.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from typing import Any

RUNS = 7
QUICK_RUNS = 3
MODULES = (
    "airflow_provider_sms",
    "airflow_provider_sms.hooks",
    "airflow_provider_sms.operators.send",
    "airflow_provider_sms.sensors.delivery",
    "airflow_provider_sms.triggers.delivery",
    "airflow_provider_sms.notifications.sms",
    "airflow_provider_sms.emulator",
)
PROBE = (
    "import time, airflow.sdk, importlib; t = time.perf_counter(); importlib.import_module({name!r}); "
    "print(time.perf_counter() - t)"
)


def _once(name: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(name=name)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[dict[str, Any]]:
    """One row per public module."""
    runs = QUICK_RUNS if quick else RUNS
    rows = []
    for name in MODULES:
        times = sorted(_once(name) for _ in range(runs))
        median = statistics.median(times)
        rows.append(
            {
                "benchmark": "import",
                "variant": f"import {name} (after airflow.sdk)",
                "items": runs,
                "requests": 0,
                "seconds": round(median, 3),
                "per_second": None,
                "notes": f"median of {runs} fresh processes: {median * 1000:.0f} ms "
                f"(range {times[0] * 1000:.0f}-{times[-1] * 1000:.0f} ms)",
            }
        )
    return rows


if __name__ == "__main__":
    for item in run(quick="--quick" in sys.argv):
        print(item)
