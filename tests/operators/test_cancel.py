"""Cancelling scheduled sends: SMS Partner's /v1/message-cancel over HTTP to the emulator, and
Primotexto's refusal before any request."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.operators.cancel import SmsCancelScheduledOperator, message_ids_of
from tests.helpers.gateways import numbers

SMSP = "emu_smspartner"


class _Ti:
    def __init__(self):
        self.pushed = {}

    def xcom_push(self, key, value):
        self.pushed[key] = value


def _step(after: datetime) -> datetime:
    """The first 5-minute step strictly after ``after``."""
    base = after.replace(second=0, microsecond=0)
    return base + timedelta(minutes=5 - base.minute % 5)


def _scheduled_send(recipients, minutes_ahead=30):
    when = _step(datetime.now(timezone.utc) + timedelta(minutes=minutes_ahead))
    outcome = get_sms_hook(SMSP).send_sms_batch(recipients, "Rappel: rdv demain", send_at=when)
    return [result.to_dict() for result in outcome.sent]  # what SmsSendOperator pushes per number


def cancel(messages, conn_id=SMSP, **kwargs):
    ti = _Ti()
    op = SmsCancelScheduledOperator(task_id="cancel", sms_conn_id=conn_id, messages=messages, **kwargs)
    return op, ti, op.execute({"ti": ti})


def test_cancel_takes_back_a_scheduled_send_and_it_is_never_delivered(emulator, caplog):
    caplog.set_level(logging.DEBUG)
    recipients = numbers(3)
    results = _scheduled_send(recipients)
    assert len({r["message_id"] for r in results}) == 1
    _, _, out = cancel(results)
    assert out == [{"message_id": results[0]["message_id"], "outcome": "cancelled", "code": None, "ok": True}]
    assert len(emulator.requests(vendor="smspartner", path="/message-cancel")) == 1
    records = emulator.messages(vendor="smspartner")
    assert {r["state"] for r in records} == {"Cancelled"}
    for number in recipients:
        assert number not in caplog.text
        assert number[4:] not in caplog.text
    assert "Rappel" not in caplog.text


def test_cancel_twice_is_idempotent(emulator):
    results = _scheduled_send(numbers(1))
    cancel(results)
    _, _, again = cancel(results)  # a retried task
    assert again[0]["outcome"] == "already_cancelled"
    assert again[0]["ok"] is True
    assert again[0]["code"] == 5


def test_plain_ids_and_every_refusal_fails_the_task_with_its_results(emulator):
    scheduled = _scheduled_send(numbers(1))
    now_sent = get_sms_hook(SMSP).send_sms(numbers(1, first=41_000_000)[0], "Bonjour")
    ids = [scheduled[0]["message_id"], str(now_sent.message_id), "999"]
    op = SmsCancelScheduledOperator(task_id="cancel", sms_conn_id=SMSP, messages=ids)
    ti = _Ti()
    with pytest.raises(SmsValidationError, match="2 scheduled send"):
        op.execute({"ti": ti})
    outcomes = {r["message_id"]: r["outcome"] for r in ti.pushed["return_value"]}
    assert outcomes == {ids[0]: "cancelled", ids[1]: "already_sent", "999": "not_found"}


def test_too_late_skips_with_on_too_late_skip(emulator):
    # the gateway's clock two minutes before a step 15+ minutes ahead: that step is 2 minutes away
    step = _step(datetime.now(timezone.utc) + timedelta(minutes=15))
    emulator.configure(clock_offset=step.timestamp() - 120 - time.time())
    result = get_sms_hook(SMSP).send_sms(numbers(1)[0], "Bonjour", send_at=step)
    _, _, out = cancel([result.to_dict()], on_too_late="skip")
    assert out[0]["outcome"] == "too_late"
    assert out[0]["code"] == 6
    assert out[0]["ok"] is False


def test_primotexto_refuses_before_any_request(emulator):
    with pytest.raises(SmsValidationError, match="Primotexto cannot cancel a scheduled send"):
        cancel(["123"], conn_id="emu_primotexto")
    assert emulator.requests() == []


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([{"message_id": 7, "recipient": "+33600000000"}, {"message_id": "7"}, 8], ["7", "8"]),
        ("12", ["12"]),
    ],
)
def test_message_ids_of(messages, expected):
    assert message_ids_of(messages) == expected


@pytest.mark.parametrize("bad", [None, [{"recipient": "+33600000000"}], [True], [""], b"1"])
def test_message_ids_of_refuses_without_quoting(bad):
    with pytest.raises(SmsValidationError) as info:
        message_ids_of(bad)
    assert "+336" not in str(info.value)


def test_on_too_late_checked():
    with pytest.raises(SmsValidationError, match="on_too_late"):
        SmsCancelScheduledOperator(task_id="c", sms_conn_id=SMSP, messages=[], on_too_late="ignore")
