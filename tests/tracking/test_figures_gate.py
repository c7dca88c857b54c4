"""The category figures gate: idle Primotexto polls make one stats request and no status request."""

from __future__ import annotations

import asyncio
import time

import pytest

from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.rules.messages import normalize_messages
from airflow_provider_sms.tracking.delivery import DeliveryTracker
from airflow_provider_sms.tracking.figures_gate import FiguresGate
from airflow_provider_sms.triggers.delivery import SmsDeliveryTrigger
from tests.helpers.delivery import collect
from tests.helpers.gateways import CONN_IDS

CONN = CONN_IDS["primotexto"]


def _send(emulator, count, first, category="batch-a", delay=60.0):
    emulator.configure(delivery_delay=delay)
    hook = get_sms_hook(CONN)
    results = [
        hook.send_sms(f"+33612{first + i:06d}", "Votre code: 1234", category=category) for i in range(count)
    ]
    return [{**r.to_dict(), "category": category} for r in results]


def _counts(emulator, since):
    """(stats requests, status requests) received since request index ``since``."""
    records = emulator.requests(vendor="primotexto")[since:]
    return sum("stats" in r["path"] for r in records), sum(r["path"].endswith("status") for r in records)


def test_refs_keep_the_category():
    refs = normalize_messages([{"message_id": "1", "recipient": "+33639980001", "category": "x"}, "2"])
    assert refs == [
        {"message_id": "1", "recipient": "+33639980001", "category": "x"},
        {"message_id": "2", "recipient": None},
    ]


def test_an_idle_poll_makes_one_request(emulator):
    tracker = DeliveryTracker(normalize_messages(_send(emulator, 20, 1000)))
    hook = get_sms_hook(CONN)
    start = len(emulator.requests(vendor="primotexto"))
    tracker.poll(hook)
    assert _counts(emulator, start) == (1, 20)  # first poll: a full pass
    for _ in range(3):
        start = len(emulator.requests(vendor="primotexto"))
        outcome = tracker.poll(hook)
        assert _counts(emulator, start) == (1, 0)
        assert len(outcome.pending) == 20
        assert outcome.counts == {"pending": 20}
    assert tracker.gate.skipped_total == 3


def test_a_state_change_triggers_a_per_message_pass(emulator):
    refs = _send(emulator, 4, 100, delay=1.0) + _send(emulator, 4, 200, delay=60.0)
    tracker, hook = DeliveryTracker(normalize_messages(refs)), get_sms_hook(CONN)
    tracker.poll(hook)
    start = len(emulator.requests(vendor="primotexto"))
    tracker.poll(hook)
    assert _counts(emulator, start) == (1, 0)
    time.sleep(1.2)
    start = len(emulator.requests(vendor="primotexto"))
    outcome = tracker.poll(hook)
    assert _counts(emulator, start) == (1, 8)
    assert outcome.counts == {"delivered": 4, "pending": 4}
    start = len(emulator.requests(vendor="primotexto"))
    tracker.poll(hook)
    assert _counts(emulator, start) == (1, 0)  # figures still again: the 4 pending are not asked


def test_the_safety_net_pass_happens(emulator):
    tracker, hook = DeliveryTracker(normalize_messages(_send(emulator, 3, 300))), get_sms_hook(CONN)
    clock = [0.0]
    tracker.gate = FiguresGate(every_polls=3, every_seconds=100, clock=lambda: clock[0])
    passes = []
    for _ in range(7):
        start = len(emulator.requests(vendor="primotexto"))
        tracker.poll(hook)
        passes.append(_counts(emulator, start)[1])
    assert passes == [3, 0, 0, 3, 0, 0, 3]  # every third poll at least
    clock[0] = 100.0
    start = len(emulator.requests(vendor="primotexto"))
    tracker.poll(hook)
    assert _counts(emulator, start)[1] == 3  # and every 100 s at least


def test_without_category_or_ability_every_poll_asks_each_message(emulator):
    refs = [{k: v for k, v in r.items() if k != "category"} for r in _send(emulator, 3, 400)]
    tracker, hook = DeliveryTracker(normalize_messages(refs)), get_sms_hook(CONN)
    for _ in range(2):
        start = len(emulator.requests(vendor="primotexto"))
        tracker.poll(hook)
        assert _counts(emulator, start) == (0, 3)
    assert (
        FiguresGate.categories(
            get_sms_hook(CONN_IDS["smspartner"]), normalize_messages(_send(emulator, 3, 500))
        )
        == []
    )


