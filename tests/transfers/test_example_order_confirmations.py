"""example_sms_order_confirmations end to end (``dag.test()``) on both gateways: orders read from a
real SQLite table, each texted its own confirmation, delivery states written back by key."""

from __future__ import annotations

import json
import sqlite3

from tests.operators.test_send_e2e import CONN_IDS, load_example


def test_orders_are_confirmed_and_their_states_written_back(
    airflow_db, emulator, vendor, tmp_path, monkeypatch
):
    path = tmp_path / "shop.db"
    monkeypatch.setenv("AIRFLOW_CONN_SHOP_DB", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    dag = load_example("example_sms_order_confirmations")

    dag_run = dag.test(run_conf={"sms_conn_id": CONN_IDS[vendor], "db_conn_id": "shop_db"})

    assert {ti.task_id: ti.state for ti in dag_run.get_task_instances()} == {
        **dict.fromkeys(("seed_demo_orders", "confirm", "wait", "write_back"), "success"),
        "fail_run_if_a_task_failed": "skipped",
    }
    assert dag_run.state == "success"
    texts = sorted(m["text"] for m in emulator.messages(vendor=vendor))
    assert texts[0] == "Bonjour Karim, votre commande 10233 sera livree le 15/04."
    assert len(texts) == 5
    with sqlite3.connect(path) as db:
        states = dict(db.execute("SELECT order_id, sms_status FROM orders"))
    assert states == dict.fromkeys(range(10_230, 10_235), "delivered")


def test_a_failed_send_fails_the_run_though_the_write_back_ran(airflow_db, emulator, tmp_path, monkeypatch):
    """The gateway refuses the key: nothing is sent, every order is written back as not sent, and
    the run is not green."""
    path = tmp_path / "shop.db"
    monkeypatch.setenv("AIRFLOW_CONN_SHOP_DB", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    bad_key = {**json.loads(emulator.connection_json("smspartner")), "password": "wrong-key"}
    monkeypatch.setenv("AIRFLOW_CONN_SHOP_SMS", json.dumps(bad_key))
    dag = load_example("example_sms_order_confirmations")

    dag_run = dag.test(run_conf={"sms_conn_id": "shop_sms", "db_conn_id": "shop_db"})

    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert states["confirm"] == "failed"
    assert states["write_back"] == "success"
    assert states["fail_run_if_a_task_failed"] == "failed"
    assert dag_run.state == "failed"
    assert emulator.messages(vendor="smspartner") == []
