"""Child processes of the crash test (``python runner.py first|retry DAG_FILE ...``).

Each one first imports Airflow and builds the in-process execution API, then waits for a line on
stdin, so the test can start the next process while the current one runs. ``first`` runs the DAG's first try with ``dag.test()`` (the task runs in this very process, with
Airflow's in-process execution API, against the SQLite metadata DB of ``AIRFLOW_HOME``); the test
SIGKILLs it mid-send.

``retry`` runs, in a new process, the next try of the killed task instance in the same DAG run,
doing what the scheduler does after a worker died:

1. the heartbeat-timeout path: ``TaskInstance.handle_failure()`` (try 1 -> TaskInstanceHistory,
   state ``up_for_retry``, as ``SchedulerJobRunner.process_executor_events`` does);
2. ``DagRun.update_state()`` finds it schedulable (no retry delay), ``DagRun.schedule_tis()`` makes
   it ``scheduled`` with ``try_number`` + 1;
3. ``airflow.sdk.definitions.dag._run_task()`` (what ``dag.test()`` uses per task instance) sets it
   ``queued`` and runs it through ``run_task_in_process``.

The journal lives in ``task_state_store`` rows keyed by (dag run, task id, map index), so try 2
reads what try 1 wrote. The outcome (tries, XComs) is written as JSON to the file named last.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path


def load_dag(dag_file: str):
    spec = importlib.util.spec_from_file_location(Path(dag_file).stem, dag_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def warm_up_then_wait() -> None:
    """Import Airflow and build the in-process execution API now, then wait for the test's "go"."""
    from airflow.sdk.execution_time.supervisor import in_process_api_server

    _ = in_process_api_server().app
    if not sys.stdin.readline():
        sys.exit("stdin closed before the go")


def first(dag_file: str, conn_id: str) -> None:
    module = load_dag(dag_file)
    warm_up_then_wait()
    dag_run = module.dag.test(run_conf={"sms_conn_id": conn_id})
    print(f"first run ended (not killed in time): {dag_run.state}", flush=True)


def _xcom(session, dag_run, task_id: str, key: str):
    from airflow.models.xcom import XComModel

    query = XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_run.dag_id, task_ids=task_id, key=key)
    row = session.scalars(query).one_or_none()
    return None if row is None else XComModel.deserialize_value(row)


def _tries(session, dag_run, task_id: str) -> list[list]:
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from sqlalchemy import select

    query = select(TaskInstanceHistory.try_number, TaskInstanceHistory.state).where(
        TaskInstanceHistory.dag_id == dag_run.dag_id,
        TaskInstanceHistory.run_id == dag_run.run_id,
        TaskInstanceHistory.task_id == task_id,
    )
    history = sorted([n, str(s)] for n, s in session.execute(query))
    final = dag_run.get_task_instance(task_id, session=session)
    return [*history, [final.try_number, str(final.state)]]


def retry(dag_file: str, out: str) -> None:
    from airflow.models.dagrun import DagRun
    from airflow.sdk.definitions.dag import _run_task
    from airflow.serialization.serialized_objects import DagSerialization
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    module = load_dag(dag_file)
    dag, task_id = module.dag, module.TASK_ID
    scheduler_dag = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
    warm_up_then_wait()
    with create_session() as session:
        dag_run = session.scalars(select(DagRun).where(DagRun.dag_id == dag.dag_id)).one()
        dag_run.dag = scheduler_dag
        ti = dag_run.get_task_instance(task_id, session=session)
        killed = [ti.try_number, str(ti.state)]
        if ti.state == TaskInstanceState.RUNNING:
            ti.task = scheduler_dag.get_task(task_id)
            ti.handle_failure("worker SIGKILLed (crash test): no heartbeat", session=session)
            session.commit()
            schedulable, _ = dag_run.update_state(session=session)
            dag_run.schedule_tis(schedulable, session=session)
            session.commit()
            session.expire_all()
            ti = dag_run.get_task_instance(task_id, session=session)
            if ti.state != TaskInstanceState.SCHEDULED:
                raise RuntimeError(f"the killed task instance was not rescheduled: {ti.state}")
            _run_task(ti=ti, task=dag.task_dict[task_id])
            session.expire_all()
            dag_run.update_state(session=session)
            session.commit()
        outcome = {
            "killed": killed,
            "tries": _tries(session, dag_run, task_id),
            "results": _xcom(session, dag_run, task_id, "return_value"),
            "skipped": _xcom(session, dag_run, task_id, "skipped"),
            "failed": _xcom(session, dag_run, task_id, "failed"),
        }
    Path(out).write_text(json.dumps(outcome))


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    {"first": first, "retry": retry}[mode](*args)