def test_a_failed_pass_is_not_skipped_next_time():
    gate = FiguresGate()
    assert not gate.unchanged_since_last_pass({"a": {"sent": 1}})  # first: a pass (not answered: no passed())
    assert not gate.unchanged_since_last_pass({"a": {"sent": 1}})
    gate.record_pass()
    assert gate.unchanged_since_last_pass({"a": {"sent": 1}})
    assert not gate.unchanged_since_last_pass({"a": {"sent": 1, "delivered": 1}})
    assert not gate.unchanged_since_last_pass({"a": {}})  # unreadable figures: never skip


def test_the_trigger_uses_the_figures_and_succeeds(emulator):
    refs = _send(emulator, 6, 600, delay=1.0)
    trigger = SmsDeliveryTrigger(
        sms_conn_id=CONN, messages=refs, poke_interval=0.2, deadline=time.time() + 20
    )
    assert all(m["category"] == "batch-a" for m in trigger.serialize()[1]["messages"])
    start = len(emulator.requests(vendor="primotexto"))
    (event,) = collect(trigger)
    assert event.payload["status"] == "success"
    stats, status = _counts(emulator, start)
    assert stats >= 3
    assert status <= 12  # the first pass and the one after the deliveries: idle polls asked none


@pytest.mark.parametrize("value", [None, ""])
def test_a_ref_without_category_turns_the_gate_off(value):
    class Caps:
        status_summary_by_category = True

    class Source:
        capabilities = Caps()

    refs = [{"message_id": "1", "recipient": None, "category": "a"}, {"message_id": "2", "category": value}]
    assert FiguresGate.categories(Source(), refs) == []
    assert asyncio.iscoroutinefunction(FiguresGate.anothing_moved)


class _FailingFigures:
    """A figures source whose figures read fails as ``error`` says; every status is pending."""

    class capabilities:  # what the gate reads off a hook
        status_summary_by_category = True

    def __init__(self, error):
        self.error, self.summary_calls, self.status_calls = error, 0, 0

    def get_status_summary(self, category):
        self.summary_calls += 1
        raise self.error

    async def aget_status_summary(self, category):
        return self.get_status_summary(category)

    def get_delivery_statuses(self, messages):
        from airflow_provider_sms.model.results import DeliveryStatus

        self.status_calls += 1
        return [DeliveryStatus(m["message_id"], m["recipient"], "pending") for m in messages]

    async def aget_delivery_statuses(self, messages):
        return self.get_delivery_statuses(messages)


def _errors():
    from airflow_provider_sms.exceptions import SmsNotFoundError, SmsRateLimitError, SmsServerError

    return [
        SmsNotFoundError("no such category", http_status=404, code=16),
        SmsServerError("HTTP 502", http_status=502),
        SmsRateLimitError("HTTP 429", http_status=429),
        ValueError("cannot convert float NaN to integer"),  # a reply of an unexpected shape
    ]


@pytest.mark.parametrize("error", _errors(), ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_a_failed_figures_read_falls_back_to_per_message_requests(error, use_async):
    refs = [{"message_id": str(i), "recipient": f"+3361234567{i}", "category": "a"} for i in range(3)]
    tracker, source = DeliveryTracker(refs), _FailingFigures(error)
    for _ in range(3):
        outcome = asyncio.run(tracker.apoll(source)) if use_async else tracker.poll(source)
        assert tracker.last_error is None
        assert len(outcome.pending) == 3
    assert (source.summary_calls, source.status_calls) == (1, 3)  # read once, then skipped
    note = tracker.gate.notice()
    assert note == (
        f"Could not read the delivery figures of the messages' categories ({type(error).__name__}); "
        "asking about each message instead for the rest of this wait"
    )
    assert tracker.gate.notice() is None  # said once


def test_a_gate_turned_off_stays_off_across_processes_and_in_the_trigger():
    gate = FiguresGate()
    gate.enabled = False
    restored = FiguresGate()
    restored.restore(gate.snapshot())
    assert restored.enabled is False
    assert restored.notice() is None  # the poke that turned it off has warned already
    old = FiguresGate()
    old.restore({"figures": None, "last_pass_at": 1.0, "skipped": 0})  # saved before the flag
    assert old.enabled is True
    trigger = SmsDeliveryTrigger(
        sms_conn_id=CONN, messages=[{"message_id": "1", "recipient": None}], category_figures=False
    )
    assert trigger.serialize()[1]["category_figures"] is False
    trigger._begin()
    assert trigger._tracker.gate.enabled is False
    assert SmsDeliveryTrigger(sms_conn_id=CONN, messages=[]).serialize()[1]["category_figures"] is True
