"""What reconciliation reads from each gateway, over HTTP against the emulator: Primotexto's latest
message to a number (its id and creation time, never its last state change) and SMS Partner's
numbers under a tag (every page), plus the tag a request carries when the send has a category."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from airflow_provider_sms.exceptions import SmsServerError, SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.hooks.primotexto_api import parse_latest
from airflow_provider_sms.hooks.smspartner_api import MAX_CATEGORY_LENGTH, MAX_TAG_LENGTH, request_tag

NUMBER = "+33612345678"
UNIQUE = "sms0123456789abcdef0"


@pytest.mark.parametrize("offset", [-600, 0, 600])
def test_primotexto_latest_message_is_dated_by_its_creation_not_its_last_state(emulator, offset):
    emulator.configure(clock_offset=offset)
    old = emulator.inject_message("primotexto", NUMBER, seconds_ago=3600, state="pending")
    emulator.set_message_state("primotexto", old["message_id"], "delivered", seconds_ago=18)

    latest = get_sms_hook("emu_primotexto").latest_message_to(NUMBER)

    assert latest is not None
    assert latest.message_id == old["message_id"]
    assert latest.created_at == pytest.approx(time.time() - 3600 + offset, abs=2)


def test_primotexto_latest_message_to_a_number_without_any_is_none(emulator):
    assert get_sms_hook("emu_primotexto").latest_message_to(NUMBER) is None


def test_primotexto_latest_message_reads_submitted_when_sent_is_missing():
    latest = parse_latest(
        {"id": 362891, "submitted": 1387808111833, "stateDate": 1387808142057, "state": "sent"}
    )
    assert (latest.message_id, latest.created_at) == ("362891", 1387808111.833)
    assert parse_latest({"id": "x", "stateDate": 1387808142057}).created_at is None
    with pytest.raises(SmsServerError):
        parse_latest(["not", "an", "object"])


def _send_under_tag(emulator, tag: str, count: int) -> list[str]:
    numbers = [f"+336123{i:05d}" for i in range(count)]
    get_sms_hook("emu_smspartner").send_sms_batch(numbers, "Hi", category=tag)
    return numbers


def test_smspartner_statuses_by_tag_reads_every_page(emulator):
    emulator.configure(tag_page_size=3)
    numbers = _send_under_tag(emulator, "t1", 10)

    listed = get_sms_hook("emu_smspartner").statuses_by_tag("t1")

    assert sorted(s.recipient for s in listed) == numbers
    assert {s.message_id for s in listed} == {"tag:t1"}
    reads = [r for r in emulator.requests(vendor="smspartner") if r["path"] == "/v1/bulk-status-by-tag"]
    assert [r["query"].get("page", "1") for r in reads] == ["1", "2", "3", "4"]


def test_smspartner_tracking_by_tag_reads_every_page_on_both_paths(emulator):
    emulator.configure(tag_page_size=4)
    numbers = _send_under_tag(emulator, "t2", 9)
    messages = [{"message_id": "tag:t2", "recipient": n} for n in numbers]

    blocking = get_sms_hook("emu_smspartner").get_delivery_statuses(messages)
    awaited = asyncio.run(get_sms_hook("emu_smspartner").aget_delivery_statuses(messages))

    for statuses in (blocking, awaited):
        assert [s.recipient for s in statuses] == numbers
        assert all(s.vendor_state != "not_found" for s in statuses)


def test_smspartner_tag_list_short_of_its_total_is_an_error_not_an_absence(emulator):
    """A page that comes back empty before ``total`` entries: reading it as "those numbers were not
    sent" would send them twice, so the read fails (and reconciliation leaves them unconfirmed)."""
    emulator.configure(tag_page_size=3)
    _send_under_tag(emulator, "t3", 7)
    empty_page = {"success": True, "code": 200, "currentPage": 2, "total": 7, "StatutResponse_List": []}
    emulator.add_fault(
        "raw_reply",
        vendor="smspartner",
        path="/v1/bulk-status-by-tag",
        after=1,
        body=json.dumps(empty_page),
        content_type="application/json",
    )

    with pytest.raises(SmsServerError, match="short of its total"):
        get_sms_hook("emu_smspartner").statuses_by_tag("t3")


def test_smspartner_request_tag_keeps_a_suffix_of_the_request_with_a_category():
    assert request_tag(None, UNIQUE) == UNIQUE
    tag = request_tag("shipping", UNIQUE)
    assert tag == "shipping-" + UNIQUE[-(MAX_TAG_LENGTH - len("shipping-")) :]
    assert len(tag) == MAX_TAG_LENGTH
    assert len(request_tag("a" * MAX_CATEGORY_LENGTH, UNIQUE)) == MAX_TAG_LENGTH
    with pytest.raises(SmsValidationError, match=f"at most {MAX_CATEGORY_LENGTH}"):
        request_tag("a" * (MAX_CATEGORY_LENGTH + 1), UNIQUE)


def test_smspartner_refuses_a_category_too_long_to_share_its_tag(emulator):
    hook = get_sms_hook("emu_smspartner")
    [problem] = hook.category_problems("a" * 12)
    assert "at most 11" in problem
    assert "20" in problem
    assert hook.category_problems("a" * 11) == []
