"""once_per_run: one DAG run pages a number once, whatever number of callbacks fail in it.

Under ``dag.test()`` (real Airflow, Variables through the Task SDK, the emulator over HTTP) and, for
the claim protocol's races, on a shared in-memory store with the interleavings spelled out."""

from __future__ import annotations

import importlib
import json
import logging

import pytest
from airflow.sdk import DAG

from airflow_provider_sms.notifications.run_claims import PAGED, Caller, MemoryClaims, RunClaims
from airflow_provider_sms.notifications.sms import SmsNotifier, caller_of, run_of

ON_CALL = "+33639980111"
OTHER = "+33698765432"
TASKS = {"load_orders", "load_stock", "load_prices", "load_customers"}


def logged(capfd, caplog) -> list[str]:
    """Log lines of the run: task processes log through structlog (stdout), callbacks run by
    ``dag.test()`` itself through logging."""
    out, err = capfd.readouterr()
    return [*out.splitlines(), *err.splitlines(), *(r.getMessage() for r in caplog.records)]


def test_four_failing_tasks_and_the_dag_page_once_under_dag_test(
    conn_id, emulator, airflow_db, capfd, caplog
):
    dag = importlib.import_module("tests.dags.notify_once_per_run").dag
    with caplog.at_level(logging.INFO):
        dr = dag.test(run_conf={"sms_conn_id": conn_id, "on_call": ON_CALL})
    lines = logged(capfd, caplog)
    assert dr.state == "failed"
    assert {ti.task_id: ti.state for ti in dr.get_task_instances()} == dict.fromkeys(TASKS, "failed")
    messages = emulator.messages()
    assert [m["recipient"] for m in messages] == [ON_CALL], [m["text"] for m in messages]
    [sms] = messages
    first = next(task for task in TASKS if f"Airflow: task {task} failed" in sms["text"])
    assert f"Run: {dr.run_id}" in sms["text"]
    # The 3 other tasks and the DAG's callback sent nothing, and said which callback paged.
    suppressed = [line for line in lines if "already paged it in this run" in line]
    askers = {line.split("SMS notification (")[1].split(")")[0] for line in suppressed}
    assert askers == {"DAG", *(f"{task} try 1" for task in TASKS - {first})}, suppressed
    assert all(f"{first} try 1 already paged" in line for line in suppressed), suppressed
    assert all("+3363****11" in line for line in suppressed), suppressed
    assert not [line for line in lines if ON_CALL in line or ON_CALL[3:] in line]
    assert not [line for line in lines if "without the once-per-run check" in line]
    # A second run pages again: the claim is per run.
    again = dag.test(run_conf={"sms_conn_id": conn_id, "on_call": ON_CALL})
    assert again.run_id != dr.run_id
    assert len(emulator.messages()) == 2


def test_a_repeated_callback_for_the_same_try_sends_nothing(emulator, airflow_db, capfd, caplog):
    dag = importlib.import_module("tests.dags.notify_repeated_callback").dag
    with caplog.at_level(logging.INFO):
        dr = dag.test(run_conf={"sms_conn_id": "emu_primotexto", "recipients": ON_CALL})
    assert dr.state == "failed"
    assert len(emulator.messages()) == 1
    lines = logged(capfd, caplog)
    assert [line for line in lines if "this same callback already paged it in this run" in line], lines


def test_once_per_run_false_sends_every_time(emulator, airflow_db):
    notifier = SmsNotifier(sms_conn_id="emu_smspartner", recipients=ON_CALL, once_per_run=False)
    context = {"dag": DAG(dag_id="nightly", schedule=None), "run_id": "manual__1", "ti": Ti("load", 1)}
    notifier(context)
    notifier(context)
    assert len(emulator.messages()) == 2


class Ti:
    dag_id = "nightly"
    run_id = "manual__1"
    map_index = -1

    def __init__(self, task_id: str, try_number: int) -> None:
        self.task_id, self.try_number = task_id, try_number


def test_scope_and_caller_from_the_context():
    assert run_of({"ti": Ti("load", 2)}) == ("nightly", "manual__1")
    assert run_of({"params": {}}) is None  # outside a run: no claim, the SMS goes
    assert caller_of({"ti": Ti("load", 2)}) == Caller("load", -1, 2)
    assert caller_of({"ti": Ti("load", 2), "reason": "task_failure"}) == Caller("DAG")
    assert Caller("load", 3, 1).describe() == "load[3] try 1"


