"""A lost reply is attributed exactly, or the recipient is left unconfirmed: the audit's scenarios
("Exactly once, round 2"), over HTTP against the emulator, on both gateways where they apply.

Each test plays a first try whose send request gets no usable reply, then the retry (the same
journal, no retry delay), and checks the emulator's own record (messages per number: ours exactly
once, the other system's untouched) and the task's XComs (``return_value`` names the emulator's id
of OUR message, never another's; ``unconfirmed`` lists what cannot be told).
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from airflow_provider_sms.exceptions import SmsServerError, SmsUnconfirmedError
from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.sending.journal import SendJournal
from airflow_provider_sms.toolkit.task_store import TaskStateStore
from tests.helpers.gateways import CONN_IDS, SEND_PATHS
from tests.helpers.task_fakes import FakeTI, MemoryStore

OUR_TEXT = "Votre colis arrive demain"
OTHER_TEXT = "Message from another system"
#: The settle time the tests give (the emulator connections' read timeout, tests/conftest.py).
SETTLE = 5
NUMBER = "+33640000001"


def make(conn_id: str, recipients, **kwargs) -> SmsSendOperator:
    kwargs.setdefault("outcome_settle_seconds", SETTLE)
    return SmsSendOperator(
        task_id="send", sms_conn_id=conn_id, recipients=recipients, message=OUR_TEXT, **kwargs
    )


def run(operator: SmsSendOperator, store: MemoryStore, try_number: int):
    """One try of the task: its return value (or exception) and its XComs."""
    ti = FakeTI(try_number)
    try:
        return operator.execute({"ti": ti, "task_state_store": store}), ti
    except Exception as exc:
        return exc, ti


def two_tries(conn_id: str, recipients, **kwargs):
    """Try 1 (expected to fail on the fault the test set), then at once try 2: its result and TI."""
    store = MemoryStore()
    first, ti = run(make(conn_id, recipients, **kwargs), store, 1)
    assert isinstance(first, SmsServerError), first
    assert {f["reason"] for f in ti.xcom["failed"]} == {"outcome_unknown"}
    return run(make(conn_id, recipients, **kwargs), store, 2)


def ours(emulator, vendor: str, number: str = NUMBER) -> list[dict]:
    """The emulator's record of our messages to ``number``."""
    return [m for m in emulator.messages(vendor) if m["recipient"] == number and m["text"] == OUR_TEXT]


def sends(emulator, vendor: str) -> list[dict]:
    return [r for r in emulator.requests(vendor=vendor) if r["path"] == SEND_PATHS[vendor]]


def assert_sent_once_with_our_id(emulator, vendor: str, result, other: dict | None = None) -> None:
    [mine] = ours(emulator, vendor)  # ours exactly once
    assert not isinstance(result, Exception), result
    assert [r["recipient"] for r in result] == [NUMBER]
    assert result[0]["message_id"] == str(mine["message_id"])
    if other is not None:
        assert result[0]["message_id"] != str(other["message_id"])
        assert [m["message_id"] for m in emulator.messages(vendor) if m["text"] == OTHER_TEXT] == [
            other["message_id"]
        ]


def assert_found_and_not_sent_again(emulator, vendor: str, result, ti) -> None:
    """Ours exactly once, reported with its id (Primotexto: the message's; SMS Partner: its request's
    tag), after one send request in all, and nothing unconfirmed."""
    [mine] = ours(emulator, vendor)
    expected = str(mine["message_id"]) if vendor == "primotexto" else f"tag:{mine['category']}"
    assert [(r["recipient"], r["message_id"]) for r in result] == [(NUMBER, expected)]
    assert len(sends(emulator, vendor)) == 1
    assert ti.xcom["unconfirmed"] == []


# ---------------------------------------------------------------- another SMS to the same number
@pytest.mark.parametrize("category", [None, "crm"], ids=["task-category", "user-category"])
@pytest.mark.parametrize("seconds_before", [48, 108])
def test_primotexto_other_sms_before_a_dropped_request_is_not_taken_for_ours(
    emulator, seconds_before, category
):
    """Another system (or this DAG's previous run, under the same category) texted the number 48 or
    108 s before; our request was dropped before the gateway took it. The retry sends ours again,
    exactly once, and reports our own id: with the task's category its count says none of ours
    landed; with a category of the user's, the latest message was created before our request."""
    other = emulator.inject_message("primotexto", NUMBER, seconds_ago=seconds_before, category=category)
    emulator.add_fault("drop", vendor="primotexto", path=SEND_PATHS["primotexto"], count=1)

    result, ti = two_tries(CONN_IDS["primotexto"], [NUMBER], category=category)

    assert_sent_once_with_our_id(emulator, "primotexto", result, other)
    assert ti.xcom["unconfirmed"] == []


