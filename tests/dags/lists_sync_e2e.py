"""Test DAG: add, repeat, export, remove, repeat, export a blacklist; numbers from params / XCom."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_sms.operators.blacklist import (
    SmsBlacklistAddOperator,
    SmsBlacklistExportOperator,
    SmsBlacklistRemoveOperator,
)

with DAG(
    dag_id="lists_sync_e2e",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "sms_conn_id": "emu_primotexto",
        "list_type": "unsubscribers",
        "add": ["+33612345678", "0698765432"],
        "remove": ["+33612345678", "+33611223344"],
        "output_dir": "/tmp",
    },
    default_args={"retries": 0},
) as dag:
    conn = "{{ params.sms_conn_id }}"
    list_type = "{{ params.list_type }}"

    @task
    def crm_unsubscribes(params=None):
        """Stands for a CRM query: its return value reaches the operator through XCom."""
        return params["add"]

    add = SmsBlacklistAddOperator(
        task_id="add", sms_conn_id=conn, recipients=crm_unsubscribes(), list_type=list_type
    )
    add_again = SmsBlacklistAddOperator(
        task_id="add_again", sms_conn_id=conn, recipients="{{ params.add }}", list_type=list_type
    )
    export_csv = SmsBlacklistExportOperator(
        task_id="export_csv",
        sms_conn_id=conn,
        list_type=list_type,
        output_path="{{ params.output_dir }}/{{ params.list_type }}.csv",
    )
    remove = SmsBlacklistRemoveOperator(
        task_id="remove", sms_conn_id=conn, recipients="{{ params.remove }}", list_type=list_type
    )
    remove_again = SmsBlacklistRemoveOperator(
        task_id="remove_again", sms_conn_id=conn, recipients="{{ params.remove }}", list_type=list_type
    )
    export_json = SmsBlacklistExportOperator(
        task_id="export_json",
        sms_conn_id=conn,
        list_type=list_type,
        output_path="file://{{ params.output_dir }}/{{ params.list_type }}.json",
    )
    add >> add_again >> export_csv >> remove >> remove_again >> export_json
