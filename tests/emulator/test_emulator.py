"""The emulator as a whole: lifecycle, inspection and control routes, redaction, helpers."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests

from airflow_provider_sms.emulator import (
    NUMBER_BOUNCED,
    NUMBER_ERROR,
    NUMBER_NEVER_FINAL,
    NUMBER_REJECTED,
    NUMBER_UNSUBSCRIBED,
    PRIMOTEXTO_API_KEY,
    SMSPARTNER_API_KEY,
    GatewayEmulator,
)
from airflow_provider_sms.emulator.encoding import primotexto_segments, smspartner_length
from airflow_provider_sms.emulator.numbers import national_format, parse_number
from airflow_provider_sms.emulator.state import EmulatorState, Message, Settings
from airflow_provider_sms.version_compat import AIRFLOW_V_3_1_PLUS

TIMEOUT = 5
PT_HEADERS = {"X-Primotexto-ApiKey": PRIMOTEXTO_API_KEY}


def control(emu, method, path, **kwargs):
    return requests.request(method, emu.url + "/_emulator" + path, timeout=TIMEOUT, **kwargs)


# -- lifecycle ---------------------------------------------------------------------------------
def test_start_stop_and_port_zero():
    emu = GatewayEmulator(port=0)
    with pytest.raises(RuntimeError):
        _ = emu.url
    emu.start()
    try:
        assert emu.url.startswith("http://127.0.0.1:")
        assert emu.port != 0
        assert requests.get(emu.url + "/_emulator/health", timeout=TIMEOUT).json()["status"] == "ok"
        with pytest.raises(RuntimeError):
            emu.start()
    finally:
        emu.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{emu.port}/_emulator/health", timeout=TIMEOUT)
    emu.stop()  # idempotent


def test_busy_port_raises_in_the_caller(emu):
    with pytest.raises(OSError), GatewayEmulator(port=emu.port):
        pass


def test_non_loopback_host_needs_allow_remote():
    with pytest.raises(ValueError, match="allow_remote"):
        GatewayEmulator(host="0.0.0.0")
    GatewayEmulator(host="0.0.0.0", allow_remote=True)  # constructing does not bind


def test_ipv6_loopback():
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        emu = GatewayEmulator(host="::1").start()
    except OSError:
        pytest.skip("IPv6 loopback unavailable")
    with emu:
        assert emu.url.startswith("http://[::1]:")
        assert requests.get(emu.url + "/_emulator/health", timeout=TIMEOUT).ok


def test_stop_with_idle_keepalive_connections_is_quick():
    emu = GatewayEmulator().start()
    session = requests.Session()
    session.get(emu.url + "/v2/account/stats", headers=PT_HEADERS, timeout=TIMEOUT)
    start = time.monotonic()
    emu.stop()
    assert time.monotonic() - start < 2


def test_concurrent_clients(emu):
    errors: list[BaseException] = []

    def worker():
        session = requests.Session()
        try:
            for _ in range(20):
                r = session.post(
                    emu.url + "/v2/notification/messages/send",
                    json={"number": "0612345678", "message": "hi"},
                    headers=PT_HEADERS,
                    timeout=TIMEOUT,
                )
                assert r.status_code == 200
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = [m["message_id"] for m in emu.messages()]
    assert len(ids) == len(set(ids)) == 320


# -- helpers -----------------------------------------------------------------------------------
def test_public_constants():
    assert PRIMOTEXTO_API_KEY == "emu-primotexto-key"
    assert SMSPARTNER_API_KEY == "emu-smspartner-key"
    numbers = [NUMBER_BOUNCED, NUMBER_ERROR, NUMBER_NEVER_FINAL, NUMBER_UNSUBSCRIBED, NUMBER_REJECTED]
    assert numbers == [f"+3363998000{i}" for i in range(1, 6)]


@pytest.mark.parametrize(
    ("vendor", "key"), [("primotexto", PRIMOTEXTO_API_KEY), ("smspartner", SMSPARTNER_API_KEY)]
)
def test_connection_json(emu, vendor, key):
    if AIRFLOW_V_3_1_PLUS:
        from airflow.sdk import Connection
    else:  # Airflow 3.0's SDK Connection has no from_json yet; the core model has
        from airflow.models.connection import Connection

    raw = emu.connection_json(vendor, conn_id="sms_test", sender="MyShop")
    assert json.loads(raw) == {
        "conn_type": vendor,
        "host": emu.url,
        "password": key,
        "extra": {"sender": "MyShop"},
    }
    conn = Connection.from_json(raw, conn_id="sms_test")
    assert (conn.conn_type, conn.host, conn.password) == (vendor, emu.url, key)
    assert conn.extra_dejson == {"sender": "MyShop"}
    with pytest.raises(ValueError):
        emu.connection_json("twilio")


# -- inspection --------------------------------------------------------------------------------
def test_requests_are_recorded_with_keys_redacted(emu):
    requests.post(
        emu.url + "/v1/send",
        json={"apiKey": SMSPARTNER_API_KEY, "phoneNumbers": "0612345678", "message": "hi"},
        timeout=TIMEOUT,
    )
    requests.get(emu.url + "/v1/me", params={"apiKey": SMSPARTNER_API_KEY}, timeout=TIMEOUT)
    requests.get(emu.url + "/v1/me", params={"apiKey": "a-wrong-key"}, timeout=TIMEOUT)
    requests.get(emu.url + "/v2/account/stats", headers=PT_HEADERS, timeout=TIMEOUT)
    requests.post(emu.url + "/v1/send", data=f"apiKey={SMSPARTNER_API_KEY}&message=x", timeout=TIMEOUT)
    for records in (emu.requests(), control(emu, "GET", "/requests").json()):
        dumped = json.dumps(records)
        assert SMSPARTNER_API_KEY not in dumped
        assert PRIMOTEXTO_API_KEY not in dumped
        assert "a-wrong-key" not in dumped
        send, me, _, stats, form = records
        assert send["body"] == {"apiKey": "***", "phoneNumbers": "0612345678", "message": "hi"}
        assert me["query"] == {"apiKey": "***"}
        assert set(send) == {"seq", "vendor", "method", "path", "query", "body", "status", "fault", "at"}
        assert (send["vendor"], send["method"], send["path"], send["status"]) == (
            "smspartner",
            "POST",
            "/v1/send",
            200,
        )
        assert (stats["vendor"], stats["status"], stats["body"]) == ("primotexto", 200, None)
        assert form["body"] == "apiKey=***&message=x"
        assert [r["seq"] for r in records] == sorted(r["seq"] for r in records)
        assert send["at"].endswith("+00:00")


def test_request_filters(emu):
    requests.get(emu.url + "/v2/account/stats", headers=PT_HEADERS, timeout=TIMEOUT)
    requests.get(emu.url + "/v1/me", params={"apiKey": SMSPARTNER_API_KEY}, timeout=TIMEOUT)
    assert [r["vendor"] for r in emu.requests(vendor="primotexto")] == ["primotexto"]
    assert [r["path"] for r in emu.requests(path="/me")] == ["/v1/me"]
    assert len(control(emu, "GET", "/requests", params={"vendor": "smspartner"}).json()) == 1
    assert control(emu, "GET", "/requests", params={"vendor": "nope"}).status_code == 400


def test_messages_endpoint(emu):
    requests.post(
        emu.url + "/v1/send",
        json={
            "apiKey": SMSPARTNER_API_KEY,
            "phoneNumbers": "0612345678",
            "message": "hi",
            "tag": "t",
            "sandbox": 1,
        },
        timeout=TIMEOUT,
    )
    requests.post(
        emu.url + "/v2/marketing/messages/send",
        json={"number": "0612345679", "message": "promo", "category": "c"},
        headers=PT_HEADERS,
        timeout=TIMEOUT,
    )
    over_http = control(emu, "GET", "/messages", params={"vendor": "smspartner"}).json()
    assert over_http == emu.messages("smspartner")
    [msg] = over_http
    assert set(msg) == {
        "vendor", "message_id", "recipient", "text", "sender", "category",
        "state", "accepted_at", "segments", "sandbox", "marketing",
    }  # fmt: skip
    assert (msg["recipient"], msg["category"], msg["sandbox"], msg["state"]) == (
        "+33612345678",
        "t",
        True,
        "Waiting",
    )
    [pt] = emu.messages("primotexto")
    assert (pt["marketing"], pt["category"], pt["state"]) == (True, "c", "sent")


def test_health_config_and_reset(emu):
    health = control(emu, "GET", "/health").json()
    assert health["status"] == "ok"
    assert health["config"]["delivery_delay"] == 0.2
    r = control(emu, "POST", "/config", json={"delivery_delay": 0, "latency_ms": 0, "credits": 5})
    assert r.json()["delivery_delay"] == 0.0
    assert control(emu, "GET", "/config").json()["primotexto_credits"] == 5
    assert control(emu, "POST", "/config", json={"colour": "red"}).status_code == 400
    assert control(emu, "POST", "/config", json={"credits": -1}).status_code == 400
    snapshot = requests.post(
        emu.url + "/v2/notification/messages/send",
        json={"number": "0612345678", "message": "hi"},
        headers=PT_HEADERS,
        timeout=TIMEOUT,
    ).json()["snapshotId"]
    assert emu.messages()[0]["state"] == "delivered"  # delivery_delay 0
    emu.add_fault("server_error")
    assert control(emu, "POST", "/reset").json() == {"ok": True}
    assert emu.messages() == []
    assert emu.requests() == []
    assert control(emu, "GET", "/faults").json() == []
    assert control(emu, "GET", "/config").json()["delivery_delay"] == 0.2
    stats = requests.get(emu.url + "/v2/account/stats", headers=PT_HEADERS, timeout=TIMEOUT).json()
    assert stats["credits"] == 10000
    status = requests.get(
        emu.url + "/v2/messages/status", params={"snapshotId": snapshot}, headers=PT_HEADERS, timeout=TIMEOUT
    )
    assert status.status_code == 404


def test_configure_keeps_the_delay_of_accepted_messages(emu):
    emu.configure(delivery_delay=30)
    requests.post(
        emu.url + "/v2/notification/messages/send",
        json={"number": "0612345678", "message": "hi"},
        headers=PT_HEADERS,
        timeout=TIMEOUT,
    )
    emu.configure(delivery_delay=0)
    assert emu.messages()[0]["state"] == "sent"
    with pytest.raises(ValueError):
        emu.configure(latency_ms=-5)


# -- state bounds and units -----------------------------------------------------------------------
def test_records_and_messages_are_bounded():
    state = EmulatorState(Settings(), max_requests=3, max_messages=2)
    for i in range(5):
        state.log_request({"vendor": "primotexto", "path": f"/v2/{i}"})
    assert [r["path"] for r in state.request_records()] == ["/v2/2", "/v2/3", "/v2/4"]
    for i in range(3):
        with state.lock:
            state.add_message(
                Message(
                    "primotexto", str(i), "+33612345678", "t", None, None, 0.0, 0.0, 1.0, "delivered", 1, 1.0
                )
            )
    assert sorted(state.snapshots) == ["1", "2"]
    assert state.latest_by_number["+33612345678"].message_id == "2"


@pytest.mark.parametrize(
    ("raw", "e164", "kind"),
    [
        ("0612345678", "+33612345678", "mobile"),
        ("+33 7 12 34 56 78", "+33712345678", "mobile"),
        (NUMBER_BOUNCED, NUMBER_BOUNCED, "mobile"),
        ("0145678901", "+33145678901", "landline"),
        ("0912345678", "+33912345678", "landline"),
        ("+4930123456", "+4930123456", "landline"),
        ("+4915123456789", "+4915123456789", "mobile"),
        ("+447700900123", "+447700900123", "mobile"),
        ("garbage", "garbage", "invalid"),
        ("061234", "061234", "invalid"),
        (None, "", "invalid"),
    ],
)
def test_parse_number(raw, e164, kind):
    parsed = parse_number(raw)
    assert (parsed.e164, parsed.kind) == (e164, kind)


def test_national_format():
    assert national_format("+33612345678") == "0612345678"
    assert national_format("+4915123456789") == "+4915123456789"


def test_segment_counting():
    assert primotexto_segments("a" * 153 * 10) == 10
    assert primotexto_segments("~" * 80) == 1
    assert smspartner_length("a:br:b", unicode=False) == (4, 1)
    assert smspartner_length("œ" * 80, unicode=False) == (160, 1)
    assert smspartner_length("€", unicode=True) == (1, 1)
