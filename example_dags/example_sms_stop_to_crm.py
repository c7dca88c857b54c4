"""Event-driven: every STOP a customer sends becomes an opt-out in the CRM.

An ``AssetWatcher`` runs :class:`SmsInboundTrigger` in the triggerer; each new STOP on the
gateway's STOP list is an asset event, and each asset event runs this DAG once. The event carries
the message id and the masked number only (the triggerer logs it); ``record_opt_out`` reads the
full number through the hook and appends it to a CSV file standing in for the CRM (path from the
``SMS_CRM_OPT_OUT_FILE`` environment variable, default ``/tmp/crm_opt_outs.csv``).

Works on Primotexto and SMS Partner (both keep a STOP list). Needs a running triggerer; on Airflow
3.3+ the watcher's cursor lives in the asset's state store, so a triggerer restart does not repeat
events (``docs/inbound.md``).
"""

from __future__ import annotations

import csv
import os
from datetime import datetime
from pathlib import Path

from airflow.sdk import DAG, Asset, AssetWatcher, task

from airflow_provider_sms.triggers.inbound import SmsInboundTrigger

SMS_CONN_ID = os.environ.get("SMS_INBOUND_CONN_ID", "primotexto_default")
POLL_SECONDS = float(os.environ.get("SMS_INBOUND_POLL_INTERVAL", "60"))

sms_stops = Asset(
    "sms_stops",
    watchers=[
        AssetWatcher(
            name="sms_stop_watcher",
            trigger=SmsInboundTrigger(SMS_CONN_ID, kinds=("stop",), poll_interval=POLL_SECONDS),
        )
    ],
)

with DAG(
    dag_id="example_sms_stop_to_crm",
    schedule=[sms_stops],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["example", "sms"],
) as dag:

    @task(show_return_value_in_logs=False)
    def record_opt_out(triggering_asset_events=None) -> int:
        """Write one CRM opt-out row per STOP event (the full number comes from the gateway)."""
        from airflow_provider_sms.hooks import get_sms_hook

        path = Path(os.environ.get("SMS_CRM_OPT_OUT_FILE", "/tmp/crm_opt_outs.csv"))
        rows = 0
        for event in (triggering_asset_events or {}).get(sms_stops, []):
            # Airflow files a watcher's event as {"from_trigger": True, "payload": <the trigger's event>}.
            extra = event.extra or {}
            info = extra.get("payload") if isinstance(extra.get("payload"), dict) else extra
            hook = get_sms_hook(info.get("sms_conn_id") or SMS_CONN_ID)
            stop = hook.get_inbound(info["message_id"], kind="stop")
            with path.open("a", newline="") as out:
                csv.writer(out).writerow([stop.number, "sms_stop", stop.received_at or ""])
            rows += 1
        return rows

    record_opt_out()
