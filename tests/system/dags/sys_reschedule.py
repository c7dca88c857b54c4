"""System test: send, then wait for delivery with the sensor in reschedule mode (slot freed between pokes).

The sensor has retries: Airflow's scheduler can fail a reschedule-mode task when the executor's
"success" for one poke is processed after the next poke was queued (apache/airflow#71172, open in
3.2 and 3.3); a retry keeps the sensor's memory (task_state_store survives tries)."""

from __future__ import annotations

from datetime import datetime, timedelta

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
        poke_interval=3,
        timeout=180,
        retries=2,
        retry_delay=timedelta(seconds=1),
    )
