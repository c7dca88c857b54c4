"""Page the on-call phone by SMS when a DAG fails.

Two idioms, both with :func:`~airflow_provider_sms.notifications.sms.send_sms_notification`:

* DAG level: ``on_failure_callback`` on the DAG sends the default message (DAG, run, state, last
  task; at most two SMS) when a run fails;
* task level: ``on_failure_callback`` on one critical task, with a templated message.

One run pages the on-call phone once (``once_per_run=True``, the default): when ``load`` fails,
its callback (on the worker) sends; the DAG's callback (in the dag-processor) finds that this run
already paged the number and sends nothing. A run that fails elsewhere gets the DAG's SMS.

``recipients``, ``message`` and ``sms_conn_id`` are templates rendered with the callback's context.
The ``load`` task fails on purpose while the ``fail`` param is true, so a test run shows the alert.
Try it with the emulator: ``airflow dags test example_sms_failure_alert``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param, task

from airflow_provider_sms.notifications.sms import send_sms_notification

with DAG(
    dag_id="example_sms_failure_alert",
    description="SMS the on-call phone when the pipeline fails",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "sms_conn_id": Param("smspartner_default", type="string"),
        # A fiction-range number (06 39 98 xx xx): replace with the on-call phone.
        "on_call": Param("+33639980110", type="string"),
        "fail": Param(True, type="boolean"),
    },
    on_failure_callback=send_sms_notification(
        sms_conn_id="{{ params.sms_conn_id }}",
        recipients="{{ params.on_call }}",
    ),
    tags=["sms", "example"],
) as dag:

    @task
    def extract() -> int:
        return 42

    @task(
        retries=0,
        on_failure_callback=send_sms_notification(
            sms_conn_id="{{ params.sms_conn_id }}",
            recipients="{{ params.on_call }}",
            message="{{ dag.dag_id }}: load failed (try {{ ti.try_number }}). Logs: Airflow UI, run {{ run_id }}",
        ),
    )
    def load(rows: int, params=None) -> None:
        if params["fail"]:
            raise RuntimeError(f"could not load {rows} rows")

    load(extract())
