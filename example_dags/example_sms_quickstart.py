"""Quickstart: send a delivery notice to a few customers, wait until every SMS is delivered, report.

Runs unchanged on Primotexto or SMS Partner: the connection's type picks the gateway. The README's
demo (``bash scripts/demo.sh``) runs it against the local emulator, once per gateway::

    airflow dags test example_sms_quickstart -c '{"sms_conn_id": "sms_demo_primotexto"}'
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param, task

from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor

with DAG(
    dag_id="example_sms_quickstart",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    render_template_as_native_obj=True,
    params={
        "sms_conn_id": Param("primotexto_default", type="string"),
        "recipients": Param(["06 39 98 00 10", "+33639980011", "0639980012"], type="array"),
        "order": Param("A-1042", type="string"),
    },
    tags=["example", "sms"],
) as dag:
    send = SmsSendOperator(
        task_id="send_notice",
        sms_conn_id="{{ params.sms_conn_id }}",
        recipients="{{ params.recipients }}",
        message="Votre commande {{ params.order }} est en route. Suivi : exemple.fr/suivi",
        sender="MyShop",
        category="shipping",
        retries=2,
    )

    wait = SmsDeliverySensor(
        task_id="wait_for_delivery",
        sms_conn_id="{{ params.sms_conn_id }}",
        messages=send.output,
        poke_interval=1,
        timeout=120,
        deferrable=True,
    )

    @task
    def report(statuses: list[dict]) -> dict[str, int]:
        """Count final states (the sensor returns one status dict per message)."""
        counts: dict[str, int] = {}
        for status in statuses:
            counts[status["state"]] = counts.get(status["state"], 0) + 1
        print(f"delivery report: {counts}")
        return counts

    report(wait.output)
