"""Test DAGs: SmsDeliverySensor on Primotexto when reading the category's figures fails.

One DAG per sensor mode: a send to three numbers (the send operator files them under a category of
its own, so the sensor reads that category's figures first), then a sensor waiting for them. Run by
``tests/sensors/test_delivery_figures_fallback.py`` with an emulator fault on ``/v2/messages/stats``.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG

from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor

RECIPIENTS = ["+33612340101", "+33612340102", "+33612340103"]
MODES = {
    "poke": {"mode": "poke", "deferrable": False},
    "reschedule": {"mode": "reschedule", "deferrable": False},
    "deferrable": {"deferrable": True},
}


def build(mode: str) -> DAG:
    with DAG(
        f"delivery_figures_{mode}",
        schedule=None,
        catchup=False,
        default_args={"retries": 0, "retry_delay": timedelta(seconds=0)},
        tags=["sms-provider-tests"],
    ) as dag:
        send = SmsSendOperator(
            task_id="send", sms_conn_id="emu_primotexto", recipients=RECIPIENTS, message="Votre code: 1234"
        )
        SmsDeliverySensor(
            task_id="wait",
            sms_conn_id="emu_primotexto",
            messages=send.output,
            poke_interval=0.2,
            timeout=30,
            **MODES[mode],
        )
    return dag


delivery_figures_poke = build("poke")
delivery_figures_reschedule = build("reschedule")
delivery_figures_deferrable = build("deferrable")
