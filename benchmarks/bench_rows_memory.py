"""Peak extra memory of a 100,000-row personalised SMS Partner send (``/v1/bulk-send``).

As ``bench_memory`` measures a one-text send: a fresh subprocess, the emulator in its own
process (no latency), the peak RSS (``common.peak_rss_kib``: ``VmHWM``) read once the rows are built and the sending
engine imported, and again after ``execute()``; the row reports what the send added at its peak:
each row's text rendered, validated, planned 500 per request, journaled and sent, the results
labelled with their keys. Target (issue 22): under 250 MB.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from common import measure_send_memory, send_memory_in_subprocess, table_row

ROWS = 100_000
QUICK_ROWS = 10_000
TARGET_MB = 250
HERE = Path(__file__).resolve()
#: What ``execute()`` imports on first use for personalised rows.
ENGINE = (
    "aiohttp",
    "jinja2.sandbox",
    "airflow_provider_sms.hooks.smspartner",
    "airflow_provider_sms.rules.row_template",
    "airflow_provider_sms.sending.async_batch",
    "airflow_provider_sms.sending.batch",
)


def _worker(count: int) -> None:
    from bench_rows import TEMPLATE, make_rows

    rows = make_rows(count, 60_000_000)
    figures, results = measure_send_memory(rows, TEMPLATE, ENGINE)
    keyed = sum(1 for r in results if r.get("key") is not None)
    print(json.dumps({**figures, "sent": len(results), "keyed": keyed}))


def run(quick: bool = False) -> list[dict[str, Any]]:
    """One subprocess, one row."""
    count = QUICK_ROWS if quick else ROWS
    result, requests = send_memory_in_subprocess(HERE, count)
    extra_mib = (result["after"] - result["before"]) / 1024
    extra_mb = (result["after"] - result["before"]) * 1024 / 1e6
    verdict = "under" if extra_mb < TARGET_MB else "OVER"
    return [
        table_row(
            "memory",
            f"SmsSendOperator, SMS Partner bulk-send, {count:,} personalised rows",
            count,
            result["seconds"],
            requests,
            (
                f"peak RSS +{extra_mib:.1f} MiB ({extra_mb:.0f} MB, {verdict} the {TARGET_MB} MB target) during "
                f"the send ({extra_mib * 1024 * 1024 / count:.0f} B per row; peak {result['after'] / 1024:.0f} MiB "
                f"in all, the rows themselves built before; the engine's imports before it: "
                f"+{result['imports'] / 1024:.1f} MiB); {result['sent']} accepted, {result['keyed']} with their "
                "key; no latency"
            ),
        )
    ]


if __name__ == "__main__":
    from common import setup_airflow_env

    setup_airflow_env()
    if "--worker" in sys.argv:
        _worker(int(sys.argv[sys.argv.index("--worker") + 1]))
    else:
        for item in run(quick="--quick" in sys.argv):
            print(item)
