"""Personalised sends: rows with their own fields, keys and texts, through SmsSendOperator and the
emulator on both gateways. Every assertion on what was sent reads the emulator's own record."""

from __future__ import annotations

import json
import logging
from collections import Counter

import pytest

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.operators.send import SmsSendOperator
from tests.conftest import TEST_READ_TIMEOUT
from tests.helpers.task_fakes import FakeTI, MemoryStore

SEND_PATHS = ("/v2/notification/messages/send", "/v1/send", "/v1/bulk-send")
TEMPLATE = "Bonjour {{ row.first_name }}, votre commande {{ row.order }} sera livrée le {{ ds }}"


def context(**extra):
    return {"ti": FakeTI(), "task_state_store": MemoryStore(), "ds": "2026-04-12", **extra}


def run(operator: SmsSendOperator, ctx=None):
    ctx = ctx or context()
    try:
        return operator.execute(ctx), ctx["ti"]
    except Exception as exc:
        return exc, ctx["ti"]


def orders(count: int, first: int = 50_000_000) -> list[dict]:
    return [
        {
            "recipient": f"+336{first + i:08d}",
            "first_name": f"Client{i}",
            "order": 10_000 + i,
            "key": f"o-{i}",
        }
        for i in range(count)
    ]


def send_requests(emulator, vendor):
    return [r for r in emulator.requests(vendor=vendor) if r["path"] in SEND_PATHS]


def make(conn_id, recipients, message=TEMPLATE, **kwargs) -> SmsSendOperator:
    return SmsSendOperator(
        task_id="send", sms_conn_id=conn_id, recipients=recipients, message=message, **kwargs
    )


def test_personalised_rows_each_get_their_own_text_with_key_and_position(emulator, vendor, conn_id):
    rows = orders(5)
    result, ti = run(make(conn_id, rows))
    assert not isinstance(result, Exception), result
    texts = {m["recipient"]: m["text"] for m in emulator.messages(vendor=vendor)}
    assert texts == {
        row[
            "recipient"
        ]: f"Bonjour {row['first_name']}, votre commande {row['order']} sera livrée le 2026-04-12"
        for row in rows
    }
    assert [(r["key"], r["position"], r["recipient"]) for r in result] == [
        (row["key"], i, row["recipient"]) for i, row in enumerate(rows)
    ]
    assert ti.xcom["skipped"] == ti.xcom["failed"] == ti.xcom["unconfirmed"] == []


def test_airflow_renders_the_task_part_and_leaves_the_row_part(emulator, vendor, conn_id):
    operator = make(
        conn_id,
        "{{ params.rows }}",
        message="{{ params.greeting }} {{ row.first_name }} ({{ ds }})",
        params={"greeting": "Salut", "rows": [{"recipient": "+33650000001", "first_name": "Marie"}]},
    )
    ctx = context(
        params={"greeting": "Salut", "rows": [{"recipient": "+33650000001", "first_name": "Marie"}]}
    )
    operator.render_template_fields(ctx)
    assert operator.message == "{{ params.greeting }} {{ row.first_name }} ({{ ds }})"  # left for execute
    result, _ = run(operator, ctx)
    assert not isinstance(result, Exception), result
    assert [m["text"] for m in emulator.messages(vendor=vendor)] == ["Salut Marie (2026-04-12)"]


def test_a_message_without_row_is_rendered_by_airflow_as_before(emulator, vendor, conn_id):
    operator = make(conn_id, ["+33650000002"], message="Hi {{ ds }}")
    ctx = context()
    operator.render_template_fields(ctx)
    assert operator.message == "Hi 2026-04-12"
    assert operator.per_row_message is False
    result, _ = run(operator, ctx)
    assert [m["text"] for m in emulator.messages(vendor=vendor)] == ["Hi 2026-04-12"]
    assert "key" not in result[0]
    assert "position" not in result[0]


