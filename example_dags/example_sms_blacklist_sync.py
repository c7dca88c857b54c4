"""Nightly STOP-list sync between a CRM and the SMS gateway, then an export for the warehouse.

1. ``crm_changes`` stands for your CRM query: who unsubscribed and who opted back in since the last
   run (here it reads the run's params, so the DAG runs as-is against the emulator).
2. ``add_unsubscribers`` / ``remove_resubscribed`` apply the changes. Both are idempotent: a number
   already listed (or already gone) is reported as ``unchanged``, so re-runs and retries are safe.
3. ``export_stop_list`` writes the gateway's whole list to CSV, locally or to any
   ``ObjectStoragePath`` URL (``s3://aws_conn@bucket/sms/stop.csv``), for the CRM or warehouse.

Try it with the emulator: ``sms-gateway-emulator`` and a ``smspartner_default`` connection pointing
at it (``docs/emulator.md``), then ``airflow dags test example_sms_blacklist_sync``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param, task

from airflow_provider_sms.operators.blacklist import (
    SmsBlacklistAddOperator,
    SmsBlacklistExportOperator,
    SmsBlacklistRemoveOperator,
)

with DAG(
    dag_id="example_sms_blacklist_sync",
    description="Sync STOP opt-outs from the CRM to the SMS gateway and export the list",
    schedule="30 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Paris"),
    catchup=False,
    max_active_runs=1,
    render_template_as_native_obj=True,
    params={
        "sms_conn_id": Param("smspartner_default", type="string"),
        # Numbers of the French fiction range (06 39 98 xx xx): they can never reach a real person.
        "unsubscribed": Param(["+33639980101", "06 39 98 01 02"], type="array"),
        "resubscribed": Param(["+33639980103"], type="array"),
        "export_path": Param("/tmp/sms_stop_list.csv", type="string"),
    },
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=5)},
    tags=["sms", "example"],
) as dag:

    @task(show_return_value_in_logs=False)  # phone numbers: XCom only, never the task log
    def crm_changes(params=None) -> dict[str, list[str]]:
        """Replace with your CRM query (numbers in any common format; they are normalised)."""
        return {"unsubscribed": params["unsubscribed"], "resubscribed": params["resubscribed"]}

    changes = crm_changes()
    add = SmsBlacklistAddOperator(
        task_id="add_unsubscribers",
        sms_conn_id="{{ params.sms_conn_id }}",
        recipients=changes["unsubscribed"],
        list_type="unsubscribers",
    )
    remove = SmsBlacklistRemoveOperator(
        task_id="remove_resubscribed",
        sms_conn_id="{{ params.sms_conn_id }}",
        recipients=changes["resubscribed"],
        list_type="unsubscribers",
    )
    export = SmsBlacklistExportOperator(
        task_id="export_stop_list",
        sms_conn_id="{{ params.sms_conn_id }}",
        list_type="unsubscribers",
        output_path="{{ params.export_path }}",
    )
    [add, remove] >> export
