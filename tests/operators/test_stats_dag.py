"""Account stats end to end under ``dag.test()``, both gateways: the CSV time series after two runs."""

from __future__ import annotations

import csv
import json

from tests.operators.test_blacklist_dag import load_example, run, xcoms


def test_stats_time_series_after_two_runs(conn_id, vendor, emulator, airflow_db, tmp_path):
    emulator.configure(credits=500)
    first = xcoms(run("lists_stats_e2e", sms_conn_id=conn_id, output_dir=str(tmp_path)))["stats_csv"]
    emulator.configure(credits=250)
    second = xcoms(run("lists_stats_e2e", sms_conn_id=conn_id, output_dir=str(tmp_path)))["stats_csv"]

    lines = (tmp_path / "stats.csv").read_text().splitlines()
    assert len(lines) == 3  # one header, one row per run
    rows = list(csv.DictReader(lines))
    assert lines[0].split(",")[:4] == ["vendor", "conn_id", "fetched_at", "credits"]
    assert [float(row["credits"]) for row in rows] == [500, 250]
    assert [row["fetched_at"] for row in rows] == [first["fetched_at"], second["fetched_at"]]
    assert {row["vendor"] for row in rows} == {vendor}
    latest = json.loads((tmp_path / "latest.json").read_text())
    assert latest["credits"] == 250
    assert latest["conn_id"] == conn_id


def test_example_stats_export(conn_id, vendor, emulator, airflow_db, tmp_path):
    dag_run = run(
        None, dag=load_example("example_sms_stats_export"), sms_conn_id=conn_id, output_dir=str(tmp_path)
    )
    values = xcoms(dag_run)
    [row] = list(csv.DictReader((tmp_path / "account_stats.csv").open(newline="")))
    assert row["vendor"] == vendor
    assert float(row["credits"]) == values["append_stats_row"]["credits"]
    latest = json.loads((tmp_path / "account_stats_latest.json").read_text())
    assert latest == values["write_latest_stats"]