def test_row_values_are_data_never_rendered_again(emulator, vendor, conn_id):
    rows = [
        {"recipient": "+33650000003", "first_name": "{{ 7*7 }}", "key": 1},
        {"recipient": "+33650000004", "first_name": "{% if true %}x{% endif %}", "key": 2},
    ]
    # Rows come as data (from an upstream task, or rendered from params), never as literal templates.
    params = {"rows": rows, "note": "{{ row.first_name }}"}  # a task-level value that looks like a template
    operator = make(
        conn_id, "{{ params.rows }}", message="Hi {{ row.first_name }} {{ params.note }}", params=params
    )
    ctx = context(params=params)
    operator.render_template_fields(ctx)
    result, _ = run(operator, ctx)
    assert not isinstance(result, Exception), result
    texts = sorted(m["text"] for m in emulator.messages(vendor=vendor))
    assert texts == ["Hi {% if true %}x{% endif %} {{ row.first_name }}", "Hi {{ 7*7 }} {{ row.first_name }}"]


def test_the_sandbox_refuses_unsafe_attributes_naming_the_row(emulator, conn_id):
    rows = [{"recipient": "+33650000005", "key": "k"}]
    result, _ = run(make(conn_id, rows, message="{{ row.__class__.__mro__ }}"))
    assert isinstance(result, SmsValidationError)
    assert "row 0 (key 'k'): message template:" in str(result)
    assert emulator.requests() == []


def test_two_keys_for_one_number_are_two_sms(emulator, vendor, conn_id):
    rows = [
        {"recipient": "+33650000006", "key": 1, "message": "Commande 1 livrée"},
        {"recipient": "06 50 00 00 06", "key": 2, "message": "Commande 2 livrée"},
        {"recipient": "+33650000006", "key": 3, "message": "Commande 1 livrée"},  # same text, another key
    ]
    result, ti = run(make(conn_id, rows, message=None))
    assert not isinstance(result, Exception), result
    received = Counter((m["recipient"], m["text"]) for m in emulator.messages(vendor=vendor))
    assert received == Counter(
        {("+33650000006", "Commande 1 livrée"): 2, ("+33650000006", "Commande 2 livrée"): 1}
    )
    assert [(r["key"], r["position"]) for r in result] == [(1, 0), (2, 1), (3, 2)]


def test_identical_rows_without_keys_are_merged_and_reported(emulator, vendor, conn_id):
    rows = [
        {"recipient": "+33650000007", "first_name": "Paul"},
        {"recipient": "+33650000008", "first_name": "Paul"},
        {"recipient": "0650000007", "first_name": "Paul"},  # the same number and text as row 0
    ]
    result, ti = run(make(conn_id, rows, message="Bonjour {{ row.first_name }}"))
    assert len(emulator.messages(vendor=vendor)) == 2
    assert [r["position"] for r in result] == [0, 1]
    assert ti.xcom["skipped"] == [
        {
            "recipient": "+33650000007",
            "key": None,
            "position": 2,
            "reason": "merged: same number and text as row 0",
        }
    ]


def test_a_missing_field_fails_before_any_request_naming_the_row(emulator, conn_id):
    rows = orders(3)
    del rows[1]["first_name"]
    result, _ = run(make(conn_id, rows))
    assert isinstance(result, SmsValidationError)
    assert result.problems == [
        "row 1 (key 'o-1'): message template: 'dict object' has no attribute 'first_name'"
    ]
    assert rows[1]["recipient"] not in str(result)
    assert emulator.requests() == []


def test_a_missing_field_is_skipped_with_on_invalid_skip(emulator, vendor, conn_id):
    rows = orders(3)
    del rows[1]["first_name"]
    rows[2]["recipient"] = "0145678912"  # a landline
    result, ti = run(make(conn_id, rows, on_invalid_recipient="skip"))
    assert not isinstance(result, Exception), result
    assert [m["recipient"] for m in emulator.messages(vendor=vendor)] == [rows[0]["recipient"]]
    assert [(r["key"], r["position"]) for r in result] == [("o-0", 0)]
    skipped = ti.xcom["skipped"]
    assert [(s["key"], s["position"]) for s in skipped] == [("o-1", 1), ("o-2", 2)]
    assert skipped[0]["reason"] == "invalid: message template: 'dict object' has no attribute 'first_name'"
    assert skipped[1]["reason"].startswith("invalid: recipient: landline")
    assert all(s["recipient"].count("*") for s in skipped)  # masked: they have no E.164 form


