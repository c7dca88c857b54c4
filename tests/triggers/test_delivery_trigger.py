"""SmsDeliveryTrigger: serialisation, one final event, batching, backoff without hot loops; the
shared poll loop (:class:`PollingTrigger`): start-to-start pacing, backoff, deadline, error events."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from airflow.providers.common.compat.module_loading import import_string
from airflow.triggers.base import TriggerEvent

try:
    from airflow.sdk.serde import deserialize, serialize
except ImportError:  # Airflow < 3.1
    from airflow.serialization.serde import deserialize, serialize
from airflow_provider_sms.emulator import NUMBER_BOUNCED, NUMBER_NEVER_FINAL
from airflow_provider_sms.exceptions import SmsAuthenticationError, SmsRateLimitError, SmsServerError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.tracking.delivery import MIN_POLL_INTERVAL, backoff_delay
from airflow_provider_sms.triggers import polling
from airflow_provider_sms.triggers.delivery import SmsDeliveryTrigger
from airflow_provider_sms.triggers.polling import PollingTrigger
from tests.helpers.delivery import asked, key

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


# ---------------------------------------------------------------------------------------------- pacing
class FakeClock:
    """The loop's poll clock, moved only by :class:`ScriptedTrigger`'s polls."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class ScriptedTrigger(PollingTrigger):
    """A poll per step of ``script``: ``(seconds it takes, None | "done" | an exception)``."""

    def __init__(self, script, clock, **kwargs):
        super().__init__(sms_conn_id="emu_primotexto", **kwargs)
        self.script, self.clock, self.pauses = list(script), clock, []

    def serialize(self):
        return (f"{__name__}.ScriptedTrigger", {})

    async def _poll_once(self, hook):
        seconds, result = self.script.pop(0)
        self.clock.now += seconds
        if isinstance(result, BaseException):
            raise result
        return TriggerEvent(self._payload("success")) if result == "done" else None

    async def _pause(self, seconds):
        self.pauses.append(seconds)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(polling, "CLOCK", fake)
    return fake


def test_polls_start_every_poke_interval(emulator, clock):
    """After an answered poll the pause is what is left of ``poke_interval``, never below the minimum."""
    script = [(0.3, None), (0.0, None), (0.95, None), (2.5, None), (1.0, None), (0.25, "done")]
    trigger = ScriptedTrigger(script, clock, poke_interval=1.0)
    assert [e.payload for e in collect(trigger)] == [{"status": "success"}]
    assert trigger.pauses == pytest.approx(
        [0.7, 1.0, MIN_POLL_INTERVAL, MIN_POLL_INTERVAL, MIN_POLL_INTERVAL]
    )
    assert min(trigger.pauses) >= MIN_POLL_INTERVAL


def test_backoff_after_failed_polls_is_unchanged_by_pacing(emulator, clock):
    """A failed poll's backoff is measured from its end: the poll's duration is not taken off."""
    script = [
        (0.4, SmsServerError("down")),
        (0.4, SmsRateLimitError("slow down", retry_after=7.0)),
        (0.4, SmsServerError("down")),
        (0.4, None),
        (0.2, None),
        (0.0, "done"),
    ]
    trigger = ScriptedTrigger(script, clock, poke_interval=1.0, max_backoff=30.0)
    assert [e.payload["status"] for e in collect(trigger)] == ["success"]
    assert trigger.pauses[:3] == [
        backoff_delay(1, 1.0, None, 30.0),
        backoff_delay(2, 1.0, 7.0, 30.0),
        backoff_delay(3, 1.0, None, 30.0),
    ]
    assert trigger.pauses[:3] == [2.0, 7.0, 8.0]
    assert trigger.pauses[3:] == pytest.approx([0.6, 0.8])  # answered again: start to start


def test_pause_never_passes_the_deadline_and_the_deadline_ends_the_wait(emulator, clock):
    trigger = ScriptedTrigger([(0.0, None)] * 2, clock, poke_interval=60.0, deadline=time.time() + 5.0)
    clamped = []

    async def pause(seconds):
        clamped.append(seconds)
        trigger.deadline = time.time() - 1  # the deadline passes during the pause

    trigger._pause = pause
    assert [e.payload for e in collect(trigger)] == [{"status": "timeout"}]
    assert len(clamped) == 1
    assert MIN_POLL_INTERVAL <= clamped[0] <= 5.0


def test_error_events_have_one_shape(emulator, clock):
    refused = SmsAuthenticationError("bad key for +33612345678", http_status=401, code=10)
    (event,) = collect(ScriptedTrigger([(0.1, refused)], clock, poke_interval=1.0))
    assert event.payload == {
        "status": "error",
        "error": "SmsAuthenticationError",
        "message": "bad key for +3361****78",
        "http_status": 401,
        "code": 10,
    }
    (event,) = collect(ScriptedTrigger([(0.1, KeyError("x"))], clock, poke_interval=1.0))
    assert event.payload == {"status": "error", "error": "KeyError", "message": "'x'"}


def test_delivery_trigger_paces_start_to_start_against_the_emulator(emulator, vendor, conn_id, poll_clock):
    """Each pause after an answered poll is ``poke_interval`` minus that poll's measured duration."""
    emulator.configure(delivery_delay=1.0)  # a few polls before the messages are final
    messages = refs(send(conn_id, [OK_1, OK_2]))
    emulator.add_fault("latency", vendor=vendor, path="status", latency_ms=150)
    pauses = []

    class Recording(SmsDeliveryTrigger):
        async def _pause(self, seconds):
            pauses.append((seconds, poll_clock.last_poll()))
            await asyncio.sleep(0.05)

    (event,) = collect(Recording(sms_conn_id=conn_id, messages=messages, poke_interval=0.5))
    assert event.payload["status"] == "success"
    assert pauses
    for pause, took in pauses:
        assert took >= 0.15  # the emulator's latency: the pause is shortened by at least that much
        assert pause == max(MIN_POLL_INTERVAL, 0.5 - took)
