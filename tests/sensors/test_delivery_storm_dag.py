"""A 429 storm on the status endpoints in the middle of the run: every sensor still ends right."""

from __future__ import annotations

import pytest

from tests.sensors._delivery_e2e import assert_outcomes, run_dag

STORM = 25


@pytest.mark.parametrize("mode", ["poke", "deferrable"])
def test_rate_limit_storm(airflow_db, emulator, vendor, conn_id, mode):
    emulator.add_fault("rate_limit", vendor=vendor, path="status", after=2, count=STORM, retry_after=0.05)
    tis, dr = run_dag(mode, conn_id)
    assert_outcomes(tis, dr, storm=True)
    limited = [r for r in emulator.requests(vendor=vendor, path="status") if r["status"] == 429]
    assert len(limited) == STORM  # the storm really happened, and was outlived
