"""Run a deferrable operator the way Airflow does, without a triggerer: execute -> TaskDeferred ->
drive the trigger with asyncio -> resume_execution (which applies soft_fail and timeout conversion)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

from airflow.providers.common.compat.sdk import TaskDeferred

from airflow_provider_sms.hooks import get_sms_hook
from tests.helpers.task_fakes import FakeTI


def context():
    return {"ti": FakeTI()}


def collect(trigger):
    """Every event the trigger yields until its generator ends."""

    async def drain():
        return [event async for event in trigger.run()]

    return asyncio.run(drain())


def defer(sensor, ctx):
    """Call ``execute`` and return the TaskDeferred it raises (fails if it does not defer)."""
    try:
        sensor.execute(ctx)
    except TaskDeferred as deferred:
        return deferred
    raise AssertionError("the sensor did not defer")


def run_deferrable(sensor, ctx):
    """execute -> trigger -> resume_execution, as the task runner and the triggerer would."""
    deferred = defer(sensor, ctx)
    events = collect(deferred.trigger)
    assert len(events) == 1
    return sensor.resume_execution(
        deferred.method_name, {"event": events[0].payload, **(deferred.kwargs or {})}, ctx
    )


def send(conn_id, numbers):
    """Send one SMS to each number; return SendResult dicts (SmsSendOperator's XCom shape)."""
    hook = get_sms_hook(conn_id)
    return [hook.send_sms(number, "Votre code: 1234").to_dict() for number in numbers]


def wait_until_final(emulator, count, timeout=5.0):
    """Block until the emulator reports ``count`` final messages (not an assertion)."""
    deadline = time.monotonic() + timeout
    pending = {"sent", "Waiting"}
    while time.monotonic() < deadline:
        if sum(m["state"] not in pending for m in emulator.messages()) >= count:
            return
        time.sleep(0.05)


def asked(emulator, vendor, since=0):
    """Message ids the status requests since request ``since`` asked about (one entry per ask)."""
    ids = []
    for request in emulator.requests(vendor=vendor, path="status")[since:]:
        if request["status"] != 200:
            continue
        if vendor == "primotexto":
            ids.append(request["query"]["snapshotId"])
        else:
            ids += [(p["messageId"], p["phoneNumber"]) for p in request["body"]["SMSStatut_List"]]
    return ids


def key(vendor, result):
    """How :func:`asked` names the message of a SendResult dict."""
    return result["message_id"] if vendor == "primotexto" else (result["message_id"], result["recipient"])


@contextlib.contextmanager
def delivered_after_requests(emulator, vendor: str, path: str, count: int):
    """While the block runs, deliver every message once the emulator has seen ``count`` requests
    whose path holds ``path``: the test, not a wall-clock delay, decides how many polls see the
    messages pending (set a long ``delivery_delay`` first)."""
    stop = threading.Event()

    def deliver() -> None:
        while not stop.is_set():
            if len(emulator.requests(vendor=vendor, path=path)) >= count:
                for message in emulator.messages(vendor):
                    emulator.set_message_state(vendor, message["message_id"], "delivered")
                return
            stop.wait(0.05)

    helper = threading.Thread(target=deliver, daemon=True)
    helper.start()
    try:
        yield
    finally:
        stop.set()
        helper.join(timeout=10)