@pytest.mark.parametrize("category", [None, "crm"], ids=["task-category", "user-category"])
def test_primotexto_old_message_changing_state_before_a_dropped_request_is_not_taken_for_ours(
    emulator, category
):
    """An hour-old message to the number was delivered 18 s before our request (its stateDate is
    recent, its creation is not): our dropped request is sent again, exactly once."""
    other = emulator.inject_message("primotexto", NUMBER, seconds_ago=3600, state="pending")
    emulator.set_message_state("primotexto", other["message_id"], "delivered", seconds_ago=18)
    emulator.add_fault("drop", vendor="primotexto", path=SEND_PATHS["primotexto"], count=1)

    result, ti = two_tries(CONN_IDS["primotexto"], [NUMBER], category=category)

    assert_sent_once_with_our_id(emulator, "primotexto", result, other)
    assert ti.xcom["unconfirmed"] == []


def test_primotexto_other_sms_right_after_a_dropped_request_is_told_apart_by_the_task_category(emulator):
    """Another system texts the number right after our dropped request, inside its time window: the
    times alone would take it for ours. The task category's count (none of ours beyond those known)
    settles it: ours is sent again, exactly once."""
    emulator.add_fault("drop", vendor="primotexto", path=SEND_PATHS["primotexto"], count=1)
    store = MemoryStore()
    first, _ = run(make(CONN_IDS["primotexto"], [NUMBER]), store, 1)
    assert isinstance(first, SmsServerError)
    other = emulator.inject_message("primotexto", NUMBER, seconds_ago=0)

    result, ti = run(make(CONN_IDS["primotexto"], [NUMBER]), store, 2)

    assert_sent_once_with_our_id(emulator, "primotexto", result, other)


def _journal_lost_reply(store: MemoryStore, recipient: str, at: float) -> None:
    """What a first try leaves when its request's reply was lost at ``at``."""
    SendJournal(TaskStateStore(store), salt="d/r/send/-1").record_unknown([recipient], at)


def test_primotexto_message_after_the_window_leaves_the_recipient_unconfirmed(emulator):
    """A later message to the number hides whether ours arrived (the gateway names only the latest):
    with a category of the user's, nothing tells; the recipient is unconfirmed, never resent, never
    reported sent, and the task fails (Airflow retries it)."""
    store = MemoryStore()
    _journal_lost_reply(store, NUMBER, time.time() - 4 * SETTLE)  # window closed 3 x SETTLE s ago
    emulator.inject_message("primotexto", NUMBER, seconds_ago=1)

    result, ti = run(make(CONN_IDS["primotexto"], [NUMBER], category="crm"), store, 2)

    assert isinstance(result, SmsUnconfirmedError)
    assert sends(emulator, "primotexto") == []
    assert ti.xcom["return_value"] == []
    [item] = ti.xcom["unconfirmed"]
    assert item["recipient"] == NUMBER
    assert "later message" in item["reason"]


def test_primotexto_message_after_the_window_with_the_task_category_is_exact(emulator):
    """The same, with the task's own category: its count says none of ours landed, so it is sent."""
    store = MemoryStore()
    _journal_lost_reply(store, NUMBER, time.time() - 4 * SETTLE)
    other = emulator.inject_message("primotexto", NUMBER, seconds_ago=1)

    result, ti = run(make(CONN_IDS["primotexto"], [NUMBER]), store, 2)

    assert_sent_once_with_our_id(emulator, "primotexto", result, other)


# ---------------------------------------------------------------- SMS Partner: a tag of the request's own
def test_smspartner_user_category_with_older_entries_loses_nothing(emulator):
    """Older sends under the user's category are listed by it; our request carries a tag of its own
    (the category and a suffix), so its drop is seen as such: sent again, exactly once."""
    other = emulator.inject_message(
        "smspartner", NUMBER, seconds_ago=30, category="shipping", state="delivered"
    )
    emulator.add_fault("drop", vendor="smspartner", path=SEND_PATHS["smspartner"], count=1)

    result, ti = two_tries(CONN_IDS["smspartner"], [NUMBER], category="shipping")

    assert_sent_once_with_our_id(emulator, "smspartner", result, other)
    tags = [r["body"]["tag"] for r in sends(emulator, "smspartner")]
    assert len(set(tags)) == 2  # each request its own tag
    assert all(t.startswith("shipping-") and len(t) == 20 for t in tags)


