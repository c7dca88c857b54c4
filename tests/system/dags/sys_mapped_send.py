"""System test: one send mapped over chunks of recipients, run by Celery workers while the gateway
misbehaves; retries come from the scheduler, as in production."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, Param, task

from airflow_provider_sms.operators.send import SmsSendOperator

#: First number of the run: +33 6 40 00 00 00 onwards (clear of the emulator's special numbers).
FIRST_NUMBER = 40_000_000


def chunk_numbers(chunks: int, size: int) -> list[list[str]]:
    """The recipients, ``chunks`` lists of ``size`` numbers (also used by the test)."""
    return [[f"+336{FIRST_NUMBER + c * size + i:08d}" for i in range(size)] for c in range(chunks)]


with DAG(
    dag_id="sys_mapped_send",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "sms_conn_id": Param("emu_primotexto", type="string"),
        "chunks": Param(8, type="integer"),
        "size": Param(5000, type="integer"),
    },
    tags=["test"],
) as dag:

    @task
    def chunks(params=None) -> list[list[str]]:
        return chunk_numbers(params["chunks"], params["size"])

    SmsSendOperator.partial(
        task_id="send",
        sms_conn_id="{{ params.sms_conn_id }}",
        message="Votre colis arrive demain",
        max_concurrency=16,
        retries=15,
        retry_delay=timedelta(seconds=1),
        # a retry waits this long after a lost reply before it concludes the send never arrived:
        # the Celery stack's connections' read timeout (the floor: CELERY_READ_TIMEOUT in
        # tests/system/conftest.py), not the 60 s default
        outcome_settle_seconds=10,
    ).expand(recipients=chunks())
