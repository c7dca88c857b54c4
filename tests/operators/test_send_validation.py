"""Bad inputs through SmsSendOperator: each refused with a specific message, nothing sent.

Reuses the validation table ``tests/bad_inputs.py`` (kwargs of ``validate_send``) end to end: the
operator runs against the emulator and must raise ``SmsValidationError`` containing the expected
text while the emulator records zero requests. The table's ``vendor`` becomes the connection (and
its two "unknown vendor" rows become a connection of an unknown type, refused the same way).
"""

from __future__ import annotations

import json

import pytest

from airflow_provider_sms.exceptions import SmsConfigurationError, SmsValidationError
from airflow_provider_sms.operators.send import SmsSendOperator
from tests.helpers.bad_inputs import BAD_INPUTS
from tests.helpers.gateways import CONN_IDS
from tests.helpers.task_fakes import FakeTI

OPERATOR_CASES = [case for case in BAD_INPUTS if not case.id.startswith("vendor-")]


def operator_kwargs(kwargs: dict) -> dict:
    """``validate_send`` kwargs -> SmsSendOperator kwargs."""
    kwargs = dict(kwargs)
    mapped = {
        "task_id": "send",
        "sms_conn_id": CONN_IDS[kwargs.pop("vendor")],
        "recipients": kwargs.pop("recipients"),
        "message": kwargs.pop("message"),
        "sender": kwargs.pop("sender", None),
        "send_at": kwargs.pop("send_at", None),
        "on_invalid_recipient": kwargs.pop("on_invalid", "fail"),
        "campaign_name": kwargs.pop("campaign_name", None),
        "category": kwargs.pop("category", None),
        "marketing": kwargs.pop("marketing", False),
    }
    assert not kwargs, f"unmapped validate_send arguments: {kwargs}"
    return mapped


def test_the_table_is_large_enough():
    assert len(OPERATOR_CASES) >= 30


@pytest.mark.parametrize(("kwargs", "expected"), OPERATOR_CASES)
def test_bad_input_is_refused_before_any_request(emulator, kwargs, expected):
    ti = FakeTI()

    with pytest.raises(SmsValidationError) as info:  # options when built, the rest when run
        SmsSendOperator(**operator_kwargs(kwargs)).execute({"ti": ti, "task_state_store": {}})

    assert expected in str(info.value)
    assert emulator.requests() == []
    assert ti.xcom == {}


@pytest.mark.parametrize("conn_type", ["twilio", "http"])
def test_connection_of_an_unknown_type_is_refused_before_any_request(emulator, monkeypatch, conn_type):
    monkeypatch.setenv(
        "AIRFLOW_CONN_EMU_OTHER",
        json.dumps({"conn_type": conn_type, "host": emulator.url, "password": "k"}),
    )
    operator = SmsSendOperator(task_id="send", sms_conn_id="emu_other", recipients="0612345678", message="Hi")

    with pytest.raises(SmsConfigurationError, match=f"has type '{conn_type}'"):
        operator.execute({"ti": FakeTI(), "task_state_store": {}})
    assert emulator.requests() == []


def test_wrong_options_are_refused_when_the_operator_is_built():
    with pytest.raises(SmsValidationError) as info:
        SmsSendOperator(
            task_id="send",
            sms_conn_id=CONN_IDS["primotexto"],
            recipients="0612345678",
            message="Hi",
            on_unknown_outcome="maybe",
            max_concurrency="8",
            journal_flush_every="abc",
            journal_flush_interval=float("nan"),
            marketing="yes",
        )
    assert info.value.problems == [
        "on_unknown_outcome must be one of 'fail', 'skip', 'resend', got 'maybe'",
        "max_concurrency must be an integer from 1 to 1000, got '8'",
        "journal_flush_every must be an integer from 1 to 100000, got 'abc'",
        "journal_flush_interval must be a number of seconds from 0 to 86400, got nan",
        "marketing must be True or False, got 'yes'",
    ]


def test_every_problem_is_reported_at_once_with_numbers_masked(emulator):
    operator = SmsSendOperator(
        task_id="send",
        sms_conn_id=CONN_IDS["primotexto"],
        recipients=["0145678912", "0612345678", "hello"],
        message="Code [4417]",
        sender="AB",
        send_at="2001-01-01T00:00:00Z",
    )

    with pytest.raises(SmsValidationError) as info:
        operator.execute({"ti": FakeTI(), "task_state_store": {}})

    problems = info.value.problems
    assert len(problems) == 5, problems
    text = str(info.value)
    for part in (
        "recipients[0] +3314****12: landline",
        "recipients[2]",
        "Primotexto refuses: '['",
        "sender 'AB' is too short",
        "is not in the future",
    ):
        assert part in text
    assert "0145678912" not in text
    assert "+33145678912" not in text
    assert "4417" not in text  # the message body never appears
    assert emulator.requests() == []


def test_sender_from_the_connection_is_validated_too(emulator, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_EMU_BAD_SENDER", emulator.connection_json("smspartner", sender="12345"))
    operator = SmsSendOperator(
        task_id="send", sms_conn_id="emu_bad_sender", recipients="0612345678", message="Hi"
    )

    with pytest.raises(SmsConfigurationError, match=r"extra 'sender' is unusable: .* is all digits"):
        operator.execute({"ti": FakeTI(), "task_state_store": {}})
    assert emulator.requests() == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"gamme": 3}, r"extra 'gamme' must be 1 \(Premium\) or 2 \(Low Cost\), not '3'"),
        ({"gamme": "cheap"}, r"extra 'gamme' must be 1"),
        ({"sandbox": "maybe"}, r"extra 'sandbox' must be true or false"),
        ({"timeout": "soon"}, r"extra 'timeout' must be a number of seconds"),
        ({"timeout": -1}, r"extra 'timeout' must be between 0 and 3600 seconds"),
    ],
)
def test_bad_connection_extras_are_configuration_errors_before_any_request(
    emulator, monkeypatch, extra, expected
):
    monkeypatch.setenv("AIRFLOW_CONN_EMU_BAD_EXTRA", emulator.connection_json("smspartner", **extra))
    operator = SmsSendOperator(
        task_id="send", sms_conn_id="emu_bad_extra", recipients="0612345678", message="Hi"
    )

    with pytest.raises(SmsConfigurationError, match=expected):
        operator.execute({"ti": FakeTI(), "task_state_store": {}})
    assert emulator.requests() == []


def test_low_cost_range_allows_one_segment_only(emulator, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_EMU_LOW_COST", emulator.connection_json("smspartner", gamme=2))
    operator = SmsSendOperator(
        task_id="send", sms_conn_id="emu_low_cost", recipients="0612345678", message="x" * 161
    )

    with pytest.raises(SmsValidationError, match="Low Cost"):
        operator.execute({"ti": FakeTI(), "task_state_store": {}})
    assert emulator.requests() == []
