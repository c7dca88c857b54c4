"""Test DAG: a failing task whose ``on_failure_callback`` sends an SMS (templated text)."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_sms.notifications.sms import send_sms_notification

with DAG(
    dag_id="notify_task_failure",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"sms_conn_id": "emu_primotexto", "recipients": "+33612345678"},
) as dag:

    @task(
        retries=0,
        on_failure_callback=send_sms_notification(
            sms_conn_id="{{ params.sms_conn_id }}",
            recipients="{{ params.recipients }}",
            message="{{ ti.task_id }} failed in {{ dag.dag_id }} ({{ run_id }})",
        ),
    )
    def explode():
        raise ValueError("boom")

    explode()
