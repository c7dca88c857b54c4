"""The running send's totals folded from its retry journal: parts written by the real journal
(``SendJournal`` over a ``task_state_store`` accessor kept in memory), then stored as the metadata
DB holds them (JSON text), whole, partial, cut short, compacted, or not a journal at all."""

from __future__ import annotations

import json

from airflow_provider_sms.model.results import SendResult
from airflow_provider_sms.plugins.ui_html import progress_section
from airflow_provider_sms.plugins.ui_journal import Progress, fold, in_progress
from airflow_provider_sms.sending.journal import COMPACT_AFTER, SendJournal
from airflow_provider_sms.toolkit.task_store import KEY_PREFIX, TaskStateStore
from tests.helpers.task_fakes import MemoryStore

NUMBERS = [f"+336123456{i:02d}" for i in range(10)]


def accepted(recipient: str) -> SendResult:
    return SendResult(message_id=f"m{recipient[-2:]}", recipient=recipient, credits_used=1.0, segments=1)


def stored(store: MemoryStore) -> dict[str, str]:
    """The accessor's keys as the view reads them: key suffix -> JSON text."""
    return {key[len(KEY_PREFIX) + 1 :]: json.dumps(value) for key, value in store.data.items()}


def try_one() -> tuple[MemoryStore, SendJournal]:
    """Ten recipients planned in four requests; the first two requests settled, the rest in flight."""
    store = MemoryStore()
    journal = SendJournal(TaskStateStore(store), salt="d/r/send/-1", try_number=1, flush_every=1)
    requests = journal.plan([NUMBERS[0:3], NUMBERS[3:5], NUMBERS[5:8], NUMBERS[8:10]], [None] * 4)
    journal.ensure_intent(requests[0])  # one write: every request's intent (one window)
    journal.record_accepted([accepted(n) for n in NUMBERS[0:2]])
    journal.record_not_sent([NUMBERS[2]])  # refused
    journal.record_unknown(NUMBERS[3:5], at=1000.0)  # reply lost
    journal.flush()
    return store, journal


def test_a_try_at_work_folds_to_its_totals():
    store, _ = try_one()
    progress = fold(stored(store), "task_state_store")
    assert progress == Progress(
        accepted=2,
        in_flight=5,
        unknown=2,
        not_sent=1,
        try_number=1,
        planned=10,
        parts=3,
        store="task_state_store",
    )
    page = progress_section(progress)
    assert "<b>7</b><span>in flight</span>" in page
    assert "of which 2 with a lost reply" in page
    assert "+336" not in page


def test_a_partial_journal_folds_as_far_as_it_is_readable():
    store, _ = try_one()
    parts = stored(store)
    assert fold({"0": parts["0"]}, "variable").in_flight == 10  # intents only: all in flight
    gap = {key: value for key, value in parts.items() if key != "1"}
    assert fold(gap, "variable").accepted == 0  # part 2 comes after the gap: not read
    cut = {**parts, "1": parts["1"][: len(parts["1"]) // 2]}
    assert fold(cut, "variable").parts == 1  # a half-written part stops the fold
    odd = {**parts, "1": json.dumps({"try": 1, "accepted": {"h": "not a triple"}})}
    assert fold(odd, "variable").parts == 1


def test_nothing_to_fold():
    assert fold({}, "task_state_store") is None
    assert fold({"head": json.dumps({"part": 4}), "0": json.dumps({"try": 1})}, "variable") is None
    external = {"0": json.dumps({"__airflow_state_ref__": "s3://bucket/key"})}
    assert fold(external, "task_state_store") is None  # stored by a worker-side backend
    assert "No progress recorded yet." in progress_section(None)


def test_a_retry_after_compaction_folds_from_the_snapshot():
    store, _ = try_one()
    extra = SendJournal(TaskStateStore(store), salt="d/r/send/-1", try_number=1, flush_every=1)
    extra.load()  # the same try, going on
    for number in NUMBERS[5:] * 4:  # more parts than the next try reads before it compacts
        extra.record_accepted([accepted(number)])
    assert len(store.data) > COMPACT_AFTER
    retry = SendJournal(TaskStateStore(store), salt="d/r/send/-1", try_number=2)
    retry.load()
    assert f"{KEY_PREFIX}.head" in store.data
    requests = retry.plan([NUMBERS[3:5]], [None])
    retry.ensure_intent(requests[0])

    progress = fold(stored(store), "task_state_store")
    assert (progress.accepted, progress.in_flight, progress.unknown) == (7, 2, 0)
    assert (progress.try_number, progress.planned) == (2, 2)
    assert progress.parts < len(store.data) - 1  # from the head on, not every part


def test_which_states_read_the_journal():
    assert [in_progress(s) for s in ("running", "up_for_retry", "queued", None)] == [True] * 4
    assert [in_progress(s) for s in ("success", "failed", "skipped")] == [False] * 3
