"""Confirmation codes by SMS: pick the accounts waiting for a code, issue one code each, text it.

Each account gets its own text, yet there is **one** send task: the codes go in as rows
(``{"recipient", "key", "code"}``) and the message reads each row's code as ``{{ row.code }}``
(rendered once per row, in a sandbox, at execute time; see ``docs/personalised-sends.md``). On SMS
Partner, 500 different texts travel in one ``/bulk-send`` request; Primotexto takes one number per
request, ``max_concurrency`` at a time. One mapped task per SMS (``expand_kwargs``) would cost a
task instance, a worker slot and a request each, and stops at ``max_map_length`` (1,024).

What the pipeline relies on:

* **no duplicate code on retry**: ``retries=2``; a retry does not text an account again once the
  gateway accepted its code (the retry journal knows each row by its key, the account);
* **validation first**: a landline or malformed number is named by its row's position and key
  before any request; ``on_invalid_recipient="skip"`` lets the other accounts get their code and
  reports the bad one in XCom ``skipped``;
* **privacy**: the codes are not logged (``show_return_value_in_logs=False`` upstream; the operator
  never logs a text); ``mask_message=True`` hides the template in the rendered fields and the
  texts in a dry run; numbers are logged masked.

``sms_conn_id`` comes from the run's params, so the same DAG runs on Primotexto, SMS Partner or the
local emulator (``sms-gateway-emulator``; see ``docs/emulator.md``). The demo numbers are in the
06 39 98 xx xx block that ARCEP keeps for fiction: they can never reach a real person.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from airflow.sdk import DAG, Param, task

from airflow_provider_sms.operators.send import SmsSendOperator

with DAG(
    dag_id="example_sms_confirmation_codes",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "sms_conn_id": Param(
            "primotexto_default", type="string", description="primotexto or smspartner connection"
        ),
        "sender": Param("MyShop", type="string", description="3 to 11 letters or digits"),
    },
    tags=["example", "sms"],
    doc_md=__doc__,
) as dag:

    @task
    def pending_signups() -> list[dict]:
        """Stand-in for a query: the accounts waiting for a confirmation code."""
        return [
            {"account": "a-1001", "phone": "06 39 98 00 10"},
            {"account": "a-1002", "phone": "+33 6 39 98 00 11"},
            {"account": "a-1003", "phone": "0639980012"},
        ]

    @task(show_return_value_in_logs=False)
    def issue_codes(signups: list[dict]) -> list[dict]:
        """One 6-digit code per account, as one row each (the account is the row's key).

        A real pipeline stores a hash of each code with its expiry here (never the code itself).
        """
        return [
            {
                "recipient": signup["phone"],
                "key": signup["account"],
                "code": f"{secrets.randbelow(1_000_000):06d}",
            }
            for signup in signups
        ]

    send_codes = SmsSendOperator(
        task_id="send_codes",
        sms_conn_id="{{ params.sms_conn_id }}",
        sender="{{ params.sender }}",
        recipients=issue_codes(pending_signups()),
        message="Your confirmation code is {{ row.code }}. It expires in 10 minutes.",
        category="otp",
        mask_message=True,
        on_invalid_recipient="skip",
        retries=2,
        retry_delay=timedelta(seconds=30),
    )

    @task
    def record_sent(results: list[dict]) -> dict:
        """The accepted messages by account (ids for a delivery sensor or an audit table)."""
        return {"accepted": len(results), "message_ids": {r["key"]: r["message_id"] for r in results}}

    record_sent(send_codes.output)
