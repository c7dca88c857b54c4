"""Per-recipient reports (``report_path``) of the send operator and the delivery sensor, on the
emulator: local CSV and JSON lines, ``memory://`` object storage, green tasks and failed ones."""

from __future__ import annotations

import csv
import io
import json

import pytest

from airflow_provider_sms.emulator import NUMBER_BOUNCED, NUMBER_REJECTED
from airflow_provider_sms.exceptions import SmsDeliveryFailedError, SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.outputs.files import to_storage_path
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor
from tests.helpers.delivery import context
from tests.operators.test_send_operator import CONN_IDS, make, numbers, run


def read_rows(path: str) -> list[dict]:
    text = to_storage_path(path).read_text(encoding="utf-8")
    if path.endswith(".csv"):
        return list(csv.DictReader(io.StringIO(text)))
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(params=["local-csv", "local-jsonl", "memory-csv", "memory-jsonl"])
def report_path(request, tmp_path, memory_object_storage):
    where, fmt = request.param.split("-")
    if where == "local":
        return str(tmp_path / "reports" / f"send.{fmt}")
    return f"memory://sms-reports/{request.node.name.replace('[', '_').rstrip(']')}/send.{fmt}"


def test_green_send_writes_one_row_per_recipient(emulator, report_path):
    result, _ = run(make(CONN_IDS["primotexto"], numbers(3), report_path=report_path))

    assert not isinstance(result, Exception), result
    rows = read_rows(report_path)
    assert [(r["recipient"], r["outcome"]) for r in rows] == [(n, "accepted") for n in numbers(3)]
    assert [r["message_id"] for r in rows] == [r["message_id"] for r in result]
    assert all(r["timestamp"].endswith("+00:00") for r in rows)
    assert set(rows[0]) == {"recipient", "message_id", "outcome", "reason", "timestamp"}


def test_failed_send_still_writes_its_report(emulator, vendor, conn_id, report_path):
    stopped = numbers(4)[2]
    get_sms_hook(conn_id).add_to_blacklist(stopped)

    error, _ = run(make(conn_id, [*numbers(4), NUMBER_REJECTED], report_path=report_path))

    assert isinstance(error, Exception)
    outcomes = {r["recipient"]: (r["outcome"], r["reason"] or None) for r in read_rows(report_path)}
    assert outcomes[NUMBER_REJECTED] == ("failed", "rejected")
    assert outcomes[stopped] == ("skipped", "blacklisted")
    assert sorted(n for n, (o, _) in outcomes.items() if o == "accepted") == [
        n for n in numbers(4) if n != stopped
    ]


def test_masked_report_and_explicit_format(emulator, tmp_path):
    path = str(tmp_path / "audit.txt")
    result, _ = run(
        make(
            CONN_IDS["smspartner"],
            numbers(2),
            report_path=path,
            report_format="jsonl",
            report_mask_numbers=True,
        )
    )
    assert not isinstance(result, Exception), result
    rows = read_rows(path)
    assert [r["recipient"] for r in rows] == ["+3364****00", "+3364****01"]


def test_report_options_are_checked_early(emulator, tmp_path):
    with pytest.raises(SmsValidationError, match="report_format"):
        make("x", "0612345678", report_format="xml")
    with pytest.raises(SmsValidationError, match="report_mask_numbers"):
        SmsDeliverySensor(task_id="w", sms_conn_id="x", messages=[], report_mask_numbers="yes")
    error, _ = run(make(CONN_IDS["primotexto"], numbers(1), report_path=str(tmp_path / "r.xml")))
    assert isinstance(error, SmsValidationError)  # before any request
    assert emulator.requests(vendor="primotexto") == []


def test_an_unwritable_report_fails_a_green_send_retryably(emulator, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result, ti = run(make(CONN_IDS["primotexto"], numbers(1), report_path=str(blocker / "r.csv")))
    assert type(result).__name__ == "SmsReportError"
    assert ti.xcom["failed"] == []


def test_delivery_sensor_report_green_and_failed(emulator, conn_id, report_path):
    sent, _ = run(make(conn_id, numbers(2)))
    wait = SmsDeliverySensor(
        task_id="wait",
        sms_conn_id=conn_id,
        messages=sent,
        poke_interval=0.1,
        timeout=10,
        report_path=report_path,
    )
    wait.execute(context())
    rows = read_rows(report_path)
    assert [(r["recipient"], r["outcome"]) for r in rows] == [(n, "delivered") for n in numbers(2)]
    assert all(r["message_id"] and r["timestamp"] for r in rows)

    emulator.reset()
    bounced, _ = run(make(conn_id, [numbers(1)[0], NUMBER_BOUNCED]))
    wait.messages = bounced
    with pytest.raises(SmsDeliveryFailedError):
        wait.execute(context())
    states = {r["recipient"]: r["outcome"] for r in read_rows(report_path)}
    assert states[numbers(1)[0]] == "delivered"
    assert states[NUMBER_BOUNCED] in ("bounced", "error")
