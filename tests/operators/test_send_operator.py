"""SmsSendOperator behaviour against the emulator, called directly (no scheduler, no DB).

A small stand-in for the task instance records XCom pushes, and an in-memory stand-in for
``task_state_store`` keeps the journal between two calls that play the first try and the retry.
The end-to-end runs under ``dag.test()`` are in ``test_send_e2e.py`` and ``test_send_retry.py``.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter

import pytest

from airflow_provider_sms.emulator import NUMBER_REJECTED, PRIMOTEXTO_API_KEY, SMSPARTNER_API_KEY
from airflow_provider_sms.exceptions import (
    SmsAuthenticationError,
    SmsInsufficientCreditError,
    SmsInvalidRequestError,
    SmsJournalError,
    SmsServerError,
)
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.sending.journal import SendJournal
from airflow_provider_sms.toolkit.task_store import TaskStateStore
from tests.helpers.gateways import CONN_IDS, SEND_PATHS, numbers
from tests.helpers.task_fakes import FakeTI, MemoryStore

#: A settle time at the emulator connections' read timeout (tests/conftest.py): retries wait little.
SETTLE = 5


def run(operator: SmsSendOperator, store: MemoryStore | None = None, try_number: int = 1):
    """Call ``execute`` like one try would; returns (return value or exception, the TI)."""
    ti = FakeTI(try_number)
    try:
        return operator.execute({"ti": ti, "task_state_store": store or MemoryStore()}), ti
    except Exception as exc:
        return exc, ti


def sends(emulator, vendor: str) -> list[dict]:
    return [r for r in emulator.requests(vendor=vendor) if r["path"] == SEND_PATHS[vendor]]


def make(conn_id: str, recipients, **kwargs) -> SmsSendOperator:
    return SmsSendOperator(task_id="send", sms_conn_id=conn_id, recipients=recipients, message="Hi", **kwargs)


def test_template_fields_and_a_constructor_without_io():
    operator = SmsSendOperator(task_id="send", sms_conn_id="does_not_exist", recipients="x", message="m")
    assert isinstance(SmsSendOperator.template_fields, tuple)
    assert set(SmsSendOperator.template_fields) == {
        "sms_conn_id",
        "recipients",
        "message",
        "sender",
        "campaign_name",
        "category",
        "send_at",
        "report_path",
    }
    assert all(hasattr(operator, name) for name in SmsSendOperator.template_fields)
    assert "hook" not in operator.__dict__  # no connection looked up at parse time


def test_duplicates_in_any_spelling_get_one_sms(emulator, vendor, conn_id):
    result, ti = run(make(conn_id, ["06 12 34 56 78", "+33612345678", "0033612345678", "0612345679"]))

    assert [r["recipient"] for r in result] == ["+33612345678", "+33612345679"]
    assert Counter(m["recipient"] for m in emulator.messages(vendor=vendor)) == {
        "+33612345678": 1,
        "+33612345679": 1,
    }
    assert set(result[0]) == {"message_id", "recipient", "credits_used", "segments", "vendor", "category"}
    assert ti.xcom == {"skipped": [], "failed": [], "unconfirmed": []}


def test_invalid_numbers_skipped_in_skip_mode(emulator, vendor, conn_id):
    result, ti = run(make(conn_id, ["0612345678", "0145678912", "garbage"], on_invalid_recipient="skip"))

    assert [r["recipient"] for r in result] == ["+33612345678"]
    assert [(s["recipient"], s["reason"].split(":")[0]) for s in ti.xcom["skipped"]] == [
        ("+3314****12", "invalid"),
        ("*****ge", "invalid"),
    ]
    assert len(sends(emulator, vendor)) == 1


def test_blacklisted_recipients_are_skipped_not_failed(emulator, vendor, conn_id):
    stopped = "+33640000003"
    get_sms_hook(conn_id).add_to_blacklist(stopped)

    result, ti = run(make(conn_id, numbers(5)))

    assert not isinstance(result, Exception), result
    assert [r["recipient"] for r in result] == [n for n in numbers(5) if n != stopped]
    assert ti.xcom["skipped"] == [{"recipient": stopped, "reason": "blacklisted"}]
    assert ti.xcom["failed"] == []
    assert stopped not in {m["recipient"] for m in emulator.messages(vendor=vendor)}


def test_a_refused_number_fails_the_task_after_the_batch_without_retry(emulator, vendor, conn_id):
    recipients = [*numbers(3), NUMBER_REJECTED]
    operator = make(conn_id, recipients)

    error, ti = run(operator)

    assert isinstance(error, SmsInvalidRequestError)  # an AirflowFailException: no Airflow retry
    assert "1 of 4 recipient(s) failed (1 rejected)" in str(error)
    assert "+3363****05" in str(error)
    assert NUMBER_REJECTED not in str(error)
    assert [f["recipient"] for f in ti.xcom["failed"]] == [NUMBER_REJECTED]
    assert ti.xcom["failed"][0]["reason"] == "rejected"
    assert Counter(m["recipient"] for m in emulator.messages(vendor=vendor)) == Counter(numbers(3))
    # SMS Partner refuses the whole 4-number request; the operator splits it to find the culprit
    assert len(sends(emulator, vendor)) == (4 if vendor == "primotexto" else 5)


def test_a_request_wide_refusal_is_not_split_further(emulator):
    """Both halves refused too: the refusal is about the request, so it is not bisected down."""
    emulator.add_fault("vendor_error", vendor="smspartner", path=SEND_PATHS["smspartner"], code=44)

    error, ti = run(make(CONN_IDS["smspartner"], numbers(400)))

    assert isinstance(error, SmsInvalidRequestError)
    assert len(sends(emulator, "smspartner")) == 3
    assert Counter(f["reason"] for f in ti.xcom["failed"]) == {"rejected": 400}


@pytest.mark.parametrize("vendor", ["primotexto"])
def test_a_bad_api_key_stops_the_batch_at_once(emulator, monkeypatch, vendor):
    conn = json.loads(emulator.connection_json(vendor))
    conn["password"] = "wrong-key-0123456789"
    monkeypatch.setenv("AIRFLOW_CONN_EMU_WRONG_KEY", json.dumps(conn))

    # check_credits=False: the credit read would refuse the bad key before the batch starts.
    error, ti = run(make("emu_wrong_key", numbers(200), max_concurrency=4, check_credits=False))

    assert isinstance(error, SmsAuthenticationError)
    assert len(sends(emulator, vendor)) <= 4  # only the requests already in flight
    reasons = Counter(f["reason"] for f in ti.xcom["failed"])
    assert sum(reasons.values()) == 200
    assert reasons["not_attempted"] >= 196
    assert "wrong-key-0123456789" not in str(error) + json.dumps(ti.xcom)


def test_running_out_of_credit_stops_the_batch(emulator):
    emulator.configure(credits=5)

    error, ti = run(make(CONN_IDS["primotexto"], numbers(20), max_concurrency=1))

    assert isinstance(error, SmsInsufficientCreditError)
    assert len(emulator.messages(vendor="primotexto")) == 5
    assert len(sends(emulator, "primotexto")) == 6
    assert Counter(f["reason"] for f in ti.xcom["failed"]) == {"refused": 1, "not_attempted": 14}


def test_repeated_server_errors_stop_the_batch_then_the_retry_finishes_it(emulator):
    """5xx on a send is an unknown outcome; after 5 in a row the batch stops (transient error)."""
    emulator.add_fault("server_error", vendor="primotexto", path=SEND_PATHS["primotexto"], after=10)
    store = MemoryStore()
    operator = make(CONN_IDS["primotexto"], numbers(40), max_concurrency=1)

    error, ti = run(operator, store)

    assert isinstance(error, SmsServerError)  # transient: Airflow retries
    assert len(sends(emulator, "primotexto")) == 15  # 10 accepted, 5 failed in a row, then stop
    assert Counter(f["reason"] for f in ti.xcom["failed"]) == {"outcome_unknown": 5, "not_attempted": 25}

    emulator.clear_faults()
    result, ti = run(
        make(CONN_IDS["primotexto"], numbers(40), outcome_settle_seconds=SETTLE), store, try_number=2
    )

    assert [r["recipient"] for r in result] == numbers(40)
    assert Counter(m["recipient"] for m in emulator.messages(vendor="primotexto")) == Counter(numbers(40))
    assert len(sends(emulator, "primotexto")) == 15 + 30  # the 10 accepted were not sent again


def _journal_unknown(store: MemoryStore, recipient: str, at: float) -> None:
    journal = SendJournal(TaskStateStore(store), salt="d/r/send/-1")
    journal.record_unknown([recipient], at)


def test_unknown_outcome_found_at_the_gateway_is_not_resent(emulator):
    """The latest message to the number was created after our request started: it is ours."""
    number = numbers(1)[0]
    at = time.time() - SETTLE
    first, _ = run(make(CONN_IDS["primotexto"], [number]))
    store = MemoryStore()
    _journal_unknown(store, number, at)

    result, ti = run(
        make(CONN_IDS["primotexto"], [number], outcome_settle_seconds=SETTLE), store, try_number=2
    )

    assert [(r["recipient"], r["message_id"]) for r in result] == [
        (r["recipient"], r["message_id"]) for r in first
    ]
    assert len(sends(emulator, "primotexto")) == 1


def test_unknown_outcome_older_than_the_latest_message_is_resent(emulator):
    """The latest message to the number was created before our request: ours never came."""
    number = numbers(1)[0]
    other = emulator.inject_message("primotexto", number, seconds_ago=60)
    store = MemoryStore()
    _journal_unknown(store, number, time.time() - 2 * SETTLE)

    result, _ = run(
        make(CONN_IDS["primotexto"], [number], outcome_settle_seconds=SETTLE), store, try_number=2
    )

    assert [r["recipient"] for r in result] == [number]
    assert result[0]["message_id"] != other["message_id"]
    assert len(sends(emulator, "primotexto")) == 1


@pytest.mark.parametrize(("policy", "sent_again"), [("skip", 0), ("resend", 1)])
def test_smspartner_unknown_outcome_follows_the_policy(emulator, policy, sent_again):
    number = numbers(1)[0]
    store = MemoryStore()
    _journal_unknown(store, number, time.time() - 2 * SETTLE)  # no tag: SMS Partner cannot tell

    operator = make(
        CONN_IDS["smspartner"], [number], on_unknown_outcome=policy, outcome_settle_seconds=SETTLE
    )
    result, ti = run(operator, store, 2)

    assert len(sends(emulator, "smspartner")) == sent_again
    assert [r["recipient"] for r in result] == ([number] if sent_again else [])
    assert [s["reason"].split(":")[0] for s in ti.xcom["skipped"]] == (
        [] if sent_again else ["outcome_unknown"]
    )
    # SMS Partner cannot look a number up without the message id: no status request was made
    assert [r for r in emulator.requests(vendor="smspartner") if "status" in r["path"]] == []


class BrokenStore(MemoryStore):
    def set(self, key, value, *, retention=None):
        raise RuntimeError("state store unavailable")


def test_a_journal_that_cannot_be_saved_fails_the_task_without_retry_and_sends_nothing(emulator):
    """No request leaves before its intent is durable: a broken store means nothing is sent."""
    error, ti = run(make(CONN_IDS["primotexto"], [*numbers(3), NUMBER_REJECTED]), BrokenStore())

    assert isinstance(error, SmsJournalError)  # an AirflowFailException: a retry could duplicate
    assert "recipient(s) are not recorded" in str(error)
    assert sends(emulator, "primotexto") == []
    assert Counter(f["reason"] for f in ti.xcom["failed"]) == {"not_attempted": 4}  # outcomes still pushed


class FlakyStore(MemoryStore):
    """Refuses every write after the first ``good`` ones."""

    def __init__(self, good):
        super().__init__()
        self.good = good

    def set(self, key, value, *, retention=None):
        if self.good <= 0:
            raise RuntimeError("state store unavailable")
        self.good -= 1
        super().set(key, value, retention=retention)


def test_a_journal_that_breaks_mid_batch_stops_before_the_next_window(emulator):
    error, ti = run(make(CONN_IDS["primotexto"], numbers(100), max_concurrency=1), FlakyStore(good=1))

    assert isinstance(error, SmsJournalError)
    accepted = len(emulator.messages(vendor="primotexto"))
    assert 0 < accepted < 100  # the first window went out, nothing after the write failed
    assert len(sends(emulator, "primotexto")) == accepted
    assert len(ti.xcom["failed"]) == 100 - accepted
    assert len(ti.xcom["return_value"]) == accepted  # what went out is said even on failure


def test_journal_writes_are_batched(emulator):
    store = MemoryStore()
    operator = make(CONN_IDS["primotexto"], numbers(250), journal_flush_every=100, journal_flush_interval=60)

    run(operator, store)

    # One intent write per window of 32 requests (8 in flight x 4), outcomes ride along with them,
    # and a final write: far fewer writes than requests.
    parts = [store.data[f"sms_send_journal.{i}"] for i in range(len(store.data))]
    intents = [p for p in parts if p.get("intents")]
    assert len(intents) == 8  # ceil(250 / 32)
    assert len(parts) <= len(intents) + 3
    assert sum(len(p["accepted"]) for p in parts) == 250


def test_logs_hold_counts_and_masked_numbers_only(emulator, vendor, conn_id, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    get_sms_hook(conn_id).add_to_blacklist("+33640000002")
    body = "Votre code secret: 918273"
    recipients = [*numbers(3), NUMBER_REJECTED, "0145678912"]
    operator = SmsSendOperator(
        task_id="send", sms_conn_id=conn_id, recipients=recipients, message=body, on_invalid_recipient="skip"
    )

    error, _ = run(operator)

    assert isinstance(error, SmsInvalidRequestError)
    captured = capsys.readouterr()
    logs = captured.out + captured.err + caplog.text
    assert "3 recipient(s)" in logs or "4 recipient(s)" in logs
    for secret in (body, "918273", PRIMOTEXTO_API_KEY, SMSPARTNER_API_KEY, *numbers(3), NUMBER_REJECTED):
        assert secret not in logs
    assert "0145678912" not in logs
    assert "+33145678912" not in logs
    assert "+3363****05" in logs  # failures are named, masked
