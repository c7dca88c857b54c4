"""The pure half of the delivery sensor: what ``messages`` accepts, and the shared verdict."""

from __future__ import annotations

import json

import pytest

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.model.results import DeliveryStatus, SendResult
from airflow_provider_sms.rules.messages import check_failure_states, normalize_messages
from airflow_provider_sms.tracking.delivery import (
    DEFAULT_FAILURE_STATES,
    classify,
    failure_summary,
    merge_statuses,
)

A = {"message_id": "11", "recipient": "+33612345678", "credits_used": 1.0, "segments": 1, "vendor": "x"}
B = {"message_id": "12", "recipient": "+33612345679", "credits_used": 1.0, "segments": 1, "vendor": "x"}
REF_A = {"message_id": "11", "recipient": "+33612345678"}
REF_B = {"message_id": "12", "recipient": "+33612345679"}


class LazySequence:
    """Stands in for Airflow's LazyXComSequence: iterable, not a list."""

    def __init__(self, items):
        self._items = items

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param([A, B], [REF_A, REF_B], id="send-operator-output"),
        pytest.param(A, [REF_A], id="single-dict"),
        pytest.param(LazySequence([[A], [B, A]]), [REF_A, REF_B], id="mapped-send-lazy-sequence"),
        pytest.param([[A], [B]], [REF_A, REF_B], id="list-of-lists"),
        pytest.param(json.dumps([A, B]), [REF_A, REF_B], id="json-text"),
        pytest.param(str([A, B]), [REF_A, REF_B], id="python-literal-text"),
        pytest.param([SendResult(**A)], [REF_A], id="dataclass"),
        pytest.param(
            [{"message_id": 11, "recipient": "06 12 34 56 78"}], [REF_A], id="national-number-to-e164"
        ),
        pytest.param(
            ["11", "12", 11],
            [{"message_id": "11", "recipient": None}, {"message_id": "12", "recipient": None}],
            id="bare-ids",
        ),
        pytest.param(
            "11, 12",
            [{"message_id": "11", "recipient": None}, {"message_id": "12", "recipient": None}],
            id="id-text",
        ),
        pytest.param([A, A, dict(A, credits_used=2)], [REF_A], id="dedup"),
        pytest.param([], [], id="empty"),
    ],
)
def test_normalize_messages_accepts_every_documented_shape(value, expected):
    assert normalize_messages(value) == expected


def test_normalize_messages_reports_every_problem_with_numbers_masked():
    with pytest.raises(SmsValidationError) as info:
        normalize_messages(
            [{"recipient": "+33612345678"}, {"message_id": "1", "recipient": "0123"}, 3.5, True]
        )
    text = str(info.value)
    assert len(info.value.problems) == 4
    assert "entry 0: no message_id" in text
    assert "entry 1: recipient" in text
    assert "float" in text
    assert "bool" in text
    assert "+33612345678" not in text


def test_failure_states_must_be_final_states():
    assert check_failure_states(DEFAULT_FAILURE_STATES) == ("error", "bounced", "unsubscribed")
    assert check_failure_states(()) == ()
    assert check_failure_states(None) == ()
    assert check_failure_states("bounced") == ("bounced",)
    with pytest.raises(SmsValidationError, match="'pending'"):
        check_failure_states(["bounced", "pending"])


def status(mid, state, recipient="+33612345678"):
    return DeliveryStatus(mid, recipient, state, vendor_state=state.title())


@pytest.mark.parametrize(
    ("states", "failure_states", "verdict"),
    [
        (["delivered", "delivered"], DEFAULT_FAILURE_STATES, "success"),
        (["delivered", "pending"], DEFAULT_FAILURE_STATES, "pending"),
        (["bounced", "pending"], DEFAULT_FAILURE_STATES, "pending"),  # waits until every one is final
        (["delivered", "bounced"], DEFAULT_FAILURE_STATES, "failure"),
        (["error"], DEFAULT_FAILURE_STATES, "failure"),
        (["unsubscribed"], DEFAULT_FAILURE_STATES, "failure"),
        (["delivered", "bounced"], (), "success"),
        (["error", "bounced"], ("bounced",), "failure"),
        (["error"], ("bounced",), "success"),
        ([], DEFAULT_FAILURE_STATES, "success"),
    ],
)
def test_classify(states, failure_states, verdict):
    statuses = [status(str(i), s) for i, s in enumerate(states)]
    outcome = classify(statuses, failure_states)
    assert outcome.verdict == verdict
    assert outcome.done is (verdict != "pending")
    assert len(outcome.pending) == states.count("pending")
    # dicts (XCom / trigger-event form) classify the same way
    assert classify([s.to_dict() for s in statuses], failure_states).verdict == verdict


def test_failure_summary_masks_numbers_and_caps_the_list():
    statuses = [status(str(i), "bounced", f"+336123456{i:02d}") for i in range(25)]
    text = failure_summary(classify(statuses), limit=3)
    assert text.startswith("25 of 25 SMS ended in a failure state (25 bounced)")
    assert "+3361****00 (message 0): bounced [Bounced]" in text
    assert "and 22 more" in text
    assert "+33612345600" not in text


def test_merge_statuses_keeps_input_order_and_latest_status():
    merged = merge_statuses([REF_B, REF_A], [status("11", "pending")], [status("11", "delivered")])
    assert [(s.message_id, s.state) for s in merged] == [("12", "pending"), ("11", "delivered")]
