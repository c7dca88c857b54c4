"""No API key survives in an error's chain: every ``__cause__`` and ``__context__`` of every error the
SMS Partner hook raises (its key travels in query strings and bodies) is walked, for sends, reads,
list edits and status reads, under every fault the emulator can produce."""

from __future__ import annotations

import json
import traceback

import pytest

from airflow_provider_sms.emulator import SMSPARTNER_API_KEY
from airflow_provider_sms.exceptions import SmsError
from airflow_provider_sms.hooks import get_sms_hook

NUMBER = "+33612345678"
FAULTS = {
    "drop": {"kind": "drop"},
    "accept-then-drop": {"kind": "accept_then_drop"},
    "500-empty": {"kind": "server_error", "empty_body": True},
    "500-vendor": {"kind": "server_error"},
    "429-always": {"kind": "rate_limit", "retry_after": 0},
    "vendor-500": {"kind": "vendor_error", "code": 500},
    "vendor-bad-key": {"kind": "vendor_error", "code": 10},
}
CALLS = {
    "send": lambda hook: hook.send_sms(NUMBER, "Hello"),
    "credits": lambda hook: hook.get_account_stats(),
    "stop-list": lambda hook: hook.get_blacklist(),
    "stop-add": lambda hook: hook.add_to_blacklist(NUMBER),
    "status": lambda hook: hook.get_delivery_status("123", NUMBER),
    "statuses": lambda hook: hook.get_delivery_statuses([{"message_id": "123", "recipient": NUMBER}]),
}


def chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything reachable through ``__cause__`` and ``__context__``."""
    seen, todo, found = set(), [exc], []
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        todo += [current.__cause__, current.__context__]
    return found


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("call", list(CALLS))
def test_no_key_in_any_error_chain(emulator, fault, call):
    emulator.add_fault(vendor="smspartner", **FAULTS[fault])
    hook = get_sms_hook("emu_smspartner", max_attempts=2)
    with pytest.raises(SmsError) as info:
        CALLS[call](hook)
    for exc in chain(info.value):
        text = (
            "".join(traceback.format_exception_only(exc))
            + repr(exc.args)
            + json.dumps(vars(exc), default=str)
        )
        assert SMSPARTNER_API_KEY not in text
        assert "apiKey" not in text
    assert SMSPARTNER_API_KEY not in "".join(traceback.format_exception(info.value))
