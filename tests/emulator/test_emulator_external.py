"""Messages another system sent (``inject_message`` / ``POST /_emulator/messages``) and state changes
(``set_message_state`` / ``POST /_emulator/messages/state``), seen through the vendor APIs."""

from __future__ import annotations

import time

import pytest
import requests

from airflow_provider_sms.emulator import NUMBER_BOUNCED

TIMEOUT = 5
DELIVERY_DELAY = 0.2  # the conftest emulator's delivery_delay


def control(emu, path, body):
    return requests.post(emu.url + "/_emulator" + path, json=body, timeout=TIMEOUT)


def by_identifier(pt, number):
    return pt.get("/messages/status", {"identifier": number}).json()


# -- Primotexto ----------------------------------------------------------------------------------
def test_primotexto_message_from_another_system_is_the_latest_to_its_number(emu, pt):
    own = pt.post("/notification/messages/send", {"number": "0612345678", "message": "mine"}).json()
    other = emu.inject_message("primotexto", "0612345678", seconds_ago=0, state="delivered", category="crm")
    assert other["message_id"] != own["snapshotId"]
    assert (other["recipient"], other["category"], other["state"]) == ("+33612345678", "crm", "delivered")
    latest = by_identifier(pt, "+33612345678")
    assert (str(latest["id"]), latest["state"]) == (other["message_id"], "delivered")
    assert latest["delivered"] == latest["stateDate"] == latest["sent"]
    by_snapshot = pt.get("/messages/status", {"snapshotId": other["message_id"]}).json()
    assert by_snapshot == latest
    assert pt.get("/messages/stats", {"category": "crm"}).json()["delivered"] == 1
    assert pt.get("/account/stats").json()["credits"] == 9999  # only the client's own send is charged


def test_primotexto_message_time_and_latest_by_time(emu, pt):
    before = time.time()
    own = pt.post("/notification/messages/send", {"number": "0612345678", "message": "mine"}).json()
    old = emu.inject_message("primotexto", "0612345678", seconds_ago=60)
    # an older message from another system does not hide the client's own, newer one
    assert str(by_identifier(pt, "+33612345678")["id"]) == own["snapshotId"]
    status = pt.get("/messages/status", {"snapshotId": old["message_id"]}).json()
    assert abs(status["sent"] / 1000 - (before - 60)) < 2
    assert status["state"] == "delivered"  # its usual fate, reached delivery_delay after its time
    alone = emu.inject_message("primotexto", NUMBER_BOUNCED, seconds_ago=30)
    assert by_identifier(pt, NUMBER_BOUNCED)["state"] == "bounced"
    assert alone["state"] == "bounced"


def test_injected_pending_message_and_state_change(emu, pt):
    injected = emu.inject_message("primotexto", "0612345678", state="pending")
    sid = injected["message_id"]
    time.sleep(DELIVERY_DELAY + 0.1)
    assert pt.get("/messages/status", {"snapshotId": sid}).json()["state"] == "sent"  # never final
    changed = emu.set_message_state("primotexto", sid, "error", seconds_ago=5)
    assert changed["state"] == "error"
    status = pt.get("/messages/status", {"snapshotId": sid}).json()
    assert status["state"] == "error"
    assert abs(status["stateDate"] / 1000 - (time.time() - 5)) < 2
    # later: pending until the chosen time, then in the new state, dated then
    emu.set_message_state("primotexto", sid, "delivered", seconds_ago=-0.3)
    assert pt.get("/messages/status", {"snapshotId": sid}).json()["state"] == "sent"
    time.sleep(0.4)
    final = pt.get("/messages/status", {"snapshotId": sid}).json()
    assert final["state"] == "delivered"
    assert final["delivered"] == final["stateDate"] > status["stateDate"]
    emu.set_message_state("primotexto", sid, "pending")
    assert "delivered" not in pt.get("/messages/status", {"snapshotId": sid}).json()


def test_state_change_of_a_client_send(emu, pt):
    sid = pt.post("/notification/messages/send", {"number": "0612345678", "message": "x"}).json()[
        "snapshotId"
    ]
    emu.set_message_state("primotexto", sid, "unsubscribed", seconds_ago=0)
    assert by_identifier(pt, "0612345678")["state"] == "unsubscribed"
    assert pt.get("/account/stats").json()["unsubscribers"] == 1


# -- SMS Partner ---------------------------------------------------------------------------------
def test_smspartner_message_from_another_system_is_listed_under_its_tag(emu, sp):
    mid = sp.post("/send", {"phoneNumbers": "0612345678", "message": "mine", "tag": "otp"}).json()[
        "message_id"
    ]
    other = emu.inject_message("smspartner", "+33612345679", seconds_ago=0, category="otp", state="delivered")
    assert int(other["message_id"]) != mid
    entries = sp.get("/bulk-status-by-tag", {"tag": "otp"}).json()["StatutResponse_List"]
    assert [(e["phoneNumber"], e["status"]) for e in entries] == [
        ("+33612345678", "Waiting"),
        ("+33612345679", "Delivered"),
    ]
    status = sp.get("/message-status", {"messageId": other["message_id"], "phoneNumber": "0612345679"}).json()
    assert (status["statut"], status["cost"]) == ("Delivered", 0.045)
    balance = sp.get("/me").json()["credits"]["balance"]
    assert balance == "9999.955"  # the injected message is not charged


