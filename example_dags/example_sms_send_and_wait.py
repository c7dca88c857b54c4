"""Send an SMS to many numbers in mapped chunks, wait in the triggerer until every one is final, report.

* ``send`` is mapped over chunks of recipients (``.partial().expand()``): each mapped task returns
  its list of ``SendResult`` dicts;
* ``wait_for_delivery`` takes ``send.output`` as is (the list of lists is flattened), defers to the
  triggerer, and fails without Airflow retries if any SMS bounced, ended in error or hit a STOP;
* ``report`` runs either way (``trigger_rule="all_done"``): the sensor leaves the final statuses in
  its XCom on failure too, so the report can count them and hand the numbers to clean from the CRM
  to ``clean_crm`` (through XCom, never through the logs: the report shows them masked). Then it
  fails when any SMS did not arrive, so the run ends red when what it demonstrates went wrong.

Runs unchanged on Primotexto or SMS Partner: the connection's type picks the gateway. Against the
local emulator (``sms-gateway-emulator``), the 06 39 98 00 0x numbers end bounced, in error, or
never final::

    airflow dags test example_sms_send_and_wait -c '{"sms_conn_id": "smspartner_default"}'
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.common.compat.sdk import AirflowFailException
from airflow.sdk import DAG, Param, task

from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.rules.numbers import mask_number
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor

with DAG(
    dag_id="example_sms_send_and_wait",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "sms_conn_id": Param("primotexto_default", type="string"),
        "recipients": Param(["+33639980020", "+33639980021", "+33639980022"], type="array"),
        "chunk_size": Param(500, type="integer", minimum=1),
    },
    tags=["example", "sms"],
) as dag:

    @task(show_return_value_in_logs=False)  # phone numbers: XCom only, never the task log
    def chunks(params: dict | None = None) -> list[list[str]]:
        """Split the recipients into chunks, one mapped send task each."""
        assert params is not None
        numbers, size = params["recipients"], params["chunk_size"]
        return [numbers[i : i + size] for i in range(0, len(numbers), size)]

    send = SmsSendOperator.partial(
        task_id="send",
        sms_conn_id="{{ params.sms_conn_id }}",
        message="Votre rendez-vous est confirmé pour demain 10h. Répondez STOP pour ne plus recevoir.",
        retries=2,
    ).expand(recipients=chunks())

    wait = SmsDeliverySensor(
        task_id="wait_for_delivery",
        sms_conn_id="{{ params.sms_conn_id }}",
        messages=send.output,
        failure_states=("error", "bounced", "unsubscribed"),
        deferrable=True,
        poke_interval=timedelta(seconds=30),
        timeout=timedelta(hours=2),
    )

    @task(trigger_rule="all_done", show_return_value_in_logs=False)
    def report(statuses: list[dict] | None) -> dict:
        """Count final states; hand the numbers that did not get the SMS (E.164) to the CRM step."""
        statuses = statuses or []
        counts: dict[str, int] = {}
        for status in statuses:
            counts[status["state"]] = counts.get(status["state"], 0) + 1
        undelivered = [s["recipient"] for s in statuses if s["state"] != "delivered"]
        print(f"delivery report: {counts}; not delivered: {[mask_number(n) for n in undelivered]}")
        return {"counts": counts, "undelivered": undelivered}

    @task(trigger_rule="all_done")
    def clean_crm(summary: dict) -> int:
        """Flag the undelivered numbers in the CRM (here: count them), then end red if any."""
        undelivered = summary["undelivered"]
        if not summary["counts"] or undelivered:
            raise AirflowFailException(f"{len(undelivered)} SMS not delivered: {summary['counts']}")
        return 0

    clean_crm(report(wait.output))
