"""Test DAG: task-level callbacks with the default message, one on failure, one on success."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_sms.notifications.sms import send_sms_notification

with DAG(
    dag_id="notify_task_default",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "sms_conn_id": "emu_primotexto",
        "on_failure": "+33612345678",
        "on_success": "+33698765432",
    },
) as dag:

    @task(
        retries=0,
        on_failure_callback=send_sms_notification(
            sms_conn_id="{{ params.sms_conn_id }}", recipients="{{ params.on_failure }}"
        ),
    )
    def explode():
        raise KeyError("secret-looking detail that must not be sent")

    @task(
        on_success_callback=send_sms_notification(
            sms_conn_id="{{ params.sms_conn_id }}", recipients="{{ params.on_success }}"
        ),
    )
    def succeed():
        return "ok"

    explode()
    succeed()
