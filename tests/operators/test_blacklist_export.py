"""Blacklist export to CSV / JSON files (local path, file:// URL, object storage), both gateways."""

from __future__ import annotations

import csv
import json

import pytest
from airflow.sdk import ObjectStoragePath

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.operators.blacklist import SmsBlacklistExportOperator as Reexported
from airflow_provider_sms.operators.blacklist_export import EXPORT_COLUMNS, SmsBlacklistExportOperator

A, B = "+33612345678", "+33698765432"


def fill(conn_id, numbers, list_type="unsubscribers"):
    hook = get_sms_hook(conn_id)
    for number in numbers:
        hook.add_to_blacklist(number, list_type)


def export(conn_id, output_path, **kwargs):
    op = SmsBlacklistExportOperator(task_id="export", sms_conn_id=conn_id, output_path=output_path, **kwargs)
    return op.execute({})


def test_reexported_from_blacklist_module():
    assert Reexported is SmsBlacklistExportOperator


def test_csv_export_reads_back(conn_id, vendor, emulator, tmp_path):
    fill(conn_id, [B, A])
    target = tmp_path / "nested" / "stop.csv"
    result = export(conn_id, str(target))
    assert result["count"] == 2
    assert result["format"] == "csv"
    assert result["vendor"] == vendor
    with target.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert [row["recipient"] for row in rows] == [A, B]  # sorted
    assert all(row["id"] and row["list_type"] == "unsubscribers" for row in rows)
    assert {row["vendor"] for row in rows} == {vendor}
    assert {row["exported_at"] for row in rows} == {result["exported_at"]}


def test_json_export_via_file_url_reads_back(conn_id, vendor, emulator, tmp_path):
    fill(conn_id, [A])
    target = tmp_path / "stop.json"
    result = export(conn_id, f"file://{target}")
    data = json.loads(target.read_text())
    assert data["vendor"] == vendor
    assert data["conn_id"] == conn_id
    assert data["count"] == 1
    assert [e["recipient"] for e in data["entries"]] == [A]
    assert data["entries"][0]["id"]
    assert result["output_path"].endswith("stop.json")


def test_export_replaces_the_file(conn_id, emulator, tmp_path):
    target = tmp_path / "stop.csv"
    fill(conn_id, [A, B])
    export(conn_id, str(target))
    get_sms_hook(conn_id).remove_from_blacklist(A)
    export(conn_id, str(target))
    rows = list(csv.DictReader(target.open(newline="")))
    assert [row["recipient"] for row in rows] == [B]


def test_empty_list_gives_a_header_only_csv(conn_id, emulator, tmp_path):
    target = tmp_path / "stop.csv"
    assert export(conn_id, str(target))["count"] == 0
    assert target.read_text().splitlines() == [",".join(EXPORT_COLUMNS)]


def test_primotexto_bounces_export(emulator, tmp_path):
    fill("emu_primotexto", [B], "bounces")
    target = tmp_path / "bounces.json"
    export("emu_primotexto", str(target), list_type="bounces")
    assert [e["recipient"] for e in json.loads(target.read_text())["entries"]] == [B]


def test_smspartner_bounces_refused_before_any_request(emulator, tmp_path):
    with pytest.raises(SmsValidationError, match="bounces"):
        export("emu_smspartner", str(tmp_path / "b.csv"), list_type="bounces")
    assert emulator.requests() == []
    assert not (tmp_path / "b.csv").exists()


def test_format_contradicting_the_suffix_is_refused(emulator, tmp_path):
    with pytest.raises(SmsValidationError, match="contradicts"):
        export("emu_primotexto", str(tmp_path / "x.csv"), output_format="json")
    assert emulator.requests() == []


def test_object_storage_url(conn_id, emulator, memory_object_storage):
    fill(conn_id, [A])
    export(conn_id, "memory://exports/stop.json")
    data = json.loads(ObjectStoragePath("memory://exports/stop.json").read_text())
    assert [e["recipient"] for e in data["entries"]] == [A]


def test_template_fields():
    assert SmsBlacklistExportOperator.template_fields == (
        "sms_conn_id",
        "list_type",
        "output_path",
        "output_format",
    )
