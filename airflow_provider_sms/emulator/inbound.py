"""Inbound SMS: replies and STOPs a recipient sends back, injected by tests, served as the vendors do.

``GatewayEmulator.inject_reply`` / ``inject_stop`` (or ``POST /_emulator/inbound``) store a reply
from a number. A reply whose text starts with STOP puts the number on the gateway's STOP list
(Primotexto ``unsubscribers``, SMS Partner ``/stop-sms/list``), as the vendors do. Primotexto
serves the replies at ``GET /v2/messages/replies[?category=]``; SMS Partner lets clients read only
its STOP list, and posts a reply (or STOP) to the ``urlResponse`` of the latest message sent to that
number when it carried one (:mod:`~airflow_provider_sms.emulator.reply_webhook`).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.emulator.http_replies import STATE, json_reply
from airflow_provider_sms.emulator.numbers import parse_number
from airflow_provider_sms.emulator.primotexto import authenticated
from airflow_provider_sms.emulator.reply_webhook import post_reply, reply_target
from airflow_provider_sms.emulator.state import (
    PRIMOTEXTO,
    SMSPARTNER,
    VENDORS,
    EmulatorState,
    InboundReply,
    StopEntry,
)

if TYPE_CHECKING:
    from aiohttp import web

#: A reply that unsubscribes (the vendors' STOP keyword, any case, first word).
STOP_TEXT = re.compile(r"(?i)^\s*stop\b")


def inject(
    state: EmulatorState,
    vendor: str,
    number: str,
    text: str,
    category: str | None = None,
    posts: int = 1,
) -> dict[str, Any]:
    """Store a reply from ``number``; a STOP text also lists the number. Returns what was stored,
    with ``webhook``: the HTTP status of each post to SMS Partner's ``urlResponse`` (``None``: the
    latest message to the number asked for none).

    Primotexto files a reply under ``category`` or, when it is ``None``, under the category of the
    latest message sent to that number. ``posts`` > 1 posts an SMS Partner reply again (a gateway
    redelivering it).

    :raises ValueError: unknown vendor, unreadable number, or a text that is not a string.
    """
    if vendor not in VENDORS:
        raise ValueError(f"vendor must be one of {', '.join(VENDORS)}; got {vendor!r}")
    parsed = parse_number(number)
    if parsed.kind == "invalid":
        raise ValueError("number is not a valid phone number")
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    if category is not None and not isinstance(category, str):
        raise ValueError("category must be a string or null")
    stop = STOP_TEXT.match(text) is not None
    now = time.time()
    with state.lock:
        if vendor == PRIMOTEXTO and category is None:
            latest = state.latest_by_number.get(parsed.e164)
            category = latest.category if latest is not None else None
        reply = InboundReply(state.next_object_id(), vendor, parsed.e164, text, category, now)
        state.replies.append(reply)
        if stop:
            _list_stop(state, vendor, parsed.e164, now)
        target = reply_target(state, parsed.e164) if vendor == SMSPARTNER else None
    stored = {"id": reply.id, "vendor": vendor, "number": reply.number, "category": category, "stop": stop}
    if target is None or target.reply_url is None:
        return {**stored, "webhook": None}
    payload = {
        "type": "stop" if stop else "response",
        "phone_number": parsed.e164,
        "text": text,
        "message_id": int(target.message_id),
    }
    return {**stored, "webhook": post_reply(target.reply_url, payload, posts)}


def _list_stop(state: EmulatorState, vendor: str, number: str, now: float) -> None:
    """Put ``number`` on ``vendor``'s STOP list unless it is there (caller holds the lock)."""
    if vendor == PRIMOTEXTO:
        entries = state.blacklists["unsubscribers"]
        if number not in entries:
            entries[number] = state.next_object_id()
    elif not any(e.recipient == number for e in state.stops.values()):
        stop_id = state.next_stop_id()
        state.stops[stop_id] = StopEntry(stop_id, number, now)


def reply_records(state: EmulatorState, vendor: str | None = None) -> list[dict[str, Any]]:
    """Every injected reply, oldest first (for ``GatewayEmulator.replies()``)."""
    with state.lock:
        return [
            {"id": r.id, "vendor": r.vendor, "number": r.number, "text": r.text, "category": r.category}
            for r in state.replies
            if vendor is None or r.vendor == vendor
        ]


@authenticated
async def primotexto_replies(request: web.Request) -> web.StreamResponse:
    """``GET /v2/messages/replies[?category=]``: ``[{"id", "identifier", "message"}]``, oldest first."""
    category = request.query.get("category") or None
    state = request.app[STATE]
    with state.lock:
        chosen = [
            r
            for r in state.replies
            if r.vendor == PRIMOTEXTO and (category is None or r.category == category)
        ]
    return json_reply([{"id": r.id, "identifier": r.number, "message": r.text} for r in chosen])


def add_routes(app: web.Application) -> None:
    """Register the vendor route serving replies (Primotexto)."""
    app.router.add_get("/v2/messages/replies", primotexto_replies)
