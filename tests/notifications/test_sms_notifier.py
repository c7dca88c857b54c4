"""SmsNotifier against the emulator: sync and async paths, templating, default message, privacy."""

from __future__ import annotations

from importlib.util import find_spec

import airflow.sdk
import pytest
from airflow.sdk import DAG, BaseNotifier

from airflow_provider_sms.exceptions import SmsGatewayError, SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.notifications.sms import SmsNotifier, default_message, send_sms_notification
from airflow_provider_sms.rules.text import count_segments
from airflow_provider_sms.version_compat import AIRFLOW_V_3_1_PLUS
from tests.helpers.gateway_rules import message_problems

A, B, C = "+33612345678", "+33698765432", "+33611223344"
DAG_OBJ = DAG(dag_id="nightly_load", schedule=None)
needs_awaitable_notifier = pytest.mark.skipif(
    not hasattr(BaseNotifier, "__await__"), reason="this Airflow's BaseNotifier is not awaitable (3.1+)"
)


def notify_error(notifier, context, exc_type, caplog) -> BaseException:
    """Call ``notifier`` as Airflow does and return the error it reported: Airflow 3.1+ re-raises
    what ``notify()`` raised; Airflow 3.0's ``BaseNotifier.__call__`` logs it instead."""
    if AIRFLOW_V_3_1_PLUS:
        with pytest.raises(exc_type) as info:
            notifier(context)
        return info.value
    with caplog.at_level("ERROR"):
        notifier(context)
    [error] = [r.exc_info[1] for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], exc_type)]
    return error


def test_alias_and_template_fields():
    assert send_sms_notification is SmsNotifier
    assert issubclass(SmsNotifier, BaseNotifier)
    assert SmsNotifier.template_fields == ("sms_conn_id", "recipients", "message", "sender")
    notifier = SmsNotifier(sms_conn_id="c", recipients=[A])
    assert all(hasattr(notifier, field) for field in SmsNotifier.template_fields)


def test_templated_conn_id_and_message(emulator):
    notifier = send_sms_notification(
        sms_conn_id="{{ params.conn }}",
        recipients="{{ params.to }}",
        message="{{ dag.dag_id }} is late",
        sender="Ops",
    )
    notifier({"dag": DAG_OBJ, "params": {"conn": "emu_smspartner", "to": A}})
    [sms] = emulator.messages()
    assert sms["vendor"] == "smspartner"
    assert sms["text"] == "nightly_load is late"
    assert sms["sender"] == "Ops"


def test_one_instance_re_renders_on_every_call(emulator):
    notifier = SmsNotifier(sms_conn_id="{{ params.conn }}", recipients=A, message="{{ params.word }}")
    notifier({"dag": DAG_OBJ, "params": {"conn": "emu_primotexto", "word": "first"}})
    notifier({"dag": DAG_OBJ, "params": {"conn": "emu_smspartner", "word": "second"}})
    assert [(m["vendor"], m["text"]) for m in emulator.messages()] == [
        ("primotexto", "first"),
        ("smspartner", "second"),
    ]


def test_several_recipients_batched_where_the_gateway_allows(conn_id, vendor, emulator):
    SmsNotifier(sms_conn_id=conn_id, recipients=f"{A}, {B}\n{C}", message="Disk full")({"dag": DAG_OBJ})
    assert sorted(m["recipient"] for m in emulator.messages()) == sorted([A, B, C])
    sends = [r for r in emulator.requests(vendor=vendor) if r["method"] == "POST"]
    assert len(sends) == (3 if vendor == "primotexto" else 1)


def test_invalid_recipient_refused_before_any_request(conn_id, emulator, caplog):
    notifier = SmsNotifier(sms_conn_id=conn_id, recipients=[A, "0145678901"], message="x")
    error = notify_error(notifier, {"dag": DAG_OBJ}, SmsValidationError, caplog)
    assert "0145678901" not in str(error)
    assert emulator.requests() == []


