"""How fast the SMS task-instance view answers one page of a 100,000-row send.

A throwaway SQLite Airflow home; ``dag.test()`` runs a two-task DAG whose ``send`` task pushes XComs
shaped like ``SmsSendOperator``'s (``return_value``: 99,000 accepted ``SendResult`` dicts with key and
position; ``skipped`` 500, ``failed`` 400, ``unconfirmed`` 100) and whose ``wait`` task returns one
delivery status per accepted row (its operator is then recorded as ``SmsDeliverySensor`` in the
metadata, so the view joins the states as it does for a real sensor). Requests then go through
Airflow's own api app (``create_app("core")``, simple auth manager, the auth check included) with
Starlette's TestClient: the first page (cold: the XComs are read and parsed), pages further on,
filtered pages and the DAG-run view. Target: every page within 1 s.

Run: ``PYTHONPATH=$PWD .venv/bin/python benchmarks/ui_page.py [--rows 100000]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

TARGET_SECONDS = 1.0

DAG_SOURCE = textwrap.dedent(
    """
    from datetime import datetime

    from airflow.sdk import DAG, task

    ROWS = int(__import__("os").environ["SMS_BENCH_ROWS"])

    def number(i):
        return f"+336{10_000_000 + i:08d}"

    with DAG(dag_id="ui_bench", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as dag:

        @task(task_id="send")
        def send(ti=None):
            bad = ROWS // 100
            accepted = [
                {"message_id": str(1_000_000 + i), "recipient": number(i), "credits_used": 1.0,
                 "segments": 1, "vendor": "primotexto", "category": None, "key": f"acct-{i}", "position": i}
                for i in range(ROWS - bad)
            ]
            extra = range(ROWS - bad, ROWS)
            ti.xcom_push(key="skipped", value=[
                {"recipient": number(i), "key": f"acct-{i}", "position": i, "reason": "invalid: landline"}
                for i in extra[: bad // 2]])
            ti.xcom_push(key="failed", value=[
                {"recipient": number(i), "key": f"acct-{i}", "position": i, "reason": "rejected",
                 "error": {"error": "SmsInvalidRequestError", "message": "bad", "http_status": 400, "code": 90}}
                for i in extra[bad // 2 : bad // 2 + bad * 2 // 5]])
            ti.xcom_push(key="unconfirmed", value=[
                {"recipient": number(i), "key": f"acct-{i}", "position": i, "reason": "no reply"}
                for i in extra[bad // 2 + bad * 2 // 5 :]])
            return accepted

        @task(task_id="wait")
        def wait(sent):
            states = ("delivered",) * 8 + ("pending", "bounced")
            return [
                {"message_id": s["message_id"], "recipient": s["recipient"], "state": states[i % 10],
                 "vendor_state": states[i % 10], "updated_at": "2026-12-03T12:00:00+00:00",
                 "key": s["key"], "position": s["position"]}
                for i, s in enumerate(sent)
            ]

        wait(send())
    """
)


def prepare(rows: int) -> tuple[str, str]:
    """Migrate a throwaway Airflow home and run the DAG once; returns its dag id and run id."""
    home = Path(tempfile.mkdtemp(prefix="sms-bench-ui-"))
    (home / "dags").mkdir()
    (home / "dags" / "ui_bench.py").write_text(DAG_SOURCE)
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "SMS_BENCH_ROWS": str(rows),
        }
    )
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, stdout=subprocess.DEVNULL)
    sys.path.insert(0, str(home / "dags"))
    from ui_bench import dag  # type: ignore[import-not-found]

    started = time.perf_counter()
    run = dag.test()
    print(f"dag.test() with {rows:,} rows: {time.perf_counter() - started:.1f} s", flush=True)

    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import update

    with create_session() as session:  # the wait task stands for the delivery sensor
        session.execute(
            update(TaskInstance)
            .where(TaskInstance.dag_id == run.dag_id, TaskInstance.task_id == "wait")
            .values(operator="SmsDeliverySensor")
        )
    return run.dag_id, run.run_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per warm page")
    args = parser.parse_args(argv)
    dag_id, run_id = prepare(args.rows)

    from urllib.parse import quote

    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    client = TestClient(create_app("core"))
    # The app's first request pays its own start (auth manager, database engine, lazy imports):
    # made on a run without SMS tasks, before the timed pages.
    client.get(f"/sms/ui/dags/{dag_id}/runs/warm-up").raise_for_status()
    base = f"/sms/ui/dags/{dag_id}/runs/{quote(run_id, safe='')}"
    last = -(-args.rows // 50)
    cases = [
        ("send, page 1 (cold: XComs read and parsed)", f"{base}/tasks/send", {}),
        ("send, page 1", f"{base}/tasks/send", {}),
        (f"send, page {last // 2:,}", f"{base}/tasks/send", {"page": last // 2}),
        (f"send, page {last:,} (last)", f"{base}/tasks/send", {"page": last}),
        ("send, outcome=failed", f"{base}/tasks/send", {"outcome": "failed"}),
        ("send, state=bounced, page 100", f"{base}/tasks/send", {"state": "bounced", "page": 100}),
        ("send, search '****99'", f"{base}/tasks/send", {"q": "****99"}),
        ("wait (sensor), page 1 (cold)", f"{base}/tasks/wait", {}),
        ("DAG-run view", base, {}),
    ]
    worst = 0.0
    print(f"\n{'page':<48} {'median':>9} {'max':>9}")
    for label, path, params in cases:
        times = []
        for _ in range(1 if "cold" in label else args.repeat):
            started = time.perf_counter()
            reply = client.get(path, params=params)
            times.append(time.perf_counter() - started)
            if reply.status_code != 200:
                raise RuntimeError(f"{label}: HTTP {reply.status_code} {reply.text[:200]}")
        worst = max(worst, *times)
        print(f"{label:<48} {statistics.median(times) * 1000:7.0f} ms {max(times) * 1000:7.0f} ms")
    print(f"load average over the last minute: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    verdict = "within" if worst <= TARGET_SECONDS else "OVER"
    print(
        f"\nslowest page: {worst * 1000:.0f} ms ({verdict} the {TARGET_SECONDS:.0f} s target), {args.rows:,} rows"
    )
    return 0 if worst <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
