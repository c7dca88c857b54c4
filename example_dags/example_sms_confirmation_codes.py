"""Confirmation codes by SMS: pick the accounts waiting for a code, issue one code each, text it.

Each account gets its own text, so the send task is mapped with ``expand_kwargs``: one mapped task
instance per account, each a ``SmsSendOperator`` with one recipient. What the pipeline relies on:

* **no duplicate code on retry**: ``retries=2``; a retry does not text an account again once the
  gateway accepted its code (the operator's retry journal);
* **validation first**: a landline or malformed number fails its own mapped task before any
  request, with the reason, and the other accounts still get their code;
* **privacy**: the codes are not logged (``show_return_value_in_logs=False`` upstream,
  ``mask_message=True`` hides the text in the send task's rendered fields and logs); numbers are
  logged masked.

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
        """One 6-digit code per account, as one SmsSendOperator call each.

        A real pipeline stores a hash of each code with its expiry here (never the code itself).
        """
        sends = []
        for signup in signups:
            code = f"{secrets.randbelow(1_000_000):06d}"
            sends.append(
                {
                    "recipients": signup["phone"],
                    "message": f"Your confirmation code is {code}. It expires in 10 minutes.",
                }
            )
        return sends

    send_code = SmsSendOperator.partial(
        task_id="send_code",
        sms_conn_id="{{ params.sms_conn_id }}",
        sender="{{ params.sender }}",
        category="otp",
        mask_message=True,
        retries=2,
        retry_delay=timedelta(seconds=30),
    ).expand_kwargs(issue_codes(pending_signups()))

    @task
    def record_sent(results: list[list[dict]]) -> dict:
        """Collect the accepted messages (ids for a delivery sensor or an audit table)."""
        accepted = [result for per_account in results for result in per_account]
        return {"accepted": len(accepted), "message_ids": sorted({r["message_id"] for r in accepted})}

    record_sent(send_code.output)
