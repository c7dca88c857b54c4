"""The shared transport: one request builder, one retry policy for ``call`` and ``acall``, one session.

Every request goes over real HTTP to the emulator; faults come from its fault injection. Sleeps are
recorded instead of slept (``RetryPolicy.sleep`` / ``async_sleep``), so the waits can be compared.
"""

from __future__ import annotations

import asyncio
import threading
import time
import traceback
from dataclasses import replace

import pytest
import requests

from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY, SMSPARTNER_API_KEY
from airflow_provider_sms.exceptions import SmsOutcomeUnknownError, SmsServerError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.hooks.primotexto import PrimotextoHook
from airflow_provider_sms.hooks.retry import RetryPolicy
from airflow_provider_sms.hooks.transport import (
    DEFAULT_MAX_ATTEMPTS,
    MAX_BACKOFF_SECONDS,
    Call,
    GatewayTransport,
    build_request,
)

NUMBER = "+33612345678"
KEYS = {"primotexto": PRIMOTEXTO_API_KEY, "smspartner": SMSPARTNER_API_KEY}
READS = {
    "primotexto": Call("GET", "/v2/account/stats", operation="read the account stats"),
    "smspartner": Call("GET", "/v1/me", operation="read the account credits"),
}
SENDS = {
    "primotexto": Call(
        "POST",
        "/v2/notification/messages/send",
        body={"number": NUMBER, "message": "hi"},
        idempotent=False,
        operation="send an SMS",
    ),
    "smspartner": Call(
        "POST",
        "/v1/send",
        body={"phoneNumbers": NUMBER, "message": "hi"},
        idempotent=False,
        operation="send an SMS",
    ),
}


class _LogRecorder:
    """Stands in for the hook's logger inside the policy: keeps the retry warnings, passes them on."""

    def __init__(self, log) -> None:
        self.log, self.lines = log, []

    def warning(self, message: str, *args) -> None:
        self.lines.append(message % args)
        self.log.warning(message, *args)


def recording(hook, monkeypatch) -> tuple[list[float], list[str]]:
    """Make ``hook`` record its retry waits (both paths) instead of sleeping them, and its warnings."""
    waits: list[float] = []
    log = _LogRecorder(hook.log)
    policy_of = hook.transport.retry_policy

    async def async_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(
        hook.transport,
        "retry_policy",
        lambda call: replace(policy_of(call), sleep=waits.append, async_sleep=async_sleep, log=log),
    )
    return waits, log.lines


def run(emulator, monkeypatch, conn_id, vendor, call, path, fault, max_attempts):
    """Start from a clean emulator with ``fault``, make ``call`` on ``path``; return what happened."""
    emulator.reset()
    emulator.add_fault(**fault)
    hook = get_sms_hook(conn_id, max_attempts=max_attempts)
    waits, warnings = recording(hook, monkeypatch)
    try:
        if path == "sync":
            hook.call(call)
        else:
            asyncio.run(hook.acall(call))
        outcome = "ok"
    except Exception as exc:
        outcome = type(exc).__name__
    return {
        "outcome": outcome,
        "statuses": [r["status"] for r in emulator.requests(vendor=vendor)],
        "waits": waits,
        "retry_log_lines": warnings,
        "accepted": len(emulator.messages(vendor=vendor)),
    }


