"""Delivery tracking at scale: one SmsDeliverySensor following 2,000 messages, poke and trigger paths.

For each gateway, 2,000 SMS are sent to the emulator (``delivery_delay`` 8 s, so the first polls see
them pending and idle), then tracked to success once by ``SmsDeliverySensor.execute`` in poke mode and once
by ``SmsDeliveryTrigger.run`` (what the triggerer runs for ``deferrable=True``). Measured:

* requests per poll (every gateway request counted by the emulator, which runs in its own
  process): SMS Partner ``multi-status`` takes 500 pairs per request; Primotexto reads the send's
  category figures (one ``/messages/stats`` request) and asks about each pending message (16 in
  flight) only when those figures moved, on the first poll, and every 10 polls;
* ``seconds``: from the last delivery (the emulator's ``accepted_at`` of the last message +
  ``delivery_delay``) to the sensor's success. Bounded by ``poke_interval`` + one poll;
* ``per_second``: messages tracked per second of tracking (first poll to success).

``python benchmarks/bench_delivery.py [--quick]`` prints the rows; ``benchmarks/run.py`` collects them.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from common import ProcessEmulator, setup_airflow_env

MESSAGES = 2000
QUICK_MESSAGES = 300
DELIVERY_DELAY = 8.0
QUICK_DELIVERY_DELAY = 3.0
POKE_INTERVAL = 1.0
VENDORS = ("primotexto", "smspartner")


class _TI:
    def xcom_push(self, key: str, value: Any) -> None:
        pass


CATEGORY = "bench-delivery"


def _status_requests(emulator: Any, vendor: str) -> int:
    return int(emulator.request_count())


def _send(conn_id: str, count: int, first: int) -> list[dict[str, Any]]:
    """Send ``count`` SMS to fresh numbers; return SendResult dicts (SmsSendOperator's XCom)."""
    from airflow_provider_sms.hooks import get_sms_hook

    hook = get_sms_hook(conn_id)
    numbers = [f"+336{first + i:08d}" for i in range(count)]
    size = hook.max_recipients_per_send
    chunks = [numbers[i : i + size] for i in range(0, len(numbers), size)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(
            pool.map(lambda chunk: hook.send_sms_batch(chunk, "Votre code: 1234", category=CATEGORY), chunks)
        )
    # the category each message was sent with (SendResult.category, set here until the hooks fill it)
    return [{**result.to_dict(), "category": CATEGORY} for outcome in outcomes for result in outcome.sent]


def _last_delivery(emulator: Any, vendor: str, delay: float) -> float:
    accepted = [datetime.fromisoformat(m["accepted_at"]).timestamp() for m in emulator.messages(vendor)]
    return max(accepted) + delay


def _track_poke(emulator: Any, vendor: str, conn_id: str, messages: list[dict]) -> tuple[list, list, int]:
    from airflow_provider_sms.sensors.delivery import SmsDeliverySensor

    polls: list[int] = []
    durations: list[float] = []

    class CountingSensor(SmsDeliverySensor):
        def poke(self, context: Any) -> Any:
            before, started = _status_requests(emulator, vendor), time.perf_counter()
            try:
                return super().poke(context)
            finally:
                durations.append(time.perf_counter() - started)
                polls.append(_status_requests(emulator, vendor) - before)

    sensor = CountingSensor(
        task_id="bench_wait",
        sms_conn_id=conn_id,
        messages=messages,
        poke_interval=POKE_INTERVAL,
        timeout=120,
        deferrable=False,
    )
    statuses = sensor.execute({"ti": _TI()})  # type: ignore[arg-type]
    return polls, durations, len(statuses)


def _track_trigger(emulator: Any, vendor: str, conn_id: str, messages: list[dict]) -> tuple[list, list, int]:
    from airflow_provider_sms.triggers.delivery import SmsDeliveryTrigger

    polls: list[int] = []
    durations: list[float] = []
    seen = [_status_requests(emulator, vendor)]
    resumed = [time.perf_counter()]

    class CountingTrigger(SmsDeliveryTrigger):
        async def _pause(self, seconds: float) -> None:
            durations.append(time.perf_counter() - resumed[-1])
            now = _status_requests(emulator, vendor)
            polls.append(now - seen[-1])
            seen.append(now)
            await super()._pause(seconds)
            resumed.append(time.perf_counter())

    trigger = CountingTrigger(
        sms_conn_id=conn_id,
        messages=[{k: m[k] for k in ("message_id", "recipient", "category")} for m in messages],
        poke_interval=POKE_INTERVAL,
        deadline=time.time() + 120,
    )

    async def first_event() -> Any:
        return await anext(trigger.run())

    event = asyncio.run(first_event())
    durations.append(time.perf_counter() - resumed[-1])
    polls.append(_status_requests(emulator, vendor) - seen[-1])
    if event.payload["status"] != "success":
        raise RuntimeError(f"trigger ended with {event.payload['status']}")
    return polls, durations, len(event.payload["statuses"])


def _measure(emulator: Any, vendor: str, path: str, count: int, delay: float, first: int) -> dict[str, Any]:
    conn_id = f"bench_{vendor}"
    emulator.fresh(delivery_delay=delay)
    messages = _send(conn_id, count, first)
    last_delivery = _last_delivery(emulator, vendor, delay)
    track = _track_poke if path == "poke" else _track_trigger
    started = time.time()
    polls, durations, tracked = track(emulator, vendor, conn_id, messages)
    finished = time.time()
    if tracked != count:
        raise RuntimeError(f"tracked {tracked} of {count} messages")
    label = "SMS Partner" if vendor == "smspartner" else "Primotexto"
    how = "poke()" if path == "poke" else "trigger run()"
    return {
        "benchmark": "delivery",
        "variant": f"{label}, {how}",
        "items": count,
        "seconds": round(finished - last_delivery, 3),
        "per_second": round(count / (finished - started), 1),
        "requests": sum(polls),
        "notes": (
            f"seconds = last delivery -> success; {len(polls)} polls ({sum(p <= 5 for p in polls)} of at most 5 "
            f"requests), requests per poll "
            f"{'/'.join(str(p) for p in polls)}, longest poll {max(durations):.2f} s; poke_interval {POKE_INTERVAL:g} s, "
            f"delivery_delay {delay:g} s, tracking {finished - started:.1f} s"
        ),
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Track ``MESSAGES`` messages on each gateway, through the poke path and the trigger path."""
    count = QUICK_MESSAGES if quick else MESSAGES
    delay = QUICK_DELIVERY_DELAY if quick else DELIVERY_DELAY
    rows = []
    with ProcessEmulator(0, delivery_delay=delay) as emulator:
        for vendor in VENDORS:
            os.environ[f"AIRFLOW_CONN_BENCH_{vendor.upper()}"] = emulator.connection_json(vendor)
        first = 40_000_000
        for vendor in VENDORS:
            for path in ("poke", "trigger"):
                rows.append(_measure(emulator, vendor, path, count, delay, first))
                first += count
    return rows


if __name__ == "__main__":
    setup_airflow_env()
    for result in run(quick="--quick" in sys.argv):
        print(result)
