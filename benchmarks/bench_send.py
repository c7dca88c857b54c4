"""Bulk send throughput against the emulator in its own process (50 ms per request, 127.0.0.1).

Rows, one run, side by side:

* ``sequential requests.post``: what a hand-rolled task does, one request per number, one after the
  other (Primotexto's API);
* ``raw aiohttp``: one aiohttp session, N requests in flight, nothing else (the floor of any client);
* ``SmsSendOperator``: validation, the retry journal (an in-memory ``task_state_store``) and the hook's
  pooled connections, N requests in flight (8, 16, 64); on SMS Partner, 500 numbers per request;
* the ideal rate is ``N / latency`` (every slot always busy, zero client cost).

The emulator runs in a separate process (``benchmarks/common.py`` ``ProcessEmulator``), so its own
CPU does not share this process's GIL with the client under test.
``python benchmarks/bench_send.py [--quick]`` prints the rows; ``benchmarks/run.py`` collects them.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

from common import BenchTI, MemoryStateStore, ProcessEmulator, setup_airflow_env, table_row

LATENCY_MS = 50
RECIPIENTS = 3000
SEQUENTIAL = 200
QUICK_RECIPIENTS = 200
IN_FLIGHT = (8, 16, 64)
SEND_PATH = "/v2/notification/messages/send"


def _numbers(count: int, first: int) -> list[str]:
    return [f"+336{first + i:08d}" for i in range(count)]


def _sequential_loop(emulator: ProcessEmulator, numbers: list[str]) -> dict[str, Any]:
    import requests

    from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY

    headers = {"X-Primotexto-ApiKey": PRIMOTEXTO_API_KEY}
    started = time.perf_counter()
    for number in numbers:
        reply = requests.post(
            emulator.url + SEND_PATH, json={"number": number, "message": "Hello"}, headers=headers, timeout=30
        )
        reply.raise_for_status()
    seconds = time.perf_counter() - started
    return table_row(
        "send",
        "sequential requests.post (Primotexto)",
        len(numbers),
        seconds,
        emulator.request_count(),
        f"{emulator.accepted()} accepted; one request per number, one at a time",
        in_flight=1,
    )


def _raw(emulator: ProcessEmulator, numbers: list[str], in_flight: int) -> dict[str, Any]:
    import aiohttp

    from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY

    headers = {"X-Primotexto-ApiKey": PRIMOTEXTO_API_KEY}

    async def main() -> None:
        gate = asyncio.Semaphore(in_flight)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight)) as session:

            async def one(number: str) -> None:
                body = {"number": number, "message": "Hello"}
                async with gate, session.post(emulator.url + SEND_PATH, json=body, headers=headers) as reply:
                    await reply.read()
                    reply.raise_for_status()

            await asyncio.gather(*(one(n) for n in numbers))

    started = time.perf_counter()
    asyncio.run(main())
    seconds = time.perf_counter() - started
    return table_row(
        "send",
        f"raw aiohttp, {in_flight} in flight (Primotexto)",
        len(numbers),
        seconds,
        emulator.request_count(),
        f"{emulator.accepted()} accepted; nothing but the HTTP calls",
        in_flight=in_flight,
        kind="raw",
    )


def _operator(emulator: ProcessEmulator, vendor: str, numbers: list[str], in_flight: int) -> dict[str, Any]:
    from airflow_provider_sms.operators.send import SmsSendOperator

    operator = SmsSendOperator(
        task_id="send",
        sms_conn_id=f"bench_{vendor}",
        recipients=numbers,
        message="Hello",
        max_concurrency=in_flight,
    )
    started = time.perf_counter()
    results = operator.execute({"ti": BenchTI(), "task_state_store": MemoryStateStore()})  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    label = "Primotexto" if vendor == "primotexto" else "SMS Partner, 500 numbers per request"
    return table_row(
        "send",
        f"SmsSendOperator, {in_flight} in flight ({label})",
        len(numbers),
        seconds,
        emulator.request_count(),
        f"{len(results)} accepted; validation + journal included",
        in_flight=in_flight,
        kind="operator" if vendor == "primotexto" else "batch",
    )


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Measure every variant once; returns one row per variant."""
    count = QUICK_RECIPIENTS if quick else RECIPIENTS
    rows: list[dict[str, Any]] = []
    with ProcessEmulator(LATENCY_MS, delivery_delay=600) as emulator:
        for vendor in ("primotexto", "smspartner"):
            os.environ[f"AIRFLOW_CONN_BENCH_{vendor.upper()}"] = emulator.connection_json(vendor)
        emulator.fresh()
        rows.append(_sequential_loop(emulator, _numbers(min(count, SEQUENTIAL), 10_000_000)))
        for n in IN_FLIGHT:  # side by side: the raw client, then the operator, at each level
            emulator.fresh()
            rows.append(_raw(emulator, _numbers(count, 11_000_000 + n * 10_000), n))
            emulator.fresh()
            rows.append(_operator(emulator, "primotexto", _numbers(count, 20_000_000 + n * 10_000), n))
        emulator.fresh()
        rows.append(_operator(emulator, "smspartner", _numbers(count, 30_000_000), 8))
    base = rows[0]["per_second"] or 1
    raw = {item["in_flight"]: item["per_second"] for item in rows if item.get("kind") == "raw"}
    for item in rows:
        if item.get("kind") == "operator" and raw.get(item["in_flight"]):
            item["notes"] += f"; {100 * item['per_second'] / raw[item['in_flight']]:.0f} % of raw aiohttp"
        ideal = item.get("in_flight", 1) * 1000 / LATENCY_MS
        item["notes"] += f"; {item['per_second'] / base:.1f}x the sequential loop"
        if item.get("kind") != "batch":
            item["notes"] += f"; ideal {ideal:,.0f}/s"
    return rows


if __name__ == "__main__":
    setup_airflow_env()
    for result in run(quick="--quick" in sys.argv):
        print(result)