# (call kind, fault, max_attempts, expected outcome, statuses, waits, accepted)
CASES = {
    "read-503-once": ("read", {"kind": "server_error", "http_status": 503, "count": 1}, 4, "ok", [503, 200], [0.5], 0),
    "read-503-always": ("read", {"kind": "server_error", "http_status": 503}, 3, "SmsServerError", [503] * 3, [0.5, 1.0], 0),
    "read-429-twice": ("read", {"kind": "rate_limit", "count": 2, "retry_after": 0}, 4, "ok", [429, 429, 200], [0.0, 0.0], 0),
    "read-drop-once": ("read", {"kind": "drop", "count": 1}, 4, "ok", None, [0.5], 0),
    "send-500": ("send", {"kind": "server_error", "http_status": 500, "path": "send", "empty_body": True}, 4, "SmsOutcomeUnknownError", [500], [], 0),
    "send-429-once": ("send", {"kind": "rate_limit", "count": 1, "retry_after": 0, "path": "send"}, 4, "ok", [429, 200], [0.0], 1),
    "send-drop": ("send", {"kind": "drop", "path": "send"}, 4, "SmsOutcomeUnknownError", None, [], 0),
    "send-accept-then-drop": ("send", {"kind": "accept_then_drop", "path": "send"}, 4, "SmsOutcomeUnknownError", None, [], 1),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_sync_and_async_paths_retry_the_same_way(case, conn_id, vendor, emulator, monkeypatch):
    kind, fault, attempts, outcome, statuses, waits, accepted = CASES[case]
    call = (READS if kind == "read" else SENDS)[vendor]
    sync = run(emulator, monkeypatch, conn_id, vendor, call, "sync", fault, attempts)
    async_ = run(emulator, monkeypatch, conn_id, vendor, call, "async", fault, attempts)
    assert sync == async_
    assert sync["outcome"] == outcome
    assert sync["waits"] == waits
    assert len(sync["retry_log_lines"]) == len(waits)
    assert all("retrying in" in line and KEYS[vendor] not in line for line in sync["retry_log_lines"])
    assert sync["accepted"] == accepted
    if statuses is not None:
        assert sync["statuses"] == statuses
    else:
        assert len(sync["statuses"]) == len(waits) + 1


@pytest.mark.parametrize("path", ["sync", "async"])
def test_a_send_is_not_retried_on_500_but_is_on_429(path, conn_id, vendor, emulator, monkeypatch):
    failed = run(emulator, monkeypatch, conn_id, vendor, SENDS[vendor], path,
                 {"kind": "server_error", "http_status": 500, "path": "send", "count": 1, "empty_body": True}, 4)  # fmt: skip
    assert (failed["outcome"], failed["statuses"], failed["accepted"]) == ("SmsOutcomeUnknownError", [500], 0)
    limited = run(emulator, monkeypatch, conn_id, vendor, SENDS[vendor], path,
                  {"kind": "rate_limit", "path": "send", "count": 1, "retry_after": 0}, 4)  # fmt: skip
    assert (limited["outcome"], limited["statuses"], limited["accepted"]) == ("ok", [429, 200], 1)


@pytest.mark.parametrize("path", ["sync", "async"])
@pytest.mark.parametrize(("retry_after", "waited"), [(2, 2.0), (0.25, 0.25), (600, MAX_BACKOFF_SECONDS)])
def test_retry_after_is_honoured_and_capped(
    path, retry_after, waited, conn_id, vendor, emulator, monkeypatch, caplog
):
    for call in (READS[vendor], SENDS[vendor]):
        fault = {"kind": "rate_limit", "count": 1, "retry_after": retry_after}
        seen = run(emulator, monkeypatch, conn_id, vendor, call, path, fault, 4)
        assert (seen["outcome"], seen["statuses"], seen["waits"]) == ("ok", [429, 200], [waited])


def test_backoff_doubles_from_half_a_second_and_is_capped():
    policy = RetryPolicy(max_attempts=10)
    assert [policy.delay(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert policy.delay(1, retry_after=7) == 7
    assert policy.delay(3, retry_after=0) == 0
    assert RetryPolicy().max_attempts == DEFAULT_MAX_ATTEMPTS == 4
    assert not RetryPolicy(idempotent=False).should_retry(SmsOutcomeUnknownError("x"))
    assert not RetryPolicy(idempotent=False).should_retry(SmsServerError("x"))
    assert RetryPolicy(idempotent=True).should_retry(SmsServerError("x"))


@pytest.mark.parametrize("path", ["sync", "async"])
def test_errors_carry_no_context_holding_the_url_or_key(path, emulator, monkeypatch):
    emulator.add_fault("drop", vendor="smspartner")  # the key travels in the query string here
    hook = get_sms_hook("emu_smspartner", max_attempts=2)
    recording(hook, monkeypatch)
    with pytest.raises(SmsServerError) as info:
        hook.call(READS["smspartner"]) if path == "sync" else asyncio.run(hook.acall(READS["smspartner"]))
    exc = info.value
    assert exc.__cause__ is None
    assert exc.__context__ is None
    assert exc.__suppress_context__
    text = "".join(traceback.format_exception(exc))
    assert SMSPARTNER_API_KEY not in text
    assert "apiKey" not in text


def test_both_paths_build_the_same_request(emulator):
    hook = get_sms_hook("emu_smspartner")
    call = Call("GET", "/v1/subaccount/list", params={"page": 2, "skip": None})
    request = build_request(call, hook.settings, hook._authenticate)
    assert request.url == emulator.url + "/v1/subaccount/list"
    assert request.params == [("page", "2"), ("apiKey", SMSPARTNER_API_KEY)]
    assert SMSPARTNER_API_KEY not in repr(request)
    hook.call(call)
    asyncio.run(hook.acall(call))
    sync, async_ = emulator.requests(vendor="smspartner", path="/subaccount/list")
    for key in ("method", "path", "query", "body", "status"):
        assert sync[key] == async_[key]
    assert sync["query"]["page"] == "2"
    assert "skip" not in sync["query"]
    primotexto = get_sms_hook("emu_primotexto")
    request = build_request(SENDS["primotexto"], primotexto.settings, primotexto._authenticate)
    assert request.headers == {"X-Primotexto-ApiKey": PRIMOTEXTO_API_KEY}
    assert request.json == SENDS["primotexto"].body


class _SlowSession(requests.Session):
    """A session whose creation takes long enough for racing threads to overlap."""

    created: list[_SlowSession] = []

    def __init__(self) -> None:
        type(self).created.append(self)
        time.sleep(0.05)
        super().__init__()


def _race(get, threads: int = 16) -> list[object]:
    barrier = threading.Barrier(threads)
    seen: list[object] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        value = get()
        with lock:
            seen.append(value)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=10)
    return seen


@pytest.fixture
def slow_sessions(monkeypatch):
    _SlowSession.created = []
    monkeypatch.setattr(requests, "Session", _SlowSession)
    return _SlowSession.created


def test_threads_asking_at_once_get_one_session(slow_sessions, emulator):
    hook = PrimotextoHook("emu_primotexto", pool_size=16)
    seen = _race(lambda: hook.session)
    assert len(seen) == 16
    assert len({id(s) for s in seen}) == 1
    assert len(slow_sessions) == 1
    assert hook.get_conn() is seen[0]
    assert "credits" in hook.get_account_stats()
    assert emulator.requests()[-1]["status"] == 200


def test_close_is_safe_and_a_new_session_follows(slow_sessions, emulator):
    hook = PrimotextoHook("emu_primotexto", pool_size=8)
    hook.close()  # before any session: nothing to do
    first = hook.session
    _race(hook.close, threads=8)  # many closes at once: one of them closes it, none fails
    second = hook.session
    assert second is not first
    assert len(slow_sessions) == 2
    assert "credits" in hook.get_account_stats()
    hook.close()
    hook.close()


def test_session_lock_does_not_depend_on_the_hook(slow_sessions):
    class Bare:  # a bare owner: the transport's lock is its own (class-level), not the hook's
        pool_size = 4

    bare = GatewayTransport(Bare())  # type: ignore[arg-type]
    seen = _race(lambda: bare.session, threads=8)
    assert len({id(s) for s in seen}) == 1
    assert len(slow_sessions) == 1
    bare.close()


@pytest.mark.parametrize("path", ["sync", "async"])
@pytest.mark.parametrize("http_status", [200, 500])
def test_smspartner_refusal_with_its_own_code_500_is_not_an_unknown_outcome(
    path, http_status, emulator, monkeypatch
):
    """``{"success": false, "code": 500, "message": "could not enqueue"}``: nothing was queued."""
    fault = {"kind": "vendor_error", "code": 500, "http_status": http_status, "path": "send", "count": 1}
    seen = run(emulator, monkeypatch, "emu_smspartner", "smspartner", SENDS["smspartner"], path, fault, 4)
    assert (seen["outcome"], seen["statuses"], seen["accepted"]) == ("SmsServerError", [http_status], 0)
