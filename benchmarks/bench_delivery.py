"""Delivery tracking at scale: one SmsDeliverySensor following 2,000 messages, poke and trigger paths.

For each gateway, 2,000 SMS are sent to the emulator by ``SmsSendOperator`` with no ``category``
(as a DAG would: on Primotexto the operator gives the send its task's own category, which the
sensor then polls by), ``delivery_delay`` 8 s so the first polls see them pending and idle, then
tracked to success by ``SmsDeliverySensor.execute`` in poke mode, in reschedule mode (a new sensor
object per poke, as a new process would be, sharing only the task's state store) and by
``SmsDeliveryTrigger.run`` (what the triggerer runs for ``deferrable=True``). Measured:

* requests per poll (every gateway request counted by the emulator, which runs in its own
  process): SMS Partner ``multi-status`` takes 500 pairs per request; Primotexto reads the send's
  category figures (one ``/messages/stats`` request) and asks about each pending message only when
  those figures moved, on the first poll, and every 10 polls. The "sensor requests per poll" rows
  split the polls into the first one, *idle* ones (no tracked message changed state between the
  end of the previous poll and the end of this one: the emulator's delivery times tell) and
  *moving* ones;
* ``seconds``: from the last delivery (the emulator's ``accepted_at`` of the last message +
  ``delivery_delay``) to the sensor's success. Polls start ``poke_interval`` apart (start to start),
  so the first poll after the last delivery starts within one interval; the notes also give
  ``first poll after``: from the last delivery to the start of that poll;
* ``per_second``: messages tracked per second of tracking (first poll to success).

``python benchmarks/bench_delivery.py [--quick]`` prints the rows; ``benchmarks/run.py`` collects them.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from bisect import bisect_right
from datetime import datetime
from typing import Any

from common import ProcessEmulator, setup_airflow_env

MESSAGES = 2000
QUICK_MESSAGES = 300
DELIVERY_DELAY = 8.0
QUICK_DELIVERY_DELAY = 3.0
POKE_INTERVAL = 1.0
VENDORS = ("primotexto", "smspartner")
#: The per-poll request budget of an idle poll (docs/delivery-sensor.md).
MAX_IDLE_REQUESTS = 5


class _TI:
    def xcom_push(self, key: str, value: Any) -> None:
        pass


def _status_requests(emulator: Any, vendor: str) -> int:
    return int(emulator.request_count())


def _send(conn_id: str, count: int, first: int) -> list[dict[str, Any]]:
    """Send ``count`` SMS to fresh numbers with SmsSendOperator (no category given); return its XCom."""
    from common import BenchTI, MemoryStateStore

    from airflow_provider_sms.operators.send import SmsSendOperator

    operator = SmsSendOperator(
        task_id="send",
        sms_conn_id=conn_id,
        recipients=[f"+336{first + i:08d}" for i in range(count)],
        message="Votre code: 1234",
        max_concurrency=16,
    )
    return operator.execute({"ti": BenchTI(), "task_state_store": MemoryStateStore()})  # type: ignore[arg-type,return-value]


def _deliveries(emulator: Any, vendor: str, delay: float) -> list[float]:
    """When each message becomes final (Unix time): its acceptance + ``delivery_delay``."""
    return sorted(
        datetime.fromisoformat(m["accepted_at"]).timestamp() + delay for m in emulator.messages(vendor)
    )


#: What one tracking run records, poll by poll: requests, duration (s), start (Unix time).
Polls = tuple[list[int], list[float], list[float]]


def _track_poke(emulator: Any, vendor: str, conn_id: str, messages: list[dict]) -> tuple[Polls, int]:
    from airflow_provider_sms.sensors.delivery import SmsDeliverySensor

    polls: list[int] = []
    durations: list[float] = []
    starts: list[float] = []

    class CountingSensor(SmsDeliverySensor):
        def poke(self, context: Any) -> Any:
            before, started = _status_requests(emulator, vendor), time.perf_counter()
            starts.append(time.time())
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
    return (polls, durations, starts), len(statuses)


def _track_reschedule(emulator: Any, vendor: str, conn_id: str, messages: list[dict]) -> tuple[Polls, int]:
    """Reschedule mode: a new sensor object per poke; only the task's state store is shared."""
    from airflow.exceptions import AirflowRescheduleException
    from common import MemoryStateStore

    from airflow_provider_sms.sensors.delivery import SmsDeliverySensor

    class RescheduleTI(_TI):
        def get_first_reschedule_date(self, context: Any) -> Any:
            return first

    polls: list[int] = []
    durations: list[float] = []
    starts: list[float] = []
    first = None
    context = {"ti": RescheduleTI(), "task_state_store": MemoryStateStore()}
    while True:
        sensor = SmsDeliverySensor(
            task_id="bench_wait",
            sms_conn_id=conn_id,
            messages=messages,
            mode="reschedule",
            poke_interval=POKE_INTERVAL,
            timeout=120,
            deferrable=False,
        )
        before, started = _status_requests(emulator, vendor), time.perf_counter()
        starts.append(time.time())
        try:
            statuses = sensor.execute(context)  # type: ignore[arg-type]
        except AirflowRescheduleException as reschedule:
            first = first or datetime.now(reschedule.reschedule_date.tzinfo)
            wait = (
                reschedule.reschedule_date - datetime.now(reschedule.reschedule_date.tzinfo)
            ).total_seconds()
        else:
            wait = None
        durations.append(time.perf_counter() - started)
        polls.append(_status_requests(emulator, vendor) - before)
        if wait is None:
            return (polls, durations, starts), len(statuses)
        time.sleep(max(wait, 0.0))


