"""on_deadline="return": at its timeout the wait succeeds with every status, the stuck ones marked."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from airflow.providers.common.compat.sdk import AirflowSensorTimeout

from airflow_provider_sms.emulator import NUMBER_BOUNCED, NUMBER_NEVER_FINAL
from airflow_provider_sms.exceptions import SmsDeliveryFailedError, SmsValidationError
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor
from tests.helpers.delivery import context, defer, run_deferrable, send, wait_until_final
from tests.helpers.task_fakes import FakeTI, MemoryStore

OK_1, OK_2 = "+33612340021", "+33612340022"


def sensor(conn_id, messages, **kwargs):
    kwargs.setdefault("poke_interval", 0.1)
    kwargs.setdefault("deferrable", False)
    return SmsDeliverySensor(
        task_id="wait", sms_conn_id=conn_id, messages=messages, on_deadline="return", **kwargs
    )


def seen(statuses):
    return [(s["recipient"], s["state"], s["final"]) for s in statuses]


EXPECTED = [(OK_1, "delivered", True), (NUMBER_NEVER_FINAL, "pending", False), (OK_2, "delivered", True)]


def test_poke_mode_returns_at_the_deadline(emulator, conn_id):
    messages = send(conn_id, [OK_1, NUMBER_NEVER_FINAL, OK_2])
    result = sensor(conn_id, messages, timeout=0.8).execute(context())
    assert seen(result) == EXPECTED


class RescheduledTI(FakeTI):
    """A task instance whose first reschedule was an hour ago: this poke is past the deadline."""

    def get_first_reschedule_date(self, context):
        return datetime.now(timezone.utc) - timedelta(hours=1)


def test_reschedule_mode_returns_at_the_deadline(emulator, conn_id):
    messages = send(conn_id, [OK_1, NUMBER_NEVER_FINAL, OK_2])
    wait_until_final(emulator, 2)
    wait = sensor(conn_id, messages, timeout=60, mode="reschedule")
    result = wait.execute({"ti": RescheduledTI(), "task_state_store": MemoryStore()})
    assert seen(result) == EXPECTED


def test_deferrable_mode_returns_at_the_deadline(emulator, conn_id):
    messages = send(conn_id, [OK_1, NUMBER_NEVER_FINAL, OK_2])
    result = run_deferrable(sensor(conn_id, messages, deferrable=True, timeout=0.8), context())
    assert seen(result) == EXPECTED


def test_the_triggerer_timeout_leaves_time_for_the_trigger_deadline(emulator, conn_id):
    messages = send(conn_id, [NUMBER_NEVER_FINAL])
    deferred = defer(sensor(conn_id, messages, deferrable=True, timeout=30), context())
    assert deferred.timeout == timedelta(seconds=90)


def test_a_bounce_among_the_final_ones_still_fails(emulator, conn_id):
    messages = send(conn_id, [NUMBER_BOUNCED, NUMBER_NEVER_FINAL])
    ctx = context()
    with pytest.raises(SmsDeliveryFailedError, match="1 of 2 SMS ended in a failure state"):
        sensor(conn_id, messages, timeout=0.8).execute(ctx)
    assert [s["final"] for s in ctx["ti"].xcoms["return_value"]] == [True, False]


def test_fail_stays_the_default(emulator, conn_id):
    messages = send(conn_id, [NUMBER_NEVER_FINAL])
    wait = SmsDeliverySensor(
        task_id="w", sms_conn_id=conn_id, messages=messages, poke_interval=0.1, timeout=0.3
    )
    wait.deferrable = False
    with pytest.raises(AirflowSensorTimeout):
        wait.execute(context())


def test_unknown_on_deadline_is_refused_when_built():
    with pytest.raises(SmsValidationError, match="on_deadline must be one of 'fail', 'return'"):
        SmsDeliverySensor(task_id="w", sms_conn_id="c", messages=[], on_deadline="skip")
