"""SmsDeliverySensor against the emulator: poke path, deferrable path, timeouts, errors."""

from __future__ import annotations

import copy
import json
import time
from datetime import timedelta

import pytest
from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
)
from airflow.sdk import DAG, task
from airflow.sdk.bases.operator import TRIGGER_FAIL_REPR, TriggerFailureReason

from airflow_provider_sms.emulator import NUMBER_BOUNCED, NUMBER_NEVER_FINAL
from airflow_provider_sms.exceptions import (
    SmsAuthenticationError,
    SmsDeliveryFailedError,
    SmsValidationError,
)
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor
from airflow_provider_sms.triggers.delivery import SmsDeliveryTrigger
from tests.helpers.delivery import asked, collect, context, defer, key, run_deferrable, send, wait_until_final

OK_1, OK_2 = "+33612340011", "+33612340012"


def sensor(conn_id, messages, **kwargs):
    kwargs.setdefault("poke_interval", 0.1)
    kwargs.setdefault("timeout", 10)
    kwargs.setdefault("deferrable", False)
    return SmsDeliverySensor(task_id="wait", sms_conn_id=conn_id, messages=messages, **kwargs)


# ---------------------------------------------------------------------------------------------- shape
def test_templated_fields_and_xcomarg_dependency():
    assert SmsDeliverySensor.template_fields == ("sms_conn_id", "messages", "report_path")
    with DAG("delivery_shape", schedule=None):

        @task
        def send_task():
            return []

        sent = send_task()
        wait = SmsDeliverySensor(task_id="wait", sms_conn_id="c", messages=sent)
    assert wait.upstream_task_ids == {"send_task"}
    for name in SmsDeliverySensor.template_fields:
        assert hasattr(wait, name)


def test_deferrable_defaults_to_airflow_setting(monkeypatch):
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "True")
    assert SmsDeliverySensor(task_id="a", sms_conn_id="c", messages=[]).deferrable is True
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "False")
    assert SmsDeliverySensor(task_id="b", sms_conn_id="c", messages=[]).deferrable is False
    assert SmsDeliverySensor(task_id="c", sms_conn_id="c", messages=[], deferrable=True).deferrable is True


def test_failure_states_are_checked_when_the_dag_is_parsed():
    with pytest.raises(SmsValidationError, match="'pending'"):
        SmsDeliverySensor(task_id="a", sms_conn_id="c", messages=[], failure_states=["pending"])


# ---------------------------------------------------------------------------------------------- poke
def test_poke_success_returns_the_final_statuses(emulator, conn_id):
    messages = send(conn_id, [OK_1, OK_2])
    result = sensor(conn_id, messages).execute(context())
    assert [(s["recipient"], s["state"]) for s in result] == [(OK_1, "delivered"), (OK_2, "delivered")]
    assert {s["message_id"] for s in result} == {m["message_id"] for m in messages}


def test_poke_asks_only_about_messages_not_final_yet(emulator, vendor, conn_id):
    messages = send(conn_id, [OK_1, NUMBER_NEVER_FINAL])
    wait_until_final(emulator, 1)
    wait = sensor(conn_id, messages)
    ctx = context()
    assert not wait.poke(ctx)
    assert sorted(asked(emulator, vendor)) == sorted(key(vendor, m) for m in messages)
    first = len(emulator.requests(vendor=vendor, path="status"))
    assert not wait.poke(ctx)
    assert asked(emulator, vendor, first) == [key(vendor, messages[1])]


def test_runs_share_no_state_with_the_dag_operator(emulator, conn_id):
    """Airflow executes a shallow copy of the DAG's operator; a run must not leave state behind."""
    original = sensor(conn_id, send(conn_id, [OK_1]))
    first = copy.copy(original)
    assert first.execute(context())[0]["state"] == "delivered"
    assert original._final == {}
    assert "tracked" not in original.__dict__
    emulator.reset()  # same message ids again, now never final
    original.messages = send(conn_id, [NUMBER_NEVER_FINAL])
    second = copy.copy(original)
    second.timeout = 0.3
    with pytest.raises(AirflowSensorTimeout):
        second.execute(context())


