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

    assert {ti.task_id: ti.state for ti in dag_run.get_task_instances()} == dict.fromkeys(
        ("seed_demo_orders", "confirm", "wait", "write_back"), "success"
    )
    texts = sorted(m["text"] for m in emulator.messages(vendor=vendor))
    assert texts[0] == "Bonjour Karim, votre commande 10233 sera livree le 15/04."
    assert len(texts) == 5
    with sqlite3.connect(path) as db:
        states = dict(db.execute("SELECT order_id, sms_status FROM orders"))
    assert states == dict.fromkeys(range(10_230, 10_235), "delivered")