def test_blacklisted_recipient_reported_masked_after_the_others(conn_id, emulator, caplog):
    get_sms_hook(conn_id).add_to_blacklist(B)
    notifier = SmsNotifier(sms_conn_id=conn_id, recipients=[A, B, C], message="Alert")
    error = notify_error(notifier, {"dag": DAG_OBJ}, SmsGatewayError, caplog)
    assert sorted(m["recipient"] for m in emulator.messages()) == sorted([A, C])
    assert "1 of 3" in str(error)
    assert "+3369****32" in str(error)
    assert B not in str(error)


def test_message_body_is_not_logged(conn_id, emulator, caplog, capsys):
    secret = "Your code is 829301"
    with caplog.at_level("DEBUG"):
        SmsNotifier(sms_conn_id=conn_id, recipients=A, message=secret)({"dag": DAG_OBJ})
    logged = caplog.text + "".join(capsys.readouterr())
    assert "SMS notification: sent to 1 of 1" in logged
    assert secret not in logged
    assert "829301" not in logged
    assert A not in logged


@needs_awaitable_notifier
@pytest.mark.asyncio
async def test_async_notify_with_a_context_passed_at_init(conn_id, vendor, emulator):
    context = {"dag_run": {"dag_id": "etl", "dag_run_id": "scheduled__2026-01-01"}, "params": {"c": conn_id}}
    notifier = SmsNotifier(sms_conn_id="{{ params.c }}", recipients=[A], context=context)
    await notifier  # how the triggerer runs a notifier (deadline alerts)
    [sms] = emulator.messages()
    assert sms["vendor"] == vendor
    assert sms["text"] == "Airflow: task ? done\nDAG: etl\nRun: scheduled__2026-01-01"
    assert "hook" not in notifier.__dict__  # the async path did not build the sync-looked-up hook


@pytest.mark.asyncio
async def test_async_notify_direct(emulator):
    notifier = SmsNotifier(sms_conn_id="emu_primotexto", recipients=[A, B], message="Backfill done")
    await notifier.async_notify({"dag": DAG_OBJ})
    assert sorted(m["recipient"] for m in emulator.messages()) == [A, B]


def test_default_message_for_a_deadline_alert():
    text = default_message(
        {
            "dag_run": {"dag_id": "etl", "dag_run_id": "manual__1", "state": "running"},
            "deadline": {"id": "x", "deadline_time": "2026-01-01T00:00:00Z"},
        }
    )
    assert text == "Airflow: DAG etl missed its deadline\nRun: manual__1\nRun state: running"


def test_default_message_stays_within_two_segments_and_primotexto_characters():
    class TI:
        task_id = "t" * 250
        dag_id = "d" * 250
        run_id = "r€[é]ç" * 40
        state = "failed"
        try_number = 3

    text = default_message({"ti": TI(), "exception": ValueError("boom")})
    assert count_segments(text).segments == 2
    assert count_segments(text).encoding == "GSM-7"
    assert message_problems(text, "primotexto") == []
    assert "€" not in text
    assert "[" not in text
    assert text.startswith("Airflow: task ttt")


@pytest.mark.skipif(
    not (hasattr(airflow.sdk, "AsyncCallback") and find_spec("airflow.triggers.callback")),
    reason="this Airflow has no airflow.sdk.AsyncCallback nor CallbackTrigger (3.2+)",
)
@pytest.mark.asyncio
async def test_runs_as_a_deadline_alert_in_the_triggerer(emulator):
    """Airflow's own CallbackTrigger (what runs an ``AsyncCallback``) drives the notifier."""
    from airflow.sdk import AsyncCallback
    from airflow.triggers.callback import CallbackTrigger

    callback = AsyncCallback(SmsNotifier, kwargs={"sms_conn_id": "emu_smspartner", "recipients": [A]})
    context = {
        "dag_run": {"dag_id": "etl", "dag_run_id": "scheduled__2026-01-01", "state": "running"},
        "deadline": {"id": "d1", "deadline_time": "2026-01-01T06:00:00Z"},
    }
    trigger = CallbackTrigger(callback.path, {**callback.kwargs, "context": context})
    events = [event.payload async for event in trigger.run()]
    assert events[-1]["state"] == "success", events
    [sms] = emulator.messages()
    assert (
        sms["text"] == "Airflow: DAG etl missed its deadline\nRun: scheduled__2026-01-01\nRun state: running"
    )
