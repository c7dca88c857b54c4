"""Test DAG: a DAG-level ``on_failure_callback`` sends the default SMS when a task fails."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_sms.notifications.sms import send_sms_notification

with DAG(
    dag_id="notify_dag_failure",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"sms_conn_id": "emu_primotexto", "recipients": "+33612345678"},
    on_failure_callback=send_sms_notification(
        sms_conn_id="{{ params.sms_conn_id }}", recipients="{{ params.recipients }}"
    ),
) as dag:

    @task(retries=0)
    def fine():
        return 1

    @task(retries=0)
    def explode(value):
        raise RuntimeError("boom")

    explode(fine())
