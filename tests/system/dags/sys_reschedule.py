"""System test: send, then wait for delivery with the sensor in reschedule mode (slot freed between pokes)."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param

from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor

with DAG(
    dag_id="sys_reschedule",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"sms_conn_id": Param("emu_primotexto", type="string")},
    tags=["test"],
) as dag:
    send = SmsSendOperator(
        task_id="send",
        sms_conn_id="{{ params.sms_conn_id }}",
        recipients=["+33639980020", "+33639980021"],
        message="Reschedule-mode check",
    )
    SmsDeliverySensor(
        task_id="wait",
        sms_conn_id="{{ params.sms_conn_id }}",
        messages=send.output,
        mode="reschedule",
        poke_interval=2,
        timeout=180,
    )
