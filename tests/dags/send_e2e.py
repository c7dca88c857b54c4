"""End-to-end DAG for SmsSendOperator: one number, a 1,000-number batch, and mapped chunks.

Run by ``tests/operators/test_send_e2e.py`` with ``dag.test(run_conf={...})`` against the emulator;
the connection id comes from the run's params so one DAG covers both gateways.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task

from airflow_provider_sms.operators.send import SmsSendOperator


def numbers(first: int, count: int) -> list[str]:
    """``count`` distinct French mobiles from ``+336<first>`` on (fiction range excluded)."""
    return [f"+336{first + i:08d}" for i in range(count)]


with DAG(
    dag_id="send_e2e",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "sms_conn_id": "emu_primotexto",
        "single": "06 20 00 00 01",
        "bulk": 1000,
        "chunked": 600,
        "chunk_size": 200,
    },
    tags=["test"],
) as dag:

    @task
    def bulk_numbers(params=None) -> list[str]:
        # the same number twice in two spellings: one SMS only
        return [*numbers(10_000_000, params["bulk"]), "0610000000"]

    @task
    def chunks(params=None) -> list[list[str]]:
        todo = numbers(30_000_000, params["chunked"])
        size = params["chunk_size"]
        return [todo[i : i + size] for i in range(0, len(todo), size)]

    SmsSendOperator(
        task_id="send_single",
        sms_conn_id="{{ params.sms_conn_id }}",
        recipients="{{ params.single }}",
        message="Your order {{ params.bulk }} has shipped",
        sender="MyShop",
    )
    SmsSendOperator(
        task_id="send_bulk",
        sms_conn_id="{{ params.sms_conn_id }}",
        recipients=bulk_numbers(),
        message="Maintenance tonight 22:00-23:00",
        category="notice",
    )
    SmsSendOperator.partial(
        task_id="send_chunks",
        sms_conn_id="{{ params.sms_conn_id }}",
        message="Chunked hello",
    ).expand(recipients=chunks())
