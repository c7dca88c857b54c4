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


def test_recipients_with_their_own_text_are_planned_by_text_and_a_number_once_per_request():
    hook = gateway("smspartner")
    base = hook.validate_send(numbers(3), "unused")
    a, b, c = numbers(3)
    rows = {
        "row-1": (a, "Bonjour Marie"),
        "row-2": (b, "Bonjour Paul"),
        "row-3": (a, "Bonjour Marie"),  # the same number and text, another key: another SMS
        "row-4": (c, "Bonjour Marie"),
    }
    send = replace(base, recipients=tuple(rows), rows=rows)
    run = run_for("smspartner", send)
    planned = plan_requests(run, list(send.recipients), lambda i: None)
    requests = [send.request_for(p.recipients) for p in planned]
    assert [(r.message, r.recipients) for r in requests] == [
        ("Bonjour Marie", (a, c)),
        ("Bonjour Marie", (a,)),
        ("Bonjour Paul", (b,)),
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
