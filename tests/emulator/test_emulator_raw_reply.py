"""The ``raw_reply`` fault: a body of any shape in the gateway's place, the request not handled."""

from __future__ import annotations

import pytest
import requests

from airflow_provider_sms.emulator import FAULT_KINDS, PRIMOTEXTO_API_KEY, SMSPARTNER_API_KEY

TIMEOUT = 5
PT_HEADERS = {"X-Primotexto-ApiKey": PRIMOTEXTO_API_KEY}
HTML = "<html><head><title>Maintenance</title></head><body>Back soon, été</body></html>"


def send(emu, vendor):
    if vendor == "primotexto":
        return requests.post(
            emu.url + "/v2/notification/messages/send",
            json={"number": "0612345678", "message": "hi"},
            headers=PT_HEADERS,
            timeout=TIMEOUT,
        )
    return requests.post(
        emu.url + "/v1/send",
        json={"apiKey": SMSPARTNER_API_KEY, "phoneNumbers": "0612345678", "message": "hi"},
        timeout=TIMEOUT,
    )


def balance(emu, vendor):
    if vendor == "primotexto":
        return requests.get(emu.url + "/v2/account/stats", headers=PT_HEADERS, timeout=TIMEOUT).json()[
            "credits"
        ]
    reply = requests.get(emu.url + "/v1/me", params={"apiKey": SMSPARTNER_API_KEY}, timeout=TIMEOUT)
    return reply.json()["credits"]["balance"]


def test_raw_reply_is_a_kind():
    assert "raw_reply" in FAULT_KINDS


@pytest.mark.parametrize("vendor", ["primotexto", "smspartner"])
def test_defaults_html_200_and_the_send_is_not_handled(emu, vendor):
    before = balance(emu, vendor)
    emu.add_fault("raw_reply", vendor=vendor, path="/send", count=1, body=HTML)

    r = send(emu, vendor)

    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html"
    assert r.content == HTML.encode("utf-8")
    assert emu.messages() == []  # nothing accepted...
    assert balance(emu, vendor) == before  # ...nor charged
    record = emu.requests(vendor=vendor, path="/send")[0]
    assert (record["fault"], record["status"]) == ("raw_reply", 200)
    assert send(emu, vendor).status_code == 200  # count=1: the next send goes through
    assert len(emu.messages()) == 1


def test_empty_body_status_and_content_type(emu):
    emu.add_fault("raw_reply", vendor="smspartner", count=1)
    r = send(emu, "smspartner")
    assert (r.status_code, r.content, r.headers["Content-Type"]) == (200, b"", "text/html")

    emu.add_fault(
        "raw_reply",
        vendor="smspartner",
        count=1,
        body='{"success": true, "code": 200, "message_id": 2.264102e+06}',
        content_type="application/json; charset=utf-8",
        http_status=202,
    )
    r = send(emu, "smspartner")
    assert r.status_code == 202
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert r.text == '{"success": true, "code": 200, "message_id": 2.264102e+06}'
    assert emu.messages() == []


def test_truncated_json_is_sent_as_is(emu):
    emu.add_fault(
        "raw_reply", vendor="primotexto", body='{"creditsUsed": 1.0, "snaps', content_type="application/json"
    )
    r = send(emu, "primotexto")
    assert r.text == '{"creditsUsed": 1.0, "snaps'
    with pytest.raises(ValueError):
        r.json()


def test_over_http(emu):
    rule = {
        "kind": "raw_reply",
        "vendor": "primotexto",
        "path": "/messages/send",
        "body": "[1]",
        "content_type": "application/json",
    }
    created = requests.post(emu.url + "/_emulator/faults", json=rule, timeout=TIMEOUT)
    assert created.status_code == 201
    listed = requests.get(emu.url + "/_emulator/faults", timeout=TIMEOUT).json()
    assert listed[0]["body"] == "[1]"
    assert listed[0]["content_type"] == "application/json"
    assert listed[0]["http_status"] is None  # 200 when the rule fires
    r = send(emu, "primotexto")
    assert (r.status_code, r.json()) == (200, [1])
    assert emu.messages() == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "raw_reply", "body": 1},
        {"kind": "raw_reply", "body": ["x"]},
        {"kind": "raw_reply", "content_type": ""},
        {"kind": "raw_reply", "content_type": "text/html\r\nX-Injected: 1"},
        {"kind": "raw_reply", "content_type": 3},
        {"kind": "raw_reply", "http_status": 700},
        {"kind": "server_error", "body": "x"},
        {"kind": "vendor_error", "code": 10, "content_type": "text/plain"},
    ],
)
def test_bad_arguments_are_refused(emu, kwargs):
    kind = kwargs.pop("kind")
    with pytest.raises(ValueError):
        emu.add_fault(kind, **kwargs)
    r = requests.post(emu.url + "/_emulator/faults", json={"kind": kind, **kwargs}, timeout=TIMEOUT)
    assert r.status_code == 400
    assert r.json()["error"]
