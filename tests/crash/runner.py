"""The crash test's task processes: ``python runner.py serve DAG_FILE`` (a fork server).

Starting Airflow costs seconds of CPU per process (imports, the in-process execution API and its
versioned routes), so one *server* process does it once, then forks a fresh process per command
read on stdin (one line each; the reply, one line, goes to the original stdout):

``first LOG CONN_ID`` -> ``PID``
    runs the DAG's first try with ``dag.test()`` (the task runs in that very process, with
    Airflow's in-process execution API, on the SQLite metadata DB of ``AIRFLOW_HOME``); the test
    SIGKILLs it mid-send.
``retry LOG OUT`` -> ``PID``
    runs the next try of the killed task instance in the same DAG run, as the scheduler does after
    a worker died, then writes the outcome (tries, XComs) as JSON to ``OUT``:

    1. ``TaskInstance.handle_failure()`` (what ``SchedulerJobRunner.process_executor_events`` calls
       once the executor reports the dead task failed): try 1 goes to ``task_instance_history``, the
       task instance becomes ``up_for_retry``;
    2. ``DagRun.update_state()`` finds it schedulable (no retry delay) and ``DagRun.schedule_tis()``
       makes it ``scheduled`` with ``try_number`` + 1;
    3. ``airflow.sdk.definitions.dag._run_task()`` (what ``dag.test()`` runs per task instance) sets
       it ``queued`` and runs it through ``run_task_in_process``.
``wait PID`` -> exit status (negative: killed by that signal)

The retry journal lives in ``task_state_store`` rows keyed by (dag run, task id, map index), so
try 2 reads what try 1 wrote. The server never opens the DB itself: the test swaps the DB file
between scenarios.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import sys
import traceback
from pathlib import Path


def load_dag(dag_file: str):
    spec = importlib.util.spec_from_file_location(Path(dag_file).stem, dag_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def warm_up() -> None:
    """Import what the children run and build the execution API's routes (no thread, no DB)."""
    import airflow.models.taskinstancehistory
    import airflow.models.xcom
    import airflow.sdk.definitions.dag
    import airflow.sdk.execution_time.task_runner  # noqa: F401
    import httpx  # noqa: F401
    from airflow.sdk.execution_time.supervisor import in_process_api_server

    for dagbag in ("airflow.dag_processing.dagbag", "airflow.models.dagbag"):  # 3.1+, 3.0
        if importlib.util.find_spec(dagbag):
            importlib.import_module(dagbag)
            break
    app = in_process_api_server().app
    if not getattr(app, "_cadwyn_initialized", True):
        app._cadwyn_initialize()  # otherwise done by the first request: seconds of CPU
    if app.middleware_stack is None:
        app.middleware_stack = app.build_middleware_stack()


def first(module, conn_id: str) -> None:
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


def retry(module, out: str) -> None:
    from airflow.models.dagrun import DagRun
    from airflow.serialization import serialized_objects
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    dag, task_id = module.dag, module.TASK_ID
    # DagSerialization since Airflow 3.1; SerializedDAG on 3.0
    serializer = getattr(serialized_objects, "DagSerialization", None) or serialized_objects.SerializedDAG
    scheduler_dag = serializer.deserialize_dag(serializer.serialize_dag(dag))
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
            run_task(ti, dag.task_dict[task_id])
            session.expire_all()
            dag_run.update_state(session=session)
            session.commit()
        outcome = {
            "expected": module.expected(),
            "killed": killed,
            "tries": _tries(session, dag_run, task_id),
            "results": _xcom(session, dag_run, task_id, "return_value"),
            "skipped": _xcom(session, dag_run, task_id, "skipped"),
            "failed": _xcom(session, dag_run, task_id, "failed"),
        }
    Path(out).write_text(json.dumps(outcome))


def run_task(ti, task) -> None:
    """Run ``ti`` as ``dag.test()`` does: Airflow 3.1+ hands ``_run_task`` the task, 3.0 sets ``ti.task``."""
    from airflow.sdk.definitions.dag import _run_task

    if "task" in inspect.signature(_run_task).parameters:
        _run_task(ti=ti, task=task)
    else:
        ti.task = task
        _run_task(ti=ti)


def fork(log: str, run, *args) -> int:
    """Run ``run(*args)`` in a forked process writing to ``log``; return its pid."""
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(0)
        run(*args)
        status = 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def serve(dag_file: str) -> None:
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # from now on stdout (Airflow's logs included) goes where stderr goes
    module = load_dag(dag_file)
    warm_up()
    print("ready", file=replies)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "first":
            print(fork(args[0], first, module, args[1]), file=replies)
        elif command == "retry":
            print(fork(args[0], retry, module, args[1]), file=replies)
        elif command == "wait":
            _, status = os.waitpid(int(args[0]), 0)
            print(os.waitstatus_to_exitcode(status), file=replies)
        else:
            print(f"unknown command {command!r}", file=replies)


if __name__ == "__main__":
    serve(*sys.argv[2:]) if sys.argv[1] == "serve" else sys.exit(f"usage: {sys.argv[0]} serve DAG_FILE")
