"""DeliveryTracker without a gateway: the bookkeeping the sensor's poke and the trigger share."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_sms.exceptions import SmsAuthenticationError, SmsRateLimitError
from airflow_provider_sms.model.results import DeliveryStatus
from airflow_provider_sms.tracking.delivery import DeliveryTracker

A = {"message_id": "1", "recipient": "+33612345601"}
B = {"message_id": "2", "recipient": "+33612345602"}


class FakeHook:
    """Answers from a script: each call pops one reply (a list of states, or an exception)."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.asked = []

    def _answer(self, messages):
        self.asked.append([m["message_id"] for m in messages])
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return [DeliveryStatus(m["message_id"], m["recipient"], s) for m, s in zip(messages, reply)]

    def get_delivery_statuses(self, messages):
        return self._answer(messages)

    async def aget_delivery_statuses(self, messages):
        return self._answer(messages)


def run(tracker, hook, mode):
    return tracker.poll(hook) if mode == "sync" else asyncio.run(tracker.apoll(hook))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_asks_only_pending_and_keeps_finals(mode):
    hook = FakeHook(["delivered", "pending"], ["bounced"])
    tracker = DeliveryTracker([A, B])
    assert run(tracker, hook, mode).verdict == "pending"
    assert tracker.pending() == [B]
    outcome = run(tracker, hook, mode)
    assert hook.asked == [["1", "2"], ["2"]]
    assert outcome.verdict == "failure"
    assert [s.state for s in outcome.statuses] == ["delivered", "bounced"]
    assert run(tracker, hook, mode).verdict == "failure"  # nothing pending: no call
    assert len(hook.asked) == 2


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_transient_error_keeps_the_last_outcome_and_is_counted(mode):
    limited = SmsRateLimitError("slow down", http_status=429, retry_after=7.0)
    hook = FakeHook(["delivered", "pending"], limited, limited, ["delivered"])
    tracker = DeliveryTracker([A, B])
    seen = run(tracker, hook, mode)
    assert (tracker.failures, tracker.last_error) == (0, None)
    assert run(tracker, hook, mode) is seen
    assert run(tracker, hook, mode) is seen
    assert (tracker.failures, tracker.last_error) == (2, limited)
    assert run(tracker, hook, mode).verdict == "success"
    assert (tracker.failures, tracker.last_error, tracker.polls) == (0, None, 4)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_permanent_error_propagates(mode):
    tracker = DeliveryTracker([A])
    with pytest.raises(SmsAuthenticationError):
        run(tracker, FakeHook(SmsAuthenticationError("bad key", http_status=401)), mode)
    assert tracker.polls == 0


def test_known_finals_are_never_asked_and_a_lazy_hook_is_not_built():
    tracker = DeliveryTracker(
        [A, B], final_statuses=[DeliveryStatus("1", A["recipient"], "delivered").to_dict()]
    )
    assert tracker.pending() == [B]
    assert tracker.final_statuses() == [DeliveryStatus("1", A["recipient"], "delivered").to_dict()]
    done = DeliveryTracker([], ())

    def no_hook():
        raise AssertionError("the hook was built with nothing to ask")

    assert done.poll(no_hook).verdict == "success"
    assert tracker.poll(lambda: FakeHook(["delivered"])).verdict == "success"
