"""Test DAG: append the account stats to a CSV time series and write the latest as JSON."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from airflow_provider_sms.operators.stats import SmsAccountStatsOperator

with DAG(
    dag_id="lists_stats_e2e",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"sms_conn_id": "emu_primotexto", "output_dir": "/tmp"},
    default_args={"retries": 0},
) as dag:
    csv_row = SmsAccountStatsOperator(
        task_id="stats_csv",
        sms_conn_id="{{ params.sms_conn_id }}",
        output_path="{{ params.output_dir }}/stats.csv",
    )
    latest_json = SmsAccountStatsOperator(
        task_id="stats_json",
        sms_conn_id="{{ params.sms_conn_id }}",
        output_path="{{ params.output_dir }}/latest.json",
        output_format="json",
    )
    csv_row >> latest_json
