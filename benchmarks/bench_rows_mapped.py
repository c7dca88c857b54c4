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

import os
import sys
from pathlib import Path
from typing import Any

from common import ProcessEmulator, dag_test_home, run_dag_test, table_row

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


def _dag_test(
    env: dict[str, str], dag_file: Path, name: str, count: int, emulator: ProcessEmulator
) -> dict[str, Any]:
    emulator.fresh()
    result = run_dag_test(dag_file, name, {**env, "SMS_BENCH_ROWS": str(count)}, 1800)
    result["accepted"] = len(emulator.messages("smspartner"))
    result["requests"] = emulator.request_count()
    return result


def run(quick: bool = False) -> list[dict[str, Any]]:
    """The mapped DAG and the one-task DAG, one after the other; two rows."""
    mapped_count = QUICK_MAPPED_ROWS if quick else MAPPED_ROWS
    count = QUICK_ROWS if quick else ROWS
    env, dag_file = dag_test_home(
        "sms-bench-rows-",
        "bench_rows_dag.py",
        DAG_FILE,
        PYTHONPATH=os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]),
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
        table_row(
            "personalised send",
            "mapped SmsSendOperator, one task per row (.expand_kwargs), dag.test() (SMS Partner)",
            mapped_count,
            mapped["seconds"],
            mapped["requests"],
            (
                f"{mapped['accepted']} accepted; {mapped['tis']} task instances; {per_sms * 1000:.0f} ms per SMS in "
                f"all, {marginal * 1000:.0f} ms each over dag.test()'s fixed cost; {count:,} rows: about "
                f"{extrapolated:.0f} s by extrapolation ({extrapolated / one['seconds']:.0f}x the one task below; "
                f"not run at {count:,}: max_map_length is 1,024); run {mapped['state']}, tasks "
                f"{'/'.join(mapped['task_states'])}"
            ),
        ),
        table_row(
            "personalised send",
            "SmsSendOperator, the same rows in one task, dag.test() (SMS Partner)",
            count,
            one["seconds"],
            one["requests"],
            (
                f"{one['accepted']} accepted; {one['tis']} task instance; {one['seconds'] / count * 1000:.1f} ms per SMS "
                f"(dag.test() overhead included); run {one['state']}, tasks {'/'.join(one['task_states'])}"
            ),
        ),
    ]


if __name__ == "__main__":
    from common import setup_airflow_env

    setup_airflow_env()
    for item in run(quick="--quick" in sys.argv):
        print(item)
