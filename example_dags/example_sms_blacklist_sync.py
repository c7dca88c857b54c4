"""Nightly STOP-list sync between a CRM and the SMS gateway, both ways, then an export for the warehouse.

1. ``crm_changes`` stands for your CRM query: who unsubscribed and who opted back in since the last
   run, numbers as the CRM stores them (here it reads the run's params, so the DAG runs as-is
   against the emulator).
2. ``add_unsubscribers`` / ``remove_resubscribed`` apply the changes. Both are idempotent: a number
   already listed (or already gone) is reported as ``unchanged``, so re-runs and retries are safe.
   ``on_invalid_recipient="skip"``: a CRM entry that is not a mobile number (a landline, a typo)
   is left out and reported in XCom ``skipped`` (position, masked number, reason) instead of
   failing the night's sync.
3. ``export_stop_list`` writes the gateway's whole list to CSV, locally or to any
   ``ObjectStoragePath`` URL (``s3://aws_conn@bucket/sms/stop.csv``), for the CRM or warehouse.
4. ``stops_for_the_crm`` reads the export and, with the public helpers of
   :mod:`airflow_provider_sms.rules.numbers` (the operators' own rules), normalises the CRM's
   numbers to match them: the gateway's STOPs the CRM does not know yet (people who answered STOP
   to an SMS) go back to the CRM (here: the task's return value), and the CRM entries no gateway
   would take are counted by reason, never quoted.

Try it with the emulator: ``sms-gateway-emulator`` and a ``smspartner_default`` connection pointing
at it (``docs/emulator.md``), then ``airflow dags test example_sms_blacklist_sync``.
"""

from __future__ import annotations

import csv
from collections import Counter

import pendulum
from airflow.sdk import DAG, Param, task

from airflow_provider_sms.operators.blacklist import (
    SmsBlacklistAddOperator,
    SmsBlacklistExportOperator,
    SmsBlacklistRemoveOperator,
)
from airflow_provider_sms.rules.numbers import is_valid_number, normalize_number, number_problem

with DAG(
    dag_id="example_sms_blacklist_sync",
    description="Sync STOP opt-outs between the CRM and the SMS gateway and export the list",
    schedule="30 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Paris"),
    catchup=False,
    max_active_runs=1,
    render_template_as_native_obj=True,
    params={
        "sms_conn_id": Param("smspartner_default", type="string"),
        # Numbers of the French fiction range (06 39 98 xx xx): they can never reach a real person.
        # The CRM's own formats; "01 44 55 66 77" is a landline: skipped and reported, not fatal.
        "unsubscribed": Param(["+33639980101", "06 39 98 01 02", "01 44 55 66 77"], type="array"),
        "resubscribed": Param(["+33639980103"], type="array"),
        "export_path": Param("/tmp/sms_stop_list.csv", type="string"),
    },
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=5)},
    tags=["sms", "example"],
) as dag:

    @task(show_return_value_in_logs=False)  # phone numbers: XCom only, never the task log
    def crm_changes(params=None) -> dict[str, list[str]]:
        """Replace with your CRM query (numbers in any common format; the operators normalise them)."""
        return {"unsubscribed": params["unsubscribed"], "resubscribed": params["resubscribed"]}

    changes = crm_changes()
    add = SmsBlacklistAddOperator(
        task_id="add_unsubscribers",
        sms_conn_id="{{ params.sms_conn_id }}",
        recipients=changes["unsubscribed"],
        list_type="unsubscribers",
        on_invalid_recipient="skip",
    )
    remove = SmsBlacklistRemoveOperator(
        task_id="remove_resubscribed",
        sms_conn_id="{{ params.sms_conn_id }}",
        recipients=changes["resubscribed"],
        list_type="unsubscribers",
        on_invalid_recipient="skip",
    )
    export = SmsBlacklistExportOperator(
        task_id="export_stop_list",
        sms_conn_id="{{ params.sms_conn_id }}",
        list_type="unsubscribers",
        output_path="{{ params.export_path }}",
    )

    @task(show_return_value_in_logs=False)
    def stops_for_the_crm(crm: dict[str, list[str]], export: dict) -> dict:
        """The gateway's STOPs the CRM does not know (to write back to it), and the CRM's unusable
        entries counted by reason. The export's rows are already E.164 (a local path here; read
        an object-storage export with ``airflow.sdk.ObjectStoragePath``)."""
        with open(export["output_path"], newline="") as f:
            stopped = {row["recipient"] for row in csv.DictReader(f)}
        known = {normalize_number(raw) for raw in crm["unsubscribed"] if is_valid_number(raw)}
        unusable = Counter(number_problem(raw) for raw in crm["unsubscribed"] if not is_valid_number(raw))
        print(f"{len(stopped - known)} STOP(s) to write to the CRM; unusable CRM entries: {dict(unusable)}")
        return {"new_stops": sorted(stopped - known), "unusable": dict(unusable)}

    [add, remove] >> export
    stops_for_the_crm(changes, export.output)
