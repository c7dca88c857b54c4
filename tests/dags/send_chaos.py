"""Chaos DAG for SmsSendOperator: one send task with many Airflow retries and no delay between them.

``tests/chaos/test_send_chaos.py`` runs it with ``dag.test()`` against the emulator while seeded,
probabilistic faults hit the gateway's send route, and checks the emulator's own record: no number
accepted twice, none lost. The operator keeps its default ``on_unknown_outcome``; its settle time is
the connections' read timeout (``SETTLE_SECONDS``), above the mix's commit delay.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, task

from airflow_provider_sms.operators.send import SmsSendOperator

#: Enough tries for a 2,000-recipient batch to get through a ~28 % send fault rate.
RETRIES = 12
#: Requests in flight at once (the operator's default is 8): more overlap of the 1-second waits
#: after a 429, and more interleaving of concurrent requests for the faults to land between.
MAX_CONCURRENCY = 16
#: The text the run sends (the test tells its messages from other systems' by it).
MESSAGE = "Your parcel arrives tomorrow"
#: Seconds after a request the gateway is taken to show what it did with it: the emulator
#: connections' read timeout (tests/conftest.py), above the chaos mix's commit delay.
SETTLE_SECONDS = 5
#: First number of the run's recipients: +33 6 30 00 00 00 onwards (clear of the emulator's
#: special test numbers in 06 39 98).
FIRST_NUMBER = 30_000_000


def chaos_numbers(count: int) -> list[str]:
    """The recipients of a run of ``count``, in order (also used by the test)."""
    return [f"+336{FIRST_NUMBER + i:08d}" for i in range(count)]


with DAG(
    dag_id="send_chaos",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"sms_conn_id": "emu_primotexto", "count": 2000},
    tags=["test"],
) as send_chaos:

    @task
    def recipients(params=None) -> list[str]:
        return chaos_numbers(params["count"])

    SmsSendOperator(
        task_id="send",
        sms_conn_id="{{ params.sms_conn_id }}",
        recipients=recipients(),
        message=MESSAGE,
        max_concurrency=MAX_CONCURRENCY,
        outcome_settle_seconds=SETTLE_SECONDS,
        retries=RETRIES,
        retry_delay=timedelta(seconds=0),
    )


#: Rows of the personalised chaos run that reuse an earlier row's number (another key, another text).
SHARED_NUMBERS = 100


def chaos_rows(count: int) -> list[dict]:
    """The rows of a personalised run of ``count``: each its own key and text; the last
    :data:`SHARED_NUMBERS` reuse the first rows' numbers (two SMS to one number)."""
    numbers = chaos_numbers(count - SHARED_NUMBERS)
    return [
        {"recipient": numbers[i % len(numbers)], "key": 10_000 + i, "first_name": f"Client{i}"}
        for i in range(count)
    ]


with DAG(
    dag_id="send_chaos_rows",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"sms_conn_id": "emu_primotexto", "count": 2000},
    tags=["test"],
) as send_chaos_rows:

    @task
    def rows(params=None) -> list[dict]:
        return chaos_rows(params["count"])

    SmsSendOperator(
        task_id="send",
        sms_conn_id="{{ params.sms_conn_id }}",
        recipients=rows(),
        message="Bonjour {{ row.first_name }}, votre commande {{ row.key }} part demain",
        max_concurrency=MAX_CONCURRENCY,
        outcome_settle_seconds=SETTLE_SECONDS,
        retries=RETRIES,
        retry_delay=timedelta(seconds=0),
    )
