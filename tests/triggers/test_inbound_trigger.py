"""SmsInboundTrigger against the emulator: one event per reply and STOP, nothing old after a restart
(shared asset state store), no full number nor text in events, backoff on transient errors."""

from __future__ import annotations

import asyncio
import copy
import json

import pytest

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.triggers.inbound import SmsInboundTrigger

A, B, C = "+33639980031", "+33639980032", "+33639980033"


class FakeStateStore:
    """Dict-backed stand-in for Airflow 3.3's AssetStateStoreAccessors (one asset)."""

    def __init__(self) -> None:
        self.data: dict[str, object] = {}
        self.writes = 0

    def get(self, key, default=None):
        return copy.deepcopy(self.data.get(key, default))

    def set(self, key, value):
        json.dumps(value)  # the real store takes JSON values only
        self.data[key] = copy.deepcopy(value)
        self.writes += 1

    def delete(self, key):
        self.data.pop(key, None)

    async def aget(self, key, default=None):
        return self.get(key, default)

    async def aset(self, key, value):
        self.set(key, value)

    async def adelete(self, key):
        self.delete(key)


def make(conn_id, store=None, **kwargs):
    trigger = SmsInboundTrigger(conn_id, poll_interval=0.1, **kwargs)
    trigger.asset_state_store = store
    return trigger


def collect_for(trigger, seconds=1.0, during=None):
    """Run the (endless) trigger for ``seconds``; ``during()`` runs in a thread meanwhile."""
    events = []

    async def drain():
        async for event in trigger.run():
            events.append(event.payload)

    async def main():
        task = asyncio.ensure_future(drain())
        if during is not None:
            await asyncio.sleep(0.3)
            await asyncio.to_thread(during)
        await asyncio.sleep(seconds)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    return events


def kinds(events):
    return sorted((e["kind"], e["number"]) for e in events)


def test_one_event_per_reply_and_stop(emulator):
    emulator.inject_reply("primotexto", A, "Oui merci")
    emulator.inject_reply("primotexto", B, "Non")
    emulator.inject_stop("primotexto", C)
    events = collect_for(
        make("emu_primotexto", FakeStateStore()),
        during=lambda: emulator.inject_reply("primotexto", A, "Encore"),
    )
    # a STOP is also a reply whose text is STOP on Primotexto: 4 replies, 1 STOP, each once
    assert kinds(events) == sorted(
        [
            ("reply", "+3363****31"),
            ("reply", "+3363****31"),
            ("reply", "+3363****32"),
            ("reply", "+3363****33"),
            ("stop", "+3363****33"),
        ]
    )
    assert len({e["message_id"] for e in events}) == 5


def test_smspartner_watches_stops(emulator):
    emulator.inject_stop("smspartner", A)
    emulator.inject_reply("smspartner", B, "Oui")  # not readable on SMS Partner
    events = collect_for(make("emu_smspartner"), during=lambda: emulator.inject_stop("smspartner", C))
    assert kinds(events) == [("stop", "+3363****31"), ("stop", "+3363****33")]


def test_restart_with_shared_store_yields_nothing_old(emulator, vendor, conn_id):
    store = FakeStateStore()
    emulator.inject_stop(vendor, A)
    emulator.inject_reply(vendor, B, "Oui")
    first = collect_for(make(conn_id, store))
    assert first
    assert store.writes >= len(first)
    # as after a triggerer restart: a new instance from the serialised kwargs, the same store
    classpath, kwargs = make(conn_id).serialize()
    again = SmsInboundTrigger(**kwargs)
    again.asset_state_store = store
    assert collect_for(again) == []
    third = SmsInboundTrigger(**kwargs)
    third.asset_state_store = store
    later = collect_for(third, during=lambda: emulator.inject_stop(vendor, C))
    expected = [("stop", "+3363****33")]
    if vendor == "primotexto":  # the STOP text is a reply there too
        expected.insert(0, ("reply", "+3363****33"))
    assert kinds(later) == expected


def test_without_a_store_delivery_is_at_least_once(emulator):
    emulator.inject_stop("primotexto", A)
    assert len(collect_for(make("emu_primotexto", kinds=("stop",)))) == 1
    assert len(collect_for(make("emu_primotexto", kinds=("stop",)))) == 1  # in memory: repeated


def test_events_hold_no_full_number_nor_text(emulator, caplog):
    caplog.set_level("DEBUG")
    emulator.inject_reply("primotexto", A, "Oui secret-text")
    emulator.inject_stop("primotexto", B)
    events = collect_for(make("emu_primotexto"))
    dumped = json.dumps(events) + caplog.text
    assert len(events) == 3
    for number in (A, B):
        assert number not in dumped
        assert number[3:] not in dumped
    assert "secret-text" not in dumped


def test_downstream_reads_the_full_message(emulator):
    emulator.inject_reply("primotexto", A, "Oui", category="rdv")
    emulator.inject_stop("primotexto", B)
    events = collect_for(make("emu_primotexto", category="rdv"))
    hook = get_sms_hook("emu_primotexto")
    got = {
        e["kind"]: hook.get_inbound(e["message_id"], kind=e["kind"], category=e["category"]) for e in events
    }
    assert (got["reply"].number, got["reply"].text, got["reply"].category) == (A, "Oui", "rdv")
    assert got["stop"].number == B


def test_transient_errors_back_off_without_spinning(emulator):
    emulator.inject_stop("primotexto", A)
    emulator.add_fault("rate_limit", vendor="primotexto", path="/contacts", count=8, retry_after=0)
    events = collect_for(make("emu_primotexto", kinds=("stop",)), seconds=2.5)
    assert [e["kind"] for e in events] == ["stop"]
    # 4 attempts per call inside the hook, then backoff: far fewer requests than a hot loop
    assert len(emulator.requests(vendor="primotexto", path="/contacts")) < 40


def test_replies_alone_on_a_gateway_without_them_are_refused(emulator):
    with pytest.raises(SmsValidationError, match="replies"):
        collect_for(make("emu_smspartner", kinds=("reply",)))


def test_bad_kinds_are_refused_at_parse_time():
    with pytest.raises(ValueError, match="kinds"):
        SmsInboundTrigger("c", kinds=("replies",))
    with pytest.raises(ValueError, match="kinds"):
        SmsInboundTrigger("c", kinds=())


def test_serialize_round_trip():
    trigger = SmsInboundTrigger("emu_primotexto", kinds=["stop", "reply"], category="rdv", poll_interval=5)
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_sms.triggers.inbound.SmsInboundTrigger"
    assert kwargs == {
        "sms_conn_id": "emu_primotexto",
        "kinds": ["reply", "stop"],
        "category": "rdv",
        "poll_interval": 5.0,
        "max_backoff": 60.0,
    }
    assert SmsInboundTrigger(**kwargs).serialize() == (classpath, kwargs)
