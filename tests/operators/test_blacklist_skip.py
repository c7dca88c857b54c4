"""on_invalid_recipient on the blacklist operators: skipped numbers reported, the rest handled."""

from __future__ import annotations

import pytest

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.operators.blacklist import SmsBlacklistAddOperator, SmsBlacklistRemoveOperator
from tests.helpers.gateways import numbers
from tests.helpers.task_fakes import FakeTI

BAD = "01 45 67 89 12"  # a landline: no SMS, no STOP entry


def run(op):
    ti = FakeTI()
    return op.execute({"ti": ti}), ti


def crm_numbers() -> list[str]:
    """Ten CRM numbers, the fourth one bad."""
    good = numbers(9)
    return [*good[:3], BAD, *good[3:]]


def test_stop_push_with_one_bad_number_pushes_nine_and_reports_one(conn_id, emulator):
    op = SmsBlacklistAddOperator(
        task_id="stop", sms_conn_id=conn_id, recipients=crm_numbers(), on_invalid_recipient="skip"
    )
    summary, ti = run(op)
    assert summary["counts"] == {"added": 9, "unchanged": 0, "failed": 0}
    assert summary["skipped"] == [
        {
            "index": 3,
            "recipient": "+3314****12",
            "reason": "landline or non-mobile number (SMS needs a mobile)",
        }
    ]
    assert ti.xcom["skipped"] == summary["skipped"]
    listed = {e.recipient for e in get_sms_hook(conn_id).get_blacklist()}
    assert set(numbers(9)) <= listed


def test_removal_skips_too(conn_id, emulator):
    add = SmsBlacklistAddOperator(task_id="a", sms_conn_id=conn_id, recipients=numbers(9))
    run(add)
    op = SmsBlacklistRemoveOperator(
        task_id="r", sms_conn_id=conn_id, recipients=crm_numbers(), on_invalid_recipient="skip"
    )
    summary, ti = run(op)
    assert summary["counts"]["removed"] == 9
    assert [s["index"] for s in ti.xcom["skipped"]] == [3]


def test_fail_mode_names_the_operation_not_an_sms_request(conn_id, emulator):
    op = SmsBlacklistAddOperator(task_id="stop", sms_conn_id=conn_id, recipients=crm_numbers())
    with pytest.raises(SmsValidationError) as caught:
        run(op)
    text = str(caught.value)
    assert text.startswith("1 problem in the STOP list addition (nothing was changed):")
    assert "SMS request" not in text
    assert "0145678912" not in text
    assert emulator.requests() == []


def test_removal_error_names_the_removal(emulator):
    op = SmsBlacklistRemoveOperator(
        task_id="r", sms_conn_id="emu_primotexto", recipients=[BAD], list_type="bounces"
    )
    with pytest.raises(SmsValidationError, match=r"in the bounce list removal \(nothing was changed\)"):
        run(op)


def test_skip_with_no_valid_number_left_fails(conn_id, emulator):
    op = SmsBlacklistAddOperator(
        task_id="a", sms_conn_id=conn_id, recipients=[BAD], on_invalid_recipient="skip"
    )
    with pytest.raises(SmsValidationError, match="no valid recipient left"):
        run(op)


def test_unknown_mode_is_refused_when_built():
    with pytest.raises(SmsValidationError, match="on_invalid_recipient must be one of"):
        SmsBlacklistAddOperator(task_id="a", sms_conn_id="x", recipients=[], on_invalid_recipient="ignore")
