"""The DAG ``tests/crash/test_send_crash.py`` SIGKILLs mid-send: one SmsSendOperator, 2,000 SMS.

``SMS_CRASH_SHAPE`` picks what it sends: ``text`` (default), one text to 2,000 numbers; ``rows``,
2,000 personalised rows, each its own key and text, the last 100 to numbers that already have a
row (two SMS to one number).

Not in ``tests/dags`` (which every other ``dag.test()`` of the suite parses): the crash test links
this file alone into the DAG folder of each scenario's own Airflow home. ``retries=1`` with no delay
so the killed try can be followed by its next try. ``SMS_CRASH_JOURNAL_FLUSH_EVERY`` (optional)
overrides ``journal_flush_every`` to measure the durability window by hand.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.sending.journal import DEFAULT_FLUSH_EVERY

DAG_ID = "send_crash"
TASK_ID = "send"
COUNT = 2000
SHARED_NUMBERS = 100
SHAPE = os.environ.get("SMS_CRASH_SHAPE", "text")
TEXT = "Your parcel arrives tomorrow"
TEMPLATE = "Bonjour {{ row.first_name }}, votre commande {{ row.key }} part demain"


def numbers(count: int = COUNT) -> list[str]:
    """The recipients: ordinary French mobile numbers (none of the emulator's special ones)."""
    return [f"+336{30_000_000 + i:08d}" for i in range(count)]


def rows(count: int = COUNT) -> list[dict]:
    """Personalised rows: each its own key; the last :data:`SHARED_NUMBERS` reuse earlier numbers."""
    distinct = numbers(count - SHARED_NUMBERS)
    return [
        {"recipient": distinct[i % len(distinct)], "key": f"order-{i}", "first_name": f"Client{i}"}
        for i in range(count)
    ]


def expected() -> list[dict]:
    """Every SMS the DAG must send exactly once: ``recipient``, ``text`` and (rows) ``key``."""
    if SHAPE == "rows":
        return [
            {
                "recipient": row["recipient"],
                "key": row["key"],
                "text": f"Bonjour {row['first_name']}, votre commande {row['key']} part demain",
            }
            for row in rows()
        ]
    return [{"recipient": number, "key": None, "text": TEXT} for number in numbers()]


with DAG(
    dag_id=DAG_ID,
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"sms_conn_id": "emu_primotexto"},
    tags=["test"],
) as dag:
    SmsSendOperator(
        task_id=TASK_ID,
        sms_conn_id="{{ params.sms_conn_id }}",
        # text: one string, one template to render, not 2,000
        recipients=rows() if SHAPE == "rows" else ",".join(numbers()),
        message=TEMPLATE if SHAPE == "rows" else TEXT,
        retries=1,
        retry_delay=timedelta(seconds=0),
        # the next try waits this long before it concludes that a request cut off in flight never
        # arrived (the connection's read timeout, crash_harness.airflow_env): not the default 60 s
        outcome_settle_seconds=5,
        journal_flush_every=int(os.environ.get("SMS_CRASH_JOURNAL_FLUSH_EVERY") or DEFAULT_FLUSH_EVERY),
    )
