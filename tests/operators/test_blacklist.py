"""Blacklist add / remove operators against the emulator, on both gateways (operator.execute)."""

from __future__ import annotations

import json

import pytest

from airflow_provider_sms.exceptions import (
    SmsAuthenticationError,
    SmsInvalidRequestError,
    SmsServerError,
    SmsValidationError,
)
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.operators.blacklist import SmsBlacklistAddOperator, SmsBlacklistRemoveOperator
from tests.helpers.task_fakes import FakeTI

A, B, C = "+33612345678", "+33698765432", "+33611223344"
LIST_PATH = {"primotexto": "/unsubscribers/default/contacts", "smspartner": "/stop-sms"}


def run(op):
    ti = FakeTI()
    return op.execute({"ti": ti}), ti


def listed(conn_id, list_type="unsubscribers"):
    return sorted(entry.recipient for entry in get_sms_hook(conn_id).get_blacklist(list_type))


def test_add_then_repeat_is_idempotent(conn_id, vendor, emulator):
    op = SmsBlacklistAddOperator(task_id="add", sms_conn_id=conn_id, recipients=[A, "06 98 76 54 32"])
    summary, _ = run(op)
    assert summary["added"] == [A, B]
    assert summary["unchanged"] == []
    assert summary["failed"] == []
    assert summary["counts"] == {"added": 2, "unchanged": 0, "failed": 0}
    assert summary["vendor"] == vendor
    assert summary["list_type"] == "unsubscribers"
    assert listed(conn_id) == [A, B]

    again, _ = run(SmsBlacklistAddOperator(task_id="add2", sms_conn_id=conn_id, recipients=f"{B},{C},{A}"))
    assert again["added"] == [C]
    assert again["unchanged"] == [B, A]
    assert listed(conn_id) == sorted([A, B, C])
    json.dumps(again)  # XCom-ready


def test_remove_then_repeat_is_idempotent(conn_id, emulator):
    run(SmsBlacklistAddOperator(task_id="add", sms_conn_id=conn_id, recipients=[A, B]))
    summary, _ = run(SmsBlacklistRemoveOperator(task_id="rm", sms_conn_id=conn_id, recipients=[A, C]))
    assert summary["removed"] == [A]
    assert summary["unchanged"] == [C]
    assert listed(conn_id) == [B]
    again, _ = run(SmsBlacklistRemoveOperator(task_id="rm2", sms_conn_id=conn_id, recipients=[A, C]))
    assert again["removed"] == []
    assert again["unchanged"] == [A, C]
    assert listed(conn_id) == [B]


def test_smspartner_remove_reads_the_list_once(emulator):
    run(SmsBlacklistAddOperator(task_id="add", sms_conn_id="emu_smspartner", recipients=[A, B]))
    before = len(emulator.requests(vendor="smspartner"))
    run(SmsBlacklistRemoveOperator(task_id="rm", sms_conn_id="emu_smspartner", recipients=[A, B, C]))
    paths = [r["path"] for r in emulator.requests(vendor="smspartner")[before:]]
    assert paths.count("/v1/stop-sms/list") == 1
    assert paths.count("/v1/stop-sms/delete") == 2  # C is absent: no request for it
    assert len(paths) == 3


def test_primotexto_bounce_list(emulator):
    summary, _ = run(
        SmsBlacklistAddOperator(
            task_id="add", sms_conn_id="emu_primotexto", recipients=[A], list_type="bounces"
        )
    )
    assert summary["added"] == [A]
    assert listed("emu_primotexto", "bounces") == [A]
    assert listed("emu_primotexto") == []
    summary, _ = run(
        SmsBlacklistRemoveOperator(
            task_id="rm", sms_conn_id="emu_primotexto", recipients=[A], list_type="bounces"
        )
    )
    assert summary["removed"] == [A]
    assert listed("emu_primotexto", "bounces") == []


@pytest.mark.parametrize("operator", [SmsBlacklistAddOperator, SmsBlacklistRemoveOperator])
def test_smspartner_has_no_bounce_list_and_sends_nothing(operator, emulator):
    op = operator(task_id="x", sms_conn_id="emu_smspartner", recipients=[A], list_type="bounces")
    with pytest.raises(SmsValidationError, match="bounces"):
        run(op)
    assert emulator.requests() == []


def test_invalid_numbers_are_all_reported_masked_before_any_request(conn_id, emulator):
    op = SmsBlacklistAddOperator(
        task_id="add", sms_conn_id=conn_id, recipients=[A, "0145678901", "hello", "+3361234"]
    )
    with pytest.raises(SmsValidationError) as info:
        run(op)
    problems = info.value.problems
    assert len(problems) == 3
    assert "0145678901" not in str(info.value)
    assert "+33145678901" not in str(info.value)
    assert emulator.requests() == []


def test_unknown_list_type_and_bad_numbers_reported_together(emulator):
    op = SmsBlacklistAddOperator(
        task_id="a", sms_conn_id="emu_primotexto", recipients=["x"], list_type="npai"
    )
    with pytest.raises(SmsValidationError) as info:
        run(op)
    assert len(info.value.problems) == 2
    assert emulator.requests() == []


def test_empty_recipients_do_nothing(conn_id, emulator):
    summary, _ = run(SmsBlacklistAddOperator(task_id="a", sms_conn_id=conn_id, recipients=[]))
    assert summary["counts"] == {"added": 0, "unchanged": 0, "failed": 0}
    assert emulator.requests() == []


