"""SmsDeliverySensor end to end with ``dag.test()``: both gateways, poke / reschedule / deferrable.

One run of tests/dags/delivery_e2e.py covers all delivered, one bounced (fails, no retry), one never
final (timeout, no retry) and the same with ``soft_fail`` (skipped). In deferrable mode the
in-process triggerer of ``dag.test()`` runs SmsDeliveryTrigger for real; it has no trigger timeout of
its own, so the timeout there is the trigger's ``deadline`` (the triggerer's own timeout path is
tested in test_delivery_sensor.py).
"""

from __future__ import annotations

import pytest

from airflow_provider_sms.version_compat import get_base_airflow_version_tuple
from tests.sensors._delivery_e2e import assert_outcomes, run_dag

#: Before Airflow 3.1.4, dag.test() hands a reschedule-mode sensor its first poke's date as a string
#: (apache/airflow#58777), so the base sensor's timeout check raises TypeError on the second poke.
RESCHEDULE = pytest.param(
    "reschedule",
    marks=pytest.mark.skipif(
        get_base_airflow_version_tuple() < (3, 1, 4),
        reason="dag.test() breaks reschedule-mode sensors before Airflow 3.1.4 (apache/airflow#58777)",
    ),
)


@pytest.mark.parametrize("mode", ["poke", RESCHEDULE, "deferrable"])
def test_every_outcome(airflow_db, emulator, vendor, conn_id, mode):
    tis, dr = run_dag(mode, conn_id)
    assert_outcomes(tis, dr)
    assert {tis[t][0] for t in ("send_ok", "send_bounced", "send_never")} == {"success"}
    status_calls = emulator.requests(vendor=vendor, path="status")
    assert status_calls
    assert all(r["status"] == 200 for r in status_calls)
