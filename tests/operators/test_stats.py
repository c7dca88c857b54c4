"""Account stats operator and the shared JSON/CSV writer, against the emulator."""

from __future__ import annotations

import csv
import json
from datetime import datetime

import pytest
from airflow.sdk import ObjectStoragePath

from airflow_provider_sms.emulator import SMSPARTNER_API_KEY
from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.operators.stats import SmsAccountStatsOperator, build_stats_record
from airflow_provider_sms.outputs.files import append_csv, resolve_format, to_storage_path


def stats(conn_id, **kwargs):
    return SmsAccountStatsOperator(task_id="stats", sms_conn_id=conn_id, **kwargs).execute({})


def test_record_shape(conn_id, vendor, emulator):
    emulator.configure(credits=321.5)
    record = stats(conn_id)
    assert list(record)[:4] == ["vendor", "conn_id", "fetched_at", "credits"]
    assert record["vendor"] == vendor
    assert record["conn_id"] == conn_id
    assert record["credits"] == pytest.approx(321.5)
    assert datetime.fromisoformat(record["fetched_at"]).utcoffset().total_seconds() == 0
    counters = list(record)[4:]
    assert counters
    assert counters == sorted(counters)
    json.dumps(record)


def test_smspartner_subaccounts_every_page_without_personal_data(emulator):
    record = stats("emu_smspartner", include_subaccounts=True)
    assert record["subaccounts_count"] == 47
    pages = emulator.requests(vendor="smspartner", path="/subaccount/list")
    assert len(pages) == 3  # 20 per page
    accounts = record["subaccounts"]
    assert len({a["id"] for a in accounts}) == 47
    assert set(accounts[0]) == {"id", "type", "created_at", "balance", "currency"}
    assert record["subaccounts_balance"] == pytest.approx(sum(a["balance"] for a in accounts))
    text = json.dumps(record)
    assert "@" not in text
    assert "token" not in text
    assert "emu-subaccount-key" not in text
    assert SMSPARTNER_API_KEY not in text


def test_primotexto_subaccounts_refused_before_any_request(emulator):
    with pytest.raises(SmsValidationError, match="sub-accounts"):
        stats("emu_primotexto", include_subaccounts=True)
    assert emulator.requests() == []


def test_json_output_overwrites(conn_id, emulator, tmp_path):
    target = tmp_path / "out" / "stats.json"
    stats(conn_id, output_path=str(target))
    emulator.configure(credits=42)
    record = stats(conn_id, output_path=str(target))
    assert json.loads(target.read_text()) == record
    assert record["credits"] == 42


def test_csv_time_series_appends_one_row_per_run(conn_id, emulator, tmp_path):
    target = tmp_path / "stats.csv"
    first = stats(conn_id, output_path=f"file://{target}")
    emulator.configure(credits=99)
    second = stats(conn_id, output_path=str(target), output_format="csv")
    lines = target.read_text().splitlines()
    assert len(lines) == 3
    rows = list(csv.DictReader(lines))
    assert list(rows[0]) == [k for k in first if not isinstance(first[k], list)]
    assert [float(r["credits"]) for r in rows] == [first["credits"], second["credits"]]
    assert rows[1]["fetched_at"] == second["fetched_at"]


def test_csv_with_subaccounts_keeps_flat_columns(emulator, tmp_path):
    target = tmp_path / "stats.csv"
    record = stats("emu_smspartner", output_path=str(target), include_subaccounts=True)
    [row] = list(csv.DictReader(target.open(newline="")))
    assert "subaccounts" not in row
    assert int(row["subaccounts_count"]) == 47
    assert float(row["subaccounts_balance"]) == pytest.approx(record["subaccounts_balance"])


def test_existing_csv_keeps_its_columns(tmp_path):
    path = to_storage_path(tmp_path / "series.csv")
    append_csv(path, ["a", "b"], [{"a": 1, "b": 2}])
    written = append_csv(path, ["a", "c", "b"], [{"a": 3, "b": 4, "c": 5}])
    assert written == ["a", "b"]
    assert path.read_text().splitlines() == ["a,b", "1,2", "3,4"]


def test_append_on_object_storage(memory_object_storage):
    path = ObjectStoragePath("memory://series/stats.csv")
    append_csv(path, ["a", "b"], [{"a": 1, "b": None}])
    append_csv(path, ["a", "b"], [{"a": 2, "b": [1, 2]}])
    assert path.read_text().splitlines() == ["a,b", "1,", '2,"[1, 2]"']


def test_append_to_a_file_without_final_newline(tmp_path):
    target = tmp_path / "series.csv"
    target.write_text("a,b\n1,2")
    append_csv(to_storage_path(target), ["a", "b"], [{"a": 3, "b": 4}])
    assert target.read_text().splitlines() == ["a,b", "1,2", "3,4"]


@pytest.mark.parametrize(
    ("path", "fmt", "expected"),
    [("x.csv", None, "csv"), ("x.JSON", None, "json"), ("x", None, "json"), ("x.txt", "CSV", "csv")],
)
def test_resolve_format(path, fmt, expected):
    assert resolve_format(path, fmt) == expected


def test_unknown_format_refused_before_any_request(emulator, tmp_path):
    with pytest.raises(SmsValidationError, match="output_format"):
        stats("emu_primotexto", output_path=str(tmp_path / "s"), output_format="xml")
    assert emulator.requests() == []


def test_vendor_counters_cannot_override_lead_columns():
    record = build_stats_record("primotexto", "c", {"credits": "7", "vendor": "x", "sent": 3})
    assert record["vendor"] == "primotexto"
    assert record["credits"] == 7.0
    assert record["sent"] == 3


def test_template_fields():
    assert SmsAccountStatsOperator.template_fields == ("sms_conn_id", "output_path", "output_format")
