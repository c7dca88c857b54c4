"""SmsDeliveryTrigger: serialisation, one final event, batching, backoff without hot loops."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from airflow.providers.common.compat.module_loading import import_string

try:
    from airflow.sdk.serde import deserialize, serialize
except ImportError:  # Airflow < 3.1
    from airflow.serialization.serde import deserialize, serialize
from delivery_helpers import asked, key

from airflow_provider_sms.delivery import backoff_delay
from airflow_provider_sms.emulator import NUMBER_BOUNCED, NUMBER_NEVER_FINAL
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.triggers.delivery import SmsDeliveryTrigger

OK_1, OK_2 = "+33612340021", "+33612340022"
PRIMITIVES = (str, int, float, bool, type(None))


def send(conn_id, numbers):
    hook = get_sms_hook(conn_id)
    if hook.max_recipients_per_send > 1:
        sent = []
        for i in range(0, len(numbers), hook.max_recipients_per_send):
            sent += hook.send_sms_batch(numbers[i : i + hook.max_recipients_per_send], "Code 1234").sent
        return [r.to_dict() for r in sent]
    return [hook.send_sms(n, "Code 1234").to_dict() for n in numbers]


def refs(results):
    return [{"message_id": r["message_id"], "recipient": r["recipient"]} for r in results]


def collect(trigger):
    async def drain():
        return [event async for event in trigger.run()]

    return asyncio.run(drain())


def only_primitives(value):
    if isinstance(value, dict):
        return all(isinstance(k, str) and only_primitives(v) for k, v in value.items())
    if isinstance(value, list):
        return all(only_primitives(v) for v in value)
    return isinstance(value, PRIMITIVES)


# ---------------------------------------------------------------------------------------------- serialisation
def test_serialize_round_trip_with_primitives_only():
    trigger = SmsDeliveryTrigger(
        sms_conn_id="emu_smspartner",
        messages=[{"message_id": 42, "recipient": OK_1}, {"message_id": "43", "recipient": None}],
        failure_states=("bounced",),
        poke_interval=5,
        deadline=1_900_000_000.5,
        max_backoff=120,
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_sms.triggers.delivery.SmsDeliveryTrigger"
    assert only_primitives(kwargs)
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert kwargs["messages"] == [
        {"message_id": "42", "recipient": OK_1},
        {"message_id": "43", "recipient": None},
    ]
    # what the task runner and the triggerer do: serde-encode, decode, import, rebuild
    rebuilt = import_string(classpath)(**deserialize(serialize(kwargs)))
    assert rebuilt.serialize() == (classpath, kwargs)
    assert SmsDeliveryTrigger(**json.loads(json.dumps(kwargs))).serialize() == (classpath, kwargs)


def test_backoff_doubles_honours_retry_after_and_is_capped():
    assert [backoff_delay(n, 1.0, None, 10) for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 10, 10]
    assert backoff_delay(1, 1.0, 7.0, 10) == 7.0
    assert backoff_delay(1, 1.0, 99.0, 10) == 10
    assert backoff_delay(1, 0.0, None, 10) > 0  # poke_interval=0 never means "no pause"


# ---------------------------------------------------------------------------------------------- run
def test_one_final_success_event(emulator, conn_id):
    messages = refs(send(conn_id, [OK_1, OK_2]))
    events = collect(SmsDeliveryTrigger(sms_conn_id=conn_id, messages=messages, poke_interval=0.1))
    assert len(events) == 1
    payload = events[0].payload
    assert payload["status"] == "success"
    assert payload["counts"] == {"delivered": 2}
    assert [(messages[s["index"]]["recipient"], s["state"]) for s in payload["statuses"]] == [
        (OK_1, "delivered"),
        (OK_2, "delivered"),
    ]
    assert json.loads(json.dumps(payload)) == payload
    text = (
        json.dumps(payload)
        + repr(events[0])
        + repr(SmsDeliveryTrigger(sms_conn_id=conn_id, messages=messages))
    )
    assert OK_1[4:] not in text  # the triggerer logs every event: no phone number in it
    assert OK_2[4:] not in text


def test_failure_event_lists_every_status(emulator, conn_id):
    messages = refs(send(conn_id, [OK_1, NUMBER_BOUNCED]))
    (event,) = collect(SmsDeliveryTrigger(sms_conn_id=conn_id, messages=messages, poke_interval=0.1))
    assert event.payload["status"] == "failure"
    assert {messages[s["index"]]["recipient"]: s["state"] for s in event.payload["statuses"]}[
        NUMBER_BOUNCED
    ] in (
        "bounced",
        "error",
    )


def test_empty_failure_states_make_a_bounce_a_success(emulator, conn_id):
    messages = refs(send(conn_id, [NUMBER_BOUNCED]))
    trigger = SmsDeliveryTrigger(sms_conn_id=conn_id, messages=messages, failure_states=[], poke_interval=0.1)
    assert collect(trigger)[0].payload["status"] == "success"


def test_deadline_gives_a_timeout_event_and_repolls_only_pending(emulator, vendor, conn_id):
    messages = refs(send(conn_id, [OK_1, NUMBER_NEVER_FINAL]))
    trigger = SmsDeliveryTrigger(
        sms_conn_id=conn_id, messages=messages, poke_interval=0.1, deadline=time.time() + 1.0
    )
    (event,) = collect(trigger)
    assert event.payload["status"] == "timeout"
    assert {messages[s["index"]]["recipient"]: s["state"] for s in event.payload["statuses"]} == {
        OK_1: "delivered",
        NUMBER_NEVER_FINAL: "pending",
    }
    asks = asked(emulator, vendor)
    ok, never = (key(vendor, m) for m in messages)
    # the delivered message is asked about until it is final, never again after
    last_ok = len(asks) - 1 - asks[::-1].index(ok)
    assert asks[last_ok + 1 :]
    assert set(asks[last_ok + 1 :]) == {never}


def test_smspartner_polls_500_pairs_per_request(emulator):
    numbers = [f"+336123{i:05d}" for i in range(1200)]
    messages = refs(send("emu_smspartner", numbers))
    (event,) = collect(SmsDeliveryTrigger(sms_conn_id="emu_smspartner", messages=messages, poke_interval=0.1))
    assert event.payload["status"] == "success"
    assert len(event.payload["statuses"]) == 1200
    sizes = [
        len(r["body"]["SMSStatut_List"]) for r in emulator.requests(vendor="smspartner", path="multi-status")
    ]
    assert max(sizes) == 500
    assert sizes[:3] == [500, 500, 200] or sorted(sizes[:3]) == [200, 500, 500]


def test_rate_limit_storm_backs_off_and_never_spins(emulator, vendor, conn_id, monkeypatch):
    """More 429s than the hook's own retries: the trigger backs off (doubling, at least
    Retry-After, capped), sleeps between every two polls, and still ends right."""
    messages = refs(send(conn_id, [OK_1]))
    emulator.add_fault("rate_limit", vendor=vendor, path="status", count=12, retry_after=0.02)
    sleeps = []

    async def recording_pause(self, delay):
        sleeps.append(delay)
        await asyncio.sleep(min(delay, 0.05))

    monkeypatch.setattr(SmsDeliveryTrigger, "_pause", recording_pause)
    trigger = SmsDeliveryTrigger(sms_conn_id=conn_id, messages=messages, poke_interval=0.1, max_backoff=0.5)
    events = collect(trigger)
    assert [e.payload["status"] for e in events] == ["success"]
    limited = [r for r in emulator.requests(vendor=vendor, path="status") if r["status"] == 429]
    assert len(limited) == 12
    answered = [r for r in emulator.requests(vendor=vendor, path="status") if r["status"] == 200]
    # the hook tries each poll 4 times: 12 refusals are 3 failed polls, then answered polls
    assert sleeps[:3] == [0.2, 0.4, 0.5]  # doubling from poke_interval, capped at max_backoff
    assert sleeps[3:] == [0.1] * (len(answered) - 1)  # then back to poke_interval
    assert len(sleeps) == 3 + len(answered) - 1  # one pause between every two polls, none missing


def test_permanent_error_is_one_error_event(emulator, monkeypatch):
    conn = json.loads(emulator.connection_json("primotexto"))
    conn["password"] = "wrong-key-123"
    monkeypatch.setenv("AIRFLOW_CONN_EMU_WRONG", json.dumps(conn))
    trigger = SmsDeliveryTrigger(sms_conn_id="emu_wrong", messages=[{"message_id": "1"}], poke_interval=0.1)
    events = collect(trigger)
    assert len(events) == 1
    payload = events[0].payload
    assert payload["status"] == "error"
    assert payload["error"] == "SmsAuthenticationError"
    assert "wrong-key-123" not in json.dumps(payload)


def test_unknown_connection_is_an_error_event(emulator):
    trigger = SmsDeliveryTrigger(
        sms_conn_id="no_such_conn", messages=[{"message_id": "1"}], poke_interval=0.1
    )
    (event,) = collect(trigger)
    assert event.payload["status"] == "error"


@pytest.mark.asyncio
async def test_cancellation_is_not_swallowed(emulator):
    """The triggerer cancels a trigger on timeout or kill: the task must stop, not yield an event."""
    trigger = SmsDeliveryTrigger(
        sms_conn_id="emu_primotexto", messages=[{"message_id": "1"}], poke_interval=10
    )
    task = asyncio.ensure_future(anext(trigger.run()))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
