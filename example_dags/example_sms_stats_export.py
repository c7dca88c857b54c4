"""Daily export of the SMS account's credits and counters: a CSV time series plus the latest JSON.

Each run appends one row to the CSV (the header is written once, when the file is new), so the
file is a time series any warehouse can load; the JSON file always holds the latest figures. On
SMS Partner, ``include_subaccounts=True`` adds every sub-account's balance (all pages).

Paths may be local or any ``ObjectStoragePath`` URL (``s3://aws_conn@bucket/sms/stats.csv``).
Try it with the emulator: ``airflow dags test example_sms_stats_export``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param

from airflow_provider_sms.operators.stats import SmsAccountStatsOperator

with DAG(
    dag_id="example_sms_stats_export",
    description="Append the SMS account's credits to a CSV time series",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "sms_conn_id": Param("smspartner_default", type="string"),
        "output_dir": Param("/tmp/sms_stats", type="string"),
    },
    default_args={"retries": 3, "retry_delay": pendulum.duration(minutes=10)},
    tags=["sms", "example"],
) as dag:
    time_series = SmsAccountStatsOperator(
        task_id="append_stats_row",
        sms_conn_id="{{ params.sms_conn_id }}",
        output_path="{{ params.output_dir }}/account_stats.csv",
    )
    latest = SmsAccountStatsOperator(
        task_id="write_latest_stats",
        sms_conn_id="{{ params.sms_conn_id }}",
        output_path="{{ params.output_dir }}/account_stats_latest.json",
    )
    time_series >> latest
