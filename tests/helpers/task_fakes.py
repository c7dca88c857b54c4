"""What an operator's ``execute`` needs outside a task, and what a test reads back from a DAG run.

Shared by several test modules (``tests.helpers.task_fakes``).
"""

from __future__ import annotations

import json


class FakeTI:
    """A task instance that records what the operator pushes to XCom (as JSON would give it back)."""

    dag_id, run_id, task_id, map_index = "d", "r", "send", -1

    def __init__(self, try_number: int = 1) -> None:
        self.try_number = try_number
        self.xcom: dict[str, object] = {}

    @property
    def xcoms(self) -> dict[str, object]:
        """The same record, under the name the sensor tests use."""
        return self.xcom

    def xcom_push(self, key: str, value: object) -> None:
        self.xcom[key] = json.loads(json.dumps(value))  # XCom values must be JSON


class MemoryStore:
    """The ``task_state_store`` accessor's ``get`` / ``set``, kept in memory (``sets`` counts writes)."""

    def __init__(self) -> None:
        self.data: dict[str, object] = {}
        self.sets = 0

    def get(self, key, default=None):
        return self.data.get(key, default)

    def set(self, key, value, *, retention=None):
        self.sets += 1
        self.data[key] = json.loads(json.dumps(value))


def xcom_value(dag_run, task_id: str, key: str = "return_value"):
    """The one XCom value ``task_id`` pushed under ``key`` in ``dag_run``."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        query = XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_run.dag_id, task_ids=task_id, key=key)
        return XComModel.deserialize_value(session.scalars(query).one())


def tries(dag_run, task_id: str = "send") -> list[tuple[int, str]]:
    """``(try_number, state)`` of every try of ``task_id``, oldest first."""
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = select(TaskInstanceHistory.try_number, TaskInstanceHistory.state).where(
            TaskInstanceHistory.dag_id == dag_run.dag_id,
            TaskInstanceHistory.run_id == dag_run.run_id,
            TaskInstanceHistory.task_id == task_id,
        )
        history = [(n, str(s)) for n, s in session.execute(query)]
    final = next(ti for ti in dag_run.get_task_instances() if ti.task_id == task_id)
    return sorted(history) + [(final.try_number, str(final.state))]
