"""Peak extra memory of a 100,000-recipient SMS Partner send (``SmsSendOperator``, 500 per request).

Runs in a fresh subprocess against the emulator in its own process: the peak RSS
(``common.peak_rss_kib``: ``VmHWM``) is read once the recipient list is built, again
once the sending engine is imported (``execute()`` imports it on first use: a fixed cost of the
worker process, not of the recipients), and after ``execute()``; the row reports what the send
added at its peak over the imported engine, and the engine's imports apart.
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

RECIPIENTS = 100_000
QUICK_RECIPIENTS = 10_000
HERE = Path(__file__).resolve()


def _worker(count: int) -> None:
    from airflow_provider_sms.operators.send import SmsSendOperator

    numbers = [f"+336{60_000_000 + i:08d}" for i in range(count)]
    operator = SmsSendOperator(
        task_id="send", sms_conn_id="bench_smspartner", recipients=numbers, message="Hello", max_concurrency=8
    )
    before_imports = peak_rss_kib()
    import aiohttp  # noqa: F401  (what execute() imports on first use)

    import airflow_provider_sms.hooks.smspartner
    import airflow_provider_sms.sending.async_batch
    import airflow_provider_sms.sending.batch  # noqa: F401

    before = peak_rss_kib()
    started = time.perf_counter()
    results = operator.execute({"ti": BenchTI(), "task_state_store": MemoryStateStore()})  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    after = peak_rss_kib()
    imports = before - before_imports
    print(
        json.dumps(
            {"before": before, "after": after, "imports": imports, "seconds": seconds, "sent": len(results)}
        )
    )


def run(quick: bool = False) -> list[dict[str, Any]]:
    """One subprocess, one row."""
    count = QUICK_RECIPIENTS if quick else RECIPIENTS
    with ProcessEmulator(0, delivery_delay=600) as emulator:
        emulator.fresh()
        env = {**os.environ, "AIRFLOW_CONN_BENCH_SMSPARTNER": emulator.connection_json("smspartner")}
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
    return [
        {
            "benchmark": "memory",
            "variant": "SmsSendOperator, SMS Partner, 100,000 recipients"
            if count == RECIPIENTS
            else f"SmsSendOperator, SMS Partner, {count:,} recipients",
            "items": count,
            "requests": requests,
            "seconds": round(result["seconds"], 3),
            "per_second": round(count / result["seconds"], 1),
            "notes": (
                f"peak RSS +{extra_mib:.1f} MiB during the send ({extra_mib * 1024 * 1024 / count:.0f} B per "
                f"recipient; peak {result['after'] / 1024:.0f} MiB in all; the engine's imports before it: "
                f"+{result['imports'] / 1024:.1f} MiB); {result['sent']} accepted; no latency"
            ),
        }
    ]


if __name__ == "__main__":
    if "--worker" in sys.argv:
        _worker(int(sys.argv[sys.argv.index("--worker") + 1]))
    else:
        from common import setup_airflow_env

        setup_airflow_env()
        for item in run(quick="--quick" in sys.argv):
            print(item)
