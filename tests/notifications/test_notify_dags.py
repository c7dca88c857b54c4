"""Task- and DAG-level SMS callbacks under ``dag.test()``, on both gateways.

Each failing DAG must leave exactly one SMS in the emulator's record, carrying the rendered text.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from airflow_provider_sms.rules.text import count_segments
from airflow_provider_sms.version_compat import AIRFLOW_V_3_3_PLUS
from tests.helpers.gateway_rules import message_problems

RECIPIENT = "+33612345678"
OTHER = "+33698765432"


def load_example(name: str):
    """The ``dag`` of ``example_dags/<name>.py`` (the file also sits in the test dags folder)."""
    path = Path(__file__).resolve().parents[2] / "example_dags" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_dags_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def run_dag(module, conf):
    dag = importlib.import_module(f"tests.dags.{module}").dag
    return dag.test(run_conf=conf)


def test_task_failure_callback_sends_one_rendered_sms(conn_id, vendor, emulator, airflow_db):
    dr = run_dag("notify_task_failure", {"sms_conn_id": conn_id, "recipients": RECIPIENT})
    assert dr.state == "failed"
    [sms] = emulator.messages()
    assert sms["vendor"] == vendor
    assert sms["recipient"] == RECIPIENT
    assert sms["text"] == f"explode failed in notify_task_failure ({dr.run_id})"


def test_dag_failure_callback_sends_one_default_sms(conn_id, vendor, emulator, airflow_db):
    dr = run_dag("notify_dag_failure", {"sms_conn_id": conn_id, "recipients": RECIPIENT})
    assert dr.state == "failed"
    [sms] = emulator.messages()
    assert sms["vendor"] == vendor
    assert sms["recipient"] == RECIPIENT
    assert sms["text"] == (
        f"Airflow: DAG notify_dag_failure failed\nRun: {dr.run_id}\nReason: task_failure\nLast task: explode"
    )


def test_task_callbacks_default_messages(conn_id, vendor, emulator, airflow_db):
    dr = run_dag(
        "notify_task_default", {"sms_conn_id": conn_id, "on_failure": RECIPIENT, "on_success": OTHER}
    )
    states = {ti.task_id: ti.state for ti in dr.get_task_instances()}
    assert states == {"explode": "failed", "succeed": "success"}
    texts = {m["recipient"]: m["text"] for m in emulator.messages()}
    assert len(emulator.messages()) == 2
    # dag.test() puts the task's exception in the failure callback's context from Airflow 3.3 on
    # (a real task process does on every 3.x): before, the default message has no "Error:" line.
    error = "\nError: KeyError" if AIRFLOW_V_3_3_PLUS else ""
    assert texts[RECIPIENT] == (
        f"Airflow: task explode failed\nDAG: notify_task_default\nRun: {dr.run_id}\nTry: 1{error}"
    )
    assert (
        texts[OTHER] == f"Airflow: task succeed success\nDAG: notify_task_default\nRun: {dr.run_id}\nTry: 1"
    )
    for text in texts.values():
        assert "secret" not in text
        assert message_problems(text, "primotexto") == []
        assert count_segments(text).segments <= 2


def test_example_failure_alert(conn_id, vendor, emulator, airflow_db):
    dag = load_example("example_sms_failure_alert")
    dr = dag.test(run_conf={"sms_conn_id": conn_id, "on_call": RECIPIENT})
    assert dr.state == "failed"
    # The task's callback pages first; the DAG's, later in the same run, sends nothing (once_per_run).
    texts = [m["text"] for m in emulator.messages()]
    assert texts == [f"example_sms_failure_alert: load failed (try 1). Logs: Airflow UI, run {dr.run_id}"]
    assert {m["recipient"] for m in emulator.messages()} == {RECIPIENT}


def test_example_failure_alert_sends_nothing_on_success(emulator, airflow_db):
    dr = load_example("example_sms_failure_alert").test(
        run_conf={"sms_conn_id": "emu_smspartner", "fail": False}
    )
    assert dr.state == "success"
    assert emulator.messages() == []
