"""The operator's asyncio send path: intents before requests, and the same outcomes and journal as the
threaded path for every gateway fault."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.sending.async_batch import send_requests, send_requests_async
from airflow_provider_sms.sending.batch import send_requests_threaded
from airflow_provider_sms.sending.journal import SendJournal
from airflow_provider_sms.sending.run import SendRun
from airflow_provider_sms.toolkit.fanout import Breaker
from airflow_provider_sms.toolkit.task_store import TaskStateStore
from tests.helpers import gateways
from tests.helpers.gateways import CONN_IDS, SEND_PATHS
from tests.helpers.task_fakes import MemoryStore


def batch(vendor: str, recipients: list[str], store: MemoryStore, **journal_kwargs) -> SendRun:
    hook = get_sms_hook(CONN_IDS[vendor], max_attempts=2)
    validated = hook.validate_send(recipients, "Hi")
    journal = SendJournal(TaskStateStore(store), salt="d/r/t/-1", try_number=1, **journal_kwargs)
    return SendRun(hook, validated, journal, concurrency=4, breaker=Breaker(threshold=1000))


def run_path(vendor: str, recipients: list[str], path: str, concurrency: int = 4):
    """Send with the threaded or the asyncio path; return (report, journal entries as read by a retry)."""
    store = MemoryStore()
    run = batch(vendor, recipients, store)
    todo = list(run.send.recipients)
    if path == "async":
        report = asyncio.run(send_requests_async(run, todo, lambda i: None, concurrency))
    else:
        report = send_requests_threaded(run, todo, lambda i: None, concurrency)
    run.journal.flush()
    retry = SendJournal(TaskStateStore(store), salt="d/r/t/-1", try_number=2)
    retry.load()
    entries = {r: (e.status if (e := retry.lookup(r)) else None) for r in recipients}
    return report, entries


def summary(report) -> dict:
    return {
        "sent": sorted(r.recipient for r in report.sent),
        "skipped": sorted((s["recipient"], s["reason"]) for s in report.skipped),
        "failed": sorted(
            (f["recipient"], f["reason"], f["error"].get("error"), f["error"].get("code"))
            for f in report.failed
        ),
    }


FAULTS = {
    "drop": {},
    "accept_then_drop": {},
    "server_error": {"empty_body": True},
    "rate_limit": {"retry_after": 0},
    "vendor_error": {"http_status": 400, "code": 44},
}


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_the_async_path_classifies_and_journals_every_fault_like_the_threaded_one(emulator, vendor, kind):
    recipients = numbers(12 if vendor == "primotexto" else 3)
    results = {}
    for path in ("threads", "async"):
        emulator.reset()
        emulator.clear_faults()
        # Primotexto: requests 3 and 4 fail (one number each); SMS Partner: every request fails.
        after, count = (3, 2) if vendor == "primotexto" else (0, None)
        emulator.add_fault(
            kind, vendor=vendor, path=SEND_PATHS[vendor], after=after, count=count, **FAULTS[kind]
        )
        report, entries = run_path(vendor, recipients, path, concurrency=1)  # same order of arrival
        results[path] = (summary(report), entries)
    assert results["async"] == results["threads"]
    failed = results["async"][0]["failed"]
    assert failed, "the fault should fail some recipients"


def test_the_async_path_sends_what_the_threaded_one_sends(emulator, vendor):
    recipients = numbers(30)
    report, entries = run_path(vendor, recipients, "async")
    assert sorted(r.recipient for r in report.sent) == sorted(recipients)
    assert set(entries.values()) == {"accepted"}
    sent = [r for r in emulator.requests(vendor=vendor) if r["path"] == SEND_PATHS[vendor]]
    assert len(sent) == (30 if vendor == "primotexto" else 1)


def test_the_async_path_makes_each_intent_durable_before_its_request_leaves(emulator, monkeypatch):
    events: list[tuple[str, tuple[str, ...]]] = []
    store = MemoryStore()
    run = batch("primotexto", numbers(10), store, intent_window=2)
    real_intent, real_send = run.journal.ensure_intent, run.hook.asend_request

    def ensure_intent(request):
        real_intent(request)
        events.append(("intent", tuple(request.recipients)))

    async def asend_request(request, session=None):
        events.append(("send", tuple(request.recipients)))
        return await real_send(request, session)

    monkeypatch.setattr(run.journal, "ensure_intent", ensure_intent)
    monkeypatch.setattr(run.hook, "asend_request", asend_request)
    report = asyncio.run(send_requests_async(run, list(run.send.recipients), lambda i: None, 4))

    assert len(report.sent) == 10
    for position, (kind, recipients) in enumerate(events):
        if kind == "send":
            assert ("intent", recipients) in events[:position]


def test_a_running_event_loop_falls_back_to_the_threaded_path(emulator):
    store = MemoryStore()
    run = batch("primotexto", numbers(3), store)

    async def inside_a_loop():
        return send_requests(run, list(run.send.recipients), lambda i: None, 2)

    assert len(asyncio.run(inside_a_loop()).sent) == 3


def test_asend_request_gives_what_send_request_gives(emulator, vendor):
    hook = get_sms_hook(CONN_IDS[vendor])
    request = hook.validate_send(numbers(1), "Hi").request
    sync = hook.send_request(request)
    emulator.inject_stop(vendor, numbers(1)[0])
    assert len(sync.sent) == 1
    blocked = asyncio.run(hook.asend_request(request))
    assert blocked.blacklisted == numbers(1)
    assert not blocked.sent


def numbers(count: int, first: int = 41_000_000) -> list[str]:
    return gateways.numbers(count, first)
