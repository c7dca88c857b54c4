"""One mapped ``HttpOperator`` task per SMS through ``dag.test()``: the cost of the naive DAG.

50 Primotexto sends, one mapped task instance each (``HttpOperator.partial(...).expand(data=...)``),
run by ``dag.test()`` against the emulator in its own process (50 ms per request). The figure is
the cost per message of Airflow's per-task machinery, to set beside ``SmsSendOperator``'s (one task,
all numbers). Runs in a subprocess with its own throwaway Airflow home (``airflow db migrate``
first, not timed). Needs ``apache-airflow-providers-http`` (the ``test`` extra).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ProcessEmulator

MESSAGES = 50
QUICK_MESSAGES = 10
LATENCY_MS = 50
HERE = Path(__file__).resolve()


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


def _worker(path: str) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_http_dag", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    started = time.perf_counter()
    run = module.dag.test()
    seconds = time.perf_counter() - started
    states = sorted({str(ti.state) for ti in run.get_task_instances()})
    print(json.dumps({"seconds": seconds, "state": str(run.state), "task_states": states}))


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Run the mapped DAG once in a subprocess; one row."""
    count = QUICK_MESSAGES if quick else MESSAGES
    from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY

    home = Path(tempfile.mkdtemp(prefix="sms-bench-http-"))
    (home / "dags").mkdir()
    dag_file = home / "dags" / "bench_http_dag.py"
    dag_file.write_text(DAG_FILE)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "SMS_BENCH_HTTP_COUNT": str(count),
        "SMS_BENCH_HTTP_KEY": PRIMOTEXTO_API_KEY,
    }
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=300,
    )
    with ProcessEmulator(LATENCY_MS, delivery_delay=600) as emulator:
        emulator.fresh()
        env["AIRFLOW_CONN_BENCH_HTTP"] = json.dumps({"conn_type": "http", "host": emulator.url})
        done = subprocess.run(
            [sys.executable, str(HERE), "--worker", str(dag_file)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode:
            raise RuntimeError(f"the dag.test() worker failed: {done.stderr[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        accepted = emulator.accepted()
    seconds = result["seconds"]
    return [
        {
            "benchmark": "send",
            "variant": "mapped HttpOperator, one task per SMS, dag.test() (Primotexto)",
            "items": count,
            "requests": accepted,
            "seconds": round(seconds, 3),
            "per_second": round(count / seconds, 1),
            "notes": f"{accepted} accepted; {seconds / count * 1000:.0f} ms per message; run {result['state']}, tasks {'/'.join(result['task_states'])}",
        }
    ]


if __name__ == "__main__":
    if "--worker" in sys.argv:
        _worker(sys.argv[sys.argv.index("--worker") + 1])
    else:
        from common import setup_airflow_env

        setup_airflow_env()
        for item in run(quick="--quick" in sys.argv):
            print(item)
