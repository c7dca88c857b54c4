"""SmsDeliverySensor on Primotexto: a failing read of the category's figures (the shortcut that
skips per-message requests while nothing moves) never fails the wait. The sensor falls back to
asking about each message, warns once, and succeeds once the messages are delivered, in poke,
reschedule and deferrable mode (``dag.test()`` runs the trigger inline)."""

from __future__ import annotations

import importlib

import pytest

from tests.helpers.delivery import delivered_after_requests
from tests.sensors.test_delivery_sensor_dag import RESCHEDULE

DAGS = importlib.import_module("tests.dags.delivery_figures")
WARNING = "Could not read the delivery figures of the messages' categories"
#: The figures read fails at once (unknown category: Primotexto code 16, HTTP 404), or from the
#: second read on (a 5xx: in deferrable mode, the sensor's first poll reads them, the trigger fails).
FAULTS = {
    "not-found": ({"kind": "vendor_error", "code": 16}, "SmsNotFoundError"),
    "server-error-later": ({"kind": "server_error", "after": 1}, "SmsServerError"),
}


def warnings_given(caplog: pytest.LogCaptureFixture, logs: str) -> int:
    """How many times the sensor warned: its log records where Airflow logs through the standard
    library (3.0, where another test's handler may print each record a second time), else its
    lines in the output (3.3 logs through structlog only)."""
    return sum(WARNING in record.getMessage() for record in caplog.records) or logs.count(WARNING)


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("mode", ["poke", RESCHEDULE, "deferrable"])
def test_the_wait_succeeds_on_per_message_requests(airflow_db, emulator, capsys, caplog, mode, fault):
    rule, error = FAULTS[fault]
    emulator.configure(delivery_delay=3600)  # pending until the test delivers them
    emulator.add_fault(**rule, vendor="primotexto", path="/v2/messages/stats")

    # Delivered once every message was asked about twice: the fallback lasted beyond one poll,
    # however slowly or quickly the machine runs the polls.
    with delivered_after_requests(emulator, "primotexto", "/v2/messages/status", 2 * len(DAGS.RECIPIENTS)):
        dag_run = getattr(DAGS, f"delivery_figures_{mode}").test()

    states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    assert states == {"send": "success", "wait": "success"}
    output = capsys.readouterr()
    logs = output.out + output.err
    assert warnings_given(caplog, logs) == 1, warnings_given(caplog, logs)
    assert f"{WARNING} ({error}); asking about each message instead for the rest of this wait" in logs
    stats = emulator.requests(vendor="primotexto", path="/v2/messages/stats")
    status_calls = emulator.requests(vendor="primotexto", path="/v2/messages/status")
    assert {r["status"] for r in status_calls} == {200}
    assert len(status_calls) > len(DAGS.RECIPIENTS)  # asked about each message, more than once
    failed = [r["seq"] for r in stats if r["status"] != 200]
    assert failed, stats
    later = [r["seq"] for r in status_calls if r["seq"] > failed[0]]
    # one failed read (with the hook's own retries of a 5xx), then per-message requests only
    assert later
    assert max(r["seq"] for r in stats) < min(later)
    assert "612340101" not in logs.split(WARNING)[1].splitlines()[0]  # the warning holds no number
