"""Personalised sends end to end under ``dag.test()`` on both gateways: Airflow renders the task
part of the message, each row's part is rendered once at execute time, and the keys reach the
task that writes statuses back. Assertions read the emulator's own record."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from tests.operators.test_send_e2e import CONN_IDS, load_dag, xcom_values


def test_rows_from_xcom_with_context_and_row_templates(airflow_db, emulator, vendor):
    dag_run = load_dag("send_rows_e2e", "tests.dags.send_rows_e2e").test(
        logical_date=datetime(2026, 4, 12, tzinfo=timezone.utc),
        run_conf={"sms_conn_id": CONN_IDS[vendor], "greeting": "Salut", "orders": 30},
    )
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert set(states.values()) == {"success"}, states

    texts = Counter((m["recipient"], m["text"]) for m in emulator.messages(vendor=vendor))
    expected = {
        (f"+336{70_000_000 + i:08d}", f"Salut Client{i}, votre commande {10_000 + i} du 2026-04-12")
        for i in range(30)
    }
    expected.add(("+33670000000", "Salut {{ 7*7 }}, votre commande 1 du 2026-04-12"))  # never rendered again
    assert texts == Counter(expected)

    sent = xcom_values(dag_run, "send")[-1]
    assert [(r["key"], r["position"]) for r in sent] == [*((i, i) for i in range(30)), ("inj", 30)]
    written = xcom_values(dag_run, "write_back")[-1]
    assert written == {**{str(i): "delivered" for i in range(30)}, "inj": "delivered"}
