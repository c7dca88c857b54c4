"""End-to-end DAG for personalised sends: rows from an upstream task, a message that reads both
the task's context (``params``, ``ds``) and each row, the delivery sensor, and a task that reads
each row's final state back by key.

Run by ``tests/operators/test_send_rows_e2e.py`` with ``dag.test(run_conf={...})`` against the
emulator; the connection id comes from the run's params so one DAG covers both gateways.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task

from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor

with DAG(
    dag_id="send_rows_e2e",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"sms_conn_id": "emu_primotexto", "greeting": "Bonjour", "orders": 30},
    tags=["test"],
) as dag:

    @task
    def orders(params=None) -> list[dict]:
        rows = [
            {
                "recipient": f"+336{70_000_000 + i:08d}",
                "first_name": f"Client{i}",
                "order": 10_000 + i,
                "key": i,
            }
            for i in range(params["orders"])
        ]
        rows.append({"recipient": "+33670000000", "first_name": "{{ 7*7 }}", "order": 1, "key": "inj"})
        return rows

    send = SmsSendOperator(
        task_id="send",
        sms_conn_id="{{ params.sms_conn_id }}",
        recipients=orders(),
        message="{{ params.greeting }} {{ row.first_name }}, votre commande {{ row.order }} du {{ ds }}",
    )
    wait = SmsDeliverySensor(
        task_id="wait",
        sms_conn_id="{{ params.sms_conn_id }}",
        messages=send.output,
        poke_interval=0.2,
        timeout=60,
        deferrable=False,
    )

    @task
    def write_back(statuses: list[dict]) -> dict:
        return {str(s["key"]): s["state"] for s in statuses}

    write_back(wait.output)