def test_poke_failure_pushes_statuses_then_fails_without_retry(emulator, conn_id):
    messages = send(conn_id, [OK_1, NUMBER_BOUNCED])
    ctx = context()
    with pytest.raises(SmsDeliveryFailedError) as info:
        sensor(conn_id, messages).execute(ctx)
    assert isinstance(info.value, AirflowFailException)
    text = str(info.value)
    assert "1 of 2 SMS ended in a failure state" in text
    assert "+3363****01" in text
    assert NUMBER_BOUNCED not in text
    assert OK_1 not in text
    pushed = {s["recipient"]: s["state"] for s in ctx["ti"].xcoms["return_value"]}
    assert pushed[OK_1] == "delivered"
    assert pushed[NUMBER_BOUNCED] in ("bounced", "error")


def test_empty_failure_states_succeed_with_the_bounce_in_xcom(emulator, conn_id):
    messages = send(conn_id, [NUMBER_BOUNCED])
    result = sensor(conn_id, messages, failure_states=()).execute(context())
    assert result[0]["recipient"] == NUMBER_BOUNCED
    assert result[0]["state"] in ("bounced", "error")


def test_soft_fail_skips_a_failed_delivery(emulator, conn_id):
    messages = send(conn_id, [NUMBER_BOUNCED])
    with pytest.raises(AirflowSkipException):
        sensor(conn_id, messages, soft_fail=True).execute(context())


def test_poke_outlives_a_rate_limit(emulator, vendor, conn_id):
    messages = send(conn_id, [OK_1])
    wait_until_final(emulator, 1)
    # more 429s than the hook's own attempts: the first poke gives up, the sensor keeps waiting
    emulator.add_fault("rate_limit", vendor=vendor, path="status", count=4, retry_after=0.01)
    wait = sensor(conn_id, messages)
    assert not wait.poke(context())
    assert wait.poke(context()).xcom_value[0]["state"] == "delivered"


def bad_key_connection(emulator, vendor, monkeypatch):
    """Connection ``emu_badkey``: the emulator with a wrong API key; returns that key."""
    conn = json.loads(emulator.connection_json(vendor))
    conn["password"] = "wrong-" + conn["password"]
    monkeypatch.setenv("AIRFLOW_CONN_EMU_BADKEY", json.dumps(conn))
    return conn["password"]


def test_permanent_gateway_error_fails_the_poke(emulator, vendor, monkeypatch):
    key = bad_key_connection(emulator, vendor, monkeypatch)
    with pytest.raises(SmsAuthenticationError) as info:
        sensor("emu_badkey", [{"message_id": "1", "recipient": OK_1}]).execute(context())
    assert key not in str(info.value)


def test_smspartner_needs_recipients_before_any_request(emulator):
    with pytest.raises(SmsValidationError, match="recipient"):
        sensor("emu_smspartner", ["2270143"]).execute(context())
    with pytest.raises(SmsValidationError, match="recipient"):
        sensor("emu_smspartner", ["2270143"], deferrable=True).execute(context())
    assert emulator.requests(path="status") == []


def test_primotexto_accepts_bare_message_ids(emulator):
    ids = [m["message_id"] for m in send("emu_primotexto", [OK_1, OK_2])]
    result = sensor("emu_primotexto", ids).execute(context())
    assert [(s["message_id"], s["state"]) for s in result] == [(ids[0], "delivered"), (ids[1], "delivered")]


def test_nothing_to_track_succeeds_without_a_request(emulator, conn_id):
    assert sensor(conn_id, []).execute(context()) == []
    assert sensor(conn_id, [], deferrable=True).execute(context()) == []
    assert emulator.requests(path="status") == []


def test_poke_mode_timeout_pushes_the_last_statuses(emulator, conn_id):
    messages = send(conn_id, [OK_1, NUMBER_NEVER_FINAL])
    ctx = context()
    with pytest.raises(AirflowSensorTimeout):
        sensor(conn_id, messages, timeout=0.5).execute(ctx)
    last_seen = [(s["recipient"], s["state"]) for s in ctx["ti"].xcoms["return_value"]]
    assert last_seen == [(OK_1, "delivered"), (NUMBER_NEVER_FINAL, "pending")]
    with pytest.raises(AirflowSkipException):
        sensor(conn_id, messages, timeout=0.3, soft_fail=True).execute(context())


