"""Peak extra memory of a 100,000-recipient SMS Partner send (``SmsSendOperator``, 500 per request).

Runs in a fresh subprocess against the emulator in its own process: the peak RSS
(``common.peak_rss_kib``: ``VmHWM``) is read once the recipient list is built, again
once the sending engine is imported (``execute()`` imports it on first use: a fixed cost of the
worker process, not of the recipients), and after ``execute()``; the row reports what the send
added at its peak over the imported engine, and the engine's imports apart.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from common import measure_send_memory, send_memory_in_subprocess, table_row

RECIPIENTS = 100_000
QUICK_RECIPIENTS = 10_000
HERE = Path(__file__).resolve()
#: What ``execute()`` imports on first use.
ENGINE = (
    "aiohttp",
    "airflow_provider_sms.hooks.smspartner",
    "airflow_provider_sms.sending.async_batch",
    "airflow_provider_sms.sending.batch",
)


def _worker(count: int) -> None:
    numbers = [f"+336{60_000_000 + i:08d}" for i in range(count)]
    figures, results = measure_send_memory(numbers, "Hello", ENGINE)
    print(json.dumps({**figures, "sent": len(results)}))


def run(quick: bool = False) -> list[dict[str, Any]]:
    """One subprocess, one row."""
    count = QUICK_RECIPIENTS if quick else RECIPIENTS
    result, requests = send_memory_in_subprocess(HERE, count)
    extra_mib = (result["after"] - result["before"]) / 1024
    return [
        table_row(
            "memory",
            "SmsSendOperator, SMS Partner, 100,000 recipients"
            if count == RECIPIENTS
            else f"SmsSendOperator, SMS Partner, {count:,} recipients",
            count,
            result["seconds"],
            requests,
            (
                f"peak RSS +{extra_mib:.1f} MiB during the send ({extra_mib * 1024 * 1024 / count:.0f} B per "
                f"recipient; peak {result['after'] / 1024:.0f} MiB in all; the engine's imports before it: "
                f"+{result['imports'] / 1024:.1f} MiB); {result['sent']} accepted; no latency"
            ),
        )
    ]


if __name__ == "__main__":
    if "--worker" in sys.argv:
        _worker(int(sys.argv[sys.argv.index("--worker") + 1]))
    else:
        from common import setup_airflow_env

        setup_airflow_env()
        for item in run(quick="--quick" in sys.argv):
            print(item)
