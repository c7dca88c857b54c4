"""The retry journal on its own: parts, flushing, ordering, privacy, store selection."""

from __future__ import annotations

import json

import pytest

from airflow_provider_sms.exceptions import SmsJournalError
from airflow_provider_sms.results import SendResult
from airflow_provider_sms.sending.journal import (
    ACCEPTED,
    UNKNOWN,
    SendJournal,
    TaskStateStoreJournal,
    VariableJournal,
    store_for,
)

A, B, C = "+33612345601", "+33612345602", "+33612345603"


class MemoryStore:
    def __init__(self) -> None:
        self.data: dict[str, object] = {}
        self.sets = 0

    def get(self, key, default=None):
        return self.data.get(key, default)

    def set(self, key, value, *, retention=None):
        self.sets += 1
        self.data[key] = json.loads(json.dumps(value))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def result(recipient: str, message_id: str = "m1") -> SendResult:
    return SendResult(message_id=message_id, recipient=recipient, credits_used=1.0, segments=1, vendor="x")


def journal(store: MemoryStore, try_number: int = 1, **kwargs) -> SendJournal:
    return SendJournal(TaskStateStoreJournal(store), salt="dag/run/task/-1", try_number=try_number, **kwargs)


def test_accepted_results_are_buffered_then_written_as_one_part():
    store = MemoryStore()
    first = journal(store, flush_every=3, flush_interval=60)

    first.record_accepted([result(A), result(B)])
    assert store.sets == 0
    assert first.pending == 2
    first.record_accepted([result(C)])
    assert store.sets == 1
    assert first.pending == 0
    assert list(store.data) == ["sms_send_journal.0"]


def test_a_buffer_older_than_the_interval_is_flushed():
    store, clock = MemoryStore(), Clock()
    first = journal(store, flush_every=100, flush_interval=2.0, clock=clock)

    first.record_accepted([result(A)])
    clock.now = 1.9
    first.record_accepted([result(B)])
    assert store.sets == 0
    clock.now = 2.0
    first.record_accepted([result(C)])
    assert store.sets == 1


def test_unknown_outcomes_are_written_at_once():
    store = MemoryStore()
    journal(store, flush_every=100).record_unknown([A], at=123.0)
    assert store.sets == 1


def test_a_retry_reads_every_part_and_a_later_acceptance_wins():
    store = MemoryStore()
    first = journal(store, flush_every=1)
    first.record_accepted([result(A, "m-a")])
    first.record_unknown([B, C], at=50.0)
    second = journal(store, try_number=2, flush_every=1)
    assert second.load() == 3
    second.record_accepted([result(B, "m-b")])
    second.record_unknown([A], at=99.0)  # cannot demote an acceptance read back on load
    second.flush()

    third = journal(store, try_number=3)
    assert third.load() == 3
    assert third.parts == 4
    a, b, c = (third.lookup(n) for n in (A, B, C))
    assert (a.status, a.message_id, a.try_number) == (ACCEPTED, "m-a", 1)
    assert (b.status, b.message_id, b.try_number) == (ACCEPTED, "m-b", 2)
    assert (c.status, c.at) == (UNKNOWN, 50.0)
    assert third.lookup("+33612345699") is None


def test_a_new_try_appends_parts_after_the_existing_ones():
    store = MemoryStore()
    journal(store, flush_every=1).record_accepted([result(A)])
    second = journal(store, try_number=2, flush_every=1)
    second.load()
    second.record_accepted([result(B)])
    assert sorted(store.data) == ["sms_send_journal.0", "sms_send_journal.1"]
    assert store.data["sms_send_journal.1"]["try"] == 2


def test_numbers_are_stored_as_keyed_hashes_only():
    store = MemoryStore()
    first = journal(store, flush_every=1)
    first.record_accepted([result(A)])
    first.record_unknown([B], at=1.0)
    text = json.dumps(store.data)
    for number in (A, B):
        assert number not in text
        assert number[1:] not in text
        assert number[3:] not in text
    other_scope = SendJournal(TaskStateStoreJournal(MemoryStore()), salt="dag/run/task/0")
    assert other_scope.digest(A) != first.digest(A)  # one task instance's hashes say nothing of another's


def test_a_failed_write_keeps_the_entries_for_the_next_flush():
    class Flaky(MemoryStore):
        fail = True

        def set(self, key, value, *, retention=None):
            if self.fail:
                raise RuntimeError("down")
            super().set(key, value)

    store = Flaky()
    first = journal(store, flush_every=1)
    first.record_accepted([result(A)])  # the worker-thread flush fails quietly
    assert first.pending == 1
    with pytest.raises(SmsJournalError, match="1 recipient"):
        first.flush()
    store.fail = False
    first.flush()
    assert first.pending == 0
    assert first.parts == 1


def test_the_store_is_the_task_state_store_when_the_context_has_one():
    class TI:
        dag_id, run_id, task_id, map_index = "dag", "manual__2026-01-01T00:00:00+00:00", "send", 3

    assert isinstance(store_for({"ti": TI(), "task_state_store": MemoryStore()}), TaskStateStoreJournal)
    fallback = store_for({"ti": TI()})
    assert isinstance(fallback, VariableJournal)
    assert fallback.key(12).startswith("sms_send_journal.")
    assert len(fallback.key(12)) < 250
    other = VariableJournal(("dag", "manual__2026-01-01T00:00:00+00:00", "send", 4))
    assert other.key(0) != fallback.key(0)  # one key space per map index
