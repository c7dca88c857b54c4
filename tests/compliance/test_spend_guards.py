"""Spend guards and dry runs against the emulator on both gateways: over budget, not enough credits
and dry runs make no send request; the errors give the figures."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from airflow_provider_sms.exceptions import SmsInsufficientCreditError, SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.operators.send import SmsSendOperator
from tests.operators.test_send_operator import numbers, run

CREDIT_PATHS = {"primotexto": "/v2/account/stats", "smspartner": "/v1/me"}
LONG = "Bonjour, " + "x" * 200  # GSM-7, 2 segments

#: A part of each gateway's send path (Primotexto: either pool, notification or marketing).
SEND_PATH_PARTS = {"primotexto": "/messages/send", "smspartner": "/v1/send"}


def make(conn_id: str, recipients, message: str = "Hi", **kwargs) -> SmsSendOperator:
    return SmsSendOperator(
        task_id="send", sms_conn_id=conn_id, recipients=recipients, message=message, **kwargs
    )


def sends(emulator, vendor):
    return emulator.requests(vendor=vendor, path=SEND_PATH_PARTS[vendor])


def credit_reads(emulator, vendor):
    return emulator.requests(vendor=vendor, path=CREDIT_PATHS[vendor])


def price(conn_id: str) -> float:
    return get_sms_hook(conn_id).capabilities.price_per_segment


def test_over_max_segments_is_refused_with_the_figures_and_no_request(emulator, vendor, conn_id):
    result, _ = run(make(conn_id, numbers(5), LONG, max_segments=9))
    assert isinstance(result, SmsValidationError)
    assert "max_segments: the send needs 5 recipient(s) x 2 segment(s) = 10 segment(s)" in str(result)
    assert "over the limit of 9; nothing was sent" in str(result)
    assert emulator.requests() == []


def test_at_max_segments_the_send_goes_out(emulator, vendor, conn_id):
    result, _ = run(make(conn_id, numbers(5), LONG, max_segments=10))
    assert not isinstance(result, Exception), result
    assert len(result) == 5


def test_over_max_credits_is_refused_with_the_cost(emulator, vendor, conn_id):
    unit = get_sms_hook(conn_id).capabilities.credit_unit
    cost = 5 * 2 * price(conn_id)
    result, _ = run(make(conn_id, numbers(5), LONG, max_credits=cost * 0.9))
    assert isinstance(result, SmsValidationError)
    assert f"= 10 segment(s), about {cost:g} {unit}, over the limit of {cost * 0.9:g} {unit}" in str(result)
    assert emulator.requests() == []
    result, _ = run(make(conn_id, numbers(5), LONG, max_credits=cost))
    assert not isinstance(result, Exception), result


def test_not_enough_credits_for_a_bulk_send_sends_nothing(emulator, vendor, conn_id):
    needed = 150 * price(conn_id)
    emulator.configure(credits=needed / 2)
    result, ti = run(make(conn_id, numbers(150)))
    assert isinstance(result, SmsInsufficientCreditError)
    text = str(result)
    assert "the send needs 150 recipient(s) x 1 segment(s) = 150 segment(s)" in text
    assert f"the account has {needed / 2:g}" in text
    assert "nothing was sent" in text
    assert len(credit_reads(emulator, vendor)) == 1
    assert sends(emulator, vendor) == []
    assert emulator.messages() == []


def test_enough_credits_reads_once_then_sends(emulator, vendor, conn_id):
    emulator.configure(credits=101 * price(conn_id) + 0.01)
    result, _ = run(make(conn_id, numbers(101)))
    assert not isinstance(result, Exception), result
    assert len(result) == 101
    assert len(credit_reads(emulator, vendor)) == 1
    assert emulator.requests(vendor=vendor)[0]["path"] == CREDIT_PATHS[vendor]  # read before any send


@pytest.mark.parametrize(
    ("count", "options", "reads"),
    [
        (100, {}, 0),  # at the threshold: not read
        (101, {"check_credits": False}, 0),
        (101, {"check_credits_above": None}, 0),
        (1, {"check_credits_above": 0}, 1),
    ],
    ids=["at-threshold", "switched-off", "threshold-none", "threshold-0"],
)
def test_when_the_credits_are_read(emulator, vendor, conn_id, count, options, reads):
    result, _ = run(make(conn_id, numbers(count), **options))
    assert not isinstance(result, Exception), result
    assert len(credit_reads(emulator, vendor)) == reads


def test_dry_run_sends_nothing_and_says_what_would_go_out(emulator, vendor, conn_id):
    hook = get_sms_hook(conn_id)
    recipients = [*numbers(3), "not a number", "06 40 00 00 00"]  # the last one is a duplicate
    sunday = datetime(2027, 3, 7, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    with time_machine.travel(sunday, tick=True):
        summary, ti = run(
            make(conn_id, recipients, LONG, marketing=True, on_invalid_recipient="skip", dry_run=True)
        )
    assert not isinstance(summary, Exception), summary
    assert emulator.requests() == []
    assert ti.xcom == {}
    per_request = hook.max_recipients_per_send
    assert summary == {
        "dry_run": True,
        "gateway": hook.hook_name,
        "recipients": 3,
        "requests": -(-3 // per_request),
        "segments_per_sms": 2,
        "encoding": "GSM-7",
        "segments": 6,
        "estimated_cost": round(6 * price(conn_id), 6),
        "cost_unit": hook.capabilities.credit_unit,
        "credits_available": None,
        "send_at": "2027-03-08T07:00:00Z",
        "marketing_note": summary["marketing_note"],
        "duplicates": 1,
        "invalid": summary["invalid"],
        "replaced_characters": {},
        "replaced_count": 0,
    }
    assert "Monday 2027-03-08 08:00" in summary["marketing_note"]
    [invalid] = summary["invalid"]
    assert invalid["index"] == 3


def test_dry_run_applies_the_guards(emulator, vendor, conn_id):
    result, _ = run(make(conn_id, numbers(5), LONG, max_segments=9, dry_run=True))
    assert isinstance(result, SmsValidationError)
    emulator.configure(credits=10 * price(conn_id))
    result, _ = run(make(conn_id, numbers(150), dry_run=True))
    assert isinstance(result, SmsInsufficientCreditError)
    emulator.configure(credits=1000 * price(conn_id))
    summary, _ = run(make(conn_id, numbers(150), dry_run=True))
    assert summary["credits_available"] == pytest.approx(1000 * price(conn_id))
    assert [r["path"] for r in emulator.requests()] == [CREDIT_PATHS[vendor]] * 2  # credit reads only
    with time_machine.travel(datetime(2027, 3, 7, 10, 0, tzinfo=ZoneInfo("Europe/Paris")), tick=True):
        result, _ = run(
            make(conn_id, numbers(2), marketing=True, outside_marketing_hours="fail", dry_run=True)
        )
    assert isinstance(result, SmsValidationError)
    assert "outside the marketing window" in str(result)


def test_constructor_checks_the_guard_options():
    with pytest.raises(SmsValidationError) as info:
        make(
            "c",
            "0612345678",
            max_segments=0,
            max_credits=-1,
            check_credits="yes",
            check_credits_above=-1,
            dry_run="no",
        )
    assert info.value.problems == [
        "max_segments must be None or an integer of at least 1, got 0",
        "max_credits must be None or a number above 0, got -1",
        "check_credits must be True or False, got 'yes'",
        "check_credits_above must be None or an integer of at least 0, got -1",
        "dry_run must be True or False, got 'no'",
    ]
    make("c", "0612345678", max_segments=None, max_credits=2.5, check_credits=False, check_credits_above=None)


def test_a_bad_key_fails_at_the_credit_read_before_any_send(emulator, monkeypatch, vendor):
    import json

    from airflow_provider_sms.exceptions import SmsAuthenticationError

    conn = json.loads(emulator.connection_json(vendor))
    conn["password"] = "wrong-key-0123456789"
    monkeypatch.setenv("AIRFLOW_CONN_EMU_WRONG_KEY", json.dumps(conn))
    error, _ = run(make("emu_wrong_key", numbers(200)))
    assert isinstance(error, SmsAuthenticationError)
    assert sends(emulator, vendor) == []
    assert "wrong-key-0123456789" not in str(error)
