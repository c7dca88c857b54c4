"""Shared by the delivery-sensor ``dag.test()`` tests: run a tests/dags/delivery_e2e.py DAG, read back
task states, try numbers and XComs."""

from __future__ import annotations

import importlib

from airflow.models.xcom import XComModel
from airflow.utils.session import create_session

from airflow_provider_sms.emulator import NUMBER_BOUNCED, NUMBER_NEVER_FINAL

DAGS = importlib.import_module("tests.dags.delivery_e2e")
SENSORS = ("wait_ok", "wait_bounced", "wait_timeout", "wait_soft")


def run_dag(mode: str, conn_id: str):
    """``dag.test()`` the DAG for ``mode`` against ``conn_id``; return ``{task_id: (state, try_number)}``
    and the run id."""
    dag = getattr(DAGS, f"delivery_e2e_{mode}")
    dr = dag.test(run_conf={"sms_conn_id": conn_id})
    tis = {ti.task_id: (str(ti.state), ti.try_number) for ti in dr.get_task_instances()}
    return tis, dr


def xcom(dr, task_id: str, key: str = "return_value"):
    with create_session() as session:
        row = session.scalars(
            XComModel.get_many(run_id=dr.run_id, dag_ids=dr.dag_id, task_ids=task_id, key=key)
        ).first()
        return None if row is None else XComModel.deserialize_value(row)


def assert_outcomes(tis, dr, storm: bool = False) -> None:
    """The four sensors ended as a user expects, each in its first try."""
    assert {t: tis[t] for t in SENSORS} == {
        "wait_ok": ("success", 1),
        "wait_bounced": ("failed", 1),  # retries=2, yet no second try
        "wait_timeout": ("failed", 1),  # retries=2, AirflowSensorTimeout is not retried
        "wait_soft": ("skipped", 1),
    }
    ok = xcom(dr, "wait_ok")
    assert [s["recipient"] for s in ok] == ["+33612340001", "+33612340002"]
    assert {s["state"] for s in ok} == {"delivered"}
    bounced = {s["recipient"]: s["state"] for s in xcom(dr, "wait_bounced")}
    assert bounced["+33612340003"] == "delivered"
    assert bounced[NUMBER_BOUNCED] in ("bounced", "error")  # SMS Partner reports "Not delivered"
    for task_id in ("wait_timeout", "wait_soft"):  # statuses as last seen, pushed on timeout too
        last_seen = {s["recipient"]: s["state"] for s in xcom(dr, task_id)}
        assert last_seen[NUMBER_NEVER_FINAL] == "pending"
        # a storm may have refused every poll after the delivery: then it is still "pending"
        assert last_seen["+33612340004"] in (("delivered", "pending") if storm else ("delivered",))
