"""SMS Partner replies and STOPs through the provider's webhook, over HTTP end to end: the emulator
posts to the app (uvicorn, SQLite metadata DB), the hook reads them back from the app."""

from __future__ import annotations

import asyncio
import logging

import pytest
import requests

from airflow_provider_sms.emulator import SMSPARTNER_API_KEY
from airflow_provider_sms.exceptions import SmsConfigurationError, SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.hooks.webhook_link import SECRET_HEADER, webhook_url
from airflow_provider_sms.sensors.reply import SmsReplySensor
from airflow_provider_sms.triggers.inbound import SmsInboundTrigger
from tests.triggers.test_inbound_trigger import collect_for

CUSTOMER = "+33639980030"


def post(api_server, conn_id, secret, payload=None, **kwargs):
    url = f"{api_server}/sms/webhook/{conn_id}/{secret}"
    return requests.post(url, json=payload, timeout=10, **kwargs)


def test_sends_ask_for_replies_at_the_connections_webhook(webhook_conn, emulator):
    hook = get_sms_hook(webhook_conn)
    hook.send_sms(CUSTOMER, "Repondez OUI")
    sent = emulator.requests(vendor="smspartner", path="/v1/send")[-1]
    assert webhook_url(hook.settings) in str(sent)
    assert webhook_url(hook.settings).endswith(f"/sms/webhook/{webhook_conn}/{hook.settings.webhook_secret}")


def test_a_reply_posted_by_the_emulator_is_read_back_once(webhook_conn, emulator, caplog):
    caplog.set_level(logging.DEBUG)
    hook = get_sms_hook(webhook_conn)
    sent = hook.send_sms(CUSTOMER, "Repondez OUI")
    stored = emulator.inject_reply("smspartner", CUSTOMER, "Oui merci", posts=2)  # redelivered once
    assert stored["webhook"] == [200, 200]
    replies = hook.get_replies()
    assert [(r.kind, r.number, r.text) for r in replies] == [("reply", CUSTOMER, "Oui merci")]
    assert replies[0].received_at
    assert hook.get_stops() == []
    asked = emulator.requests(vendor="smspartner")
    assert all("/sms/webhook" not in r["path"] for r in asked)  # the read went to the api-server
    assert sent.message_id
    assert CUSTOMER not in caplog.text
    assert "Oui merci" not in caplog.text
    assert hook.settings.webhook_secret not in caplog.text


def test_the_read_never_carries_the_api_key(webhook_conn, api_server, webhook_secret):
    seen = requests.get(
        f"{api_server}/sms/webhook/{webhook_conn}/events", headers={SECRET_HEADER: webhook_secret}, timeout=10
    )
    assert seen.status_code == 200
    assert seen.json() == {"events": [], "next": 0}
    hook = get_sms_hook(webhook_conn)
    request = hook.transport  # the read is built without the gateway's key
    from airflow_provider_sms.hooks.transport import build_request
    from airflow_provider_sms.hooks.webhook_link import events_call

    built = build_request(
        events_call(webhook_conn, api_server, "reply", 0), hook.settings, hook._authenticate
    )
    assert SMSPARTNER_API_KEY not in repr((built.url, built.params, built.json, built.headers))
    assert built.headers == {SECRET_HEADER: webhook_secret}
    assert request is not None


def test_stop_and_form_posts(webhook_conn, api_server, webhook_secret):
    form = {"type": "stop", "phone_number": "+33639980031", "text": "Stop", "message_id": "111"}
    answer = requests.post(f"{api_server}/sms/webhook/{webhook_conn}/{webhook_secret}", data=form, timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"stored": True}
    again = requests.post(f"{api_server}/sms/webhook/{webhook_conn}/{webhook_secret}", data=form, timeout=10)
    assert again.json() == {"stored": False}
    # loosely typed: key case, a number without its +, an id as a float
    loose = {"Type": "RESPONSE", "Phone_Number": 33639980032, "Text": "oui", "Message_Id": 2270143.0}
    assert post(api_server, webhook_conn, webhook_secret, loose).json() == {"stored": True}
    hook = get_sms_hook(webhook_conn)
    assert [(s.kind, s.number) for s in hook.get_stops()] == [("stop", "+33639980031")]
    assert [(r.number, r.text) for r in hook.get_replies()] == [("+33639980032", "oui")]


