"""Every hook method on both gateways, over HTTP against the emulator."""

from __future__ import annotations

import asyncio
import time

import pytest

from airflow_provider_sms.emulator import (
    NUMBER_BOUNCED,
    NUMBER_ERROR,
    NUMBER_NEVER_FINAL,
    NUMBER_REJECTED,
)
from airflow_provider_sms.exceptions import (
    SmsInvalidRequestError,
    SmsRecipientBlacklistedError,
    SmsValidationError,
)
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.hooks.primotexto import PrimotextoHook
from airflow_provider_sms.hooks.smspartner import SmsPartnerHook

NUMBER = "+33612345678"


def wait_final(hook, messages, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        statuses = hook.get_delivery_statuses(messages)
        if all(s.is_final for s in statuses) or time.monotonic() > deadline:
            return statuses
        time.sleep(0.1)


def test_get_sms_hook_picks_the_class_from_the_connection_type(emulator):
    assert isinstance(get_sms_hook("emu_primotexto"), PrimotextoHook)
    assert isinstance(get_sms_hook("emu_smspartner"), SmsPartnerHook)
    assert PrimotextoHook().sms_conn_id == "primotexto_default"
    assert SmsPartnerHook().sms_conn_id == "smspartner_default"


def test_send_sms_returns_a_result_and_reaches_the_gateway(conn_id, vendor, emulator):
    hook = get_sms_hook(conn_id)
    result = hook.send_sms("06 12 34 56 78".replace(" ", ""), "Code 283951", sender="MyShop", category="otp")
    assert result.message_id
    assert result.message_id != "None"
    assert result.vendor == vendor
    assert result.segments == 1
    assert result.credits_used
    assert result.credits_used > 0
    [message] = emulator.messages(vendor=vendor)
    assert message["text"] == "Code 283951"
    assert message["sender"] == "MyShop"
    assert message["category"] == "otp"
    assert str(message["message_id"]) == result.message_id


def test_marketing_flag_routes_to_the_marketing_pool(emulator):
    get_sms_hook("emu_primotexto").send_sms(NUMBER, "Promo STOP au 36111", marketing=True)
    [request] = emulator.requests(vendor="primotexto", path="/messages/send")
    assert request["path"] == "/v2/marketing/messages/send"
    get_sms_hook("emu_smspartner").send_sms(NUMBER, "Promo", marketing=True)
    [request] = emulator.requests(vendor="smspartner", path="/send")
    assert request["body"]["isStopSms"] == 1


def test_smspartner_sends_one_request_for_many_numbers(emulator):
    hook = get_sms_hook("emu_smspartner")
    numbers = [f"+336120000{i:02d}" for i in range(30)]
    outcome = hook.send_sms_batch(numbers, "Hello")
    assert [r.recipient for r in outcome.sent] == numbers
    assert len({r.message_id for r in outcome.sent}) == 1
    assert len(emulator.requests(vendor="smspartner", path="/send")) == 1
    assert len(emulator.messages(vendor="smspartner")) == 30


def test_smspartner_unicode_text_is_flagged(emulator):
    get_sms_hook("emu_smspartner").send_sms(NUMBER, "Bonjour ç ê 🙂")
    [request] = emulator.requests(vendor="smspartner", path="/send")
    assert request["body"]["isUnicode"] == 1


def test_refused_number_raises_invalid_request(conn_id, emulator):
    with pytest.raises(SmsInvalidRequestError) as info:
        get_sms_hook(conn_id).send_sms(NUMBER_REJECTED, "x")
    assert info.value.code is not None
    assert NUMBER_REJECTED not in str(info.value)


def test_blacklisted_recipient_is_reported_not_sent(conn_id, vendor, emulator):
    hook = get_sms_hook(conn_id)
    assert hook.add_to_blacklist(NUMBER) is True
    with pytest.raises(SmsRecipientBlacklistedError):
        hook.send_sms(NUMBER, "hello")
    assert emulator.messages(vendor=vendor) == []


def test_smspartner_batch_leaves_out_stop_numbers_and_sends_the_rest(emulator):
    hook = get_sms_hook("emu_smspartner")
    hook.add_to_blacklist("+33612000001")
    outcome = hook.send_sms_batch(["+33612000000", "+33612000001", "+33612000002"], "hi")
    assert outcome.blacklisted == ["+33612000001"]
    assert [r.recipient for r in outcome.sent] == ["+33612000000", "+33612000002"]
    assert sorted(m["recipient"] for m in emulator.messages()) == ["+33612000000", "+33612000002"]


def test_delivery_moves_from_pending_to_final_states(conn_id, vendor, emulator):
    hook = get_sms_hook(conn_id)
    sent = [hook.send_sms(n, "hi") for n in (NUMBER, NUMBER_BOUNCED, NUMBER_ERROR, NUMBER_NEVER_FINAL)]
    messages = [r.to_dict() for r in sent]
    first = hook.get_delivery_statuses(messages)
    assert [s.state for s in first] == ["pending"] * 4
    final = wait_final(hook, messages[:3])
    expected_bounce = "bounced" if vendor == "primotexto" else "error"
    assert [s.state for s in final] == ["delivered", expected_bounce, "error"]
    assert all(s.vendor_state for s in final)
    assert final[0].updated_at
    assert hook.get_delivery_status(sent[3].message_id, NUMBER_NEVER_FINAL).state == "pending"
    one = hook.get_delivery_status(sent[0].message_id, NUMBER)
    assert (one.message_id, one.recipient, one.state) == (sent[0].message_id, NUMBER, "delivered")


def test_primotexto_status_by_number_encodes_the_plus_sign(emulator):
    hook = get_sms_hook("emu_primotexto")
    result = hook.send_sms(NUMBER, "hi")
    status = hook.get_delivery_status(recipient=NUMBER)
    assert status.state == "pending"
    [request] = emulator.requests(vendor="primotexto", path="/messages/status")
    assert request["query"]["identifier"] == NUMBER
    assert result.message_id


def test_unknown_message_reads_as_pending_not_found(conn_id, emulator):
    status = get_sms_hook(conn_id).get_delivery_status("999999", NUMBER)
    assert (status.state, status.vendor_state) == ("pending", "not_found")


def test_smspartner_needs_recipients_for_status(emulator):
    with pytest.raises(SmsValidationError):
        get_sms_hook("emu_smspartner").get_delivery_statuses([{"message_id": "1"}])
    assert emulator.requests() == []


def test_smspartner_multi_status_batches_500_per_call(emulator):
    hook = get_sms_hook("emu_smspartner")
    numbers = [f"+3361200{i:04d}" for i in range(1200)]
    sent = []
    for start in range(0, 1200, 500):
        sent.extend(hook.send_sms_batch(numbers[start : start + 500], "hi").sent)
    statuses = hook.get_delivery_statuses([r.to_dict() for r in sent])
    assert len(statuses) == 1200
    assert [s.recipient for s in statuses] == numbers
    assert len(emulator.requests(vendor="smspartner", path="/multi-status")) == 3


def test_async_statuses_match_sync_ones(conn_id, emulator):
    hook = get_sms_hook(conn_id)
    messages = [hook.send_sms(n, "hi").to_dict() for n in (NUMBER, NUMBER_ERROR)]
    sync = wait_final(hook, messages)
    fresh = type(hook)(conn_id)
    asynchronous = asyncio.run(fresh.aget_delivery_statuses(messages))
    assert [s.to_dict() for s in asynchronous] == [s.to_dict() for s in sync]
    single = asyncio.run(type(hook)(conn_id).aget_delivery_status(messages[0]["message_id"], NUMBER))
    assert single.state == "delivered"


def test_sync_statuses_inside_a_running_loop_match_those_outside(conn_id, emulator):
    """Outside a loop Primotexto's sync call runs the async code on a loop of its own; inside one
    (where ``asyncio.run`` is refused) it falls back to threads: same statuses, in input order."""
    hook = get_sms_hook(conn_id)
    messages = [hook.send_sms(n, "hi").to_dict() for n in (NUMBER, NUMBER_ERROR, NUMBER_NEVER_FINAL)]
    outside = wait_final(hook, messages[:2]) + hook.get_delivery_statuses(messages[2:])

    async def from_a_coroutine():
        return hook.get_delivery_statuses(messages)

    inside = asyncio.run(from_a_coroutine())
    assert [s.to_dict() for s in inside] == [s.to_dict() for s in outside]
    assert [s.state for s in inside] == ["delivered", "error", "pending"]


def test_blacklist_add_list_remove_is_idempotent(conn_id, vendor, emulator):
    hook = get_sms_hook(conn_id)
    for list_type in hook.list_types:
        assert hook.add_to_blacklist(NUMBER, list_type) is True
        assert hook.add_to_blacklist(NUMBER, list_type) is False
        entries = hook.get_blacklist(list_type)
        assert [e.recipient for e in entries] == [NUMBER]
        assert entries[0].id
        assert hook.remove_from_blacklist(NUMBER, list_type) is True
        assert hook.remove_from_blacklist(NUMBER, list_type) is False
        assert hook.get_blacklist(list_type) == []


def test_primotexto_keeps_stop_and_bounce_lists_apart(emulator):
    hook = get_sms_hook("emu_primotexto")
    hook.add_to_blacklist(NUMBER, "bounces")
    assert hook.get_blacklist("unsubscribers") == []
    assert [e.recipient for e in hook.get_blacklist("bounces")] == [NUMBER]


def test_smspartner_has_no_bounce_list_and_says_so_before_any_request(emulator):
    hook = get_sms_hook("emu_smspartner")
    for call in (hook.add_to_blacklist, hook.remove_from_blacklist):
        with pytest.raises(SmsValidationError, match="no 'bounces' list"):
            call(NUMBER, "bounces")
    with pytest.raises(SmsValidationError, match="no 'bounces' list"):
        hook.get_blacklist("bounces")
    assert emulator.requests() == []


def test_unknown_list_type_is_refused(conn_id, emulator):
    with pytest.raises(SmsValidationError, match="list_type must be one of"):
        get_sms_hook(conn_id).add_to_blacklist(NUMBER, "stop")


def test_account_stats_report_credits_that_go_down(conn_id, emulator):
    hook = get_sms_hook(conn_id)
    before = hook.get_account_stats()["credits"]
    hook.send_sms(NUMBER, "hi")
    after = hook.get_account_stats()
    assert isinstance(after["credits"], float | int)
    assert after["credits"] < before
    assert "username" not in after
    assert "user" not in after


def test_list_subaccounts_walks_every_page_without_keys(emulator):
    accounts = get_sms_hook("emu_smspartner").list_subaccounts()
    assert len(accounts) == 47
    assert len({a["id"] for a in accounts}) == 47
    assert all("apiKey" not in a for a in accounts)
    pages = sorted(int(r["query"]["page"]) for r in emulator.requests(path="/subaccount/list"))
    assert pages == [1, 2, 3]


def test_test_connection_uses_a_read_only_endpoint(conn_id, emulator):
    ok, text = get_sms_hook(conn_id).test_connection()
    assert ok, text
    assert "credits" in text
    [request] = emulator.requests()
    assert request["method"] == "GET"
    assert request["path"] in ("/v2/account/stats", "/v1/me")
