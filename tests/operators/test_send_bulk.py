"""SMS Partner ``/v1/bulk-send``: rows whose texts differ share requests (500 SMS each), identical
texts still go through ``/v1/send``; each entry's own outcome is read; a lost reply is settled by
the request's tag. Assertions read the emulator's own record."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from airflow_provider_sms.emulator import NUMBER_REJECTED
from airflow_provider_sms.exceptions import SmsInvalidRequestError, SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.operators.send import SmsSendOperator
from tests.conftest import TEST_READ_TIMEOUT
from tests.helpers.task_fakes import FakeTI, MemoryStore

CONN_ID = "emu_smspartner"


def run(operator, store=None, try_number=1):
    ti = FakeTI(try_number)
    try:
        return operator.execute({"ti": ti, "task_state_store": store or MemoryStore()}), ti
    except Exception as exc:
        return exc, ti


def rows(count: int, first: int = 80_000_000, text=lambda i: f"Votre commande {10_000 + i} est prête"):
    return [{"recipient": f"+336{first + i:08d}", "key": i, "message": text(i)} for i in range(count)]


def make(recipients, **kwargs) -> SmsSendOperator:
    kwargs.setdefault("check_credits", False)
    return SmsSendOperator(task_id="send", sms_conn_id=CONN_ID, recipients=recipients, **kwargs)


def paths(emulator) -> Counter:
    return Counter(r["path"] for r in emulator.requests(vendor="smspartner") if "send" in r["path"])


def test_a_thousand_different_texts_go_out_in_two_bulk_send_requests(emulator):
    todo = rows(1000)
    result, ti = run(make(todo))
    assert not isinstance(result, Exception), result
    assert paths(emulator) == Counter({"/v1/bulk-send": 2})
    received = {m["recipient"]: m["text"] for m in emulator.messages(vendor="smspartner")}
    assert received == {row["recipient"]: row["message"] for row in todo}
    assert [(r["key"], r["position"]) for r in result] == [(i, i) for i in range(1000)]
    assert len({r["message_id"] for r in result}) == 2  # one id per request (A48)
    assert all(r["credits_used"] is not None and r["segments"] == 1 for r in result)


def test_identical_texts_still_use_send_and_the_rest_is_mixed(emulator):
    todo = rows(700, text=lambda i: "Même texte" if i < 500 else f"Texte {i}")
    result, _ = run(make(todo))
    assert not isinstance(result, Exception), result
    assert paths(emulator) == Counter({"/v1/send": 1, "/v1/bulk-send": 1})
    assert len(emulator.messages(vendor="smspartner")) == 700


def test_a_refused_entry_fails_its_row_and_a_stop_listed_one_is_skipped(emulator):
    todo = rows(4)
    todo[1]["recipient"] = NUMBER_REJECTED  # no price for it: code 13, refused on its own
    emulator.inject_stop("smspartner", todo[2]["recipient"])
    result, ti = run(make(todo))
    assert isinstance(result, SmsInvalidRequestError)  # a permanent refusal: no Airflow retry
    assert paths(emulator) == Counter({"/v1/bulk-send": 1})  # no split, no STOP-list read
    assert sorted(m["recipient"] for m in emulator.messages(vendor="smspartner")) == sorted(
        [todo[0]["recipient"], todo[3]["recipient"]]
    )
    assert [(r["key"], r["position"]) for r in ti.xcom["return_value"]] == [(0, 0), (3, 3)]
    failed = ti.xcom["failed"]
    assert [(f["key"], f["position"], f["reason"], f["error"]["code"]) for f in failed] == [
        (1, 1, "rejected", 13)
    ]
    assert [(s["key"], s["reason"]) for s in ti.xcom["skipped"]] == [(2, "blacklisted")]


def test_a_retry_does_not_send_the_accepted_entries_again(emulator):
    todo = rows(3)
    todo[1]["recipient"] = NUMBER_REJECTED
    store = MemoryStore()
    run(make(todo), store)
    todo[1]["recipient"] = "+33689999999"  # fixed upstream; the same key
    result, _ = run(make(todo), store, try_number=2)
    assert not isinstance(result, Exception), result
    # row 1 is named by its key: journaled as not sent, so the retry sends it (to its new number)
    assert Counter(m["recipient"] for m in emulator.messages(vendor="smspartner")) == Counter(
        [todo[0]["recipient"], todo[2]["recipient"], "+33689999999"]
    )


def test_a_lost_bulk_send_reply_is_settled_by_its_tag(emulator):
    todo = rows(600)
    emulator.add_fault("accept_then_drop", vendor="smspartner", path="/v1/bulk-send", count=1)
    store = MemoryStore()
    first, ti = run(make(todo), store)
    assert isinstance(first, Exception)
    assert {f["reason"] for f in ti.xcom["failed"]} == {"outcome_unknown"}
    # the settle time: the connections' read timeout (its floor), not the 60 s default the emulator
    # does not need (it records a send before it drops the reply)
    result, ti = run(make(todo, outcome_settle_seconds=TEST_READ_TIMEOUT), store, try_number=2)
    assert not isinstance(result, Exception), result
    received = Counter(m["recipient"] for m in emulator.messages(vendor="smspartner"))
    assert received == Counter(row["recipient"] for row in todo)  # every row once: 0 lost, 0 twice
    assert [(r["key"], r["position"]) for r in result] == [(i, i) for i in range(600)]
    assert len(result) == 600


def test_an_unreadable_entry_list_is_an_unknown_outcome(emulator):
    body = json.dumps({"success": True, "code": 200, "message_id": 77, "SMSResponse_List": []})
    emulator.add_fault(
        "raw_reply", vendor="smspartner", path="/v1/bulk-send", body=body, content_type="application/json"
    )
    result, ti = run(make(rows(2)))
    assert isinstance(result, Exception)
    assert {f["reason"] for f in ti.xcom["failed"]} == {"outcome_unknown"}


def test_the_hook_sends_a_request_with_texts_of_their_own(emulator):
    hook = get_sms_hook(CONN_ID)
    send = hook.validate_send(rows(3), None)
    outcome = hook.send_request(send.request_for(list(send.recipients)))
    assert [r.recipient for r in outcome.sent] == [row["recipient"] for row in rows(3)]
    assert paths(emulator) == Counter({"/v1/bulk-send": 1})


def test_send_sms_batch_takes_rows_that_fit_in_one_request(emulator, vendor, conn_id):
    hook = get_sms_hook(conn_id)
    template = "Bonjour {{ row.name }}"
    if vendor == "primotexto":  # one number per request: one row
        outcome = hook.send_sms_batch([{"recipient": "+33681000001", "name": "Ana", "key": "a"}], template)
        assert [(r.key, r.position) for r in outcome.sent] == [("a", 0)]
        with pytest.raises(SmsValidationError, match="sends to 1 to 1 number"):
            hook.send_sms_batch(
                [{"recipient": "+33681000002", "name": "B"}, {"recipient": "+33681000003", "name": "C"}],
                template,
            )
        return
    batch = [{"recipient": f"+3368100{i:04d}", "name": f"N{i}", "key": i} for i in range(500)]
    outcome = hook.send_sms_batch(batch, template)
    assert [(r.key, r.position) for r in outcome.sent] == [(i, i) for i in range(500)]
    assert paths(emulator) == Counter({"/v1/bulk-send": 1})


def test_send_personalised_over_both_gateways(emulator, vendor, conn_id):
    hook = get_sms_hook(conn_id)
    batch = [
        {"recipient": "+33682000001", "name": "{{ 7*7 }}", "key": "a"},
        {"recipient": "+33682000001", "name": "Bob", "key": "b"},
        {"recipient": NUMBER_REJECTED, "name": "Rejected", "key": "c"},
        {"recipient": "+33682000003", "key": "d", "message": "Texte prêt à partir"},
    ]
    if vendor == "primotexto":
        batch[3]["message"] = "Texte a part"  # Primotexto takes GSM-7 only
    outcome = hook.send_personalised(batch, "Salut {{ row.name }}")
    assert [(r.key, r.position) for r in outcome.sent] == [("a", 0), ("b", 1), ("d", 3)]
    assert [number for number, _ in outcome.refused] == [NUMBER_REJECTED]
    texts = Counter(m["text"] for m in emulator.messages(vendor=vendor))
    assert texts == Counter(["Salut {{ 7*7 }}", "Salut Bob", batch[3]["message"]])


def test_the_hook_names_a_bad_row_by_position_and_key(emulator, conn_id):
    hook = get_sms_hook(conn_id)
    with pytest.raises(SmsValidationError) as info:
        hook.send_personalised([{"recipient": "+33682000004", "key": 9}], "Salut {{ row.name }}")
    assert info.value.problems == ["row 0 (key 9): message template: 'dict object' has no attribute 'name'"]
    assert emulator.requests() == []


def test_send_sms_batch_refuses_rows_that_need_more_than_one_request(emulator):
    hook = get_sms_hook(CONN_ID)
    same = [{"recipient": "+33683000001", "key": i, "message": f"Commande {i}"} for i in range(2)]
    with pytest.raises(SmsValidationError, match="need 2 requests on SMS Partner; use send_personalised"):
        hook.send_sms_batch(same, None)
    assert emulator.requests() == []
    outcome = hook.send_personalised(same)
    assert [(r.key, r.recipient) for r in outcome.sent] == [(0, "+33683000001"), (1, "+33683000001")]
