"""Bulk send throughput: SmsSendOperator against a plain sequential ``requests.post`` loop.

1,000 recipients, emulator latency 50 ms per request (set with ``configure(latency_ms=50)``), all on
127.0.0.1, in one run so the rows compare:

* ``sequential requests.post`` : what a hand-rolled DAG does, one request per number, one after the
  other (Primotexto's API; SMS Partner's single-number call costs the same);
* ``SmsSendOperator``: validation, the retry journal (an in-memory stand-in for
  ``task_state_store``) and the hook's pooled connections, ``max_concurrency`` requests in flight;
  on SMS Partner, 500 numbers per request.

``python benchmarks/bench_send.py [--quick]`` prints the rows; ``benchmarks/run.py`` collects them.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from common import BenchTI, MemoryStateStore, setup_airflow_env

LATENCY_MS = 50
RECIPIENTS = 1000
QUICK_RECIPIENTS = 200


def _numbers(count: int, first: int) -> list[str]:
    return [f"+336{first + i:08d}" for i in range(count)]


def _row(variant: str, items: int, seconds: float, requests: int, notes: str) -> dict[str, Any]:
    return {
        "benchmark": "send",
        "variant": variant,
        "items": items,
        "seconds": round(seconds, 3),
        "per_second": round(items / seconds, 1) if seconds else None,
        "requests": requests,
        "notes": notes,
    }


def _sequential_loop(emulator: Any, numbers: list[str]) -> dict[str, Any]:
    """The baseline: ``requests.post`` per number, no session, no concurrency."""
    import requests

    from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY

    url = f"{emulator.url}/v2/notification/messages/send"
    headers = {"X-Primotexto-ApiKey": PRIMOTEXTO_API_KEY}
    started = time.perf_counter()
    for number in numbers:
        reply = requests.post(url, json={"number": number, "message": "Hello"}, headers=headers, timeout=30)
        reply.raise_for_status()
    seconds = time.perf_counter() - started
    accepted = len(emulator.messages(vendor="primotexto"))
    return _row(
        "sequential requests.post (Primotexto)",
        len(numbers),
        seconds,
        len(emulator.requests(vendor="primotexto")),
        f"{accepted} accepted; one request per number, one at a time",
    )


def _operator(emulator: Any, vendor: str, numbers: list[str], concurrency: int) -> dict[str, Any]:
    from airflow_provider_sms.operators.send import SmsSendOperator

    operator = SmsSendOperator(
        task_id="send",
        sms_conn_id=f"bench_{vendor}",
        recipients=numbers,
        message="Hello",
        max_concurrency=concurrency,
    )
    started = time.perf_counter()
    results = operator.execute({"ti": BenchTI(), "task_state_store": MemoryStateStore()})  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    label = "Primotexto" if vendor == "primotexto" else "SMS Partner, 500 numbers per request"
    return _row(
        f"SmsSendOperator, {concurrency} in flight ({label})",
        len(numbers),
        seconds,
        len(emulator.requests(vendor=vendor)),
        f"{len(results)} accepted; validation + journal included",
    )


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Measure every variant once; returns one row per variant."""
    from airflow_provider_sms.emulator import GatewayEmulator

    count = QUICK_RECIPIENTS if quick else RECIPIENTS
    rows: list[dict[str, Any]] = []
    with GatewayEmulator(delivery_delay=60) as emulator:
        for vendor in ("primotexto", "smspartner"):
            os.environ[f"AIRFLOW_CONN_BENCH_{vendor.upper()}"] = emulator.connection_json(vendor)

        def fresh() -> None:
            emulator.reset()
            emulator.configure(latency_ms=LATENCY_MS, credits=1_000_000)

        fresh()
        rows.append(_sequential_loop(emulator, _numbers(count, 10_000_000)))
        for concurrency in (8, 16):
            fresh()
            rows.append(
                _operator(emulator, "primotexto", _numbers(count, 20_000_000 + concurrency), concurrency)
            )
        fresh()
        rows.append(_operator(emulator, "smspartner", _numbers(count, 30_000_000), 8))
    base = rows[0]["per_second"] or 1
    for row in rows:
        row["notes"] += f"; {row['per_second'] / base:.1f}x the sequential loop; latency {LATENCY_MS} ms"
    return rows


if __name__ == "__main__":
    setup_airflow_env()
    for result in run(quick="--quick" in sys.argv):
        print(result)
