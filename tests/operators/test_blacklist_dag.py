"""End to end under ``dag.test()``, both gateways: blacklist sync and the stats time series."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

from airflow_provider_sms.hooks import get_sms_hook

EXAMPLES = Path(__file__).resolve().parents[2] / "example_dags"

A, B, ABSENT = "+33612345678", "+33698765432", "+33611223344"


def xcoms(dag_run) -> dict[str, object]:
    """Return values of every task of ``dag_run``, by task id."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        query = XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_run.dag_id, key="return_value")
        return {row.task_id: XComModel.deserialize_value(row) for row in session.scalars(query)}


def load_example(name: str):
    """The ``dag`` of ``example_dags/<name>.py`` (the file also sits in the test dags folder)."""
    spec = importlib.util.spec_from_file_location(f"example_dags_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def run(module: str, dag=None, **conf):
    dag = dag or importlib.import_module(f"tests.dags.{module}").dag
    dag_run = dag.test(run_conf=conf)
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert set(states.values()) == {"success"}, states
    return dag_run


def test_blacklist_sync(conn_id, vendor, emulator, airflow_db, tmp_path):
    dag_run = run(
        "lists_sync_e2e",
        sms_conn_id=conn_id,
        add=[A, "06 98 76 54 32"],
        remove=[A, ABSENT],
        output_dir=str(tmp_path),
    )
    values = xcoms(dag_run)
    assert values["add"]["added"] == [A, B]
    assert values["add_again"]["added"] == []
    assert values["add_again"]["unchanged"] == [A, B]
    assert values["remove"]["removed"] == [A]
    assert values["remove"]["unchanged"] == [ABSENT]
    assert values["remove_again"]["removed"] == []
    assert values["remove_again"]["unchanged"] == [A, ABSENT]
    assert all(values[t]["failed"] == [] for t in ("add", "add_again", "remove", "remove_again"))

    rows = list(csv.DictReader((tmp_path / "unsubscribers.csv").open(newline="")))
    assert [row["recipient"] for row in rows] == [A, B]
    assert {row["vendor"] for row in rows} == {vendor}
    exported = json.loads((tmp_path / "unsubscribers.json").read_text())
    assert [entry["recipient"] for entry in exported["entries"]] == [B]
    assert values["export_json"]["count"] == 1
    assert values["export_csv"]["count"] == 2


def test_primotexto_bounce_list_sync(emulator, airflow_db, tmp_path):
    run(
        "lists_sync_e2e",
        sms_conn_id="emu_primotexto",
        list_type="bounces",
        add=[A, B],
        remove=[B],
        output_dir=str(tmp_path),
    )
    exported = json.loads((tmp_path / "bounces.json").read_text())
    assert exported["list_type"] == "bounces"
    assert [entry["recipient"] for entry in exported["entries"]] == [A]


def test_examples_parse_without_io(emulator, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = ["example_sms_blacklist_sync", "example_sms_stats_export", "example_sms_failure_alert"]
    dags = {name: load_example(name) for name in names}
    assert {name: dag.dag_id for name, dag in dags.items()} == {name: name for name in names}
    assert emulator.requests() == []  # no connection, no request at parse time
    assert list(tmp_path.iterdir()) == []


def test_example_blacklist_sync(conn_id, vendor, emulator, airflow_db, tmp_path):
    get_sms_hook(conn_id).add_to_blacklist("+33639980103")  # opted back in since: removed tonight
    emulator.inject_stop(vendor, "+33639980104")  # answered STOP to an SMS: the CRM does not know yet
    target = tmp_path / "stop.csv"
    dag_run = run(
        None, dag=load_example("example_sms_blacklist_sync"), sms_conn_id=conn_id, export_path=str(target)
    )
    assert dag_run.state == "success"
    values = xcoms(dag_run)
    assert values["add_unsubscribers"]["added"] == ["+33639980101", "+33639980102"]
    # The CRM's landline is skipped and reported (masked), not fatal.
    assert values["add_unsubscribers"]["skipped"] == [
        {
            "index": 2,
            "recipient": "+3314****77",
            "reason": "landline or non-mobile number (SMS needs a mobile)",
        }
    ]
    assert values["remove_resubscribed"]["removed"] == ["+33639980103"]
    rows = list(csv.DictReader(target.open(newline="")))
    assert [row["recipient"] for row in rows] == ["+33639980101", "+33639980102", "+33639980104"]
    assert values["stops_for_the_crm"] == {
        "new_stops": ["+33639980104"],
        "unusable": {"landline or non-mobile number (SMS needs a mobile)": 1},
    }