# ---------------------------------------------------------------------------------------------- deferrable
def test_deferrable_hands_known_finals_to_the_trigger(emulator, vendor, conn_id):
    messages = send(conn_id, [OK_1, NUMBER_NEVER_FINAL, OK_2])
    wait_until_final(emulator, 2)
    wait = sensor(conn_id, messages, deferrable=True, timeout=42, poke_interval=0.3)
    deferred = defer(wait, context())
    trigger = deferred.trigger
    assert isinstance(trigger, SmsDeliveryTrigger)
    assert deferred.method_name == "execute_complete"
    assert deferred.timeout == timedelta(seconds=42)
    assert not deferred.kwargs  # everything the resumed task needs travels in the trigger event
    assert [m["recipient"] for m in trigger.messages] == [OK_1, NUMBER_NEVER_FINAL, OK_2]
    assert [(s["recipient"], s["state"]) for s in trigger.final_statuses] == [
        (OK_1, "delivered"),
        (OK_2, "delivered"),
    ]
    assert trigger.poke_interval == 0.3
    assert trigger.deadline is not None
    # the trigger asks only about the message that was not final, and reports all three
    before = len(emulator.requests(vendor=vendor, path="status"))
    trigger.deadline = time.time() + 0.2
    (event,) = collect(trigger)
    assert set(asked(emulator, vendor, before)) == {key(vendor, messages[1])}
    assert [s["state"] for s in event.payload["statuses"]] == ["delivered", "pending", "delivered"]


def test_deferrable_success_through_the_trigger(emulator, conn_id):
    messages = send(conn_id, [OK_1, OK_2])
    result = run_deferrable(sensor(conn_id, messages, deferrable=True), context())
    assert [(s["recipient"], s["state"]) for s in result] == [(OK_1, "delivered"), (OK_2, "delivered")]


def test_deferrable_failure_through_the_trigger(emulator, conn_id):
    messages = send(conn_id, [OK_1, NUMBER_BOUNCED])
    ctx = context()
    with pytest.raises(SmsDeliveryFailedError, match="1 of 2 SMS"):
        run_deferrable(sensor(conn_id, messages, deferrable=True), ctx)
    assert len(ctx["ti"].xcoms["return_value"]) == 2


def test_deferrable_trigger_deadline_is_a_sensor_timeout(emulator, conn_id):
    messages = send(conn_id, [OK_1, NUMBER_NEVER_FINAL])
    ctx = context()
    with pytest.raises(AirflowSensorTimeout, match="1 of 2 SMS still not final"):
        run_deferrable(sensor(conn_id, messages, deferrable=True, timeout=0.6), ctx)
    last_seen = [(s["recipient"], s["state"]) for s in ctx["ti"].xcoms["return_value"]]
    assert last_seen == [(OK_1, "delivered"), (NUMBER_NEVER_FINAL, "pending")]
    with pytest.raises(AirflowSkipException):
        run_deferrable(sensor(conn_id, messages, deferrable=True, timeout=0.6, soft_fail=True), context())


@pytest.mark.parametrize("soft_fail", [False, True])
def test_triggerer_timeout_is_a_sensor_timeout(soft_fail):
    """The triggerer's own timeout (``defer(timeout=...)``) resumes the task with ``__fail__``."""
    wait = sensor("emu_primotexto", [], deferrable=True, soft_fail=soft_fail)
    expected = AirflowSkipException if soft_fail else AirflowSensorTimeout
    with pytest.raises(expected):
        wait.resume_execution(TRIGGER_FAIL_REPR, {"error": TriggerFailureReason.TRIGGER_TIMEOUT}, context())


def test_trigger_error_event_keeps_its_class(emulator, vendor, monkeypatch):
    key = bad_key_connection(emulator, vendor, monkeypatch)
    messages = [{"message_id": "1", "recipient": OK_1}]
    trigger = SmsDeliveryTrigger(sms_conn_id="emu_badkey", messages=messages, poke_interval=0.1)
    (event,) = collect(trigger)
    assert event.payload["status"] == "error"
    assert event.payload["error"] == "SmsAuthenticationError"
    assert key not in json.dumps(event.payload)
    wait = sensor("emu_badkey", messages, deferrable=True)
    with pytest.raises(SmsAuthenticationError, match="stopped in the triggerer"):
        wait.resume_execution("execute_complete", {"event": event.payload}, context())
    soft = sensor("emu_badkey", messages, deferrable=True, soft_fail=True)
    with pytest.raises(AirflowSkipException):
        soft.resume_execution("execute_complete", {"event": event.payload}, context())
