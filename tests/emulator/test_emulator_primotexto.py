"""Primotexto v2 emulation over real HTTP: shapes, auth, validation codes, state transitions."""

from __future__ import annotations

import re
import time

import pytest
import requests

from airflow_provider_sms.emulator import (
    NUMBER_BOUNCED,
    NUMBER_ERROR,
    NUMBER_NEVER_FINAL,
    NUMBER_REJECTED,
    NUMBER_UNSUBSCRIBED,
)

SEND = "/notification/messages/send"
TIMEOUT = 5
DELIVERY_DELAY = 0.2  # the conftest emulator's delivery_delay


def send(pt, number="0612345678", message="Code: 283951", **extra):
    return pt.post(SEND, {"number": number, "message": message, **extra})


def status(pt, **params):
    return pt.get("/messages/status", params)


def test_send_happy_path_shape_and_record(pt, emu):
    body = {"sender": "MyShop", "campaignName": "otp", "category": "codeConfirmation"}
    r = send(pt, **body)
    assert r.status_code == 200
    data = r.json()
    assert data == {"creditsUsed": 1.0, "snapshotId": data["snapshotId"]}
    assert isinstance(data["creditsUsed"], float)
    assert data["snapshotId"].isdigit()
    [msg] = emu.messages("primotexto")
    assert msg["recipient"] == "+33612345678"  # national input normalised to E.164
    assert msg["message_id"] == data["snapshotId"]
    assert msg["sender"] == "MyShop"
    assert msg["category"] == "codeConfirmation"
    assert msg["state"] == "sent"
    assert msg["marketing"] is False
    assert msg["segments"] == 1


def test_marketing_pool_is_flagged(pt, emu):
    r = pt.post("/marketing/messages/send", {"number": "+33612345678", "message": "Soldes STOP au 36111"})
    assert r.status_code == 200
    assert emu.messages()[0]["marketing"] is True


@pytest.mark.parametrize("headers", [{}, {"X-Primotexto-ApiKey": "wrong"}])
def test_bad_or_missing_key_is_401_code_72(emu, headers):
    r = requests.get(emu.url + "/v2/account/stats", headers=headers, timeout=TIMEOUT)
    assert r.status_code == 401
    assert r.json() == {"code": 72, "message": "authentication failed"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"message": "hi"}, 10),
        ({"number": "", "message": "hi"}, 10),
        ({"number": "not a number", "message": "hi"}, 11),
        ({"number": "061234", "message": "hi"}, 11),
        ({"number": "0145678901", "message": "hi"}, 19),
        ({"number": "+33912345678", "message": "hi"}, 19),
        ({"number": "0612345678"}, 30),
        ({"number": "0612345678", "message": "   "}, 30),
        ({"number": "0612345678", "message": "Prix: 5€"}, 31),
        ({"number": "0612345678", "message": "[promo]"}, 31),
        ({"number": "0612345678", "message": "ça marche"}, 31),
        ({"number": "0612345678", "message": "a" * 1531}, 32),
        ({"number": "0612345678", "message": "{" * 766}, 32),
        ({"number": "0612345678", "message": "hi", "sender": "My-Shop"}, 20),
        ({"number": "0612345678", "message": "hi", "sender": "AB"}, 21),
        ({"number": "0612345678", "message": "hi", "sender": "ABCDEFGHIJKL"}, 22),
        ({"number": "0612345678", "message": "hi", "sender": "36111"}, 23),
        ({"number": "0612345678", "message": "hi", "date": "tomorrow"}, 61),
        ({"number": "0612345678", "message": "hi", "date": 1398177000000}, 62),
    ],
)
def test_send_validation_codes(pt, emu, body, code):
    r = pt.post(SEND, body)
    assert r.status_code == 400
    assert r.json()["code"] == code
    assert set(r.json()) == {"code", "message"}
    assert emu.messages() == []


def test_malformed_json_is_code_73(pt):
    r = pt.session.post(pt.base + SEND, data="{not json", timeout=TIMEOUT)
    assert (r.status_code, r.json()["code"]) == (400, 73)


@pytest.mark.parametrize(
    ("message", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("{" * 80, 1),
        ("{" * 81, 2),
        ("a" * 1530, 10),
    ],
)
def test_credits_used_counts_gsm7_segments(pt, message, segments):
    before = pt.get("/account/stats").json()["credits"]
    r = send(pt, message=message)
    assert r.json()["creditsUsed"] == float(segments)
    assert pt.get("/account/stats").json()["credits"] == before - segments


def test_newlines_and_allowed_specials_are_accepted(pt):
    assert (
        send(pt, message="Ligne 1\r\nLigne 2: @£_!$\"#èé%ù&ìò()*+;,<-=ÑñÅ.>Üüå/?à|^¤{}~\\'").status_code
        == 200
    )


def test_insufficient_credits_is_402_code_71(pt, emu):
    emu.configure(credits=1.5)
    assert send(pt, message="a" * 161).json()["code"] == 71
    r = send(pt)
    assert r.status_code == 200
    r = send(pt)
    assert (r.status_code, r.json()["code"]) == (402, 71)


