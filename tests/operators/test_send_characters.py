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


ROWS = [
    {"recipient": number, "key": f"A-{i}", "first_name": name}
    for i, (number, name) in enumerate(zip(numbers(3), ("François", "Zoë", "Paul")))
]
ROW_TEMPLATE = "Bonjour {{ row.first_name }}, commande {{ row.key }}"


def rows_operator(vendor: str, **kwargs) -> SmsSendOperator:
    return SmsSendOperator(
        task_id="send", sms_conn_id=CONN_IDS[vendor], recipients=ROWS, message=ROW_TEMPLATE, **kwargs
    )


def test_rows_replace_each_rows_text_on_primotexto(emulator):
    results = execute(rows_operator("primotexto", unsupported_characters="replace"))
    texts = sorted(m["text"] for m in emulator.messages(vendor="primotexto"))
    assert texts == [
        "Bonjour Francois, commande A-0",
        "Bonjour Paul, commande A-2",
        "Bonjour Zoe, commande A-1",
    ]
    assert [(r["key"], r["segments"]) for r in results] == [("A-0", 1), ("A-1", 1), ("A-2", 1)]


def test_rows_default_on_primotexto_names_the_rows_before_any_request(emulator):
    with pytest.raises(SmsValidationError) as caught:
        execute(rows_operator("primotexto"))
    text = str(caught.value)
    assert "row 0 (key 'A-0')" in text
    assert "row 1 (key 'A-1')" in text
    assert "row 2" not in text
    for name in ("François", "Zoë"):
        assert name not in text
    assert sends(emulator, "primotexto") == []


def test_rows_skip_only_the_rows_primotexto_refuses(emulator):
    results = execute(rows_operator("primotexto", on_invalid_recipient="skip"))
    assert [r["key"] for r in results] == ["A-2"]
    assert [m["text"] for m in emulator.messages(vendor="primotexto")] == ["Bonjour Paul, commande A-2"]


def test_rows_dry_run_counts_replaced_characters_over_the_rows(emulator):
    summary = execute(rows_operator("smspartner", unsupported_characters="replace", dry_run=True))
    assert summary["replaced_characters"] == {"ç": 1, "ë": 1}
    assert summary["replaced_count"] == 2


def test_rows_unicode_on_smspartner_bulk_send(emulator):
    execute(rows_operator("smspartner", unsupported_characters="unicode"))
    (request,) = [r for r in emulator.requests(vendor="smspartner") if r["path"] == "/v1/bulk-send"]
    assert request["body"]["isUnicode"] == 1
    texts = sorted(m["text"] for m in emulator.messages(vendor="smspartner"))
    assert texts[0] == "Bonjour François, commande A-0"


def test_hook_send_personalised_replaces(emulator):
    hook = get_sms_hook(CONN_IDS["primotexto"])
    outcome = hook.send_personalised(ROWS, ROW_TEMPLATE, unsupported_characters="replace")
    assert len(outcome.sent) == 3
    assert "Bonjour Francois, commande A-0" in {m["text"] for m in emulator.messages(vendor="primotexto")}
