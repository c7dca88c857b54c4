"""The send plan: requests of the gateway's size, one text per request, a number once per request
(the seam personalised sends use: a recipient is a number and its text)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from airflow_provider_sms.sending.batch import plan_requests
from airflow_provider_sms.sending.journal import SendJournal
from airflow_provider_sms.sending.run import SendRun
from airflow_provider_sms.toolkit.task_store import MemoryStore
from tests.helpers import gateways
from tests.helpers.gateway_rules import gateway


def run_for(vendor: str, send) -> SendRun:
    return SendRun(gateway(vendor), send, SendJournal(MemoryStore(), salt="plan"), concurrency=4)


def test_one_text_for_all_keeps_plain_slices():
    hook = gateway("smspartner")
    send = hook.validate_send(numbers(1200), "Hi")
    planned = plan_requests(run_for("smspartner", send), list(send.recipients), lambda i: None)
    assert [len(p.recipients) for p in planned] == [500, 500, 200]
    assert [r for p in planned for r in p.recipients] == list(send.recipients)


def one_text_per_request(hook):
    """``hook`` as a gateway that takes one text per request (SMS Partner without /bulk-send)."""
    hook.capabilities = replace(hook.capabilities, max_texts_per_request=1)
    return hook


def test_recipients_with_their_own_text_are_planned_by_text_and_a_number_once_per_request():
    hook = one_text_per_request(gateway("smspartner"))
    base = hook.validate_send(numbers(3), "unused")
    a, b, c = numbers(3)
    rows = {
        "row-1": (a, "Bonjour Marie"),
        "row-2": (b, "Bonjour Paul"),
        "row-3": (a, "Bonjour Marie"),  # the same number and text, another key: another SMS
        "row-4": (c, "Bonjour Marie"),
    }
    send = replace(base, recipients=tuple(rows), rows=rows)
    run = SendRun(hook, send, SendJournal(MemoryStore(), salt="plan"), concurrency=4)
    planned = plan_requests(run, list(send.recipients), lambda i: None)
    requests = [send.request_for(p.recipients) for p in planned]
    assert {r.texts for r in requests} == {None}
    assert [(r.message, r.recipients) for r in requests] == [
        ("Bonjour Marie", (a, c)),
        ("Bonjour Paul", (b,)),
        ("Bonjour Marie", (a,)),  # a's second SMS: the next wave
    ]
    assert sorted(r for p in planned for r in p.recipients) == sorted(rows)
    assert send.identities(planned[0].recipients) == {a: "row-1", c: "row-4"}


@pytest.mark.parametrize("vendor", ["primotexto", "smspartner"])
def test_text_of_and_number_of_default_to_the_send_text_and_the_recipient(vendor):
    send = gateway(vendor).validate_send(numbers(2), "Hi")
    first = send.recipients[0]
    assert (send.number_of(first), send.text_of(first)) == (first, "Hi")


def numbers(count: int) -> list[str]:
    return gateways.numbers(count, 60_000_000)


def personalised(hook, count: int, text=lambda i: f"Bonjour {i}"):
    rows = [{"recipient": n, "message": text(i), "key": i} for i, n in enumerate(numbers(count))]
    return hook.validate_send(rows, None)


def test_rows_that_all_differ_share_requests_where_the_gateway_takes_several_texts():
    hook = gateway("smspartner")
    send = personalised(hook, 1000)
    planned = plan_requests(run_for("smspartner", send), list(send.recipients), lambda i: None)
    assert [len(p.recipients) for p in planned] == [500, 500]
    request = send.request_for(planned[0].recipients)
    assert request.texts == tuple(f"Bonjour {i}" for i in range(500))
    assert request.recipients == tuple(numbers(500))


def test_full_requests_of_one_text_stay_apart_and_the_rest_is_mixed():
    hook = gateway("smspartner")
    send = personalised(hook, 1300, text=lambda i: "Same" if i < 1100 else f"Own {i}")
    planned = plan_requests(run_for("smspartner", send), list(send.recipients), lambda i: None)
    requests = [send.request_for(p.recipients) for p in planned]
    assert [(len(r.recipients), r.texts is None) for r in requests] == [
        (500, True),
        (500, True),
        (300, False),
    ]
    assert sorted(r for p in planned for r in p.recipients) == sorted(send.recipients)


def test_a_mixed_request_still_holds_a_number_once():
    hook = gateway("smspartner")
    same = numbers(1)[0]
    rows = [{"recipient": same, "message": f"Commande {i}", "key": i} for i in range(3)]
    send = hook.validate_send(rows, None)
    planned = plan_requests(run_for("smspartner", send), list(send.recipients), lambda i: None)
    assert [len(p.recipients) for p in planned] == [1, 1, 1]


def test_one_text_gateways_plan_one_request_per_text():
    hook = gateway("primotexto")
    send = personalised(hook, 3)
    planned = plan_requests(run_for("primotexto", send), list(send.recipients), lambda i: None)
    assert {send.request_for(p.recipients).texts for p in planned} == {None}
    assert len(planned) == 3
