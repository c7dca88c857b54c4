"""SMS Partner v1 status routes over real HTTP: message-status, multi-status, bulk-status, by tag."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
import requests

from airflow_provider_sms.emulator import (
    NUMBER_BOUNCED,
    NUMBER_ERROR,
    NUMBER_NEVER_FINAL,
    NUMBER_REJECTED,
    NUMBER_UNSUBSCRIBED,
    PRIMOTEXTO_API_KEY,
)

TIMEOUT = 5
DELIVERY_DELAY = 0.2  # the conftest emulator's delivery_delay


def send(sp, numbers="0612345678", message="Bonjour", **extra):
    return sp.post("/send", {"phoneNumbers": numbers, "message": message, **extra})


def test_message_status_pending_then_delivered(sp):
    mid = send(sp).json()["message_id"]
    params = {"messageId": mid, "phoneNumber": "+33612345678"}
    first = sp.get("/message-status", params).json()
    assert first == {
        "success": True,
        "code": 200,
        "number": "0612345678",
        "messageId": str(mid),
        "stopSms": False,
        "date": first["date"],
        "statut": "Waiting",
        "cost": 0.045,
        "countryCode": "FR",
        "currency": "EUR",
    }
    datetime.strptime(first["date"], "%Y-%m-%d %H:%M:%S")
    time.sleep(DELIVERY_DELAY + 0.1)
    assert sp.get("/message-status", params).json()["statut"] == "Delivered"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"phoneNumber": "+33612345678"}, 3),
        ({"messageId": "1"}, 2),
        ({"messageId": "1", "phoneNumber": "0612345678"}, 4),
    ],
)
def test_message_status_errors(sp, params, code):
    r = sp.get("/message-status", params)
    assert (r.status_code, r.json()["success"], r.json()["code"]) == (200, False, code)


@pytest.mark.parametrize(
    ("number", "statut", "stop"),
    [
        (NUMBER_BOUNCED, "Not delivered", False),
        (NUMBER_ERROR, "ko", False),
        (NUMBER_UNSUBSCRIBED, "Not delivered", True),
        (NUMBER_NEVER_FINAL, "Waiting", False),
    ],
)
def test_test_numbers_reach_their_fate(sp, number, statut, stop):
    mid = send(sp, numbers=number).json()["message_id"]
    time.sleep(DELIVERY_DELAY + 0.1)
    body = sp.get("/message-status", {"messageId": mid, "phoneNumber": number}).json()
    assert (body["statut"], body["stopSms"]) == (statut, stop)


def test_multi_status(sp):
    mid = send(sp, numbers=f"0612345678,{NUMBER_UNSUBSCRIBED}").json()["message_id"]
    time.sleep(DELIVERY_DELAY + 0.1)
    pairs = [
        {"phoneNumber": "+33612345678", "messageId": mid},
        {"phoneNumber": NUMBER_UNSUBSCRIBED, "messageId": str(mid)},
        {"phoneNumber": "+33600000000", "messageId": 1000},
    ]
    data = sp.post("/multi-status", {"SMSStatut_List": pairs}).json()
    assert (data["success"], data["code"]) == (True, 200)
    ok, stopped, missing = data["StatutResponse_List"]
    assert ok == {
        "success": True,
        "code": 200,
        "phoneNumber": "+33612345678",
        "messageId": mid,
        "status": "Delivered",
        "date": ok["date"],
        "stopSms": "0",
        "isSpam": "0",
    }
    assert ok["date"].isdigit()
    assert stopped["stopSms"] == "1"
    assert missing == {
        "success": False,
        "code": 4,
        "phoneNumber": "+33600000000",
        "messageId": 1000,
        "status": "Numéro introuvable",
    }
    alias = sp.post("/multi-status", {"SMSStatus_List": pairs[:1]}).json()  # spelling seen in one FR table
    assert alias["StatutResponse_List"][0]["status"] == "Delivered"
    assert sp.post("/multi-status", {"SMSStatut_List": []}).json()["code"] == 5
    assert sp.post("/multi-status", {}).json()["code"] == 5
    too_many = [{"phoneNumber": "+33612345678", "messageId": mid}] * 501
    assert sp.post("/multi-status", {"SMSStatut_List": too_many}).json()["code"] == 50


def test_bulk_status(sp):
    mid = send(sp, numbers=f"0612345678,{NUMBER_ERROR}").json()["message_id"]
    time.sleep(DELIVERY_DELAY + 0.1)
    data = sp.get("/bulk-status", {"messageId": mid}).json()
    assert (data["success"], data["code"], data["message_id"]) == (True, 200, str(mid))
    entries = data["StatutResponse_List"]
    assert [(e["phoneNumber"], e["status"], e["stopSMS"]) for e in entries] == [
        ("+33612345678", "Delivered", False),
        (NUMBER_ERROR, "ko", False),
    ]
    assert all(e["date"].isdigit() for e in entries)
    assert sp.get("/bulk-status", {"messageId": 1}).json()["code"] == 4
    assert sp.get("/bulk-status").json()["code"] == 3


def by_tag(sp, tag):
    return sp.get("/bulk-status-by-tag", {"tag": tag})


def test_bulk_status_by_tag_lists_every_recipient_of_the_tagged_sends(sp):
    assert send(sp, numbers=f"0612345678,{NUMBER_UNSUBSCRIBED}", tag="otp-a").json()["success"] is True
    send(sp, numbers="0612345679", tag="otp-b")
    send(sp, numbers="0612345670")  # no tag
    pending = by_tag(sp, "otp-a")
    assert pending.status_code == 200
    assert [e["status"] for e in pending.json()["StatutResponse_List"]] == ["Waiting", "Waiting"]
    time.sleep(DELIVERY_DELAY + 0.1)
    send(sp, numbers=NUMBER_BOUNCED, tag="otp-a", sandbox=1)  # a second send under the same tag
    data = by_tag(sp, "otp-a").json()
    assert (data["success"], data["code"], data["currentPage"], data["total"]) == (True, 200, 1, 3)
    entries = data["StatutResponse_List"]
    assert all(set(e) == {"phoneNumber", "status", "stopSMS", "date"} for e in entries)
    assert [(e["phoneNumber"], e["status"], e["stopSMS"]) for e in entries] == [
        ("+33612345678", "Delivered", False),
        (NUMBER_UNSUBSCRIBED, "Not delivered", True),
        (NUMBER_BOUNCED, "Waiting", False),
    ]
    assert all(e["date"].isdigit() for e in entries)
    assert int(entries[0]["date"]) >= int(time.time()) - 5
    assert [e["phoneNumber"] for e in by_tag(sp, "otp-b").json()["StatutResponse_List"]] == ["+33612345679"]


def test_bulk_status_by_tag_errors(sp, emu):
    sp.post("/stop-sms/add", {"phoneNumber": "0612345679"})
    assert send(sp, numbers="0612345679", tag="refused").json()["code"] == 14  # refused: not listed
    assert send(sp, numbers=NUMBER_REJECTED, tag="refused").json()["code"] == 13
    requests.post(  # a Primotexto category of the same name is another vendor's data
        emu.url + "/v2/notification/messages/send",
        headers={"X-Primotexto-ApiKey": PRIMOTEXTO_API_KEY},
        json={"number": "0612345678", "message": "hi", "category": "refused"},
        timeout=TIMEOUT,
    )
    send(sp, tag="otp")
    for params, code in (({"tag": "refused"}, 4), ({"tag": "OTP"}, 4), ({}, 3), ({"tag": ""}, 3)):
        r = sp.get("/bulk-status-by-tag", params)
        assert (r.status_code, r.json()["success"], r.json()["code"]) == (200, False, code), params
    no_key = requests.get(emu.url + "/v1/bulk-status-by-tag", params={"tag": "otp"}, timeout=TIMEOUT)
    assert no_key.json()["code"] == 1


def test_bulk_status_by_tag_pages(sp, emu):
    emu.configure(tag_page_size=2)
    send(sp, numbers="0612345671,0612345672,0612345673", tag="paged")
    send(sp, numbers="0612345674,0612345675", tag="paged")
    pages = [by_tag(sp, "paged").json()]
    pages += [sp.get("/bulk-status-by-tag", {"tag": "paged", "page": n}).json() for n in (2, 3, 4)]
    assert [(p["success"], p["currentPage"], p["total"]) for p in pages] == [
        (True, 1, 5),
        (True, 2, 5),
        (True, 3, 5),
        (True, 4, 5),
    ]
    numbers = [[e["phoneNumber"][-1] for e in p["StatutResponse_List"]] for p in pages]
    assert numbers == [["1", "2"], ["3", "4"], ["5"], []]  # oldest first; past the end: nothing
    for bad in ("0", "-1", "two"):
        assert sp.get("/bulk-status-by-tag", {"tag": "paged", "page": bad}).json()["currentPage"] == 1


def test_tag_page_size_setting(emu, sp):
    config = emu.url + "/_emulator/config"
    assert requests.get(config, timeout=TIMEOUT).json()["tag_page_size"] == 500
    assert requests.post(config, json={"tag_page_size": 1}, timeout=TIMEOUT).json()["tag_page_size"] == 1
    send(sp, numbers="0612345671,0612345672", tag="one")
    assert len(by_tag(sp, "one").json()["StatutResponse_List"]) == 1
    for bad in (0, 1.5, "3", True):
        assert requests.post(config, json={"tag_page_size": bad}, timeout=TIMEOUT).status_code == 400
    emu.reset()
    assert requests.get(config, timeout=TIMEOUT).json()["tag_page_size"] == 500
