"""Test DAG: four tasks of one run fail at once, each with the SMS notifier as its
``on_failure_callback``, and the DAG has it too: the on-call phone gets one SMS for the run.

The four callbacks run in four task processes on the worker side at about the same time, the DAG's
in the dag-processor; they agree through the run's claims (Airflow Variables). Run under
``dag.test()`` by ``tests/notifications/test_once_per_run.py`` and by the real scheduler in
``tests/system/test_local_executor.py``."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param, task

from airflow_provider_sms.notifications.sms import send_sms_notification

page_on_call = send_sms_notification(
    sms_conn_id="{{ params.sms_conn_id }}", recipients="{{ params.on_call }}"
)

with DAG(
    dag_id="notify_once_per_run",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "sms_conn_id": Param("emu_smspartner", type="string"),
        "on_call": Param("+33639980111", type="string"),
    },
    on_failure_callback=page_on_call,
    tags=["test"],
) as dag:
    for name in ("load_orders", "load_stock", "load_prices", "load_customers"):

        @task(task_id=name, retries=0, on_failure_callback=page_on_call)
        def load() -> None:
            raise RuntimeError("the source is down")

        load()
