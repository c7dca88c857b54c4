"""Peak extra memory of a 100,000-row personalised SMS Partner send (``/v1/bulk-send``).

As ``bench_memory`` measures a one-text send: a fresh subprocess, the emulator in its own
process (no latency), the peak RSS (``common.peak_rss_kib``: ``VmHWM``) read once the rows are built and the sending
engine imported, and again after ``execute()``; the row reports what the send added at its peak:
each row's text rendered, validated, planned 500 per request, journaled and sent, the results
labelled with their keys. Target (issue 22): under 250 MB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import BenchTI, MemoryStateStore, ProcessEmulator, peak_rss_kib

ROWS = 100_000
QUICK_ROWS = 10_000
TARGET_MB = 250
HERE = Path(__file__).resolve()


def _worker(count: int) -> None:
    from bench_rows import TEMPLATE, make_rows

    from airflow_provider_sms.operators.send import SmsSendOperator

    rows = make_rows(count, 60_000_000)
    operator = SmsSendOperator(
        task_id="send", sms_conn_id="bench_smspartner", recipients=rows, message=TEMPLATE, max_concurrency=8
    )
    before_imports = peak_rss_kib()
    import aiohttp  # noqa: F401  (what execute() imports on first use)
    import jinja2.sandbox  # noqa: F401

    import airflow_provider_sms.hooks.smspartner
    import airflow_provider_sms.rules.row_template
    import airflow_provider_sms.sending.async_batch
    import airflow_provider_sms.sending.batch  # noqa: F401

    before = peak_rss_kib()
    started = time.perf_counter()
    results = operator.execute({"ti": BenchTI(), "task_state_store": MemoryStateStore()})  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    after = peak_rss_kib()
    print(
        json.dumps(
            {
                "before": before,
                "after": after,
                "imports": before - before_imports,
                "seconds": seconds,
                "sent": len(results),
                "keyed": sum(1 for r in results if r.get("key") is not None),
            }
        )
    )


def run(quick: bool = False) -> list[dict[str, Any]]:
    """One subprocess, one row."""
    count = QUICK_ROWS if quick else ROWS
    with ProcessEmulator(0, delivery_delay=600) as emulator:
        emulator.fresh()
        env = {
            **os.environ,
            "AIRFLOW_CONN_BENCH_SMSPARTNER": emulator.connection_json("smspartner"),
            "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]),
        }
        done = subprocess.run(
            [sys.executable, str(HERE), "--worker", str(count)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode:
            raise RuntimeError(f"the memory worker failed: {done.stderr[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        requests = emulator.request_count()
    extra_mib = (result["after"] - result["before"]) / 1024
    extra_mb = (result["after"] - result["before"]) * 1024 / 1e6
    verdict = "under" if extra_mb < TARGET_MB else "OVER"
    return [
        {
            "benchmark": "memory",
            "variant": f"SmsSendOperator, SMS Partner bulk-send, {count:,} personalised rows",
            "items": count,
            "requests": requests,
            "seconds": round(result["seconds"], 3),
            "per_second": round(count / result["seconds"], 1),
            "notes": (
                f"peak RSS +{extra_mib:.1f} MiB ({extra_mb:.0f} MB, {verdict} the {TARGET_MB} MB target) during "
                f"the send ({extra_mib * 1024 * 1024 / count:.0f} B per row; peak {result['after'] / 1024:.0f} MiB "
                f"in all, the rows themselves built before; the engine's imports before it: "
                f"+{result['imports'] / 1024:.1f} MiB); {result['sent']} accepted, {result['keyed']} with their "
                "key; no latency"
            ),
        }
    ]


if __name__ == "__main__":
    if "--worker" in sys.argv:
        from common import setup_airflow_env

        setup_airflow_env()
        _worker(int(sys.argv[sys.argv.index("--worker") + 1]))
    else:
        from common import setup_airflow_env

        setup_airflow_env()
        for item in run(quick="--quick" in sys.argv):
            print(item)