def test_pages_of_events(webhook_conn, api_server, webhook_secret, monkeypatch):
    from airflow_provider_sms.hooks import webhook_link

    monkeypatch.setattr(webhook_link, "EVENTS_PAGE_SIZE", 2)
    for i in range(5):
        payload = {"type": "response", "phone_number": f"+3363998004{i}", "text": f"r{i}", "message_id": i}
        assert post(api_server, webhook_conn, webhook_secret, payload).status_code == 200
    replies = get_sms_hook(webhook_conn).get_replies()
    assert [r.text for r in replies] == [f"r{i}" for i in range(5)]


def test_reply_sensor_takes_the_same_arguments_as_on_primotexto(webhook_conn, emulator):
    get_sms_hook(webhook_conn).send_sms(CUSTOMER, "Repondez OUI")
    sensor = SmsReplySensor(
        task_id="wait",
        sms_conn_id=webhook_conn,
        numbers=CUSTOMER,
        pattern=r"(?i)^\s*(oui|yes)\b",
        category="rdv",
        since="2020-01-01T00:00:00+00:00",
    )
    assert sensor.poke({}).is_done is False
    emulator.inject_reply("smspartner", CUSTOMER, "non")
    emulator.inject_reply("smspartner", CUSTOMER, "  OUI !")
    done = sensor.poke({})
    assert done.is_done
    assert [r["text"] for r in done.xcom_value] == ["  OUI !"]


def test_inbound_trigger_sees_replies_and_stops_once(webhook_conn, emulator):
    hook = get_sms_hook(webhook_conn)
    hook.send_sms_batch([CUSTOMER, "+33639980031"], "Bonjour")

    def during():
        emulator.inject_reply("smspartner", CUSTOMER, "Oui", posts=2)
        emulator.inject_stop("smspartner", "+33639980031", posts=3)

    events = collect_for(SmsInboundTrigger(webhook_conn, poll_interval=0.1), seconds=1.0, during=during)
    assert sorted(e["kind"] for e in events) == ["reply", "stop"]
    assert all("Oui" not in str(e) and CUSTOMER not in str(e) for e in events)


def test_without_the_webhook_extras_replies_are_refused_and_stops_come_from_the_list(emulator):
    hook = get_sms_hook("emu_smspartner")
    assert hook.lists_replies is False
    with pytest.raises(SmsValidationError, match="webhook_secret and public_base_url"):
        hook.get_replies()
    with pytest.raises(SmsValidationError):
        asyncio.run(hook.aget_replies())
    emulator.inject_stop("smspartner", CUSTOMER)
    assert [s.number for s in hook.get_stops()] == [CUSTOMER]
    events = collect_for(SmsInboundTrigger("emu_smspartner", poll_interval=0.1), seconds=0.5)
    assert [e["kind"] for e in events] == ["stop"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"webhook_secret": "x" * 40}, "public_base_url"),
        ({"webhook_secret": "short", "public_base_url": "https://a.example"}, "webhook_secret"),
        ({"webhook_secret": "x" * 40, "public_base_url": "http://airflow.example.com"}, "public_base_url"),
    ],
)
def test_webhook_extras_are_checked(emulator, monkeypatch, extra, field):
    monkeypatch.setenv("AIRFLOW_CONN_EMU_BAD_WEBHOOK", emulator.connection_json("smspartner", **extra))
    with pytest.raises(SmsConfigurationError, match=field) as info:
        get_sms_hook("emu_bad_webhook")
    assert "x" * 40 not in str(info.value)
