"""unsupported_characters through the send operator, the hook and the notifier, against the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.notifications.sms import SmsNotifier
from airflow_provider_sms.operators.send import SmsSendOperator
from tests.helpers.gateways import CONN_IDS, SEND_PATHS, numbers
from tests.helpers.task_fakes import FakeTI, MemoryStore

FRANCOIS = "Bonjour François, votre commande\u2026"


def execute(operator: SmsSendOperator):
    return operator.execute({"ti": FakeTI(1), "task_state_store": MemoryStore()})


def make(vendor: str, **kwargs) -> SmsSendOperator:
    return SmsSendOperator(
        task_id="send", sms_conn_id=CONN_IDS[vendor], recipients=numbers(1), message=FRANCOIS, **kwargs
    )


def sends(emulator, vendor: str) -> list[dict]:
    return [r for r in emulator.requests(vendor=vendor) if r["path"] == SEND_PATHS[vendor]]


def test_primotexto_replace_goes_out_in_one_gsm7_segment(emulator):
    (result,) = execute(make("primotexto", unsupported_characters="replace"))
    (message,) = emulator.messages(vendor="primotexto")
    assert message["text"] == "Bonjour Francois, votre commande..."
    assert result["segments"] == 1


def test_primotexto_default_fails_before_any_request(emulator):
    with pytest.raises(SmsValidationError, match=r"Primotexto refuses: 'ç', '…' \(its code 31\)"):
        execute(make("primotexto"))
    assert sends(emulator, "primotexto") == []


def test_primotexto_unicode_is_refused_before_any_request(emulator):
    with pytest.raises(SmsValidationError, match="cannot send Unicode"):
        execute(make("primotexto", unsupported_characters="unicode"))
    assert sends(emulator, "primotexto") == []


@pytest.mark.parametrize("mode", [None, "unicode"])
def test_smspartner_unicode_goes_out_as_ucs2(emulator, mode):
    execute(make("smspartner", unsupported_characters=mode))
    (request,) = sends(emulator, "smspartner")
    assert request["body"]["isUnicode"] == 1
    (message,) = emulator.messages(vendor="smspartner")
    assert message["text"] == FRANCOIS


def test_smspartner_replace_goes_out_in_gsm7(emulator):
    execute(make("smspartner", unsupported_characters="replace"))
    (request,) = sends(emulator, "smspartner")
    assert "isUnicode" not in request["body"]
    assert emulator.messages(vendor="smspartner")[0]["text"] == "Bonjour Francois, votre commande..."


def test_dry_run_counts_what_would_be_replaced_without_the_text(emulator, vendor):
    summary = execute(make(vendor, unsupported_characters="replace", dry_run=True))
    assert summary["replaced_characters"] == {"ç": 1, "\u2026": 1}
    assert summary["replaced_count"] == 2
    assert (summary["encoding"], summary["segments_per_sms"]) == ("GSM-7", 1)
    assert "Francois" not in str(summary)
    assert sends(emulator, vendor) == []


def test_operator_refuses_an_unknown_mode_when_built():
    with pytest.raises(SmsValidationError, match="unsupported_characters must be one of"):
        SmsSendOperator(task_id="t", sms_conn_id="x", recipients="x", message="m", unsupported_characters="x")


def test_hook_send_sms_replaces(emulator):
    hook = get_sms_hook(CONN_IDS["primotexto"])
    result = hook.send_sms(numbers(1)[0], FRANCOIS, unsupported_characters="replace")
    assert result.segments == 1
    assert emulator.messages(vendor="primotexto")[0]["text"] == "Bonjour Francois, votre commande..."


def test_notifier_replaces(emulator):
    notifier = SmsNotifier(
        sms_conn_id=CONN_IDS["primotexto"],
        recipients=numbers(1),
        message=FRANCOIS,
        unsupported_characters="replace",
    )
    notifier.notify({})
    assert emulator.messages(vendor="primotexto")[0]["text"] == "Bonjour Francois, votre commande..."
