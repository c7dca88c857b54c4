"""A send and a reschedule-mode SmsDeliverySensor, run by tests/sensors/test_delivery_memory.py.

``params``: ``sms_conn_id`` (the gateway) and ``count`` (how many numbers to send to).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG

from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor

with DAG(
    "delivery_memory",
    schedule=None,
    catchup=False,
    params={"sms_conn_id": "emu_primotexto", "count": 2},
    tags=["sms-provider-tests"],
) as dag:
    send = SmsSendOperator(
        task_id="send",
        sms_conn_id="{{ params.sms_conn_id }}",
        recipients="{% for i in range(params.count) %}+336123402{{ '%02d' % i }},{% endfor %}",
        message="Memo",
    )
    SmsDeliverySensor(
        task_id="wait",
        sms_conn_id="{{ params.sms_conn_id }}",
        messages=send.output,
        mode="reschedule",
        deferrable=False,
        poke_interval=0.2,
        timeout=60,
        retry_delay=timedelta(seconds=0),
    )