@pytest.mark.parametrize(
    "value",
    [
        [{"recipient": A, "message_id": "1"}, {"recipient": B}],  # the send operator's XCom
        json.dumps([A, B]),
        str([A, B]),  # what Jinja renders a Python list to
        f"{A}\n{B}; {A}",
    ],
)
def test_recipient_shapes(value, emulator):
    summary, _ = run(SmsBlacklistAddOperator(task_id="a", sms_conn_id="emu_primotexto", recipients=value))
    assert summary["added"] == [A, B]


def test_one_refused_number_fails_the_task_after_the_others(conn_id, vendor, emulator):
    path = "/unsubscribers/default/contacts" if vendor == "primotexto" else "/stop-sms/add"
    code = 11 if vendor == "primotexto" else 9
    emulator.add_fault("vendor_error", vendor=vendor, path=path, after=1, count=1, code=code, http_status=400)
    op = SmsBlacklistAddOperator(task_id="add", sms_conn_id=conn_id, recipients=[A, B, C], max_concurrency=1)
    with pytest.raises(SmsInvalidRequestError) as info:
        run(op)
    assert "+3369****32" in str(info.value)
    assert B not in str(info.value)
    assert "1 of 3" in str(info.value)
    assert listed(conn_id) == sorted([A, C])


def test_summary_is_pushed_to_xcom_when_failing(conn_id, vendor, emulator):
    path = "/unsubscribers/default/contacts" if vendor == "primotexto" else "/stop-sms/add"
    emulator.add_fault("server_error", vendor=vendor, path=path, after=1)  # every retry fails too
    op = SmsBlacklistAddOperator(task_id="add", sms_conn_id=conn_id, recipients=[A, B], max_concurrency=1)
    op.hook.max_attempts = 1
    ti = FakeTI()
    with pytest.raises(SmsServerError):  # transient: Airflow's own retries may apply (idempotent)
        op.execute({"ti": ti})
    summary = ti.xcom["return_value"]
    assert summary["added"] == [A]
    assert [f["recipient"] for f in summary["failed"]] == [B]
    assert summary["failed"][0]["error"] == "SmsServerError"


def test_bad_key_stops_at_the_first_number(vendor, emulator, monkeypatch):
    conn = json.loads(emulator.connection_json(vendor))
    conn["password"] = "wrong-key"
    monkeypatch.setenv("AIRFLOW_CONN_BAD_KEY", json.dumps(conn))
    op = SmsBlacklistAddOperator(
        task_id="add", sms_conn_id="bad_key", recipients=[A, B, C], max_concurrency=1
    )
    ti = FakeTI()
    with pytest.raises(SmsAuthenticationError) as info:
        op.execute({"ti": ti})
    assert [f["error"] for f in ti.xcom["return_value"]["failed"]] == [
        "SmsAuthenticationError",
        "NotAttempted",
        "NotAttempted",
    ]
    assert "wrong-key" not in str(info.value)
    assert "could not add 3 of 3 number(s) to the 'unsubscribers' list" in str(info.value)
    assert len(emulator.requests(vendor=vendor)) == 1


def test_many_numbers_with_bounded_concurrency(conn_id, vendor, emulator):
    numbers = [f"+336120000{i:02d}" for i in range(40)]
    summary, _ = run(
        SmsBlacklistAddOperator(task_id="add", sms_conn_id=conn_id, recipients=numbers, max_concurrency=8)
    )
    assert summary["added"] == numbers
    assert len(listed(conn_id)) == 40


def test_template_fields():
    for cls in (SmsBlacklistAddOperator, SmsBlacklistRemoveOperator):
        assert cls.template_fields == ("sms_conn_id", "recipients", "list_type")
        op = cls(task_id="t", sms_conn_id="c", recipients=[A])
        assert all(hasattr(op, field) for field in cls.template_fields)


def test_logs_show_counts_and_masked_numbers_only(conn_id, vendor, emulator, caplog, capsys):
    path = "/unsubscribers/default/contacts" if vendor == "primotexto" else "/stop-sms/add"
    emulator.add_fault(
        "vendor_error", vendor=vendor, path=path, count=1, code=9 if vendor == "smspartner" else 11
    )
    op = SmsBlacklistAddOperator(task_id="add", sms_conn_id=conn_id, recipients=[A, B], max_concurrency=1)
    with caplog.at_level("DEBUG"), pytest.raises(SmsInvalidRequestError) as info:
        run(op)
    logged = caplog.text + "".join(capsys.readouterr()) + str(info.value)
    assert "added 1, unchanged 0, failed 1" in logged
    assert "+3361****78" in logged
    assert A not in logged
    assert B not in logged


@pytest.mark.parametrize("value", [0, "8", 1.5, 10_000])  # None: the connection's max_in_flight
def test_max_concurrency_is_checked_when_the_operator_is_built(value):
    from airflow_provider_sms.exceptions import SmsValidationError
    from airflow_provider_sms.operators.blacklist import SmsBlacklistAddOperator

    with pytest.raises(SmsValidationError, match="max_concurrency must be an integer from 1 to 1000"):
        SmsBlacklistAddOperator(
            task_id="add", sms_conn_id="x", recipients=["0612345678"], max_concurrency=value
        )