def test_a_row_too_long_or_empty_is_named_by_position_and_key(emulator, conn_id):
    rows = [
        {"recipient": "+33650000009", "key": "a", "message": "x" * 2000},
        {"recipient": "+33650000010", "key": "b", "message": ""},
        {"recipient": "+33650000011", "key": "b", "message": "other"},
    ]
    result, _ = run(make(conn_id, rows, message=None))
    assert isinstance(result, SmsValidationError)
    lines = result.problems
    assert lines[0].startswith("row 0 (key 'a'): message needs")
    assert lines[1] == "row 1 (key 'b'): message is empty"
    assert len(lines) == 2  # row 2 is fine: key 'b' belongs to it alone (row 1 is invalid)
    assert "xxxx" not in str(result)
    assert emulator.requests() == []


def test_the_same_key_with_another_text_is_refused(emulator, conn_id):
    rows = [
        {"recipient": "+33650000012", "key": 7, "message": "one"},
        {"recipient": "+33650000012", "key": 7, "message": "two"},
    ]
    result, _ = run(make(conn_id, rows, message=None))
    assert isinstance(result, SmsValidationError)
    assert result.problems == ["row 1 (key 7): key 7 is also row 0's, with another number or text"]


def test_rows_from_json_text_and_a_row_message_wins(emulator, vendor, conn_id):
    rows = [
        {"recipient": "+33650000013", "first_name": "Ana", "key": 1},
        {"recipient": "+33650000014", "first_name": "Léa", "key": 2, "message": "Texte à part"},
    ]
    result, _ = run(make(conn_id, json.dumps(rows), message="Bonjour {{ row.first_name }}"))
    assert not isinstance(result, Exception), result
    texts = {m["recipient"]: m["text"] for m in emulator.messages(vendor=vendor)}
    assert texts == {"+33650000013": "Bonjour Ana", "+33650000014": "Texte à part"}


def test_spend_guard_adds_each_rows_segments(emulator, conn_id):
    rows = [
        {"recipient": "+33650000015", "key": 1, "message": "x" * 10},  # 1 segment
        {"recipient": "+33650000016", "key": 2, "message": "x" * 200},  # 2 segments
        {"recipient": "+33650000017", "key": 3, "message": "y" * 300},  # 2 segments
    ]
    result, _ = run(make(conn_id, rows, message=None, max_segments=4))
    assert isinstance(result, SmsValidationError)
    assert "5 segment(s) in all" in str(result)
    assert emulator.requests() == []
    result, _ = run(make(conn_id, rows, message=None, max_segments=5))
    assert not isinstance(result, Exception), result


def test_dry_run_shows_the_distribution_and_a_few_masked_samples(emulator, vendor, conn_id):
    rows = orders(5)
    ucs2 = vendor == "smspartner"  # Primotexto takes GSM-7 characters only
    rows[4]["first_name"] = "ç" * 20 if ucs2 else "x" * 150  # 2 segments (small ç is not GSM-7)
    summary, _ = run(make(conn_id, rows, dry_run=True))
    assert summary["personalised"] is True
    assert summary["recipients"] == 5
    assert summary["segments_distribution"] == {"1": 4, "2": 1}
    assert summary["encodings"] == ({"GSM-7": 4, "UCS-2": 1} if ucs2 else {"GSM-7": 5})
    assert summary["segments"] == 6
    assert len(summary["samples"]) == 3
    sample = summary["samples"][0]
    assert sample["text"].startswith("Bonjour Client0")
    assert sample["recipient"] != rows[0]["recipient"]
    assert "*" in sample["recipient"]
    assert (sample["key"], sample["position"]) == ("o-0", 0)
    assert send_requests(emulator, vendor) == []
    masked, _ = run(make(conn_id, rows, dry_run=True, mask_message=True))
    assert {s["text"] for s in masked["samples"]} == {"***"}


def test_no_text_and_no_number_reach_the_logs(emulator, conn_id, caplog):
    rows = orders(3)
    with caplog.at_level(logging.DEBUG):
        result, _ = run(make(conn_id, rows))
    assert not isinstance(result, Exception), result
    for row in rows:
        assert row["recipient"] not in caplog.text
        assert row["recipient"][3:] not in caplog.text
    assert "Bonjour" not in caplog.text


