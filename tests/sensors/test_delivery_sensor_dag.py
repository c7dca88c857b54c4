"""SmsDeliverySensor end to end with ``dag.test()``: both gateways, poke / reschedule / deferrable.

One run of tests/dags/delivery_e2e.py covers all delivered, one bounced (fails, no retry), one never
final (timeout, no retry) and the same with ``soft_fail`` (skipped). In deferrable mode the
in-process triggerer of ``dag.test()`` runs SmsDeliveryTrigger for real; it has no trigger timeout of
its own, so the timeout there is the trigger's ``deadline`` (the triggerer's own timeout path is
tested in test_delivery_sensor.py).
"""

from __future__ import annotations

import pytest
from _delivery_e2e import assert_outcomes, run_dag


@pytest.mark.parametrize("mode", ["poke", "reschedule", "deferrable"])
def test_every_outcome(airflow_db, emulator, vendor, conn_id, mode):
    tis, dr = run_dag(mode, conn_id)
    assert_outcomes(tis, dr)
    assert {tis[t][0] for t in ("send_ok", "send_bounced", "send_never")} == {"success"}
    status_calls = emulator.requests(vendor=vendor, path="status")
    assert status_calls
    assert all(r["status"] == 200 for r in status_calls)
