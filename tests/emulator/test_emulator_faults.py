"""Fault injection: latency, 5xx, 429, dropped connections, accepted-then-lost replies, vendor errors,
matching and counting."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
import requests

from airflow_provider_sms.emulator import FAULT_KINDS, PRIMOTEXTO_API_KEY, SMSPARTNER_API_KEY

TIMEOUT = 5
PT_HEADERS = {"X-Primotexto-ApiKey": PRIMOTEXTO_API_KEY}
PT_SEND = {"number": "0612345678", "message": "hi"}
SP_SEND = {"apiKey": SMSPARTNER_API_KEY, "phoneNumbers": "0612345678", "message": "hi"}


def pt_send(emu, session=requests):
    return session.post(
        emu.url + "/v2/notification/messages/send", json=PT_SEND, headers=PT_HEADERS, timeout=TIMEOUT
    )


def sp_send(emu, session=requests):
    return session.post(emu.url + "/v1/send", json=SP_SEND, timeout=TIMEOUT)


def pt_stats(emu):
    return requests.get(emu.url + "/v2/account/stats", headers=PT_HEADERS, timeout=TIMEOUT)


def test_latency_rule_delays_only_matching_requests(emu):
    emu.add_fault("latency", path="/account/stats", latency_ms=300)
    start = time.monotonic()
    assert pt_stats(emu).status_code == 200
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    assert pt_send(emu).status_code == 200
    assert time.monotonic() - start < 0.25
    assert emu.requests(path="/account/stats")[0]["fault"] == "latency"


def test_global_latency_applies_to_api_requests_only(emu):
    emu.configure(latency_ms=200)
    start = time.monotonic()
    sp_send(emu)
    assert time.monotonic() - start >= 0.2
    start = time.monotonic()
    requests.get(emu.url + "/_emulator/health", timeout=TIMEOUT)
    assert time.monotonic() - start < 0.15


@pytest.mark.parametrize("status", [None, 503])
def test_server_error_is_vendor_shaped_and_not_processed(emu, status):
    emu.add_fault("server_error", http_status=status)
    expected = status or 500
    r = pt_send(emu)
    assert r.status_code == expected
    assert r.json() == {"code": expected, "message": r.json()["message"]}
    r = sp_send(emu)
    assert r.status_code == expected
    assert (r.json()["success"], r.json()["code"]) == (False, expected)
    assert emu.messages() == []
    assert [rec["fault"] for rec in emu.requests()] == ["server_error", "server_error"]


@pytest.mark.parametrize(("retry_after", "header"), [(None, "1"), (2, "2"), (0.5, "0.5")])
def test_rate_limit_is_429_with_retry_after(emu, retry_after, header):
    emu.add_fault("rate_limit", vendor="smspartner", retry_after=retry_after)
    r = sp_send(emu)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == header
    assert (r.json()["success"], r.json()["code"]) == (False, 429)
    assert emu.messages() == []
    assert pt_send(emu).status_code == 200  # other vendor untouched


def test_drop_gives_requests_a_connection_error_and_processes_nothing(emu):
    emu.add_fault("drop", path="/messages/send", count=1)
    start = time.monotonic()
    with pytest.raises(requests.exceptions.ConnectionError):
        pt_send(emu)
    assert time.monotonic() - start < 2
    assert emu.messages() == []
    record = emu.requests()[-1]
    assert (record["status"], record["fault"]) == (None, "drop")
    assert pt_send(emu).status_code == 200  # count=1: the next one goes through


def test_accept_then_drop_records_the_message_but_no_reply(emu):
    emu.add_fault("accept_then_drop", vendor="smspartner", path="/send")
    session = requests.Session()
    with pytest.raises(requests.exceptions.ConnectionError):
        sp_send(emu, session)
    [message] = emu.messages()
    assert message["recipient"] == "+33612345678"
    record = emu.requests(vendor="smspartner")[-1]
    assert (record["status"], record["fault"]) == (None, "accept_then_drop")
    # the balance was charged: the send really happened
    me = requests.get(emu.url + "/v1/me", params={"apiKey": SMSPARTNER_API_KEY}, timeout=TIMEOUT).json()
    assert me["credits"]["balance"] == "9999.955"


def test_accept_then_error_records_the_message_but_answers_500_without_body(emu):
    emu.add_fault("accept_then_error", vendor="smspartner", path="/send", count=1)
    r = sp_send(emu)
    assert (r.status_code, r.content) == (500, b"")
    [message] = emu.messages()
    assert (message["vendor"], message["recipient"]) == ("smspartner", "+33612345678")
    record = emu.requests(vendor="smspartner")[-1]
    assert (record["status"], record["fault"]) == (500, "accept_then_error")
    me = requests.get(emu.url + "/v1/me", params={"apiKey": SMSPARTNER_API_KEY}, timeout=TIMEOUT).json()
    assert me["credits"]["balance"] == "9999.955"  # charged: the send really happened
    assert sp_send(emu).json()["success"] is True  # count=1: the next reply is normal
    assert len(emu.messages()) == 2


def test_accept_then_error_over_http_with_a_chosen_status(emu):
    rule = {"kind": "accept_then_error", "vendor": "primotexto", "path": "/messages/send", "http_status": 502}
    r = requests.post(emu.url + "/_emulator/faults", json=rule, timeout=TIMEOUT)
    assert (r.status_code, r.json()["kind"]) == (201, "accept_then_error")
    reply = pt_send(emu)
    assert (reply.status_code, reply.content) == (502, b"")
    assert [m["vendor"] for m in emu.messages()] == ["primotexto"]
    assert pt_stats(emu).json()["credits"] == 9999  # one segment charged
    assert "accept_then_error" in FAULT_KINDS


def test_drops_reach_aiohttp_as_server_disconnected(emu):
    emu.add_fault("drop", vendor="primotexto")
    emu.add_fault("accept_then_drop", vendor="smspartner")

    async def run() -> list[type[BaseException]]:
        errors = []
        timeout = aiohttp.ClientTimeout(total=TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for url, kwargs in (
                ("/v2/notification/messages/send", {"json": PT_SEND, "headers": PT_HEADERS}),
                ("/v1/send", {"json": SP_SEND}),
            ):
                try:
                    async with session.post(emu.url + url, **kwargs) as response:
                        await response.read()
                except aiohttp.ClientError as exc:
                    errors.append(type(exc))
        return errors

    assert asyncio.run(run()) == [aiohttp.ServerDisconnectedError, aiohttp.ServerDisconnectedError]
    assert [m["vendor"] for m in emu.messages()] == ["smspartner"]


@pytest.mark.parametrize(
    ("vendor", "code", "http_status", "expected_status"),
    [
        ("primotexto", 71, None, 402),
        ("primotexto", 70, None, 403),
        ("primotexto", 76, 429, 429),
        ("smspartner", 10, None, 200),
        ("smspartner", 9, None, 400),
        ("smspartner", 96, 403, 403),
    ],
)
def test_vendor_error(emu, vendor, code, http_status, expected_status):
    emu.add_fault("vendor_error", vendor=vendor, code=code, http_status=http_status)
    r = pt_send(emu) if vendor == "primotexto" else sp_send(emu)
    assert r.status_code == expected_status
    body = r.json()
    assert body["code"] == code
    if vendor == "smspartner":
        assert body["success"] is False
    assert body["message"]
    assert emu.messages() == []


def test_after_and_count(emu):
    emu.add_fault("server_error", method="GET", path="/account/stats", after=2, count=1)
    assert [pt_stats(emu).status_code for _ in range(4)] == [200, 200, 500, 200]
    assert pt_send(emu).status_code == 200  # POST never matched


def test_first_terminal_rule_wins_and_latency_stacks(emu):
    emu.add_fault("latency", latency_ms=100)
    emu.add_fault("rate_limit", count=1)
    emu.add_fault("server_error", count=1)
    emu.add_fault("latency", latency_ms=100)
    start = time.monotonic()
    assert pt_stats(emu).status_code == 429
    assert time.monotonic() - start >= 0.2
    assert pt_stats(emu).status_code == 500  # the 5xx rule did not count the first request
    assert pt_stats(emu).status_code == 200


def test_clear_faults(emu):
    emu.add_fault("server_error")
    emu.clear_faults()
    assert pt_stats(emu).status_code == 200


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "explode"},
        {"kind": "latency"},
        {"kind": "server_error", "latency_ms": 10},
        {"kind": "vendor_error"},
        {"kind": "drop", "vendor": "twilio"},
        {"kind": "drop", "after": -1},
        {"kind": "server_error", "http_status": 99},
    ],
)
def test_add_fault_rejects_bad_arguments(emu, kwargs):
    kind = kwargs.pop("kind")
    with pytest.raises(ValueError):
        emu.add_fault(kind, **kwargs)
    r = requests.post(emu.url + "/_emulator/faults", json={"kind": kind, **kwargs}, timeout=TIMEOUT)
    assert r.status_code == 400
    assert r.json()["error"]


def test_faults_over_http(emu):
    r = requests.post(
        emu.url + "/_emulator/faults",
        json={"kind": "rate_limit", "vendor": "primotexto", "retry_after": 3, "count": 1},
        timeout=TIMEOUT,
    )
    assert r.status_code == 201
    assert r.json()["kind"] == "rate_limit"
    listed = requests.get(emu.url + "/_emulator/faults", timeout=TIMEOUT).json()
    assert [f["kind"] for f in listed] == ["rate_limit"]
    response = pt_stats(emu)
    assert (response.status_code, response.headers["Retry-After"]) == (429, "3")
    requests.post(emu.url + "/_emulator/faults", json={"kind": "server_error"}, timeout=TIMEOUT)
    assert requests.delete(emu.url + "/_emulator/faults", timeout=TIMEOUT).status_code == 200
    assert pt_stats(emu).status_code == 200
    unknown = requests.post(emu.url + "/_emulator/faults", json={"kind": "drop", "bogus": 1}, timeout=TIMEOUT)
    assert unknown.status_code == 400