def _track_trigger(emulator: Any, vendor: str, conn_id: str, messages: list[dict]) -> tuple[Polls, int]:
    from airflow_provider_sms.rules.messages import normalize_messages
    from airflow_provider_sms.triggers.delivery import SmsDeliveryTrigger

    polls: list[int] = []
    durations: list[float] = []
    seen = [_status_requests(emulator, vendor)]
    resumed = [time.perf_counter()]
    starts = [time.time()]

    class CountingTrigger(SmsDeliveryTrigger):
        async def _pause(self, seconds: float) -> None:
            durations.append(time.perf_counter() - resumed[-1])
            now = _status_requests(emulator, vendor)
            polls.append(now - seen[-1])
            seen.append(now)
            await super()._pause(seconds)
            resumed.append(time.perf_counter())
            starts.append(time.time())

    trigger = CountingTrigger(
        sms_conn_id=conn_id,
        messages=normalize_messages(messages),  # what the sensor hands its trigger
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
    return (polls, durations, starts), len(event.payload["statuses"])


def _split(polls: Polls, deliveries: list[float]) -> tuple[list[int], list[int]]:
    """Requests of the idle polls and of the moving ones (the first poll is in neither): a poll
    moved when a tracked message changed state between the end of the previous poll and its own end."""
    requests, durations, starts = polls
    ends = [start + duration for start, duration in zip(starts, durations, strict=True)]
    idle, moving = [], []
    for index in range(1, len(requests)):
        moved = bisect_right(deliveries, ends[index]) > bisect_right(deliveries, ends[index - 1])
        (moving if moved else idle).append(requests[index])
    return idle, moving


def _figures(values: list[int]) -> str:
    return f"{'/'.join(map(str, values))} (max {max(values)})" if values else "none"


def _measure(
    emulator: Any, vendor: str, path: str, count: int, delay: float, first: int
) -> list[dict[str, Any]]:
    conn_id = f"bench_{vendor}"
    emulator.fresh(delivery_delay=delay)
    messages = _send(conn_id, count, first)
    deliveries = _deliveries(emulator, vendor, delay)
    last_delivery = deliveries[-1]
    track = {"poke": _track_poke, "reschedule": _track_reschedule, "trigger": _track_trigger}[path]
    started = time.time()
    (polls, durations, starts), tracked = track(emulator, vendor, conn_id, messages)
    idle, moving = _split((polls, durations, starts), deliveries)
    finished = time.time()
    if tracked != count:
        raise RuntimeError(f"tracked {tracked} of {count} messages")
    label = "SMS Partner" if vendor == "smspartner" else "Primotexto"
    how = {"poke": "poke()", "reschedule": "reschedule", "trigger": "trigger run()"}[path]
    first_after = next((start for start in starts if start >= last_delivery), finished)
    categories = sorted({str(m.get("category")) for m in messages})
    bounded = [p for p in idle if p <= MAX_IDLE_REQUESTS]
    return [
        {
            "benchmark": "delivery",
            "variant": f"{label}, {how}",
            "items": count,
            "seconds": round(finished - last_delivery, 3),
            "per_second": round(count / (finished - started), 1),
            "requests": sum(polls),
            "notes": (
                f"seconds = last delivery -> success; first poll after it {first_after - last_delivery:.2f} s; {len(polls)} polls ({sum(p <= MAX_IDLE_REQUESTS for p in polls)} "
                f"of at most {MAX_IDLE_REQUESTS} requests), requests per poll "
                f"{'/'.join(str(p) for p in polls)}, longest poll {max(durations):.2f} s; "
                f"poke_interval {POKE_INTERVAL:g} s, delivery_delay {delay:g} s, deliveries over "
                f"{deliveries[-1] - deliveries[0]:.1f} s, tracking {finished - started:.1f} s"
            ),
        },
        {
            "benchmark": "sensor requests per poll",
            "variant": f"{label}, {how}",
            "items": count,
            "requests": max(bounded) if bounded else None,
            "seconds": None,
            "per_second": None,
            "notes": (
                f"requests = most in an idle poll (safety-net passes apart); idle polls {_figures(idle)}; "
                f"moving polls {_figures(moving)}; first poll {polls[0]}; "
                f"{len(idle) - len(bounded)} safety-net pass(es) among the idle polls; "
                f"send category {', '.join(categories)}"
            ),
        },
    ]


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
            for path in ("poke", "reschedule", "trigger"):
                rows.extend(_measure(emulator, vendor, path, count, delay, first))
                first += count
    return rows


if __name__ == "__main__":
    setup_airflow_env()
    for result in run(quick="--quick" in sys.argv):
        print(result)