def test_smspartner_by_tag_lists_messages_by_time(emu, sp):
    sp.post("/send", {"phoneNumbers": "0612345678", "message": "mine", "tag": "t"})
    emu.inject_message("smspartner", "0612345679", seconds_ago=120, category="t")
    entries = sp.get("/bulk-status-by-tag", {"tag": "t"}).json()["StatutResponse_List"]
    assert [e["phoneNumber"] for e in entries] == ["+33612345679", "+33612345678"]
    assert int(entries[0]["date"]) < int(entries[1]["date"]) - 100


def test_smspartner_state_change_needs_the_number_of_a_multi_recipient_send(emu, sp):
    mid = sp.post("/send", {"phoneNumbers": "0612345678,0612345679", "message": "x"}).json()["message_id"]
    with pytest.raises(ValueError, match="number"):
        emu.set_message_state("smspartner", mid, "delivered")
    record = emu.set_message_state("smspartner", mid, "bounced", number="0612345679", seconds_ago=3)
    assert (record["recipient"], record["state"]) == ("+33612345679", "Not delivered")
    entries = sp.get("/bulk-status", {"messageId": mid}).json()["StatutResponse_List"]
    assert [e["status"] for e in entries] == ["Waiting", "Not delivered"]
    assert abs(int(entries[1]["date"]) - (time.time() - 3)) < 2
    single = emu.inject_message("smspartner", "0612345670", state="pending")
    assert emu.set_message_state("smspartner", int(single["message_id"]), "error")["state"] == "ko"


# -- over HTTP, and bad arguments ----------------------------------------------------------------
def test_control_routes(emu, pt, sp):
    r = control(emu, "/messages", {"vendor": "smspartner", "number": "0612345678", "category": "crm",
                                   "seconds_ago": 10, "state": "delivered", "text": "Promo", "sender": "Shop"})  # fmt: skip
    assert r.status_code == 201
    record = r.json()
    assert (record["text"], record["sender"], record["state"]) == ("Promo", "Shop", "Delivered")
    assert record in emu.messages("smspartner")
    assert sp.get("/bulk-status-by-tag", {"tag": "crm"}).json()["total"] == 1
    r = control(emu, "/messages/state", {"vendor": "smspartner", "message_id": record["message_id"],
                                         "state": "error", "seconds_ago": 1})  # fmt: skip
    assert (r.status_code, r.json()["state"]) == (200, "ko")
    r = control(emu, "/messages", {"vendor": "primotexto", "number": "0612345678"})
    assert (r.status_code, r.json()["text"]) == (201, "Message from another system")
    assert by_identifier(pt, "0612345678")["id"] == int(r.json()["message_id"])


@pytest.mark.parametrize(
    "body",
    [
        {"vendor": "twilio", "number": "0612345678"},
        {"vendor": "primotexto"},
        {"vendor": "primotexto", "number": "0145678901"},  # a landline
        {"vendor": "primotexto", "number": "0612345678", "seconds_ago": -5},
        {"vendor": "primotexto", "number": "0612345678", "state": "read"},
        {"vendor": "primotexto", "number": "0612345678", "text": ""},
        {"vendor": "primotexto", "number": "0612345678", "category": 7},
        {"vendor": "primotexto", "number": "0612345678", "colour": "red"},
    ],
)
def test_bad_injections_are_refused(emu, body):
    r = control(emu, "/messages", body)
    assert (r.status_code, bool(r.json()["error"])) == (400, True)
    assert emu.messages() == []


def test_bad_state_changes(emu, pt):
    sid = pt.post("/notification/messages/send", {"number": "0612345678", "message": "x"}).json()[
        "snapshotId"
    ]
    for body, status in (
        ({"vendor": "primotexto", "message_id": "1", "state": "error"}, 404),
        ({"vendor": "smspartner", "message_id": "12", "state": "error"}, 404),
        ({"vendor": "primotexto", "message_id": sid}, 400),
        ({"vendor": "primotexto", "state": "error"}, 400),
        ({"vendor": "primotexto", "message_id": sid, "state": "opened"}, 400),
        ({"vendor": "primotexto", "message_id": sid, "state": "error", "seconds_ago": "now"}, 400),
    ):
        r = control(emu, "/messages/state", body)
        assert (r.status_code, bool(r.json()["error"])) == (status, True), body
    with pytest.raises(LookupError):
        emu.set_message_state("smspartner", 99, "delivered")
    time.sleep(DELIVERY_DELAY + 0.1)
    assert pt.get("/messages/status", {"snapshotId": sid}).json()["state"] == "delivered"  # untouched
