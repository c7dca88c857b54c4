"""One mapped ``HttpOperator`` task per SMS through ``dag.test()``: the cost of the naive DAG.

50 Primotexto sends, one mapped task instance each (``HttpOperator.partial(...).expand(data=...)``),
run by ``dag.test()`` against the emulator in its own process (50 ms per request). The figure is
the cost per message of Airflow's per-task machinery, to set beside ``SmsSendOperator``'s (one task,
all numbers). Runs in a subprocess with its own throwaway Airflow home (``airflow db migrate``
first, not timed). Needs ``apache-airflow-providers-http`` (the ``test`` extra).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from common import ProcessEmulator, dag_test_home, run_dag_test, table_row

MESSAGES = 50
QUICK_MESSAGES = 10
LATENCY_MS = 50


DAG_FILE = """
import json
import os
from datetime import datetime

from airflow.providers.http.operators.http import HttpOperator
from airflow.sdk import DAG

COUNT = int(os.environ.get("SMS_BENCH_HTTP_COUNT", "50"))
KEY = os.environ.get("SMS_BENCH_HTTP_KEY", "")
BODIES = [json.dumps({"number": f"+336{50_000_000 + i:08d}", "message": "Hello"}) for i in range(COUNT)]

with DAG("bench_http_per_sms", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as dag:
    HttpOperator.partial(
        task_id="send",
        http_conn_id="bench_http",
        endpoint="/v2/notification/messages/send",
        method="POST",
        headers={"X-Primotexto-ApiKey": KEY, "Content-Type": "application/json"},
        log_response=False,
    ).expand(data=BODIES)
"""


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Run the mapped DAG once in a subprocess; one row."""
    count = QUICK_MESSAGES if quick else MESSAGES
    from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY

    env, dag_file = dag_test_home(
        "sms-bench-http-",
        "bench_http_dag.py",
        DAG_FILE,
        SMS_BENCH_HTTP_COUNT=str(count),
        SMS_BENCH_HTTP_KEY=PRIMOTEXTO_API_KEY,
    )
    with ProcessEmulator(LATENCY_MS, delivery_delay=600) as emulator:
        emulator.fresh()
        env["AIRFLOW_CONN_BENCH_HTTP"] = json.dumps({"conn_type": "http", "host": emulator.url})
        result = run_dag_test(dag_file, "dag", env, 600)
        accepted = emulator.accepted()
    seconds = result["seconds"]
    return [
        table_row(
            "send",
            "mapped HttpOperator, one task per SMS, dag.test() (Primotexto)",
            count,
            seconds,
            accepted,
            f"{accepted} accepted; {seconds / count * 1000:.0f} ms per message; run {result['state']}, tasks {'/'.join(result['task_states'])}",
        )
    ]


if __name__ == "__main__":
    from common import setup_airflow_env

    setup_airflow_env()
    for item in run(quick="--quick" in sys.argv):
        print(item)
