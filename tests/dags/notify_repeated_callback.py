"""Test DAG: one failing task whose ``on_failure_callback`` lists the same notifier twice, so Airflow
calls it twice for the same try (a repeated callback): the second call must send nothing."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_sms.notifications.sms import send_sms_notification

page = send_sms_notification(sms_conn_id="{{ params.sms_conn_id }}", recipients="{{ params.recipients }}")

with DAG(
    dag_id="notify_repeated_callback",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"sms_conn_id": "emu_primotexto", "recipients": "+33612345678"},
) as dag:

    @task(retries=0, on_failure_callback=[page, page])
    def explode():
        raise ValueError("boom")

    explode()
