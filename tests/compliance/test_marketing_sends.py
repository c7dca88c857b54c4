"""Marketing hours over real HTTP to the emulator, on both gateways, through the hook, the operator
and the notifier: the clock is pinned with time-machine (the in-process emulator sees the same
time), and the schedule is checked on the wire."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.notifications.sms import SmsNotifier
from airflow_provider_sms.operators.send import SmsSendOperator
from tests.operators.test_send_operator import run

PARIS = ZoneInfo("Europe/Paris")

A, B, C = "+33612345678", "+33698765432", "+33611223344"

#: A part of each gateway's send path (Primotexto: either pool, notification or marketing).
SEND_PATH_PARTS = {"primotexto": "/messages/send", "smspartner": "/v1/send"}


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def at(moment: datetime):
    return time_machine.travel(moment, tick=True)


def sends(emulator, vendor: str) -> list[dict]:
    return emulator.requests(vendor=vendor, path=SEND_PATH_PARTS[vendor])


def wire_schedule(request: dict, vendor: str):
    """The schedule a send request carried, as the gateway reads it (None: send now)."""
    body = request["body"]
    if vendor == "primotexto":
        return body.get("date")
    if "scheduledDeliveryDate" not in body:
        return None
    return (body["scheduledDeliveryDate"], body["time"], body["minute"])


def expected_on_wire(moment: datetime, vendor: str):
    if vendor == "primotexto":
        return int(moment.timestamp() * 1000)
    local = moment.astimezone(PARIS)
    return (local.strftime("%d/%m/%Y"), local.hour, local.minute)


def operator(conn_id: str, recipients, **kwargs) -> SmsSendOperator:
    return SmsSendOperator(
        task_id="promo", sms_conn_id=conn_id, recipients=recipients, message="Soldes STOP 36111", **kwargs
    )


def test_hook_marketing_on_a_sunday_goes_out_monday_8(emulator, vendor, conn_id):
    with at(paris(2027, 3, 7, 10, 0)):
        get_sms_hook(conn_id).send_sms(A, "Soldes STOP 36111", marketing=True)
    [request] = sends(emulator, vendor)
    assert wire_schedule(request, vendor) == expected_on_wire(paris(2027, 3, 8, 8, 0), vendor)
    assert request["body"].get("isStopSms") == 1 or "/marketing/" in request["path"]


def test_operator_marketing_on_14_july_goes_out_the_next_morning(emulator, vendor, conn_id):
    with at(paris(2027, 7, 14, 11, 0)):
        result, ti = run(operator(conn_id, [A, B, C], marketing=True))
    assert not isinstance(result, Exception), result
    assert len(result) == 3
    requests = sends(emulator, vendor)
    assert len(requests) == (3 if vendor == "primotexto" else 1)
    wanted = expected_on_wire(paris(2027, 7, 15, 8, 0), vendor)
    assert {str(wire_schedule(r, vendor)) for r in requests} == {str(wanted)}


def test_an_explicit_send_at_on_a_holiday_is_moved_on_the_wire(emulator, vendor, conn_id):
    with at(paris(2027, 7, 12, 10, 0)):
        result, _ = run(operator(conn_id, [A], marketing=True, send_at="2027-07-14T09:00:00+02:00"))
    assert not isinstance(result, Exception), result
    [request] = sends(emulator, vendor)
    assert wire_schedule(request, vendor) == expected_on_wire(paris(2027, 7, 15, 8, 0), vendor)


@pytest.mark.parametrize(
    ("moment", "scheduled_for"),
    [
        (paris(2027, 7, 16, 19, 59), None),  # Friday 19:59: still open, sent now
        (paris(2027, 7, 16, 20, 0), paris(2027, 7, 17, 8, 0)),  # Friday 20:00: Saturday 08:00
        (paris(2027, 7, 16, 7, 59), paris(2027, 7, 16, 8, 0)),  # Friday 07:59: the same day at 08:00
        (paris(2027, 7, 17, 20, 30), paris(2027, 7, 19, 8, 0)),  # Saturday night: Monday 08:00
    ],
    ids=["19h59", "20h00", "07h59", "saturday-night"],
)
def test_the_edges_of_the_day(emulator, vendor, conn_id, moment, scheduled_for):
    with at(moment):
        result, _ = run(operator(conn_id, [A], marketing=True))
    assert not isinstance(result, Exception), result
    [request] = sends(emulator, vendor)
    wanted = None if scheduled_for is None else expected_on_wire(scheduled_for, vendor)
    assert wire_schedule(request, vendor) == wanted


def test_fail_makes_no_request_through_any_door(emulator, vendor, conn_id):
    with at(paris(2027, 3, 7, 10, 0)):
        result, ti = run(operator(conn_id, [A, B], marketing=True, outside_marketing_hours="fail"))
        with pytest.raises(SmsValidationError, match="outside the marketing window"):
            get_sms_hook(conn_id).send_sms(A, "Promo", marketing=True, outside_marketing_hours="fail")
        notifier = SmsNotifier(
            sms_conn_id=conn_id, recipients=A, message="Promo", marketing=True, outside_marketing_hours="fail"
        )
        with pytest.raises(SmsValidationError, match="Sunday"):
            notifier.notify({})
    assert isinstance(result, SmsValidationError)
    assert "next opening Monday 2027-03-08 08:00" in str(result)
    assert "612345678" not in str(result)
    assert emulator.requests() == []


def test_allow_sends_now(emulator, vendor, conn_id):
    with at(paris(2027, 3, 7, 10, 0)):
        result, _ = run(operator(conn_id, [A], marketing=True, outside_marketing_hours="allow"))
    assert not isinstance(result, Exception), result
    [request] = sends(emulator, vendor)
    assert wire_schedule(request, vendor) is None


def test_transactional_sends_are_untouched(emulator, vendor, conn_id):
    with at(paris(2027, 3, 7, 10, 0)):
        result, _ = run(operator(conn_id, [A], outside_marketing_hours="fail"))
        get_sms_hook(conn_id).send_sms(B, "Votre code : 1234")
        SmsNotifier(sms_conn_id=conn_id, recipients=C, message="Job failed").notify({})
    assert not isinstance(result, Exception), result
    requests = sends(emulator, vendor)
    assert len(requests) == 3
    assert [wire_schedule(r, vendor) for r in requests] == [None, None, None]
    assert not any(r["body"].get("isStopSms") for r in requests)


def test_notifier_marketing_on_a_holiday_is_scheduled(emulator, vendor, conn_id):
    with at(paris(2026, 12, 25, 9, 0)):
        SmsNotifier(
            sms_conn_id=conn_id, recipients=[A, B], message="Promo STOP 36111", marketing=True
        ).notify({})
    requests = sends(emulator, vendor)
    wanted = expected_on_wire(paris(2026, 12, 26, 8, 0), vendor)
    assert {str(wire_schedule(r, vendor)) for r in requests} == {str(wanted)}
    assert len(emulator.messages()) == 2


def test_a_custom_window(emulator, vendor, conn_id):
    from datetime import time

    from airflow_provider_sms.rules.marketing import MarketingWindow

    late_shop = MarketingWindow(
        open=time(10), close=time(21), days=(0, 1, 2, 3, 4, 5, 6), holiday_country=None
    )
    with at(paris(2027, 3, 7, 9, 0)):  # a Sunday, before 10:00
        result, _ = run(operator(conn_id, [A], marketing=True, marketing_window=late_shop))
    assert not isinstance(result, Exception), result
    [request] = sends(emulator, vendor)
    assert wire_schedule(request, vendor) == expected_on_wire(paris(2027, 3, 7, 10, 0), vendor)


def test_constructor_checks_the_new_options():
    with pytest.raises(SmsValidationError) as info:
        operator("c", [A], outside_marketing_hours="never", marketing_window=object())
    text = str(info.value)
    assert "outside_marketing_hours must be one of 'schedule', 'fail', 'allow', got 'never'" in text
    assert "marketing_window must be a MarketingWindow, got object" in text
    with pytest.raises(SmsValidationError, match="outside_marketing_hours"):
        SmsNotifier(sms_conn_id="c", recipients=A, outside_marketing_hours="nope")
