"""SmsReplySensor: the appointment-confirmation example under dag.test(), the filter, the refusal on
a gateway without replies."""

from __future__ import annotations

import importlib.util
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.sensors.reply import SmsReplySensor

_PATH = Path(__file__).resolve().parents[2] / "example_dags" / "example_sms_appointment_confirmation.py"
_SPEC = importlib.util.spec_from_file_location("example_sms_appointment_confirmation", _PATH)
_MODULE = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_MODULE)
EXAMPLE = _MODULE.dag
CUSTOMER = "+33639980030"


def reply_after_send(emulator, text):
    """Inject ``text`` from the customer once the reminder was sent (a thread: dag.test() blocks)."""

    def run():
        deadline = time.time() + 20
        while time.time() < deadline and not emulator.messages("primotexto"):
            time.sleep(0.05)
        time.sleep(0.3)
        emulator.inject_reply("primotexto", CUSTOMER, text)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.fixture(params=["deferrable", "poke"])
def example(request, monkeypatch):
    wait = EXAMPLE.task_dict["wait_for_oui"]
    monkeypatch.setattr(wait, "poke_interval", 0.2)
    monkeypatch.setattr(wait, "timeout", 3.0)
    monkeypatch.setattr(wait, "deferrable", request.param == "deferrable")
    return EXAMPLE


def states(dr):
    return {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}


def test_oui_confirms(airflow_db, emulator, example):
    thread = reply_after_send(emulator, "  Oui, merci")
    dr = example.test(run_conf={"sms_conn_id": "emu_primotexto", "customer": CUSTOMER})
    thread.join()
    assert states(dr) == {
        "send_reminder": "success",
        "wait_for_oui": "success",
        "decide": "success",
        "confirmed": "success",
        "no_answer": "skipped",
    }


def test_no_answer(airflow_db, emulator, example):
    thread = reply_after_send(emulator, "Non, je ne peux pas")  # does not match the pattern
    dr = example.test(run_conf={"sms_conn_id": "emu_primotexto", "customer": CUSTOMER})
    thread.join()
    assert states(dr) == {
        "send_reminder": "success",
        "wait_for_oui": "skipped",  # soft_fail at its timeout
        "decide": "success",
        "confirmed": "skipped",
        "no_answer": "success",
    }


def test_refuses_to_start_on_a_gateway_without_replies(emulator):
    sensor = SmsReplySensor(task_id="w", sms_conn_id="emu_smspartner", numbers=CUSTOMER, pattern="oui")
    with pytest.raises(SmsValidationError, match="does not let clients read replies"):
        sensor.execute({})
    assert emulator.requests(vendor="smspartner") == []


def test_poke_applies_numbers_pattern_and_since(emulator):
    emulator.inject_reply("primotexto", CUSTOMER, "OUI")  # before `since`: ignored
    since = datetime.now(timezone.utc) + timedelta(seconds=1)
    time.sleep(1.1)
    emulator.inject_reply("primotexto", "+33639980039", "oui")  # another number
    emulator.inject_reply("primotexto", CUSTOMER, "peut-être")  # no match
    sensor = SmsReplySensor(
        task_id="w",
        sms_conn_id="emu_primotexto",
        numbers="06 39 98 00 30",
        pattern=r"(?i)^\s*oui\b",
        since=since,
    )
    assert sensor.poke({}).is_done is False
    emulator.inject_reply("primotexto", CUSTOMER, "Oui !")
    done = sensor.poke({})
    assert done.is_done is True
    assert [(r["number"], r["text"]) for r in done.xcom_value] == [(CUSTOMER, "Oui !")]


def test_bad_arguments_are_reported_together(emulator):
    sensor = SmsReplySensor(
        task_id="w", sms_conn_id="emu_primotexto", numbers=["abc"], pattern="(", since="x"
    )
    with pytest.raises(SmsValidationError) as info:
        sensor.execute({})
    assert len(info.value.problems) == 3
