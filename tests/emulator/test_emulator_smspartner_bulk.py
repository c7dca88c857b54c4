"""SMS Partner ``POST /v1/bulk-send`` over real HTTP: reply shape, per-entry refusals, request-wide
errors, charging, tag, status calls and faults."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
import requests

from airflow_provider_sms.emulator import NUMBER_REJECTED, NUMBER_UNSUBSCRIBED

TIMEOUT = 5
DELIVERY_DELAY = 0.2  # the conftest emulator's delivery_delay


def bulk(sp, *entries, **options):
    sms_list = [{"phoneNumber": number, "message": text} for number, text in entries]
    return sp.post("/bulk-send", {"SMSList": sms_list, **options})


def balance(sp) -> str:
    return sp.get("/me").json()["credits"]["balance"]


def test_bulk_send_reply_shape_and_records(sp, emu):
    r = bulk(sp, ("0612345678", "Bonjour Ann"), ("+33612345679", "x" * 200), sender="MyShop", tag="promo")
    assert r.status_code == 200
    data = r.json()
    assert data == {
        "success": True,
        "code": 200,
        "message_id": data["message_id"],
        "currency": "EUR",
        "cost": 0.135,
        "nbSMS": 3,
        "SMSResponse_List": [
            {"success": True, "code": 200, "nbSms": 1, "cost": 0.045, "phoneNumber": "+33612345678"},
            {"success": True, "code": 200, "nbSms": 2, "cost": 0.09, "phoneNumber": "+33612345679"},
        ],
    }
    assert isinstance(data["message_id"], int)
    messages = emu.messages("smspartner")
    assert [(m["recipient"], m["text"], m["segments"]) for m in messages] == [
        ("+33612345678", "Bonjour Ann", 1),
        ("+33612345679", "x" * 200, 2),
    ]
    assert {(m["message_id"], m["category"], m["sender"]) for m in messages} == {
        (str(data["message_id"]), "promo", "MyShop")
    }
    assert balance(sp) == "9999.865"


def test_each_entry_is_refused_on_its_own(sp, emu):
    sp.post("/stop-sms/add", {"phoneNumber": "0612345670"})
    r = bulk(
        sp,
        ("0612345678", "ok"),
        ("0612345670", "stopped"),
        ("0145678901", "landline"),
        (NUMBER_REJECTED, "no price"),
        ("0612345671", ""),
        ("0612345672", "y" * 153 * 11),
        ("", "no number"),
        gamme=1,
    )
    data = r.json()
    assert (r.status_code, data["success"], data["cost"], data["nbSMS"]) == (200, True, 0.045, 1)
    entries = data["SMSResponse_List"]
    assert [(e["success"], e["code"]) for e in entries] == [
        (True, 200),
        (False, 14),
        (False, 9),
        (False, 13),
        (False, 43),
        (False, 52),
        (False, 2),
    ]
    assert all(e["message"] for e in entries[1:])
    assert [e["phoneNumber"] for e in entries[1:4]] == ["+33612345670", "0145678901", NUMBER_REJECTED]
    assert [m["recipient"] for m in emu.messages()] == ["+33612345678"]
    assert balance(sp) == "9999.955"
    not_an_object = sp.post("/bulk-send", {"SMSList": ["0612345678"]}).json()
    assert (not_an_object["success"], not_an_object["SMSResponse_List"][0]["code"]) == (True, 2)


def test_low_cost_entries_longer_than_one_sms_are_refused(sp):
    entries = bulk(sp, ("0612345678", "short"), ("0612345679", "z" * 161), gamme=2).json()["SMSResponse_List"]
    assert [e["code"] for e in entries] == [200, 42]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, 2),
        ({"SMSList": []}, 2),
        ({"SMSList": "0612345678"}, 2),
        ({"SMSList": [{"phoneNumber": "0612345678", "message": "m"}] * 501}, 50),
        ({"SMSList": [{"phoneNumber": "0612345678", "message": "m"}], "sender": "A!"}, 44),
        ({"SMSList": [{"phoneNumber": "0612345678", "message": "m"}], "gamme": 3}, 9),
        (
            {
                "SMSList": [{"phoneNumber": "0612345678", "message": "m"}],
                "scheduledDeliveryDate": "01/01/2001",
                "time": 9,
                "minute": 0,
            },
            49,
        ),  # fmt: skip
    ],
)
def test_request_wide_errors_send_nothing(sp, emu, body, code):
    data = sp.post("/bulk-send", body).json()
    assert (data["success"], data["code"]) == (False, code)
    assert emu.messages() == []
    assert balance(sp) == "10000.000"


def test_exactly_500_entries_and_not_enough_credit(sp, emu):
    numbers = [f"+336{20_000_000 + i:08d}" for i in range(500)]
    data = bulk(sp, *((n, "hi") for n in numbers)).json()
    assert (data["success"], len(data["SMSResponse_List"]), data["cost"]) == (True, 500, 22.5)
    assert len(emu.messages()) == 500
    emu.configure(credits=0.1)
    refused = bulk(sp, ("0612345678", "a"), ("0612345679", "b"), ("0612345670", "c")).json()
    assert (refused["success"], refused["code"]) == (False, 11)
    assert len(emu.messages()) == 500
    sandbox = bulk(sp, ("0612345678", "a"), ("0612345679", "b"), ("0612345670", "c"), sandbox=1).json()
    assert sandbox["success"] is True  # sandbox sends are free
    assert balance(sp) == "0.100"


def test_status_calls_find_bulk_messages(sp):
    data = bulk(sp, ("0612345678", "one"), (NUMBER_UNSUBSCRIBED, "two"), tag="bulk-tag").json()
    mid = data["message_id"]
    time.sleep(DELIVERY_DELAY + 0.1)
    single = sp.get("/message-status", {"messageId": mid, "phoneNumber": "0612345678"}).json()
    assert single["statut"] == "Delivered"
    pairs = [
        {"phoneNumber": "+33612345678", "messageId": mid},
        {"phoneNumber": NUMBER_UNSUBSCRIBED, "messageId": mid},
    ]
    multi = sp.post("/multi-status", {"SMSStatut_List": pairs}).json()["StatutResponse_List"]
    assert [(e["status"], e["stopSms"]) for e in multi] == [("Delivered", "0"), ("Not delivered", "1")]
    whole = sp.get("/bulk-status", {"messageId": mid}).json()["StatutResponse_List"]
    assert [e["phoneNumber"] for e in whole] == ["+33612345678", NUMBER_UNSUBSCRIBED]
    by_tag = sp.get("/bulk-status-by-tag", {"tag": "bulk-tag"}).json()
    assert by_tag["total"] == 2


def test_the_same_number_twice_gets_both_messages(sp, emu):
    mid = bulk(sp, ("0612345678", "first"), ("0612345678", "second"), tag="twice").json()["message_id"]
    assert [m["text"] for m in emu.messages()] == ["first", "second"]
    assert sp.get("/bulk-status-by-tag", {"tag": "twice"}).json()["total"] == 2
    # status by (message id, number) answers for the last one
    emu.set_message_state("smspartner", mid, "error", number="0612345678")
    assert [m["state"] for m in emu.messages()] == ["Waiting", "ko"]
    assert sp.get("/message-status", {"messageId": mid, "phoneNumber": "0612345678"}).json()["statut"] == "ko"


def test_scheduled_bulk_send(sp, emu):
    later = datetime.now() + timedelta(days=1)
    when = {"scheduledDeliveryDate": later.strftime("%d/%m/%Y"), "time": 9, "minute": 30}
    data = bulk(sp, ("0612345678", "a"), **when).json()
    assert data["scheduledDeliveryDate"] == later.strftime("%Y-%m-%d 09:30:00")
    time.sleep(DELIVERY_DELAY + 0.1)
    assert emu.messages()[0]["state"] == "Waiting"
    assert sp.get("/me").json()["credits"]["toSend"] == 1


def test_faults_apply_to_bulk_send(sp, emu):
    emu.add_fault("accept_then_drop", vendor="smspartner", path="/bulk-send", count=1)
    body = {"apiKey": sp.api_key, "SMSList": [{"phoneNumber": "0612345678", "message": "hi"}], "tag": "lost"}
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(sp.base + "/bulk-send", json=body, timeout=TIMEOUT)
    assert sp.get("/bulk-status-by-tag", {"tag": "lost"}).json()["total"] == 1  # accepted all the same
    emu.add_fault("server_error", path="/send", count=1)  # "/send" is not in "/v1/bulk-send"
    emu.add_fault("server_error", vendor="smspartner", path="send", count=1)  # "send" is
    assert bulk(sp, ("0612345678", "hi")).status_code == 500
    assert len(emu.messages()) == 1
    assert bulk(sp, ("0612345678", "hi")).json()["success"] is True
    assert [r["fault"] for r in emu.requests(path="/bulk-send")] == ["accept_then_drop", "server_error", None]


def test_bulk_send_needs_the_key(emu):
    body = {"SMSList": [{"phoneNumber": "0612345678", "message": "hi"}]}
    r = requests.post(emu.url + "/v1/bulk-send", json=body, timeout=TIMEOUT)
    assert (r.status_code, r.json()["code"]) == (200, 1)
    bad = requests.post(emu.url + "/v1/bulk-send", data="{nope", timeout=TIMEOUT)
    assert (bad.status_code, bad.json()["code"]) == (400, 90)
    assert emu.messages() == []