@pytest.mark.parametrize("vendor", ["smspartner"])
def test_report_and_failed_carry_key_and_position(emulator, vendor, conn_id, tmp_path):
    from airflow_provider_sms.emulator import NUMBER_REJECTED

    rows = [
        {"recipient": "+33650000020", "key": "a", "message": "Un"},
        {"recipient": NUMBER_REJECTED, "key": "b", "message": "Un"},
    ]
    path = tmp_path / "report.jsonl"
    result, ti = run(make(conn_id, rows, message=None, report_path=str(path)))
    assert isinstance(result, Exception)
    assert [(f["key"], f["position"], f["reason"]) for f in ti.xcom["failed"]] == [("b", 1, "rejected")]
    assert ti.xcom["failed"][0]["recipient"] == NUMBER_REJECTED
    assert "row 1 (key 'b')" in str(result)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(x["key"], x["position"], x["outcome"]) for x in lines] == [
        ("a", 0, "accepted"),
        ("b", 1, "failed"),
    ]


@pytest.mark.parametrize("deferrable", [False, True])
def test_the_delivery_sensor_carries_key_and_position(emulator, vendor, conn_id, deferrable, tmp_path):
    from airflow_provider_sms.sensors.delivery import SmsDeliverySensor
    from tests.helpers.delivery import context as sensor_context, run_deferrable

    rows = orders(3)
    sent, _ = run(make(conn_id, rows))
    path = tmp_path / "delivery.csv"
    wait = SmsDeliverySensor(
        task_id="wait",
        sms_conn_id=conn_id,
        messages=sent,
        poke_interval=0.1,
        timeout=10,
        deferrable=deferrable,
        report_path=str(path),
    )
    ctx = sensor_context()
    statuses = run_deferrable(wait, ctx) if deferrable else wait.execute(ctx)
    assert [(s["key"], s["position"], s["state"]) for s in statuses] == [
        ("o-0", 0, "delivered"),
        ("o-1", 1, "delivered"),
        ("o-2", 2, "delivered"),
    ]
    header = path.read_text().splitlines()[0]
    assert header == "recipient,key,position,message_id,outcome,reason,timestamp"


def test_a_numbers_next_row_waits_while_its_previous_sms_is_unknown(emulator, vendor, conn_id):
    """Row 0's reply is lost: row 1 (same number) is deferred, not sent, so the gateway's records
    stay unambiguous; the retry settles row 0 (it landed) and sends row 1: each exactly once."""
    rows = [
        {"recipient": "+33650000030", "key": "first", "message": "Premier"},
        {"recipient": "+33650000030", "key": "second", "message": "Second"},
        {"recipient": "+33650000031", "key": "other", "message": "Premier"},
    ]
    path = "/v2/notification/messages/send" if vendor == "primotexto" else "/v1/send"
    emulator.add_fault("accept_then_drop", vendor=vendor, path=path, count=1)
    store = MemoryStore()
    first, ti = run(make(conn_id, rows, message=None, max_concurrency=1), context(task_state_store=store))
    assert isinstance(first, Exception)
    reasons = {f["key"]: f["reason"] for f in ti.xcom["failed"]}
    assert reasons["second"] == "deferred"
    assert reasons["first"] == "outcome_unknown"
    retry_ti = FakeTI()
    retry_ti.try_number = 2
    # the settle time: the connections' read timeout (its floor), not the 60 s default the emulator
    # does not need (it records a send before it drops the reply)
    retry = make(conn_id, rows, message=None, outcome_settle_seconds=TEST_READ_TIMEOUT)
    result, _ = run(retry, context(ti=retry_ti, task_state_store=store))
    assert not isinstance(result, Exception), result
    received = Counter((m["recipient"], m["text"]) for m in emulator.messages(vendor=vendor))
    assert received == Counter(
        [("+33650000030", "Premier"), ("+33650000030", "Second"), ("+33650000031", "Premier")]
    )
    assert sorted(r["key"] for r in result) == ["first", "other", "second"]
