"""End-to-end DAGs for SmsDeliverySensor, one per sensor mode, run by tests/sensors/test_delivery_dag_*.py.

Each DAG sends three small batches with SmsSendOperator (to the emulator's test numbers) and waits
with four sensors fed ``send.output``, so one ``dag.test()`` run exercises every outcome:

* ``wait_ok``: every message delivered -> success, statuses in XCom;
* ``wait_bounced``: one ``NUMBER_BOUNCED`` -> fails without retry even with ``retries=2``;
* ``wait_timeout``: one ``NUMBER_NEVER_FINAL`` -> ``AirflowSensorTimeout``, no retry;
* ``wait_soft``: same, with ``soft_fail=True`` -> skipped.

``params.sms_conn_id`` picks the gateway.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG

from airflow_provider_sms.emulator import NUMBER_BOUNCED, NUMBER_NEVER_FINAL
from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor

POKE_INTERVAL = 0.2
SHORT_TIMEOUT = 1.5
LONG_TIMEOUT = 30
RECIPIENTS = {
    "ok": ["+33612340001", "+33612340002", "+33612340001"],
    "bounced": ["+33612340003", NUMBER_BOUNCED],
    "never": ["+33612340004", NUMBER_NEVER_FINAL],
}
MODES = {
    "poke": {"mode": "poke", "deferrable": False},
    "reschedule": {"mode": "reschedule", "deferrable": False},
    "deferrable": {"deferrable": True},
}


def build(mode: str) -> DAG:
    """One DAG per sensor mode."""
    sensor_mode = MODES[mode]
    with DAG(
        f"delivery_e2e_{mode}",
        schedule=None,
        catchup=False,
        params={"sms_conn_id": "emu_primotexto"},
        default_args={"retry_delay": timedelta(seconds=0)},
        tags=["sms-provider-tests"],
    ) as dag:
        conn = "{{ params.sms_conn_id }}"
        sent = {
            name: SmsSendOperator(
                task_id=f"send_{name}", sms_conn_id=conn, recipients=numbers, message="Votre code: 1234"
            ).output
            for name, numbers in RECIPIENTS.items()
        }
        common = {"sms_conn_id": conn, "poke_interval": POKE_INTERVAL, **sensor_mode}
        SmsDeliverySensor(task_id="wait_ok", messages=sent["ok"], timeout=LONG_TIMEOUT, **common)
        SmsDeliverySensor(
            task_id="wait_bounced", messages=sent["bounced"], timeout=LONG_TIMEOUT, retries=2, **common
        )
        SmsDeliverySensor(
            task_id="wait_timeout", messages=sent["never"], timeout=SHORT_TIMEOUT, retries=2, **common
        )
        SmsDeliverySensor(
            task_id="wait_soft", messages=sent["never"], timeout=SHORT_TIMEOUT, soft_fail=True, **common
        )
    return dag


delivery_e2e_poke = build("poke")
delivery_e2e_reschedule = build("reschedule")
delivery_e2e_deferrable = build("deferrable")
