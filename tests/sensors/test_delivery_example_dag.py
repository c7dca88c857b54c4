"""example_dags/example_sms_send_and_wait.py end to end with ``dag.test()`` on both gateways:
mapped sends, one deferrable sensor fed the mapped output, and the all_done report."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from airflow_provider_sms.emulator import NUMBER_BOUNCED, NUMBER_NEVER_FINAL
from airflow_provider_sms.sending.category import task_category
from tests.sensors._delivery_e2e import xcom

_PATH = Path(__file__).resolve().parents[2] / "example_dags" / "example_sms_send_and_wait.py"
_SPEC = importlib.util.spec_from_file_location("example_dags_example_sms_send_and_wait", _PATH)
_MODULE = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_MODULE)
EXAMPLE = _MODULE.dag
OK = ["+33612340041", "+33612340042", "+33612340043"]


@pytest.fixture
def example(monkeypatch):
    """The example with a test-sized poll interval and timeout (not templated fields)."""
    wait = EXAMPLE.task_dict["wait_for_delivery"]
    monkeypatch.setattr(wait, "poke_interval", 0.2)
    monkeypatch.setattr(wait, "timeout", 3.0)
    return EXAMPLE


def states(dr):
    return {ti.task_id: str(ti.state) for ti in dr.get_task_instances() if ti.task_id != "send"}


@pytest.mark.parametrize(
    ("recipients", "expected"),
    [
        pytest.param(OK, "success", id="all-delivered"),
        pytest.param([*OK, NUMBER_BOUNCED], "failed", id="one-bounced"),
    ],
)
def test_example_send_and_wait(
    airflow_db, emulator, vendor, conn_id, example, recipients, expected, capsys, caplog
):
    caplog.set_level("DEBUG")
    # Airflow itself logs the run's conf (the numbers this test hands the run) at DEBUG on 3.0.
    caplog.set_level("INFO", logger="airflow.sdk.definitions.param")
    dr = example.test(run_conf={"sms_conn_id": conn_id, "recipients": recipients, "chunk_size": 2})
    send_tis = [ti for ti in dr.get_task_instances() if ti.task_id == "send"]
    assert len(send_tis) == 2  # mapped over two chunks
    assert {str(ti.state) for ti in send_tis} == {"success"}
    assert states(dr) == {
        "chunks": "success",
        "wait_for_delivery": expected,
        "report": "success",
        "clean_crm": expected,
    }
    assert str(dr.state) == expected  # red when an SMS did not arrive
    if vendor == "primotexto":  # no category given: both mapped sends share their task's, polled by it
        assert {m["category"] for m in emulator.messages(vendor=vendor)} == {
            task_category(dr.dag_id, dr.run_id, "send")
        }
        assert any(r["path"] == "/v2/messages/stats" for r in emulator.requests(vendor=vendor))
    # The deferrable sensor's run, its trigger events included, logs no full number anywhere.
    logged = capsys.readouterr().out + capsys.readouterr().err + caplog.text
    assert "wait_for_delivery" in logged
    assert not [n for n in recipients if n in logged or n[3:] in logged]
    report = xcom(dr, "report")
    assert sorted(report["undelivered"]) == ([NUMBER_BOUNCED] if expected == "failed" else [])
    assert sum(report["counts"].values()) == len(recipients)


def test_example_timeout_still_reports(airflow_db, emulator, example):
    dr = example.test(run_conf={"sms_conn_id": "emu_primotexto", "recipients": [OK[0], NUMBER_NEVER_FINAL]})
    assert states(dr) == {
        "chunks": "success",
        "wait_for_delivery": "failed",
        "report": "success",
        "clean_crm": "failed",
    }
    assert xcom(dr, "report") == {
        "counts": {"delivered": 1, "pending": 1},
        "undelivered": [NUMBER_NEVER_FINAL],
    }
