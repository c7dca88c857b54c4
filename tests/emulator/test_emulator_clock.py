"""The gateway's clock: a ``Date`` header on every reply, and ``clock_offset`` shifting every date the
APIs report or check, over real HTTP."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import requests

from airflow_provider_sms.emulator import GatewayEmulator
from airflow_provider_sms.emulator.smspartner import PARIS

TIMEOUT = 5
OFFSET = 3600.0  # one hour ahead: far beyond any test's duration and any clock jitter


def header_epoch(response: requests.Response) -> float:
    return parsedate_to_datetime(response.headers["Date"]).timestamp()


def paris_epoch(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=PARIS).timestamp()


@pytest.mark.parametrize("offset", [0.0, OFFSET, -OFFSET])
def test_every_reply_has_a_date_on_the_gateway_clock(emu, pt, sp, offset):
    emu.configure(clock_offset=offset)
    replies = [
        pt.get("/account/stats"),
        pt.get("/messages/status", {"snapshotId": "1"}),  # 404 code 16
        sp.get("/me"),
        sp.get("/no-such-route"),  # 404 from the router
        requests.get(emu.url + "/_emulator/health", timeout=TIMEOUT),
        requests.get(emu.url + "/elsewhere", timeout=TIMEOUT),
    ]
    for reply in replies:
        assert abs(header_epoch(reply) - (time.time() + offset)) < 3, reply.url


def test_clock_offset_shifts_primotexto_dates_and_the_schedule_check(emu, pt):
    emu.configure(clock_offset=OFFSET)
    before = time.time()
    snapshot = pt.post("/notification/messages/send", {"number": "0612345678", "message": "hi"}).json()
    status = pt.get("/messages/status", {"snapshotId": snapshot["snapshotId"]}).json()
    assert abs(status["sent"] / 1000 - (before + OFFSET)) < 3
    # 10 minutes from real now is 50 minutes in the gateway's past: refused as a past date
    soon = int((time.time() + 600) * 1000)
    r = pt.post("/notification/messages/send", {"number": "0612345678", "message": "hi", "date": soon})
    assert (r.status_code, r.json()["code"]) == (400, 62)
    later = int((time.time() + OFFSET + 600) * 1000)
    scheduled = pt.post(
        "/notification/messages/send", {"number": "0612345679", "message": "hi", "date": later}
    )
    assert scheduled.status_code == 200
    body = pt.get("/messages/status", {"snapshotId": scheduled.json()["snapshotId"]}).json()
    assert abs(body["sent"] - later) <= 1  # reported as the gateway was asked (to the ms)
    assert pt.get("/account/stats").json()["sent"] == 1  # its time has not come (600 s ahead)


def test_a_negative_offset_accepts_a_date_in_the_real_past(emu, pt):
    emu.configure(clock_offset=-OFFSET)
    past = int((time.time() - 600) * 1000)  # 50 minutes ahead on the gateway's clock
    r = pt.post("/notification/messages/send", {"number": "0612345678", "message": "hi", "date": past})
    assert r.status_code == 200
    assert abs(pt.get("/messages/status", {"snapshotId": r.json()["snapshotId"]}).json()["sent"] - past) <= 1


def test_clock_offset_shifts_smspartner_dates_and_the_schedule_check(emu, sp):
    emu.configure(clock_offset=OFFSET, delivery_delay=0)
    mid = sp.post("/send", {"phoneNumbers": "0612345678", "message": "hi", "tag": "clk"}).json()["message_id"]
    gateway_now = time.time() + OFFSET
    status = sp.get("/message-status", {"messageId": mid, "phoneNumber": "0612345678"}).json()
    assert abs(paris_epoch(status["date"]) - gateway_now) < 3
    pair = [{"phoneNumber": "+33612345678", "messageId": mid}]
    listed = [
        sp.post("/multi-status", {"SMSStatut_List": pair}).json()["StatutResponse_List"][0],
        sp.get("/bulk-status", {"messageId": mid}).json()["StatutResponse_List"][0],
        sp.get("/bulk-status-by-tag", {"tag": "clk"}).json()["StatutResponse_List"][0],
    ]
    assert all(abs(int(entry["date"]) - gateway_now) < 3 for entry in listed)
    # a schedule 30 minutes ahead of real time is in the gateway's past
    real_soon = datetime.now(PARIS) + timedelta(minutes=30)
    when = {"scheduledDeliveryDate": real_soon.strftime("%d/%m/%Y"), "time": real_soon.hour, "minute": 0}
    refused = sp.post("/send", {"phoneNumbers": "0612345679", "message": "hi", **when}).json()
    assert refused["code"] == 49
    ahead = datetime.now(PARIS) + timedelta(hours=3)
    when = {"scheduledDeliveryDate": ahead.strftime("%d/%m/%Y"), "time": ahead.hour, "minute": 0}
    accepted = sp.post("/send", {"phoneNumbers": "0612345679", "message": "hi", **when}).json()
    assert accepted["scheduledDeliveryDate"] == ahead.strftime("%Y-%m-%d %H:00:00")


def test_clock_offset_shifts_smspartner_account_dates(emu, sp):
    emu.configure(clock_offset=-OFFSET)
    sp.post("/stop-sms/add", {"phoneNumber": "0612345678"})
    [entry] = sp.get("/stop-sms/list").json()["data"]
    assert abs(paris_epoch(entry["createdAt"]) - (time.time() - OFFSET)) < 3


def test_clock_offset_is_a_live_setting(emu):
    control = emu.url + "/_emulator/config"
    r = requests.post(control, json={"clock_offset": -90.5}, timeout=TIMEOUT)
    assert (r.status_code, r.json()["clock_offset"]) == (200, -90.5)
    assert requests.post(control, json={"clock_offset": "soon"}, timeout=TIMEOUT).status_code == 400
    with pytest.raises(ValueError):
        emu.configure(clock_offset=float("inf"))
    emu.reset()
    assert requests.get(control, timeout=TIMEOUT).json()["clock_offset"] == 0.0


def test_constructor_offset_survives_reset():
    with GatewayEmulator(clock_offset=-120) as emu:
        emu.reset()
        reply = requests.get(emu.url + "/_emulator/config", timeout=TIMEOUT)
        assert reply.json()["clock_offset"] == -120.0
        assert abs(header_epoch(reply) - (time.time() - 120)) < 3
    with pytest.raises(ValueError):
        GatewayEmulator(clock_offset=float("nan"))