class Clock:
    """A monotonic clock that only ``sleep`` moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def claims(store, clock: Clock, run_id: str = "manual__1") -> RunClaims:
    return RunClaims(store, "nightly", run_id, settle=2.0, clock=clock, sleep=clock.sleep)


def test_the_first_claim_wins_and_the_others_see_it():
    store, clock = MemoryClaims(), Clock()
    first = claims(store, clock).claim([ON_CALL, OTHER], Caller("a", -1, 1))
    assert sorted(first.won) == sorted([ON_CALL, OTHER])
    later = claims(store, clock).claim([ON_CALL], Caller("b", -1, 1))
    assert later.won == []
    assert later.taken[ON_CALL]["task"] == "a"
    assert claims(store, clock, "manual__2").claim([ON_CALL], Caller("b", -1, 1)).won == [ON_CALL]
    # No number in any key, value or description.
    assert all(ON_CALL not in k and ON_CALL[1:] not in v for k, v in store.values.items())


class Interleaved(MemoryClaims):
    """A store on which ``before_first_write`` runs just before this caller's first write lands."""

    def __init__(self, shared: MemoryClaims, before_first_write) -> None:
        super().__init__()
        self.values = shared.values
        self.before_first_write = before_first_write

    def set(self, key: str, value: str, description: str) -> None:
        hook, self.before_first_write = self.before_first_write, None
        if hook is not None:
            hook()
        super().set(key, value, description)


def test_two_callbacks_reading_at_once_one_wins():
    """a and b both read "no claim"; b's write lands first, then a's: a reads its own token back
    and pages, b (confirming after a's write) reads a's and does not."""
    shared, clock = MemoryClaims(), Clock()
    b_claim = '{"token":"b-token","task":"b","map_index":-1,"try":1}'

    def b_writes_first():
        shared.set(claims(shared, clock).key(ON_CALL), b_claim, "")

    a = claims(Interleaved(shared, b_writes_first), clock).claim([ON_CALL], Caller("a", -1, 1))
    assert a.won == [ON_CALL]
    confirmed_by_b = json.loads(shared.get(claims(shared, clock).key(ON_CALL)) or "{}")
    assert confirmed_by_b["token"] != "b-token"
    assert confirmed_by_b["task"] == "a"


def test_a_callback_slower_than_settle_between_read_and_write_starts_over():
    """b reads (nothing), then stalls; meanwhile a claims, confirms, marks and pages; b's write
    lands late and overwrites a's claim, but b saw how long it took: it reads again and finds a's
    mark instead of paging a second time."""
    shared, clock = MemoryClaims(), Clock()
    won_by_a = {}

    def a_claims_meanwhile():
        won_by_a["a"] = claims(shared, clock).claim([ON_CALL], Caller("a", -1, 1))

    b = claims(Interleaved(shared, a_claims_meanwhile), clock).claim([ON_CALL], Caller("b", -1, 1))
    assert won_by_a["a"].won == [ON_CALL]
    assert b.won == []
    assert b.taken[ON_CALL]["task"] == "a"
    key = claims(shared, clock).key(ON_CALL)
    assert '"task":"b"' in shared.values[key]  # b did overwrite the claim: only the mark stopped it
    assert '"task":"a"' in shared.values[key + PAGED]


def test_a_store_that_fails_means_the_page_goes_out():
    class Broken(MemoryClaims):
        def get(self, key: str) -> str | None:
            raise ConnectionError("api-server down")

    result = claims(Broken(), Clock()).claim([ON_CALL], Caller("a", -1, 1))
    assert result.unchecked == [ON_CALL]
    assert result.won == []


def test_a_released_claim_lets_a_later_callback_page():
    store, clock = MemoryClaims(), Clock()
    run = claims(store, clock)
    first = run.claim([ON_CALL], Caller("a", -1, 1))
    run.release(ON_CALL, first.tokens[ON_CALL])
    assert claims(store, clock).claim([ON_CALL], Caller("b", -1, 1)).won == [ON_CALL]


@pytest.mark.parametrize("value", ["yes", 1])
def test_once_per_run_must_be_a_bool(value):
    from airflow_provider_sms.exceptions import SmsValidationError

    with pytest.raises(SmsValidationError, match="once_per_run"):
        SmsNotifier(sms_conn_id="c", recipients=ON_CALL, once_per_run=value)


def test_a_page_tidies_the_dags_claims_older_than_a_week():
    from datetime import datetime, timedelta, timezone

    store, clock = MemoryClaims(), Clock()
    old = claims(store, clock, "scheduled__old")
    old.claim([ON_CALL], Caller("a", -1, 1))
    other_dag = RunClaims(store, "another_dag", "scheduled__old", settle=2.0, clock=clock, sleep=clock.sleep)
    other_dag.claim([ON_CALL], Caller("a", -1, 1))
    recent = claims(store, clock, "scheduled__new")
    recent.claim([ON_CALL], Caller("a", -1, 1))
    assert len(store.values) == 6  # claim + mark per run and DAG
    in_eight_days = datetime.now(timezone.utc) + timedelta(days=8)
    assert recent.tidy(now=in_eight_days) == 4  # this DAG's two runs; not another DAG's
    assert all(key.startswith(other_dag.prefix) for key in store.values)
    assert recent.tidy() == 0
