"""Test DAG: templated fields that render to text holding a lone surrogate (``"\\ud800"``).

Such text has no UTF-8 form: Airflow would crash saving it as the task's rendered fields
(``UnicodeEncodeError`` in ``set_rtif``). Every SMS operator and sensor must refuse it first, with
an ``SmsValidationError`` naming the field. The surrogates come from the DAG's params (Airflow
carries them in a DAG's default params; not in XCom nor in a run's conf, which it cannot store
either). Run by ``tests/operators/test_lone_surrogates.py``; one independent task per case.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_sms.notifications.sms import send_sms_notification
from airflow_provider_sms.operators.blacklist import SmsBlacklistAddOperator
from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.operators.stats import SmsAccountStatsOperator
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor
from airflow_provider_sms.sensors.reply import SmsReplySensor

CONN = "emu_primotexto"

with DAG(
    dag_id="lone_surrogates",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "text": "Your code is 4321 \ud800",
        "number": "0612345678\ud800",
        "label": "promo\udc00",
        "alert_to": "+33612345678",
    },
    default_args={"retries": 0},
    tags=["test"],
) as dag:
    SmsSendOperator(
        task_id="send_message",
        sms_conn_id=CONN,
        recipients="+33612345678",
        message="{{ params.text }}",
        # the failing task's callback renders the same text: refused too, nothing sent
        on_failure_callback=send_sms_notification(
            sms_conn_id=CONN, recipients="{{ params.alert_to }}", message="{{ params.text }}"
        ),
    )
    SmsSendOperator(
        task_id="send_numbers",
        sms_conn_id=CONN,
        recipients=["+33612345679", "{{ params.number }}"],
        message="Hello",
    )
    SmsSendOperator(
        task_id="send_category",
        sms_conn_id=CONN,
        recipients="+33612345679",
        message="Hello",
        category="{{ params.label }}",
    )
    SmsSendOperator.partial(task_id="send_mapped", sms_conn_id=CONN, message="{{ params.text }}").expand(
        recipients=[["+33612345671"], ["+33612345672"]]
    )
    SmsBlacklistAddOperator(task_id="blacklist_add", sms_conn_id=CONN, recipients="{{ params.number }}")
    SmsAccountStatsOperator(task_id="stats", sms_conn_id=CONN, output_path="/tmp/{{ params.label }}.csv")
    SmsDeliverySensor(
        task_id="wait_delivery",
        sms_conn_id=CONN,
        messages=[{"message_id": "1", "recipient": "+33612345678"}],
        report_path="/tmp/{{ params.label }}.csv",
        timeout=30,
    )
    SmsReplySensor(task_id="wait_reply", sms_conn_id=CONN, pattern="{{ params.text }}", timeout=30)
