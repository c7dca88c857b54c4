"""Every bad input, through every door, on both gateways: a clear error naming the field, and not
one request at the gateway.

The table is ``tests/bad_inputs.py``. Each entry runs on both gateways unless it names one (a rule
only that gateway has), through the hook (``send_sms`` for one number, ``send_sms_batch`` for a
list, as a ``@task`` would call them) and through ``SmsSendOperator``. The emulator records every
request it receives; it must have none.
"""

from __future__ import annotations

import pytest

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.operators.send import SmsSendOperator
from tests.helpers.bad_inputs import BAD_INPUTS, BOTH_GATEWAYS, HOOK_EXPECTED, OPERATOR_ONLY
from tests.helpers.gateways import CONN_IDS
from tests.helpers.task_fakes import FakeTI


def _cases(door: str) -> list:
    cases = []
    for entry in BAD_INPUTS:
        kwargs, expected = entry.values
        if door == "hook" and entry.id in OPERATOR_ONLY:
            continue
        vendors = tuple(CONN_IDS) if entry.id in BOTH_GATEWAYS else (kwargs["vendor"],)
        for vendor in vendors:
            wanted = HOOK_EXPECTED.get(entry.id, expected) if door == "hook" else expected
            cases.append(pytest.param({**kwargs, "vendor": vendor}, wanted, id=f"{entry.id}-{vendor}"))
    return cases


HOOK_CASES = _cases("hook")
OPERATOR_CASES = _cases("operator")


def test_the_table_holds_over_a_hundred_bad_inputs_per_door():
    assert len(BAD_INPUTS) >= 100 or (len(HOOK_CASES) >= 100 and len(OPERATOR_CASES) >= 100)
    assert len(HOOK_CASES) >= 100
    assert len(OPERATOR_CASES) >= 100


def _assert_clean(error: SmsValidationError, expected: str, kwargs: dict) -> None:
    text = str(error)
    assert expected in text, text
    assert "612345678" not in text  # numbers only masked
    message = kwargs.get("message")
    if isinstance(message, str) and len(message.strip()) > 3:
        assert message not in text  # the text never quoted back


@pytest.mark.parametrize(("kwargs", "expected"), HOOK_CASES)
def test_hook_refuses_before_any_request(emulator, kwargs, expected):
    kwargs = dict(kwargs)
    hook = get_sms_hook(CONN_IDS[kwargs.pop("vendor")])
    recipients = kwargs.pop("recipients")
    message = kwargs.pop("message")
    if isinstance(recipients, (list, tuple, set)):
        call = lambda: hook.send_sms_batch(list(recipients), message, **kwargs)  # noqa: E731
    else:
        call = lambda: hook.send_sms(recipients, message, **kwargs)  # noqa: E731
    with pytest.raises(SmsValidationError) as info:
        call()
    _assert_clean(info.value, expected, {"message": message})
    assert emulator.requests() == []


@pytest.mark.parametrize(("kwargs", "expected"), OPERATOR_CASES)
def test_operator_refuses_before_any_request(emulator, kwargs, expected):
    from tests.operators.test_send_validation import operator_kwargs

    with pytest.raises(SmsValidationError) as info:  # options when built, the rest when run
        SmsSendOperator(**operator_kwargs(kwargs)).execute({"ti": FakeTI(), "task_state_store": {}})
    _assert_clean(info.value, expected, kwargs)
    assert emulator.requests() == []
