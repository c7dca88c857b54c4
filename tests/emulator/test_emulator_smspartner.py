"""SMS Partner v1 emulation over real HTTP: sending, auth, validation codes, account, pagination.

Status routes are covered in ``test_emulator_smspartner_status.py``.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
import requests

from airflow_provider_sms.emulator import (
    NUMBER_REJECTED,
    SMSPARTNER_API_KEY,
    GatewayEmulator,
)

TIMEOUT = 5
DELIVERY_DELAY = 0.2  # the conftest emulator's delivery_delay


def send(sp, numbers="0612345678", message="Bonjour", **extra):
    return sp.post("/send", {"phoneNumbers": numbers, "message": message, **extra})


def balance(sp) -> float:
    return float(sp.get("/me").json()["credits"]["balance"])


def test_send_happy_path_shape(sp, emu):
    r = send(sp, numbers="0612345678,+33612345679", sender="MyShop", tag="otp")
    assert r.status_code == 200
    data = r.json()
    assert data == {
        "success": True,
        "code": 200,
        "message_id": data["message_id"],
        "nb_sms": 1,
        "cost": 0.09,
        "currency": "EUR",
    }
    assert isinstance(data["message_id"], int)
    messages = emu.messages("smspartner")
    assert [m["recipient"] for m in messages] == ["+33612345678", "+33612345679"]
    assert {m["message_id"] for m in messages} == {str(data["message_id"])}  # one id per request
    assert {m["category"] for m in messages} == {"otp"}
    assert balance(sp) == pytest.approx(10000 - 0.09)


def test_duplicate_numbers_are_sent_once(sp, emu):
    assert send(sp, numbers="0612345678, +33612345678,").json()["cost"] == 0.045
    assert len(emu.messages()) == 1


@pytest.mark.parametrize(("key", "code"), [(None, 1), ("", 1), ("wrong", 10)])
def test_bad_key_is_http_200_success_false(emu, key, code):
    body = {"phoneNumbers": "0612345678", "message": "hi"}
    if key is not None:
        body["apiKey"] = key
    for r in (
        requests.post(emu.url + "/v1/send", json=body, timeout=TIMEOUT),
        requests.get(emu.url + "/v1/me", params={"apiKey": key} if key is not None else {}, timeout=TIMEOUT),
    ):
        assert r.status_code == 200
        assert r.json()["success"] is False
        assert r.json()["code"] == code
    if code == 10:
        assert r.json()["message"] == "Clé API incorrecte"
    assert emu.messages() == []


def _tomorrow() -> str:
    return (datetime.now() + timedelta(days=1)).strftime("%d/%m/%Y")


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"phoneNumbers": ""}, 2),
        ({"phoneNumbers": ",".join(f"06123{i:05d}" for i in range(501))}, 50),
        ({"message": ""}, 43),
        ({"sender": "My Shop"}, 44),
        ({"sender": "AB"}, 44),
        ({"sender": "ABCDEFGHIJKL"}, 44),
        ({"message": "a" * 1531}, 52),
        ({"message": "é" * 671, "isUnicode": 1}, 52),
        ({"message": "a" * 161, "gamme": 2}, 42),
        ({"scheduledDeliveryDate": _tomorrow(), "time": 9, "minute": 7}, 48),
        ({"scheduledDeliveryDate": _tomorrow(), "time": 9, "minute": 60}, 48),
        ({"scheduledDeliveryDate": "31/02/2030", "time": 9, "minute": 0}, 49),
        ({"scheduledDeliveryDate": "01/01/2020", "time": 9, "minute": 0}, 49),
        ({"scheduledDeliveryDate": _tomorrow(), "minute": 0}, 46),
    ],
)
def test_send_validation_codes(sp, emu, extra, code):
    r = send(sp, **extra)
    assert r.status_code == 200
    assert r.json() == {"success": False, "code": code, "message": r.json()["message"]}
    assert emu.messages() == []


@pytest.mark.parametrize("numbers", ["0612345678,0145678901", "0612345678,garbage", "+33912345678"])
def test_invalid_or_landline_number_refuses_whole_request_with_code_9(sp, emu, numbers):
    r = send(sp, numbers=numbers)
    assert r.status_code == 400
    body = r.json()
    assert (body["success"], body["code"]) == (False, 9)
    assert body["error"][0]["elementId"] == "children[phoneNumbers].data"
    assert body["error"][0]["message"]
    assert emu.messages() == []


def test_number_on_stop_list_refuses_whole_request_with_code_14(sp, emu):
    sp.post("/stop-sms/add", {"phoneNumber": "0612345679"})
    r = send(sp, numbers="0612345678,0612345679")
    assert (r.status_code, r.json()["success"], r.json()["code"]) == (200, False, 14)
    assert emu.messages() == []


def test_rejected_number_is_code_13(sp, emu):
    r = send(sp, numbers=f"0612345678,{NUMBER_REJECTED}")
    assert (r.json()["success"], r.json()["code"]) == (False, 13)
    assert emu.messages() == []


def test_malformed_json_is_http_400_code_90(sp):
    r = sp.session.post(sp.base + "/send", data='{"message": "unescaped " quote"}', timeout=TIMEOUT)
    assert (r.status_code, r.json()["code"]) == (400, 90)


def test_insufficient_credit_is_code_11(sp, emu):
    emu.configure(credits=0.05)
    assert send(sp, numbers="0612345678,0612345679").json()["code"] == 11
    assert send(sp).json()["success"] is True
    assert sp.get("/me").json()["credits"]["balance"] == "0.005"


@pytest.mark.parametrize(
    ("message", "unicode", "nb_sms"),
    [
        ("a" * 160, 0, 1),
        ("a" * 161, 0, 2),
        ("é" * 70, 1, 1),
        ("é" * 71, 1, 2),
        ("😀" * 35, 1, 1),  # surrogate pairs: 2 UTF-16 units each
        ("ça [marche]", 0, 1),  # substituted, not refused
    ],
)
def test_nb_sms_and_cost(sp, message, unicode, nb_sms):
    data = send(sp, message=message, isUnicode=unicode).json()
    assert data["nb_sms"] == nb_sms
    assert data["cost"] == round(0.045 * nb_sms, 3)


def test_scheduled_send(sp):
    r = send(sp, numbers="0612345678,0612345679", scheduledDeliveryDate=_tomorrow(), time="9", minute=30)
    data = r.json()
    assert data["success"] is True
    assert data["scheduledDeliveryDate"].endswith(" 09:30:00")
    assert sp.get("/me").json()["credits"]["toSend"] == 2
    time.sleep(DELIVERY_DELAY + 0.1)
    status = sp.get(
        "/message-status", {"messageId": data["message_id"], "phoneNumber": "+33612345678"}
    ).json()
    assert status["statut"] == "Waiting"


def test_me_shape(sp):
    send(sp)
    data = sp.get("/me").json()
    assert data["user"] == {"username": "emulator@example.invalid", "firstname": "Emu", "lastname": "Lator"}
    credits = data["credits"]
    assert credits == {
        "creditSms": int(9999.955 / 0.045),
        "creditSmsECO": credits["creditSmsECO"],
        "creditHlr": 0,
        "toSend": 0,
        "solde": "9999.955",
        "currency": "EUR",
        "balance": "9999.955",
    }
    assert isinstance(credits["creditSmsECO"], int)


def test_sandbox_is_flagged_and_free(sp, emu):
    assert send(sp, sandbox=1).json()["cost"] == 0.045
    assert emu.messages()[0]["sandbox"] is True
    assert balance(sp) == 10000


def test_stop_list_add_list_delete(sp):
    r = sp.post("/stop-sms/add", {"phoneNumber": "0612345678"})
    assert r.json() == {"success": True, "code": 200, "stopId": r.json()["stopId"]}
    stop_id = r.json()["stopId"]
    assert sp.post("/stop-sms/add", {"phoneNumber": "+33612345678"}).json()["code"] == 15
    assert sp.post("/stop-sms/add", {}).json()["code"] == 2
    invalid = sp.post("/stop-sms/add", {"phoneNumber": "garbage"})
    assert (invalid.status_code, invalid.json()["code"]) == (400, 9)
    listing = sp.get("/stop-sms/list").json()
    assert listing["nbData"] == 1
    [entry] = listing["data"]
    assert (entry["id"], entry["phoneNumber"]) == (stop_id, "+33612345678")
    datetime.strptime(entry["createdAt"], "%Y-%m-%d %H:%M:%S")
    assert sp.get("/stop-sms/delete", {"id": stop_id}).json() == {"success": True, "code": 200}
    assert sp.get("/stop-sms/delete", {"id": stop_id}).json()["code"] == 4
    assert sp.get("/stop-sms/delete").json()["code"] == 3
    assert sp.get("/stop-sms/list").json() == {"success": True, "code": 200, "nbData": 0, "data": []}


def test_subaccount_pagination(sp):
    pages = [sp.get("/subaccount/list", {"page": n}).json() for n in (1, 2, 3, 4)]
    assert [len(p["data"]) for p in pages] == [20, 20, 7, 0]
    for number, page in enumerate(pages, start=1):
        assert (page["success"], page["code"], page["total"], page["nb_per_page"], page["page"]) == (
            True,
            200,
            47,
            20,
            number,
        )
    accounts = [a for p in pages for a in p["data"]]
    assert len({a["id"] for a in accounts}) == 47
    assert len({a["credits"]["balance"] for a in accounts}) == 47
    first = accounts[0]
    assert set(first) == {"id", "email", "type", "token", "apiKey", "createdAt", "credits"}
    assert first["type"] == "simple"
    assert first["credits"] == {"balance": "0.800", "currency": "EUR"}
    assert sp.get("/subaccount/list").json()["page"] == 1
    assert sp.get("/subaccount/list", {"page": "zero"}).json()["page"] == 1


def test_subaccount_count_is_configurable():
    with GatewayEmulator(subaccounts=3) as emu:
        r = requests.get(
            emu.url + "/v1/subaccount/list", params={"apiKey": SMSPARTNER_API_KEY}, timeout=TIMEOUT
        )
        assert (r.json()["total"], len(r.json()["data"])) == (3, 3)


def test_cost_resume(sp):
    send(sp, numbers="0612345678,0612345679")
    data = sp.get("/statistics/cost-resume").json()
    assert data["success"] is True
    [month] = data["datas"]
    assert (month["type"], month["cost"], month["nb_send"]) == ("month", "0.090", "2")


def test_api_key_in_query_string_works_for_post(emu):
    r = requests.post(
        emu.url + "/v1/send",
        params={"apiKey": SMSPARTNER_API_KEY},
        json={"phoneNumbers": "0612345678", "message": "hi"},
        timeout=TIMEOUT,
    )
    assert r.json()["success"] is True
