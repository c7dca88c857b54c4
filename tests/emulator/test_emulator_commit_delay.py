"""The ``commit_delay`` fault: a send answered as usual but committed (recorded, charged, visible to
status calls and figures) some seconds after its request arrived, e.g. after the client gave up."""

from __future__ import annotations

import time

import pytest
import requests

from airflow_provider_sms.emulator import FAULT_KINDS

TIMEOUT = 5
COMMIT = 0.6  # seconds


def health(emu):
    return requests.get(emu.url + "/_emulator/health", timeout=TIMEOUT).json()


def wait_for_commits(emu, timeout=5.0):
    deadline = time.monotonic() + timeout
    while health(emu)["pending_commits"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert health(emu)["pending_commits"] == 0


def test_primotexto_send_is_committed_late(emu, pt):
    emu.add_fault("commit_delay", path="/messages/send", commit_delay=COMMIT, count=1)
    start = time.monotonic()
    reply = pt.post("/notification/messages/send", {"number": "0612345678", "message": "hi", "category": "c"})
    assert time.monotonic() - start < COMMIT / 2  # the reply is not delayed
    sid = reply.json()["snapshotId"]
    assert reply.json()["creditsUsed"] == 1.0
    assert pt.get("/messages/status", {"snapshotId": sid}).status_code == 404  # not committed yet
    assert pt.get("/messages/status", {"identifier": "0612345678"}).status_code == 404
    assert pt.get("/account/stats").json()["credits"] == 10000  # not charged yet
    assert pt.get("/messages/stats", {"category": "c"}).json()["sent"] == 0
    assert (emu.messages(), health(emu)["pending_commits"]) == ([], 1)
    wait_for_commits(emu)
    assert time.monotonic() - start >= COMMIT
    status = pt.get("/messages/status", {"snapshotId": sid}).json()
    assert status["sent"] / 1000 >= time.time() - 1  # dated at the commit
    assert pt.get("/account/stats").json()["credits"] == 9999
    assert pt.get("/messages/stats", {"category": "c"}).json()["sent"] == 1
    assert emu.requests()[0]["fault"] == "commit_delay"


def test_smspartner_commit_after_the_client_timed_out(emu, sp):
    # the reply takes 0.5 s, the client waits 0.2 s, the gateway commits at 1.5 s
    emu.add_fault("latency", vendor="smspartner", path="/v1/send", latency_ms=500)
    emu.add_fault("commit_delay", vendor="smspartner", path="/v1/send", commit_delay=1.5)
    body = {"apiKey": sp.api_key, "phoneNumbers": "0612345678,0612345679", "message": "hi", "tag": "late"}
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(sp.base + "/send", json=body, timeout=0.2)
    time.sleep(0.5)  # the reply has been written; nothing committed yet
    assert sp.get("/bulk-status-by-tag", {"tag": "late"}).json()["code"] == 4
    assert sp.get("/me").json()["credits"]["balance"] == "10000.000"
    wait_for_commits(emu)
    data = sp.get("/bulk-status-by-tag", {"tag": "late"}).json()
    assert [e["phoneNumber"] for e in data["StatutResponse_List"]] == ["+33612345678", "+33612345679"]
    assert sp.get("/me").json()["credits"]["balance"] == "9999.910"
    assert emu.requests()[0]["fault"] == "latency+commit_delay"


def test_commit_delay_with_accept_then_drop(emu, sp):
    emu.add_fault("commit_delay", vendor="smspartner", commit_delay=COMMIT)
    emu.add_fault("accept_then_drop", vendor="smspartner", path="/send", count=1)
    body = {"apiKey": sp.api_key, "phoneNumbers": "0612345678", "message": "hi", "tag": "drop"}
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(sp.base + "/send", json=body, timeout=TIMEOUT)
    assert emu.messages() == []
    wait_for_commits(emu)
    [message] = emu.messages()
    assert (message["recipient"], message["category"]) == ("+33612345678", "drop")
    assert emu.requests()[0]["fault"] == "accept_then_drop"


def test_a_commit_delay_shorter_than_the_latency_commits_before_the_reply(emu, pt):
    emu.add_fault("latency", latency_ms=300)
    emu.add_fault("commit_delay", commit_delay=0.1)
    sid = pt.post("/notification/messages/send", {"number": "0612345678", "message": "hi"}).json()[
        "snapshotId"
    ]
    assert health(emu)["pending_commits"] == 0
    assert [m["message_id"] for m in emu.messages()] == [sid]


def test_reset_drops_pending_commits(emu, pt):
    emu.add_fault("commit_delay", commit_delay=0.3)
    pt.post("/notification/messages/send", {"number": "0612345678", "message": "hi"})
    emu.reset()
    assert health(emu)["pending_commits"] == 0
    time.sleep(0.4)
    assert emu.messages() == []
    assert pt.get("/account/stats").json()["credits"] == 10000


def test_refused_sends_commit_nothing(emu, sp):
    emu.add_fault("commit_delay", commit_delay=0.1)
    assert sp.post("/send", {"phoneNumbers": "0612345678"}).json()["code"] == 43
    assert health(emu)["pending_commits"] == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "commit_delay"},
        {"kind": "commit_delay", "commit_delay": -1},
        {"kind": "latency", "latency_ms": 10, "commit_delay": 1},
        {"kind": "server_error", "commit_delay": 1},
    ],
)
def test_bad_commit_delay_rules(emu, kwargs):
    kind = kwargs.pop("kind")
    with pytest.raises(ValueError):
        emu.add_fault(kind, **kwargs)
    r = requests.post(emu.url + "/_emulator/faults", json={"kind": kind, **kwargs}, timeout=TIMEOUT)
    assert r.status_code == 400


def test_commit_delay_rule_over_http(emu, pt):
    rule = {"kind": "commit_delay", "path": "/messages/send", "commit_delay": 0.2, "count": 1}
    r = requests.post(emu.url + "/_emulator/faults", json=rule, timeout=TIMEOUT)
    assert (r.status_code, r.json()["commit_delay"]) == (201, 0.2)
    assert "commit_delay" in FAULT_KINDS
    pt.post("/notification/messages/send", {"number": "0612345678", "message": "hi"})
    assert health(emu)["pending_commits"] == 1
    wait_for_commits(emu)
    assert len(emu.messages()) == 1
