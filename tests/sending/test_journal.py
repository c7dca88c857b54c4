"""The retry journal on its own: parts, flushing, ordering, privacy, store selection."""

from __future__ import annotations

import json

import pytest

from airflow_provider_sms.exceptions import SmsJournalError
from airflow_provider_sms.model.results import SendResult
from airflow_provider_sms.sending.journal import SendJournal
from airflow_provider_sms.sending.journal_parts import ACCEPTED, UNKNOWN
from airflow_provider_sms.toolkit.task_store import TaskStateStore, VariableStore, store_for
from tests.helpers.task_fakes import MemoryStore

A, B, C = "+33612345601", "+33612345602", "+33612345603"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def result(recipient: str, message_id: str = "m1") -> SendResult:
    return SendResult(message_id=message_id, recipient=recipient, credits_used=1.0, segments=1, vendor="x")


def journal(store: MemoryStore, try_number: int = 1, **kwargs) -> SendJournal:
    return SendJournal(TaskStateStore(store), salt="dag/run/task/-1", try_number=try_number, **kwargs)


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
    other_scope = SendJournal(TaskStateStore(MemoryStore()), salt="dag/run/task/0")
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

    assert isinstance(store_for({"ti": TI(), "task_state_store": MemoryStore()}), TaskStateStore)
    fallback = store_for({"ti": TI()})
    assert isinstance(fallback, VariableStore)
    assert fallback.key(12).startswith("sms_send_journal.")
    assert len(fallback.key(12)) < 250
    other = VariableStore(("dag", "manual__2026-01-01T00:00:00+00:00", "send", 4))
    assert other.key(0) != fallback.key(0)  # one key space per map index


def numbers(count: int) -> list[str]:
    return [f"+33612{i:06d}" for i in range(count)]


def state(j: SendJournal, recipients: list[str]) -> list:
    return [(e.status, e.message_id, e.tag, e.at) if (e := j.lookup(r)) else None for r in recipients]


def test_intents_without_outcomes_read_back_as_unknown_with_their_tag():
    store = MemoryStore()
    first = journal(store)
    a, b, c = first.plan([[A], [B], [C]], ["t-a", "t-b", "t-c"])
    first.ensure_intent(a)  # one write covers the whole window: A, B and C
    assert store.sets == 1
    first.ensure_intent(b)
    first.ensure_intent(c)
    assert store.sets == 1
    first.record_accepted([result(A, "m-a")])
    first.record_not_sent([C])  # refused: plainly not sent
    first.flush()
    second = journal(store, try_number=2)
    second.load()
    assert second.lookup(A).status == ACCEPTED
    assert (second.lookup(B).status, second.lookup(B).tag) == (UNKNOWN, "t-b")  # crashed in flight
    assert second.lookup(C) is None  # to send again


def test_a_long_journal_is_compacted_into_a_snapshot_the_next_try_starts_from():
    store = MemoryStore()
    first = journal(store, flush_every=1)
    everyone = numbers(60)
    for number in everyone[:50]:
        first.record_accepted([result(number, f"m-{number[-3:]}")])
    first.record_unknown(everyone[50:55], at=123.0, tag="sms0001")
    assert first.parts == 51
    second = journal(store, try_number=2, flush_every=1)
    second.load()  # 51 parts read: over the threshold, so a snapshot is written
    head = store.data["sms_send_journal.head"]["part"]
    assert head == 51
    assert second.parts > head
    third = journal(store, try_number=3)
    reads = []
    original = TaskStateStore.read

    def spy(self, part):
        reads.append(part)
        return original(self, part)

    TaskStateStore.read = spy
    try:
        third.load()
    finally:
        TaskStateStore.read = original
    assert reads[0] == head
    assert len(reads) <= 3  # the snapshot and the missing key after it
    assert state(third, everyone) == state(second, everyone)
    assert state(third, everyone)[:2] == [(ACCEPTED, "m-000", None, None), (ACCEPTED, "m-001", None, None)]
    assert state(third, everyone)[50] == (UNKNOWN, None, "sms0001", 123.0)
    assert state(third, everyone)[55:] == [None] * 5


def test_a_crash_before_the_head_moves_loses_nothing():
    store = MemoryStore()
    first = journal(store, flush_every=1)
    everyone = numbers(30)
    for number in everyone[:25]:
        first.record_accepted([result(number)])
    first.record_unknown(everyone[25:], at=5.0, tag="t")

    class NoHead(TaskStateStore):
        def write_head(self, part):
            raise RuntimeError("worker killed")

    second = SendJournal(NoHead(store), salt="dag/run/task/-1", try_number=2)
    second.load()  # snapshot parts written, head not moved
    assert "sms_send_journal.head" not in store.data
    third = journal(store, try_number=3)
    third.load()
    assert state(third, everyone) == state(second, everyone)
