"""The mapped-task way of personalised SMS, beside one task: ``dag.test()`` against the emulator.

What a user would otherwise write: one mapped ``SmsSendOperator`` task instance per row
(``SmsSendOperator.partial(message=template).expand_kwargs([{"recipients": [row]}, ...])``),
against the same rows sent by one ``SmsSendOperator`` task. Both run under ``dag.test()`` in a
subprocess with its own throwaway Airflow home (``airflow db migrate`` first, not timed), on SMS
Partner in the emulator's own process (50 ms per request). The mapped DAG runs ``MAPPED_ROWS``
instances (1,000 take minutes; Airflow refuses more than ``[core] max_map_length``, 1,024 by
default): the row gives its cost per SMS and the extrapolation to ``ROWS``.
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

ROWS = 1_000
MAPPED_ROWS, QUICK_MAPPED_ROWS = 100, 10
QUICK_ROWS = 100
LATENCY_MS = 50
HERE = Path(__file__).resolve()

DAG_FILE = """
import os
from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_sms.operators.send import SmsSendOperator
from bench_rows import TEMPLATE, make_rows

COUNT = int(os.environ["SMS_BENCH_ROWS"])
ROWS = make_rows(COUNT, 70_000_000)

with DAG("bench_rows_mapped", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as mapped:
    SmsSendOperator.partial(task_id="send", sms_conn_id="bench_smspartner", message=TEMPLATE).expand_kwargs(
        [{"recipients": [row]} for row in ROWS]
    )

with DAG("bench_rows_one_task", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as one_task:
    SmsSendOperator(task_id="send", sms_conn_id="bench_smspartner", recipients=ROWS, message=TEMPLATE)
"""


def _worker(path: str, name: str) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_rows_dag", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    started = time.perf_counter()
    run = getattr(module, name).test()
    seconds = time.perf_counter() - started
    tis = run.get_task_instances()
    states = sorted({str(ti.state) for ti in tis})
    print(json.dumps({"seconds": seconds, "state": str(run.state), "task_states": states, "tis": len(tis)}))


def _dag_test(
    env: dict[str, str], dag_file: Path, name: str, count: int, emulator: ProcessEmulator
) -> dict[str, Any]:
    emulator.fresh()
    done = subprocess.run(
        [sys.executable, str(HERE), "--worker", str(dag_file), name],
        env={**env, "SMS_BENCH_ROWS": str(count)},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode:
        raise RuntimeError(f"the dag.test() worker failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["accepted"] = len(emulator.messages("smspartner"))
    result["requests"] = emulator.request_count()
    return result


def run(quick: bool = False) -> list[dict[str, Any]]:
    """The mapped DAG and the one-task DAG, one after the other; two rows."""
    mapped_count = QUICK_MAPPED_ROWS if quick else MAPPED_ROWS
    count = QUICK_ROWS if quick else ROWS
    home = Path(tempfile.mkdtemp(prefix="sms-bench-rows-"))
    (home / "dags").mkdir()
    dag_file = home / "dags" / "bench_rows_dag.py"
    dag_file.write_text(DAG_FILE)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]),
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
        env["AIRFLOW_CONN_BENCH_SMSPARTNER"] = emulator.connection_json("smspartner")
        mapped = _dag_test(env, dag_file, "mapped", mapped_count, emulator)
        one = _dag_test(env, dag_file, "one_task", count, emulator)
    per_sms = mapped["seconds"] / mapped_count
    # dag.test()'s fixed cost is about the one-task run's: the rest is what each mapped SMS adds
    marginal = max(mapped["seconds"] - one["seconds"], 0.0) / mapped_count
    extrapolated = one["seconds"] + marginal * count
    return [
        {
            "benchmark": "personalised send",
            "variant": "mapped SmsSendOperator, one task per row (.expand_kwargs), dag.test() (SMS Partner)",
            "items": mapped_count,
            "requests": mapped["requests"],
            "seconds": round(mapped["seconds"], 3),
            "per_second": round(mapped_count / mapped["seconds"], 1),
            "notes": (
                f"{mapped['accepted']} accepted; {mapped['tis']} task instances; {per_sms * 1000:.0f} ms per SMS in "
                f"all, {marginal * 1000:.0f} ms each over dag.test()'s fixed cost; {count:,} rows: about "
                f"{extrapolated:.0f} s by extrapolation ({extrapolated / one['seconds']:.0f}x the one task below; "
                f"not run at {count:,}: max_map_length is 1,024); run {mapped['state']}, tasks "
                f"{'/'.join(mapped['task_states'])}"
            ),
        },
        {
            "benchmark": "personalised send",
            "variant": "SmsSendOperator, the same rows in one task, dag.test() (SMS Partner)",
            "items": count,
            "requests": one["requests"],
            "seconds": round(one["seconds"], 3),
            "per_second": round(count / one["seconds"], 1),
            "notes": (
                f"{one['accepted']} accepted; {one['tis']} task instance; {one['seconds'] / count * 1000:.1f} ms per SMS "
                f"(dag.test() overhead included); run {one['state']}, tasks {'/'.join(one['task_states'])}"
            ),
        },
    ]


if __name__ == "__main__":
    if "--worker" in sys.argv:
        at = sys.argv.index("--worker")
        _worker(sys.argv[at + 1], sys.argv[at + 2])
    else:
        from common import setup_airflow_env

        setup_airflow_env()
        for item in run(quick="--quick" in sys.argv):
            print(item)