def test_status_pending_then_delivered(pt):
    snapshot = send(pt).json()["snapshotId"]
    first = status(pt, snapshotId=snapshot)
    assert first.status_code == 200
    pending = first.json()
    assert pending["state"] == "sent"
    assert pending["id"] == int(snapshot)
    assert "delivered" not in pending
    assert pending["test"] is False
    assert pending["stateDate"] == pending["sent"] == pending["submitted"]
    time.sleep(DELIVERY_DELAY + 0.1)
    done = status(pt, snapshotId=snapshot).json()
    assert done["state"] == "delivered"
    assert done["delivered"] == done["stateDate"]
    assert done["delivered"] - done["sent"] == pytest.approx(DELIVERY_DELAY * 1000, abs=2)


def test_status_by_identifier_is_the_latest_message(pt):
    send(pt, number="+33612345678")
    latest = send(pt, number="0612345678").json()["snapshotId"]
    r = pt.session.get(pt.base + "/messages/status?identifier=%2B33612345678", timeout=TIMEOUT)
    assert r.json()["id"] == int(latest)


@pytest.mark.parametrize("params", [{"snapshotId": "999"}, {"identifier": "+33699999999"}])
def test_status_unknown_is_404_code_16(pt, params):
    r = status(pt, **params)
    assert (r.status_code, r.json()["code"]) == (404, 16)


@pytest.mark.parametrize(
    ("number", "final_state"),
    [
        ("0612345678", "delivered"),
        (NUMBER_BOUNCED, "bounced"),
        (NUMBER_ERROR, "error"),
        (NUMBER_UNSUBSCRIBED, "unsubscribed"),
        (NUMBER_NEVER_FINAL, "sent"),
    ],
)
def test_test_numbers_reach_their_fate(pt, number, final_state):
    snapshot = send(pt, number=number).json()["snapshotId"]
    time.sleep(DELIVERY_DELAY + 0.1)
    body = status(pt, snapshotId=snapshot).json()
    assert body["state"] == final_state
    assert ("delivered" in body) == (final_state == "delivered")


def test_rejected_number_is_refused_and_nothing_accepted(pt, emu):
    r = send(pt, number=NUMBER_REJECTED)
    assert (r.status_code, r.json()["code"]) == (400, 90)
    assert emu.messages() == []
    assert pt.get("/account/stats").json()["credits"] == 10000


def test_scheduled_message_waits_for_its_date(pt):
    date = int((time.time() + 0.4) * 1000)
    snapshot = send(pt, date=date).json()["snapshotId"]
    time.sleep(0.45)  # schedule passed, delivery delay not yet
    body = status(pt, snapshotId=snapshot).json()
    assert body["state"] == "sent"
    assert body["sent"] == date
    time.sleep(DELIVERY_DELAY + 0.1)
    assert status(pt, snapshotId=snapshot).json()["state"] == "delivered"


def test_category_and_account_stats(pt):
    for number in ("0612345678", NUMBER_BOUNCED, NUMBER_ERROR):
        send(pt, number=number, category="otp")
    send(pt, number=NUMBER_UNSUBSCRIBED, category="other")
    time.sleep(DELIVERY_DELAY + 0.1)
    stats = pt.get("/messages/stats", {"category": "otp"}).json()
    expected_keys = {
        "sent", "submitted", "delivered", "openers", "clickers", "clicks", "opens",
        "replies", "unsubscribers", "errors", "bounced", "complaint", "timespent",
    }  # fmt: skip
    assert set(stats) == expected_keys
    assert (stats["sent"], stats["delivered"], stats["errors"], stats["bounced"]) == (3, 1, 1, 1)
    assert stats["unsubscribers"] == 0
    assert pt.get("/messages/stats", {"category": "none"}).json()["sent"] == 0
    account = pt.get("/account/stats").json()
    assert account == {
        "bounces": 1,
        "credits": 9996,
        "delivered": 1,
        "sent": 4,
        "submitted": 4,
        "undelivered": 3,
        "unsubscribers": 1,
    }


@pytest.mark.parametrize(("list_name", "send_code"), [("unsubscribers", 12), ("bounces", 13)])
def test_blacklist_add_list_delete(pt, list_name, send_code):
    path = f"/{list_name}/default/contacts"
    r = pt.post(path, {"identifier": "+33612345678"})
    assert r.status_code == 200
    entry_id = r.json()["id"]
    assert re.fullmatch(r"[0-9a-f]{24}", entry_id)
    assert (pt.post(path, {"identifier": "0612345678"}).json()["code"]) == 15
    assert pt.post(path, {"identifier": "nope"}).json()["code"] == 11
    assert pt.post(path, {}).json()["code"] == 10
    assert pt.get(path).json() == [{"deleted": False, "id": entry_id, "identifier": "+33612345678"}]
    refused = send(pt, number="0612345678")
    assert (refused.status_code, refused.json()["code"]) == (400, send_code)
    deleted = pt.delete(path, {"identifier": "+33612345678"})
    assert (deleted.status_code, deleted.content) == (204, b"")
    again = pt.delete(path, {"identifier": "+33612345678"})
    assert (again.status_code, again.json()["code"]) == (404, 16)
    assert send(pt, number="0612345678").status_code == 200


def test_blacklist_delete_by_id(pt):
    path = "/unsubscribers/default/contacts"
    entry_id = pt.post(path, {"identifier": "+33612345678"}).json()["id"]
    assert pt.delete(f"{path}/{entry_id}").status_code == 204
    assert pt.get(path).json() == []
    assert pt.delete(f"{path}/{entry_id}").status_code == 404


def test_unknown_routes_are_vendor_shaped_404(pt):
    for path in ("/nothing", "/unsubscribers/defaults/contacts"):
        r = pt.get(path)
        assert r.status_code == 404
        assert set(r.json()) == {"code", "message"}
