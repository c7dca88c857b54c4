"""Retry DAGs for SmsSendOperator: the send task has ``retries=1`` and no delay.

``tests/operators/test_send_retry.py`` injects an emulator fault that breaks the first try mid-batch
and checks that the retry sends every recipient exactly once. ``send_retry`` keeps the default
``on_unknown_outcome="fail"``; ``send_retry_resend`` uses ``"resend"``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, task

from airflow_provider_sms.operators.send import SmsSendOperator


def build(dag_id: str, on_unknown_outcome: str) -> DAG:
    with DAG(
        dag_id=dag_id,
        schedule=None,
        start_date=datetime(2026, 1, 1),
        catchup=False,
        params={"sms_conn_id": "emu_primotexto", "count": 1000},
        tags=["test"],
    ) as dag:

        @task
        def recipients(params=None) -> list[str]:
            return [f"+336{20_000_000 + i:08d}" for i in range(params["count"])]

        SmsSendOperator(
            task_id="send",
            sms_conn_id="{{ params.sms_conn_id }}",
            recipients=recipients(),
            message="Your parcel arrives tomorrow",
            on_unknown_outcome=on_unknown_outcome,
            outcome_settle_seconds=5,  # the emulator connections' read timeout (tests/conftest.py)
            retries=1,
            retry_delay=timedelta(seconds=0),
        )
    return dag


send_retry = build("send_retry", "fail")
send_retry_resend = build("send_retry_resend", "resend")
