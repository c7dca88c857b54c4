"""The gateway's clock, measured from the ``Date`` of its replies: the interval arithmetic alone, and
over HTTP on both transports against an emulator whose clock is set off by minutes."""

from __future__ import annotations

import asyncio
from email.utils import formatdate

import pytest

from airflow_provider_sms.exceptions import SmsNotFoundError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.hooks.gateway_clock import GatewayClock, date_of
from airflow_provider_sms.hooks.transport import Call

READS = {
    "primotexto": Call("GET", "/v2/account/stats", operation="read the account stats"),
    "smspartner": Call("GET", "/v1/me", operation="read the account credits"),
}


def test_one_reply_bounds_the_offset_by_its_round_trip_and_the_second_of_date():
    clock = GatewayClock()
    assert clock.reading() is None
    # the gateway is 600 s ahead; the request left at 1000.2, the reply came at 1000.4
    clock.observe(formatdate(1600.0, usegmt=True), left=1000.2, arrived=1000.4)
    reading = clock.reading()
    assert reading is not None
    assert reading.offset - reading.uncertainty == pytest.approx(1600 - 1000.4)  # stamped at arrival
    assert reading.offset + reading.uncertainty == pytest.approx(1601 - 1000.2)  # or at 1600.999
    assert reading.uncertainty == pytest.approx(0.6)
    assert reading.to_local(1600.5) == pytest.approx(1600.5 - reading.offset)


def test_replies_narrow_the_estimate_and_a_moved_clock_starts_it_again():
    clock = GatewayClock()
    clock.observe(formatdate(1600.0, usegmt=True), left=1000.0, arrived=1000.9)  # offset in [599.1, 601.0]
    clock.observe(formatdate(1601.0, usegmt=True), left=1000.95, arrived=1001.0)  # [600.0, 601.05]
    reading = clock.reading()
    assert reading is not None
    assert (reading.offset, reading.uncertainty, reading.replies) == pytest.approx((600.5, 0.5, 2))
    clock.observe(formatdate(2000.0, usegmt=True), left=1002.0, arrived=1002.1)  # the clock jumped
    reading = clock.reading()
    assert reading is not None
    assert reading.replies == 1
    assert reading.offset == pytest.approx((2000 - 1002.1 + 2001 - 1002.0) / 2)


@pytest.mark.parametrize("header", [None, "", "not a date", "Mon, 32 Foo 2026 99:00:00 GMT"])
def test_a_missing_or_unreadable_date_is_ignored(header):
    clock = GatewayClock()
    clock.observe(header, left=1.0, arrived=2.0)
    assert clock.reading() is None
    assert date_of(header) is None


@pytest.mark.parametrize("offset", [-600, 0, 600])
def test_both_transports_measure_the_gateway_clock(emulator, conn_id, vendor, offset):
    emulator.configure(clock_offset=offset)

    hook = get_sms_hook(conn_id)
    hook.call(READS[vendor])
    blocking = hook.gateway_clock.reading()

    async_hook = get_sms_hook(conn_id)
    asyncio.run(async_hook.acall(READS[vendor]))
    awaited = async_hook.gateway_clock.reading()

    for reading in (blocking, awaited):
        assert reading is not None
        assert reading.uncertainty < 1.0
        assert abs(reading.offset - offset) <= reading.uncertainty + 0.05


def test_error_replies_are_measured_too(emulator):
    emulator.configure(clock_offset=-600)
    hook = get_sms_hook("emu_primotexto")
    with pytest.raises(SmsNotFoundError):
        hook.call(Call("GET", "/v2/messages/status", params={"snapshotId": "999999"}))
    reading = hook.gateway_clock.reading()
    assert reading is not None
    assert abs(reading.offset + 600) <= reading.uncertainty + 0.05