def test_smspartner_tag_over_several_pages_is_read_whole(emulator):
    """A request accepted then its reply lost, its tag listing 200 or 500 numbers on pages of 50:
    the retry reads every page, finds them all, and sends none of them again."""
    emulator.configure(tag_page_size=50)
    numbers = [f"+336410{i:05d}" for i in range(1200)]
    emulator.add_fault(
        "accept_then_drop", vendor="smspartner", path=SEND_PATHS["smspartner"], after=1, count=1
    )

    result, ti = two_tries(CONN_IDS["smspartner"], numbers, category="shipping")

    assert Counter(m["recipient"] for m in emulator.messages("smspartner")) == Counter(numbers)
    assert len(sends(emulator, "smspartner")) == 3  # nothing sent again
    recovered = [r for r in result if r["message_id"].startswith("tag:")]
    assert len(recovered) in (200, 500)
    [tag] = {r["message_id"][len("tag:") :] for r in recovered}
    assert tag.startswith("shipping-")
    found = {r["recipient"] for r in recovered}
    assert {m["category"] for m in emulator.messages("smspartner") if m["recipient"] in found} == {tag}
    pages = [
        r["query"].get("page", "1") for r in emulator.requests(vendor="smspartner") if "by-tag" in r["path"]
    ]
    assert sorted(pages, key=int) == [str(p) for p in range(1, len(recovered) // 50 + 1)]
    assert ti.xcom["unconfirmed"] == []


# ---------------------------------------------------------------- a gateway that commits late
@pytest.mark.parametrize("vendor", ["primotexto", "smspartner"])
def test_send_committed_after_the_client_gave_up_is_not_sent_again(emulator, monkeypatch, vendor):
    """The gateway commits our send 3 s after the request, the client gave up after 1 s (read
    timeout), the retry comes at once: it waits for the settle time, then finds the send."""
    monkeypatch.setenv("AIRFLOW_CONN_EMU_SLOW", emulator.connection_json(vendor, timeout=1))
    emulator.add_fault("latency", vendor=vendor, path=SEND_PATHS[vendor], latency_ms=1500, count=1)
    emulator.add_fault("commit_delay", vendor=vendor, path=SEND_PATHS[vendor], commit_delay=3, count=1)

    started = time.monotonic()
    result, ti = two_tries("emu_slow", [NUMBER])

    assert time.monotonic() - started >= 3  # the retry waited for the commit
    assert_found_and_not_sent_again(emulator, vendor, result, ti)


# ---------------------------------------------------------------- a gateway clock 10 minutes off
@pytest.mark.parametrize("offset", [-600, 600])
@pytest.mark.parametrize("vendor", ["primotexto", "smspartner"])
def test_clock_off_by_ten_minutes_accepted_then_lost_is_not_sent_again(emulator, vendor, offset):
    emulator.configure(clock_offset=offset)
    emulator.add_fault("accept_then_drop", vendor=vendor, path=SEND_PATHS[vendor], count=1)

    result, ti = two_tries(CONN_IDS[vendor], [NUMBER])

    assert_found_and_not_sent_again(emulator, vendor, result, ti)


@pytest.mark.parametrize("offset", [-600, 600])
@pytest.mark.parametrize("vendor", ["primotexto", "smspartner"])
def test_clock_off_by_ten_minutes_other_sms_before_is_not_taken_for_ours(emulator, vendor, offset):
    """With a category of the user's (Primotexto: no count to lean on, the times decide)."""
    emulator.configure(clock_offset=offset)
    other = emulator.inject_message(vendor, NUMBER, seconds_ago=48, category="crm")
    emulator.add_fault("drop", vendor=vendor, path=SEND_PATHS[vendor], count=1)

    result, ti = two_tries(CONN_IDS[vendor], [NUMBER], category="crm")

    assert_sent_once_with_our_id(emulator, vendor, result, other)
    assert ti.xcom["unconfirmed"] == []
