"""SmsReplyTrigger against the emulator: serialisation, one event (found, timeout, error) without
text nor number, start-to-start pacing, backoff after rate limits."""

from __future__ import annotations

import asyncio
import json
import time

from airflow_provider_sms.tracking.delivery import MIN_POLL_INTERVAL
from airflow_provider_sms.triggers.reply import SmsReplyTrigger

CUSTOMER, OTHER = "+33639980041", "+33639980042"


def collect(trigger):
    async def drain():
        return [event async for event in trigger.run()]

    return asyncio.run(drain())


def make(conn_id="emu_primotexto", **kwargs):
    kwargs.setdefault("numbers", [CUSTOMER])
    kwargs.setdefault("poke_interval", 0.1)
    return SmsReplyTrigger(sms_conn_id=conn_id, **kwargs)


def test_serialize_round_trip():
    trigger = make(pattern="(?i)oui", since="2026-01-01T00:00:00+00:00", category="rdv", deadline=1e9)
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_sms.triggers.reply.SmsReplyTrigger"
    assert kwargs == {
        "sms_conn_id": "emu_primotexto",
        "numbers": [CUSTOMER],
        "pattern": "(?i)oui",
        "since": "2026-01-01T00:00:00+00:00",
        "category": "rdv",
        "poke_interval": 0.1,
        "deadline": 1e9,
        "max_backoff": 60.0,
    }
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert SmsReplyTrigger(**kwargs).serialize() == (classpath, kwargs)
    assert CUSTOMER[4:] not in repr(trigger)


def test_found_event_holds_ids_only(emulator):
    emulator.inject_reply("primotexto", OTHER, "Oui secret")  # another number
    emulator.inject_reply("primotexto", CUSTOMER, "Non")  # no match
    wanted = emulator.inject_reply("primotexto", CUSTOMER, "Oui secret")
    (event,) = collect(make(pattern="(?i)^oui"))
    assert event.payload == {"status": "found", "message_ids": [str(wanted["id"])]}
    text = json.dumps(event.payload) + repr(event)
    assert "secret" not in text
    assert CUSTOMER[4:] not in text


def test_deadline_gives_a_timeout_event(emulator):
    (event,) = collect(make(pattern="oui", deadline=time.time() + 0.5))
    assert event.payload == {"status": "timeout"}


def test_gateway_without_replies_is_one_error_event(emulator):
    (event,) = collect(make("emu_smspartner"))
    assert event.payload["status"] == "error"
    assert event.payload["error"] == "SmsValidationError"
    assert "http_status" not in event.payload  # not a gateway error


def test_refused_key_is_an_error_event_with_the_gateway_fields(emulator, monkeypatch):
    conn = json.loads(emulator.connection_json("primotexto"))
    conn["password"] = "wrong-key-123"
    monkeypatch.setenv("AIRFLOW_CONN_EMU_WRONG", json.dumps(conn))
    (event,) = collect(make("emu_wrong"))
    payload = event.payload
    assert (payload["status"], payload["error"]) == ("error", "SmsAuthenticationError")
    assert payload["http_status"] == 401
    assert "code" in payload
    assert "wrong-key-123" not in json.dumps(payload)


def test_rate_limits_back_off_then_polls_are_paced_again(emulator, monkeypatch):
    emulator.add_fault("rate_limit", vendor="primotexto", path="replies", count=8, retry_after=0.02)
    pauses = []

    async def recording_pause(self, seconds):
        pauses.append(seconds)
        if len(pauses) == 3:
            emulator.inject_reply("primotexto", CUSTOMER, "oui")

    monkeypatch.setattr(SmsReplyTrigger, "_pause", recording_pause)
    (event,) = collect(make(pattern="oui", max_backoff=0.3))
    assert event.payload["status"] == "found"
    # the hook tries each poll 4 times: 8 refusals are 2 failed polls, backing off from their end
    assert pauses[:2] == [0.2, 0.3]  # doubling from poke_interval, capped at max_backoff
    assert pauses[2:] == [MIN_POLL_INTERVAL]  # answered: what is left of 0.1 s, at least the minimum


def test_polls_start_every_poke_interval(emulator, monkeypatch, poll_clock):
    """Each pause after an answered poll is ``poke_interval`` minus that poll's measured duration."""
    emulator.add_fault("latency", vendor="primotexto", path="replies", latency_ms=150)
    pauses = []

    async def recording_pause(self, seconds):
        pauses.append((seconds, poll_clock.last_poll()))
        if len(pauses) == 3:
            emulator.inject_reply("primotexto", CUSTOMER, "oui")

    monkeypatch.setattr(SmsReplyTrigger, "_pause", recording_pause)
    (event,) = collect(make(pattern="oui", poke_interval=0.5))
    assert event.payload["status"] == "found"
    assert len(pauses) == 3
    for pause, took in pauses:
        assert took >= 0.15  # the emulator's latency: the pause is shortened by at least that much
        assert pause == max(MIN_POLL_INTERVAL, 0.5 - took)
