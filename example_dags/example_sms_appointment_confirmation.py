"""Appointment confirmation: send a reminder, wait for OUI, then branch on the answer.

* ``send_reminder`` texts the customer and asks for OUI;
* ``wait_for_oui`` (:class:`SmsReplySensor`) waits for a reply from that number, after the run
  started, matching ``^\\s*(oui|yes)\\b`` (any case); ``soft_fail=True`` makes "no answer by the
  timeout" a skip rather than a failure;
* ``decide`` (``trigger_rule="none_failed"``: after an answer or a timeout, not after a failed
  send, which fails the run) branches to ``confirmed`` when the sensor returned a reply, else to
  ``no_answer`` (e.g. call the customer).

Works on Primotexto (its replies call) and on SMS Partner when the connection names the provider's
reply webhook (extras ``webhook_secret`` and ``public_base_url``: the reminder then asks SMS Partner
to post the answer there; ``docs/inbound.md``); on an SMS Partner connection without them the sensor
refuses to start. Against the emulator: ``emu.inject_reply("primotexto", "+33639980030", "Oui merci")``
(or ``"smspartner"``: the emulator posts the reply to the webhook). The sensor checks every
``SMS_REPLY_POKE_INTERVAL`` seconds (default 60).
"""

from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import DAG, Param, task

from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.sensors.reply import SmsReplySensor

POKE_SECONDS = float(os.environ.get("SMS_REPLY_POKE_INTERVAL", "60"))

with DAG(
    dag_id="example_sms_appointment_confirmation",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "sms_conn_id": Param("primotexto_default", type="string"),
        "customer": Param("+33639980030", type="string"),
    },
    tags=["example", "sms"],
) as dag:
    send = SmsSendOperator(
        task_id="send_reminder",
        sms_conn_id="{{ params.sms_conn_id }}",
        recipients="{{ params.customer }}",
        message="Rendez-vous demain 10h. Repondez OUI pour confirmer.",
        category="rdv",
    )
    wait = SmsReplySensor(
        task_id="wait_for_oui",
        sms_conn_id="{{ params.sms_conn_id }}",
        numbers="{{ params.customer }}",
        pattern=r"(?i)^\s*(oui|yes)\b",
        category="rdv",
        poke_interval=POKE_SECONDS,
        timeout=4 * 3600,
        soft_fail=True,
        deferrable=True,
    )

    @task.branch(trigger_rule="none_failed")
    def decide(ti=None) -> str:
        """``confirmed`` when a matching reply came back, else ``no_answer``."""
        replies = ti.xcom_pull(task_ids="wait_for_oui") if ti is not None else None
        return "confirmed" if replies else "no_answer"

    @task
    def confirmed() -> str:
        """Mark the appointment confirmed (here: just say so)."""
        return "confirmed"

    @task
    def no_answer() -> str:
        """No OUI in time: hand over to a human (here: just say so)."""
        return "no answer"

    send >> wait >> decide() >> [confirmed(), no_answer()]
