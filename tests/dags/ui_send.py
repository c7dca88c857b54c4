"""A personalised send with every outcome the SMS views show, then a deferrable delivery wait.

Rows (keys ``acct-*``): six delivered, one bounced, one STOP, one delivery error; a landline and a
malformed number (skipped: ``on_invalid_recipient="skip"``); a copy of the first row (merged); a
number the emulator refuses (failed: the send task fails, the sensor still tracks what went out).
Used by ``tests/plugins/test_ui.py`` (``dag.test()``) and ``tests/system/test_ui.py`` (the stack).
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task

from airflow_provider_sms.emulator.numbers import (
    NUMBER_BOUNCED,
    NUMBER_ERROR,
    NUMBER_REJECTED,
    NUMBER_UNSUBSCRIBED,
)
from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor

#: Row number -> recipient, in input order (the test reads them back).
NUMBERS = [
    *(f"+336{71_000_000 + i:08d}" for i in range(6)),
    NUMBER_BOUNCED,
    NUMBER_UNSUBSCRIBED,
    NUMBER_ERROR,
    "+33140000000",  # a landline: invalid for SMS
    "not a number",
    "+33671000000",  # row 0 again, same text: merged
    NUMBER_REJECTED,
]


def ui_rows() -> list[dict]:
    """The rows: each with a key and a code the text carries (neither may reach a view)."""
    rows = [{"recipient": n, "key": f"acct-{i:03d}", "code": f"C0DE{i:03d}"} for i, n in enumerate(NUMBERS)]
    rows[11]["key"], rows[11]["code"] = rows[0]["key"], rows[0]["code"]
    return rows


with DAG(
    dag_id="ui_send",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"sms_conn_id": "emu_primotexto"},
    tags=["test"],
) as dag:

    @task
    def rows() -> list[dict]:
        return ui_rows()

    send = SmsSendOperator(
        task_id="send",
        sms_conn_id="{{ params.sms_conn_id }}",
        recipients=rows(),
        message="Your code is {{ row.code }}",
        on_invalid_recipient="skip",
    )
    SmsDeliverySensor(
        task_id="wait",
        sms_conn_id="{{ params.sms_conn_id }}",
        messages=send.output,
        poke_interval=0.5,
        timeout=120,
        deferrable=True,
        trigger_rule="all_done",
    )
