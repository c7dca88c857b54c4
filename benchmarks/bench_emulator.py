"""Emulator throughput: how many status requests per second the gateway emulator serves.

16 concurrent keep-alive clients for a few seconds against ``GET /v2/messages/status`` (no latency
configured), once with aiohttp and once with ``requests`` threads, the emulator in its own process.
Tells whether the emulator, rather than the code under test, bounds the other benchmarks.

``python benchmarks/bench_emulator.py [--quick]`` prints the rows; ``benchmarks/run.py`` collects them.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from typing import Any

import requests
from common import ProcessEmulator, setup_airflow_env

CLIENTS = 16


def _row(variant: str, count: int, seconds: float, notes: str) -> dict[str, Any]:
    return {
        "benchmark": "emulator",
        "variant": variant,
        "items": count,
        "requests": count,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds, 1),
        "notes": notes,
    }


async def _aiohttp_load(url: str, headers: dict[str, str], duration: float) -> int:
    import aiohttp

    done = 0
    stop = time.monotonic() + duration

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.monotonic() < stop:
            async with session.get(url, headers=headers) as response:
                await response.read()
            done += 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as session:
        await asyncio.gather(*(client(session) for _ in range(CLIENTS)))
    return done


def _requests_load(url: str, headers: dict[str, str], duration: float) -> int:
    counts = [0] * CLIENTS
    stop = time.monotonic() + duration

    def client(index: int) -> None:
        with requests.Session() as session:
            while time.monotonic() < stop:
                session.get(url, headers=headers, timeout=10).raise_for_status()
                counts[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts)


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Measure both client kinds against one emulator."""
    from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY

    duration = 1.5 if quick else 4.0
    with ProcessEmulator(0, delivery_delay=0.5) as emulator:
        headers = {"X-Primotexto-ApiKey": PRIMOTEXTO_API_KEY}
        sent = requests.post(
            f"{emulator.url}/v2/notification/messages/send",
            json={"number": "+33612345678", "message": "bench"},
            headers=headers,
            timeout=10,
        ).json()
        url = f"{emulator.url}/v2/messages/status?snapshotId={sent['snapshotId']}"
        started = time.monotonic()
        count = asyncio.run(_aiohttp_load(url, headers, duration))
        rows = [_row("status GET, aiohttp clients", count, time.monotonic() - started, f"{CLIENTS} clients")]
        started = time.monotonic()
        count = _requests_load(url, headers, duration)
        rows.append(
            _row(
                "status GET, requests threads",
                count,
                time.monotonic() - started,
                f"{CLIENTS} threads; bounded by the client's own CPU cost",
            )
        )
    return rows


if __name__ == "__main__":
    setup_airflow_env()
    for result in run(quick="--quick" in sys.argv):
        print(result)
